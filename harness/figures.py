"""The report's figures (matplotlib, Agg canvas, no pyplot state): each function takes a
run's ok cells (with the ``variant`` column of :func:`attnbench.tables.prepare_cells`) and
returns a Figure, or None when the run has nothing to draw; :func:`save` writes PNG + SVG.

Times are medians of a cell's repeats; errors are ``attn_err_over_r`` (attn_err_inf / r).
Log axes throughout: times and errors span decades.  Errors below ERR_FLOOR (the exact
reducers' round-off, or exactly 0) are drawn at ERR_FLOOR, so they stay visible without
squeezing the approximate reducers into a sliver of the axis.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogFormatter

from attnbench.claims import PAPER_REGIME_R
from attnbench.tables import ERR_FLOOR, pareto_front

MAX_PANELS = 12
AXIS_NAMES = {"n": "n (tokens)", "d": "d (features)", "nnz": "nnz(X) (nonzeros)"}
TIME_LABEL = "time per fit_transform (s, median)"
ERR_LABEL = "attn_err_inf / r"
_GUIDE_STYLES = {"randomized": "--", "deterministic": ":"}
_MARKERS = "osD^vP*Xh<>p"


def text(value):
    """A string safe for matplotlib: '$' would start mathtext."""
    return str(value).replace("$", r"\$")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class PowerFormatter(LogFormatter):
    """Log-axis labels as 64, 2000, 10⁻³ or 3×10⁻³ in plain Unicode: matplotlib's default
    mathtext labels cost seconds of parsing per figure."""

    def _num_to_string(self, x, vmin, vmax):
        if 1 <= x < 1e5 and float(x).is_integer():
            return f"{x:.0f}"
        exponent = math.floor(math.log10(x) + 1e-9)
        coefficient = round(x / 10.0**exponent)
        power = "10" + str(exponent).translate(_SUPERSCRIPT)
        return power if coefficient == 1 else f"{coefficient}×{power}"


def log_axes(ax, x=True, y=True, **labels):
    """Log scales with PowerFormatter labels, and the axis labels."""
    for on, axis, scale in ((x, ax.xaxis, ax.set_xscale), (y, ax.yaxis, ax.set_yscale)):
        if on:
            scale("log")
            axis.set_major_formatter(PowerFormatter())
            axis.set_minor_formatter(PowerFormatter(labelOnlyBase=False))
    ax.set(**labels)


def save(fig, folder, name):
    """Write ``name``.png and ``name``.svg (reproducible bytes: no dates, fixed SVG ids)."""
    import matplotlib

    FigureCanvasAgg(fig)
    folder.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({"svg.hashsalt": "attnbench", "svg.fonttype": "none"}):
        fig.savefig(folder / f"{name}.png", dpi=100, metadata={"Software": None})
        fig.savefig(folder / f"{name}.svg", metadata={"Date": None, "Creator": None})
    return [folder / f"{name}.png", folder / f"{name}.svg"]


def reducer_styles(reducers):
    """One colour and marker per reducer, fixed by sorted name across every figure."""
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return {
        r: (cmap(i % 20), _MARKERS[i % len(_MARKERS)]) for i, r in enumerate(sorted(set(reducers)))
    }


def _panels(count, ncols=3, size=(4.3, 3.3), bottom=0.0):
    """A grid of ``count`` panels of ``size`` inches, with fixed margins (a layout
    engine would cost more than the drawing) and ``bottom`` extra inches for a legend."""
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    width, height = size[0] * ncols, size[1] * nrows + 0.45 + bottom
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(
        left=1.0 / width,
        right=1 - 0.15 / width,
        top=1 - 0.6 / height,
        bottom=(0.55 + bottom) / height,
        wspace=0.5,
        hspace=0.6,
    )
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, list(axes[:count])


def _m_label(m):
    return f"m={m:g}" if np.isfinite(m) else "m=?"


def runtime_scaling(cells, sweeps, predictions, axis):
    """Median time vs the axis, one panel per reducer, one line per sweep line (IQR bars),
    with each cost model's asymptotic slope as a guide line through the data's centre."""
    mine = [s for s in sweeps if s.axis == axis]
    if not mine:
        return None
    fig, axes = _panels(len(mine))
    for ax, sweep in zip(axes, mine):
        part = cells.loc[sweep.index].assign(_x=sweep.x, _line=sweep.line)
        for _, points in part.groupby("_line", sort=True):
            points = points.sort_values("_x")
            label = f"{points['dataset.family'].iloc[0]}, {_m_label(points['m'].median())}"
            q1, q3 = np.array([np.percentile(t, [25, 75]) for t in points["times"]]).T
            ax.errorbar(
                points["_x"],
                points["time_median"],
                yerr=[points["time_median"] - q1, q3 - points["time_median"]],
                marker="o",
                ms=3,
                lw=1,
                capsize=2,
                label=text(label),
            )
        centre_x = math.exp(np.log(part["_x"]).mean())
        centre_t = math.exp(np.log(part["time_median"]).mean())
        xs = np.array([part["_x"].min(), part["_x"].max()])
        guides = predictions[
            (predictions["reducer"] == sweep.reducer) & (predictions["axis"] == sweep.label)
        ]
        drawn = set()
        for g in guides.itertuples():
            key = (g.model, round(g.asymptotic_slope, 3))
            if key in drawn:
                continue
            drawn.add(key)
            ax.plot(
                xs,
                centre_t * (xs / centre_x) ** g.asymptotic_slope,
                ls=_GUIDE_STYLES.get(g.model, "-."),
                color="grey" if g.omega == 3 else "black",
                lw=1,
                alpha=0.7,
                label=text(f"{g.label}: slope {g.asymptotic_slope:.2f}"),
            )
        log_axes(ax, xlabel=AXIS_NAMES[axis], ylabel=TIME_LABEL)
        ax.set_title(text(f"{sweep.reducer} vs {sweep.label}"), fontsize=10)
        ax.legend(fontsize=6, loc="best")
    fig.suptitle(f"Runtime vs {AXIS_NAMES[axis]}: measured (points) and cost-model slopes")
    return fig


def _shade_paper_regime(ax, r_values):
    low = min(r_values.min(), PAPER_REGIME_R) / 1.5
    label = f"paper's regime r < {PAPER_REGIME_R:g}"
    ax.axvspan(low, PAPER_REGIME_R, color="tab:green", alpha=0.1, label=label)


def error_vs_r(cells):
    """attn_err_over_r vs r, one panel per reducer, a line per (family, variant), with the
    m = 0 reducer as the reference line and the paper's regime r < PAPER_REGIME_R shaded."""
    others = sorted(set(cells["reducer"]) - {"zero"})
    if not others:
        return None
    err = cells.assign(_err=cells["attn_err_over_r"].clip(lower=ERR_FLOOR))
    zero = err[err["reducer"] == "zero"].groupby("dataset.r")["_err"].median()
    fig, axes = _panels(len(others))
    for ax, reducer in zip(axes, others):
        part = err[err["reducer"] == reducer]
        for (family, _), line in part.groupby(["dataset.family", "variant"], sort=True):
            points = line.groupby("dataset.r").agg(err=("_err", "median"), m=("m", "median"))
            ax.plot(
                points.index,
                points["err"],
                marker="o",
                ms=3,
                lw=1,
                label=text(f"{family}, {_m_label(points['m'].median())}"),
            )
        if len(zero):
            ax.plot(zero.index, zero.values, color="black", ls="--", lw=1.2, label="zero (m=0)")
        _shade_paper_regime(ax, err["dataset.r"])
        log_axes(ax, xlabel="r = ||XX^T||_inf", ylabel=ERR_LABEL)
        ax.set_title(text(reducer), fontsize=10)
        ax.legend(fontsize=6, loc="best")
    fig.suptitle("Attention error over r vs r (median over datasets and seeds)")
    return fig


