"""Truncated SVD through the Gram matrix: Y = U_m Lambda_m^{1/2}, the top m left singular
vectors of X scaled by its singular values.

With XX^T = U Lambda U^T (eigenvalues descending), YY^T = U_m Lambda_m U_m^T is the best
rank-m approximation of XX^T (Eckart-Young); at m = rank(X) (``n_components=None``)
YY^T = XX^T and A(Y) = A(X) exactly, with m = rank <= n columns.  Deterministic.  Not a
column subset of X; it is the exact reference the paper's comparison omits.

fit_transform returns U_m Lambda_m^{1/2} directly.  The map itself, Y' = X' W with
W = X^T U_m Lambda_m^{-1/2} (d x m, the top right singular vectors), is never formed
for ``transform``: X' W = (X' X^T) U_m Lambda_m^{-1/2}, an n' x n cross-Gram with the
training X, which is kept by reference (``X_fit_``, not copied: do not modify it in
place after fit).  ``components_`` forms W on request (d x m dense: 8 d m bytes,
8.6 GB at d = 2^20, m = 1024).
Cost: forming XX^T, min(sum_i nnz(X_i)^2, d n^(w-1)), plus an n x n eigendecomposition
(n^3); memory X plus O(n^2).  transform: the cross-Gram, O(nnz(X') n) sparse, plus n' n m.
"""

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from attnbench.algorithms.base import N_COMPONENTS, Reducer
from attnbench.algorithms.registry import register
from attnbench.linalg import as_float64, gram, range_eigh


@register("svd")
class SVD(Reducer):
    """Attributes: ``eigenvectors_`` (U_m, n x m), ``singular_values_`` (descending),
    ``X_fit_`` (the training X, by reference) and ``components_`` (W, on request)."""

    family = "exact"
    deterministic = True
    cost_model = "gram"
    _parameter_constraints: ClassVar[dict] = {"n_components": [N_COMPONENTS, None]}

    def __init__(self, n_components=None):
        self.n_components = n_components

    def _fit(self, X, rng):
        lam, U = range_eigh(gram(X))
        lam, U = lam[::-1], U[:, ::-1]
        m = lam.size if self.n_components is None else min(int(self.n_components), lam.size)
        self.eigenvectors_ = np.ascontiguousarray(U[:, :m])
        self.singular_values_ = np.sqrt(lam[:m])
        self.n_components_ = m
        self.X_fit_ = X

    def _fitted_output(self, X):
        return self.eigenvectors_ * self.singular_values_

    def _transform(self, X):
        if X is self.X_fit_:  # the training X: its Y is known exactly
            return self._fitted_output(X)
        cross = as_float64(X) @ as_float64(self.X_fit_).T  # n' x n
        cross = cross.toarray() if sp.issparse(cross) else np.asarray(cross)
        return cross @ (self.eigenvectors_ / self.singular_values_)

    @property
    def components_(self):
        """W = X^T U_m Lambda_m^{-1/2} (d x m dense float64), formed on each request."""
        check_is_fitted(self)
        W = as_float64(self.X_fit_).T @ (self.eigenvectors_ / self.singular_values_)
        return np.asarray(W)
