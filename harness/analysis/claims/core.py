"""The shared core of the claim rules: the claims, the verdicts, the cells a part reads,
and the local log-log slopes that the time and size rules judge.

Deng, Mahadevan, Song (arXiv 2304.04397).  Randomized (Thm 1, reducer ``leverage_fast``):
time Õ(nnz(X) + n^ω), m = O(n log(n/δ)), error O(r) with probability 1 − δ.
Deterministic (Thm 2, reducer ``bss``): time Õ(min{Σ_i nnz(X_i)², d·n^(ω−1)} + n^(ω+1)),
m = O(n), error O(r).

One configuration per theorem.  All four parts of a theorem are judged at one stated
(ε, δ) (:attr:`Claim.eps`, :attr:`Claim.delta`): a cell of a reducer whose ε (``eps``,
or for bss the ε its ``b`` gives, 2√b/(b + 1)) or δ differs is left out of every part of
that theorem, and the part says how many were.

Verdicts: ``holds``, ``fails``, ``vacuous`` (holds, but so does m = 0: the statement
cannot tell a reducer from nothing), ``inconclusive`` (the interval is too wide to
decide, or the line has not reached its asymptote), ``not tested`` (the run lacks the
cells), ``absent`` (the reducer is not in the run), ``withheld`` (the run was made under
other rules).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from attnbench.analysis.fits import find_sweeps
from attnbench.cost_models import OMEGA_BLAS, OMEGA_PAPER
from attnbench.intervals import LEVEL, percentile_bootstrap
from attnbench.numbers import given
from attnbench.paper import DEFAULT_DELTA, DEFAULT_EPS

SLOPE_SLACK = 0.15  # Õ hides polylogs: one log factor adds 1/ln x, 0.14 at x = 1024
THEORY_PARAMS = ("eps", "delta")  # the only parameters a theory-sized cell may set
OMEGAS = (OMEGA_PAPER, OMEGA_BLAS)
# Each calibration reducer and the part its planted fault must fail.
CALIBRATION = {"calibration_cost": "time", "calibration_size": "size", "calibration_error": "error"}
# The controls of the time rule: reducers whose cost is known to meet a theorem's time
# bound, so the rule must judge them ``holds`` (the calibration reducers: ``fails``).
TIME_CONTROLS = {
    "randomized": {"zero": "reads X once: O(nnz(X))", "countsketch": "O(nnz(X)) sketch",
                   "osnap": "O(s·nnz(X)) sketch, s = 4"},
    "deterministic": {"zero": "reads X once: O(nnz(X))",
                      "svd": "Gram + eigh: Σ nnz(X_i)² + n^ω"},
}  # fmt: skip
COLUMNS = ["claim", "part", "reducer", "role", "expected", "measured", "verdict"]
SEGMENT_COLUMNS = [
    "claim", "reducer", "variant", "axis", "line", "x_low", "x_high", "slope", "ci_low",
    "ci_high", f"model ω={given(OMEGA_PAPER)}", f"model ω={given(OMEGA_BLAS)}", "verdict",
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
    eps: float = DEFAULT_EPS  # the one (ε, δ) all four parts are judged at
    delta: float = DEFAULT_DELTA

    def size(self, n, delta):
        """The size bound at n (up to its constant)."""
        n = np.asarray(n, float)
        return n * np.log(n / delta) if self.uses_delta else n

    @property
    def statement(self):
        error = "O(r) with probability 1 − δ" if self.uses_delta else "O(r)"
        return (
            f"{self.theorem} ({self.key}, reducer {self.reducer}): time {self.time_bound}, "
            f"m = O({self.size_term}), error {error}; judged at {self.configuration}."
        )

    @property
    def configuration(self):
        eps = f"ε = {given(self.eps)}"
        return f"{eps}, δ = {given(self.delta)}" if self.uses_delta else eps


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
    """'version 3 (hash abc123def456)' for a stored stamp (v2's hash covered the
    parameters only, v3's the rules' source too)."""
    version, _, digest = str(stamp).partition(":")
    what = "parameters" if version in ("1", "2") else "source and parameters"
    return f"version {version or 'unknown'}" + (f" ({what} {digest})" if digest else "")


@dataclass
class ClaimsReport:
    """``verdicts``: one row per (claim, part, reducer) (COLUMNS); ``segments``: every
    local time slope judged (SEGMENT_COLUMNS); ``calibration``: one row per calibration
    reducer in the run, its planted part and verdict; ``controls``: every control (the
    time controls and the calibration reducers), expected against given verdict;
    ``withheld``: the run was made under other rules (every verdict is 'withheld')."""

    verdicts: pd.DataFrame
    segments: pd.DataFrame
    calibration: pd.DataFrame
    withheld: bool
    stamp: str
    controls: pd.DataFrame = None  # one row per control: expected and given verdict


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


def variants(cells):
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


def resolved(reducer, cells, param, facts, fallback):
    """The value of ``param`` per cell: configured, else the reducer's stored default,
    else ``fallback``."""
    default = facts.default(reducer, param) if facts else None
    default = fallback if default is None else default
    if f"param.{param}" in cells:
        values = pd.to_numeric(cells[f"param.{param}"], errors="coerce")
        return values.fillna(default).to_numpy(float)
    return np.full(len(cells), float(default))


def eps_of_b(b):
    """The ε that bss's b guarantees (its docstring: 2√b/(b + 1))."""
    b = np.asarray(b, float)
    return 2.0 * np.sqrt(b) / (b + 1.0)


