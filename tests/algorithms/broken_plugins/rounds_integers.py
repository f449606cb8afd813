"""Breaks rule ``input_dtypes``: integer X gives a rounded Y."""

import numpy as np

from attnbench.algorithms.gaussian import Gaussian


class RoundsIntegers(Gaussian):
    """Gaussian projection that keeps Y integral when X is integral (as if X held counts)."""

    name = "broken_rounds_integers"

    def fit_transform(self, X, y=None):
        Y = super().fit_transform(X)
        return np.rint(Y) if getattr(X, "dtype", np.dtype(float)).kind in "iu" else Y
