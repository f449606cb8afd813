"""Tables from a run's cells: shaping, number formatting, and Markdown, LaTeX and CSV files.

The report, ``attnbench show`` and ``attnbench compare`` all print through this module,
so a number looks the same everywhere: table cells to 4 significant digits, integers
whole, missing values empty (:func:`format_value`), the text around them by the rules of
:mod:`attnbench.numbers`; CSV files keep the store's full precision.

Shaping: :func:`prepare_cells` names each cell's reducer variant (the reducer and its
configured parameters); the ``*_frame`` functions reduce cells to one row per group
(medians), and :func:`pareto_front` picks the variants nothing beats in both time and
error.  Errors are ``attn_err_over_r`` = attn_err_inf / r; below ERR_FLOOR an error is
round-off (the exact reducers), so comparisons treat such errors as equal and figures
draw them at the floor.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from attnbench.intervals import LEVEL
from attnbench.numbers import TABLE_SIG, given, interval, number, percent
from attnbench.paper import PAPER_REGIME_R

TABLE_FORMATS = ("md", "tex", "csv")
ERR_FLOOR = 1e-6
OR_SLACK = 2.0  # "still O(r)": err/r at most this times its median in the paper's regime


# --- numbers and files --------------------------------------------------------------------


def format_value(value):
    """A table cell as shown: TABLE_SIG significant figures (:func:`attnbench.numbers.number`),
    integers whole, missing values empty."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return number(value, TABLE_SIG)
    if value is None or value is pd.NA:
        return ""
    return str(value)


def display_frame(frame):
    """The frame as shown: every value through :func:`format_value`, as strings."""
    return frame.apply(lambda column: column.map(format_value)).astype(str)


def numeric_columns(frame):
    """Names of the columns that hold numbers (right-aligned when shown)."""
    return tuple(c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]))


def markdown_table(display):
    """A GitHub-flavoured Markdown table; cells escaped (HTML entities, '|', newlines)."""

    def cell(value):
        return html.escape(value, quote=False).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(c) for c in display.columns) + " |",
        "| " + " | ".join("---" for _ in display.columns) + " |",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in display.to_numpy()]
    return "\n".join(lines)


def write_table(frame, folder, name, caption="", formats=TABLE_FORMATS):
    """Write ``folder``/tables/NAME.{md,tex,csv} (those in ``formats``); return the
    display frame (strings, as shown)."""
    folder = Path(folder) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    display = display_frame(frame)
    if "csv" in formats:
        frame.to_csv(folder / f"{name}.csv", index=False)
    if "md" in formats:
        (folder / f"{name}.md").write_text(markdown_table(display) + "\n")
    if "tex" in formats:
        (folder / f"{name}.tex").write_text(
            display.to_latex(index=False, escape=True, caption=caption or None, label=f"tab:{name}")
        )
    return display


# --- cells --------------------------------------------------------------------------------


def param_text(value):
    """A parameter value as configured: 64.0 (a float column's 64) shows as 64."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def prepare_cells(cells):
    """The cells frame with ``variant``: the reducer and its configured parameters,
    e.g. ``gaussian(n_components=64)``."""
    params = sorted(c for c in cells if c.startswith("param."))

    def variant(row):
        given = [
            f"{p.removeprefix('param.')}={param_text(row[p])}"
            for p in params
            if not (isinstance(row[p], float) and math.isnan(row[p])) and row[p] is not None
        ]
        return f"{row['reducer']}({', '.join(given)})" if given else row["reducer"]

    out = cells.copy()
    out["variant"] = [variant(row) for _, row in cells.iterrows()] if len(cells) else []
    return out


def export_frame(cells):
    """Every column of the cells, the repeat times as one space-separated text (CSV)."""
    return cells.assign(times=cells["times"].map(lambda t: " ".join(map(repr, t))))


def pareto_front(points):
    """Indices of the points not dominated in (error, time), both lower-is-better, sorted
    by error."""
    order = np.lexsort((points["time"].to_numpy(), points["err"].to_numpy()))
    front, best = [], np.inf
    for i in order:
        t = points["time"].iloc[i]
        if t < best:
            front.append(points.index[i])
            best = t
    return front


# --- summaries ----------------------------------------------------------------------------


def summary_frame(cells):
    """Medians per (dataset family, reducer variant) over a run's ok cells."""
    return (
        cells.groupby(["dataset.family", "variant"], sort=True)
        .agg(
            cells=("key", "size"),
            m=("m", "median"),
            time_s=("time_median", "median"),
            err_over_r=("attn_err_over_r", "median"),
            err_over_r_max=("attn_err_over_r", "max"),
            skill=("skill", "median"),
            spectral_eps=("spectral_eps", "median"),
            output_err=("output_err", "median"),
        )
        .reset_index()
        .rename(columns={"dataset.family": "family", "variant": "reducer"})
    )


