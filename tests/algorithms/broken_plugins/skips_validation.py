"""Breaks every ``bad_input`` rule: X goes through np.asarray, not check_matrix."""

import numpy as np

from attnbench.algorithms import ProjectionReducer


class SkipsValidation(ProjectionReducer):
    """Y = X @ ones(d, 1): one column, the row sums, without validating X."""

    name = "broken_skips_validation"
    family = "projection"
    deterministic = True
    cost_model = "input_sparsity"

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.n_features_in_ = X.shape[1]
        self.components_ = np.ones((X.shape[1], 1))
        self.n_components_ = 1
        return self

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)