def b_of_eps(eps):
    """The b > 1 with eps_of_b(b) = ε (bss's docstring: ((1 + √(1 − ε²))/ε)²)."""
    eps = np.asarray(eps, float)
    return ((1.0 + np.sqrt(1.0 - eps**2)) / eps) ** 2


def resolved_eps(reducer, cells, facts, fallback):
    """ε per cell: the configured ``eps``, else the one a configured ``b`` gives, else
    the reducer's stored default, else ``fallback``."""
    eps = resolved(reducer, cells, "eps", facts, fallback)
    if "param.b" in cells:
        b = pd.to_numeric(cells["param.b"], errors="coerce").to_numpy(float)
        eps = np.where(np.isfinite(b), eps_of_b(np.where(np.isfinite(b), b, 4.0)), eps)
    return eps


def at_configuration(claim, reducer, cells, facts):
    """(cells at the claim's (ε, δ), how many were left out)."""
    if cells.empty:
        return cells, 0
    keep = np.isclose(resolved_eps(reducer, cells, facts, claim.eps), claim.eps, rtol=1e-6)
    if claim.uses_delta:
        delta = resolved(reducer, cells, "delta", facts, claim.delta)
        keep &= np.isclose(delta, claim.delta, rtol=1e-6)
    return cells[keep], int((~keep).sum())


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


def sweep_segments(cells, zipped=None, count=2, axes=("n", "d", "nnz"), keep=None):
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


def ends(segment, values, x):
    """(low, high) groups of :func:`local_slope`: (mean log x, per-cell value arrays)."""
    return tuple(
        (float(np.mean(np.log(x[idx]))), [np.atleast_1d(np.asarray(v, float)) for v in values[idx]])
        for idx in (segment.low, segment.high)
    )


def position(low, high, reference):
    """Where an interval lies against reference + SLOPE_SLACK: above, below, straddles
    (None when the reference is unknown)."""
    if not np.isfinite(reference):
        return None
    if low > reference + SLOPE_SLACK:
        return "above"
    if high <= reference + SLOPE_SLACK:
        return "below"
    return "straddles"


def combine(positions):
    """One part's verdict from the positions of its segments (None: untestable)."""
    if not positions or any(p is None for p in positions):
        return None
    if "above" in positions:
        return "fails"
    return "holds" if all(p == "below" for p in positions) else "inconclusive"


