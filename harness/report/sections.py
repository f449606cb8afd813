"""The report's sections on the seed paper: warnings first (verdicts withheld, facts
inferred by migration, uncommitted changes), then what we found, the claims, accuracy,
speed against accuracy, auto sizes and the runtime fits.  Each registers with
``@section(title, order)`` (:mod:`attnbench.report.context`)."""

from __future__ import annotations

import math

from attnbench.analysis import claims as paper_claims
from attnbench.analysis import regime
from attnbench.analysis.claims import RULES_STAMP, rules_text
from attnbench.cost_models import OMEGA_BLAS
from attnbench.intervals import LEVEL
from attnbench.metrics import METRICS
from attnbench.numbers import given, percent
from attnbench.paper import DEFAULT_DELTA, MIN_TIME_REPEATS, PAPER_REGIME_R
from attnbench.report import figures, findings, regime_figures, tables
from attnbench.report.context import section, withheld_text
from attnbench.report.render import (
    Alert,
    Bullets,
    Paragraph,
)


@section("Verdicts withheld", 0)
def withheld_section(ctx):
    return [Alert(withheld_text(ctx))] if ctx.claims.withheld else []


@section("Facts inferred by migration", 1)
def inferred_section(ctx):
    inferred = ctx.info.get("inferred") or {}
    if not inferred:
        return []
    return [
        Alert(
            "This run was stored by an older attnbench and its store migrated: the facts "
            "below were not stored with the run but filled in at migration, so they describe "
            "the attnbench that migrated it, not necessarily the one that ran it."
        ),
        Bullets(tuple(f"{fact}: {how}" for fact, how in inferred.items())),
    ]


def _dirty(ctx):
    """The warning of a run made from a checkout with uncommitted changes, or ''."""
    fp = ctx.info.get("fingerprint", {})
    if not fp.get("git_dirty"):
        return ""
    digest = fp.get("git_diff_hash")
    return (
        f"Uncommitted changes: this run was made from attnbench commit "
        f"{(fp.get('git_commit') or 'unknown')[:12]} with uncommitted changes"
        + (f" (diff hash {digest})" if digest else "")
        + ". What ran is not that commit: the code that produced these numbers cannot be "
        "checked out again. Rerun from a clean commit before citing them."
    )


@section("Uncommitted changes", -1)
def dirty_section(ctx):
    text = _dirty(ctx)
    return [Alert(text)] if text else []


@section("What we found", 5)
def findings_section(ctx):
    if ctx.cells.empty:
        return []
    return [Bullets(tuple(findings.sentences(ctx)))]


def _claim_rules(ctx):
    fp = ctx.info.get("fingerprint", {})
    dirty = " with uncommitted changes" if fp.get("git_dirty") else ""
    stamp = ctx.claims.stamp
    made = rules_text(stamp) if stamp else "rules it did not record (a migrated store)"
    configurations = "; ".join(f"{c.theorem} at {c.configuration}" for c in paper_claims.CLAIMS)
    return (
        "Each claim of Deng, Mahadevan and Song (arXiv 2304.04397), judged by rules fixed "
        f"before the run: claim rules {rules_text(RULES_STAMP)} (attnbench.analysis.claims, one "
        "module per part, each stating its rule and why), run made under "
        f"{made} at attnbench commit {fp.get('git_commit') or 'unknown'}"
        f"{dirty}. All four parts of a theorem at one configuration: {configurations}. The "
        "trivial m = 0 reducer (zero), the exact one (svd), the time controls and the "
        "calibration reducers (planted faults) are judged by the same rules. Time: per input "
        "format (dense, sparse), on the reducer's dedicated time cells "
        f"(≥ {MIN_TIME_REPEATS} repeats); cells under {given(paper_claims.time.OVERHEAD_FLOOR)}× the "
        "per-call overhead (an NNLS fit's) measure the call, not the algorithm, and are left "
        f"out; the local log-log slope over the top {paper_claims.TOP_DOUBLINGS} doublings of "
        f"each sweep line (bootstrap {percent(LEVEL)} intervals, Bonferroni) against the claimed "
        "model's, for every choice of its constants (a log grid of their ratios), + "
        f"{given(paper_claims.SLOPE_SLACK)} for polylogs. It holds when some constants keep every "
        "slope at or below the model's, and fails when for every choice of constants some "
        "slope is above, at both ω = 2.373 and 3: no constants of the claimed form follow the "
        "measured "
        "growth. Size: m against the bound with the constant its reducer states in every "
        "cell, and the slope of m over the top doubling of n (≥ 3 matrices X per n, m < "
        "d/4) against the bound's; a slope above under bss's proven cap is inconclusive "
        "(not yet at its asymptote). Error: the failure rate of err ≤ r (r < 0.1) and of "
        "the proof's spectral bound, Clopper-Pearson against δ for a randomized reducer, "
        "every X for a deterministic one. Verdicts: holds, fails, vacuous (m = 0 passes "
        "too), inconclusive, not tested, absent, withheld."
    )


