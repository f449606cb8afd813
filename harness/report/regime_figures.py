"""The figures of the regime analysis (:mod:`attnbench.analysis.regime`): the regime map, the
leverage_fast / svd crossover and the auto sizes against n and d.

Each function takes the analysis' tables and returns a matplotlib Figure (Agg canvas,
``layout="constrained"``), or None when there is nothing to draw; at most MAX_SERIES
lines per panel, legends outside the axes, every value drawn (log axes, no clipping).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from attnbench.report.figures import MAX_SERIES, chunks, log_axes, text
from attnbench.report.tables import size_text

MAX_PLANES = 4
TICK_POWERS_FROM = 2**14  # smaller powers of two are shown as integers
_NONE = "#cccccc"  # the colour of a point where no variant reached the target
_AXIS_LABELS = {
    "dataset.n": "n (tokens)",
    "dataset.d": "d (features)",
    "dataset.density": "density",
}


def _cell_text(row):
    if not isinstance(row["reducer"], str):
        return "none"
    margin = "only one" if math.isinf(row["margin"]) else f"x{row['margin']:.2g}"
    return f"{row['reducer']}\n{margin}"


def regime_map(planes):
    """One heatmap per plane (:func:`attnbench.analysis.regime.planes`, the first MAX_PLANES): n
    down, the other moving axis across, each square coloured by the winning reducer and
    labelled with its margin over the runner-up (grey 'none': no variant reached the
    target; white: the run has no cell there)."""
    planes = planes[:MAX_PLANES]
    if not planes:
        return None
    won = sorted({r for *_, part in planes for r in part["reducer"].dropna()})
    colours = {r: colormaps["tab10"](i % 10) for i, r in enumerate(won)}
    fig = Figure(figsize=(max(6.8, 4.6 * len(planes) + 1.0), 4.8), layout="constrained")
    axes = fig.subplots(1, len(planes), squeeze=False).ravel()
    for ax, (fixed, value, family, r, part) in zip(axes, planes):
        across = "dataset.density" if fixed == "dataset.d" else "dataset.d"
        rows, cols = sorted(part["dataset.n"].unique()), sorted(part[across].unique())
        # NaN: no cell at that point (white); 0: nothing reached the target (grey)
        codes = np.full((len(rows), len(cols)), np.nan)
        for row in part.to_dict("records"):
            i, j = rows.index(row["dataset.n"]), cols.index(row[across])
            won_by = row["reducer"]
            codes[i, j] = won.index(won_by) + 1 if isinstance(won_by, str) else 0
            ax.text(j, i, text(_cell_text(row)), ha="center", va="center", fontsize=7)
        cmap = ListedColormap([_NONE] + [colours[r] for r in won]).with_extremes(bad="white")
        ax.imshow(np.ma.masked_invalid(codes), cmap=cmap, vmin=0, vmax=len(won), aspect="auto")
        ax.set_xticks(range(len(cols)), [size_text(c, TICK_POWERS_FROM) for c in cols])
        ax.set_yticks(range(len(rows)), [size_text(n, TICK_POWERS_FROM) for n in rows])
        ax.set(xlabel=_AXIS_LABELS[across], ylabel=_AXIS_LABELS["dataset.n"])
        name = _AXIS_LABELS[fixed].split(" ")[0]
        ax.set_title(
            text(f"{family}, r={r:g}, {name}={size_text(value, TICK_POWERS_FROM)}"), fontsize=9
        )
    handles = [Patch(color=colours[r], label=text(r)) for r in won]
    handles.append(Patch(color=_NONE, label="none reached the target"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4),
               fontsize=8, title="fastest to the target")  # fmt: skip
    fig.suptitle("Fastest to the target error (label: margin over the runner-up)", fontsize=11)
    return fig


def crossover(curves, table):
    """The time ratio t(fast) / t(exact) against n: one panel per (family, variant of the
    fast reducer) and at most MAX_SERIES - 1 lines along n (fixed d and density) in it,
    the ratio 1 dashed, each n* with its interval; one row of panels each, with its
    legend on its right."""
    if curves.empty:
        return None
    groups = curves.groupby(["dataset.family", "fast"], sort=True)
    panels = [
        (family, fast, chunk)
        for (family, fast), part in groups
        for chunk in chunks(part.groupby(["dataset.d", "dataset.density"], sort=True), MAX_SERIES - 1)
    ]  # fmt: skip
    fig = Figure(figsize=(7.8, 2.6 * len(panels) + 0.6), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False).ravel()
    colours = colormaps["tab10"]
    for ax, (family, fast, lines) in zip(axes, panels):
        for i, ((d, density), points) in enumerate(lines):
            label = f"d={size_text(d, TICK_POWERS_FROM)}, density={density:g}"
            (line,) = ax.plot(points["n"], points["ratio"], marker="o", ms=4,
                              color=colours(i % 10), label=text(label))  # fmt: skip
            match = table[
                (table["dataset.family"] == family)
                & (table["dataset.d"] == d)
                & (table["dataset.density"] == density)
                & (table["fast"] == fast)
            ]
            for row in match.itertuples():
                if np.isfinite(row.n_star):
                    err = [[row.n_star - row.ci_low], [row.ci_high - row.n_star]]
                    ax.errorbar([row.n_star], [1.0], xerr=err, color=line.get_color(),
                                marker="|", ms=12, capsize=3, lw=1.5)  # fmt: skip
        ax.axhline(1.0, color="black", ls="--", lw=1, label="equal time")
        log_axes(ax, xlabel="n (tokens)", ylabel="time ratio")
        ax.set_title(text(f"{fast} over the exact route, {family}"), fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.suptitle(
        "Where the randomized algorithm overtakes the exact Gram route (medians; bars: n*)",
        fontsize=10,
    )
    return fig


def auto_sizes(sizes):
    """m_auto / d against n (at the d with the most n) and against d (at the n with the
    most d), one line per reducer (median over dataset families), MAX_SERIES per panel;
    the dashed line m_auto = d: above it the bound does not compress X."""
    if sizes.empty:
        return None
    rows = []  # one row of panels per moving axis, MAX_SERIES reducers per panel
    for moving, fixed in (("dataset.n", "dataset.d"), ("dataset.d", "dataset.n")):
        counts = sizes.groupby(fixed)[moving].nunique()
        if counts.max() >= 2:
            value = counts.idxmax()
            part = sizes[sizes[fixed] == value]
            reducers = sorted(part["reducer"].unique())
            groups = chunks(reducers, MAX_SERIES - 1)  # and the line m_auto = d
            rows.append([(moving, fixed, value, part, group) for group in groups])
    if not rows:
        return None
    ncols = max(len(row) for row in rows)
    fig = Figure(figsize=(5.6 * ncols, 3.8 * len(rows) + 0.4), layout="constrained")
    grid = fig.subplots(len(rows), ncols, squeeze=False)
    for ax in grid.ravel():
        ax.set_visible(False)
    panels = [(grid[i, j], panel) for i, row in enumerate(rows) for j, panel in enumerate(row)]
    for ax, (moving, fixed, value, part, reducers) in panels:
        ax.set_visible(True)
        for reducer in reducers:
            points = part[part["reducer"] == reducer].groupby(moving)["m_auto_over_d"].median()
            ax.plot(points.index, points.values, marker="o", ms=3, label=text(reducer))
        ax.axhline(1.0, color="black", ls="--", lw=1, label="m_auto = d")
        log_axes(ax, xlabel=_AXIS_LABELS[moving], ylabel="m_auto / d")
        ax.set_title(
            f"{_AXIS_LABELS[fixed].split(' ')[0]} = {size_text(value, TICK_POWERS_FROM)}",
            fontsize=9,
        )
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.suptitle("The size each 'auto' bound asks for, over d (above 1: no compression)")
    return fig
