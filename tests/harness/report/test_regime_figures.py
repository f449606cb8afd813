"""The regime figures (attnbench.report.regime_figures) read: constrained layout, legends inside
the figure and off the axes, at most MAX_SERIES lines per panel, every value drawn."""

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from _layout import layout_problems, series_count
from _support import REGIME_NS, crossover_cells, regime_cells
from attnbench.analysis import regime
from attnbench.report import regime_figures


def rendered(fig):
    FigureCanvasAgg(fig).draw()
    return fig, fig.canvas.get_renderer()


def assert_reads(fig):
    """Constrained layout; every legend inside the figure and overlapping no axes."""
    fig, renderer = rendered(fig)
    assert fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"
    box = fig.bbox
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert legends, "a figure with series has a legend"
    for legend in legends:
        extent = legend.get_window_extent(renderer)
        assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, "legend leaves the figure"
        assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, "legend leaves the figure"
        for ax in fig.axes:
            if ax.get_label() != "<colorbar>":
                assert not extent.overlaps(ax.get_window_extent(renderer)), "legend on axes"
    for ax in fig.axes:
        assert series_count(ax) <= regime_figures.MAX_SERIES


def winners(cells, n_boot=50):
    return regime.winners(regime.routes(regime.point_medians(cells), n_boot=n_boot))


def routes(cells, n_boot=50):
    return regime.routes(regime.point_medians(cells), (regime.SKILL_TARGET,), n_boot=n_boot)


def test_regime_map_colours_every_point_and_names_the_winners_by_abbreviation():
    table = winners(regime_cells())
    fig = regime_figures.regime_map(regime.planes(table))
    assert_reads(fig)
    assert not layout_problems(fig)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.texts]
    assert len(labels) == len(table)  # one square per point, none clipped away
    short = regime_figures.abbreviations(set(table["reducer"]))
    assert {label.split("\n")[0] for label in labels} == set(short.values())
    assert all(label.split("\n")[1].startswith("×") for label in labels)  # the payoff
    keyed = {h.get_label() for h in fig.legends[0].legend_handles}
    assert keyed >= {f"{v} = {k}" for k, v in short.items()}


def test_payoff_map_shows_the_best_reducers_payoff():
    table = winners(regime_cells())
    fig = regime_figures.payoff_map(regime.planes(table))
    fig, _ = rendered(fig)
    image = fig.axes[0].get_images()[0]
    values = np.sort(image.get_array().compressed())
    np.testing.assert_allclose(values, np.sort(np.log2(table["best_payoff"])), rtol=1e-9)
    assert not layout_problems(fig)


def test_crossover_draws_every_ratio_and_n_star():
    table = routes(crossover_cells(1000.0, noise=0.05))
    pairs = [("leverage_fast", "svd")]
    curves = regime.ratio_curves(table, pairs)
    fig = regime_figures.crossover(curves, regime.crossover(table, pairs))
    assert_reads(fig)
    (ax,) = fig.axes
    data = ax.get_lines()[0]
    assert list(np.asarray(data.get_xdata(), float)) == list(REGIME_NS)
    np.testing.assert_allclose(np.asarray(data.get_ydata(), float), curves["ratio"])
    assert ax.get_ylim()[0] < curves["ratio"].min() and curves["ratio"].max() < ax.get_ylim()[1]


def test_crossover_with_many_lines_facets_them_and_reads():
    # 10 lines along n (one per density): two panels of at most MAX_SERIES - 1 lines,
    # every figure-level layout rule of the report kept (as in the paper run: 22 lines)
    lines = []
    for i in range(10):
        cells = crossover_cells(100.0 * (i + 2), noise=0.0)
        lines.append(
            cells.assign(**{"dataset.density": 1e-3 * (i + 1), "key": cells["key"] + f"-{i}"})
        )
    table = routes(pd.concat(lines, ignore_index=True), n_boot=20)
    pairs = [("leverage_fast", "svd")]
    fig = regime_figures.crossover(regime.ratio_curves(table, pairs), regime.crossover(table, pairs))
    assert_reads(fig)
    assert len(fig.axes) == 2
    assert sum(series_count(ax) - 1 for ax in fig.axes) == 10  # - the equal-time line
    assert not layout_problems(fig)


def test_auto_sizes_panels_hold_at_most_eight_reducers():
    rows = [
        {"reducer": f"r{i:02d}", "dataset.family": "gaussian", "dataset.n": n,
         "dataset.d": d, "m_auto": float(10 * n * (i + 1)), "cells": 1}
        for i in range(11) for n in (64, 256) for d in (2**12, 2**16)
    ]  # fmt: skip
    sizes = pd.DataFrame(rows)
    sizes["m_auto_over_d"] = sizes["m_auto"] / sizes["dataset.d"]
    sizes["reaches_d"] = sizes["m_auto"] >= sizes["dataset.d"]
    fig = regime_figures.auto_sizes(sizes)
    assert_reads(fig)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 4  # (against n, against d) x (8 reducers, 3 reducers)
    drawn = sorted(line.get_label() for ax in fig.axes for line in ax.get_lines()[:-1])
    assert drawn == sorted([f"r{i:02d}" for i in range(11)] * 2)
    for ax in fig.axes:  # no value outside the axes
        ys = np.concatenate([line.get_ydata() for line in ax.get_lines()[:-1]])
        low, high = ax.get_ylim()
        assert low < ys.min() and ys.max() < high


def test_a_missing_point_is_white_and_a_point_nobody_reaches_is_grey():
    cells = regime_cells().drop(columns=["attend_times", "direct_times"])  # no direct route
    gone = (cells["dataset.n"] == 4096) & (cells["dataset.density"] == 1e-2)
    nobody = (cells["dataset.n"] == 256) & (cells["dataset.density"] == 1e-3)
    cells = cells[~gone]
    cells.loc[nobody & cells["reducer"].isin(["svd", "leverage_fast"]), "skill"] = 0.5
    table = winners(cells)
    fig = regime_figures.regime_map(regime.planes(table))
    fig, _ = rendered(fig)
    (image,) = fig.axes[0].get_images()
    codes = image.get_array()
    assert codes.mask[2, 1] and codes.mask.sum() == 1  # n = 4096, density 1e-2: no cell
    assert codes[0, 0] == 0 and (codes[~codes.mask] > 0).sum() == 4  # n = 256, 1e-3: none
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels.count("none") == 1 and len(labels) == 5
