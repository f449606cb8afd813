"""The figures of the regime analysis (:mod:`attnbench.analysis.regime`): the regime map, the
payoff map, the crossovers at equal error and the auto sizes against n and d.

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

from attnbench.numbers import given, ratio, size
from attnbench.report.figures import MAX_SERIES, chunks, log_axes, text

MAX_PLANES = 4
TICK_POWERS_FROM = 2**14  # smaller powers of two are shown as integers
_NONE = "#cccccc"  # the colour of a point where no variant reached the target
_AXIS_LABELS = {
    "dataset.n": "n (tokens)",
    "dataset.d": "d (features)",
    "dataset.density": "density",
}


ABBREVIATIONS = {
    "direct": "D", "svd": "SVD", "leverage_fast": "LF", "leverage_exact": "LE", "bss": "BSS",
    "countsketch": "CS", "osnap": "OS", "gaussian": "G", "uniform": "U",
    "norm_sampling": "NS", "zero": "0",
}  # fmt: skip


def abbreviations(names):
    """{name: short label}: ABBREVIATIONS, else the name's initials (made unique)."""
    out, used = {}, set()
    for name in sorted(names):
        short = ABBREVIATIONS.get(name) or "".join(w[0] for w in name.split("_")).upper()
        while short in used:
            short += "'"
        out[name] = short
        used.add(short)
    return out


def _cell_text(row, short):
    if not isinstance(row["reducer"], str):
        return "none"
    label = short[row["reducer"]]
    if row.get("tie"):
        label += "=" + "=".join(short[t] for t in str(row["tied_with"]).split(", "))
    payoff = row.get("payoff")
    return f"{label}\n{ratio(payoff, 2)}" if isinstance(payoff, float) and math.isfinite(payoff) else label


def _heatmap_axes(ax, plane, across):
    fixed, value, family, r, part = plane
    rows, cols = sorted(part["dataset.n"].unique()), sorted(part[across].unique())
    ax.set_xticks(range(len(cols)), [size(c, TICK_POWERS_FROM) for c in cols])
    ax.set_yticks(range(len(rows)), [size(n, TICK_POWERS_FROM) for n in rows])
    ax.set(xlabel=_AXIS_LABELS[across], ylabel=_AXIS_LABELS["dataset.n"])
    name = _AXIS_LABELS[fixed].split(" ")[0]
    ax.set_title(text(f"{family}, r={given(r)}, {name}={size(value, TICK_POWERS_FROM)}"),
                 fontsize=9)  # fmt: skip
    return rows, cols


def _key(fig, short, colours, extra):
    """The legend: each colour's route with its abbreviation, then ``extra`` patches."""
    handles = [Patch(color=colours[r], label=text(f"{short[r]} = {r}")) for r in colours]
    fig.legend(handles=handles + extra, loc="outside lower center", fontsize=8,
               ncols=min(len(handles) + len(extra), 4), title="key")  # fmt: skip


def regime_map(planes):
    """One heatmap per plane (:func:`attnbench.analysis.regime.planes`, the first MAX_PLANES): n
    down, the other moving axis across, each square coloured by the fastest route to the
    target error and labelled with its abbreviation (the key names them; 'A=B': a tie,
    the routes' time intervals overlap) and its payoff over the direct route (grey
    'none': no route reached the target; white: the run has no cell there)."""
    planes = planes[:MAX_PLANES]
    if not planes:
        return None
    won = sorted({r for *_, part in planes for r in part["reducer"].dropna()})
    short = abbreviations({r for *_, p in planes for c in ("reducer", "tied_with")
                           for v in p[c].dropna() for r in str(v).split(", ")})  # fmt: skip
    colours = {r: colormaps["tab10"](i % 10) for i, r in enumerate(won)}
    fig = Figure(figsize=(max(6.8, 4.6 * len(planes) + 1.0), 5.0), layout="constrained")
    axes = fig.subplots(1, len(planes), squeeze=False).ravel()
    for ax, plane in zip(axes, planes):
        across = "dataset.density" if plane[0] == "dataset.d" else "dataset.d"
        rows, cols = _heatmap_axes(ax, plane, across)
        # NaN: no cell at that point (white); 0: nothing reached the target (grey)
        codes = np.full((len(rows), len(cols)), np.nan)
        for row in plane[-1].to_dict("records"):
            i, j = rows.index(row["dataset.n"]), cols.index(row[across])
            won_by = row["reducer"]
            codes[i, j] = won.index(won_by) + 1 if isinstance(won_by, str) else 0
            ax.text(j, i, text(_cell_text(row, short)), ha="center", va="center", fontsize=7)
        cmap = ListedColormap([_NONE] + [colours[r] for r in won]).with_extremes(bad="white")
        ax.imshow(np.ma.masked_invalid(codes), cmap=cmap, vmin=0, vmax=len(won), aspect="auto")
    _key(fig, short, colours, [Patch(color=_NONE, label="none reached the target")])
    target = planes[0][-1]["target"].iloc[0] if "target" in planes[0][-1] else math.nan
    fig.suptitle(f"Fastest route to skill >= {given(target)} (label: route, payoff over direct; "
                 "A=B: a tie)", fontsize=10)  # fmt: skip
    return fig


