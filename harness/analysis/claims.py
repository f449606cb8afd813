"""The seed paper's claims and the pre-registered rules that judge them against a run.

Deng, Mahadevan, Song (arXiv 2304.04397).  Randomized (Thm 1, reducer ``leverage_fast``):
time Õ(nnz(X) + n^ω), m = O(n log(n/δ)), error O(r) with probability 1 − δ.
Deterministic (Thm 2, reducer ``bss``): time Õ(min{Σ_i nnz(X_i)², d·n^(ω−1)} + n^(ω+1)),
m = O(n), error O(r).  Each claim is judged on the paper's reducer and, by the same rule,
on ``zero`` (m = 0), ``svd`` (exact) and the run's calibration reducers (family
``calibration``: planted faults that the rules must judge ``fails``).

Pre-registration.  The rules and their parameters (RULE_PARAMETERS) are fixed here,
versioned (RULES_VERSION) and hashed (RULES_HASH); a run stores RULES_STAMP when it
starts, and :func:`check_claims` withholds every verdict of a run made under another
stamp.  Changing a rule or a constant is a new version and a new run, never an edit
that flips a stored verdict.

Verdicts: ``holds``, ``fails``, ``vacuous`` (holds, but so does m = 0: the statement
cannot tell a reducer from nothing), ``inconclusive`` (the interval is too wide to
decide), ``not tested`` (the run lacks the cells), ``absent`` (the reducer is not in
the run), ``withheld`` (the run was made under other rules).

Time.  Only dedicated time sweeps count: cells with at least MIN_TIME_REPEATS stored
repeats, run alone (concurrency 1); accuracy cells (one repeat) never do.  Along every
swept axis (n, d, nnz) and every line of the sweep (the other coordinates fixed), the
local log-log slope over each of the top TOP_DOUBLINGS doublings (from the largest x
down to the largest x at most half of it, and once more) with a bootstrap interval
(repeats within cells, cells within each x; Bonferroni over the reducer's segments).
The bound's asymptotic exponent alone has no power: a reducer costing O(n·nnz(X)) has
slope 2 along n, below n^ω, and slope 1 along d and nnz, like nnz(X).  What it cannot
do is match the claimed model a·nnz + b·n^ω with *one* pair of constants on every
sweep.  So the claimed model's constants (and a per-call overhead) are fitted by NNLS
on all of the reducer's time cells, at ω = 2.373 and at ω = 3, and each measured local
slope is compared with the fitted model's local slope over the same segment:
``above`` when the interval's low end exceeds it + SLOPE_SLACK (Õ hides polylogs: one
log factor adds 1/ln x, 0.14 at x = 1024), ``below`` when the high end does not,
``straddles`` otherwise.  At one ω the part fails when a segment is above, holds when
all are below.  The claim holds when it holds at either ω (2.373 is the paper's, 3 what
dense BLAS does), fails when it fails at both, else it is inconclusive.  Why the top
two doublings, not one: with the O(n·nnz) fault, NNLS lets b·n^ω bend the model up at
the very top of the n range, and the misfit shows one doubling lower (a simulation of
the regime preset's sweeps, fault 3 times leverage_fast's cost at n = 1024, ω = 3:
model 2.46 against a measured 2.19 over n = 2048→4096, 1.83 against 2.07 over
1024→2048); below that, per-call overheads and caches, not the model's terms, set the
slope.

Size.  Cells at the theory's size (no parameter set but eps and delta), along every
line of a swept n: the local slope of m over the top doubling of n among the cells with
m < SATURATION·d, against the bound's local slope there (n log(n/δ) or n), + SLOPE_SLACK.
Where m ≥ d/4 the reducer keeps a quarter of X's columns or more (for draws spread over
d columns, repeats start to merge): m then grows with d, not with the rule, and those
cells are left out; if nothing is left the part is inconclusive and says so.

Error.  Theory-sized cells, each one trial (a dataset and a draw of the reducer's
randomness).  Two statements: the paper's, attn_err_inf ≤ C·r (C = ERROR_CONSTANT = 1)
on the cells with r < PAPER_REGIME_R, and the one its proof gives,
(1−ε)XXᵀ ⪯ YYᵀ ⪯ (1+ε)XXᵀ (spectral_eps ≤ ε, the cell's ε; scale-free, so every r).  A
randomized reducer (as stored with the run) must meet them with probability 1 − δ: the
exact Clopper-Pearson interval of its failure rate, pooled over the run's datasets,
holds when its upper end is ≤ δ (at least 36 clean trials at δ = 0.1) and fails when
its lower end is > δ.  A deterministic reducer fails on X with probability 0 or 1, so
one cell per X decides: it holds when no cell fails, fails when one does.  The m = 0
reducer is judged by the same rule; when it passes, the statement is vacuous (its
error is about r/n: err/r ≈ 1/n).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attnbench.analysis.fits import find_sweeps, fit_model, model_stats
from attnbench.cost_models import OMEGA_BLAS, OMEGA_PAPER
from attnbench.intervals import LEVEL, N_BOOT, percentile_bootstrap, proportion_interval
from attnbench.paper import (
    DEFAULT_DELTA,
    DEFAULT_EPS,
    ERROR_CONSTANT,
    MIN_TIME_REPEATS,
    PAPER_REGIME_R,
    SATURATION,
    time_cells,
)

RULES_VERSION = 2
SLOPE_SLACK = 0.15
TOP_DOUBLINGS = 2
THEORY_PARAMS = ("eps", "delta")  # the only parameters a theory-sized cell may set
OMEGAS = (OMEGA_PAPER, OMEGA_BLAS)
# Each calibration reducer and the part its planted fault must fail.
CALIBRATION = {"calibration_cost": "time", "calibration_size": "size", "calibration_error": "error"}
RULE_PARAMETERS = {
    "slope_slack": SLOPE_SLACK,
    "paper_regime_r": PAPER_REGIME_R,
    "error_constant": ERROR_CONSTANT,
    "default_delta": DEFAULT_DELTA,
    "default_eps": DEFAULT_EPS,
    "min_time_repeats": MIN_TIME_REPEATS,
    "top_doublings": TOP_DOUBLINGS,
    "saturation": SATURATION,
    "theory_params": list(THEORY_PARAMS),
    "omegas": list(OMEGAS),
    "level": LEVEL,
    "n_boot": N_BOOT,
    "calibration": CALIBRATION,
}
RULES_HASH = hashlib.sha256(json.dumps(RULE_PARAMETERS, sort_keys=True).encode()).hexdigest()[:12]
RULES_STAMP = f"{RULES_VERSION}:{RULES_HASH}"  # stored with every run (attnbench.store.facts)
REFERENCES = {"zero": "trivial (m = 0)", "svd": "exact (m = rank)"}
COLUMNS = ["claim", "part", "reducer", "role", "expected", "measured", "verdict"]
SEGMENT_COLUMNS = [
    "claim", "reducer", "variant", "axis", "line", "x_low", "x_high", "slope", "ci_low",
    "ci_high", f"model ω={OMEGA_PAPER:g}", f"model ω={OMEGA_BLAS:g}", "verdict",
]  # fmt: skip


@dataclass(frozen=True)
class Claim:
    key: str
    theorem: str
    reducer: str
    time_model: str  # a key of COST_MODELS
    time_bound: str
    size_term: str  # m = O(size_term)
    size_exponent: str  # how the size bound grows along n, for sentences
    uses_delta: bool

    def size(self, n, delta):
        """The size bound at n (up to its constant)."""
        n = np.asarray(n, float)
        return n * np.log(n / delta) if self.uses_delta else n

    @property
    def statement(self):
        error = "O(r) with probability 1 − δ" if self.uses_delta else "O(r)"
        return (
            f"{self.theorem} ({self.key}, reducer {self.reducer}): time {self.time_bound}, "
            f"m = O({self.size_term}), error {error}."
        )


CLAIMS = (
    Claim(
        "randomized",
        "Theorem 1",
        "leverage_fast",
        "randomized",
        "Õ(nnz(X) + n^ω)",
        "n log(n/δ)",
        "n log n",
        True,
    ),
    Claim(
        "deterministic",
        "Theorem 2",
        "bss",
        "deterministic",
        "Õ(min{Σ nnz(X_i)², d·n^(ω−1)} + n^(ω+1))",
        "n",
        "n",
        False,
    ),
)


def rules_text(stamp):
    """'version 2 (parameters abc123def456)' for a stored stamp."""
    version, _, digest = str(stamp).partition(":")
    return f"version {version or 'unknown'}" + (f" (parameters {digest})" if digest else "")


@dataclass
class ClaimsReport:
    """``verdicts``: one row per (claim, part, reducer) (COLUMNS); ``segments``: every
    local time slope judged (SEGMENT_COLUMNS); ``calibration``: one row per calibration
    reducer in the run, its planted part and verdict; ``withheld``: the run was made
    under other rules (every verdict is 'withheld')."""

    verdicts: pd.DataFrame
    segments: pd.DataFrame
    calibration: pd.DataFrame
    withheld: bool
    stamp: str


# --- cells --------------------------------------------------------------------------------


def _param_columns(cells):
    return sorted(c for c in cells if c.startswith("param."))


def _unset(values):
    return values.isna() | (values.astype(str) == "auto")


def theory_cells(cells):
    """Cells at the theory's size: no parameter set but THEORY_PARAMS (n_components may
    be 'auto')."""
    keep = pd.Series(True, index=cells.index)
    for column in _param_columns(cells):
        if column.removeprefix("param.") not in THEORY_PARAMS:
            keep &= _unset(cells[column])
    return cells[keep]


def _variants(cells):
    """(variant text, cells) per distinct parameter setting."""
    params = _param_columns(cells)
    if cells.empty:
        return []
    if not params:
        return [("", cells)]
    keys = pd.Series(
        [", ".join(map(str, row)) for row in cells[params].itertuples(index=False)], cells.index
    )
    out = []
    for _, part in cells.groupby(keys, sort=True):
        given = [
            f"{p.removeprefix('param.')}={part[p].iloc[0]}" for p in params if part[p].notna().all()
        ]
        out.append((", ".join(given), part))
    return out


def _resolved(reducer, cells, param, facts, fallback):
    """The value of ``param`` per cell: configured, else the reducer's stored default,
    else ``fallback``."""
    default = facts.default(reducer, param) if facts else None
    default = fallback if default is None else default
    if f"param.{param}" in cells:
        values = pd.to_numeric(cells[f"param.{param}"], errors="coerce")
        return values.fillna(default).to_numpy(float)
    return np.full(len(cells), float(default))


# --- local slopes -------------------------------------------------------------------------


def top_segments(xs, count):
    """Up to ``count`` segments (x_low, x_high) from the top of the values ``xs``:
    x_high starts at the largest, x_low is the largest value at most x_high / 2, and the
    next segment ends where this one starts."""
    xs = sorted({float(x) for x in xs})
    segments, high = [], xs[-1] if xs else None
    while high is not None and len(segments) < count:
        lower = [x for x in xs if x <= high / 2 * (1 + 1e-9)]
        if not lower:
            break
        segments.append((lower[-1], high))
        high = lower[-1]
    return segments


def local_slope(low, high, *, level=LEVEL, seed=0):
    """(slope, ci_low, ci_high) of log value against log x between two groups of cells.

    ``low`` and ``high`` are (log x, list of per-cell arrays of repeats); a group's value
    is the mean over its cells of log median(repeats).  Percentile bootstrap: repeats
    resampled within each cell, cells within each group.
    """
    span = high[0] - low[0]

    def value(cells):
        return float(np.mean([np.log(np.median(c)) for c in cells]))

    def draws(rng, n_boot, cells):
        medians = np.column_stack(
            [np.median(c[rng.integers(0, c.size, (n_boot, c.size))], axis=1) for c in cells]
        )
        pick = rng.integers(0, len(cells), (n_boot, len(cells)))
        return np.log(np.take_along_axis(medians, pick, axis=1)).mean(axis=1)

    def replicates(rng, n_boot):
        return (draws(rng, n_boot, high[1]) - draws(rng, n_boot, low[1])) / span

    slope = (value(high[1]) - value(low[1])) / span
    return (slope, *percentile_bootstrap(replicates, level=level, seed=seed))


@dataclass(frozen=True)
class Segment:
    """One judged doubling of one line of a sweep: the cells (index labels) at its two
    ends, keyed by the configured coordinate (n, d or density)."""

    axis: str  # n, d or nnz
    label: str  # the sweep's axis label, e.g. "d (with density)"
    line: str
    x_low: float
    x_high: float
    low: pd.Index
    high: pd.Index


_CONFIGURED = {"n": "n", "d": "d", "nnz": "density"}


def sweep_segments(cells, zipped=None, count=TOP_DOUBLINGS, axes=("n", "d", "nnz"), keep=None):
    """The top ``count`` doublings of every line of every sweep of ``cells`` (one
    reducer variant) along ``axes``, among the cells where ``keep`` (a boolean Series;
    default all) holds."""
    out = []
    for sweep in find_sweeps(cells, zipped):
        if sweep.axis not in axes:
            continue
        part = cells.loc[sweep.index]
        coordinate = part[f"dataset.{_CONFIGURED[sweep.axis]}"].to_numpy(float)
        kept = np.ones(len(part), bool) if keep is None else keep.loc[sweep.index].to_numpy()
        for line in np.unique(sweep.line):
            on = (sweep.line == line) & kept
            if not on.any():
                continue
            name = str(part["dataset.family"].to_numpy()[on][0])
            for low, high in top_segments(coordinate[on], count):
                out.append(
                    Segment(sweep.axis, sweep.label, name, low, high,
                            part.index[on & (coordinate == low)],
                            part.index[on & (coordinate == high)])
                )  # fmt: skip
    return out


def _ends(segment, values, x):
    """(low, high) groups of :func:`local_slope`: (mean log x, per-cell value arrays)."""
    return tuple(
        (float(np.mean(np.log(x[idx]))), [np.atleast_1d(np.asarray(v, float)) for v in values[idx]])
        for idx in (segment.low, segment.high)
    )


def _position(low, high, reference):
    """Where an interval lies against reference + SLOPE_SLACK: above, below, straddles
    (None when the reference is unknown)."""
    if not np.isfinite(reference):
        return None
    if low > reference + SLOPE_SLACK:
        return "above"
    if high <= reference + SLOPE_SLACK:
        return "below"
    return "straddles"


def _combine(positions):
    """One part's verdict from the positions of its segments (None: untestable)."""
    if not positions or any(p is None for p in positions):
        return None
    if "above" in positions:
        return "fails"
    return "holds" if all(p == "below" for p in positions) else "inconclusive"


