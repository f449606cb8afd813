"""``attnbench report``: a self-contained report folder from a stored run.

    OUT/index.html  one page with no network access: inline CSS, no scripts, images by
                    relative path; every text from the run is HTML-escaped
    OUT/REPORT.md   the same content, for a repository
    OUT/figures/    one PNG and one SVG per figure (matplotlib, Agg)
    OUT/tables/     one Markdown, LaTeX and CSV file per table (the CSV keeps the store's
                    full precision; Markdown, LaTeX and HTML show 4 significant digits)

A report is a list of sections.  A section is a function of the :class:`ReportContext`
that returns blocks (:mod:`attnbench.report.render`), registered in order with
``@section(title, order)``; an empty list leaves the section out.  Adding a section is
adding one function.  Tables are shaped in :mod:`attnbench.report.tables`, figures drawn in
:mod:`attnbench.report.figures`; everything a section knows about the run comes from the store.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import pandas as pd

from attnbench.analysis import claims as paper_claims
from attnbench.analysis import regime
from attnbench.analysis.claims import RULES_STAMP, rules_text
from attnbench.analysis.fits import analyse
from attnbench.cost_models import OMEGA_BLAS
from attnbench.intervals import LEVEL
from attnbench.metrics import METRICS
from attnbench.paper import DEFAULT_DELTA, MIN_TIME_REPEATS, PAPER_REGIME_R, time_cells
from attnbench.report import figures, findings, regime_figures, tables
from attnbench.report.render import (
    Alert,
    Bullets,
    Code,
    Document,
    Figure,
    Paragraph,
    Table,
    render_html,
    render_markdown,
)
from attnbench.store import read_run


@dataclass(frozen=True)
class Section:
    title: str
    order: float
    build: Callable


SECTIONS: list[Section] = []


def section(title, order):
    """Register ``fn(ctx) -> list of blocks`` as a report section at position ``order``."""

    def decorate(fn):
        SECTIONS[:] = [s for s in SECTIONS if s.title != title] + [Section(title, order, fn)]
        SECTIONS.sort(key=lambda s: s.order)
        return fn

    return decorate


class ReportContext:
    """What sections read (the run's cells and info, the claims, the fits) and how they
    write files."""

    def __init__(self, cells, info, out):
        self.all_cells = tables.prepare_cells(cells)
        ok = self.all_cells[self.all_cells["status"] == "ok"]
        # Asymmetric-attention cells (Q != K) have their own section: the paper's claims,
        # fits and figures are about A(X) = D^-1 exp(XX^T).
        asymmetric = ok.get("setting.attention", pd.Series("symmetric", ok.index)) == "asymmetric"
        self.cells = ok[~asymmetric]
        self.asymmetric_cells = ok[asymmetric]
        # Runtime fits use dedicated time sweeps only (>= MIN_TIME_REPEATS repeats, run
        # alone), never the one-repeat accuracy cells.
        self.time_cells = time_cells(self.cells)
        self.info = info
        self.facts = info["facts"]  # what the run knew of its reducers and plan: the store's
        self.out = Path(out)

    @cached_property
    def fits(self):
        return analyse(self.time_cells, self.facts)

    @cached_property
    def claims(self):
        return paper_claims.check_claims(self.cells, self.facts)

    @cached_property
    def points(self):
        """Per timed point and route variant: end-to-end time, skill, rounds."""
        return regime.point_medians(self.cells)

    @cached_property
    def routes(self):
        """Per point, target and route: the cheapest time to the target (bootstrap
        intervals over the rounds: computed once, shared by sections and findings)."""
        return regime.routes(self.points)

    @cached_property
    def winners(self):
        """The regime map: per timed point, the fastest route to the target error."""
        return regime.winners(self.routes)

    @cached_property
    def crossovers(self):
        """The crossover n* of each line along n, at equal error."""
        return regime.crossover(self.routes)

    def table(self, name, frame, caption, formats=tables.TABLE_FORMATS, inline=True):
        """Write tables/NAME.{formats} and return its block."""
        display = tables.write_table(frame, self.out, name, caption, formats)
        return Table(name, caption, display, tables.numeric_columns(frame), formats, inline)

    def figure(self, name, fig, caption):
        """Save a matplotlib figure (None: nothing to draw) and return its block."""
        if fig is None:
            return None
        figures.save(fig, self.out / "figures", name)
        return Figure(name, caption)


# --- sections -----------------------------------------------------------------------------


def _withheld(ctx):
    """The warning of a run made under other claim rules (or none recorded), or ''."""
    if not ctx.claims.withheld:
        return ""
    if not ctx.claims.stamp:
        return (
            "Verdicts withheld: this run stored no claim rules stamp (its store was migrated "
            "from an older schema, see 'Facts inferred by migration'), so the rules it was "
            "made under are unknown: every verdict below reads 'withheld', and the "
            "measurements are shown as stored. Rerun the sweep to judge it."
        )
    return (
        f"Verdicts withheld: this run was made under claim rules {rules_text(ctx.claims.stamp)}; "
        f"this attnbench judges by rules {rules_text(RULES_STAMP)}. The rules are fixed before a "
        "run, so no verdict of this run is given: every verdict below reads 'withheld', and the "
        "measurements are shown as stored. Rerun the sweep to judge it."
    )


@section("Verdicts withheld", 0)
def withheld_section(ctx):
    return [Alert(_withheld(ctx))] if ctx.claims.withheld else []


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


@section("Uncommitted changes", 1)
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
        f"(≥ {MIN_TIME_REPEATS} repeats); cells under {paper_claims.time.OVERHEAD_FLOOR:g}× the "
        "per-call overhead (an NNLS fit's) measure the call, not the algorithm, and are left "
        f"out; the local log-log slope over the top {paper_claims.TOP_DOUBLINGS} doublings of "
        f"each sweep line (bootstrap {LEVEL:.0%} intervals, Bonferroni) against the claimed "
        "model's, for every choice of its constants (a log grid of their ratios), + "
        f"{paper_claims.SLOPE_SLACK} for polylogs. It holds when some constants keep every "
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
    blocks += _error_vs_r_figures(ctx, _r_sweeps(ctx.cells), "error_vs_r", "")
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
            f"Every reducer at equal m: median err/r in the paper's regime r < {PAPER_REGIME_R:g} "
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


def _r_sweeps(cells):
    """The cells of the experiments that sweep r (4 values or more)."""
    swept = cells["dataset.r"].groupby(cells["experiment"]).transform("nunique") >= 4
    return cells[swept]


def _error_vs_r_figures(ctx, cells, name, what):
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
                f"dotted: r/n, what m = 0 gives in the paper's regime (shaded, r < {PAPER_REGIME_R:g}); "
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
    f"line of cells that share every other coordinate), with a bootstrap {LEVEL:.0%} interval "
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


@section("Beyond the paper: large logits", 45)
def large_logits_section(ctx):
    # Only experiments that sweep r say where the error stops being O(r).
    swept = _r_sweeps(ctx.cells)
    large = tables.large_logit_frame(swept) if len(swept) else pd.DataFrame()
    if large.empty:
        return []
    holds = large["beats zero until"].str.startswith(">=").sum()
    judged = (large["beats zero until"] != "(reference)").sum()
    return [
        Paragraph(
            f"The paper assumes r < {PAPER_REGIME_R:g}; real logits reach 10 and more. Per "
            "reducer and family: err/r in the paper's regime, the first r at which err/r "
            f"exceeds {tables.OR_SLACK:g} times that (the error stops being O(r)), and the "
            "first r at which the median skill is <= 0 (no better than the m = 0 reducer). "
            f"{holds} of {judged} reducer-family pairs beat m = 0 up to the largest r swept. "
            + " ".join(findings.large_logits(ctx))
        ),
        ctx.table(
            "large_logits",
            large,
            "Where the error stops being O(r), and where it stops beating the m = 0 reducer",
        ),
    ]


@section("Beyond the paper: asymmetric attention", 46)
def asymmetric_section(ctx):
    asym = ctx.asymmetric_cells
    synthetic = asym[~asym["dataset.family"].str.startswith("minilm")]
    if synthetic.empty:
        return []
    table = tables.medians_frame(synthetic, ["dataset.family", "dataset.r", "variant"])
    beats = table[table["skill"] > 0].groupby("dataset.r")["variant"].nunique()
    return [
        Paragraph(
            "A(Q, K) = D^-1 exp(QK^T) with Q != K, one reducer fitted on [Q; K] and applied "
            "to both. What carries over from a spectral bound on [Q; K] is approximate matrix "
            "multiplication: logit_err_frob = ||Q'K'^T - QK^T||_F / (||Q||_F ||K||_F). "
            "output_err is the relative error of A V, the quantity a model uses. Variants "
            "with median skill > 0, per r: "
            + ", ".join(f"r={r:g}: {n}" for r, n in beats.items())
            + "."
        ),
        *_error_vs_r_figures(ctx, synthetic, "asymmetric_error_vs_r", "Asymmetric attention: "),
        ctx.table(
            "asymmetric",
            table,
            "Asymmetric attention: medians per family, r and reducer variant",
        ),
    ]


@section("Beyond the paper: real attention", 47)
def real_attention_section(ctx):
    real = ctx.asymmetric_cells[ctx.asymmetric_cells["dataset.family"].str.startswith("minilm")]
    if real.empty:
        return []
    layer = real["dataset.params"].map(lambda p: str(p.get("layer", "")))
    table = tables.medians_frame(real.assign(layer=layer), ["layer", "dataset.d", "variant"])
    native = real.groupby(["dataset.d"])["stats.r"].agg(["min", "max"])
    better = int((real["skill"] > 0).sum())
    scale = ", ".join(
        f"{row['min']:.3g} to {row['max']:.3g} at d = {d}" for d, row in native.iterrows()
    )
    return [
        Paragraph(
            "The per-layer Q, K, V of all-MiniLM-L6-v2 on a shipped paragraph (one head, "
            "d = 32, and all heads side by side, d = 384), at the model's own logit scale: "
            f"max |QK^T| {scale}. Here d is not >> n. {better} of {len(real)} cells "
            f"({better / len(real):.0%}) beat the m = 0 reducer; the exact svd needs "
            "m = rank [Q; K], which is d."
        ),
        ctx.table(
            "minilm_attention",
            table,
            "Real MiniLM attention: medians per layer, width d and reducer variant",
        ),
    ]


@section("Failures", 50)
def failures_section(ctx):
    frame = tables.failures_frame(ctx.all_cells)
    if frame.empty:
        return []
    return [ctx.table("failures", frame, "Cells that failed or timed out (last line of the error)")]


def run_bullets(info):
    """The run's identity and machine fingerprint (a stored run row), one line each."""
    fp = info.get("fingerprint", {})
    versions = ", ".join(f"{k} {v}" for k, v in sorted((fp.get("versions") or {}).items()) if v)
    blas = "; ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads)"
        for b in fp.get("blas") or []
    )
    run = f"run {info.get('id')} '{info.get('name')}', status {info.get('status')}"
    machine = f"{fp.get('cpu')}, {fp.get('cores')} cores, {_gib(fp.get('memory_bytes'))}"
    dirty = " (uncommitted changes)" if fp.get("git_dirty") else ""
    settings = ", ".join(f"{k}={v}" for k, v in sorted(info.get("settings", {}).items()))
    plugins = ", ".join(info["facts"].plugins) or "none"
    return Bullets(
        (
            f"{run}, executor {info.get('executor')}, root seed {info.get('root_seed')}",
            f"started {_when(info.get('started'))}, finished {_when(info.get('finished'))}",
            f"machine: {machine}, {fp.get('os')}",
            f"Python {fp.get('python')}; {versions}",
            f"BLAS: {blas or 'unknown'}",
            f"commit {fp.get('git_commit')}{dirty}",
            f"settings: {settings}",
            f"plug-in files: {plugins}",
        )
    )


