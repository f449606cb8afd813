"""Cost-model fits: free log-log slopes of time along swept axes, and whole-model fits.

Slope.  Along an axis (``n``, ``d``, or ``nnz`` when the density moves), the cells that
share every other coordinate (reducer parameters, settings, the dataset's other axes;
replicate seeds are pooled; axes zipped with this one in the config move with it) form
a *line*.  The slope b of
log t = c_line + b log x is the within-line least-squares slope (one intercept per
line), t the median of a cell's repeats.  Its 95% interval is a percentile bootstrap that
resamples the cells of each line and the repeats of each cell.

Model.  T ~ c0 + sum_j a_j term_j with the terms of :data:`attnbench.cost_models.COST_MODELS`
and a_j, c0 >= 0, fitted by non-negative least squares on relative residuals (cell i
weighted by 1/t_i, so a millisecond cell counts as much as a second one).  c0 is a per-call
overhead (interpreter, allocation) that no model of the paper has and every measurement
does; without it the smallest cells decide the fit.  R^2 is computed on log t, so it
compares models across the decades a sweep spans.

A model's *asymptotic* slope along an axis is that of its steepest term (what the O()
bound says for large x); its *fitted* slope is that of c0 + sum_j a_j term_j with the
fitted constants, over the measured cells.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from attnbench.cost_models import COST_MODELS, OMEGA_BLAS, OMEGA_PAPER
from attnbench.intervals import LEVEL, N_BOOT, percentile_bootstrap
from attnbench.numbers import given, number

AXES = {"n": "n", "d": "d", "nnz": "density"}  # swept axis -> the config axis that moves it
DATASET_AXES = ("family", "n", "d", "density", "r", "params")
OMEGAS = (OMEGA_PAPER, OMEGA_BLAS)
PAPER_MODELS = ("randomized", "deterministic")
MIN_DISTINCT_X = 3  # a sweep needs at least this many distinct axis values
R2_GOOD = 0.9  # a model "explains" a reducer when its log-R^2 reaches this ...
# ... and its fitted slope lies inside the measured slope's interval on every swept axis.


@dataclass(frozen=True)
class Sweep:
    """Cells of one reducer along one axis: positions ``index`` in the cells frame."""

    reducer: str
    axis: str
    label: str  # the axis, plus the axes zipped with it ("d (with density)")
    index: pd.Index
    x: np.ndarray
    line: np.ndarray  # line id per cell


@dataclass(frozen=True)
class ModelFit:
    """T ~ overhead + sum_j constants_j * terms_j, fitted on ``cells`` cells."""

    reducer: str
    model: str
    omega: float
    terms: tuple
    constants: tuple
    overhead: float
    r2: float
    cells: int

    def predict(self, cells):
        T = term_matrix(cells, self.model, self.omega).to_numpy(float)
        return self.overhead + T @ np.asarray(self.constants)


def model_stats(cells):
    """n, d, nnz, sum_nnz_col_sq, m, nm (Y's entries, n·m) and updates (of Y, one per
    nonzero of X) per cell: the dataset's measured stats, else its spec."""

    def column(name, fallback):
        if name in cells:
            values = pd.to_numeric(cells[name], errors="coerce")
            return values.fillna(fallback) if fallback is not None else values
        return fallback if fallback is not None else pd.Series(np.nan, index=cells.index)

    n = column("stats.n", cells["dataset.n"]).astype(float)
    d = column("stats.d", cells["dataset.d"]).astype(float)
    density = cells.get("dataset.density", 1.0)
    nnz = column("stats.nnz", n * d * density).astype(float)
    return pd.DataFrame(
        {
            "n": n,
            "d": d,
            "nnz": nnz,
            "sum_nnz_col_sq": column("stats.sum_nnz_col_sq", None).astype(float),
            "m": column("m", None).astype(float),
            "nm": column("stats.nm", n * column("m", None).astype(float)).astype(float),
            "updates": column("stats.updates", nnz).astype(float),
        },
        index=cells.index,
    )


