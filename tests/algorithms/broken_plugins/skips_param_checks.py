"""Breaks rules ``bad_params:*``: n_components, eps and delta are never validated."""

from attnbench.algorithms.countsketch import CountSketch


class SkipsParamChecks(CountSketch):
    """CountSketch whose parameters reach the arithmetic unchecked."""

    name = "broken_skips_param_checks"

    def _check_params(self):
        pass
