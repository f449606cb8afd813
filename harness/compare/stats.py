"""The numbers of ``attnbench compare``: the candidate against each baseline on the same
datasets (the same X), at equal m and at equal error, and a verdict over seeds.

A cell's size s is its ``n_components`` where configured as a number, else its m (the
columns of Y).  A sampling reducer's n_components counts its draws, so its m can be
smaller: equal m means equal n_components where both reducers take one.

Per candidate cell and baseline, on the cell's dataset:

- **equal m**: err_c / err_b(s_c), the baseline's error at the candidate's size: measured
  (a variant of that size), interpolated log-log between its nearest sizes, or, for a
  baseline with one variant and no n_components (zero, bss), at its own m.  Never
  extrapolated: outside the baseline's sizes the pair has no ratio and says why.
- **equal error**: t_c / t_b(err_c) and m_c / m_b(err_c), t_b and m_b interpolated log-log
  along the baseline's Pareto fronts (the variants that nothing beats in both error and
  time, or error and m).  Beyond a front's end the ratio is a bound against that end, not
  an extrapolation: a candidate less accurate than the baseline's fastest (smallest)
  variant is compared with it, as it already reaches the candidate's error, so the ratio
  is a lower bound (>=); one more accurate than every variant with the most accurate one,
  an upper bound (<=), as the baseline would need at least that much (time and m grow
  with accuracy).

Verdict per baseline and family (and over all families): the geometric mean of each ratio
with a Student-t interval over seeds.  One seed is one unit: the mean log ratio on that
seed's X (over its r values and sizes), since pairs on one X are not independent.  A
verdict needs MIN_SEEDS seeds.  Errors are attn_err_over_r floored at
:data:`attnbench.report.tables.ERR_FLOOR` (round-off), so two exact reducers tie.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attnbench.analysis.equal_error import loglog
from attnbench.intervals import LEVEL, mean_interval
from attnbench.numbers import MISSING, count, interval, number, percent
from attnbench.report.tables import ERR_FLOOR, pareto_front

TIE = 0.01  # error ratios within 1% of 1 are ties
MIN_SEEDS = 3  # fewer seeds give no verdict
BOUNDS = {"lower bound": "≥", "upper bound": "≤"}
PAIR_COLUMNS = [
    "baseline", "family", "seed", "dataset_key", "r", "size", "m", "err", "time",
    "m_baseline", "err_baseline", "error_ratio", "error_how",
    "m_baseline_at_err", "m_ratio", "m_how", "time_baseline_at_err", "time_ratio", "time_how",
]  # fmt: skip


def cell_sizes(cells):
    """(size, whether configured): n_components where it is a number, else m."""
    given = cells.get("param.n_components", pd.Series(np.nan, index=cells.index))
    given = pd.to_numeric(given, errors="coerce")
    return given.fillna(cells["m"]), given.notna()


def measured(cells):
    """The cells with ``err`` (attn_err_over_r floored), ``time`` (median), ``size`` and
    ``sized`` (a numeric n_components was configured)."""
    size, sized = cell_sizes(cells)
    return cells.assign(
        err=cells["attn_err_over_r"].clip(lower=ERR_FLOOR),
        time=cells["time_median"],
        size=size,
        sized=sized,
    )


def at_equal_m(theirs, size):
    """(baseline error, baseline m, how) at the candidate's ``size`` on one dataset."""
    same = theirs[theirs["size"] == size]
    if len(same):
        return float(same["err"].median()), float(same["m"].median()), "measured"
    if len(theirs) == 1 and not theirs["sized"].iloc[0]:
        return float(theirs["err"].iloc[0]), float(theirs["m"].iloc[0]), "own m"
    curve = theirs[theirs["size"] > 0].groupby("size")[["err", "m"]].median()
    err = loglog(curve.index, curve["err"], size) if size > 0 else float("nan")
    if np.isfinite(err):
        return err, loglog(curve.index, curve["m"].clip(lower=1), size), "interpolated"
    return float("nan"), float("nan"), "outside its sizes"


def at_equal_error(theirs, err, column):
    """(baseline ``column`` at error ``err``, how) along the baseline's Pareto front in
    (error, column): interpolated inside it, its end beyond it (a bound, see above)."""
    points = theirs[theirs[column] > 0]
    if points.empty:
        return float("nan"), "no front"  # e.g. m for zero, which keeps no columns
    front = points.loc[pareto_front(points[["err", column]].set_axis(["err", "time"], axis=1))]
    errs, values = front["err"].to_numpy(), front[column].to_numpy()
    if err < errs[0] * (1 - 1e-9):
        return float(values[0]), "upper bound"
    if err > errs[-1] * (1 + 1e-9):
        return float(values[-1]), "lower bound"
    return loglog(errs, values, np.clip(err, errs[0], errs[-1])), "interpolated"


