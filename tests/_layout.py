"""Does a figure read?  :func:`layout_problems` lists, from matplotlib's own bounding
boxes (``get_window_extent`` with the canvas renderer), each legend that leaves its
figure, any two overlapping titles, axis labels or tick labels (and the figure's title
against them), and panels that draw more than MAX_SERIES series.  Shared by the tests of
the report's and the regime analysis' figures."""

import itertools

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex

from attnbench.report import figures

CAP_MARKERS = {"_", "|", 2, 3}  # errorbar caps: part of their series


def _inside(inner, outer, slack=1.0):
    return (
        inner.x0 >= outer.x0 - slack
        and inner.y0 >= outer.y0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y1 <= outer.y1 + slack
    )


def tick_labels(axis):
    """The tick labels an axis draws: those of ticks inside its view interval."""
    low, high = sorted(axis.get_view_interval())
    tiny = 1e-9 * max(abs(low), abs(high))
    labels = []
    for locs, ticks in (
        (axis.get_majorticklocs(), axis.get_major_ticks),
        (axis.get_minorticklocs(), axis.get_minor_ticks),
    ):
        for loc, tick in zip(locs, ticks(len(locs))):
            if low - tiny <= loc <= high + tiny:
                labels += [tick.label1, tick.label2]
    return [t for t in labels if t.get_visible() and t.get_text().strip()]


def _texts(ax):
    """The visible, non-empty texts an axes owns: titles, axis labels, tick labels."""
    texts = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    texts = [t for t in texts if t.get_visible() and t.get_text().strip()]
    return texts + tick_labels(ax.xaxis) + tick_labels(ax.yaxis)


def _overlap(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def series_count(ax):
    """Series drawn in a panel: lines by (colour, style), marker-only lines and scatter
    points by colour unless a line of that colour exists; errorbar caps not counted."""
    styled, markers = set(), set()
    for line in ax.get_lines():
        if line.get_marker() in CAP_MARKERS:
            continue
        colour = to_hex(line.get_color())
        if line.get_linestyle() in ("None", ""):
            markers.add(colour)
        else:
            styled.add((colour, line.get_linestyle()))
    for collection in ax.collections:
        if isinstance(collection, PathCollection):
            colours = collection.get_facecolors()
            colours = colours if len(colours) else collection.get_edgecolors()
            markers |= {to_hex(c) for c in colours}
    return len(styled) + len(markers - {c for c, _ in styled})


def layout_problems(fig):
    """What a reader would trip over in ``fig``, as sentences (empty: none)."""
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    problems = []
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    for legend in legends:
        if not _inside(legend.get_window_extent(renderer), frame):
            problems.append("a legend reaches outside the figure")
    owned = [(i, t, t.get_window_extent(renderer)) for i, ax in enumerate(fig.axes)
             for t in _texts(ax)]  # fmt: skip
    if fig._suptitle is not None and fig._suptitle.get_text():
        owned.append((-1, fig._suptitle, fig._suptitle.get_window_extent(renderer)))
    for (i, a, box_a), (j, b, box_b) in itertools.combinations(owned, 2):
        same_axis = i == j and a in _ticks_of(fig, i, a) and b in _ticks_of(fig, i, a)
        if (i != j or same_axis) and _overlap(box_a, box_b):
            problems.append(f"'{a.get_text()}' overlaps '{b.get_text()}'")
    for _, text, box in owned:
        if not _inside(box, frame):
            problems.append(f"'{text.get_text()}' reaches outside the figure")
    for ax in fig.axes:
        if series_count(ax) > figures.MAX_SERIES:
            problems.append(f"panel '{ax.get_title()}' draws {series_count(ax)} series")
    return problems


def _ticks_of(fig, i, text):
    """The tick labels of the one axis (x or y) of axes ``i`` that ``text`` labels."""
    for axis in (fig.axes[i].xaxis, fig.axes[i].yaxis):
        labels = tick_labels(axis)
        if text in labels:
            return labels
    return []