# --- the three parts ----------------------------------------------------------------------


def _model_slope(predicted, segment, x):
    (x_low, low), (x_high, high) = _ends(segment, predicted, x)
    return (np.mean(np.log(np.concatenate(high))) - np.mean(np.log(np.concatenate(low)))) / (
        x_high - x_low
    )


def _time_rows(claim, reducer, cells, facts):
    """One row per judged segment of the reducer's dedicated time sweeps (SEGMENT_COLUMNS)."""
    zipped = facts.zipped_axes() if facts else None
    jobs = [
        (variant, part, segment)
        for variant, part in _variants(time_cells(cells))
        for segment in sweep_segments(part, zipped)
    ]
    level = 1 - (1 - LEVEL) / max(len(jobs), 1)
    predicted = {}
    rows = []
    for variant, part, segment in jobs:
        x = model_stats(part)[segment.axis]
        for omega in OMEGAS:
            if (variant, omega) not in predicted:
                fit = fit_model(part, claim.time_model, omega, reducer=reducer)
                predicted[variant, omega] = pd.Series(fit.predict(part), index=part.index)
        slope, low, high = local_slope(*_ends(segment, part["times"], x), level=level)
        models = [_model_slope(predicted[variant, w], segment, x) for w in OMEGAS]
        positions = tuple(_position(low, high, model) for model in models)
        rows.append(
            {
                "claim": claim.key,
                "reducer": reducer,
                "variant": variant,
                "axis": segment.label,
                "line": segment.line,
                "x_low": segment.x_low,
                "x_high": segment.x_high,
                "slope": slope,
                "ci_low": low,
                "ci_high": high,
                **{f"model ω={w:g}": model for w, model in zip(OMEGAS, models)},
                "verdict": " / ".join(p or "model unknown" for p in positions),
                "positions": positions,
            }
        )
    return rows


