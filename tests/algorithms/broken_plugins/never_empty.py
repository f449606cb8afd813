"""Breaks rule ``n_components``: n_components=0 gives one column."""

from attnbench.algorithms.countsketch import CountSketch


class NeverEmpty(CountSketch):
    """CountSketch that keeps at least one column."""

    name = "broken_never_empty"

    def _resolve_n_components(self, n, d):
        return max(1, super()._resolve_n_components(n, d))
