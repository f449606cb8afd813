"""The seed paper's claims and the pre-registered rules that judge them against a run.

Deng, Mahadevan, Song (arXiv 2304.04397): Theorem 1 (``randomized``, reducer
``leverage_fast``) and Theorem 2 (``deterministic``, reducer ``bss``), each with four
parts (time, size, the paper's error statement, the proof's spectral bound), judged at
one stated (ε, δ) per theorem.  Each claim is judged on the paper's reducer and, by the
same rule, on ``zero`` (m = 0), ``svd`` (exact), the time controls (reducers whose cost
meets the bound: zero, countsketch and osnap for Thm 1, zero and svd for Thm 2, which
must be judged ``holds``) and the run's calibration reducers (family ``calibration``:
planted faults that must be judged ``fails``).

One module per part: :mod:`.time`, :mod:`.size`, :mod:`.error`, each stating its rule
and its reasons; :mod:`.core` the claims, verdicts and local slopes they share;
:mod:`.judge` the tables; :mod:`.stamp` the stamp; :mod:`.simulation` how the time
rule's constants were chosen (it decides no verdict).

Pre-registration.  The rules are fixed here, versioned (RULES_VERSION) and hashed: the
stamp RULES_STAMP = "version:hash" hashes their parameters (RULE_PARAMETERS) and the
source of every module that decides a verdict (:data:`.stamp.SOURCES`: this package,
attnbench.paper, the fits, the cost models and the intervals), so an edit of a rule's
code changes it as surely as an edit of a constant.  A run stores RULES_STAMP when it
starts, and :func:`check_claims` withholds every verdict of a run made under another
stamp.  Changing a rule is a new version and a new run, never an edit that flips a
stored verdict.  Earlier versions are not edited: a run stored under their stamp gets
its verdicts withheld (v2: one fit across formats, no overhead exclusion, the size
slope alone, mixed configurations; v4: nnz(X) counted, not priced by a read of X, which
failed the m = 0 control where X leaves the caches; v5: no term for writing Y, which
failed countsketch at a fixed m = 4096 above the theory's m at n ≤ 1024).
"""

from __future__ import annotations

from attnbench.analysis.claims import error, size, time
from attnbench.analysis.claims.core import (
    CALIBRATION,
    CLAIMS,
    COLUMNS,
    OMEGAS,
    SEGMENT_COLUMNS,
    SLOPE_SLACK,
    THEORY_PARAMS,
    TIME_CONTROLS,
    Claim,
    ClaimsReport,
    local_slope,
    rules_text,
    theory_cells,
    top_segments,
)
from attnbench.analysis.claims.judge import REFERENCES, judge, summarise
from attnbench.analysis.claims.stamp import rules_stamp, source_texts
from attnbench.intervals import LEVEL, N_BOOT
from attnbench.paper import DEFAULT_DELTA, DEFAULT_EPS, SATURATION

RULES_VERSION = 7
TOP_DOUBLINGS = time.TOP_DOUBLINGS
RULE_PARAMETERS = {
    **time.PARAMETERS,
    **size.PARAMETERS,
    **error.PARAMETERS,
    "default_delta": DEFAULT_DELTA,
    "default_eps": DEFAULT_EPS,
    "configurations": {c.key: [c.eps, c.delta] for c in CLAIMS},
    "theory_params": list(THEORY_PARAMS),
    "omegas": list(OMEGAS),
    "level": LEVEL,
    "n_boot": N_BOOT,
    "calibration": CALIBRATION,
    "time_controls": {k: sorted(v) for k, v in TIME_CONTROLS.items()},
}
RULES_STAMP = rules_stamp(RULES_VERSION, RULE_PARAMETERS, source_texts())
RULES_HASH = RULES_STAMP.partition(":")[2]


def check_claims(cells, facts=None):
    """Judge every claim on a run's ok symmetric-attention cells (a store frame) under
    these rules; see :class:`ClaimsReport` and the modules' docs.

    ``facts`` (the run's :class:`attnbench.store.facts.RunFacts`) gives the stamp of the
    rules the run was made under (verdicts are withheld when it is not RULES_STAMP), the
    zipped axes, the reducers' families and default δ and ε.
    """
    stamp = facts.rules_version if facts else RULES_STAMP
    return judge(cells, facts, stamp, RULES_STAMP)


__all__ = [
    "CALIBRATION", "CLAIMS", "COLUMNS", "OMEGAS", "REFERENCES", "RULES_HASH", "RULES_STAMP",
    "RULES_VERSION", "RULE_PARAMETERS", "SATURATION", "SEGMENT_COLUMNS", "SLOPE_SLACK",
    "THEORY_PARAMS", "TIME_CONTROLS", "TOP_DOUBLINGS", "Claim", "ClaimsReport",
    "check_claims", "local_slope", "rules_text", "summarise", "theory_cells", "top_segments",
]  # fmt: skip