def term_matrix(cells, model, omega):
    """The model's terms (before constants), one row per cell, one column per term."""
    rows = [
        COST_MODELS[model].predict_terms(s, omega) for s in model_stats(cells).to_dict("records")
    ]
    return pd.DataFrame(rows, index=cells.index, dtype=float)


def _context_columns(cells):
    columns = ["reducer"]
    columns += [f"dataset.{a}" for a in DATASET_AXES if f"dataset.{a}" in cells]
    columns += sorted(c for c in cells if c.startswith(("param.", "setting.")))
    return [c for c in columns if c in cells]


def _axis_values(cells, axis):
    if axis == "nnz":
        return model_stats(cells)["nnz"].to_numpy(float)
    return cells[f"dataset.{axis}"].to_numpy(float)


def find_sweeps(cells, zipped=None):
    """Every (reducer, axis) along which the cells move with the other coordinates fixed.

    ``cells`` are ok cells (a run's frame); ``zipped`` maps experiments to axes that move
    together: those are left out of the line key, and named in the label, where the
    moving axis determines them (one value of each partner per value of it and line);
    where it does not,
    the zipped axes list points, not a path, and each partner stays in the line key (a
    line of sparse X at n = 256 does not pool d = 2^16 with d = 2^20).
    """
    zipped = zipped or {}
    cells = cells[cells["time_median"] > 0]
    sweeps = []
    for reducer, group in cells.groupby("reducer", sort=True):
        for axis, moving in AXES.items():
            keys = pd.Series(None, index=group.index, dtype=object)
            partners = set()
            for experiment, part in group.groupby("experiment", sort=True):
                together = {moving}
                for g in zipped.get(experiment, ()):
                    if moving in g:
                        together |= set(g)
                fixed = [
                    c for c in _context_columns(part) if c.removeprefix("dataset.") not in together
                ]
                if not _determined(part, fixed, moving, together - {moving}):
                    together = {moving}
                    fixed = [c for c in _context_columns(part) if c != f"dataset.{moving}"]
                partners |= together - {moving}
                # the coordinates, not the experiment, define a line: a cell that two
                # experiments share (one dataset, one reducer setting) lies on both lines
                keys[part.index] = [
                    (tuple(sorted(together)), *row)
                    for row in part[fixed].map(_hashable).itertuples(index=False)
                ]
            line = pd.Series(pd.factorize(keys)[0], index=group.index)
            x = _axis_values(group, axis)
            keep = np.zeros(len(group), bool)
            for g in np.unique(line):
                members = line.to_numpy() == g
                if np.unique(x[members]).size >= 2:
                    keep |= members
            if np.unique(x[keep]).size < MIN_DISTINCT_X:
                continue
            label = axis + (f" (with {', '.join(sorted(partners))})" if partners else "")
            sweeps.append(
                Sweep(reducer, axis, label, group.index[keep], x[keep], line.to_numpy()[keep])
            )
    return sweeps


def _determined(part, fixed, moving, partners):
    """Whether the moving axis and the fixed coordinates determine every partner's value."""
    columns = [f"dataset.{p}" for p in sorted(partners) if f"dataset.{p}" in part]
    if not columns:
        return True
    frame = part[[*fixed, f"dataset.{moving}", *columns]].map(_hashable)
    groups = frame.groupby([*fixed, f"dataset.{moving}"])[columns].nunique()
    return bool((groups <= 1).all(axis=None))


def _hashable(value):
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, float) and np.isnan(value):
        return "nan"
    return value


def within_line_slope(log_x, log_y, line):
    """Least-squares slope of log_y on log_x with one intercept per line (nan if flat)."""
    sxy = sxx = 0.0
    for g in np.unique(line):
        members = line == g
        xc = log_x[members] - log_x[members].mean()
        sxy += float(xc @ (log_y[members] - log_y[members].mean()))
        sxx += float(xc @ xc)
    return sxy / sxx if sxx > 0 else float("nan")


