"""Breaks rules ``bad_input:nan``, ``inf`` and ``nan_sparse``: NaN and inf become 0."""

import numpy as np
import scipy.sparse as sp

from attnbench.algorithms.countsketch import CountSketch


def _zero_non_finite(X):
    if sp.issparse(X):
        X = X.copy()
        X.data = np.nan_to_num(X.data, nan=0.0, posinf=0.0, neginf=0.0)
        return X
    if isinstance(X, np.ndarray) and X.dtype.kind == "f":
        return np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    return X


class AcceptsNaN(CountSketch):
    """CountSketch that silently replaces NaN and inf by 0 before validating X."""

    name = "broken_accepts_nan"

    def fit(self, X, y=None):
        return super().fit(_zero_non_finite(X))

    def fit_transform(self, X, y=None):
        return super().fit_transform(_zero_non_finite(X))
