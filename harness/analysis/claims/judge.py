"""Every claim judged on a run: who is judged (the paper's reducer, the references, the
controls, the calibration reducers), the verdict table, the controls table."""

from __future__ import annotations

import pandas as pd

from attnbench.analysis.claims.core import (
    CALIBRATION,
    CLAIMS,
    COLUMNS,
    SEGMENT_COLUMNS,
    TIME_CONTROLS,
    ClaimsReport,
    at_configuration,
)
from attnbench.analysis.claims.error import error_parts, mark_vacuous
from attnbench.analysis.claims.size import size_part
from attnbench.analysis.claims.time import time_part
from attnbench.numbers import given
from attnbench.paper import ERROR_CONSTANT, PAPER_REGIME_R

REFERENCES = {"zero": "trivial (m = 0)", "svd": "exact (m = rank)"}
CONTROL_COLUMNS = ["claim", "part", "reducer", "control", "expected", "verdict", "as expected"]


def _roles(claim, reducers, facts):
    """{reducer: role} judged on a claim: the paper's reducer, the references, the time
    controls in the run, and the calibration reducers that declare the claim's cost
    model."""
    roles = {claim.reducer: f"the paper's {claim.key} algorithm", **REFERENCES}
    for name, why in TIME_CONTROLS[claim.key].items():
        if name in reducers:
            roles[name] = f"{REFERENCES.get(name, 'control')}; time control: {why}"
    for name in sorted(reducers):
        stored = facts.reducers.get(name) if facts else None
        calibration = stored.family == "calibration" if stored else name in CALIBRATION
        model = stored.cost_model if stored else "randomized"
        if calibration and model == claim.time_model:
            part = CALIBRATION.get(name, "unknown")
            roles[name] = f"calibration: planted fault in {part}"
    return roles


def _reducer_rows(claim, reducer, cells, facts):
    """(rows, time segments) of one reducer on one claim, at the claim's (ε, δ)."""
    if cells.empty:
        return [("all", claim.statement, "absent", "no ok cell in this run")], []
    cells, other = at_configuration(claim, reducer, cells, facts)
    if cells.empty:
        return [("all", claim.statement, "not tested", f"no cell at {claim.configuration}")], []
    time_verdict, time_text, segments = time_part(claim, reducer, cells, facts)
    randomized = _randomized(claim, reducer, facts)
    eps = pd.Series(claim.eps, index=cells.index)
    paper, proof = error_parts(randomized, cells, claim.delta, eps)
    chance = " with probability ≥ 1 − δ" if randomized else " on every X"
    rows = [
        ("time", claim.time_bound, time_verdict, time_text),
        ("size", f"m = O({claim.size_term})", *size_part(claim, reducer, cells, facts)),
        ("error", f"attn_err_inf ≤ {given(ERROR_CONSTANT)}·r, r < {given(PAPER_REGIME_R)}{chance}", *paper),
        ("spectral", f"(1−ε)XXᵀ ⪯ YYᵀ ⪯ (1+ε)XXᵀ{chance} (what the proof gives)", *proof),
    ]  # fmt: skip
    if other:
        note = f" [{other} cells at another (ε, δ) than {claim.configuration} left out]"
        rows = [(part, expected, verdict, text + note) for part, expected, verdict, text in rows]
    return rows, segments


def _randomized(claim, reducer, facts):
    """Whether the reducer draws random numbers: as stored with the run, else the claim's
    kind for its own reducer and the calibration ones (the references are exact)."""
    stored = facts.reducers.get(reducer) if facts else None
    if stored is not None:
        return not stored.deterministic
    return claim.uses_delta and reducer not in REFERENCES


def _calibration_frame(frame):
    rows = []
    for r in frame[frame["role"].str.startswith("calibration")].itertuples():
        planted = CALIBRATION.get(r.reducer)
        if r.part == planted:
            rows.append({"reducer": r.reducer, "claim": r.claim, "planted part": planted,
                         "verdict": r.verdict, "caught": r.verdict == "fails"})  # fmt: skip
    return pd.DataFrame(rows, columns=["reducer", "claim", "planted part", "verdict", "caught"])


def controls_frame(frame):
    """Every control with its expected and its given verdict: the time controls of each
    theorem (must hold) and the calibration reducers (must fail their planted part)."""
    rows = []
    for claim in CLAIMS:
        mine = frame[frame["claim"] == claim.key].set_index(["reducer", "part"])["verdict"]
        for name, why in TIME_CONTROLS[claim.key].items():
            if (name, "time") in mine.index:
                rows.append((claim.key, "time", name, why, "holds", mine[name, "time"]))
        for name, part in CALIBRATION.items():
            if (name, part) in mine.index:
                rows.append((claim.key, part, name, "planted fault", "fails", mine[name, part]))
    out = pd.DataFrame(rows, columns=CONTROL_COLUMNS[:-1])
    out["as expected"] = out["expected"] == out["verdict"]
    return out


def judge(cells, facts, stamp, current):
    """The ClaimsReport of ``cells`` (see :func:`attnbench.analysis.claims.check_claims`)."""
    rows, segments = [], []
    reducers = set(cells["reducer"])
    for claim in CLAIMS:
        for reducer, role in _roles(claim, reducers, facts).items():
            part_rows, part_segments = _reducer_rows(
                claim, reducer, cells[cells["reducer"] == reducer], facts
            )
            rows += [
                dict(zip(COLUMNS, (claim.key, part, reducer, role, expected, measured, verdict)))
                for part, expected, verdict, measured in part_rows
            ]
            segments += part_segments
    frame = mark_vacuous(pd.DataFrame(rows, columns=COLUMNS), cells)
    withheld = stamp != current
    if withheld:
        frame["verdict"] = "withheld"
    segment_frame = pd.DataFrame(segments, columns=SEGMENT_COLUMNS)
    return ClaimsReport(
        frame, segment_frame, _calibration_frame(frame), withheld, stamp, controls_frame(frame)
    )


def summarise(verdicts, claim):
    """One sentence per reducer of a claim: its verdict on each part."""
    part = verdicts[verdicts["claim"] == claim.key]
    sentences = []
    for reducer, rows in part.groupby("reducer", sort=False):
        listed = ", ".join(f"{r.part} {r.verdict}" for r in rows.itertuples())
        sentences.append(f"{reducer}: {listed}.")
    return " ".join(sentences)
