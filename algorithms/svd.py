"""Truncated SVD through the Gram matrix: Y = X W, W = X^T U_m Lambda_m^{-1/2}.

With XX^T = U Lambda U^T (eigenvalues descending), W holds the top m right singular
vectors of X, and Y = U_m Lambda_m^{1/2} on the training X, so YY^T is the best
rank-m approximation of XX^T (Eckart-Young); at m = rank(X) (``n_components=None``)
YY^T = XX^T and A(Y) = A(X) exactly, with m = rank <= n columns.  Deterministic.
Cost: forming XX^T, min(sum_i nnz(X_i)^2, d n^(w-1)), plus an n x n eigendecomposition
(n^3) and one product X^T U_m (nnz(X) m).  Not a column subset of X; it is the exact
reference the paper's comparison omits (MISSION.md).
"""

import numpy as np

from attnbench.algorithms.base import ProjectionReducer
from attnbench.algorithms.registry import register
from attnbench.linalg import gram, range_eigh


@register("svd")
class SVD(ProjectionReducer):
    family = "exact"
    deterministic = True
    cost_model = "gram"
    _allow_none_components = True

    def __init__(self, n_components=None):
        self.n_components = n_components

    def _make_components(self, X, rng):
        lam, U = range_eigh(gram(X))
        lam, U = lam[::-1], U[:, ::-1]
        rank = lam.size
        m = rank if self.n_components is None else min(int(self.n_components), rank)
        self.singular_values_ = np.sqrt(lam[:m])
        # W = X^T U_m / sigma: the top right singular vectors, d x m.
        return np.asarray(X.T @ U[:, :m]) / self.singular_values_