def _time_part(claim, reducer, cells, facts):
    rows = _time_rows(claim, reducer, cells, facts)
    if not rows:
        kept = len(time_cells(cells))
        return (
            "not tested",
            (
                f"no dedicated time sweep: {kept} of {len(cells)} cells have ≥ {MIN_TIME_REPEATS} "
                "repeats (run alone), and none of them moves n, d or the density over ≥ 3 values"
            ),
            rows,
        )
    by_omega = {w: _combine([r["positions"][i] for r in rows]) for i, w in enumerate(OMEGAS)}
    tested = {w: v for w, v in by_omega.items() if v is not None}
    if not tested:
        verdict = "not tested"
    elif "holds" in tested.values():
        verdict = "holds"
    elif all(v == "fails" for v in tested.values()):
        verdict = "fails"
    else:
        verdict = "inconclusive"
    per_omega = ", ".join(
        f"{v or 'untested'} at ω={w:g} ({_steepest(rows, w)})" for w, v in by_omega.items()
    )
    lines = len({(r["variant"], r["axis"], r["line"]) for r in rows})
    return verdict, f"{per_omega}; {len(rows)} local slopes on {lines} sweep lines", rows


def _steepest(rows, omega):
    """The segment whose measured slope most exceeds the fitted model's, as text."""
    model = f"model ω={omega:g}"
    finite = [r for r in rows if np.isfinite(r[model])]
    if not finite:
        return "model unknown: a dataset statistic is missing"
    r = max(finite, key=lambda r: r["slope"] - r[model])
    return (
        f"steepest against the model: {r['axis']}, {r['line']}, {r['x_low']:.4g}→"
        f"{r['x_high']:.4g}: {r['slope']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}] vs "
        f"{r[model]:.2f}"
    )


