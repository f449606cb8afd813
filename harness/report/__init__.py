"""The report stage: tables, figures and sentences of a stored run, rendered to Markdown
and HTML.  :func:`report` writes the report of a run in a store; :func:`build_report`
writes it from cells and run info already read."""

# the section modules register their sections on import
from attnbench.report import sections, sections_beyond, sections_payoff  # noqa: F401
from attnbench.report.context import build_report, report

__all__ = ["build_report", "report"]