def _pair(c, theirs, baseline):
    row = {
        "baseline": baseline,
        "family": c["dataset.family"],
        "seed": c["dataset.seed"],
        "dataset_key": c["dataset_key"],
        "r": c["dataset.r"],
        **{k: c[k] for k in ("size", "m", "err", "time")},
    }
    missing = "candidate failed" if c["status"] != "ok" else "baseline failed"
    if c["status"] != "ok" or theirs.empty:
        return row | {"error_how": missing, "m_how": missing, "time_how": missing}
    err_b, m_b, error_how = at_equal_m(theirs, c["size"])
    m_front, m_how = at_equal_error(theirs, c["err"], "m")
    t_front, time_how = at_equal_error(theirs, c["err"], "time")
    return row | {
        "m_baseline": m_b,
        "err_baseline": err_b,
        "error_ratio": c["err"] / err_b,
        "error_how": error_how,
        "m_baseline_at_err": m_front,
        "m_ratio": c["m"] / m_front,
        "m_how": m_how,
        "time_baseline_at_err": t_front,
        "time_ratio": c["time"] / t_front,
        "time_how": time_how,
    }


def pair_cells(cells, candidate, baseline):
    """One row per candidate cell: its error ratio at equal m and its m and time ratios at
    equal error against ``baseline`` on the same dataset, with how each was obtained."""
    cells = measured(cells)
    rows = []
    for _, part in cells.groupby("dataset_key", sort=False):
        theirs = part[(part["reducer"] == baseline) & (part["status"] == "ok")]
        for c in part[part["reducer"] == candidate].to_dict("records"):
            rows.append(_pair(c, theirs, baseline))
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


# --- verdicts -----------------------------------------------------------------------------


def seed_interval(pairs, column):
    """(geometric mean, low, high, seeds) of a ratio column: the mean log ratio per seed
    (family, seed), then Student's t interval over the seeds."""
    logs = np.log(pairs[column].astype(float))
    ok = np.isfinite(logs)
    per_seed = logs[ok].groupby([pairs["family"][ok], pairs["seed"][ok]]).mean()
    if per_seed.empty:
        return float("nan"), float("nan"), float("nan"), 0
    low, high = mean_interval(per_seed.to_numpy())
    return float(np.exp(per_seed.mean())), float(np.exp(low)), float(np.exp(high)), len(per_seed)


def bounded_interval(pairs, column, how):
    """seed_interval of a ratio at equal error, and its kind: '=' when every pair lies
    inside the baseline's front, '≥' or '≤' when some are bounds of that direction (the
    mean is then a bound too).  With bounds both ways only the pairs inside count; with
    none inside, the kind is 'mixed' and there is no ratio."""
    kinds = set(pairs[how]) & set(BOUNDS)
    if len(kinds) < 2:
        return (*seed_interval(pairs, column), BOUNDS[kinds.pop()] if kinds else "=")
    inside = pairs[pairs[how] == "interpolated"]
    return (*seed_interval(inside, column), "=" if len(inside) else "mixed")


def judge(seeds, low, high, better, worse, kind="="):
    """A verdict word from an interval of a ratio (candidate / baseline)."""
    if kind == "mixed":
        return "bounds both ways"
    if seeds == 0:
        return "no pairs"
    if seeds < MIN_SEEDS:
        return "too few seeds"
    if high < 1 and kind != "≥":
        return better
    if low > 1 and kind != "≤":
        return worse
    return "no clear difference" if kind == "=" else "a bound only"


def verdict_table(pairs, notes=None):
    """One row per baseline and family, then one over all its families; ``notes`` maps a
    baseline to words for its overall row (e.g. the sizes it was rerun at)."""
    rows = []
    for baseline, part in pairs.groupby("baseline", sort=True):
        for family, rows_of_family in part.groupby("family", sort=True):
            rows.append(verdict_row(baseline, family, rows_of_family))
        rows.append(verdict_row(baseline, "all", part, (notes or {}).get(baseline, "")))
    return pd.DataFrame(rows)


