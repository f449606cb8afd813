"""The report's figures (matplotlib, Agg canvas, no pyplot state): each function takes a
run's ok cells (with the ``variant`` column of :func:`attnbench.report.tables.prepare_cells`) and
returns a Figure, or None when the run has nothing to draw; :func:`save` writes PNG + SVG.

Rules every figure keeps: at most MAX_SERIES series per panel (callers split
the rest over more figures), facets instead of merged lines, the legend outside the
axes (``layout="constrained"`` makes room for it), and no silent clipping: an error below
ERR_FLOOR (round-off, or exactly 0) is drawn at the floor as an open triangle, and the
legend says so.  Times are medians of a cell's repeats; errors are ``attn_err_over_r``
(attn_err_inf / r).  Log axes throughout: times and errors span decades.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogFormatter,
    LogLocator,
    NullFormatter,
    NullLocator,
)

from attnbench.numbers import count, given, number
from attnbench.paper import ERROR_CONSTANT, PAPER_REGIME_R, SATURATION
from attnbench.report.tables import ERR_FLOOR, dataset_groups, pareto_front

MAX_PANELS = 12
MAX_SERIES = 8
PANEL = (3.3, 2.5)  # inches per facet
MIN_WIDTH = 7.0  # inches
AXIS_NAMES = {"n": "n (tokens)", "d": "d (features)", "nnz": "nnz(X) (nonzeros)"}
_CONFIGURED_AXIS = {"n": "n", "d": "d", "nnz": "density"}  # the config axis that moves it
TIME_LABEL = "time per fit (s, median)"
ERR_LABEL = "attn_err_inf / r"
_MARKERS = "osD^vP*Xh<>p"
FLOOR_HANDLE = Line2D(
    [], [], color="grey", marker="v", mfc="none", ls="", label=f"below {given(ERR_FLOOR)}: at the floor"
)


def text(value):
    """A string safe for matplotlib: '$' would start mathtext."""
    return str(value).replace("$", r"\$")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class PowerFormatter(LogFormatter):
    """Log-axis labels as 64, 2000, 10⁻³ or 3×10⁻³ in plain Unicode: matplotlib's default
    mathtext labels cost seconds of parsing per figure."""

    def _num_to_string(self, x, vmin, vmax):
        if 1 <= x < 1e5:
            return str(round(x)) if float(x).is_integer() else number(x)
        exponent = math.floor(math.log10(x) + 1e-9)
        coefficient = number(x / 10.0**exponent, 2)
        power = "10" + str(exponent).translate(_SUPERSCRIPT)
        return power if coefficient == "1" else f"{coefficient}×{power}"


def log_axes(ax, x=True, y=True, **labels):
    """Log scales with PowerFormatter labels and minor ticks at 2 and 5 only (eight a
    decade cost most of a facet's drawing time), and the axis labels."""
    for on, axis, scale in ((x, ax.xaxis, ax.set_xscale), (y, ax.yaxis, ax.set_yscale)):
        if on:
            scale("log")
            axis.set_major_formatter(PowerFormatter())
            axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
            axis.set_minor_formatter(PowerFormatter(labelOnlyBase=False))
    ax.tick_params(labelsize=8)
    ax.set(**labels)


def _compact(x, _=None):
    """A tick label: powers of 2 from 1024 on as 2ᵏ, other numbers like PowerFormatter."""
    k = math.log2(x) if x > 0 else 0.0
    if x >= 1024 and k.is_integer():
        return "2" + str(int(k)).translate(_SUPERSCRIPT)
    return PowerFormatter()._num_to_string(x, 0, 0)


def sweep_ticks(axis, values, most=5):
    """Major ticks at swept values only: at most ``most``, taken from the largest down
    and at least 1/``most`` of the values' log range apart (lines of several sweeps give
    close values), no minor ticks, labelled by _compact."""
    values = sorted({float(v) for v in values if v > 0}, reverse=True)
    gap = math.log10(values[0] / values[-1]) / most if values else 0.0
    kept = []
    for value in values:
        if not kept or math.log10(kept[-1] / value) >= gap:
            kept.append(value)
    axis.set_major_locator(FixedLocator(sorted(kept[:most])))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(_compact))


def save(fig, folder, name):
    """Write ``name``.png and ``name``.svg (reproducible bytes: no dates, fixed SVG ids)."""
    import matplotlib

    FigureCanvasAgg(fig)
    folder.mkdir(parents=True, exist_ok=True)
    # Lay the figure out once, then freeze it: each savefig would run the layout again.
    fig.canvas.draw()
    fig.set_layout_engine("none")
    with matplotlib.rc_context({"svg.hashsalt": "attnbench", "svg.fonttype": "none"}):
        fig.savefig(folder / f"{name}.png", dpi=100, metadata={"Software": None})
        fig.savefig(folder / f"{name}.svg", metadata={"Date": None, "Creator": None})
    return [folder / f"{name}.png", folder / f"{name}.svg"]