def _size_part(claim, reducer, cells, facts, delta):
    theory = theory_cells(cells)
    theory = theory[theory["m"].notna()]
    if theory.empty:
        return "not tested", "no cell at the theory's size (every cell sets its size)"
    m = theory["m"].to_numpy(float)
    text = f"m from {m.min():g} to {m.max():g} over {len(theory)} theory-sized cells"
    if np.all(m == 0):
        return "holds", "m = 0 in every cell"
    stats = model_stats(theory)
    judged = (theory["m"] > 0) & (theory["m"] < SATURATION * stats["d"])
    capped = theory[theory["m"] >= SATURATION * stats["d"]]
    if len(capped):
        text += (
            f"; m ≥ d/{1 / SATURATION:g} in {len(capped)} cells (n ≥ "
            f"{model_stats(capped)['n'].min():g}): there the reducer keeps a quarter of X's "
            "columns or more, m grows with d and not with the rule, and they are left out"
        )
    zipped = facts.zipped_axes() if facts else None
    segments = sweep_segments(theory, zipped, count=1, axes=("n",), keep=judged)
    if not segments:
        return ("inconclusive" if len(capped) else "not tested"), text + "; no doubling of n left"
    level = 1 - (1 - LEVEL) / len(segments)
    n = stats["n"]
    judged = []
    for segment in segments:
        slope, low, high = local_slope(*_ends(segment, theory["m"], n), level=level)
        bound = math.log(
            claim.size(segment.x_high, delta) / claim.size(segment.x_low, delta)
        ) / math.log(segment.x_high / segment.x_low)
        judged.append(
            (slope - bound, _position(low, high, bound), segment, slope, low, high, bound)
        )
    _, _, segment, slope, low, high, bound = max(judged, key=lambda j: j[0])
    text += (
        f"; {len(judged)} top doublings of n judged, steepest against the bound: {segment.line}, "
        f"n {segment.x_low:g}→{segment.x_high:g}: slope of m {slope:.2f} [{low:.2f}, "
        f"{high:.2f}] vs the bound's {bound:.2f}"
    )
    return _combine([j[1] for j in judged]) or "not tested", text