def medians_frame(cells, by):
    """Medians of m, skill, output_err, attn_err_inf (and logit_err_frob where measured)
    per group of ``by``, with the number of cells."""
    columns = {
        "m": ("m", "median"),
        "skill": ("skill", "median"),
        "output_err": ("output_err", "median"),
        "attn_err_inf": ("attn_err_inf", "median"),
    }
    if "logit_err_frob" in cells:
        columns["logit_err_frob"] = ("logit_err_frob", "median")
    return cells.groupby(by, sort=True).agg(cells=("key", "size"), **columns).reset_index()


def large_logit_frame(cells):
    """Per (family, reducer variant): err/r in the paper's regime (r < PAPER_REGIME_R,
    median), the first r where err/r exceeds OR_SLACK times that (the error stops being
    O(r)), and the first r where the median skill is <= 0 (no better than m = 0)."""
    rows = []
    for (family, variant), part in cells.groupby(["dataset.family", "variant"], sort=True):
        by_r = part.groupby("dataset.r").agg(
            err=("attn_err_over_r", "median"), skill=("skill", "median"), m=("m", "median")
        )
        paper = by_r[by_r.index < PAPER_REGIME_R]
        if paper.empty or len(by_r) < 2:
            continue
        base = float(paper["err"].median())
        beyond = by_r.index >= PAPER_REGIME_R
        not_linear = by_r.index[(by_r["err"] > OR_SLACK * base) & beyond]
        no_skill = by_r.index[by_r["skill"] <= 0]
        rows.append(
            {
                "family": family,
                "reducer": variant,
                "m": float(by_r["m"].median()),
                f"err/r (r<{given(PAPER_REGIME_R)})": base,
                "err/r (r max)": float(by_r["err"].iloc[-1]),
                "r max": float(by_r.index[-1]),
                "O(r) until": _first_r(not_linear, by_r.index),
                "beats zero until": (
                    "(reference)" if variant == "zero" else _first_r(no_skill, by_r.index)
                ),
            }
        )
    return pd.DataFrame(rows)


def _first_r(where, swept):
    """'< r' for the first r in ``where``, else '>= the largest r swept'."""
    return f"< {given(where[0])}" if len(where) else f">= {given(swept[-1])}"


def slopes_frame(fits):
    """One row per reducer and axis of a :class:`~attnbench.analysis.fits.FitReport`: measured
    slope [interval] next to each model's fitted slope (asymptotic slope in brackets;
    '*' when inside the interval)."""
    rows = []
    for s in fits.slopes.itertuples():
        row = {
            "reducer": s.reducer,
            "axis": s.axis,
            "cells": s.cells,
            f"measured slope [{percent(LEVEL)} CI]": (
                f"{number(s.slope)} {interval(s.ci_low, s.ci_high)}"
            ),
        }
        preds = fits.predictions[
            (fits.predictions["reducer"] == s.reducer) & (fits.predictions["axis"] == s.axis)
        ]
        for p in preds.itertuples():
            mark = "*" if p.inside_ci else ""
            row[p.label] = f"{number(p.fitted_slope)}{mark} ({number(p.asymptotic_slope)})"
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.fillna("") if len(frame) else frame


def reducers_frame(reducers):
    """One row per reducer of {name: :class:`attnbench.store.facts.ReducerFacts`}."""
    return pd.DataFrame(
        [
            {
                "reducer": name,
                "family": f.family,
                "cost model": f.cost_model,
                "deterministic": f.deterministic,
                "input-sparsity time": f.input_sparsity_time,
                "defaults": ", ".join(f"{k}={v}" for k, v in sorted(f.defaults.items())),
                "module": f.module,
            }
            for name, f in sorted(reducers.items())
        ],
        columns=[
            "reducer", "family", "cost model", "deterministic", "input-sparsity time",
            "defaults", "module",
        ],
    )  # fmt: skip


