"""The report's "What we found": sentences generated from a run, each with its numbers.

A finder is a function of the report context (:class:`attnbench.report.ReportContext`:
``cells``, ``asymmetric_cells``, ``claims``, ``facts``, the regime map's ``winners`` and
``crossovers``) that returns a list of sentences,
registered in reading order with ``@finder(order)``; one that finds nothing returns [] and
says nothing.  Sentences state what the run measured, never what it should have.
"""

from __future__ import annotations

import numpy as np

from attnbench.analysis import regime
from attnbench.analysis.claims import (
    CALIBRATION,
    CLAIMS,
    RULES_STAMP,
    rules_text,
    theory_cells,
)
from attnbench.analysis.fits import model_stats
from attnbench.numbers import count, given, interval, number, seconds, size
from attnbench.paper import DEFAULT_DELTA, PAPER_REGIME_R, SATURATION
from attnbench.report.tables import ERR_FLOOR, budget_frame, front_frame

FINDERS = []
# m = 0's error at least this share of 1 - 1/n: the exact attention puts (almost) a whole
# row's weight on one key
COLLAPSE = 0.5


def finder(order):
    """Register ``fn(ctx) -> list of sentences`` at position ``order``."""

    def decorate(fn):
        FINDERS[:] = sorted(
            [f for f in FINDERS if f[1].__name__ != fn.__name__] + [(order, fn)],
            key=lambda f: f[0],
        )
        return fn

    return decorate


def sentences(ctx):
    """Every finder's sentences, in order."""
    return [s for _, fn in FINDERS for s in fn(ctx)]


ROUND_OFF = 1e-12  # an err/r below this is round-off: said so, never printed as a value


def _err(cells, variant, shown):
    """err/r as measured, for a value that a table floored at ERR_FLOOR: the variant's
    measured median, or 'at round-off (< 1e-12)'; never the floor itself."""
    if shown > ERR_FLOOR:
        return number(shown)
    mine = cells.loc[cells.get("variant", cells["reducer"]) == variant, "attn_err_over_r"]
    measured = float(mine.median()) if len(mine) else float("nan")
    if not np.isfinite(measured) or measured < ROUND_OFF:
        return f"at round-off (< {given(ROUND_OFF)})"
    return number(measured)


@finder(1)
def glossary(ctx):
    """The terms the findings use, defined before their first use."""
    if ctx.cells.empty:
        return []
    return [
        ("Terms: skill = 1 − err/err(m = 0), the share of the m = 0 reducer's error removed "
        "(> 0: better than nothing); vacuous: a statement the m = 0 reducer meets too, so "
        "passing it shows nothing; straddles: a slope's interval contains the model's slope "
        "+ the slack, so it decides nothing; theory-sized: a cell at the reducer's own "
        "'auto' size (no parameter set but ε and δ); floor: the smallest error a figure "
        f"draws ({given(ERR_FLOOR)}·r), where round-off errors are drawn as open triangles, never "
        "a measured value.")
    ]


@finder(10)
def rules_power(ctx):
    report = ctx.claims
    if report.withheld:
        return [
            (
                f"No verdict is given: the run was made under claim rules {rules_text(report.stamp)}, "
                f"and these are {rules_text(RULES_STAMP)}; rerun the sweep to judge it."
            )
        ]
    calibration = report.calibration
    if calibration.empty:
        return [
            (
                "No calibration reducer ran, so this run does not show that its rules can fail "
                f"(add {', '.join(CALIBRATION)} to the sweep)."
            )
        ]
    caught = calibration[calibration["caught"]]
    rows = calibration.to_dict("records")
    out = [
        f"The rules can fail: {len(caught)} of {len(calibration)} calibration reducers (planted "
        "faults) were judged 'fails' on their planted part ("
        + ", ".join(f"{r['reducer']}: {r['verdict']} on {r['planted part']}" for r in rows)
        + ")."
    ]
    for r in (r for r in rows if not r["caught"]):
        out.append(
            f"WARNING: {r['reducer']} was judged '{r['verdict']}' on {r['planted part']}, so at "
            f"this run's sizes the {r['planted part']} rule cannot be trusted to catch a real fault."
        )
    return out


@finder(20)
def claim_verdicts(ctx):
    if ctx.claims.withheld:
        return []
    table = ctx.claims.verdicts
    out = []
    for claim in CLAIMS:
        own = table[(table["claim"] == claim.key) & (table["reducer"] == claim.reducer)]
        if own.empty or (own["verdict"] == "absent").all():
            continue
        parts = ", ".join(f"{r.part} {r.verdict}" for r in own.itertuples())
        out.append(f"{claim.theorem} on {claim.reducer}: {parts}.")
    return out


@finder(25)
def controls(ctx):
    """Whether the time controls held and the calibration reducers failed: a rule that
    fails a reducer known to meet the bound says nothing about the paper's."""
    report = ctx.claims
    if report.withheld or report.controls is None or report.controls.empty:
        return []
    table = report.controls
    wrong = table[~table["as expected"]]
    out = [
        (f"Controls: {len(table) - len(wrong)} of {len(table)} given the verdict known in advance "
        "(time controls 'holds', calibration reducers 'fails').")
    ]
    for r in wrong.itertuples():
        out.append(
            f"WARNING: control {r.reducer} ({r.control}) was judged '{r.verdict}' on "
            f"{r.claim} {r.part}, expected '{r.expected}': that rule's verdicts on this run "
            "do not separate a correct reducer from a faulty one."
        )
    return out