def verdict_row(baseline, family, pairs, note=""):
    """Ratios with their intervals over seeds, win/loss/tie counts and verdicts."""
    err = pairs["error_ratio"].dropna()
    e, e_low, e_high, e_seeds = seed_interval(pairs, "error_ratio")
    s, s_low, s_high, s_seeds, s_kind = bounded_interval(pairs, "m_ratio", "m_how")
    t, t_low, t_high, t_seeds, t_kind = bounded_interval(pairs, "time_ratio", "time_how")
    return {
        "baseline": baseline,
        "family": family,
        "seeds": int(pairs.groupby(["family", "seed"]).ngroups),
        "m": pairs["m"].median(),
        "m_baseline": pairs["m_baseline"].median(),
        "error_ratio": e,
        "error_ci_low": e_low,
        "error_ci_high": e_high,
        "wins": int((err < 1 - TIE).sum()),
        "losses": int((err > 1 + TIE).sum()),
        "ties": int(((err >= 1 - TIE) & (err <= 1 + TIE)).sum()),
        "accuracy": judge(e_seeds, e_low, e_high, "better", "worse"),
        "m_ratio": s,
        "m_ci_low": s_low,
        "m_ci_high": s_high,
        "m_kind": s_kind,
        "size": (
            "n/a: m = 0"  # a baseline that keeps no columns has no m at any error
            if (pairs["m_how"] == "no front").all()
            else judge(s_seeds, s_low, s_high, "smaller", "larger", s_kind)
        ),
        "time_ratio": t,
        "time_ci_low": t_low,
        "time_ci_high": t_high,
        "time_kind": t_kind,
        "speed": judge(t_seeds, t_low, t_high, "faster", "slower", t_kind),
        "note": "; ".join(filter(None, [note, *pair_notes(pairs, baseline)])),
    }


def pair_notes(pairs, baseline):
    """Why some pairs have no ratio, or a bound, in words with counts."""
    total, words = len(pairs), []
    how = pairs["error_how"].value_counts()
    if how.get("own m"):
        own = pairs[pairs["error_how"] == "own m"]
        words.append(
            f"{baseline} has no n_components: compared at its own m "
            f"({count(own['m_baseline'].median())}; candidate {count(own['m'].median())})"
        )
    if how.get("interpolated"):
        words.append(f"{how['interpolated']} of {total} errors at equal m interpolated")
    if how.get("outside its sizes"):
        outside = pairs[pairs["error_how"] == "outside its sizes"]
        words.append(
            f"no equal-m pair for candidate m = {_values(outside['size'])} on "
            f"{len(outside)} of {total}: outside {baseline}'s sizes"
        )
    bound = pairs["time_how"].value_counts()
    if bound.get("lower bound"):
        words.append(
            f"less accurate than {baseline}'s fastest variant on {bound['lower bound']} of "
            f"{total}: time against it (ratio ≥)"
        )
    if bound.get("upper bound"):
        words.append(
            f"more accurate than every {baseline} variant on {bound['upper bound']} of "
            f"{total}: time against its most accurate one (ratio ≤)"
        )
    if (pairs["m_how"] == "no front").any():
        words.append(f"{baseline} keeps no columns: no m at equal error")
    for who in ("candidate", "baseline"):
        failed = int(how.get(f"{who} failed") or 0)
        if failed:
            words.append(f"{who} failed on {failed} of {total}")
    seeds = pairs.groupby(["family", "seed"]).ngroups
    if 0 < seeds < MIN_SEEDS:
        words.append(f"{seeds} seed(s): a verdict needs {MIN_SEEDS} (--seeds)")
    return words


def _values(sizes):
    return ", ".join(count(v) for v in sorted(set(sizes)))


# --- as shown -----------------------------------------------------------------------------


def ratio_text(value, low, high, kind="="):
    """'1.23 [1.1, 1.4]', with '≥ ' or '≤ ' before a bound; 'n/a' for none."""
    if not np.isfinite(value):
        return MISSING
    prefix = "" if kind == "=" else f"{kind} "
    shown = f" {interval(low, high)}" if np.isfinite(low) else ""
    return f"{prefix}{number(value)}{shown}"


def verdict_display(verdict):
    """The verdict as printed and in the report: ratios (candidate / baseline) with their
    intervals over seeds."""
    ci = f"{percent(LEVEL)} CI"
    return pd.DataFrame(
        {
            "baseline": verdict["baseline"],
            "family": verdict["family"],
            "seeds": verdict["seeds"],
            "m / m baseline": [
                f"{count(a)} / {count(b)}"
                for a, b in verdict[["m", "m_baseline"]].values
            ],
            f"error ratio at equal m [{ci}]": [
                ratio_text(*v)
                for v in verdict[["error_ratio", "error_ci_low", "error_ci_high"]].values
            ],
            "win/loss/tie": [
                f"{w}/{lo}/{t}" for w, lo, t in verdict[["wins", "losses", "ties"]].values
            ],
            "accuracy": verdict["accuracy"],
            "m ratio at equal error": [
                ratio_text(*v)
                for v in verdict[["m_ratio", "m_ci_low", "m_ci_high", "m_kind"]].values
            ],
            "size": verdict["size"],
            "time ratio at equal error": [
                ratio_text(*v)
                for v in verdict[["time_ratio", "time_ci_low", "time_ci_high", "time_kind"]].values
            ],
            "speed": verdict["speed"],
            "note": verdict["note"],
        }
    )
