"""Column sampling by approximate leverage scores in input-sparsity time: the randomized
algorithm of Deng, Mahadevan and Song (arXiv 2304.04397, Thm 1).

Scores l~_i of the columns X_i (exact: l_i = X_i^T (XX^T)^+ X_i), by the route of
Drineas, Magdon-Ismail, Mahoney and Woodruff (JMLR 2012) with a sparse embedding in place
of the SRHT (Clarkson and Woodruff 2013; Nelson and Nguyen 2013; Cohen 2016):

1. sketch the d dimension, Y = X S with S a d x k OSNAP matrix with s nonzeros per
   feature (``sketch_nnz``; auto s = max(4, ceil(log2(n/delta) / 2))) and k = 4n columns
   (``sketch_components``, rounded up to a multiple of s), in one read of X: O(s nnz(X));
2. R with R^T R = Y Y^T (the R of a QR of the k x n matrix Y^T, here from the Cholesky
   factor of the n x n Gram of the sketch, which costs half), W = R^{-1}, or on the
   numerical range of a rank-deficient Y (rank rho) W^T YY^T W = I_rho: O(k n^2 + n^3);
3. Johnson-Lindenstrauss: l~_i = ||G^T W^T X_i||^2 / r, G a rho x r standard Gaussian,
   computed as (W G)^T X (a triangular solve, then one more product with X):
   O(r nnz(X)), r = ceil(2 ln(4d/delta)).

The sketch.  OSNAP with s = O(log(n/delta)/eps) and k = O(n log(n/delta)/eps^2) is a
(1 +- eps) subspace embedding of range(X^T) for EVERY X with probability 1 - delta
(Cohen 2016), but with no explicit constants.  A CountSketch (s = 1) is one only with
k = Omega(n^2) rows (Nelson and Nguyen 2013b): with k = 4n it loses a row of X whenever
two columns that row owns collide with opposite signs, and its scores fail on private
columns and on [I, 0].  Composing a CountSketch of n^2 rows with a Gaussian down to O(n)
(Clarkson and Woodruff 2013) costs n^4 for the Gaussian stage (at n = 256 its n^2 rows
already exceed d = 2^14), so OSNAP it is.  Its constants are ours, measured on the
adversarial inputs of the tests (tests/_matrices.py), of which [I, 0] is the hardest:
with delta = 0.01 its scores leave ``score_bounds_`` (next paragraph) on at least 4 of
100 seeds with s = 4, k = 4n at n = 256, on 2 of 40 with s = 4, k = 8n at n = 1024, and
on none with s = 8, k = 4n (100 seeds at n = 256, 40 at n = 1024); the rule for s gives
8 and 9 there.

Accuracy (a model).  For a Gaussian S, l~_i / l_i = k/(k - rho + 1) * F_i with
F_i ~ F(r, k - rho + 1) (the JL factor chi2_r / r over the Wishart factor
chi2_{k-rho+1} / k).  We take this as the model for the OSNAP S (whose spectrum
approaches a Gaussian one as s grows: Chenakkod, Derezinski, Dong and Rudelson 2024): it
is not a theorem, and the tests check it on the adversarial inputs over 300 seeds.  A
union bound over the d columns gives a <= l~_i / l_i <= b for every i with probability
>= 1 - delta/2 (``score_bounds_``).  At the defaults [a, b] is about [1/4, 4] for
n >= 64 and any d (r grows with log d to keep it so), wider for small n: [0.2, 6.5] at
n = 16.

Sampling: i.i.d. draws with p_i = l~_i / sum_j l~_j, repeats merged (SamplingReducer).
Then p_i >= l_i / (beta rho) with beta = sum_j l~_j / (a rho) (``overestimate_``, known
after the fact; about 5 at the defaults).  Guarantee: ``n_components="auto"``,
ceil(3 beta rho ln(4 rho/delta) / eps^2) draws, i.e. m = C n log(n/delta)/eps^2 with
C = 3 beta, gives (1-eps)XX^T <= YY^T <= (1+eps)XX^T w.p. >= 1 - delta (matrix Chernoff,
Tropp 2012, at delta/2, and the score bounds at delta/2, under the model above).  No
uniform share is mixed into p: with every column's factor bounded below by a, a share
alpha would only multiply the draws by 1/(1 - alpha).
Cost: O(nnz(X) (s + r) + k n^2 + n^3 + d + s' log s'), s and r logarithmic, s' the
draws: the paper's nnz(X) + n^omega up to log factors.  ``fit_transform`` reads X three
times (sketch, scores, the sampled columns), each pass a dependency of the next: the
sketch's pass doubles as the finiteness check, the scores are fused with their product
(||.||^2 of each block of Omega^T X while it is in cache, never a d x r array), and S is
never formed.  On dense X (n = 256, d = 2^14 and 2^16, one core) the sketch and the
scores' product take half of ``fit_transform``; the rest is mostly the output (at the
auto size nearly every column is drawn, so Y is about as large as X) and the whitening.
The scores stay in float64: Omega = R^{-1} G / sqrt(r) carries the condition number of
X (up to 1/sqrt(RANGE_RTOL)), so a float32 product's rounding, about n 2^-24 |Omega|^T|X_i|,
is not small next to ||Omega^T X_i|| for ill-conditioned X, and float64 X would first
need a cast that costs more than SGEMM saves.
"""

import functools
import math
from typing import ClassVar

import numpy as np
import scipy.linalg
from scipy.linalg import lapack
from scipy.stats import f as f_distribution