@finder(30)
def vacuity(ctx):
    table = ctx.claims.verdicts
    vacuous = table[(table["verdict"] == "vacuous") & (table["part"] == "error")]
    zero = ctx.cells[(ctx.cells["reducer"] == "zero") & (ctx.cells["dataset.r"] < PAPER_REGIME_R)]
    if vacuous.empty or zero.empty:
        return []
    n = model_stats(zero)["n"]
    spectral = table[(table["reducer"] == "zero") & (table["part"] == "spectral")]
    proof = (
        f" The guarantee its proof gives, (1−ε)XXᵀ ⪯ YYᵀ ⪯ (1+ε)XXᵀ, does separate them: m = 0 "
        f"{spectral['verdict'].iloc[0]} it (spectral_eps {number(zero['spectral_eps'].median())})."
        if len(spectral)
        else ""
    )
    return [
        "The paper's error statement (attn_err_inf ≤ r for r < 0.1) is vacuous: the m = 0 "
        f"reducer meets it in all {count(len(zero))} of its cells, with err/r median "
        f"{number(zero['attn_err_over_r'].median())} against 1/n median {number(np.median(1 / n))}, "
        f"so {', '.join(sorted(set(vacuous['reducer'])))} passing it shows nothing." + proof
    ]


@finder(40)
def pareto(ctx):
    budgets = budget_frame(ctx.cells)
    fronts = front_frame(ctx.cells)
    if budgets.empty:
        return []
    # a larger budget that changes nothing is not worth a clause
    changes = budgets[["most accurate", "wins", "datasets"]].ne(budgets[
        ["most accurate", "wins", "datasets"]].shift()).any(axis=1)  # fmt: skip
    listed = "; ".join(
        f"≤ {seconds(b['budget_s'])}: {b['most accurate']} in {b['wins']} of {b['datasets']} datasets "
        f"(err/r {_err(ctx.cells, b['most accurate'], b['err_over_r'])})"
        for b in budgets[changes].to_dict("records")
    )
    out = [f"Most accurate within a time budget (per dataset, medians over seeds): {listed}."]
    if len(fronts):
        total = int(fronts["datasets"].iloc[0])
        counts = dict(zip(fronts["reducer"], fronts["on the front"]))
        out.append(
            f"On the time/error Pareto front, of {total} datasets: "
            + ", ".join(f"{r} {c}" for r, c in sorted(counts.items(), key=lambda x: -x[1]))
            + "; "
            + ", ".join(f"{r} 0" for r in ("svd", "bss", "leverage_fast") if r not in counts)
            + "."
        )
    return out + _svd_dominance(ctx.cells)


def _svd_dominance(cells):
    """Datasets where nothing faster than exact svd beats the m = 0 reducer."""
    dominated, total = [], 0
    for keys, part in cells.groupby(["dataset.family", "dataset.n", "dataset.d", "dataset.r"]):
        svd = part[part["reducer"] == "svd"]
        if svd.empty or part["reducer"].nunique() < 3:
            continue
        total += 1
        faster = part[part["time_median"] < svd["time_median"].median()]
        if not (faster["skill"] > 0).any():
            dominated.append(keys)
    if not total:
        return []
    families = sorted({k[0] for k in dominated})
    return [
        f"Exact svd (err/r {_err(cells, 'svd', 0.0)}) dominates {len(dominated)} of "
        f"{total} datasets: there no reducer faster than it beats m = 0"
        + (f" (families: {', '.join(families)})." if families else ".")
    ]


@finder(50)
def auto_sizes(ctx):
    cells = ctx.cells[ctx.cells["reducer"] == "leverage_fast"]
    if "param.n_components" in cells:
        cells = cells[cells["param.n_components"].isna()]
    if cells.empty:
        return []
    stats = model_stats(cells)
    ratio = (cells["m"] / stats["d"]).groupby([stats["n"], stats["d"]]).median()
    low, high = ratio.idxmin(), ratio.idxmax()
    compressing = ratio[ratio < 0.25]
    where = (
        "; the smallest d/n at which it keeps under a quarter of the columns is "
        f"{size(min(d / n for n, d in compressing.index))}"
        if len(compressing)
        else "; it never keeps under a quarter of the columns here"
    )
    return [
        (
            "At its own size (n_components='auto', ε = 0.5, δ = 0.1) leverage_fast keeps m/d = "
            f"{number(ratio[high])} of the columns at n = {count(high[0])}, d = {size(high[1])} and "
            f"{number(ratio[low])} at n = {count(low[0])}, d = {size(low[1])}{where}."
        )
    ]