def slope_interval(x, times, line, *, n_boot=N_BOOT, level=LEVEL, seed=0):
    """(slope, low, high): the within-line log-log slope of median time on x, with a
    percentile bootstrap interval resampling cells within lines and repeats within cells.

    ``times`` holds each cell's list of repeat times; the seed fixes the interval bitwise.
    """
    log_x = np.log(np.asarray(x, float))
    line = np.asarray(line)
    times = [np.asarray(t, float) for t in times]
    slope = within_line_slope(log_x, np.log([np.median(t) for t in times]), line)

    def replicates(rng, n_boot):
        medians = np.empty((n_boot, len(times)))
        for i, t in enumerate(times):
            medians[:, i] = np.median(t[rng.integers(0, t.size, (n_boot, t.size))], axis=1)
        log_medians = np.log(medians)
        sxy = np.zeros(n_boot)
        sxx = np.zeros(n_boot)
        for g in np.unique(line):
            members = np.flatnonzero(line == g)
            pick = members[rng.integers(0, members.size, (n_boot, members.size))]
            xs = log_x[pick]
            ys = np.take_along_axis(log_medians, pick, axis=1)
            xc = xs - xs.mean(axis=1, keepdims=True)
            sxy += np.sum(xc * (ys - ys.mean(axis=1, keepdims=True)), axis=1)
            sxx += np.sum(xc * xc, axis=1)
        # a resample that drew one x per line has no slope (nan, dropped)
        return np.divide(sxy, sxx, out=np.full(n_boot, np.nan), where=sxx > 0)

    low, high = percentile_bootstrap(replicates, n_boot=n_boot, level=level, seed=seed)
    return slope, low, high


def _r2_log(t, predicted):
    log_t = np.log(t)
    residual = log_t - np.log(np.maximum(predicted, np.finfo(float).tiny))
    total = np.sum((log_t - log_t.mean()) ** 2)
    return float(1 - np.sum(residual**2) / total) if total > 0 else float("nan")


def fit_model(cells, model, omega=OMEGA_PAPER, *, overhead=True, reducer=""):
    """Non-negative least squares of median time on the model's terms (plus an overhead).

    Minimises sum_i ((c0 + sum_j a_j term_ij) / t_i - 1)^2 over a_j, c0 >= 0.  Cells with
    a missing statistic are left out.
    """
    T = term_matrix(cells, model, omega)
    names = list(T.columns)
    A = T.to_numpy(float)
    t = cells["time_median"].to_numpy(float)
    use = np.isfinite(A).all(axis=1) & (t > 0)
    A, t = A[use], t[use]
    if overhead:
        A = np.column_stack([A, np.ones(len(t))])
    if len(t) == 0:
        nan = float("nan")
        return ModelFit(reducer, model, omega, tuple(names), (nan,) * len(names), nan, nan, 0)
    weighted = A / t[:, None]
    scale = weighted.max(axis=0)
    scale[scale == 0] = 1.0  # an all-zero term gets constant 0
    coef = nnls(weighted / scale, np.ones(len(t)))[0] / scale
    constants, c0 = (coef[:-1], coef[-1]) if overhead else (coef, 0.0)
    r2 = _r2_log(t, A @ coef)
    return ModelFit(
        reducer, model, omega, tuple(names), tuple(map(float, constants)), float(c0), r2, len(t)
    )