def _trial_verdict(failures, randomized, delta, what):
    """Verdict and text of a per-cell statement failed in ``failures`` (bool array): a
    randomized reducer by the Clopper-Pearson interval of its failure rate, a
    deterministic one (whose failure probability on each X is 0 or 1) by every cell."""
    k, total = int(np.sum(failures)), len(failures)
    if total == 0:
        return "not tested", f"no cell to judge {what} on"
    if not randomized:
        return ("fails" if k else "holds"), f"{what} violated in {k}/{total} cells"
    low, high = proportion_interval(k, total)
    verdict = "holds" if high <= delta else "fails" if low > delta else "inconclusive"
    return verdict, (
        f"{what} violated in {k}/{total} trials: rate {k / total:.3g}, {LEVEL:.0%} CI "
        f"[{low:.3g}, {high:.3g}] against δ = {delta:g}"
    )


def _trials(cells):
    if "dataset_key" not in cells or cells.empty:
        return ""
    per = cells.groupby("dataset_key").size()
    draws = f", up to {per.max()} draws each" if per.max() > 1 else ""
    return f" ({per.size} datasets{draws})"


def _error_parts(randomized, cells, delta, eps):
    theory = theory_cells(cells)
    regime = theory[theory["dataset.r"] < PAPER_REGIME_R]
    err = regime["attn_err_over_r"].to_numpy(float)
    failed = ~(err <= ERROR_CONSTANT)  # nan (no result) counts as a failure
    paper = _trial_verdict(failed, randomized, delta, f"err ≤ {ERROR_CONSTANT:g}·r")
    paper = (paper[0], paper[1] + _trials(regime) + _error_summary(regime))
    spectral = theory[theory.get("spectral_eps", pd.Series(np.nan, theory.index)).notna()]
    values = spectral["spectral_eps"].to_numpy(float) if len(spectral) else np.empty(0)
    bound = eps.loc[spectral.index].to_numpy(float)
    proof = _trial_verdict(values > bound, randomized, delta, "spectral_eps ≤ ε")
    if len(spectral):
        proof = (proof[0], proof[1] + f"{_trials(spectral)}; median spectral_eps "
                 f"{np.median(values):.3g}, ε = {np.median(bound):g}")  # fmt: skip
    return paper, proof


