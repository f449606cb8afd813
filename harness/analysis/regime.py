"""Where each reducer pays off, from a stored run's cells (pure functions on the frame of
:func:`attnbench.report.tables.prepare_cells`; ok, symmetric cells).

Regime map.  A *point* is one dataset setting (family, r, n, d, density); its cells'
seeds and draws are pooled.  A reducer variant (reducer and parameters) *reaches the
target* at a point when its median ``skill`` is at least SKILL_TARGET and its median
``attn_err_over_r`` at most ERR_OVER_R_TARGET.  The winner is the variant that reaches
it in the least median time; the margin is the time of the fastest variant of any
other reducer that reaches it, over the winner's (>= 1; inf when no other reducer
does).  Only cells timed in at least MIN_ROUNDS rounds count, so single-shot accuracy
cells never decide who is fastest.  A *plane* is a 2-D grid of points: (n, density) at
a fixed d, or (n, d) at a fixed density.

Crossover.  Along n, with everything else fixed, the time ratio t(fast) / t(exact)
(``leverage_fast`` against ``svd``, the exact Gram route) is interpolated log-linearly;
n* is where it crosses 1, and its interval a percentile bootstrap that resamples each
cell's timed rounds (:mod:`attnbench.intervals`).

Auto sizes.  ``m_auto`` is the m a reducer's 'auto' bound asks for (stored per cell);
m_auto / d >= 1 means the bound does not compress X.  Per reducer and n, the onset is
the smallest stored d from which on every stored d has m_auto < d.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from attnbench.intervals import LEVEL, percentile_bootstrap
from attnbench.paper import ran_alone

SKILL_TARGET = 0.9
ERR_OVER_R_TARGET = 0.01  # the paper's O(r) with constant 0.01: attn_err_inf <= 0.01 r
MIN_ROUNDS = 3
POINT = ["dataset.family", "dataset.r", "dataset.n", "dataset.d", "dataset.density"]
FAST, EXACT = "leverage_fast", "svd"


def timed_cells(cells):
    """The cells whose time counts: ok, at least MIN_ROUNDS timed rounds, run alone (a
    cell that shared its machine with others, concurrency > 1, is not timed cleanly)."""
    rounds = cells["times"].map(len)
    return cells[(cells["status"] == "ok") & (rounds >= MIN_ROUNDS) & ran_alone(cells)]


def point_medians(cells, *, skill=SKILL_TARGET, err_over_r=ERR_OVER_R_TARGET):
    """One row per (point, reducer variant): medians of time, skill and err/r over its
    cells, the number of cells, and whether it reaches the target."""
    frame = (
        timed_cells(cells)
        .groupby([*POINT, "reducer", "variant"], sort=True)
        .agg(
            time=("time_median", "median"),
            skill=("skill", "median"),
            err_over_r=("attn_err_over_r", "median"),
            m=("m", "median"),
            cells=("key", "size"),
        )
        .reset_index()
    )
    frame["reached"] = (frame["skill"] >= skill) & (frame["err_over_r"] <= err_over_r)
    return frame


def winners(points):
    """One row per point of :func:`point_medians`: the fastest variant that reaches the
    target, its time, the runner-up (fastest variant of another reducer), the margin
    (runner-up time / winner time) and how many variants reached it."""
    rows = []
    for key, part in points.groupby(POINT, sort=True):
        row = dict(zip(POINT, key)) | {"variants": len(part)}
        ok = part[part["reached"]].sort_values(["time", "variant"])
        row["reached"] = len(ok)
        if ok.empty:
            rows.append(row | {"winner": None, "reducer": None, "margin": math.nan})
            continue
        best = ok.iloc[0]
        others = ok[ok["reducer"] != best["reducer"]]
        runner = others.iloc[0] if len(others) else None
        rows.append(
            row
            | {
                "winner": best["variant"],
                "reducer": best["reducer"],
                "time": best["time"],
                "runner_up": None if runner is None else runner["variant"],
                "runner_up_time": math.nan if runner is None else runner["time"],
                "margin": math.inf if runner is None else runner["time"] / best["time"],
            }
        )
    columns = [*POINT, "winner", "reducer", "time", "runner_up", "runner_up_time", "margin"]
    return pd.DataFrame(rows).reindex(columns=[*columns, "reached", "variants"])


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


def _line_times(cells, variant):
    """{n: [each cell's list of timed rounds]} of the variant's cells on a line."""
    part = cells[cells["variant"] == variant]
    return {n: list(group["times"]) for n, group in part.groupby("dataset.n", sort=True)}


def _median_time(cell_times, rng=None):
    """The median over cells of each cell's median round (rounds resampled with rng)."""
    medians = []
    for times in cell_times:
        times = np.asarray(times, float)
        if rng is not None:
            times = times[rng.integers(0, times.size, times.size)]
        medians.append(np.median(times))
    return float(np.median(medians))


def ratio_curves(cells, fast=FAST, exact=EXACT):
    """One row per line along n, variant of ``fast`` and n where both reducers have timed
    cells: the ratio of median times t(fast variant) / t(exact)."""
    rows = []
    timed = timed_cells(cells)
    for key, line in timed.groupby(_LINE, sort=True):
        exact_times = _line_times(line, exact)
        for variant in sorted(set(line.loc[line["reducer"] == fast, "variant"])):
            fast_times = _line_times(line, variant)
            for n in sorted(set(fast_times) & set(exact_times)):
                ratio = _median_time(fast_times[n]) / _median_time(exact_times[n])
                rows.append(dict(zip(_LINE, key)) | {"fast": variant, "n": n, "ratio": ratio})
    return pd.DataFrame(rows, columns=[*_LINE, "fast", "n", "ratio"])


def crossover(cells, fast=FAST, exact=EXACT, *, n_boot=1000, level=LEVEL, seed=0):
    """One row per line along n (family, r, d, density fixed) and variant of ``fast``
    against the exact reducer's cells: the ratio at the smallest and largest n, n* with
    its direction ('faster': the ratio falls below 1 there) and bootstrap interval, and
    the share of resamples that cross the same way (any way, when the data does not
    cross: then n* and its interval are nan)."""
    timed = timed_cells(cells)
    rows = []
    for key, line in timed.groupby(_LINE, sort=True):
        exact_times = _line_times(line, exact)
        for variant in sorted(set(line.loc[line["reducer"] == fast, "variant"])):
            fast_times = _line_times(line, variant)
            ns = sorted(set(fast_times) & set(exact_times))
            if len(ns) < 2:
                continue
            rows.append(
                dict(zip(_LINE, key))
                | {"fast": variant, "exact": exact}
                | _crossover_row(ns, fast_times, exact_times, n_boot, level, seed)
            )
    return pd.DataFrame(rows)


def _crossover_row(ns, fast_times, exact_times, n_boot, level, seed):
    log_n = np.log(np.asarray(ns, float))

    def log_ratios(rng=None):
        return np.array(
            [
                math.log(_median_time(fast_times[n], rng) / _median_time(exact_times[n], rng))
                for n in ns
            ]
        )

    observed = log_ratios()
    n_star, direction = _crossing(log_n, observed)
    crossed = []

    def replicates(rng, count):
        # a resample counts when it crosses the way the data does (any way, when the
        # data does not cross); the interval is taken over the resamples that count
        values = np.full(count, math.nan)
        for i in range(count):
            value, sense = _crossing(log_n, log_ratios(rng))
            crossed.append(sense is not None and sense == (direction or sense))
            if crossed[-1] and direction is not None:
                values[i] = value
        return values

    low, high = percentile_bootstrap(replicates, n_boot=n_boot, level=level, seed=seed)
    return {
        "n_min": ns[0],
        "ratio_at_n_min": math.exp(observed[0]),
        "n_max": ns[-1],
        "ratio_at_n_max": math.exp(observed[-1]),
        "n_star": n_star,
        "direction": direction,
        "ci_low": low,
        "ci_high": high,
        "crossing_share": float(np.mean(crossed)) if crossed else math.nan,
    }


def crossover_sentence(row):
    """One row of :func:`crossover` in words, with its numbers."""
    where = (
        f"{row['fast']} on {row['dataset.family']} (d = {row['dataset.d']}, density "
        f"{row['dataset.density']:g}): time over {EXACT}'s {row['ratio_at_n_min']:.3g} at n = "
        f"{row['n_min']}, {row['ratio_at_n_max']:.3g} at n = {row['n_max']}"
    )
    if not isinstance(row["direction"], str):  # None, or NaN once in a frame
        return (
            f"{where}; no crossover in that range (resamples that cross: "
            f"{row['crossing_share']:.0%})."
        )
    return (
        f"{where}; {row['direction']} than {EXACT} from n* = {row['n_star']:.4g} "
        f"[{row['ci_low']:.4g}, {row['ci_high']:.4g}] (resamples that cross the same "
        f"way: {row['crossing_share']:.0%})."
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