def candidate_models(reducer, cells, facts=None):
    """(model, omega, role) to test for a reducer: the paper's two models at omega = 2.373
    and 3, and the reducer's declared model as stored with the run (``facts``, a
    :class:`attnbench.store.facts.RunFacts`; once, omega nan, if the model does not use omega)."""
    out = [(m, w, f"paper {m}") for m in PAPER_MODELS for w in OMEGAS]
    own = facts.cost_model(reducer) if facts else None
    if own in COST_MODELS and own not in PAPER_MODELS:
        terms = [term_matrix(cells, own, w).to_numpy() for w in OMEGAS]
        same = np.allclose(terms[0], terms[1], equal_nan=True)
        out += [(own, float("nan"), "own")] if same else [(own, w, "own") for w in OMEGAS]
    return out


def _asymptotic_slope(terms, log_x, line):
    """The steepest term's slope; nan when a term is unknown (a missing statistic).  A
    term that is 0 somewhere contributes nothing there and is left out."""
    if not np.isfinite(terms.to_numpy(float)).all():
        return float("nan")
    slopes = [
        within_line_slope(log_x, np.log(terms[c].to_numpy()), line)
        for c in terms
        if (terms[c] > 0).all()
    ]
    return max(slopes, default=0.0)


def model_label(model, omega):
    """'randomized ω=2.373'; a model that does not use omega (omega nan) is its name."""
    return model if np.isnan(omega) else f"{model} ω={given(omega)}"


@dataclass
class FitReport:
    """Every fit of a run, as tables (one row per ...):

    ``slopes``       reducer x axis: measured slope and its interval
    ``predictions``  reducer x axis x model x omega: asymptotic and fitted slope, inside?
    ``models``       reducer x model x omega: constants, overhead, R^2
    ``verdict``      reducer: which model explains the measurements, how far off the others
    """

    sweeps: list
    slopes: pd.DataFrame
    predictions: pd.DataFrame
    models: pd.DataFrame
    verdict: pd.DataFrame
    fits: dict  # (reducer, model, omega) -> ModelFit


def analyse(cells, facts=None, *, n_boot=N_BOOT, seed=0):
    """Fit slopes and models for every reducer of a run's ok cells; see FitReport.

    ``facts`` (the run's :class:`attnbench.store.facts.RunFacts`, from the store) names the axes
    each experiment zipped and each reducer's own cost model; without it no axes are
    zipped and only the paper's models are fitted.
    """
    cells = cells[(cells["status"] == "ok") & (cells["time_median"] > 0)]
    sweeps = find_sweeps(cells, facts.zipped_axes() if facts else None)
    slopes = pd.DataFrame(
        [_slope_row(sweep, cells.loc[sweep.index], n_boot, seed) for sweep in sweeps],
        columns=_SLOPE_COLUMNS,
    )
    candidates = [
        (reducer, part, model, omega, role)
        for reducer, part in cells.groupby("reducer", sort=True)
        for model, omega, role in candidate_models(reducer, part, facts)
    ]
    fits = {
        (reducer, model, omega): fit_model(part, model, omega, reducer=reducer)
        for reducer, part, model, omega, _ in candidates
    }
    models = pd.DataFrame(
        [_model_row(fits[r, m, w], role) for r, _, m, w, role in candidates],
        columns=_MODEL_COLUMNS,
    )
    predictions = pd.DataFrame(
        [
            row
            for sweep, (_, slope) in zip(sweeps, slopes.iterrows())
            for row in _prediction_rows(sweep, slope, cells.loc[sweep.index], fits)
        ],
        columns=_PREDICTION_COLUMNS,
    )
    return FitReport(
        sweeps, slopes, predictions, models, _verdict(slopes, predictions, models), fits
    )


def _slope_row(sweep, part, n_boot, seed):
    slope, low, high = slope_interval(sweep.x, part["times"], sweep.line, n_boot=n_boot, seed=seed)
    return {
        "reducer": sweep.reducer,
        "axis": sweep.label,
        "cells": len(part),
        "lines": np.unique(sweep.line).size,
        "x_min": float(sweep.x.min()),
        "x_max": float(sweep.x.max()),
        "slope": slope,
        "ci_low": low,
        "ci_high": high,
    }


