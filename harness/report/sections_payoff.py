"""The report's answer to "does reducing pay off, and which route gives the attention
fastest at equal error" (:mod:`attnbench.analysis.regime`): "Who should use what", which
opens the report, and the regime map with the payoff map and the crossovers.  Sections
register with ``@section`` like those of :mod:`attnbench.report.sections`."""

from __future__ import annotations

import math

from attnbench.analysis import regime
from attnbench.intervals import LEVEL
from attnbench.numbers import count, given, number, percent, span
from attnbench.report import regime_figures
from attnbench.report.context import section
from attnbench.report.render import Bullets, Paragraph

_MEANING = (
    "Payoff: the direct route's time (A(X) computed exactly from X: the sparse Gram for "
    "sparse X, a dense GEMM for dense X, then the softmax) over a route's end-to-end time "
    "(reduce X to Y, then A(Y)); above 1 reducing pays. Equal error: each route is taken "
    "at the cheapest end-to-end time at which it reaches the same skill, interpolated "
    "along its own error-time front over its sizes, never extrapolated "
    f"(targets fixed before the run: skill >= {', '.join(map(given, regime.SKILL_TARGETS))}; "
    f"the map uses {given(regime.SKILL_TARGET)}). svd is the reference for Y, not a way to the "
    "attention (it computes the Gram), so it is never named the route to use."
)


def _span(values, fmt=number):
    """The range of ``values`` (NaN left out; '?' when none is left)."""
    values = sorted({v for v in values if not math.isnan(v)})
    return span(values[0], values[-1], fmt) if values else "?"


def _points(count):
    return f"{count} point" if count == 1 else f"{count} points"


def _regime_key(row):
    dense = row["dataset.density"] >= 1
    return ("dense" if dense else "sparse", row["dataset.family"])


def _regime_where(part):
    d_over_n = part["dataset.d"] / part["dataset.n"]
    where = f"n {_span(part['dataset.n'], count)}, d/n {_span(d_over_n)}"
    if (part["dataset.density"] < 1).any():
        where += f", density {_span(part['dataset.density'])}"
    return where


def _use_sentences(winners):
    """Per regime (format, family) and route named: where, the payoff and the error."""
    out = []
    target = regime.SKILL_TARGET
    for (fmt, family), part in winners.groupby(winners.apply(_regime_key, axis=1), sort=True):
        for route, won in part.groupby(part["winner"].fillna("(none)"), sort=True):
            where = f"{fmt.capitalize()} X ({family}; {_regime_where(won)}; {_points(len(won))})"
            ties = won["tied_with"].dropna()
            tie = (
                f" (tied with {', '.join(sorted(set(ties)))} at {_points(len(ties))})"
                if len(ties)
                else ""
            )
            if route == "(none)":
                out.append(f"{where}: no route reaches skill {given(target)}.")
            elif route == regime.DIRECT:
                best = won["best_payoff"].dropna()
                lost = f"; the best reducer's payoff is ×{_span(best)}" if len(best) else ""
                out.append(f"{where}: compute A(X) directly, reducing does not pay{tie}{lost}.")
            else:
                out.append(
                    f"{where}: use {route}{tie}, payoff ×{_span(won['payoff'])} over the direct "
                    f"route at skill {given(target)} (m ≈ {_span(won['m'], count)})."
                )
    return out


def _paper_sentences(ctx):
    """Where the paper's algorithms are never the route to use, and why."""
    out = []
    table = ctx.routes[ctx.routes["target"] == regime.SKILL_TARGET]
    for name in regime.PAPER:
        mine = table[table["route"] == name]
        if mine.empty:
            continue
        wins = int((ctx.winners["winner"] == name).sum())
        if wins:
            out.append(f"{name} is the route to use at {wins} of {len(ctx.winners)} points.")
            continue
        reached = mine[mine["reached"]]
        why = []
        if len(reached):
            best = ctx.winners.set_index(regime.POINT)["time"]
            slower = reached.set_index(regime.POINT)["time"] / best.reindex(
                reached.set_index(regime.POINT).index)  # fmt: skip
            why.append(f"where it reaches skill {given(regime.SKILL_TARGET)} ({_points(len(reached))}) "
                       f"it is ×{_span(slower.dropna())} slower than the route to use")  # fmt: skip
        missed = mine[~mine["reached"]]
        if len(missed):
            why.append(f"at {_points(len(missed))} it never reaches the target (best skill "
                       f"{_span(missed['skill_best'])})")  # fmt: skip
        out.append(f"{name} (the paper's) is never the route to use: {'; '.join(why)}.")
    return out


def _negative_skill(ctx):
    """Reducer variants whose median skill is below 0 (worse than m = 0) somewhere."""
    cells = ctx.cells[~ctx.cells["reducer"].isin(["zero"])]
    if cells.empty or "skill" not in cells:
        return []
    medians = cells.groupby([*regime.POINT, "variant"], sort=True)["skill"].median().reset_index()
    worse = medians[medians["skill"] < 0]
    out = []
    for variant, part in worse.groupby("variant", sort=True):
        out.append(
            f"{variant} is worse than m = 0 (skill {_span(part['skill'])}) at {_points(len(part))} "
            f"({', '.join(sorted(set(part['dataset.family'])))}; n {_span(part['dataset.n'], count)}, "
            f"density {_span(part['dataset.density'])})."
        )
    return out