def failures_frame(cells):
    """One row per failed or timed-out cell: reducer variant, family, status, and the
    last line of its error."""
    bad = cells[cells["status"] != "ok"]
    return pd.DataFrame(
        {
            "reducer": bad["variant"],
            "family": bad["dataset.family"],
            "status": bad["status"],
            "error": [
                (e or "").strip().splitlines()[-1] if isinstance(e, str) and e.strip() else ""
                for e in bad["error"]
            ],
        }
    )


def dataset_groups(cells):
    """(dataset coordinates, cells) per dataset: family, n, d, density and r (seeds
    pooled, medians taken over them)."""
    by = [b for b in ("dataset.family", "dataset.n", "dataset.d", "dataset.density",
                      "dataset.r") if b in cells]  # fmt: skip
    return list(cells.groupby(by, sort=True))


def variant_points(cells):
    """Median error (floored at ERR_FLOOR) and time per reducer variant of one dataset."""
    points = cells.groupby(["reducer", "variant"]).agg(
        err=("attn_err_over_r", "median"), time=("time_median", "median")
    )
    points["err"] = points["err"].where(points["err"] >= ERR_FLOOR, ERR_FLOOR)
    return points


def budget_frame(cells):
    """Per time budget (powers of 10 spanning the medians): over the datasets with at
    least 3 reducers, which variant is most often the most accurate within the budget,
    in how many datasets, and its median err/r there."""
    datasets = [variant_points(part) for _, part in dataset_groups(cells)]
    datasets = [p for p in datasets if p.index.get_level_values(0).nunique() >= 3]
    if not datasets:
        return pd.DataFrame()
    times = np.concatenate([p["time"].to_numpy() for p in datasets])
    budgets = 10.0 ** np.arange(np.floor(np.log10(times.min())), np.ceil(np.log10(times.max())) + 1)
    rows = []
    for budget in budgets:
        within = [p[p["time"] <= budget]["err"] for p in datasets]
        best = [(b.idxmin(), b.min()) for b in within if len(b)]  # (reducer, variant), err
        if not best:
            continue
        winner = pd.Series([v for (_, v), _ in best]).value_counts()
        errs = [err for (_, v), err in best if v == winner.index[0]]
        rows.append({"budget_s": budget, "datasets": len(best), "most accurate": winner.index[0],
                     "wins": int(winner.iloc[0]), "err_over_r": float(np.median(errs))})  # fmt: skip
    return pd.DataFrame(rows)


def front_frame(cells):
    """Per reducer: in how many datasets (of those with at least 3 reducers) one of its
    variants is on the time/error Pareto front."""
    counts, total = {}, 0
    for _, part in dataset_groups(cells):
        points = variant_points(part)
        if points.index.get_level_values(0).nunique() < 3:
            continue
        total += 1
        for reducer in {r for r, _ in pareto_front(points)}:
            counts[reducer] = counts.get(reducer, 0) + 1
    rows = [{"reducer": r, "on the front": c, "datasets": total} for r, c in sorted(counts.items())]
    return pd.DataFrame(rows, columns=["reducer", "on the front", "datasets"])


def equal_m_frame(cells):
    """Median err/r in the paper's regime (r < PAPER_REGIME_R) per dataset family, n and
    m rounded to a power of 2 (sizes within a factor sqrt(2) count as equal), one column
    per reducer, with m = 0's err/r as the reference column."""
    regime = cells[cells["dataset.r"] < PAPER_REGIME_R]
    zero = regime[regime["reducer"] == "zero"]
    sized = regime[(regime["m"] > 0) & regime["m"].notna()]
    if sized.empty:
        return pd.DataFrame()
    sized = sized.assign(m_class=2.0 ** np.round(np.log2(sized["m"].astype(float))))
    table = sized.pivot_table(
        index=["dataset.family", "dataset.n", "m_class"], columns="reducer",
        values="attn_err_over_r", aggfunc="median",
    )  # fmt: skip
    reference = zero.groupby(["dataset.family", "dataset.n"])["attn_err_over_r"].median()
    table.insert(0, "zero (m = 0)", [reference.get(k[:2], np.nan) for k in table.index])
    table = table.reset_index().rename(
        columns={"dataset.family": "family", "dataset.n": "n", "m_class": "m ≈"}
    )
    table.columns.name = None
    return table
