"""Size rule v3: the bound with the constant its reducer states, in every cell, and the
slope of m over the top doubling of n on at least MIN_X_PER_N matrices per n.

Cells.  Theory-sized cells (no parameter set but eps and delta) at the theorem's (ε, δ),
m known.

The cap, in every cell.  Each theorem's size bound with the constant that its reducer's
docstring states, computed from the run's stored parameters (the report never asks the
installed reducers):

- Theorem 1 (``leverage_fast``): m ≤ min(d, 3·β·n·ln(4n/δ)/ε²), the matrix-Chernoff
  draw count with the rank ρ ≤ n and β = Σ l̃ / (a ρ) ≤ b/a, the ratio of its score
  bounds [a, b] ≈ [1/4, 4] at n ≥ 64: BETA_CAP = 16 (``leverage_fast`` measures β ≈ 5).
  This constant rests on a model of the sketch, not on a theorem (its docstring).
- Theorem 2 (``bss``): m ≤ ⌈b·n⌉ with b = ((1 + √(1 − ε²))/ε)² (13.9 at ε = 0.5), or the
  configured b: Q = ⌈b k⌉ barrier steps with k ≤ n, a proven deterministic cap.

Every reducer judged on a theorem is held to that theorem's cap.  A cell above it fails
the part.

The slope.  Along every line of a swept n, the top doubling of n among the cells with
0 < m < SATURATION·d (where m ≥ d/4 the reducer keeps a quarter of X's columns or more,
and m grows with d, not with the rule), whose two ends each hold at least MIN_X_PER_N
distinct matrices X (dataset seeds): the local slope of m (bootstrap interval) against
the bound's local slope (n log(n/δ) or n) + SLOPE_SLACK.

Verdict.  ``fails`` when a cell is above the cap, or when a slope is above the bound's
and the cap is not proven (Thm 1: a growth faster than n log(n/δ) will pass any
finite constant).  ``holds`` when every cell is within the cap and every slope is below.
``inconclusive`` when a slope straddles, when no doubling has MIN_X_PER_N matrices at
both ends, or when a slope is above the bound's while every cell stays under a proven
cap: the line has not reached its asymptote (bss's m/n climbing towards b), which is
not a failure of m ≤ ⌈b·n⌉.
"""

from __future__ import annotations

import math

import numpy as np

from attnbench.analysis.claims.core import (
    at_configuration,
    b_of_eps,
    combine,
    ends,
    local_slope,
    position,
    sweep_segments,
    theory_cells,
)
from attnbench.analysis.fits import model_stats
from attnbench.intervals import LEVEL
from attnbench.numbers import count, given, interval, number
from attnbench.paper import SATURATION

BETA_CAP = 16.0  # leverage_fast: beta <= b/a of its score bounds, about [1/4, 4]
MIN_X_PER_N = 3  # distinct matrices X at each end of a judged doubling of n
PARAMETERS = {"beta_cap": BETA_CAP, "min_x_per_n": MIN_X_PER_N, "saturation": SATURATION}


def size_cap(claim, n, d, eps, b=None):
    """The claim's size bound with its reducer's stated constant, per cell (numpy)."""
    n, d = np.asarray(n, float), np.asarray(d, float)
    if claim.uses_delta:
        cap = 3.0 * BETA_CAP * n * np.log(4.0 * n / claim.delta) / np.asarray(eps, float) ** 2
        return np.minimum(np.ceil(cap), d)
    b = b_of_eps(eps) if b is None else np.where(np.isfinite(b), b, b_of_eps(eps))
    return np.ceil(b * n * (1 - 1e-12))


def cap_text(claim):
    if claim.uses_delta:
        return f"m ≤ 3·{given(BETA_CAP)}·n·ln(4n/δ)/ε² (leverage_fast's Chernoff size, β ≤ {given(BETA_CAP)})"
    return f"m ≤ ⌈b·n⌉, b = {number(b_of_eps(claim.eps))} at ε = {given(claim.eps)} (bss's cap)"


def _over_cap(claim, theory):
    stats = model_stats(theory)
    b = None
    if "param.b" in theory:
        b = theory["param.b"].astype(float).to_numpy()
    cap = size_cap(claim, stats["n"], stats["d"], claim.eps, b)
    m = theory["m"].to_numpy(float)
    return m > cap, m / cap


def _x_count(cells, index):
    if "dataset_key" in cells:
        return cells.loc[index, "dataset_key"].nunique()
    return len(index)


def _slopes(claim, theory, facts, judged):
    """(position, text) per judged top doubling of n, and how many lacked matrices."""
    zipped = facts.zipped_axes() if facts else None
    segments = sweep_segments(theory, zipped, count=1, axes=("n",), keep=judged)
    enough = [
        s for s in segments
        if min(_x_count(theory, s.low), _x_count(theory, s.high)) >= MIN_X_PER_N
    ]  # fmt: skip
    level = 1 - (1 - LEVEL) / max(len(enough), 1)
    n = model_stats(theory)["n"]
    out = []
    for segment in enough:
        slope, low, high = local_slope(*ends(segment, theory["m"], n), level=level)
        bound = math.log(
            claim.size(segment.x_high, claim.delta) / claim.size(segment.x_low, claim.delta)
        ) / math.log(segment.x_high / segment.x_low)
        text = (
            f"{segment.line}, n {count(segment.x_low)}→{count(segment.x_high)}: slope of m "
            f"{number(slope)} {interval(low, high)} vs the bound's {number(bound)}"
        )
        out.append((slope - bound, position(low, high, bound), text))
    return out, len(segments) - len(enough)


def size_part(claim, reducer, cells, facts):
    """(verdict, what was measured) of the size part."""
    theory, _ = at_configuration(claim, reducer, theory_cells(cells), facts)
    theory = theory[theory["m"].notna()]
    if theory.empty:
        return "not tested", "no cell at the theory's size (every cell sets its size)"
    m = theory["m"].to_numpy(float)
    if np.all(m == 0):
        return "holds", "m = 0 in every cell"
    over, ratio = _over_cap(claim, theory)
    text = (
        f"m from {count(m.min())} to {count(m.max())} over {count(len(theory))} theory-sized "
        f"cells; {cap_text(claim)}: {count(over.sum())} cells above, largest m/cap "
        f"{number(np.nanmax(ratio))}"
    )
    stats = model_stats(theory)
    judged = (theory["m"] > 0) & (theory["m"] < SATURATION * stats["d"])
    capped = int((~judged & (theory["m"] > 0)).sum())
    if capped:
        text += f"; m ≥ d/{given(1 / SATURATION)} in {count(capped)} cells, left out of the slope"
    slopes, thin = _slopes(claim, theory, facts, judged)
    if thin:
        text += f"; {thin} doublings of n with < {MIN_X_PER_N} matrices X at an end not judged"
    if over.any():
        return "fails", text
    if not slopes:
        return "inconclusive", text + "; no doubling of n left to judge the slope on"
    worst = max(slopes, key=lambda s: s[0])
    text += f"; {len(slopes)} top doublings of n judged, steepest: {worst[2]}"
    verdict = combine([s[1] for s in slopes]) or "not tested"
    if verdict == "fails" and not claim.uses_delta:  # under bss's proven cap
        return "inconclusive", text + (
            "; every cell under the proven cap: the line has not reached its asymptote"
        )
    return verdict, text
