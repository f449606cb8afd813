"""Breaks rule ``params_declared``: a constructor parameter without declared constraints."""

from attnbench.algorithms.uniform import Uniform


class UndeclaredParam(Uniform):
    """Uniform sampling with a ``scale`` parameter that ``_parameter_constraints`` (the
    one of SizedReducer, inherited) does not declare, so no value of it is ever checked."""

    name = "broken_undeclared_param"

    def __init__(self, n_components="auto", eps=0.5, delta=0.1, scale=1.0, random_state=None):
        super().__init__(n_components, eps, delta, random_state)
        self.scale = scale

    def _fit(self, X, rng):
        super()._fit(X, rng)
        self.weights_ = self.weights_ * self.scale