def _error_summary(regime):
    if regime.empty:
        return ""
    err = regime["attn_err_over_r"].to_numpy(float)
    n = model_stats(regime)["n"].to_numpy(float)
    return (
        f"; err/r median {np.nanmedian(err):.3g} (1/n median {np.median(1 / n):.3g}), "
        f"max {np.nanmax(err):.3g}"
    )


# --- verdict tables -----------------------------------------------------------------------


def _roles(claim, reducers, facts):
    """{reducer: role} judged on a claim: the paper's reducer, the references, and the
    calibration reducers that declare the claim's cost model."""
    roles = {claim.reducer: f"the paper's {claim.key} algorithm", **REFERENCES}
    for name in sorted(reducers):
        stored = facts.reducers.get(name) if facts else None
        calibration = stored.family == "calibration" if stored else name in CALIBRATION
        model = stored.cost_model if stored else "randomized"
        if calibration and model == claim.time_model:
            part = CALIBRATION.get(name, "unknown")
            roles[name] = f"calibration: planted fault in {part}"
    return roles


def _reducer_rows(claim, reducer, cells, facts, fallback):
    """(rows, time segments) of one reducer on one claim."""
    if cells.empty:
        return [("all", claim.statement, "absent", "no ok cell in this run")], []
    delta = float(np.median(_resolved(reducer, cells, "delta", facts, fallback["delta"])))
    eps = pd.Series(_resolved(reducer, cells, "eps", facts, fallback["eps"]), index=cells.index)
    time_verdict, time_text, segments = _time_part(claim, reducer, cells, facts)
    randomized = _randomized(claim, reducer, facts)
    paper, proof = _error_parts(randomized, cells, delta, eps)
    chance = " with probability ≥ 1 − δ" if randomized else " on every X"
    rows = [
        ("time", claim.time_bound, time_verdict, time_text),
        ("size", f"m = O({claim.size_term})", *_size_part(claim, reducer, cells, facts, delta)),
        ("error", f"attn_err_inf ≤ {ERROR_CONSTANT:g}·r, r < {PAPER_REGIME_R:g}{chance}", *paper),
        ("spectral", f"(1−ε)XXᵀ ⪯ YYᵀ ⪯ (1+ε)XXᵀ{chance} (what the proof gives)", *proof),
    ]  # fmt: skip
    return rows, segments