def reducer_styles(reducers):
    """One colour and marker per reducer, fixed by sorted name across every figure."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {
        r: (cmap(i % 10), _MARKERS[i % len(_MARKERS)]) for i, r in enumerate(sorted(set(reducers)))
    }


def chunks(items, size):
    """``items`` in consecutive groups of at most ``size``."""
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


def facets(count, ncols=3, **share):
    """A constrained-layout figure with ``count`` panels of PANEL inches, ``ncols`` a row
    (unused grid places removed)."""
    ncols = max(1, min(ncols, count))
    nrows = math.ceil(count / ncols)
    # at least MIN_WIDTH inches: room for a one-line title and a legend below
    width = max(PANEL[0] * ncols + 0.4, MIN_WIDTH)
    fig = Figure(figsize=(width, PANEL[1] * nrows + 1.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **share).ravel()
    for ax in axes[count:]:
        fig.delaxes(ax)
    return fig, list(axes[:count])


def legend_outside(fig, handles):
    """One figure legend below every panel (on the right it would meet the title), in
    as many columns as the figure's width holds (7-point text: ~0.06 inch a character)."""
    longest = max(len(h.get_label()) for h in handles)
    ncols = int(fig.get_figwidth() // (0.06 * longest + 0.5))
    fig.legend(handles=handles, loc="outside lower center", ncols=max(1, min(ncols, 4)),
               fontsize=7, frameon=False)  # fmt: skip


def _title(keys, names):
    return ", ".join(
        f"{n}={given(v)}" if isinstance(v, float) else f"{n}={v}" for n, v in zip(names, keys)
    )


def _plot_floored(ax, x, err, colour, marker, label, **style):
    """A line of errors; points below ERR_FLOOR drawn at the floor as open triangles.
    Returns whether any point was floored."""
    err = np.asarray(err, float)
    low = ~(err >= ERR_FLOOR)
    shown = np.where(low, ERR_FLOOR, err)
    style = {"ms": 3.5, "lw": 1} | style
    ax.plot(x, shown, color=colour, marker=marker, label=label, **style)
    if low.any():
        ax.plot(np.asarray(x)[low], shown[low], ls="", marker="v", ms=7, mfc="none", color=colour)
    return bool(low.any())


# --- accuracy -----------------------------------------------------------------------------


def error_vs_r(cells, variants, title):
    """attn_err_over_r against r, one panel per (family, n), one line per reducer variant
    of ``variants`` (at most MAX_SERIES - 4), with the m = 0 reducer, the paper's bound
    err = C r (C = ERROR_CONSTANT) and the r/n line (what m = 0 gives in the paper's
    regime), and the regime r < PAPER_REGIME_R shaded."""
    groups = list(cells.groupby(["dataset.family", "dataset.n"], sort=True))[:MAX_PANELS]
    if not groups or not variants:
        return None
    styles = reducer_styles(variants)
    ns = sorted({n for (_, n), _ in groups})
    fig, axes = facets(len(groups), ncols=len(ns) if len(ns) > 1 else 3, sharex=True, sharey=True)
    floored = False
    for ax, ((family, n), part) in zip(axes, groups):
        for variant in variants:
            line = part[part["variant"] == variant].groupby("dataset.r")["attn_err_over_r"]
            if line.ngroups:
                colour, marker = styles[variant]
                median = line.median()
                floored |= _plot_floored(ax, median.index, median, colour, marker, text(variant))
        zero = part[part["reducer"] == "zero"].groupby("dataset.r")["attn_err_over_r"].median()
        if len(zero):
            ax.plot(zero.index, zero.clip(lower=ERR_FLOOR), color="black", ls="--", lw=1.2)
        ax.axhline(ERROR_CONSTANT, color="black", lw=2)
        ax.axhline(1 / n, color="grey", ls=":", lw=1.2)
        ax.axvspan(part["dataset.r"].min() / 1.5, PAPER_REGIME_R, color="tab:green", alpha=0.1)
        log_axes(ax, xlabel="r = ‖XXᵀ‖∞", ylabel=ERR_LABEL)
        ax.set_title(text(_title((family, n), ("family", "n"))), fontsize=9)
        ax.label_outer()
    handles = [
        Line2D([], [], color=styles[v][0], marker=styles[v][1], label=text(v)) for v in variants
    ]
    handles += [
        Line2D([], [], color="black", ls="--", label="zero (m = 0), measured"),
        Line2D([], [], color="black", lw=2, label=f"paper's bound: err = {given(ERROR_CONSTANT)}·r"),
        Line2D([], [], color="grey", ls=":", label="r/n: m = 0 for small r"),
        Patch(color="tab:green", alpha=0.1, label=f"paper's regime r < {given(PAPER_REGIME_R)}"),
    ] + ([FLOOR_HANDLE] if floored else [])  # fmt: skip
    legend_outside(fig, handles)
    fig.suptitle(text(title), fontsize=10)
    return fig


def error_vs_m(cells, highlight=None):
    """The size/accuracy trade-off: attn_err_over_r against m, one panel per dataset
    where some reducer ran at two configured sizes or more (n_components), one line per
    such reducer (by increasing m; at most MAX_SERIES - 2), the m = 0 reducer as a
    dashed reference.  With ``highlight`` (a comparison's candidate), every reducer run at
    a configured size is drawn (the baselines ran at the candidate's m) and the candidate,
    whatever its sizes, as black stars over the others."""
    if "param.n_components" not in cells:
        return None
    least = 2 if highlight is None else 1
    groups = []
    for keys, part in dataset_groups(cells):
        sizes = part.groupby("reducer")["param.n_components"].nunique()
        curves = [r for r in sizes.index[sizes >= least] if r not in ("zero", highlight)]
        curves = curves[: MAX_SERIES - 2 - (highlight is not None)]
        if highlight in set(part["reducer"]):
            curves.append(highlight)
        if curves:
            groups.append((keys, part, curves))
    if not groups:
        return None
    styles = reducer_styles({r for _, _, curves in groups for r in curves} - {highlight})
    styles.update(_highlighted(highlight))
    fig, axes = facets(len(groups[:MAX_PANELS]))
    floored = False
    for ax, (keys, part, curves) in zip(axes, groups):
        for reducer in curves:
            points = part[part["reducer"] == reducer].groupby("m")["attn_err_over_r"].median()
            on_top = {"zorder": 5, "ms": 9} if reducer == highlight else {}
            floored |= _plot_floored(
                ax, points.index, points, *styles[reducer], text(reducer), **on_top
            )
        zero = part.loc[part["reducer"] == "zero", "attn_err_over_r"]
        if len(zero):
            ax.axhline(zero.median(), color="black", ls="--", lw=1.2)
        log_axes(ax, xlabel="m (columns of Y)", ylabel=ERR_LABEL)
        names = ("family", "n", "d", "density", "r")
        ax.set_title(text(_title(keys, names)), fontsize=7)
    handles = [
        Line2D([], [], color=c, marker=m, label=text(_label(r, highlight)))
        for r, (c, m) in styles.items()
    ]
    handles.append(Line2D([], [], color="black", ls="--", label="zero (m = 0)"))
    legend_outside(fig, handles + ([FLOOR_HANDLE] if floored else []))
    fig.suptitle("Error against m: the size/accuracy trade-off (medians)", fontsize=10)
    return fig


def _highlighted(highlight):
    """The style of a comparison's candidate: black stars ({} without one)."""
    return {} if highlight is None else {highlight: ("black", "*")}


def _label(reducer, highlight):
    return f"{reducer} (candidate)" if reducer == highlight else reducer


def m_vs_n(cells, reducers, delta):
    """m against n at the theory's size, one panel per (family, d), a line per reducer
    of ``reducers`` (min-max bars over seeds), with d (where m is capped), SATURATION·d
    (above it the size rule leaves cells out) and the shapes n log(n/δ) and n through
    the first point of ``reducers[0]`` and ``reducers[1]`` (the paper's two algorithms)."""
    part = cells[cells["reducer"].isin(reducers)]
    groups = [
        (k, g) for k, g in part.groupby(["dataset.family", "dataset.d"], sort=True)
        if g["dataset.n"].nunique() >= 3 and g["reducer"].isin(reducers[:2]).any()
    ][:MAX_PANELS]  # fmt: skip
    if not groups:
        return None
    styles = reducer_styles(reducers)
    fig, axes = facets(len(groups))
    for ax, ((family, d), g) in zip(axes, groups):
        for reducer in reducers:
            m = g[g["reducer"] == reducer].groupby("dataset.n")["m"].agg(["median", "min", "max"])
            m = m[m["median"] > 0]
            if m.empty:
                continue
            colour, marker = styles[reducer]
            bars = [m["median"] - m["min"], m["max"] - m["median"]]
            ax.errorbar(m.index, m["median"], yerr=bars, color=colour, marker=marker, ms=3.5,
                        lw=1, capsize=2)  # fmt: skip
        n = np.array(sorted(g["dataset.n"].unique()), float)
        ax.axhline(d, color="black", lw=1)
        ax.axhline(SATURATION * d, color="black", ls=":", lw=1)
        for shape, ls, anchor in (
            (n * np.log(n / delta), "--", reducers[0]),
            (n, "-.", reducers[1]),
        ):
            first = g[(g["reducer"] == anchor) & (g["m"] > 0)].sort_values("dataset.n")
            if len(first):  # the bound's shape through the reducer's first point
                scale = first["m"].iloc[0] / shape[n == first["dataset.n"].iloc[0]][0]
                ax.plot(n, shape * scale, color="grey", ls=ls, lw=1)
        log_axes(ax, xlabel=AXIS_NAMES["n"], ylabel="m (columns of Y)")
        sweep_ticks(ax.xaxis, n)
        ax.set_title(text(_title((family, d), ("family", "d"))), fontsize=9)
    handles = [Line2D([], [], color=c, marker=m, label=text(r)) for r, (c, m) in styles.items()]
    handles += [
        Line2D([], [], color="black", label="d: every column"),
        Line2D([], [], color="black", ls=":", label=f"{given(SATURATION)}·d: size rule stops"),
        Line2D([], [], color="grey", ls="--", label="∝ n log(n/δ) (Thm 1)"),
        Line2D([], [], color="grey", ls="-.", label="∝ n (Thm 2)"),
    ]
    legend_outside(fig, handles)
    fig.suptitle("Columns kept against n at the theory's size (median, min-max)", fontsize=10)
    return fig


def skill_heatmap(cells):
    """Median ``skill`` per reducer variant x dataset family (0 = the m = 0 reducer,
    1 = exact, < 0 = worse than nothing); colours clipped to [-1, 1]."""
    table = cells.pivot_table(
        index="variant", columns="dataset.family", values="skill", aggfunc="median"
    )
    if table.empty:
        return None
    longest = max(len(str(v)) for v in table.index)
    fig = Figure(
        figsize=(2.6 + 0.06 * longest + 1.1 * table.shape[1], 1.4 + 0.32 * table.shape[0]),
        layout="constrained",
    )
    ax = fig.subplots()
    image = ax.imshow(table.to_numpy(), cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [text(c) for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [text(v) for v in table.index], fontsize=7)
    for (i, j), value in np.ndenumerate(table.to_numpy()):
        if np.isfinite(value):
            colour = "white" if abs(value) > 0.6 else "black"
            ax.text(j, i, number(value, 2), ha="center", va="center", fontsize=7, color=colour)
    ax.set(xlabel="dataset family", ylabel="reducer (parameters)")
    fig.colorbar(image, ax=ax, label="skill (median)", shrink=0.8)
    ax.set_title("Skill: 1 − err / err of m = 0 (1 = exact, < 0 worse than nothing)", fontsize=9)
    return fig


# --- speed --------------------------------------------------------------------------------


def time_vs_error(cells, highlight=None):
    """Time against error per dataset (one panel each, the MAX_PANELS with the most
    variants): the Pareto front (nothing both faster and more accurate) as coloured
    points on a step line, at most MAX_SERIES - 2 of them; everything it dominates in grey.
    With ``highlight`` (a comparison's candidate), the front is the other reducers' and
    the candidate's points are black stars on top: a star below the front beats them."""
    by = [b for b in ("dataset.family", "dataset.n", "dataset.d", "dataset.density",
                      "dataset.r") if b in cells]  # fmt: skip
    groups = sorted(dataset_groups(cells), key=lambda g: -g[1]["variant"].nunique())
    groups = sorted(groups[:MAX_PANELS], key=lambda g: g[0])
    if not groups:
        return None
    styles = reducer_styles(set(cells["reducer"]) - {highlight}) | _highlighted(highlight)
    fig, axes = facets(len(groups))
    shown, floored = set(), False
    for ax, (keys, part) in zip(axes, groups):
        points = part.groupby(["reducer", "variant"]).agg(
            err=("attn_err_over_r", "median"), time=("time_median", "median")
        )
        low = ~(points["err"] >= ERR_FLOOR)
        floored |= bool(low.any())
        points["err"] = points["err"].where(~low, ERR_FLOOR)
        mine = points.index.get_level_values("reducer") == highlight
        others = points[~mine]
        front = others.loc[pareto_front(others)].iloc[: MAX_SERIES - 2]
        rest = others.drop(front.index)
        if len(rest):
            ax.scatter(rest["err"], rest["time"], color="lightgrey", s=14, zorder=2)
        ax.step(front["err"], front["time"], where="post", color="black", lw=0.8, zorder=3)
        for (reducer, _), p in pd.concat([front, points[mine]]).iterrows():
            colour, marker = styles[reducer]
            size = 90 if reducer == highlight else 26
            ax.scatter(p["err"], p["time"], color=colour, marker=marker, s=size, zorder=4)
            shown.add(reducer)
        if low.any():
            at_floor = points[low]
            ax.scatter(at_floor["err"], at_floor["time"], marker="v", s=60, facecolors="none",
                       edgecolors="black", zorder=5)  # fmt: skip
        log_axes(ax, xlabel=ERR_LABEL, ylabel=TIME_LABEL)
        names = [b.removeprefix("dataset.") for b in by]
        ax.set_title(text(_title(keys, names)), fontsize=7)
    front_label = "Pareto front" if highlight is None else "the baselines' Pareto front"
    handles = [
        Line2D([], [], color=styles[r][0], marker=styles[r][1], ls="",
               label=text(_label(r, highlight)))
        for r in sorted(shown)
    ] + [
        Line2D([], [], color="black", lw=0.8, label=front_label),
        Line2D([], [], color="lightgrey", marker="o", ls="", label="dominated"),
    ]  # fmt: skip
    legend_outside(fig, handles + ([FLOOR_HANDLE] if floored else []))
    fig.suptitle("Time against error per dataset: lower left is better", fontsize=10)
    return fig


def runtime_scaling(cells, sweeps, fits, models, axis):
    """Median time against the axis from dedicated time sweeps: one panel per reducer
    and group of at most 4 sweep lines (IQR bars of the repeats), each with its fitted
    cost model dashed (``fits``: :attr:`attnbench.analysis.fits.FitReport.fits`, ``models``: reducer
    -> its key there)."""
    panels = []
    for sweep in (s for s in sweeps if s.axis == axis):
        lines = sorted(np.unique(sweep.line))
        panels += [(sweep, group) for group in chunks(lines, MAX_SERIES // 2)]
    if not panels:
        return None
    fig, axes = facets(len(panels[:MAX_PANELS]))
    for ax, (sweep, lines) in zip(axes, panels):
        part = cells.loc[sweep.index].assign(_line=sweep.line)
        # one point per configured value (replicate seeds' nnz differ a little): mean x
        configured = part[f"dataset.{_CONFIGURED_AXIS[axis]}"]
        x = pd.Series(sweep.x, part.index)
        part["_x"] = x.groupby([part["_line"], configured]).transform("mean")
        fit = fits.get(models.get(sweep.reducer))
        labels = [_runtime_line(ax, part[part["_line"] == line], fit, f"C{i}")
                  for i, line in enumerate(lines)]  # fmt: skip
        log_axes(ax, xlabel=AXIS_NAMES[axis], ylabel=TIME_LABEL)
        if axis == "nnz":  # measured, not configured, values: ticks at powers of 10
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            sweep_ticks(ax.xaxis, part.loc[part["_line"].isin(lines), "_x"])
        title = f"{sweep.reducer} along {sweep.label}"
        if len(lines) == 1:  # one line: its name in the title, no legend
            title += f"\n{labels[0]}"
        else:
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
        ax.set_title(text(title), fontsize=8)
    fig.suptitle(
        f"Runtime against {AXIS_NAMES[axis]} (dedicated sweeps; dashed: the fitted cost model)",
        fontsize=10,
    )
    return fig


def _runtime_line(ax, points, fit, colour):
    points = points.sort_values("_x")
    by_x = points.groupby("_x")
    # quartiles and median of every repeat at x pooled (a median of the cells' medians
    # can lie outside the pooled quartiles)
    q1, median, q3 = (by_x["times"].agg(lambda t, q=q: np.percentile(np.concatenate(t.to_list()), q))
                      for q in (25, 50, 75))  # fmt: skip
    first = points.iloc[0]
    label = f"{first['dataset.family']}, m≈{count(points['m'].median())}"
    ax.errorbar(median.index, median, yerr=[median - q1, q3 - median], color=colour, marker="o",
                ms=3, lw=1, capsize=2, label=text(label))  # fmt: skip
    if fit is not None and np.isfinite(fit.constants).all():
        predicted = points.assign(_p=fit.predict(points)).groupby("_x")["_p"].mean()
        ax.plot(predicted.index, predicted, color=colour, ls="--", lw=1)
    return label
