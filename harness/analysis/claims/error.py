"""Error rule (unchanged from v2): the paper's statement and the proof's spectral bound,
trial by trial, and vacuity against the m = 0 reducer.

Theory-sized cells at the theorem's (ε, δ), each one trial (a dataset and a draw of the
reducer's randomness).  Two statements: the paper's, attn_err_inf ≤ C·r (C =
ERROR_CONSTANT = 1) on the cells with r < PAPER_REGIME_R, and the one its proof gives,
(1−ε)XXᵀ ⪯ YYᵀ ⪯ (1+ε)XXᵀ (spectral_eps ≤ ε, the cell's ε; scale-free, so every r).  A
randomized reducer (as stored with the run) must meet them with probability 1 − δ: the
exact Clopper-Pearson interval of its failure rate, pooled over the run's datasets,
holds when its upper end is ≤ δ (at least 36 clean trials at δ = 0.1) and fails when
its lower end is > δ.  A deterministic reducer fails on X with probability 0 or 1, so
one cell per X decides: it holds when no cell fails, fails when one does.  The m = 0
reducer is judged by the same rule; when it passes, the statement is vacuous for every
other reducer that passes it (its error is about r/n: err/r ≈ 1/n).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attnbench.analysis.claims.core import theory_cells
from attnbench.analysis.fits import model_stats
from attnbench.intervals import LEVEL, proportion_interval
from attnbench.numbers import count, given, interval, number, percent
from attnbench.paper import ERROR_CONSTANT, PAPER_REGIME_R

PARAMETERS = {"paper_regime_r": PAPER_REGIME_R, "error_constant": ERROR_CONSTANT}


def _trial_verdict(failures, randomized, delta, what):
    """Verdict and text of a per-cell statement failed in ``failures`` (bool array): a
    randomized reducer by the Clopper-Pearson interval of its failure rate, a
    deterministic one (whose failure probability on each X is 0 or 1) by every cell."""
    k, total = int(np.sum(failures)), len(failures)
    if total == 0:
        return "not tested", f"no cell to judge {what} on"
    if not randomized:
        return ("fails" if k else "holds"), f"{what} violated in {count(k)}/{count(total)} cells"
    low, high = proportion_interval(k, total)
    verdict = "holds" if high <= delta else "fails" if low > delta else "inconclusive"
    return verdict, (
        f"{what} violated in {count(k)}/{count(total)} trials: rate {number(k / total)}, "
        f"{percent(LEVEL)} CI {interval(low, high)} against δ = {given(delta)}"
    )


def _trials(cells):
    if "dataset_key" not in cells or cells.empty:
        return ""
    per = cells.groupby("dataset_key").size()
    draws = f", up to {per.max()} draws each" if per.max() > 1 else ""
    return f" ({per.size} datasets{draws})"


def error_parts(randomized, cells, delta, eps):
    theory = theory_cells(cells)
    regime = theory[theory["dataset.r"] < PAPER_REGIME_R]
    err = regime["attn_err_over_r"].to_numpy(float)
    failed = ~(err <= ERROR_CONSTANT)  # nan (no result) counts as a failure
    paper = _trial_verdict(failed, randomized, delta, f"err ≤ {given(ERROR_CONSTANT)}·r")
    paper = (paper[0], paper[1] + _trials(regime) + _error_summary(regime))
    spectral = theory[theory.get("spectral_eps", pd.Series(np.nan, theory.index)).notna()]
    values = spectral["spectral_eps"].to_numpy(float) if len(spectral) else np.empty(0)
    bound = eps.loc[spectral.index].to_numpy(float)
    proof = _trial_verdict(values > bound, randomized, delta, "spectral_eps ≤ ε")
    if len(spectral):
        proof = (proof[0], proof[1] + f"{_trials(spectral)}; median spectral_eps "
                 f"{number(np.median(values))}, ε = {number(np.median(bound))}")  # fmt: skip
    return paper, proof


def _error_summary(regime):
    if regime.empty:
        return ""
    err = regime["attn_err_over_r"].to_numpy(float)
    n = model_stats(regime)["n"].to_numpy(float)
    return (
        f"; err/r median {number(np.nanmedian(err))} (1/n median {number(np.median(1 / n))}), "
        f"max {number(np.nanmax(err))}"
    )



def mark_vacuous(frame, cells):
    """Per claim: a statement that the m = 0 reducer passes is vacuous for every other
    reducer that passes it."""
    zero = theory_cells(cells[cells["reducer"] == "zero"])
    zero = zero[zero["dataset.r"] < PAPER_REGIME_R]
    if zero.empty:
        return frame
    why = (
        " — vacuous: the m = 0 reducer meets it too (its error is about r/n: err/r median "
        f"{number(zero['attn_err_over_r'].median())}, 1/n median "
        f"{number(np.median(1 / model_stats(zero)['n']))})"
    )
    for (_, part), rows in frame.groupby(["claim", "part"]):
        verdict = rows.loc[rows["reducer"] == "zero", "verdict"]
        if part in ("error", "spectral") and list(verdict) == ["holds"]:
            passing = rows.index[(rows["reducer"] != "zero") & (rows["verdict"] == "holds")]
            frame.loc[passing, "verdict"] = "vacuous"
            frame.loc[passing, "measured"] += why
    return frame
