"""The contract's results: what a rule is (:class:`Check`), what running it gives
(:class:`RuleResult`, :class:`ContractReport`) and the table ``attnbench check`` prints.
The rules themselves are :mod:`attnbench.contract.checks`'s."""

from __future__ import annotations

import unittest
from collections.abc import Callable
from dataclasses import dataclass

PASSED, FAILED, SKIPPED, XFAIL = "passed", "failed", "skipped", "xfail"


class RuleFailure(AssertionError):
    """A contract rule is broken; the message says what was observed."""


class RuleSkipped(unittest.SkipTest):
    """A rule that does not apply to this reducer (pytest reports it as skipped)."""


@dataclass(frozen=True)
class Check:
    """One rule for one reducer: ``check(reducer)`` raises RuleFailure when broken."""

    rule: str
    run: Callable
    expected_failure: str | None = None

    def __call__(self, reducer):
        self.run(reducer)


@dataclass(frozen=True)
class RuleResult:
    rule: str
    status: str
    reason: str = ""

    def __str__(self):
        return f"{self.rule}: {self.status}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class ContractReport:
    """The results of :func:`check_reducer` for one reducer, in battery order."""

    reducer: str
    results: tuple[RuleResult, ...]

    @property
    def failures(self):
        return [r for r in self.results if r.status == FAILED]

    @property
    def passed(self):
        return not self.failures

    def __str__(self):
        verdict = "passes" if self.passed else f"fails {len(self.failures)} rule(s)"
        lines = [f"reducer {self.reducer!r} {verdict} the attnbench contract"]
        return "\n".join(lines + [f"  {r}" for r in self.results if r.status != PASSED])


def run_check(check, reducer):
    """The RuleResult of one Check on one reducer: a crash is a failed rule."""
    try:
        check(reducer)
    except unittest.SkipTest as exc:
        return RuleResult(check.rule, SKIPPED, str(exc))
    except Exception as exc:  # noqa: BLE001 -- a crash is a broken rule, reported as one
        if check.expected_failure:
            return RuleResult(check.rule, XFAIL, check.expected_failure)
        if isinstance(exc, RuleFailure):
            return RuleResult(check.rule, FAILED, str(exc))
        return RuleResult(check.rule, FAILED, f"raised {type(exc).__name__}: {exc}")
    if check.expected_failure:
        return RuleResult(
            check.rule, FAILED, f"expected to fail ({check.expected_failure}) but passed"
        )
    return RuleResult(check.rule, PASSED)


def _one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def report_table(report, *, verbose=False):
    """A rich table of a :class:`ContractReport`: a row per rule with its reason.

    Unless ``verbose``, the scikit-learn checks that pass, skip or fail as expected share
    one summary row, and reasons are cut to one line.
    """
    from rich.markup import escape
    from rich.table import Table

    counts = {
        s: sum(r.status == s for r in report.results) for s in (PASSED, FAILED, SKIPPED, XFAIL)
    }
    title = f"attnbench contract: {report.reducer} ({', '.join(f'{n} {s}' for s, n in counts.items() if n)})"
    table = Table(title=escape(title), title_justify="left")
    table.add_column("rule", overflow="fold")  # a rule id is never cut: CI logs grep it
    table.add_column("result")
    table.add_column("reason")
    style = {PASSED: "green", FAILED: "bold red", SKIPPED: "yellow", XFAIL: "cyan"}
    folded = []
    for result in report.results:
        if not verbose and result.rule.startswith("sklearn:") and result.status != FAILED:
            folded.append(result)
            continue
        reason = result.reason if verbose else _one_line(result.reason)
        table.add_row(
            escape(result.rule), f"[{style[result.status]}]{result.status}[/]", escape(reason)
        )
    if folded:
        others = [
            f"{r.rule[len('sklearn:') :]} {r.status}: {r.reason}"
            for r in folded
            if r.status != PASSED
        ]
        table.add_row(
            f"sklearn: {len(folded)} more checks",
            f"[green]{PASSED}[/]",
            escape(_one_line("; ".join(others)) if others else ""),
        )
    return table