@section("Claims of the paper", 10)
def claims_section(ctx):
    report = ctx.claims
    blocks = [Paragraph(_claim_rules(ctx))]
    for claim in paper_claims.CLAIMS:
        rows = report.verdicts[report.verdicts["claim"] == claim.key]
        blocks.append(Paragraph(claim.statement))
        blocks.append(Paragraph("Verdicts: " + paper_claims.summarise(report.verdicts, claim)))
        blocks.append(
            ctx.table(
                f"claims_{claim.key}",
                rows.drop(columns="claim"),
                f"{claim.theorem}: measured against claimed, per reducer",
            )
        )
    if report.controls is not None and len(report.controls):
        blocks.append(
            ctx.table(
                "claims_controls",
                report.controls,
                "Controls: reducers whose verdict is known in advance (the time controls must "
                "hold, the calibration reducers must fail their planted part), expected "
                "against given",
            )
        )
    if len(report.calibration):
        blocks.append(
            ctx.table(
                "claims_calibration",
                report.calibration,
                "Do the rules have power? Each calibration reducer's verdict on its planted part "
                "(it must be 'fails')",
            )
        )
    if len(report.segments):
        blocks.append(
            ctx.table(
                "claims_time_segments",
                report.segments,
                "Every local time slope the time rule judged, against the fitted claimed model "
                "(verdict at ω = 2.373 / ω = 3)",
            )
        )
    return blocks


@section("Accuracy", 20)
def accuracy_section(ctx):
    if ctx.cells.empty:
        return [Paragraph("No cell finished ok: there is nothing to show.")]
    metrics = ", ".join(
        f"{name} ({METRICS[name].description})" for name in ("attn_err_over_r", "skill")
    )
    blocks = [Paragraph(f"Metrics: {metrics}.")]
    blocks += error_vs_r_figures(ctx, r_sweeps(ctx.cells), "error_vs_r", "")
    equal_m = tables.equal_m_frame(ctx.cells)
    blocks += [
        ctx.figure(
            "m_vs_n",
            figures.m_vs_n(
                paper_claims.theory_cells(ctx.cells),
                [c.reducer for c in paper_claims.CLAIMS] + ["svd"],
                DEFAULT_DELTA,
            ),
            "Columns kept against n by the paper's two algorithms (and svd, m = rank) at the "
            "theory's size, with d, d/4 and the shapes of the two size bounds.",
        ),
        ctx.figure(
            "error_vs_m",
            figures.error_vs_m(ctx.cells),
            "Error over r against m for the reducers run at several sizes, per dataset "
            "family, n and r; open triangles: below the floor, drawn at it.",
        ),
        ctx.table(
            "equal_m",
            equal_m,
            f"Every reducer at equal m: median err/r in the paper's regime r < {given(PAPER_REGIME_R)} "
            "per family, n and m rounded to a power of 2, next to m = 0",
        )
        if len(equal_m)
        else None,
        ctx.figure(
            "skill_heatmap",
            figures.skill_heatmap(ctx.cells),
            "Median skill per reducer and dataset family (blue: better than m = 0).",
        ),
        ctx.table(
            "summary",
            tables.summary_frame(ctx.cells),
            "Medians over each family's cells (time in seconds, median of repeats)",
        ),
    ]
    return blocks


def r_sweeps(cells):
    """The cells of the experiments that sweep r (4 values or more)."""
    swept = cells["dataset.r"].groupby(cells["experiment"]).transform("nunique") >= 4
    return cells[swept]


def error_vs_r_figures(ctx, cells, name, what):
    """error_vs_r figures of at most 4 reducer variants each: the paper's algorithms and
    svd first, then the baselines, then the calibration reducers."""
    paper = [c.reducer for c in paper_claims.CLAIMS] + ["svd"]
    families = {r: f.family for r, f in ctx.facts.reducers.items()}
    variants = sorted(set(cells.loc[cells["reducer"] != "zero", "variant"]))
    reducer_of = dict(zip(cells["variant"], cells["reducer"]))

    def rank(v):
        r = reducer_of[v]
        return (families.get(r) == "calibration", r not in paper, r, v)

    groups = figures.chunks(sorted(variants, key=rank), figures.MAX_SERIES - 4)
    blocks = []
    for i, group in enumerate(groups):
        label = f"{name}_{i + 1}" if i else name
        blocks.append(
            ctx.figure(
                label,
                figures.error_vs_r(
                    cells, group, f"{what}Error over r against r ({i + 1}/{len(groups)})"
                ),
                f"{what}Error over r against r per dataset family and n (medians over seeds) for "
                f"{', '.join(group)}; dashed black: m = 0 measured; thick black: the paper's bound err = r; "
                f"dotted: r/n, what m = 0 gives in the paper's regime (shaded, r < {given(PAPER_REGIME_R)}); "
                "open triangles: errors below the floor (round-off), drawn at it.",
            )
        )
    return blocks