@section("Run", 90)
def run_section(ctx):
    return [
        run_bullets(ctx.info),
        ctx.table(
            "reducers",
            tables.reducers_frame(ctx.facts.reducers),
            "The reducers as the run saw them (stored with it): family, cost model, defaults",
        ),
        ctx.table(
            "cells",
            tables.export_frame(ctx.all_cells),
            "Every cell of the run",
            formats=("csv",),
            inline=False,
        ),
        *_configuration(ctx.info.get("config", ""), ctx.facts),
    ]


def _configuration(text, facts):
    if text.strip():
        return [
            Paragraph("The configuration, as stored with the run (rerun it with attnbench run):"),
            Code(text),
        ]
    return [
        Paragraph(
            "The run was built by a command, not from a TOML file; its plan as stored "
            "(rerun it with attnbench rerun):"
        ),
        Code(json.dumps(facts.plan, indent=2), language="json"),
    ]


def _when(stamp):
    if stamp is None:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _gib(value):
    return f"{value / 2**30:.0f} GiB" if value else "memory unknown"


# --- the report ---------------------------------------------------------------------------


def purpose(config_text):
    """The run's purpose: the ``description`` of the preset or config it ran (stored with
    the run), or '' when it has none."""
    try:
        return str(tomllib.loads(config_text or "").get("description", "")).strip()
    except tomllib.TOMLDecodeError:
        return ""