def _figure_per_dataset(cells, by):
    """(figure, axes, [(keys, cells)], panels left out, reducer styles): one panel per
    group of ``by`` (the MAX_PANELS most crowded), room below for a shared legend."""
    groups = list(cells.groupby(by, sort=True))
    if not groups:
        return None
    groups.sort(key=lambda g: -g[1]["variant"].nunique())
    shown = sorted(groups[:MAX_PANELS], key=lambda g: g[0])
    fig, axes = _panels(len(shown), bottom=0.5)
    return fig, axes, shown, len(groups) - len(shown), reducer_styles(cells["reducer"])


def _panel_title(keys, names):
    return ", ".join(
        f"{n}={v:g}" if isinstance(v, float) else f"{n}={v}" for n, v in zip(names, keys)
    )


def error_vs_m(cells, highlight=None):
    """The trade-off: attn_err_over_r vs m, one panel per (family, r), a line per reducer
    (its variants by increasing m), the m = 0 reducer as a horizontal reference; the
    reducer ``highlight`` (a comparison's candidate) in black stars, on top."""
    figure = _figure_per_dataset(cells, ["dataset.family", "dataset.r"])
    if figure is None:
        return None
    fig, axes, panels, hidden, styles = figure
    for ax, (keys, part) in zip(axes, panels):
        part = part.assign(_err=part["attn_err_over_r"].clip(lower=ERR_FLOOR))
        for reducer, rows in part.groupby("reducer", sort=True):
            points = rows.groupby("variant").agg(m=("m", "median"), err=("_err", "median"))
            points = points.sort_values("m")
            if reducer != highlight and (reducer == "zero" or (points["m"] <= 0).all()):
                ax.axhline(
                    points["err"].median(), color="black", ls="--", lw=1.2, label="zero (m=0)"
                )
                continue
            points = points[points["m"] > 0]
            colour, marker, scale, order = _style(styles, reducer, highlight)
            ax.plot(
                points["m"],
                points["err"],
                marker=marker,
                color=colour,
                ms=4 * scale,
                lw=scale,
                zorder=order,
                label=text(reducer),
            )
        log_axes(ax, xlabel="m (columns of Y)", ylabel=ERR_LABEL)
        ax.set_title(text(_panel_title(keys, ["family", "r"])), fontsize=10)
    _legend_below(
        fig,
        styles,
        Line2D([], [], color="black", ls="--", label="zero (m=0)"),
        skip={"zero"} - {highlight},
        highlight=highlight,
    )
    more = f" ({hidden} more panels in the tables)" if hidden else ""
    fig.suptitle(f"Error vs m: the size/accuracy trade-off (median over datasets){more}")
    return fig