@finder(55)
def sizes(ctx):
    """m over the size bound at the two largest n of every line along n of each paper
    reducer's theory-sized cells below the saturation (what the size verdict rests on),
    and the largest m/n anywhere."""
    out = []
    verdicts = ctx.claims.verdicts
    for claim in CLAIMS:
        theory = theory_cells(ctx.cells[ctx.cells["reducer"] == claim.reducer])
        stats = model_stats(theory)
        cells = theory[(theory["m"] > 0) & (theory["m"] < SATURATION * stats["d"])]
        delta = (ctx.facts.default(claim.reducer, "delta") if ctx.facts else None) or DEFAULT_DELTA
        lines = []
        for (family, d), line in cells.groupby(["dataset.family", "dataset.d"]):
            m = line.groupby("dataset.n")["m"].median().iloc[-2:]
            if len(m) == 2:
                ratio = m / claim.size(m.index.to_numpy(float), delta)
                lines.append(
                    f"{number(ratio.iloc[0])} at n = {count(m.index[0])} and {number(ratio.iloc[1])} at "
                    f"n = {count(m.index[1])} ({family}, d = {size(d)})"
                )
        if not lines:
            continue
        verdict = verdicts[(verdicts["claim"] == claim.key) & (verdicts["reducer"] == claim.reducer)
                           & (verdicts["part"] == "size")]["verdict"]  # fmt: skip
        most = (theory["m"] / stats["n"]).max()
        out.append(
            f"{claim.reducer} at the theory's size keeps m / ({claim.size_term}) = "
            + "; ".join(lines)
            + f"; m/n is at most {number(most)} in any of its theory-sized cells; size verdict: "
            + f"{verdict.iloc[0] if len(verdict) else 'not judged'}."
        )
    return out


@finder(60)
def bss_cost(ctx):
    segments = ctx.claims.segments
    bss = segments[(segments["reducer"] == "bss") & segments["axis"].str.startswith("n")]
    if bss.empty:
        return []
    top = bss.sort_values("x_high").iloc[-1]
    return [
        (
            f"BSS's measured cost along n: local slope {number(top['slope'])} "
            f"{interval(top['ci_low'], top['ci_high'])} from n = {count(top['x_low'])} to "
            f"{count(top['x_high'])} ({top['line']}), against {number(top['model ω=3'])} for the "
            f"claimed model fitted at ω = 3 and {number(top['model ω=2.373'])} at ω = 2.373 (its asymptotic n^(ω+1) has slope 4 and "
            "3.37)."
        )
    ]


@finder(70)
def large_logits(ctx):
    return _collapse(ctx.cells, "symmetric attention A(X)")


@finder(80)
def asymmetric(ctx):
    return _collapse(ctx.asymmetric_cells, "asymmetric attention A(Q, K)")


def _collapse(cells, what):
    """At the largest r swept: m = 0's error against 1 − 1/n (the attention has put each
    row's weight on one key), and the variants that still beat m = 0."""
    swept = cells[cells["dataset.family"].str.match("^(?!minilm)")]
    if swept.empty or swept["dataset.r"].nunique() < 4:
        return []
    top = swept[swept["dataset.r"] == swept["dataset.r"].max()]
    zero = top[top["reducer"] == "zero"]
    skill = top[top["reducer"] != "zero"].groupby("variant")["skill"].median()
    out = [
        (
            f"At r = {given(top['dataset.r'].iloc[0])} ({what}), {int((skill > 0).sum())} of {len(skill)} "
            "reducer variants still beat m = 0 (median skill > 0)"
        )
    ]
    if len(zero):
        err, top_share = zero["attn_err_inf"].median(), np.median(1 - 1 / model_stats(zero)["n"])
        out[0] += f"; m = 0's error is {number(err)} against 1 − 1/n = {number(top_share)}"
        if err >= COLLAPSE * top_share:
            out[0] += (
                ": the attention has collapsed to about one key per row (each token's largest "
                "logit, e.g. its own ‖x_i‖² = r, exceeds the others by a multiple of r, so exp "
                "puts nearly all of the row's weight there) while m = 0 spreads it evenly, and "
                "an error in that one logit moves a whole unit of weight"
            )
    return [out[0] + "."]


@finder(90)
def regime_map(ctx):
    """Which route reaches the target error fastest where (end-to-end, at equal error),
    where reducing pays over the direct route, and the crossovers at equal error
    (attnbench.analysis.regime)."""
    table = ctx.winners
    out = []
    if len(table):
        wins = table["winner"].fillna("nothing").value_counts()
        listed = ", ".join(f"{name} at {count}" for name, count in wins.items())
        ties = int(table["tie"].fillna(False).astype(bool).sum())
        payoff = table["best_payoff"].dropna()
        pays = (
            f"; the best reducer pays off over the direct route (payoff > 1) at "
            f"{int((payoff > 1).sum())} of {len(payoff)} points (payoff {number(payoff.min())} to "
            f"{number(payoff.max())})"
            if len(payoff)
            else ""
        )
        out.append(
            f"Fastest route to skill ≥ {given(regime.SKILL_TARGET)} at equal error, end to end, at "
            f"the {len(table)} timed dataset points: {listed} ({ties} ties){pays}."
        )
    return out + [regime.crossover_sentence(row) for row in ctx.crossovers.to_dict("records")]
