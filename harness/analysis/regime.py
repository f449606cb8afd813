"""Where reducing pays off, and which route gives the attention fastest at equal error,
from a stored run's cells (pure functions on the frame of
:func:`attnbench.report.tables.prepare_cells`; ok, symmetric cells).

End-to-end time.  A reducer's route to the attention is reduce + attend: its fit time
plus the time of A(Y) from its Y (``attend_times``, stored per cell by the runner).  The
*direct* route computes A(X) exactly from X (sparse Gram or dense GEMM, then the
softmax; ``direct_times``, per dataset).  A route's *payoff* is direct / (reduce +
attend): above 1 reducing pays.  ``svd`` is the reference for Y, never a faster way to
the attention (it computes the Gram, A(X)'s own cost): it is shown with its payoff
(<= 1 within noise) but never named the route to use (REFERENCE).  A run stored without
end-to-end times (setting ``attend = false``, or an older run) compares reducer times.

Equal error.  The targets are fixed before any run: skill >= each of SKILL_TARGETS
(skill = 1 - err / err(m = 0) at the same point, so a skill target is an error target);
the map and the crossovers use SKILL_TARGET.  A *point* is one dataset setting
(family, r, n, d, density; seeds and draws pooled, medians over its cells); a route's
variants are its sizes.  Per point and route, the cheapest end-to-end time to reach
the target along the route's own error-time front (:mod:`attnbench.analysis.equal_error`:
interpolated, never extrapolated; a route that never reaches it says so, with its best
skill).  Intervals: a percentile bootstrap (:mod:`attnbench.intervals`) that resamples
every cell's timed rounds (reduce, attend and direct).  The winner at a point is the
fastest route to the target; when its interval overlaps the runner-up's, the point is
a *tie* (every route overlapping the winner is named).  Only cells timed in at least
MIN_ROUNDS rounds and run alone count.  A *plane* is a 2-D grid of points: (n, density)
at a fixed d, or (n, d) at a fixed density.

Crossover.  Along n, with everything else fixed, the ratio of two routes' times at the
target (each of PAPER against the direct route and against svd) is interpolated
log-linearly; n* is where it crosses 1, with its bootstrap interval.  Only the n where
both routes reach the target are compared; the others are listed.

Auto sizes.  ``m_auto`` is the m a reducer's 'auto' bound asks for (stored per cell);
m_auto / d >= 1 means the bound does not compress X.  Per reducer and n, the onset is
the smallest stored d from which on every stored d has m_auto < d.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from attnbench.analysis.equal_error import at_target
from attnbench.intervals import LEVEL, percentile_bootstrap
from attnbench.numbers import count, given, interval, number, percent, size
from attnbench.paper import ran_alone

SKILL_TARGETS = (0.5, 0.9, 0.99)  # stated before any run: the equal-error levels
SKILL_TARGET = 0.9  # the level of the map and the crossovers
MIN_ROUNDS = 3
N_BOOT = 400  # resamples per route and point (the report computes hundreds of them)
POINT = ["dataset.family", "dataset.r", "dataset.n", "dataset.d", "dataset.density"]
DIRECT = "direct"  # the route that computes A(X) exactly from X
REFERENCE = ("svd",)  # routes to Y that compute the Gram first: never the route to use
PAPER = ("leverage_fast", "bss")  # the paper's algorithms
FAST, EXACT = "leverage_fast", "svd"
CROSSOVER_PAIRS = tuple((fast, exact) for fast in PAPER for exact in (DIRECT, EXACT))


def _rounds(cells, column):
    if column in cells:
        return cells[column].map(lambda t: list(t) if isinstance(t, list | tuple) else [])
    return pd.Series([[] for _ in range(len(cells))], index=cells.index, dtype=object)


def end_to_end(cells):
    """Whether the cells carry end-to-end times (any cell timed A(Y))."""
    return bool(len(cells)) and bool(_rounds(cells, "attend_times").map(len).gt(0).any())


def timed_cells(cells):
    """The cells whose time counts: ok, at least MIN_ROUNDS timed rounds, run alone (a
    cell that shared its machine with others, concurrency > 1, is not timed cleanly),
    and, in a run with end-to-end times, with A(Y) timed.  Adds ``attend`` (the A(Y)
    rounds; [0] when the run has none) and ``direct`` (the direct route's rounds)."""
    rounds = cells["times"].map(len)
    keep = (cells["status"] == "ok") & (rounds >= MIN_ROUNDS) & ran_alone(cells)
    attend, direct = _rounds(cells, "attend_times"), _rounds(cells, "direct_times")
    if end_to_end(cells):
        keep &= attend.map(len) > 0
    else:
        attend = attend.map(lambda _: [0.0])
    out = cells[keep].copy()
    out["attend"], out["direct"] = attend[keep], direct[keep]
    return out


def _theory(part):
    """Whether a variant runs at its theory size (no n_components given, or 'auto')."""
    sizes = part.get("param.n_components", pd.Series(math.nan, index=part.index))
    return bool(sizes.map(lambda v: v is None or v == "auto" or (
        isinstance(v, float) and math.isnan(v))).all())  # fmt: skip


def _cell_time(reduce, attend):
    return float(np.median(reduce)) + float(np.median(attend))


def point_medians(cells):
    """One row per (point, route variant): medians over its cells of the end-to-end
    time (``time``), the reducer's (``reduce_time``) and A(Y)'s (``attend_time``), skill,
    err/r and m, the cells' rounds (``rounds``: [(reduce, attend)] per cell), whether it
    runs at its theory size; and per point one ``direct`` row (skill 1) where the run
    timed the direct route."""
    timed = timed_cells(cells)
    rows = []
    for key, part in timed.groupby([*POINT, "reducer", "variant"], sort=True):
        rounds = list(zip(part["times"], part["attend"]))
        rows.append(dict(zip([*POINT, "reducer", "variant"], key)) | {
            "time": float(np.median([_cell_time(*r) for r in rounds])),
            "reduce_time": float(part["time_median"].median()),
            "attend_time": float(np.median([np.median(a) for _, a in rounds])),
            "skill": float(part["skill"].median()),
            "err_over_r": float(part["attn_err_over_r"].median()),
            "m": float(part["m"].median()),
            "cells": len(part),
            "theory": _theory(part),
            "rounds": rounds,
        })  # fmt: skip
    for key, part in timed.groupby(POINT, sort=True):
        directs = {tuple(t) for t in part["direct"] if len(t)}
        if directs:
            rounds = [(list(t), [0.0]) for t in sorted(directs)]
            rows.append(dict(zip(POINT, key)) | {
                "reducer": DIRECT, "variant": DIRECT,
                "time": float(np.median([_cell_time(*r) for r in rounds])),
                "reduce_time": math.nan, "attend_time": math.nan, "skill": 1.0,
                "err_over_r": 0.0, "m": math.nan, "cells": len(rounds), "theory": False,
                "rounds": rounds,
            })  # fmt: skip
    columns = [*POINT, "reducer", "variant", "time", "reduce_time", "attend_time", "skill",
               "err_over_r", "m", "cells", "theory", "rounds"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _boot_medians(times, rng, n_boot):
    """n_boot bootstrap medians of one list of rounds."""
    times = np.asarray(times, float)
    return np.median(times[rng.integers(0, times.size, (n_boot, times.size))], axis=1)


def variant_replicates(rounds, rng, n_boot):
    """n_boot bootstrap end-to-end times of one variant: per resample, the median over
    its cells of (median of resampled reduce rounds + median of resampled attend rounds)."""
    per_cell = [_boot_medians(r, rng, n_boot) + _boot_medians(a, rng, n_boot) for r, a in rounds]
    return np.median(np.asarray(per_cell), axis=0)


def _interval(values, level=LEVEL):
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan
    return percentile_bootstrap(lambda rng, count: values, n_boot=values.size, level=level)


ROUTE_COLUMNS = [*POINT, "target", "route", "how", "reached", "time", "ci_low", "ci_high",
                 "m", "skill_best", "direct_time", "payoff", "payoff_low", "payoff_high"]  # fmt: skip


def _route_row(part, target, rng, n_boot):
    """One route at one point and target: at_target on its variants, with replicates."""
    reps = [variant_replicates(r, rng, n_boot) for r in part["rounds"]]
    found = at_target(
        1 - part["skill"].to_numpy(), part["time"].to_numpy(), 1 - target, reps,
        part["m"].to_numpy(),
    )  # fmt: skip
    low, high = _interval(found["replicates"]) if found["replicates"] is not None else (
        math.nan, math.nan)  # fmt: skip
    return {
        "how": found["how"], "reached": found["how"] != "never", "time": found["time"],
        "ci_low": low, "ci_high": high, "m": found["size"],
        "skill_best": 1 - found["best_error"], "replicates": found["replicates"],
    }  # fmt: skip


def routes(points, targets=SKILL_TARGETS, *, n_boot=N_BOOT, seed=0):
    """One row per (point, target, route) of :func:`point_medians`: how the route reaches
    the target (``interpolated``, ``at most``, ``never``), its end-to-end time there with
    a bootstrap interval, m there, its best skill anywhere, and its payoff over the
    direct route (direct time / its time) with an interval; ``replicates`` holds the
    bootstrap times (for margins and crossovers)."""
    rng = np.random.default_rng(seed)
    rows = []
    for key, at_point in points.groupby(POINT, sort=True):
        for target in targets:
            found = {
                route: _route_row(part, target, rng, n_boot)
                for route, part in at_point.groupby("reducer", sort=True)
            }
            direct = found.get(DIRECT)
            for route, row in found.items():
                rows.append(dict(zip(POINT, key)) | {"target": target, "route": route}
                            | row | _payoff(row, direct))  # fmt: skip
    return pd.DataFrame(rows, columns=[*ROUTE_COLUMNS, "replicates"])


def _payoff(row, direct):
    if direct is None or not row["reached"]:
        return {"direct_time": math.nan if direct is None else direct["time"],
                "payoff": math.nan, "payoff_low": math.nan, "payoff_high": math.nan}  # fmt: skip
    low, high = _interval(direct["replicates"] / row["replicates"])
    return {"direct_time": direct["time"], "payoff": direct["time"] / row["time"],
            "payoff_low": low, "payoff_high": high}  # fmt: skip


def candidates(part):
    """The routes of one point and target that may be named the route to use: those
    that reach the target, REFERENCE routes left out, fastest first."""
    ok = part[part["reached"] & ~part["route"].isin(REFERENCE)]
    return ok.sort_values(["time", "route"])


def _winner_row(part):
    ok = candidates(part)
    row = {"routes": len(part), "reached": len(ok)}
    reducers = candidates(part[part["route"] != DIRECT])
    if len(reducers):  # the best reducer, whether or not it beats the direct route
        best = reducers.iloc[0]
        row |= {"best_reducer": best["route"], "best_payoff": best["payoff"],
                "best_payoff_low": best["payoff_low"], "best_payoff_high": best["payoff_high"],
                "best_m": best["m"]}  # fmt: skip
    if ok.empty:
        return row | {"winner": None, "reducer": None, "margin": math.nan, "tie": False}
    best = ok.iloc[0]
    others = ok.iloc[1:]
    ties = others[(others["ci_low"] <= best["ci_high"]) & (others["ci_high"] >= best["ci_low"])]
    row |= {
        "winner": best["route"], "reducer": best["route"], "time": best["time"],
        "ci_low": best["ci_low"], "ci_high": best["ci_high"], "how": best["how"],
        "m": best["m"], "payoff": best["payoff"], "tie": len(ties) > 0,
        "tied_with": ", ".join(ties["route"]) or None,
    }  # fmt: skip
    if others.empty:
        return row | {"runner_up": None, "runner_up_time": math.nan, "margin": math.inf}
    runner = others.iloc[0]
    low, high = _interval(runner["replicates"] / best["replicates"])
    return row | {"runner_up": runner["route"], "runner_up_time": runner["time"],
                  "margin": runner["time"] / best["time"], "margin_low": low,
                  "margin_high": high}  # fmt: skip


WINNER_COLUMNS = [*POINT, "target", "winner", "reducer", "time", "ci_low", "ci_high", "how", "m",
                  "payoff", "tie", "tied_with", "runner_up", "runner_up_time", "margin",
                  "margin_low", "margin_high", "best_reducer", "best_m", "best_payoff",
                  "best_payoff_low", "best_payoff_high", "reached", "routes"]  # fmt: skip


def winners(table, target=SKILL_TARGET):
    """One row per point of a :func:`routes` table at ``target``: the fastest route to
    the target (``winner``; the direct route when reducing does not pay), its time and
    interval, whether it ties (its interval overlaps another route's: ``tied_with``),
    the runner-up and the margin (runner-up time / winner time, with an interval), and
    the best reducer with its payoff over the direct route.  A :func:`point_medians`
    frame is turned into routes first."""
    if "route" not in table:
        table = routes(table, (target,))
    table = table[table["target"] == target]
    rows = [
        dict(zip(POINT, key)) | {"target": target} | _winner_row(part)
        for key, part in table.groupby(POINT, sort=True)
    ]
    return pd.DataFrame(rows).reindex(columns=WINNER_COLUMNS)


def planes(table):
    """The 2-D grids of a :func:`winners` table: [(fixed axis, fixed value, family, r,
    rows of the plane)], (n, density) at each fixed d and (n, d) at each fixed density,
    where both moving axes take at least 2 values."""
    found = []
    for fixed, moving in (("dataset.d", "dataset.density"), ("dataset.density", "dataset.d")):
        for (family, r, value), part in table.groupby(
            ["dataset.family", "dataset.r", fixed], sort=True
        ):
            if part["dataset.n"].nunique() >= 2 and part[moving].nunique() >= 2:
                found.append((fixed, value, family, r, part))
    return found


def _crossing(log_n, log_ratio):
    """(n*, direction) at the first sign change of log_ratio along log_n, by linear
    interpolation; direction 'faster' when the ratio falls below 1 there, 'slower' when
    it rises above; (nan, None) when the ratio keeps one side of 1."""
    for i in range(len(log_n) - 1):
        a, b = log_ratio[i], log_ratio[i + 1]
        if a == 0:
            return math.exp(log_n[i]), "faster" if b < 0 else "slower"
        if a * b < 0:
            t = a / (a - b)
            return math.exp(log_n[i] + t * (log_n[i + 1] - log_n[i])), (
                "faster" if b < 0 else "slower"
            )
    return math.nan, None


_LINE = ["dataset.family", "dataset.r", "dataset.d", "dataset.density"]  # a line along n


def _pair_lines(table, fast, exact, target):
    """(line key, {n: (fast row, exact row)}, [n where either misses]) per line along n."""
    table = table[(table["target"] == target) & table["route"].isin([fast, exact])]
    for key, line in table.groupby(_LINE, sort=True):
        both, missed = {}, []
        for n, at_n in line.groupby("dataset.n", sort=True):
            rows = {r["route"]: r for r in at_n.to_dict("records")}
            if fast not in rows or exact not in rows:
                continue
            if rows[fast]["reached"] and rows[exact]["reached"]:
                both[n] = (rows[fast], rows[exact])
            else:
                missed.append(n)
        yield key, both, missed


def ratio_curves(table, pairs=CROSSOVER_PAIRS, target=SKILL_TARGET):
    """One row per line along n, pair of routes and n where both reach the target: the
    ratio of their times at the target, t(fast) / t(exact), with its interval."""
    rows = []
    for fast, exact in pairs:
        for key, both, _ in _pair_lines(table, fast, exact, target):
            for n, (f, e) in both.items():
                low, high = _interval(f["replicates"] / e["replicates"])
                rows.append(dict(zip(_LINE, key)) | {"fast": fast, "exact": exact, "n": n,
                            "ratio": f["time"] / e["time"], "low": low, "high": high,
                            "fast_skill": f["skill_best"], "exact_skill": e["skill_best"]})  # fmt: skip
    return pd.DataFrame(rows, columns=[*_LINE, "fast", "exact", "n", "ratio", "low", "high",
                                       "fast_skill", "exact_skill"])  # fmt: skip


def crossover(table, pairs=CROSSOVER_PAIRS, target=SKILL_TARGET, *, level=LEVEL):
    """One row per line along n (family, r, d, density fixed) and pair of routes of a
    :func:`routes` table compared at equal error (``target``), with at least 2 n where
    both reach it: the ratio at the smallest and largest such n, n* with its direction
    ('faster': the ratio falls below 1 there) and bootstrap interval, the share of
    resamples that cross the same way, and the n where a route misses the target."""
    rows = []
    for fast, exact in pairs:
        for key, both, missed in _pair_lines(table, fast, exact, target):
            if len(both) < 2:
                continue
            rows.append(
                dict(zip(_LINE, key))
                | {"fast": fast, "exact": exact, "target": target}
                | _crossover_row(both, level)
                | {"missed": ", ".join(map(str, missed)) or None}
            )
    return pd.DataFrame(rows)


def _crossover_row(both, level):
    ns = sorted(both)
    log_n = np.log(np.asarray(ns, float))
    observed = np.array([math.log(both[n][0]["time"] / both[n][1]["time"]) for n in ns])
    reps = np.log(np.array([both[n][0]["replicates"] / both[n][1]["replicates"] for n in ns]))
    n_star, direction = _crossing(log_n, observed)
    values, crossed = [], []
    for column in reps.T:
        value, sense = _crossing(log_n, column)
        crossed.append(sense is not None and sense == (direction or sense))
        values.append(value if crossed[-1] and direction is not None else math.nan)
    low, high = _interval(values, level)
    return {
        "n_min": ns[0], "ratio_at_n_min": math.exp(observed[0]),
        "n_max": ns[-1], "ratio_at_n_max": math.exp(observed[-1]),
        "n_star": n_star, "direction": direction, "ci_low": low, "ci_high": high,
        "crossing_share": float(np.mean(crossed)) if crossed else math.nan,
    }  # fmt: skip


def crossover_sentence(row):
    """One row of :func:`crossover` in words, with its numbers."""
    where = (
        f"{row['fast']} against {row['exact']} at equal error (skill {given(row['target'])}) on "
        f"{row['dataset.family']} (d = {size(row['dataset.d'])}, density "
        f"{given(row['dataset.density'])}): time ratio {number(row['ratio_at_n_min'])} at n = "
        f"{count(row['n_min'])}, {number(row['ratio_at_n_max'])} at n = {count(row['n_max'])}"
    )
    missed = row.get("missed")
    if isinstance(missed, str):
        where += f" (a route misses the target at n = {missed}: not compared there)"
    if not isinstance(row["direction"], str):  # None, or NaN once in a frame
        return (
            f"{where}; no crossover in that range (resamples that cross: "
            f"{percent(row['crossing_share'])})."
        )
    return (
        f"{where}; {row['direction']} than {row['exact']} from n* = {number(row['n_star'])} "
        f"{interval(row['ci_low'], row['ci_high'])} (resamples that cross the same "
        f"way: {percent(row['crossing_share'])})."
    )


def auto_sizes(cells):
    """One row per (reducer, family, n, d) of the cells with an auto bound: the median
    m_auto, m_auto / d, and whether the bound reaches d."""
    sized = cells[(cells["status"] == "ok") & cells["m_auto"].notna()]
    frame = (
        sized.groupby(["reducer", "dataset.family", "dataset.n", "dataset.d"], sort=True)
        .agg(m_auto=("m_auto", "median"), cells=("key", "size"))
        .reset_index()
    )
    frame["m_auto"] = frame["m_auto"].astype(float)
    frame["m_auto_over_d"] = frame["m_auto"] / frame["dataset.d"]
    frame["reaches_d"] = frame["m_auto"] >= frame["dataset.d"]
    return frame


def compression_onset(sizes):
    """Per (reducer, family, n) of :func:`auto_sizes`: the range of m_auto, the d swept,
    and the smallest stored d from which on the bound compresses (m_auto < d at it and
    at every larger stored d; None when it does not at the largest)."""
    rows = []
    for (reducer, family, n), part in sizes.groupby(
        ["reducer", "dataset.family", "dataset.n"], sort=True
    ):
        part = part.sort_values("dataset.d")
        compresses = ~part["reaches_d"].to_numpy()
        # the last d at which the bound still reaches d; the onset is the next stored d
        reach = np.flatnonzero(~compresses)
        first = 0 if reach.size == 0 else reach[-1] + 1
        onset = part["dataset.d"].iloc[first] if first < len(part) else None
        rows.append(
            {
                "reducer": reducer,
                "family": family,
                "n": n,
                "m_auto_min": part["m_auto"].min(),
                "m_auto_max": part["m_auto"].max(),
                "d_min": part["dataset.d"].min(),
                "d_max": part["dataset.d"].max(),
                "compresses_from_d": onset,
                "m_auto_over_d_at_d_max": part["m_auto_over_d"].iloc[-1],
            }
        )
    return pd.DataFrame(rows)


def paper_sizes(points, target=SKILL_TARGET):
    """Per point and paper algorithm (PAPER): at its theory size, m, skill, end-to-end
    time and payoff over the direct route; and the smallest measured m at which it
    reaches the target (nan: at no size measured)."""
    rows = []
    for key, at_point in points.groupby(POINT, sort=True):
        direct = at_point.loc[at_point["reducer"] == DIRECT, "time"]
        direct_time = float(direct.iloc[0]) if len(direct) else math.nan
        for reducer in PAPER:
            part = at_point[at_point["reducer"] == reducer]
            if part.empty:
                continue
            theory = part[part["theory"]]
            reaching = part.loc[part["skill"] >= target, "m"]
            row = dict(zip(POINT, key)) | {"reducer": reducer, "target": target}
            if len(theory):
                t = theory.iloc[0]
                row |= {"theory_m": t["m"], "theory_skill": t["skill"], "theory_time": t["time"],
                        "theory_payoff": direct_time / t["time"]}  # fmt: skip
            rows.append(row | {"smallest_m_reaching": reaching.min() if len(reaching) else math.nan,
                               "skill_best": part["skill"].max()})  # fmt: skip
    return pd.DataFrame(rows)
