"""Breaks rule ``all_zero_input``: Y is normalised without a guard, so X = 0 gives NaN."""

import numpy as np

from attnbench.algorithms.countsketch import CountSketch


class ZeroGivesNaN(CountSketch):
    """CountSketch with Y scaled to unit Frobenius norm."""

    name = "broken_zero_gives_nan"

    def _transform(self, X):
        Y = super()._transform(X)
        return Y / np.linalg.norm(Y)