def _model_row(fit, role):
    return {
        "reducer": fit.reducer,
        "model": fit.model,
        "omega": fit.omega,
        "label": model_label(fit.model, fit.omega),
        "role": role,
        "formula": COST_MODELS[fit.model].formula,
        "constants": ", ".join(f"{name}: {number(c)}" for name, c in zip(fit.terms, fit.constants)),
        "overhead_s": fit.overhead,
        "r2_log": fit.r2,
        "cells": fit.cells,
    }


def _prediction_rows(sweep, slope, part, fits):
    """Each fitted model of the sweep's reducer along the sweep: asymptotic and fitted
    slope, and whether the fitted one lies inside the measured slope's interval."""
    log_x = np.log(sweep.x)
    for (reducer, model, omega), fit in fits.items():
        if reducer != sweep.reducer:
            continue
        asymptotic = _asymptotic_slope(term_matrix(part, model, omega), log_x, sweep.line)
        fitted = within_line_slope(log_x, np.log(fit.predict(part)), sweep.line)
        yield {
            "reducer": reducer,
            "axis": sweep.label,
            "model": model,
            "omega": omega,
            "label": model_label(model, omega),
            "asymptotic_slope": asymptotic,
            "fitted_slope": fitted,
            "inside_ci": bool(slope["ci_low"] <= fitted <= slope["ci_high"]),
        }


_SLOPE_COLUMNS = [
    "reducer",
    "axis",
    "cells",
    "lines",
    "x_min",
    "x_max",
    "slope",
    "ci_low",
    "ci_high",
]
_PREDICTION_COLUMNS = [
    "reducer", "axis", "model", "omega", "label", "asymptotic_slope", "fitted_slope", "inside_ci"
]  # fmt: skip
_MODEL_COLUMNS = [
    "reducer", "model", "omega", "label", "role", "formula", "constants", "overhead_s", "r2_log",
    "cells"
]  # fmt: skip


def _verdict(slopes, predictions, models):
    rows = []
    for reducer, candidates in models.groupby("reducer", sort=True):
        mine = predictions[predictions["reducer"] == reducer].merge(
            slopes[["reducer", "axis", "slope"]], on=["reducer", "axis"]
        )
        n_axes = int((slopes["reducer"] == reducer).sum())
        scored = []
        for c in candidates.itertuples():
            p = mine[mine["label"] == c.label]
            gap = float((p["fitted_slope"] - p["slope"]).abs().max()) if len(p) else float("nan")
            scored.append((int(p["inside_ci"].sum()), c.r2_log, c.model, c.omega, c.role, gap))
        best = max(scored, key=lambda s: (s[0], np.nan_to_num(s[1], nan=-np.inf)))
        inside, r2, model, omega, _, gap = best
        if n_axes == 0:
            explains = "untested: no axis swept"
        elif inside == n_axes and r2 >= R2_GOOD:
            explains = "yes"
        elif inside > 0 or r2 >= R2_GOOD:
            explains = "partly"
        else:
            explains = "no"
        row = {
            "reducer": reducer,
            "own_model": next((s[2] for s in scored if s[4] == "own"), ""),
            "swept_axes": ", ".join(slopes.loc[slopes["reducer"] == reducer, "axis"]),
            "best_model": model_label(model, omega),
            "best_r2_log": r2,
            "slopes_inside_ci": f"{inside}/{n_axes}",
            "explains": explains,
        }
        for paper in PAPER_MODELS:
            # each paper model at its better omega, with its worst slope gap
            own = [s for s in scored if s[2] == paper]
            top = max(own, key=lambda s: (s[0], np.nan_to_num(s[1], nan=-np.inf)))
            row[f"{paper}_r2_log"] = top[1]
            row[f"{paper}_omega"] = top[3]
            row[f"{paper}_max_slope_gap"] = top[5]
        rows.append(row)
    return pd.DataFrame(rows)
