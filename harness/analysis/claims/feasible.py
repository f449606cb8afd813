"""The time rule's search over the constants of a claimed cost model (see :mod:`.time`).

An upper bound T = O(a·f + b·g (+ c·h)) says that SOME non-negative constants of that
form bound the growth, not that the least-squares ones do.  The local log-log slope of
the model over a segment depends only on the ratios of its constants, so the search runs
over a log grid of ratios to the first term's constant: RATIO_DECADES decades either
side of 1 in RATIO_STEP steps, on terms normalised by their geometric mean over the
judged cells (so a ratio of 10^±12 is, within a group, a term switched off).  Every
candidate classifies every judged segment as the rule always did (above / below /
consistent / straddles); a candidate is a *witness* when none of its segments is above
and none straddles (consistent counts as below).

No per-call overhead c0 among the constants: adding c0 ≥ 0 to a model whose terms all
grow along every swept axis lowers its local slope on every segment at once, so a
candidate with c0 > 0 is never a witness where its c0 = 0 counterpart is not, and never
escapes an ``above`` that its counterpart has.  Overhead-dominated cells are left out
of the judged segments instead (:mod:`.time`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attnbench.analysis.claims.core import SLOPE_SLACK
from attnbench.numbers import number

RATIO_DECADES = 12.0  # ratios b/a (c/a, e/a) from 10^-12 to 10^12 ...
RATIO_STEP = 0.5  # ... in half decades


def ratio_grid(terms):
    """Candidate weights, one row per candidate: the first term's weight 1, each other
    term's 10^k for k on the grid (every combination)."""
    steps = np.arange(-RATIO_DECADES, RATIO_DECADES + RATIO_STEP / 2, RATIO_STEP)
    mesh = np.meshgrid(*([10.0**steps] * (terms - 1)), indexing="ij")
    return np.column_stack([np.ones(mesh[0].size if mesh else 1)] + [m.ravel() for m in mesh])


@dataclass(frozen=True)
class Search:
    """The outcome of the search in one group (one reducer variant, one input format, one ω).

    ``verdict``: fails (every candidate has a segment above), holds (a witness), else
    inconclusive; None when a term is unknown (a missing dataset statistic).
    ``closest``: the candidate reported (the witness with the smallest worst excess when
    there is one, else the candidate with the smallest worst excess, the excess of a
    segment being its interval's low end minus model + SLOPE_SLACK), as the ratio of
    each constant to the first one's, in the terms' own units; ``slopes``, ``positions``:
    its model slope and position on each segment."""

    verdict: str | None
    names: tuple
    closest: tuple
    slopes: np.ndarray
    positions: tuple
    candidates: int
    worst_excess: float

    def constants_text(self):
        if len(self.names) < 2:
            return ""
        return ", ".join(
            f"{name}/{self.names[0]} = {number(r)}" for name, r in zip(self.names[1:], self.closest)
        )


def classify(slope, low, high, model, max_width):
    """(above, below, consistent) per segment and candidate (segments × candidates, or
    segments for one candidate's model slopes): :func:`.core.position` and the time
    rule's ``consistent``."""
    model = model if model.ndim == 2 else model[:, None]
    threshold = model + SLOPE_SLACK
    above = low[:, None] > threshold
    below = high[:, None] <= threshold
    consistent = ~above & ~below & (slope[:, None] <= threshold)
    consistent &= (high - low)[:, None] <= max_width
    return above, below, consistent


def positions(slope, low, high, model, max_width):
    """One candidate's position on each segment, as text."""
    above, below, consistent = (a[:, 0] for a in classify(slope, low, high, model, max_width))
    labels = np.select([above, below, consistent], ["above", "below", "consistent"], "straddles")
    return tuple(str(label) for label in labels)


def search(terms, ends, measured, max_width):
    """The search in one group.

    ``terms``: the model's terms (a DataFrame, cells × terms, before constants) on the
    cells of the judged segments; ``ends``: per segment (positions of its low cells,
    positions of its high cells, log x_high − log x_low), positions into ``terms``;
    ``measured``: per segment (slope, ci_low, ci_high).
    """
    names = tuple(terms.columns)
    values = terms.to_numpy(float)
    segments = len(ends)
    if not segments or not np.isfinite(values).all() or (values <= 0).any():
        nan = np.full(segments, np.nan)
        return Search(None, names, (), nan, (None,) * segments, 0, float("nan"))
    scale = np.exp(np.log(values).mean(axis=0))
    weights = ratio_grid(len(names))
    log_model = np.log((values / scale) @ weights.T)  # cells × candidates
    averaging = np.zeros((segments, len(values)))
    for i, (low, high, span) in enumerate(ends):
        averaging[i, high] += 1.0 / (len(high) * span)
        averaging[i, low] -= 1.0 / (len(low) * span)
    model = averaging @ log_model  # segments × candidates
    slope, low, high = (np.asarray(v, float) for v in zip(*measured))
    above, below, consistent = classify(slope, low, high, model, max_width)
    witness = (below | consistent).all(axis=0)
    worst = (low[:, None] - model - SLOPE_SLACK).max(axis=0)
    pool = np.flatnonzero(witness) if witness.any() else np.arange(weights.shape[0])
    pick = pool[np.argmin(worst[pool])]
    if witness.any():
        verdict = "holds"
    elif above.any(axis=0).all():
        verdict = "fails"
    else:
        verdict = "inconclusive"
    ratios = tuple(float(r) for r in weights[pick, 1:] / scale[1:] * scale[0])
    return Search(
        verdict, names, ratios, model[:, pick],
        positions(slope, low, high, model[:, pick], max_width),
        weights.shape[0], float(worst[pick]),
    )  # fmt: skip
