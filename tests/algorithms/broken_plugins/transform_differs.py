"""Breaks rule ``fit_then_transform``: only fit_transform rescales Y."""

import numpy as np

from attnbench.algorithms.countsketch import CountSketch


class TransformDiffers(CountSketch):
    """CountSketch whose fit_transform divides Y by sqrt(m), and transform does not."""

    name = "broken_transform_differs"

    def fit_transform(self, X, y=None):
        Y = super().fit_transform(X)
        return Y / np.sqrt(max(self.n_components_, 1))
