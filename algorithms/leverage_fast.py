"""Column sampling by approximate leverage scores in input-sparsity time: the randomized
algorithm of Deng, Mahadevan and Song (arXiv 2304.04397, Thm 1).

Scores l~_i of the columns X_i (exact: l_i = X_i^T (XX^T)^+ X_i), by the route of
Drineas, Magdon-Ismail, Mahoney and Woodruff (JMLR 2012) with a sparse embedding in place
of the SRHT (Clarkson and Woodruff 2013; Nelson and Nguyen 2013):

1. sketch the d dimension, Y = X S with S a d x k OSNAP matrix (``sketch_nnz`` nonzeros
   per feature; 1 is CountSketch), k = 4n by default, in one read of X: O(nnz(X));
2. R with R^T R = Y Y^T (the R of a QR of the k x n matrix Y^T, here from the Cholesky
   factor of the n x n Gram of the sketch, which costs half), W = R^{-1}, or on the
   numerical range of a rank-deficient Y (rank rho) W^T YY^T W = I_rho: O(k n^2 + n^3);
3. Johnson-Lindenstrauss: l~_i = ||G^T W^T X_i||^2 / r, G a rho x r standard Gaussian,
   computed as (W G)^T X (a triangular solve, then one more product with X):
   O(r nnz(X)), r = ceil(2 ln(4d/delta)).

Accuracy.  For a Gaussian S, l~_i / l_i = k/(k - rho + 1) * F_i with F_i ~ F(r, k - rho + 1)
(the JL factor chi2_r / r over the Wishart factor chi2_{k-rho+1} / k); we take this as
the model for the sparse S as well (the tests check it on four data families).  A union
bound over the d columns gives a <= l~_i / l_i <= b for every i with probability
>= 1 - delta/2 (``score_bounds_``).  At the defaults [a, b] is about [1/4, 4] for n >= 64
and any d (r grows with log d to keep it so), wider for small n: [0.2, 6.5] at n = 16.

Sampling: i.i.d. draws with p_i = l~_i / sum_j l~_j, repeats merged (SamplingReducer).
Then p_i >= l_i / (beta rho) with beta = sum_j l~_j / (a rho) (``overestimate_``, known
after the fact; about 5 at the defaults).  Guarantee: ``n_components="auto"``,
ceil(3 beta rho ln(4 rho/delta) / eps^2) draws, i.e. m = C n log(n/delta)/eps^2 with
C = 3 beta, gives (1-eps)XX^T <= YY^T <= (1+eps)XX^T w.p. >= 1 - delta (matrix Chernoff,
Tropp 2012, at delta/2, and the score bounds at delta/2).  No uniform share is mixed into
p: with every column's factor bounded below by a, a share alpha would only multiply the
draws by 1/(1 - alpha).
Cost: O(nnz(X) (1 + r) + k n^2 + n^3 + d + m log d): the paper's nnz(X) + n^omega.
"""

import math

import numpy as np
import scipy.linalg
from scipy.linalg import lapack
from scipy.stats import f as f_distribution

from attnbench.algorithms._kernels import apply_sparse_embedding, column_norms_after
from attnbench.algorithms._sparse_embedding import embedding_codes
from attnbench.algorithms.base import SamplingReducer, chernoff_sample_size
from attnbench.algorithms.registry import register
from attnbench.linalg import RANGE_RTOL
from attnbench.validation import check_positive

SKETCH_PER_TOKEN = 4  # default k = 4n: the sketch alone over-estimates by k/(k-n) = 4/3 on average
JL_PER_LOG = 2.0  # default r = ceil(2 ln(4d/delta)): a ~ 1/4 for every d, one more ~2 reads of X


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
class LeverageFast(SamplingReducer):
    cost_model = "randomized"
    input_sparsity_time = True

    def __init__(
        self,
        n_components="auto",
        eps=0.5,
        delta=0.1,
        sketch_components="auto",
        jl_components="auto",
        sketch_nnz=1,
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
        nnz = check_positive(self.sketch_nnz, "sketch_nnz", integer=True)
        k = _resolve(self.sketch_components, SKETCH_PER_TOKEN * n, "sketch_components")
        if k < n:
            raise ValueError(
                f"sketch_components must be >= n = {n} (the sketch must embed the "
                f"n-dimensional range of X^T), got {k}."
            )
        k = nnz * -(-k // nnz)
        auto_r = math.ceil(JL_PER_LOG * math.log(4.0 * d / self.delta))
        r = _resolve(self.jl_components, auto_r, "jl_components")

        sketch = apply_sparse_embedding(X, embedding_codes(d, k, nnz, rng), k)
        Omega, rank = jl_directions(sketch, r, rng)
        scores = column_norms_after(X, Omega)

        self.sketch_components_, self.jl_components_, self.rank_ = k, r, rank
        self.leverage_scores_ = scores
        self.score_bounds_ = score_bounds(k, max(rank, 1), r, d, self.delta / 2)
        total = float(scores.sum())
        self.overestimate_ = total / (rank * self.score_bounds_[0]) if rank else 1.0
        super()._fit(X, rng)

    def _auto_n_components(self, n, d):
        return chernoff_sample_size(self.rank_, self.eps, self.delta / 2, self.overestimate_)

    def _probabilities(self, X):
        return self.leverage_scores_