def _header(ctx):
    info, fp = ctx.info, ctx.info.get("fingerprint", {})
    what = purpose(info.get("config"))
    counts = ctx.all_cells["status"].value_counts()
    status = ", ".join(f"{counts[k]} {k}" for k in ("ok", "failed", "timeout") if k in counts)
    commit = (fp.get("git_commit") or "unknown")[:12]
    dirty = " with uncommitted changes" if fp.get("git_dirty") else ""
    return (
        (f"{what} " if what else "")
        + f"Run {info.get('id')} of '{info.get('name')}': {len(ctx.all_cells)} cells ({status}), "
        f"started {_when(info.get('started'))} on {fp.get('cpu')} ({fp.get('cores')} cores), "
        f"attnbench commit {commit}{dirty}, {info.get('settings', {}).get('threads')} BLAS "
        "thread(s) per cell."
    )


def build_report(cells, info, out):
    """Write the report of a run's ``cells`` (a store frame) and ``info`` (its run row)
    under ``out``; return the path of index.html."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = ReportContext(cells, info, out)
    doc = Document(
        f"attnbench report: run {info.get('id')} ({info.get('name')})",
        _header(ctx),
        alert=_withheld(ctx),
    )
    for s in SECTIONS:
        blocks = [b for b in s.build(ctx) or [] if b is not None]
        if blocks:
            doc.add(s.title, blocks)
    (out / "REPORT.md").write_text(render_markdown(doc))
    (out / "index.html").write_text(render_html(doc))
    return out / "index.html"


def report(store, run="latest", out=None):
    """Write the report of a stored run (an id or 'latest'); return the folder.

    ``out`` defaults to reports/run-ID.
    """
    info, cells = read_run(store, run)
    out = Path(out) if out else Path("reports") / f"run-{info['id']}"
    build_report(cells, info, out)
    return out
