"""Breaks rule ``output``: Y comes back as float32."""

import numpy as np

from attnbench.algorithms.countsketch import CountSketch


class Float32Output(CountSketch):
    """CountSketch that halves the memory of Y by returning float32."""

    name = "broken_float32_output"

    def transform(self, X):
        return super().transform(X).astype(np.float32)

    def fit_transform(self, X, y=None):
        return super().fit_transform(X).astype(np.float32)