def _minilm(ctx):
    cells = ctx.cells[ctx.cells["dataset.family"].astype(str).str.startswith("minilm")]
    if cells.empty:
        return ["This run has no MiniLM attention points: it says nothing about real attention."]
    small = cells[cells["dataset.d"] <= cells["dataset.n"]]
    sketches = small[~small["reducer"].isin([*regime.REFERENCE, "zero"])]
    if sketches.empty:
        return []
    best = sketches.groupby("reducer")["skill"].median()
    reached = best[best >= regime.SKILL_TARGET]
    if len(reached):
        names = ", ".join(reached.index)
        return [f"On MiniLM attention with d ≤ n, {names} reach skill {given(regime.SKILL_TARGET)}."]
    return [
        (
            f"On MiniLM attention (d ≤ n) no sketch reaches skill {given(regime.SKILL_TARGET)}: the "
            f"best is {best.idxmax()} at {number(best.max())}; with d ≤ n there is nothing to reduce."
        )
    ]


@section("Who should use what", 3)
def advice_section(ctx):
    if ctx.winners.empty:
        return []
    timed = "end-to-end" if regime.end_to_end(ctx.cells) else "reducer-only (no A(Y) timed)"
    return [
        Paragraph(f"{_MEANING} Times are {timed}, one BLAS thread as configured."),
        Bullets(
            _use_sentences(ctx.winners)
            + _paper_sentences(ctx)
            + _negative_skill(ctx)
            + _minilm(ctx)
        ),
    ]


def _route_table(routes):
    return routes.drop(columns="replicates")


def end_to_end_frame(routes, target=regime.SKILL_TARGET):
    """One row per point: the direct route's time and each route's payoff over it at the
    target (payoff.ROUTE; nan where the route never reaches the target)."""
    part = routes[routes["target"] == target]
    if part.empty:
        return part
    wide = part.pivot_table(index=regime.POINT, columns="route", values="payoff", dropna=False)
    wide.columns = [f"payoff.{c}" for c in wide.columns]
    direct = part.groupby(regime.POINT)["direct_time"].first()
    return wide.assign(direct_time=direct).reset_index()


@section("Who wins where: the regime map", 35)
def regime_section(ctx):
    table = ctx.winners
    if table.empty:
        return []
    wins = table["winner"].fillna("(none)").value_counts()
    summary = ", ".join(f"{name} {count}" for name, count in wins.items())
    ties = int(table["tie"].fillna(False).astype(bool).sum())
    planes = regime.planes(table)
    blocks = [
        Paragraph(
            f"{_MEANING} Only cells timed in >= {regime.MIN_ROUNDS} rounds count; "
            f"intervals: bootstrap {percent(LEVEL)} over the timed rounds; routes whose intervals "
            f"overlap the winner's are a tie. Points won, of {len(table)}: {summary} "
            f"({ties} ties)."
        ),
        ctx.figure("regime_map", regime_figures.regime_map(planes),
                   "The fastest route to the target at each point; the key names the "
                   "abbreviations; the label gives its payoff over the direct route."),
        ctx.figure("payoff_map", regime_figures.payoff_map(planes),
                   "Payoff of the best reducer over the direct route at the target."),
        ctx.table("regime_map", table, "The fastest route to the target, per point"),
        ctx.table("end_to_end", end_to_end_frame(ctx.routes),
                  "Per point: the direct route's time and each route's payoff at the target"),
        ctx.table("route_times", _route_table(ctx.routes),
                  "Per point, target and route: the end-to-end time to reach the target",
                  inline=False),
    ]  # fmt: skip
    paper = regime.paper_sizes(ctx.points)
    if len(paper):
        blocks.append(ctx.table("paper_sizes", paper, "The paper's algorithms at their theory "
                                "size, and the smallest m that reaches the target"))  # fmt: skip
    return blocks + _crossover_blocks(ctx)


def _crossover_blocks(ctx):
    table = ctx.crossovers
    if table.empty:
        return []
    return [
        Paragraph(
            "Crossovers at equal error: along n, the time of each paper algorithm over that "
            f"of the direct route and of {regime.EXACT}, both at skill {given(regime.SKILL_TARGET)}; "
            f"n* is where the ratio crosses 1 (log-log interpolation), with a bootstrap "
            f"{percent(LEVEL)} interval over the timed rounds. "
            + " ".join(regime.crossover_sentence(row) for row in table.to_dict("records"))
        ),
        ctx.figure(
            "crossover",
            regime_figures.crossover(regime.ratio_curves(ctx.routes), table),
            "Time ratio at equal error against n, per line along n; bars: intervals and n*.",
        ),
        ctx.table("crossover", table, "Crossovers at equal error"),
    ]