def _style(styles, reducer, highlight, zorder=2):
    """(colour, marker, size factor, zorder): the highlighted reducer as big black stars
    drawn over the others (``zorder``)."""
    if reducer == highlight:
        return "black", "*", 2.2, zorder + 3
    return (*styles[reducer], 1.0, zorder)


def _legend_below(fig, styles, extra, skip=(), highlight=None):
    handles = []
    for reducer in styles:
        if reducer not in skip:
            colour, marker, scale, _ = _style(styles, reducer, highlight)
            label = f"{reducer} (candidate)" if reducer == highlight else reducer
            handles.append(
                Line2D([], [], color=colour, marker=marker, ms=6 * scale, ls="", label=text(label))
            )
    handles.append(extra)
    fig.legend(handles=handles, loc="lower center", ncols=min(len(handles), 7), fontsize=7)


def time_vs_error(cells, highlight=None):
    """Time vs error per dataset (ann-benchmarks' recall vs QPS): one point per reducer
    variant, the Pareto front (nothing both faster and more accurate) as a step line.
    With ``highlight`` (a comparison's candidate), its points are black stars on top and
    the front is the other reducers' (grey): a star below it beats them there."""
    by = ["dataset.family", "dataset.n", "dataset.d", "dataset.density", "dataset.r"]
    by = [b for b in by if b in cells]
    figure = _figure_per_dataset(cells, by)
    if figure is None:
        return None
    fig, axes, panels, hidden, styles = figure
    front_colour = "black" if highlight is None else "grey"
    for ax, (keys, part) in zip(axes, panels):
        points = part.groupby(["reducer", "variant"]).agg(
            err=("attn_err_over_r", "median"), time=("time_median", "median")
        )
        points["err"] = points["err"].clip(lower=ERR_FLOOR)
        for (reducer, _), p in points.iterrows():
            colour, marker, scale, order = _style(styles, reducer, highlight, zorder=3)
            ax.scatter(
                p["err"], p["time"], color=colour, marker=marker, s=22 * scale**2, zorder=order
            )
        others = points[points.index.get_level_values("reducer") != highlight]
        front = others.loc[pareto_front(others)]
        ax.step(
            front["err"], front["time"], where="post", color=front_colour, lw=1, alpha=0.6, zorder=2
        )
        log_axes(ax, xlabel=ERR_LABEL, ylabel=TIME_LABEL)
        ax.set_title(text(_panel_title(keys, [b.removeprefix("dataset.") for b in by])), fontsize=8)
    label = "Pareto front" if highlight is None else "the baselines' Pareto front"
    _legend_below(
        fig, styles, Line2D([], [], color=front_colour, lw=1, label=label), highlight=highlight
    )
    more = f" ({hidden} more datasets in the tables)" if hidden else ""
    fig.suptitle(f"Time vs error per dataset: lower-left is better{more}")
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
            ax.text(
                j,
                i,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if abs(value) > 0.6 else "black",
            )
    ax.set(xlabel="dataset family", ylabel="reducer (parameters)")
    fig.colorbar(image, ax=ax, label="skill (median)", shrink=0.8)
    ax.set_title("Skill: 1 - err / err of m = 0 (1 = exact, < 0 worse than nothing)", fontsize=9)
    return fig
