"""Breaks rule ``attributes``: the README's one-file reducer without its cost_model."""

import scipy.sparse as sp

from attnbench.algorithms import ProjectionReducer


class Halve(ProjectionReducer):
    """Keeps every other feature: Y = X[:, ::2] (m = ceil(d / 2))."""

    name = "broken_no_cost_model"
    family = "projection"
    deterministic = True

    def _make_components(self, X, rng):
        return sp.eye(X.shape[1], format="csc")[:, ::2]