@section("Speed against accuracy", 30)
def pareto_section(ctx):
    if ctx.cells.empty:
        return []
    budgets = tables.budget_frame(ctx.cells)
    return [
        ctx.figure(
            "time_vs_error",
            figures.time_vs_error(ctx.cells),
            "Median time against error over r per dataset (the 12 with the most reducers): the "
            "Pareto front in colour on the black step line, dominated variants in grey; open "
            "triangles: errors below the floor, drawn at it.",
        ),
        ctx.table(
            "pareto_budgets",
            budgets,
            "Per time budget: the variant most often the most accurate within it, across datasets",
        )
        if len(budgets)
        else None,
        ctx.table(
            "pareto_front",
            tables.front_frame(ctx.cells),
            "Datasets where each reducer is on the time/error Pareto front",
        ),
    ]


@section("Auto sizes: where each bound starts to compress", 36)
def auto_size_section(ctx):
    if "m_auto" not in ctx.cells:
        return []
    sizes = regime.auto_sizes(ctx.cells)
    if sizes.empty:
        return []
    return [
        Paragraph(
            "m_auto is the m that each reducer's 'auto' bound asks for at the run's eps and "
            "delta (recorded whatever size a cell ran at). m_auto / d >= 1: at its own size "
            "the reducer does not compress X (a projection then returns X itself). The onset "
            "is the smallest d swept from which on the bound compresses."
        ),
        ctx.figure(
            "auto_sizes",
            regime_figures.auto_sizes(sizes),
            "m_auto / d against n and against d, per reducer (median over dataset families).",
        ),
        ctx.table(
            "compression_onset",
            regime.compression_onset(sizes),
            "Per reducer, family and n: the bound's m and the d from which it compresses",
        ),
    ]


_SCALING_METHOD = (
    "Dedicated time sweeps only (cells with at least "
    f"{MIN_TIME_REPEATS} repeats, run alone; accuracy cells are never pooled "
    "in). Free log-log slope of the median time along each swept axis (one intercept per "
    f"line of cells that share every other coordinate), with a bootstrap {percent(LEVEL)} interval "
    "over cells and repeats; next to it, each cost model's slope with its fitted constants "
    "and, in brackets, its asymptotic slope (steepest term). Models are fitted by "
    "non-negative least squares on relative error, with a per-call overhead; R² is on log "
    "time."
)
_NO_SWEEP = (
    "This run has no dedicated time sweep (at least 3 values of n, d or the density with "
    f"the rest fixed, in cells of at least {MIN_TIME_REPEATS} repeats), so no "
    "slope is measured; run the scaling or paper preset for the fits."
)


@section("Runtime scaling and cost-model fits", 40)
def scaling_section(ctx):
    if ctx.cells.empty:
        return []
    fits = ctx.fits
    blocks = [Paragraph(_SCALING_METHOD)]
    if fits.slopes.empty:
        blocks.append(Paragraph(_NO_SWEEP))
    models = _declared_fits(fits, ctx.facts)
    for axis in ("d", "n", "nnz"):
        blocks.append(
            ctx.figure(
                f"runtime_vs_{axis}",
                figures.runtime_scaling(ctx.time_cells, fits.sweeps, fits.fits, models, axis),
                f"Median time against {figures.AXIS_NAMES[axis]} in the dedicated sweeps (bars: "
                "IQR of the repeats); dashed: the reducer's declared cost model fitted at ω = 3.",
            )
        )
    if not fits.slopes.empty:
        blocks += _slope_tables(ctx, fits)
    return blocks + _model_tables(ctx, fits)


def _declared_fits(fits, facts):
    """reducer -> the key in ``fits.fits`` of its declared cost model (at ω = 3 when the
    model uses ω)."""
    out = {}
    for reducer, model, omega in fits.fits:
        if model == facts.cost_model(reducer) and (omega == OMEGA_BLAS or math.isnan(omega)):
            out[reducer] = (reducer, model, omega)
    return out


def _slope_tables(ctx, fits):
    return [
        ctx.table(
            "fit_slopes",
            tables.slopes_frame(fits),
            "Measured slope against each model's fitted slope ('*' inside the interval) "
            "and asymptotic slope (in brackets)",
        ),
        ctx.table(
            "fit_slopes_long",
            fits.predictions.merge(fits.slopes, on=["reducer", "axis"]),
            "Every slope, one row per model",
            formats=("csv",),
            inline=False,
        ),
    ]


def _model_tables(ctx, fits):
    return [
        ctx.table(
            "fit_verdict",
            fits.verdict,
            "Per reducer: the model that explains the measurements best (most slopes inside "
            "their intervals, then R²) and how the paper's two models do",
        ),
        ctx.table(
            "fit_models",
            fits.models.drop(columns=["model", "omega", "formula"]).rename(
                columns={"label": "model"}
            ),
            "Whole-model fits: constants, per-call overhead (s) and R² on log time",
        ),
    ]


