"""Time rule v7: the measured local slopes of the dedicated time sweeps against the
claimed cost model, its nnz(X) term priced by this machine's measured read of X, its
output term by the measured write of Y and (Thm 1) a term for one update of Y per
nonzero at Y's measured price per entry, judged
over every choice of its constants (an upper bound says that SOME constants of its form
bound the growth), per input format, with the per-call overhead left out.

Cells.  Only dedicated time sweeps count: cells with at least MIN_TIME_REPEATS stored
repeats, run alone (concurrency 1); accuracy cells (one repeat) never do.

The model.  a·nnz + b·n^ω + c·n·m + e·updates for Thm 1 (``randomized_update``;
writing Y, new in v6: n·m ≤ n^ω at the theory's m ≤ n^(ω−1), but the preset runs the
sketches at m = 4096 from n = 256, where v5 judged countsketch ``fails`` on the step of a
fresh 16 → 32 → 64 MB Y along n; the updates, nnz(X) of them, new in v7, below);
a·min(Σ nnz(X_i)², d·n^(ω−1)) + b·n^(ω+1) + c·nnz for Thm 2 (its reducers write at most
14n² ≤ n^(ω+1) entries) (reading X once is within both of its terms; under the search it only adds
candidates, v3's single fit needed it to follow a reducer that only reads X), a, b, c,
e ≥ 0.

The price of nnz(X) (new in v5).  The bounds count operations; a machine charges a read
of X's values more per entry once X leaves its caches.  Run v4 found that step in m = 0's
own time: along the density at n = 1024, d = 2^20 (0.003 -> 0.01, X from 38 to 126 MB)
the slope of a read of X was 1.42 [1.37, 1.49], so v4 judged the control ``fails``,
and the O(n·nnz(X)) planted fault failed on that segment alone.  Each cell stores
``read_median`` (:func:`attnbench.sweep.runner.read_pass`: one pass over X's stored
values, timed beside the cell), and the model's nnz(X) term is that read, scaled to
nnz's units by the group's geometric-mean nnz per second (:func:`priced`): a·read(X) +
b·n^ω.  The segments' axes stay the true n, d and nnz.  Cells without a read (stores
before schema 6) are left out; a store without any is not tested.  Likewise n·m is
priced by ``write_median`` (:func:`attnbench.sweep.runner.write_pass`: a fresh n x m
array written once), where it is positive (m = 0 writes nothing: the term drops out).

The price of an update of Y (new in v7, Thm 1).  An input-sparsity-time reducer adds
each nonzero of X into Y: its O(nnz(X)) is a read of X plus a constant number of
updates of Y per nonzero, and a machine charges an update of Y what an entry of Y costs
at that size.  The v6 run's sketches showed it: countsketch on sparse X at d = 2^20,
m = 4096 took 2.8 ns per nonzero beyond its write of Y while Y (16 MB at n = 512) was
reused memory, 4.2-6 ns once Y (32, 64 MB) was mapped afresh on each call, whose write
costs 0.29, 0.63, 1.06 ns per entry; v6 priced nnz(X) by the read alone and judged the
countsketch and osnap controls ``fails`` (n 512 → 1024 and d 2^20 → 2^21).  So Thm 1's
model has a fourth term, nnz(X) updates each at write(Y)/(n·m) (:func:`update_seconds`,
both measured in the cell; none at m = 0), with a constant of its own: how many reads
and updates a nonzero costs differs between reducers (v7's first draft fixed them 1:1
and failed 16-23 % of the simulated stores of such laws).  The price per entry is
bounded (a write to memory), so the term stays O(nnz(X)); it grows along n only while
Y outgrows a cache, where the planted O(n·nnz(X)) fault's slope is 2 at every n.

Per input format.  Dense X (every entry stored) and sparse X are judged apart, each with
its own constants: a reducer whose dense and sparse code paths differ by a constant
factor is not judged against one pair for both (v2 flagged correct reducers for it).
Within a format the sweeps along n, d and nnz share the constants: that is what refutes
a cost of O(n·nnz(X)), whose slope along any single axis stays under the bound's
exponent (2 along n, below n^ω; 1 along d and nnz, like nnz(X)), but which no one choice
of constants follows along n *and* d.

Per-call overhead.  The model plus an overhead c0 is fitted by NNLS
(:func:`attnbench.analysis.fits.fit_model`) on the format's cells, at ω = 2.373 and 3,
only to estimate c0: a cell whose median time is below OVERHEAD_FLOOR times the larger
of the two c0 measures the call, not the algorithm (the interpreter, allocation, a copy
of small X), and is left out of every judged segment (the part says how many were).

Segments.  Along every swept axis (n, d, nnz) and every line of a sweep (the other
coordinates fixed; zipped partners only where the moving axis determines them, see
:func:`attnbench.analysis.fits.find_sweeps`: v4 pooled the regime map's zipped points at
one n into one line), the local log-log slope over each of the top TOP_DOUBLINGS doublings
(from the largest x down to the largest x at most half of it, and on) among the cells
kept, with a bootstrap interval (repeats within cells, cells within each x; Bonferroni
over the reducer's segments).

The search (:mod:`.feasible`).  A model's local slope over a segment depends only on the
ratios of its constants (b/a, c/a, e/a): every ratio on a log grid, 10^-12 to 10^12 in
half decades on terms normalised by their geometric mean (49³ = 117 649 candidates for
Thm 1, 49² = 2 401 for Thm 2, fewer where a term is zero everywhere, as n·m and the
updates at m = 0), is a candidate.  (v6 searched quarter decades, 97² candidates for
three terms; 97³ for four costs seconds a search, and the simulation 200 stores a law.
The paper preset's time groups hold terms up to 10^3.8 from their geometric mean, so
a ratio of 10^-12 is still a term switched off.)  Each candidate classifies every segment against its
model slope: ``above`` when the interval's low end exceeds it + SLOPE_SLACK, ``below``
when the high end does not, ``consistent`` when the interval straddles it but is at most
MAX_CI_WIDTH wide and the slope itself is not above, ``straddles`` otherwise.  A
candidate none of whose segments is above or straddles is a *witness*.  (c0 is not
searched: adding it lowers every segment's model slope at once, so it never makes a
witness nor removes an ``above``.)

What "fails" means.  At one ω and in one format the part fails when EVERY candidate
has some segment above: no constants of the claimed form follow the measured growth at
the top of every sweep line, beyond the bootstrap interval and the polylog slack; it
holds when some candidate is a witness; otherwise inconclusive.  At one ω the part
fails when some format fails and holds when every format holds.  The claim's time part
holds when it holds at either ω (2.373 is the paper's, 3 what dense BLAS does), fails
when it fails at both, else is inconclusive.  The text names, per format, the witness
(or, when there is none, the candidate with the smallest worst excess of a low end over
its model slope + SLOPE_SLACK) with its constants' ratios and the segment steepest
against it; the segment table shows that candidate's model slopes.

The constants, chosen before any run by :mod:`attnbench.analysis.claims.simulation`
(``scripts/claims_simulation.py paper 200``) on synthetic cost laws with the sweep
shapes of the paper preset's experiments that time (the seven time_* sweeps and the
regime map), 200 stores per law, lognormal
noise of 3-6 % per repeat, each cell's repeats as many as the preset's protocol takes
(up to 31 within a 3 s budget, at least 3), a per-call overhead of 0.1-3 ms, and a
memory hierarchy (a read of X 1 ns per value, 1-2× that beyond a cache of 8-64 MB; the
laws' nnz(X) priced by it; every law but m = 0's writing an n x 4096 Y, 0.5 ns per
entry, 1-4× that beyond the cache): with SLOPE_SLACK = 0.15, TOP_DOUBLINGS = 3,
OVERHEAD_FLOOR = 4 and MAX_CI_WIDTH = 0.5 (v7, 2026-12-04),

- power: ``fails`` on the planted O(n·nnz(X)) fault in 200/200 stores at the tests'
  size (5 ns per token and nonzero) and 198/200 at the size the real calibration_cost
  measured (1.6 ns: 28 s at n = 4096; 2 inconclusive); on a 2× slope along nnz
  (a·nnz²/10⁶) in 200/200;
- false alarms: ``fails`` on a law within the bound in 3 of 2000 stores, all 3 on
  osnap with updates priced like Y (4 ns·nnz + 8·nnz·y, y the price of an entry of Y);
  none on leverage_fast, countsketch, osnap (4 ns·nnz: s = 4), countsketch with updates
  priced like Y (2 ns·nnz + 4·nnz·y), zero under Thm 1, a hidden log factor (1 ns·nnz·
  log₂ n), svd (2 ns·Σ nnz(X_i)² + 0.03 ns·n³), svd of the measured shape (0.016 ns·Σ
  nnz(X_i)² + 0.5 ns·n³: the eigh dominates), zero under Thm 2;
- ``holds`` for leverage_fast in 182 of 200, countsketch 193, zero under Thm 1 199,
  osnap 200, countsketch with updates priced like Y 183, osnap likewise 159, the log
  factor 173, svd 183, svd of the measured shape 183, zero under Thm 2 200 (the rest
  inconclusive: where two terms of a law cross, a segment's interval straddles the
  slack).

v6 on its own laws: power 200/200 on each fault, 0 false alarms in 1400 stores, 3/200
on the log factor; it had no law with priced updates (v7's first draft, a nonzero priced
as read + update 1:1, failed 32/200 and 46/200 of them).

TOP_DOUBLINGS = 2 (v3's single NNLS fit used 2) loses the planted fault: along n and d
the two top doublings leave room for a crossover of a·nnz and b·n^ω that follows
n·nnz(X) within the slack (0 of 10 stores fail); a third doubling along d, at
n = 1024, pins b/a.  tests/harness/analysis/test_claims_simulation.py asserts power and
false alarms on 30 stores per law.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attnbench.analysis.claims.core import (
    OMEGAS,
    SLOPE_SLACK,
    ends,
    local_slope,
    sweep_segments,
    variants,
)
from attnbench.analysis.claims.feasible import RATIO_DECADES, RATIO_STEP, search
from attnbench.analysis.fits import fit_model, model_stats, term_matrix
from attnbench.intervals import LEVEL
from attnbench.numbers import count, given, interval, number, size
from attnbench.paper import MIN_TIME_REPEATS, time_cells

TOP_DOUBLINGS = 3
OVERHEAD_FLOOR = 4.0  # a cell under 4 x the fitted per-call overhead measures the call
MAX_CI_WIDTH = 0.5  # a straddling interval narrower than this, centred below, is consistent
FORMATS = ("dense", "sparse")
# The model fitted per claim: the bound's terms, plus reading X once for Thm 2 (nnz(X)
# is at most Σ nnz(X_i)² and d·n^(ω−1), so within the bound; Thm 1's model has it).
# Thm 1 with writing Y (n·m) too: its reducers run at a fixed m above the theory's at
# small n; Thm 2's n^(ω+1) already exceeds any Y its reducers write (m ≤ 14n: 14n²).
FITTED_MODELS = {"randomized": "randomized_update", "deterministic": "deterministic_read"}
PARAMETERS = {
    "slope_slack": SLOPE_SLACK,
    "top_doublings": TOP_DOUBLINGS,
    "overhead_floor": OVERHEAD_FLOOR,
    "max_ci_width": MAX_CI_WIDTH,
    "min_time_repeats": MIN_TIME_REPEATS,
    "formats": list(FORMATS),
    "fitted_models": FITTED_MODELS,
    "ratio_decades": RATIO_DECADES,
    "ratio_step": RATIO_STEP,
}


def input_format(cells):
    """'dense' or 'sparse' per cell: sparse when X stores fewer than n·d entries."""
    stats = model_stats(cells)
    sparse = stats["nnz"].to_numpy(float) < stats["n"].to_numpy(float) * stats["d"].to_numpy(float)
    return pd.Series(np.where(sparse, "sparse", "dense"), index=cells.index)


def _price(count, seconds):
    """``seconds`` scaled to ``count``'s units by their geometric-mean ratio over the cells
    where both are positive; the count itself where the measurement is not positive (below
    the call's own overhead), and all of ``count`` where none is (Y with m = 0: zero)."""
    both = (count > 0) & (seconds > 0)
    if not both.any():
        return count.astype(float)
    scaled = seconds * float(np.exp(np.mean(np.log(count[both] / seconds[both]))))
    return scaled.where(seconds > 0, count).astype(float)


def update_seconds(cells):
    """nnz(X) updates of Y, each at the measured price of one entry of Y (``write_median``
    over n·m; 0 where Y has no entries or its write was not measured above overhead)."""
    stats = model_stats(cells)
    entry = cells["write_median"].astype(float) / stats["nm"].where(stats["nm"] > 0)
    return (stats["nnz"] * entry.clip(lower=0)).fillna(0.0)


def priced(cells):
    """The cells with nnz(X) (``stats.nnz``) priced by ``read_median``, Y's n·m entries
    (``stats.nm``) by ``write_median`` and the nnz(X) updates of Y (``stats.updates``,
    none where m = 0) by :func:`update_seconds`, each scaled to its count's units."""
    stats = model_stats(cells)
    return cells.assign(**{
        "stats.nnz": _price(stats["nnz"], cells["read_median"].astype(float)),
        "stats.nm": _price(stats["nm"], cells["write_median"].astype(float)),
        "stats.updates": _price(stats["nnz"].where(stats["nm"] > 0, 0.0), update_seconds(cells)),
    })  # fmt: skip


def read_cells(cells):
    """The cells with a measured read of X (a positive ``read_median``) and write of Y."""
    if "read_median" not in cells or "write_median" not in cells:
        return cells.iloc[:0]
    read = pd.to_numeric(cells["read_median"], errors="coerce")
    return cells[(read > 0) & pd.to_numeric(cells["write_median"], errors="coerce").notna()]


def _groups(claim, reducer, part, zipped):
    """(format, cells, judged segments) per input format of one variant, and the count of
    cells left out as overhead-dominated."""
    groups, left_out = [], 0
    for fmt, group in part.groupby(input_format(part), sort=True):
        model = FITTED_MODELS.get(claim.key, claim.time_model)
        fits = [fit_model(priced(group), model, w, reducer=reducer) for w in OMEGAS]
        overhead = max((f.overhead for f in fits if np.isfinite(f.overhead)), default=0)
        keep = group["time_median"] >= OVERHEAD_FLOOR * overhead
        left_out += int((~keep).sum())
        segments = sweep_segments(group, zipped, TOP_DOUBLINGS, keep=keep)
        if segments:
            groups.append((fmt, group, segments))
    return groups, left_out


def _search(claim, group, segments, measured, omega):
    """:func:`.feasible.search` of the claimed model at ω over one group's segments."""
    cells = pd.Index(sorted({i for s in segments for i in (*s.low, *s.high)}))
    terms = term_matrix(priced(group).loc[cells], FITTED_MODELS.get(claim.key, claim.time_model), omega)
    terms = terms.loc[:, (terms != 0).any()]  # a term that is zero everywhere (Y at m = 0)
    x = model_stats(group)
    ends = [
        (cells.get_indexer(s.low), cells.get_indexer(s.high),
         float(np.mean(np.log(x[s.axis][s.high])) - np.mean(np.log(x[s.axis][s.low]))))
        for s in segments
    ]  # fmt: skip
    return search(terms, ends, measured, MAX_CI_WIDTH)


def time_rows(claim, reducer, cells, facts):
    """(one row per judged segment of the reducer's dedicated time sweeps, the searches
    (one ((variant, input format), {ω: Search}) per group), the number of cells left out as
    overhead-dominated, the number left out for want of a read of X)."""
    zipped = facts.zipped_axes() if facts else None
    groups, left_out = [], 0
    timed = time_cells(cells)
    read = read_cells(timed)
    for variant, part in variants(read):
        found, dropped = _groups(claim, reducer, part, zipped)
        groups += [(variant, *g) for g in found]
        left_out += dropped
    level = 1 - (1 - LEVEL) / max(sum(len(g[-1]) for g in groups), 1)
    rows, searches = [], []
    for variant, fmt, group, segments in groups:
        x = model_stats(group)
        measured = [
            local_slope(*ends(s, group["times"], x[s.axis]), level=level) for s in segments
        ]
        found = {w: _search(claim, group, segments, measured, w) for w in OMEGAS}
        searches.append(((variant, fmt), found))
        for i, (s, (slope, low, high)) in enumerate(zip(segments, measured)):
            positions = tuple(found[w].positions[i] for w in OMEGAS)
            rows.append(
                {
                    "claim": claim.key,
                    "reducer": reducer,
                    "variant": variant,
                    "format": fmt,
                    "axis": s.label,
                    "line": s.line,
                    "x_low": s.x_low,
                    "x_high": s.x_high,
                    "slope": slope,
                    "ci_low": low,
                    "ci_high": high,
                    **{f"model ω={given(w)}": found[w].slopes[i] for w in OMEGAS},
                    "verdict": " / ".join(p or "model unknown" for p in positions),
                    "positions": positions,
                }
            )
    return rows, searches, left_out, len(timed) - len(read)


def omega_verdicts(searches):
    """{ω: verdict at that ω (None: untestable)}: fails when some group (variant, input
    format) fails, holds when every group holds, else inconclusive."""
    out = {}
    for w in OMEGAS:
        found = [s[w].verdict for _, s in searches]
        if not found or None in found:
            out[w] = None
        elif "fails" in found:
            out[w] = "fails"
        else:
            out[w] = "holds" if all(v == "holds" for v in found) else "inconclusive"
    return out


def time_verdict(searches):
    """The time part's verdict: holds at either ω, fails at both, else inconclusive."""
    tested = {w: v for w, v in omega_verdicts(searches).items() if v is not None}
    if not tested:
        return "not tested"
    if "holds" in tested.values():
        return "holds"
    return "fails" if all(v == "fails" for v in tested.values()) else "inconclusive"


def time_part(claim, reducer, cells, facts):
    """(verdict, what was measured, segment rows) of the time part."""
    rows, searches, left_out, unread = time_rows(claim, reducer, cells, facts)
    kept = len(time_cells(cells))
    if not rows and kept and unread == kept:
        return (
            "not tested",
            (
                f"no read of X or write of Y measured in the {count(kept)} time cells (a run "
                "before store schema 7): the rule prices nnz(X) and n·m by them"
            ),
            rows,
        )
    if not rows:
        return (
            "not tested",
            (
                f"no dedicated time sweep: {kept} of {len(cells)} cells have ≥ {MIN_TIME_REPEATS} "
                "repeats (run alone), and none of them moves n, d or the density over ≥ 3 values "
                f"above {given(OVERHEAD_FLOOR)}× the per-call overhead"
            ),
            rows,
        )
    per_omega = ", ".join(
        f"{v or 'untested'} at ω={given(w)} ("
        + "; ".join(_closest(rows, g, found[w], w) for g, found in searches)
        + ")"
        for w, v in omega_verdicts(searches).items()
    )
    lines = len({(r["variant"], r["axis"], r["line"]) for r in rows})
    overhead = (
        f"; {count(left_out)} cells under {given(OVERHEAD_FLOOR)}× the fitted per-call overhead left out"
        if left_out
        else ""
    )
    unmeasured = f"; {count(unread)} cells without a read of X or a write of Y left out" if unread else ""
    text = f"{per_omega}; {len(rows)} local slopes on {lines} sweep lines{overhead}{unmeasured}"
    return time_verdict(searches), text, rows


def _closest(rows, group, found, omega):
    """The candidate reported for one group (the witness, or the closest to one) and the
    segment whose measured slope most exceeds its model slope, as text."""
    variant, fmt = group
    mine = [r for r in rows if (r["variant"], r["format"]) == group]
    where = f"{fmt}{', ' + variant if variant else ''}"
    if found.verdict is None:
        return f"{where}: model unknown, a dataset statistic is missing"
    kind = "witness" if found.verdict == "holds" else "closest"
    model = f"model ω={given(omega)}"
    r = max(mine, key=lambda r: r["slope"] - r[model])
    constants = found.constants_text()
    return (
        f"{where}: {kind} of {found.candidates} candidate constants"
        f"{' ' + constants if constants else ''}, steepest against it: {r['axis']}, "
        f"{r['line']}, {size(r['x_low'])}→{size(r['x_high'])}: {number(r['slope'])} "
        f"{interval(r['ci_low'], r['ci_high'])} vs {number(r[model])}"
    )
