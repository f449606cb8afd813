"""Breaks rule ``seed_dependence``: declares itself randomized, but the seed is fixed."""

import numpy as np

from attnbench.algorithms.countsketch import CountSketch


class FixedSeed(CountSketch):
    """CountSketch that always draws with seed 0, whatever random_state says."""

    name = "broken_fixed_seed"

    def _fit(self, X, rng):
        super()._fit(X, np.random.default_rng(0))