def payoff_map(planes):
    """One heatmap per plane: the payoff of the best reducer over the direct route at
    the target error (direct time / its end-to-end time; log colour scale centred on 1:
    blue, reducing pays; red, it does not), labelled with the reducer's abbreviation
    and the payoff; grey: no reducer reached the target."""
    planes = [p for p in planes[:MAX_PLANES] if p[-1]["best_payoff"].notna().any()]
    if not planes:
        return None
    short = abbreviations({r for *_, p in planes for r in p["best_reducer"].dropna()})
    values = np.concatenate([np.log2(p["best_payoff"].dropna().to_numpy()) for *_, p in planes])
    bound = max(1.0, float(np.abs(values).max()))
    fig = Figure(figsize=(max(6.8, 4.6 * len(planes) + 1.6), 5.0), layout="constrained")
    axes = fig.subplots(1, len(planes), squeeze=False).ravel()
    for ax, plane in zip(axes, planes):
        across = "dataset.density" if plane[0] == "dataset.d" else "dataset.d"
        rows, cols = _heatmap_axes(ax, plane, across)
        grid = np.full((len(rows), len(cols)), np.nan)
        for row in plane[-1].to_dict("records"):
            i, j = rows.index(row["dataset.n"]), cols.index(row[across])
            payoff = row["best_payoff"]
            if isinstance(row["best_reducer"], str) and np.isfinite(payoff):
                grid[i, j] = math.log2(payoff)
                label = f"{short[row['best_reducer']]}\n{ratio(payoff, 2)}"
            else:
                label = "none"
            ax.text(j, i, text(label), ha="center", va="center", fontsize=7)
        image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", vmin=-bound, vmax=bound,
                          cmap=colormaps["RdBu"].with_extremes(bad=_NONE))  # fmt: skip
    fig.colorbar(image, ax=list(axes), label="log2 payoff (> 0: reducing pays)", shrink=0.8)
    key = ", ".join(f"{v} = {k}" for k, v in short.items())
    fig.suptitle(text(f"Payoff of the best reducer over the direct route ({key})"), fontsize=9)
    return fig


def crossover(curves, table):
    """The time ratio t(fast) / t(exact) at equal error against n: one panel per (pair of
    routes, family) and at most MAX_SERIES - 1 lines along n (fixed d and density, each
    with at least 2 n) in it, intervals as bars, the ratio 1 dashed, each n* with its
    interval; panels with fewer than 2 points are left out."""
    if curves.empty:
        return None
    counts = curves.groupby(["fast", "exact", "dataset.family", "dataset.d", "dataset.density"])
    curves = curves[counts["n"].transform("size") >= 2]
    if curves.empty:
        return None
    groups = curves.groupby(["fast", "exact", "dataset.family"], sort=True)
    panels = [
        (key, chunk)
        for key, part in groups
        for chunk in chunks(part.groupby(["dataset.d", "dataset.density"], sort=True), MAX_SERIES - 1)
    ]  # fmt: skip
    fig = Figure(figsize=(7.8, 2.6 * len(panels) + 0.6), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False).ravel()
    for ax, ((fast, exact, family), lines) in zip(axes, panels):
        for i, ((d, density), points) in enumerate(lines):
            _crossover_line(ax, points, table, colormaps["tab10"](i % 10), (fast, exact, family,
                            d, density))  # fmt: skip
        ax.axhline(1.0, color="black", ls="--", lw=1, label="equal time")
        log_axes(ax, xlabel="n (tokens)", ylabel="time ratio at equal error")
        ax.set_title(text(f"{fast} over {exact}, {family}"), fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.suptitle("Time ratios at equal error along n (medians, bars: intervals and n*)",
                 fontsize=10)  # fmt: skip
    return fig


def _crossover_line(ax, points, table, colour, key):
    fast, exact, family, d, density = key
    label = f"d={size(d, TICK_POWERS_FROM)}, density={given(density)}"
    err = [points["ratio"] - points["low"], points["high"] - points["ratio"]]
    ax.errorbar(points["n"], points["ratio"], yerr=np.abs(np.nan_to_num(err)), marker="o", ms=4,
                color=colour, capsize=2, label=text(label))  # fmt: skip
    if table.empty:
        return
    match = table[(table["dataset.family"] == family) & (table["dataset.d"] == d)
                  & (table["dataset.density"] == density) & (table["fast"] == fast)
                  & (table["exact"] == exact)]  # fmt: skip
    for row in match.itertuples():
        if np.isfinite(row.n_star):
            xerr = [[row.n_star - row.ci_low], [row.ci_high - row.n_star]]
            ax.errorbar([row.n_star], [1.0], xerr=np.abs(np.nan_to_num(xerr)), color=colour,
                        marker="|", ms=12, capsize=3, lw=1.5)  # fmt: skip


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
            f"{_AXIS_LABELS[fixed].split(' ')[0]} = {size(value, TICK_POWERS_FROM)}",
            fontsize=9,
        )
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.suptitle("The size each 'auto' bound asks for, over d (above 1: no compression)")
    return fig
