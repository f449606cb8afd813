"""Breaks rule ``no_mutation``: fit rescales the caller's X in place."""

import numpy as np
import scipy.sparse as sp

from attnbench.algorithms.countsketch import CountSketch


class MutatesX(CountSketch):
    """CountSketch that normalises X in place to save a copy."""

    name = "broken_mutates_x"

    def _fit(self, X, rng):
        values = X.data if sp.issparse(X) else X
        if values.size:
            values /= np.abs(values).max()
        super()._fit(X, rng)
