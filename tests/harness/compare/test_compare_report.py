"""The compare report: findings with numbers first, the verdict table, the candidate
highlighted on the time-error and error-vs-m figures, the command and the machine."""

import dataclasses

import pandas as pd
import pytest

from _support import HOSTILE, comparison_cells
from attnbench.compare.report import write_comparison
from attnbench.report import figures
from attnbench.report.tables import prepare_cells


@pytest.fixture(scope="module")
def report(tiny_comparison, tmp_path_factory):
    _, result = tiny_comparison
    return write_comparison(result, tmp_path_factory.mktemp("compare-report")), result


def test_the_report_leads_with_findings_then_the_verdict(report):
    out, result = report
    markdown = (out / "REPORT.md").read_text()
    sections = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Findings",
        "## Verdict",
        "## The candidate among the baselines",
        "## How it was run",
    ]
    findings = markdown.split("## Findings")[1].split("## Verdict")[0]
    assert "test_bad_uniform (m = " in findings and "12 datasets" in findings
    overall = result.verdict.set_index(["baseline", "family"]).loc[("leverage_exact", "all")]
    assert (
        f"Against leverage_exact: error ratio at equal m {overall['error_ratio']:.3g} [" in findings
    )
    assert "| baseline | family | seeds |" in markdown


def test_the_report_gives_the_command_and_the_machine(report):
    out, result = report
    markdown = (out / "REPORT.md").read_text()
    assert f"~~~~bash\n{result.command}\n~~~~" in markdown
    assert result.command.startswith("attnbench compare ") and "--preset" in result.command
    fingerprint = result.info["fingerprint"]
    assert f"machine: {fingerprint['cpu']}, {fingerprint['cores']} cores" in markdown
    assert f"commit {fingerprint['git_commit']}" in markdown
    sizes = ", ".join(map(str, result.reruns["families"]["leverage_exact"].sizes))
    assert f"families: leverage_exact at n_components = {sizes}" in markdown


def test_the_report_writes_its_tables_and_figures(report):
    out, result = report
    written = pd.read_csv(out / "tables" / "verdict.csv")
    assert list(written.columns) == list(result.verdict.columns)
    assert len(pd.read_csv(out / "tables" / "pairs.csv")) == len(result.pairs)
    assert len(pd.read_csv(out / "tables" / "cells.csv")) == len(result.cells)
    assert (out / "tables" / "verdict.md").read_text().startswith("| baseline | family |")
    for name in ("time_vs_error", "error_vs_m"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (out / "figures" / f"{name}.svg").is_file()


def test_names_that_are_html_are_shown_as_text(tiny_comparison, tmp_path):
    _, result = tiny_comparison
    cells = result.cells.assign(reducer=result.cells["reducer"].replace(result.candidate, HOSTILE))
    hostile = dataclasses.replace(result, candidate=HOSTILE, cells=cells)
    page = (write_comparison(hostile, tmp_path) / "index.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert" in page


FIGURE_CELLS = [
    ("fast", 8, 0.1, 1.0, 8),
    ("slow", 8, 0.01, 10.0, 8),
    ("cand", 8, 0.05, 0.5, 8),  # faster than both: it would lead the front
]


def figure_cells():
    cells = prepare_cells(comparison_cells(FIGURE_CELLS))
    return cells.assign(**{"dataset.n": 16, "dataset.density": 1.0, "dataset.d": 1024})


def test_time_vs_error_highlights_the_candidate_against_the_baselines_front():
    plain = figures.time_vs_error(figure_cells()).axes[0]
    (front,) = [line for line in plain.lines if line.get_drawstyle() == "steps-post"]
    assert sorted(front.get_xdata()) == [0.01, 0.05]  # the candidate leads the front
    ax = figures.time_vs_error(figure_cells(), highlight="cand").axes[0]
    (front,) = [line for line in ax.lines if line.get_drawstyle() == "steps-post"]
    assert sorted(front.get_xdata()) == [0.01, 0.1]  # the baselines' front only
    stars = [c for c in ax.collections if tuple(c.get_offsets()[0]) == (0.05, 0.5)]
    assert len(stars) == 1 and tuple(stars[0].get_facecolor()[0]) == (0, 0, 0, 1)
    assert stars[0].get_sizes()[0] > 22  # bigger than the baselines' points


def test_error_vs_m_highlights_the_candidate():
    fig = figures.error_vs_m(figure_cells(), highlight="cand")
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_label() == "cand"]
    assert line.get_color() == "black" and line.get_marker() == "*"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "cand (candidate)" in legend and "fast" in legend
