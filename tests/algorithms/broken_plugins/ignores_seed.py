"""Breaks rule ``seeded_determinism``: draws from an unseeded generator."""

import numpy as np

from attnbench.algorithms.countsketch import CountSketch


class IgnoresSeed(CountSketch):
    """CountSketch that ignores random_state."""

    name = "broken_ignores_seed"

    def _fit(self, X, rng):
        super()._fit(X, np.random.default_rng())
