"""Column sampling by exact leverage scores (Drineas, Mahoney, Muthukrishnan 2006).

With XX^T = U Lambda U^T on its range (rank k), the leverage score of column X_i is
l_i = ||Lambda^{-1/2} U^T X_i||^2 (sum_i l_i = k), and p_i = l_i / k.
Guarantee: ``n_components="auto"``, s = ceil(3 k ln(2k/delta)/eps^2) draws, gives
(1-eps)XX^T <= YY^T <= (1+eps)XX^T w.p. >= 1 - delta (matrix Chernoff, Tropp 2012).
Cost: forming XX^T, min(sum_i nnz(X_i)^2, d n^(w-1)), an n x n eigendecomposition (n^3),
and the scores (``attnbench.linalg.column_sq_norms``): on sparse X the quadratic forms
X_i^T (XX^T)^+ X_i over each column's nonzeros, sum_i nnz(X_i)^2 + n^3, the order of the
Gram itself; on dense X, O(k nnz(X)) BLAS products over blocks of columns.  Memory: XX^T
and its eigenvectors (O(n^2)), O(d + s) for the scores, p and the draws, plus Y.
"""

import numpy as np

from attnbench.algorithms.base import SamplingReducer, chernoff_sample_size
from attnbench.algorithms.registry import register
from attnbench.linalg import column_sq_norms, gram, range_eigh


def exact_leverage_scores(X):
    """Leverage scores of the d columns of X and the rank of X (float64)."""
    lam, U = range_eigh(gram(X))
    return column_sq_norms(X, U / np.sqrt(lam)), lam.size


@register("leverage_exact")
class LeverageExact(SamplingReducer):
    cost_model = "gram"

    def _auto_n_components(self, n, d):
        return chernoff_sample_size(self.rank_, self.eps, self.delta)

    def _probabilities(self, X):
        scores, self.rank_ = exact_leverage_scores(X)
        self.leverage_scores_ = scores
        return scores
