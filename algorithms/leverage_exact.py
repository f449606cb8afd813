"""Column sampling by exact leverage scores (Drineas, Mahoney, Muthukrishnan 2006).

With XX^T = U Lambda U^T on its range (rank k), the leverage score of column X_i is
l_i = ||Lambda^{-1/2} U^T X_i||^2 (sum_i l_i = k), and p_i = l_i / k.
Guarantee: ``n_components="auto"``, s = ceil(3 k ln(2k/delta)/eps^2) draws, gives
(1-eps)XX^T <= YY^T <= (1+eps)XX^T w.p. >= 1 - delta (matrix Chernoff, Tropp 2012).
Cost: forming XX^T, min(sum_i nnz(X_i)^2, d n^(w-1)), an n x n eigendecomposition,
and the k x n by n x d product, O(k nnz(X)), whose d x k result is never formed: the
compiled kernel of leverage_fast (``_kernels.column_norms_after``) keeps a tile of it
in cache.  (Blocks of a sparse product, as ``attnbench.linalg.column_sq_norms`` does,
write all d k entries: 26 x the Gram + eigh time at n = 1024, d = 2^20, 2.1 M nonzeros,
against 6-7 x here; scripts/bench_memory.py.)  Memory: XX^T and its eigenvectors
(O(n^2)), O(d + s) for the scores, p and the draws, plus Y.
"""

import numpy as np

from attnbench.algorithms._kernels import column_norms_after
from attnbench.algorithms.base import SamplingReducer, chernoff_sample_size
from attnbench.algorithms.registry import register
from attnbench.linalg import gram, range_eigh


def exact_leverage_scores(X):
    """Leverage scores of the d columns of X and the rank of X (float64)."""
    lam, U = range_eigh(gram(X))
    return column_norms_after(X, U / np.sqrt(lam)), lam.size


@register("leverage_exact")
class LeverageExact(SamplingReducer):
    cost_model = "gram"

    def _auto_n_components(self, n, d):
        return chernoff_sample_size(self.rank_, self.eps, self.delta)

    def _probabilities(self, X):
        scores, self.rank_ = exact_leverage_scores(X)
        self.leverage_scores_ = scores
        return scores
