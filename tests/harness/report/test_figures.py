"""Every figure of a report reads: each legend lies inside its figure, no two axes'
titles, axis labels or tick labels overlap (nor the figure's title with any of them, nor
two tick labels of one axis), a panel draws at most 8 series, and errors below the floor
are marked, not clipped silently.  Checked on matplotlib's own bounding boxes
(``get_window_extent`` with the canvas renderer) of every figure the report of a
synthetic paper-shaped run draws."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from _layout import layout_problems
from attnbench.report.figures import _runtime_line


@pytest.fixture(scope="module")
def drawn(synthetic_report):
    """{figure name: Figure} of the synthetic run's report, as saved."""
    return synthetic_report[1]


def test_the_report_draws_its_figures(drawn):
    expected = {"error_vs_r", "m_vs_n", "time_vs_error", "runtime_vs_n", "runtime_vs_d",
                "runtime_vs_nnz", "skill_heatmap"}  # fmt: skip
    assert expected <= set(drawn), sorted(drawn)


def test_every_figure_reads(drawn):
    problems = {name: layout_problems(fig) for name, fig in drawn.items()}
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}


def test_floored_errors_are_marked(drawn):
    # svd's error (1e-15 in the synthetic run) lies below the floor: drawn as open
    # triangles, and the legend says so.
    fig = drawn["error_vs_r"]
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any("at the floor" in label for label in labels)
    triangles = [line for ax in fig.axes for line in ax.get_lines() if line.get_marker() == "v"]
    assert triangles and all(line.get_markerfacecolor() == "none" for line in triangles)


def test_the_checks_catch_a_figure_that_does_not_read():
    fig = Figure(figsize=(4, 3))
    left, right = fig.subplots(1, 2)
    for ax in (left, right):
        ax.set_title("a long title that runs into its neighbour")
        for i in range(9):
            ax.plot([0, 1], [i, i + 1], label=f"series {i}")
    left.legend(loc="upper left", bbox_to_anchor=(1.5, 1.5))
    problems = " ".join(layout_problems(fig))
    assert "legend reaches outside" in problems
    assert "overlaps" in problems
    assert "draws 9 series" in problems


def test_a_runtime_point_is_the_median_of_every_repeat_at_its_x():
    # Two cells at one x: the median of their medians (5) lies above the pooled third
    # quartile (4); the point is the pooled median, inside its whiskers.
    points = pd.DataFrame({
        "_x": [1.0, 1.0], "time_median": [2.0, 8.0], "m": [4, 4], "dataset.family": ["sparse"] * 2,
        "times": [np.array([1.0, 2.0, 3.0, 4.0, 4.0]), np.array([1.0, 1.0, 1.0, 1.0, 8.0])],
    })  # fmt: skip
    ax = Figure().add_subplot()
    _runtime_line(ax, points, None, "C0")
    line = ax.get_lines()[0]  # the data line (then the caps)
    assert line.get_ydata()[0] == np.median(np.concatenate(points["times"].to_list()))