def _randomized(claim, reducer, facts):
    """Whether the reducer draws random numbers: as stored with the run, else the claim's
    kind for its own reducer and the calibration ones (the references are exact)."""
    stored = facts.reducers.get(reducer) if facts else None
    if stored is not None:
        return not stored.deterministic
    return claim.uses_delta and reducer not in REFERENCES


def _claim_fallback(claim, cells, facts):
    """δ and ε of the claim's own reducer (the references have neither)."""
    own = cells[cells["reducer"] == claim.reducer]
    out = {}
    for param, default in (("delta", DEFAULT_DELTA), ("eps", DEFAULT_EPS)):
        values = _resolved(claim.reducer, own, param, facts, default) if len(own) else [default]
        out[param] = float(np.median(values))
    return out


def _mark_vacuous(frame, cells):
    """Per claim: a statement that the m = 0 reducer passes is vacuous for every other
    reducer that passes it."""
    zero = theory_cells(cells[cells["reducer"] == "zero"])
    zero = zero[zero["dataset.r"] < PAPER_REGIME_R]
    if zero.empty:
        return frame
    why = (
        " — vacuous: the m = 0 reducer meets it too (its error is about r/n: err/r median "
        f"{zero['attn_err_over_r'].median():.3g}, 1/n median "
        f"{np.median(1 / model_stats(zero)['n']):.3g})"
    )
    for (_, part), rows in frame.groupby(["claim", "part"]):
        verdict = rows.loc[rows["reducer"] == "zero", "verdict"]
        if part in ("error", "spectral") and list(verdict) == ["holds"]:
            passing = rows.index[(rows["reducer"] != "zero") & (rows["verdict"] == "holds")]
            frame.loc[passing, "verdict"] = "vacuous"
            frame.loc[passing, "measured"] += why
    return frame


def _calibration_frame(frame):
    rows = []
    for r in frame[frame["role"].str.startswith("calibration")].itertuples():
        planted = CALIBRATION.get(r.reducer)
        if r.part == planted:
            rows.append({"reducer": r.reducer, "claim": r.claim, "planted part": planted,
                         "verdict": r.verdict, "caught": r.verdict == "fails"})  # fmt: skip
    return pd.DataFrame(rows, columns=["reducer", "claim", "planted part", "verdict", "caught"])


def check_claims(cells, facts=None):
    """Judge every claim on a run's ok symmetric-attention cells (a store frame) under
    these rules; see :class:`ClaimsReport` and the module doc.

    ``facts`` (the run's :class:`attnbench.store.facts.RunFacts`) gives the stamp of the rules
    the run was made under (verdicts are withheld when it is not RULES_STAMP), the
    zipped axes, the reducers' families and default δ and ε.
    """
    stamp = facts.rules_version if facts else RULES_STAMP
    rows, segments = [], []
    for claim in CLAIMS:
        fallback = _claim_fallback(claim, cells, facts)
        for reducer, role in _roles(claim, set(cells["reducer"]), facts).items():
            part_rows, part_segments = _reducer_rows(
                claim, reducer, cells[cells["reducer"] == reducer], facts, fallback
            )
            rows += [
                dict(zip(COLUMNS, (claim.key, part, reducer, role, expected, measured, verdict)))
                for part, expected, verdict, measured in part_rows
            ]
            segments += part_segments
    frame = _mark_vacuous(pd.DataFrame(rows, columns=COLUMNS), cells)
    withheld = stamp != RULES_STAMP
    if withheld:
        frame["verdict"] = "withheld"
    segment_frame = pd.DataFrame(segments, columns=SEGMENT_COLUMNS)
    return ClaimsReport(frame, segment_frame, _calibration_frame(frame), withheld, stamp)


def summarise(verdicts, claim):
    """One sentence per reducer of a claim: its verdict on each part."""
    part = verdicts[verdicts["claim"] == claim.key]
    sentences = []
    for reducer, rows in part.groupby("reducer", sort=False):
        listed = ", ".join(f"{r.part} {r.verdict}" for r in rows.itertuples())
        sentences.append(f"{reducer}: {listed}.")
    return " ".join(sentences)
