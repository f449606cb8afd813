"""Breaks rule ``output``: Y has one column fewer than n_components_."""

from attnbench.algorithms.countsketch import CountSketch


class WrongShape(CountSketch):
    """CountSketch with an off-by-one slice: the first column of Y is dropped."""

    name = "broken_wrong_shape"

    def _transform(self, X):
        return super()._transform(X)[:, 1:]
