"""Breaks rule ``transform_feature_count``: transform accepts any number of columns."""

from attnbench.algorithms.base import as_dense_output
from attnbench.algorithms.norm_sampling import NormSampling
from attnbench.validation import check_matrix


class NoFeatureCheck(NormSampling):
    """Norm sampling whose transform forgets to compare d with the d seen in fit."""

    name = "broken_no_feature_check"

    def transform(self, X):
        return as_dense_output(self._transform(check_matrix(X)))
