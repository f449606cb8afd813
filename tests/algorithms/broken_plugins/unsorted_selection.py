"""Breaks rule ``sampling_selection``: selected_ is in descending order."""

from attnbench.algorithms.norm_sampling import NormSampling


class UnsortedSelection(NormSampling):
    """Norm sampling that stores its selection last column first."""

    name = "broken_unsorted_selection"

    def _fit(self, X, rng):
        super()._fit(X, rng)
        self.selected_ = self.selected_[::-1]
        self.weights_ = self.weights_[::-1]
