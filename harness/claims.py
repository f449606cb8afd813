"""The seed paper's claims, each checked against a stored run.

Deng, Mahadevan, Song (arXiv 2304.04397).  Randomized (Thm 1, reducer ``leverage_fast``):
time Õ(nnz(X) + n^ω), m = O(n log(n/δ)), error O(r) with probability 1 − δ.
Deterministic (Thm 2, reducer ``bss``): time Õ(min{Σ_i nnz(X_i)², d·n^(ω−1)} + n^(ω+1)),
m = O(n), error O(r).  Each claim is checked on the paper's reducer and, by the same
rule, on ``zero`` (m = 0) and ``svd`` (exact), the two references a reader needs.

The O() constants are not given, so a part is judged only on what data can refute:

- time: along every swept axis, the lower end of the measured log-log slope's bootstrap
  95% interval is at most the bound's asymptotic slope + SLOPE_SLACK (Õ hides polylog
  factors).  Judged at ω = 3 (dense BLAS); ω = 2.373 is shown next to it.
- size: along a swept n, m / bound(n) does not grow (within-line slope <= SLOPE_SLACK).
  Only theory-sized cells count (n_components "auto" or the reducer's default).
- error: in the paper's regime r < PAPER_REGIME_R (0.1), attn_err_inf <= r (the O(r)
  constant taken as 1) in a fraction of cells whose 95% Clopper-Pearson interval reaches
  1 − δ (randomized), or in every cell (deterministic).

Verdicts: ``holds``, ``fails``, ``not tested`` (the run lacks what the check needs),
``absent`` (the reducer is not in the run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attnbench.cost_models import OMEGA_BLAS, OMEGA_PAPER
from attnbench.fits import model_stats, within_line_slope
from attnbench.intervals import LEVEL, proportion_interval

# The version of the rules below; stored with every run (attnbench.facts), named in the
# report.  Change it with any change to a rule, a constant or a verdict's meaning.
RULES_VERSION = 1
SLOPE_SLACK = 0.1
PAPER_REGIME_R = 0.1
ERROR_CONSTANT = 1.0  # error O(r) is checked as attn_err_inf <= ERROR_CONSTANT * r
DEFAULT_DELTA = 0.1  # the library's default failure probability
REFERENCES = {"zero": "trivial (m = 0)", "svd": "exact (m = rank)"}
COLUMNS = ["claim", "part", "reducer", "role", "expected", "measured", "verdict"]


@dataclass(frozen=True)
class Claim:
    key: str
    theorem: str
    reducer: str
    time_model: str  # a key of COST_MODELS
    time_bound: str
    size_term: str  # m = O(size_term)
    size: Callable  # (n, delta) -> the bound on m, up to its constant
    error_bound: str
    uses_delta: bool

    @property
    def statement(self):
        return (
            f"{self.theorem} ({self.key}, reducer {self.reducer}): time {self.time_bound}, "
            f"m = O({self.size_term}), error {self.error_bound}."
        )


CLAIMS = (
    Claim(
        "randomized",
        "Theorem 1",
        "leverage_fast",
        "randomized",
        "Õ(nnz(X) + n^ω)",
        "n log(n/δ)",
        lambda n, delta: n * np.log(n / delta),
        "O(r) with probability 1 − δ",
        True,
    ),
    Claim(
        "deterministic",
        "Theorem 2",
        "bss",
        "deterministic",
        "Õ(min{Σ nnz(X_i)², d·n^(ω−1)} + n^(ω+1))",
        "n",
        lambda n, delta: n,
        "O(r)",
        False,
    ),
)


def _deltas(reducer, cells, fallback, facts):
    """δ per cell: the configured one, else the reducer's default as stored with the run,
    else ``fallback``."""
    default = facts.default(reducer, "delta") if facts else None
    default = fallback if default is None else default
    if "param.delta" in cells:
        return pd.to_numeric(cells["param.delta"], errors="coerce").fillna(default).to_numpy()
    return np.full(len(cells), float(default))


def _time_part(claim, reducer, cells, fits):
    slopes = fits.slopes[fits.slopes["reducer"] == reducer]
    if slopes.empty:
        return "not tested", (
            f"no axis swept (needs ≥ 3 values of n, d or density); median time "
            f"{cells['time_median'].median():.3g} s over {len(cells)} cells"
        )
    bounds = fits.predictions[
        (fits.predictions["reducer"] == reducer) & (fits.predictions["model"] == claim.time_model)
    ].set_index(["axis", "omega"])["asymptotic_slope"]
    texts, holds, tested, steeper_than_paper = [], True, 0, []
    for row in slopes.itertuples():
        blas, paper = bounds[row.axis, OMEGA_BLAS], bounds[row.axis, OMEGA_PAPER]
        measured = f"{row.axis}: slope {row.slope:.2f} [{row.ci_low:.2f}, {row.ci_high:.2f}]"
        if np.isnan(blas):
            texts.append(f"{measured}, bound unknown (a dataset statistic is missing)")
            continue
        texts.append(f"{measured} vs bound {blas:.2f} (ω=3), {paper:.2f} (ω=2.373)")
        tested += 1
        holds &= row.ci_low <= blas + SLOPE_SLACK
        if row.ci_low > paper + SLOPE_SLACK:
            steeper_than_paper.append(row.axis)
    models = fits.models
    r2 = models[
        (models["reducer"] == reducer)
        & (models["model"] == claim.time_model)
        & (models["omega"] == OMEGA_BLAS)
    ]["r2_log"]
    text = "; ".join(texts)
    if len(r2):
        text += f"; model fit R² (log, ω=3) {r2.iloc[0]:.2f}"
    if steeper_than_paper:
        text += f"; steeper than the ω=2.373 bound along {', '.join(steeper_than_paper)}"
    if not tested:
        return "not tested", text
    return ("holds" if holds else "fails"), text


def _theory_sized(cells):
    if "param.n_components" not in cells:
        return cells
    chosen = cells["param.n_components"]
    return cells[chosen.isna() | (chosen.astype(str) == "auto")]


def _size_part(claim, reducer, cells, fits, delta, facts):
    theory = _theory_sized(cells)
    if theory.empty:
        chosen = sorted(
            {f"{v:g}" if isinstance(v, float) else str(v) for v in cells["param.n_components"]}
        )
        return "not tested", f"m set by the config (n_components = {', '.join(chosen)})"
    m = theory["m"].to_numpy(float)
    n = model_stats(theory)["n"].to_numpy(float)
    ratio = m / claim.size(n, _deltas(reducer, theory, delta, facts))
    text = (
        f"m in [{m.min():g}, {m.max():g}], m / ({claim.size_term}) in "
        f"[{ratio.min():.3g}, {ratio.max():.3g}] over {len(theory)} cells"
    )
    if np.all(m == 0):
        return "holds", "m = 0 in every cell"
    sweep = next((s for s in fits.sweeps if s.reducer == reducer and s.axis == "n"), None)
    if sweep is None:
        return "not tested", text + "; n not swept"
    on_line = pd.Series(sweep.line, index=sweep.index)
    use = on_line.index.intersection(theory.index[m > 0])
    if use.empty:
        return "not tested", text + "; n not swept with theory-sized m"
    # O(.) is asymptotic: judge the upper half of each line's n range, so that a ratio
    # that rises and then levels off (BSS merging repeated picks at small n) is not read
    # as growth.
    n_use = model_stats(theory.loc[use])["n"]
    upper = n_use >= n_use.groupby(on_line[use]).transform("median")
    use = use[upper.to_numpy()]
    log_ratio = pd.Series(np.log(np.where(m > 0, ratio, np.nan)), index=theory.index)[use]
    log_n = np.log(model_stats(theory.loc[use])["n"].to_numpy(float))
    slope = within_line_slope(log_n, log_ratio.to_numpy(), on_line[use].to_numpy())
    text += f"; slope of the ratio along n (upper half of each n range) {slope:.2f}"
    return ("holds" if slope <= SLOPE_SLACK else "fails"), text


def _error_part(claim, reducer, cells, delta):
    regime = cells[cells["dataset.r"] < PAPER_REGIME_R]
    if regime.empty:
        return "not tested", f"no cell in the paper's regime r < {PAPER_REGIME_R:g}"
    err = regime["attn_err_over_r"].to_numpy(float)
    k, total = int(np.sum(err <= ERROR_CONSTANT)), len(err)
    low, high = proportion_interval(k, total)
    text = (
        f"err ≤ r in {k}/{total} cells ({LEVEL:.0%} CI {low:.2f}–{high:.2f}); "
        f"max err/r {np.nanmax(err):.3g}; median skill {regime['skill'].median():.2f}"
    )
    if claim.uses_delta:
        return ("holds" if high >= 1 - delta else "fails"), text + f"; needs ≥ {1 - delta:g}"
    return ("holds" if k == total else "fails"), text


def check_claims(cells, fits, facts=None):
    """One row per (claim, part, reducer): expected, measured, verdict (see module doc).

    ``cells`` are a run's ok cells, ``fits`` its :class:`attnbench.fits.FitReport`,
    ``facts`` its :class:`attnbench.facts.RunFacts` (the reducers' default δ; without
    them DEFAULT_DELTA).
    """
    rows = []
    for claim in CLAIMS:
        paper_cells = cells[cells["reducer"] == claim.reducer]
        delta = (
            float(np.median(_deltas(claim.reducer, paper_cells, DEFAULT_DELTA, facts)))
            if len(paper_cells)
            else DEFAULT_DELTA
        )
        roles = {claim.reducer: f"the paper's {claim.key} algorithm", **REFERENCES}
        for reducer, role in roles.items():
            base = {"claim": claim.key, "reducer": reducer, "role": role}
            part = cells[cells["reducer"] == reducer]
            for name, expected, (verdict, measured) in _checks(
                claim, reducer, part, fits, delta, facts
            ):
                rows.append(
                    base
                    | {"part": name, "expected": expected, "measured": measured, "verdict": verdict}
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def _checks(claim, reducer, cells, fits, delta, facts):
    """(part, expected, (verdict, measured)) of one reducer's cells on one claim."""
    if cells.empty:
        return [("all", claim.statement, ("absent", "no ok cell in this run"))]
    return [
        ("time", claim.time_bound, _time_part(claim, reducer, cells, fits)),
        (
            "size",
            f"m = O({claim.size_term})",
            _size_part(claim, reducer, cells, fits, delta, facts),
        ),
        ("error", claim.error_bound, _error_part(claim, reducer, cells, delta)),
    ]


def summarise(claims, claim):
    """One sentence per reducer of a claim: its verdict on each part."""
    part = claims[claims["claim"] == claim.key]
    sentences = []
    for reducer, rows in part.groupby("reducer", sort=False):
        verdicts = ", ".join(f"{r.part} {r.verdict}" for r in rows.itertuples())
        sentences.append(f"{reducer}: {verdicts}.")
    return " ".join(sentences)
