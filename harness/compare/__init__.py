"""The compare stage: a candidate reducer against baselines on a preset's datasets, at
equal m and at equal error (:mod:`.runs` runs it, :mod:`.stats` pairs cells and makes the
verdicts, :mod:`.report` writes the comparison's report)."""

from attnbench.compare.runs import DEFAULT_BASELINES, Comparison, compare, default_out

__all__ = ["DEFAULT_BASELINES", "Comparison", "compare", "default_out"]
