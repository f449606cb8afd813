"""Breaks rule ``bad_params:candidates``: every parameter but candidates is validated."""

from attnbench.algorithms.bss import BSS
from attnbench.validation import check_params


class SkipsOneParam(BSS):
    """BSS whose own parameter check forgets ``candidates`` (any value but "shortlist"
    then silently scores every column)."""

    name = "broken_skips_one_param"

    def _check_params(self):
        declared = {k: v for k, v in self._parameter_constraints.items() if k != "candidates"}
        check_params(self.get_params(deep=False), declared)