from attnbench.algorithms._kernels import column_norms_after, weighted_columns
from attnbench.algorithms._sparse_embedding import FiniteCheckInKernel, embed_checked, embedding_key
from attnbench.algorithms.base import (
    POSITIVE_INT,
    SIZED_PARAMETERS,
    SamplingReducer,
    chernoff_sample_size,
)
from attnbench.algorithms.registry import register
from attnbench.linalg import RANGE_RTOL
from attnbench.validation import Options, check_positive

SKETCH_PER_TOKEN = 4  # default k = 4n: the sketch alone over-estimates by k/(k-n) = 4/3 on average
JL_PER_LOG = 2.0  # default r = ceil(2 ln(4d/delta)): a ~ 1/4 for every d, one more ~2 reads of X
MIN_SKETCH_NNZ = 4  # RandBLAS advises vec_nnz >= 2; [I, 0] at n = 16 needs 4 (tests)


def sketch_nnz_for(n, delta):
    """OSNAP nonzeros per feature, s = max(4, ceil(log2(n/delta) / 2)) = O(log(n/delta))."""
    return max(MIN_SKETCH_NNZ, math.ceil(math.log2(n / delta) / 2))


def _resolve(value, auto, name):
    return auto if value == "auto" else check_positive(value, name, integer=True)


def jl_directions(Y, r, rng):
    """Omega = W G / sqrt(r) (n x r) and rho, where W^T Y Y^T W = I_rho on range(Y).

    R^T R = Y Y^T (n x n, O(k n^2)); R is its Cholesky factor, the R of a QR of Y^T up
    to signs, and W = R^{-1} when LAPACK's condition estimate of R is below
    1/sqrt(RANGE_RTOL) (eigenvalues of YY^T within RANGE_RTOL of the largest, as in
    ``attnbench.linalg``).  Otherwise (rank-deficient X) an eigendecomposition of
    Y Y^T keeps the eigenvalues above RANGE_RTOL times the largest.
    """
    gram = Y @ Y.T
    n = gram.shape[0]
    R, info = lapack.dpotrf(gram, lower=False, clean=True)
    if info == 0 and lapack.dtrcon(R, norm="1")[0] > math.sqrt(RANGE_RTOL):
        G = rng.standard_normal((n, r))
        return scipy.linalg.solve_triangular(R, G, check_finite=False) / math.sqrt(r), n
    lam, U = np.linalg.eigh(gram)
    keep = lam > RANGE_RTOL * lam[-1] if lam[-1] > 0 else np.zeros(n, bool)
    G = rng.standard_normal((int(keep.sum()), r))
    return (U[:, keep] / np.sqrt(lam[keep])) @ G / math.sqrt(r), int(keep.sum())


@functools.lru_cache(maxsize=256)  # two F quantiles: 0.4 ms, a few % of a fit
def score_bounds(k, rank, r, d, delta):
    """[a, b] holding for l~_i / l_i for all d columns w.p. >= 1 - delta (Gaussian-S model)."""
    dof = k - rank + 1
    tail = delta / (2 * d)
    scale = k / dof
    return (
        scale * float(f_distribution.ppf(tail, r, dof)),
        scale * float(f_distribution.isf(tail, r, dof)),
    )


@register("leverage_fast")
class LeverageFast(FiniteCheckInKernel, SamplingReducer):
    cost_model = "randomized"
    input_sparsity_time = True
    _parameter_constraints: ClassVar[dict] = {
        **SIZED_PARAMETERS,
        "sketch_components": [POSITIVE_INT, Options("auto")],
        "jl_components": [POSITIVE_INT, Options("auto")],
        "sketch_nnz": [POSITIVE_INT, Options("auto")],
    }

    def __init__(
        self,
        n_components="auto",
        eps=0.5,
        delta=0.1,
        sketch_components="auto",
        jl_components="auto",
        sketch_nnz="auto",
        random_state=None,
    ):
        self.n_components = n_components
        self.eps = eps
        self.delta = delta
        self.sketch_components = sketch_components
        self.jl_components = jl_components
        self.sketch_nnz = sketch_nnz
        self.random_state = random_state

    def _fit(self, X, rng):
        n, d = X.shape
        s = _resolve(self.sketch_nnz, sketch_nnz_for(n, self.delta), "sketch_nnz")
        k = _resolve(self.sketch_components, SKETCH_PER_TOKEN * n, "sketch_components")
        if k < n:
            raise ValueError(
                f"sketch_components must be >= n = {n} (the sketch must embed the "
                f"n-dimensional range of X^T), got {k}."
            )
        k = s * -(-k // s)
        auto_r = math.ceil(JL_PER_LOG * math.log(4.0 * d / self.delta))
        r = _resolve(self.jl_components, auto_r, "jl_components")

        sketch = embed_checked(X, embedding_key(rng), k, s)
        Omega, rank = jl_directions(sketch, r, rng)
        scores = column_norms_after(X, Omega)

        self.sketch_nnz_, self.sketch_components_ = s, k
        self.jl_components_, self.rank_ = r, rank
        self.leverage_scores_ = scores
        self.score_bounds_ = score_bounds(k, max(rank, 1), r, d, self.delta / 2)
        total = float(scores.sum())
        self.overestimate_ = total / (rank * self.score_bounds_[0]) if rank else 1.0
        super()._fit(X, rng)

    def _auto_n_components(self, n, d):
        return chernoff_sample_size(self.rank_, self.eps, self.delta / 2, self.overestimate_)

    def _probabilities(self, X):
        return self.leverage_scores_

    def _transform(self, X):
        # The kernel for every layout: NumPy's gather on C-ordered X is the slow part.
        return weighted_columns(X, self.selected_, self.weights_)
