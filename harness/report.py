"""``attnbench report``: a self-contained report folder from a stored run.

    OUT/index.html  one page with no network access: inline CSS, no scripts, images by
                    relative path; every text from the run is HTML-escaped
    OUT/REPORT.md   the same content, for a repository
    OUT/figures/    one PNG and one SVG per figure (matplotlib, Agg)
    OUT/tables/     one Markdown, LaTeX and CSV file per table (the CSV keeps the store's
                    full precision; Markdown, LaTeX and HTML show 4 significant digits)

A report is a list of sections.  A section is a function of the :class:`ReportContext`
that returns blocks (:class:`Paragraph`, :class:`Bullets`, :class:`Table`,
:class:`Figure`, :class:`Code`), registered in order with ``@section(title, order)``; an
empty list leaves the section out.  Adding a section is adding one function.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from attnbench import claims as paper_claims
from attnbench import figures
from attnbench.fits import analyse, zipped_axes
from attnbench.metrics import METRICS
from attnbench.store import read_run

TABLE_FORMATS = ("md", "tex", "csv")


# --- blocks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Table:
    """A table written to tables/NAME.{md,tex,csv}; shown inline unless ``inline`` is False
    (then only linked)."""

    name: str
    caption: str
    display: pd.DataFrame  # strings, as shown
    numeric: tuple  # names of the columns that hold numbers (right-aligned)
    formats: tuple = TABLE_FORMATS
    inline: bool = True


@dataclass(frozen=True)
class Figure:
    name: str
    caption: str


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


# --- tables -------------------------------------------------------------------------------


def format_value(value):
    """A cell as shown: 4 significant digits, integers whole, missing values empty."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}"
    if value is None or value is pd.NA:
        return ""
    return str(value)


def display_frame(frame):
    return frame.apply(lambda column: column.map(format_value)).astype(str)


def markdown_table(display):
    """A GitHub-flavoured Markdown table; cells escaped (HTML entities, '|', newlines)."""

    def cell(value):
        return html.escape(value, quote=False).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(c) for c in display.columns) + " |",
        "| " + " | ".join("---" for _ in display.columns) + " |",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in display.to_numpy()]
    return "\n".join(lines)


def html_table(display, numeric=()):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in display.columns)
    body = []
    for row in display.to_numpy():
        cells = "".join(
            f'<td class="num">{html.escape(v)}</td>'
            if c in numeric
            else f"<td>{html.escape(v)}</td>"
            for c, v in zip(display.columns, row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def write_table(frame, folder, name, caption="", formats=TABLE_FORMATS, inline=True):
    """Write tables/NAME.{md,tex,csv} under ``folder``; return the Table block."""
    folder = Path(folder) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    display = display_frame(frame)
    if "csv" in formats:
        frame.to_csv(folder / f"{name}.csv", index=False)
    if "md" in formats:
        (folder / f"{name}.md").write_text(markdown_table(display) + "\n")
    if "tex" in formats:
        (folder / f"{name}.tex").write_text(
            display.to_latex(index=False, escape=True, caption=caption or None, label=f"tab:{name}")
        )
    numeric = tuple(c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]))
    return Table(name, caption, display, numeric, tuple(formats), inline)


# --- the run's cells ----------------------------------------------------------------------


def param_text(value):
    """A parameter value as configured: 64.0 (a float column's 64) shows as 64."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def prepare_cells(cells):
    """The cells frame with ``variant``: the reducer and its configured parameters,
    e.g. ``gaussian(n_components=64)``."""
    params = sorted(c for c in cells if c.startswith("param."))

    def variant(row):
        given = [
            f"{p.removeprefix('param.')}={param_text(row[p])}"
            for p in params
            if not (isinstance(row[p], float) and math.isnan(row[p])) and row[p] is not None
        ]
        return f"{row['reducer']}({', '.join(given)})" if given else row["reducer"]

    out = cells.copy()
    out["variant"] = [variant(row) for _, row in cells.iterrows()] if len(cells) else []
    return out


class ReportContext:
    """What sections read (the run's cells and info, the fits) and how they write files."""

    def __init__(self, cells, info, out):
        self.all_cells = prepare_cells(cells)
        ok = self.all_cells[self.all_cells["status"] == "ok"]
        # Asymmetric-attention cells (Q != K) have their own section: the paper's claims,
        # fits and figures are about A(X) = D^-1 exp(XX^T).
        asymmetric = ok.get("setting.attention", pd.Series("symmetric", ok.index)) == "asymmetric"
        self.cells = ok[~asymmetric]
        self.asymmetric_cells = ok[asymmetric]
        self.info = info
        self.out = Path(out)

    @cached_property
    def fits(self):
        return analyse(self.cells, zipped_axes(self.info.get("config", "")))

    def table(self, name, frame, caption, **kwargs):
        return write_table(frame, self.out, name, caption, **kwargs)

    def figure(self, name, fig, caption):
        """Save a matplotlib figure (None: nothing to draw) and return its block."""
        if fig is None:
            return None
        figures.save(fig, self.out / "figures", name)
        return Figure(name, caption)


# --- sections -----------------------------------------------------------------------------


@section("Claims of the paper", 10)
def claims_section(ctx):
    table = paper_claims.check_claims(ctx.cells, ctx.fits)
    blocks = [
        Paragraph(
            "Each claim of Deng, Mahadevan and Song (arXiv 2304.04397) in turn: what it "
            "states, what this run measured, and whether the measurements refute it. The "
            "trivial m = 0 reducer (zero) and the exact reducer (svd) are judged by the same "
            "rule. Rules: time, the measured log-log slope along each swept axis (bootstrap "
            f"95% interval) is not above the bound's slope + {paper_claims.SLOPE_SLACK} "
            "(Õ hides log factors), judged at ω = 3 (dense BLAS) with ω = 2.373 shown; size, "
            "m / bound does not grow along n; error, attn_err_inf ≤ r in the paper's regime "
            "r < 0.1 (with probability 1 − δ for the randomized claim, Clopper-Pearson 95% "
            "interval; always for the deterministic one)."
        )
    ]
    for claim in paper_claims.CLAIMS:
        rows = table[table["claim"] == claim.key]
        present = claim.reducer in set(ctx.all_cells["reducer"])
        blocks.append(Paragraph(claim.statement))
        if not present:
            blocks.append(
                Paragraph(
                    f"The paper's {claim.key} algorithm ({claim.reducer}) is not in this run, "
                    "so the claim is checked only on the reference reducers."
                )
            )
        blocks.append(Paragraph("Verdicts: " + paper_claims.summarise(table, claim)))
        blocks.append(
            ctx.table(
                f"claims_{claim.key}",
                rows.drop(columns="claim"),
                f"{claim.theorem}: measured against claimed, per reducer",
            )
        )
    return blocks


def summary_frame(cells):
    """Medians per (dataset family, reducer variant) over a run's ok cells."""
    return (
        cells.groupby(["dataset.family", "variant"], sort=True)
        .agg(
            cells=("key", "size"),
            m=("m", "median"),
            time_s=("time_median", "median"),
            err_over_r=("attn_err_over_r", "median"),
            err_over_r_max=("attn_err_over_r", "max"),
            skill=("skill", "median"),
            spectral_eps=("spectral_eps", "median"),
            output_err=("output_err", "median"),
        )
        .reset_index()
        .rename(columns={"dataset.family": "family", "variant": "reducer"})
    )


@section("Accuracy", 20)
def accuracy_section(ctx):
    if ctx.cells.empty:
        return [Paragraph("No cell finished ok: there is nothing to show.")]
    metrics = ", ".join(
        f"{name} ({METRICS[name].description})" for name in ("attn_err_over_r", "skill")
    )
    return [
        Paragraph(f"Metrics: {metrics}."),
        ctx.figure(
            "error_vs_r",
            figures.error_vs_r(ctx.cells),
            "Error over r against r, per reducer; the dashed black line is the m = 0 "
            "reducer, the shaded band the paper's regime r < 0.1.",
        ),
        ctx.figure(
            "error_vs_m",
            figures.error_vs_m(ctx.cells),
            "Error over r against m (the columns kept), per dataset family and r.",
        ),
        ctx.figure(
            "skill_heatmap",
            figures.skill_heatmap(ctx.cells),
            "Median skill per reducer and dataset family (blue: better than m = 0).",
        ),
        ctx.table(
            "summary",
            summary_frame(ctx.cells),
            "Medians over each family's cells (time in seconds, median of repeats)",
        ),
    ]


@section("Speed against accuracy", 30)
def pareto_section(ctx):
    if ctx.cells.empty:
        return []
    return [
        ctx.figure(
            "time_vs_error",
            figures.time_vs_error(ctx.cells),
            "Median time against error over r, one point per reducer variant, per dataset; "
            "the black step line is the Pareto front.",
        )
    ]


def _slopes_display(fits):
    """One row per reducer and axis: measured slope [interval] next to each model's
    fitted slope (asymptotic slope in brackets; '*' when inside the interval)."""
    rows = []
    for s in fits.slopes.itertuples():
        row = {
            "reducer": s.reducer,
            "axis": s.axis,
            "cells": s.cells,
            "measured slope [95% CI]": f"{s.slope:.2f} [{s.ci_low:.2f}, {s.ci_high:.2f}]",
        }
        preds = fits.predictions[
            (fits.predictions["reducer"] == s.reducer) & (fits.predictions["axis"] == s.axis)
        ]
        for p in preds.itertuples():
            mark = "*" if p.inside_ci else ""
            row[p.label] = (
                f"{p.fitted_slope:.2f}{mark} ({p.asymptotic_slope:.2f})"
                if np.isfinite(p.fitted_slope)
                else f"n/a ({p.asymptotic_slope:.2f})"
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.fillna("") if len(frame) else frame


@section("Runtime scaling and cost-model fits", 40)
def scaling_section(ctx):
    if ctx.cells.empty:
        return []
    fits = ctx.fits
    blocks = [
        Paragraph(
            "Free log-log slope of the median time along each swept axis (one intercept per "
            "line of cells that share every other coordinate), with a bootstrap 95% interval "
            "over cells and repeats; next to it, each cost model's slope with its fitted "
            "constants and, in brackets, its asymptotic slope (steepest term). Models are "
            "fitted by non-negative least squares on relative error, with a per-call "
            "overhead; R² is on log time."
        )
    ]
    if fits.slopes.empty:
        blocks.append(
            Paragraph(
                "This run sweeps no axis (a sweep needs at least 3 values of n, d or the "
                "density with the rest fixed), so no slope is measured; run the scaling "
                "preset for the fits."
            )
        )
    for axis in ("d", "n", "nnz"):
        blocks.append(
            ctx.figure(
                f"runtime_vs_{axis}",
                figures.runtime_scaling(ctx.cells, fits.sweeps, fits.predictions, axis),
                f"Median time against {figures.AXIS_NAMES[axis]} (bars: IQR of repeats); "
                "guide lines have each cost model's asymptotic slope.",
            )
        )
    if not fits.slopes.empty:
        blocks.append(
            ctx.table(
                "fit_slopes",
                _slopes_display(fits),
                "Measured slope against each model's fitted slope ('*' inside the interval) "
                "and asymptotic slope (in brackets)",
            )
        )
        blocks.append(
            ctx.table(
                "fit_slopes_long",
                fits.predictions.merge(fits.slopes, on=["reducer", "axis"]),
                "Every slope, one row per model",
                formats=("csv",),
                inline=False,
            )
        )
    blocks.append(
        ctx.table(
            "fit_verdict",
            fits.verdict,
            "Per reducer: the model that explains the measurements best (most slopes inside "
            "their intervals, then R²) and how the paper's two models do",
        )
    )
    blocks.append(
        ctx.table(
            "fit_models",
            fits.models.drop(columns=["model", "omega", "formula"]).rename(
                columns={"label": "model"}
            ),
            "Whole-model fits: constants, per-call overhead (s) and R² on log time",
        )
    )
    return blocks


OR_SLACK = 2.0  # "still O(r)": err/r at most this times its median in the paper's regime


def large_logit_frame(cells):
    """Per (family, reducer variant): err/r in the paper's regime (r < 0.1, median), the
    first r where err/r exceeds OR_SLACK times that (the error stops being O(r)), and
    the first r where the median skill is <= 0 (no better than the m = 0 reducer)."""
    rows = []
    for (family, variant), part in cells.groupby(["dataset.family", "variant"], sort=True):
        by_r = part.groupby("dataset.r").agg(
            err=("attn_err_over_r", "median"), skill=("skill", "median"), m=("m", "median")
        )
        paper = by_r[by_r.index < 0.1]
        if paper.empty or len(by_r) < 2:
            continue
        base = float(paper["err"].median())
        not_linear = by_r.index[(by_r["err"] > OR_SLACK * base) & (by_r.index >= 0.1)]
        no_skill = by_r.index[by_r["skill"] <= 0]
        rows.append(
            {
                "family": family,
                "reducer": variant,
                "m": float(by_r["m"].median()),
                "err/r (r<0.1)": base,
                "err/r (r max)": float(by_r["err"].iloc[-1]),
                "r max": float(by_r.index[-1]),
                "O(r) until": f"< {not_linear[0]:g}"
                if len(not_linear)
                else f">= {by_r.index[-1]:g}",
                "beats zero until": (
                    "(reference)"
                    if variant == "zero"
                    else f"< {no_skill[0]:g}"
                    if len(no_skill)
                    else f">= {by_r.index[-1]:g}"
                ),
            }
        )
    return pd.DataFrame(rows)


def _medians(cells, by):
    columns = {
        "m": ("m", "median"),
        "skill": ("skill", "median"),
        "output_err": ("output_err", "median"),
        "attn_err_inf": ("attn_err_inf", "median"),
    }
    if "logit_err_frob" in cells:
        columns["logit_err_frob"] = ("logit_err_frob", "median")
    return cells.groupby(by, sort=True).agg(cells=("key", "size"), **columns).reset_index()


@section("Beyond the paper", 45)
def beyond_section(ctx):
    blocks = []
    sweep = ctx.cells[
        ctx.cells["dataset.r"].groupby(ctx.cells["experiment"]).transform("nunique") >= 4
    ]
    large = large_logit_frame(sweep) if not sweep.empty else pd.DataFrame()
    if not large.empty:
        holds = large["beats zero until"].str.startswith(">=").sum()
        judged = (large["beats zero until"] != "(reference)").sum()
        blocks += [
            Paragraph(
                "Large logits. The paper assumes r < 0.1; real logits reach 10 and more. Per "
                "reducer and family: err/r in the paper's regime, the first r at which err/r "
                f"exceeds {OR_SLACK:g} times that (the error stops being O(r)), and the first "
                "r at which the median skill is <= 0 (no better than the m = 0 reducer). "
                f"{holds} of {judged} reducer-family pairs beat m = 0 up to the largest r "
                "swept."
            ),
            ctx.table(
                "large_logits",
                large,
                "Where the error stops being O(r), and where it stops beating the m = 0 reducer",
            ),
        ]
    asym = ctx.asymmetric_cells
    if asym.empty:
        return blocks or [Paragraph("This run has no asymmetric-attention cells.")]
    synthetic = asym[~asym["dataset.family"].str.startswith("minilm")]
    real = asym[asym["dataset.family"].str.startswith("minilm")]
    if not synthetic.empty:
        table = _medians(synthetic, ["dataset.family", "dataset.r", "variant"])
        beats = table[table["skill"] > 0].groupby("dataset.r")["variant"].nunique()
        blocks += [
            Paragraph(
                "Asymmetric attention: A(Q, K) = D^-1 exp(QK^T) with Q != K, one reducer fitted "
                "on [Q; K] and applied to both. What carries over from a spectral bound on "
                "[Q; K] is approximate matrix multiplication: logit_err_frob = "
                "||Q'K'^T - QK^T||_F / (||Q||_F ||K||_F). output_err is the relative error "
                "of A V, the quantity a model uses. Variants with median skill > 0, per r: "
                + ", ".join(f"r={r:g}: {n}" for r, n in beats.items())
                + "."
            ),
            ctx.figure(
                "asymmetric_error_vs_r",
                figures.error_vs_r(synthetic),
                "Asymmetric attention: error over r against r, per reducer.",
            ),
            ctx.table(
                "asymmetric",
                table,
                "Asymmetric attention: medians per family, r and reducer variant",
            ),
        ]
    if not real.empty:
        layer = real["dataset.params"].map(lambda p: str(p.get("layer", "")))
        table = _medians(real.assign(layer=layer), ["layer", "dataset.d", "variant"])
        native = real.groupby(["dataset.d"])["stats.r"].agg(["min", "max"])
        better = real[real["skill"] > 0]
        share = len(better) / len(real)
        blocks += [
            Paragraph(
                "Real attention: the per-layer Q, K, V of all-MiniLM-L6-v2 on a shipped "
                "paragraph (one head, d = 32, and all heads side by side, d = 384), at the "
                "model's own logit scale: max |QK^T| "
                + ", ".join(
                    f"{row['min']:.3g} to {row['max']:.3g} at d = {d}"
                    for d, row in native.iterrows()
                )
                + f". Here d is not >> n. {len(better)} of {len(real)} cells ({share:.0%}) "
                "beat the m = 0 reducer; the exact svd needs m = rank [Q; K], which is d."
            ),
            ctx.table(
                "minilm_attention",
                table,
                "Real MiniLM attention: medians per layer, width d and reducer variant",
            ),
        ]
    return blocks


@section("Failures", 50)
def failures_section(ctx):
    bad = ctx.all_cells[ctx.all_cells["status"] != "ok"]
    if bad.empty:
        return []
    frame = pd.DataFrame(
        {
            "reducer": bad["variant"],
            "family": bad["dataset.family"],
            "status": bad["status"],
            "error": [
                (e or "").strip().splitlines()[-1] if isinstance(e, str) and e.strip() else ""
                for e in bad["error"]
            ],
        }
    )
    return [ctx.table("failures", frame, "Cells that failed or timed out (last line of the error)")]


@section("Run", 90)
def run_section(ctx):
    info, fp = ctx.info, ctx.info.get("fingerprint", {})
    versions = ", ".join(f"{k} {v}" for k, v in sorted((fp.get("versions") or {}).items()) if v)
    blas = "; ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads)"
        for b in fp.get("blas") or []
    )
    cells = ctx.all_cells
    export = cells.assign(times=cells["times"].map(lambda t: " ".join(map(repr, t))))
    run = f"run {info.get('id')} '{info.get('name')}', status {info.get('status')}"
    machine = f"{fp.get('cpu')}, {fp.get('cores')} cores, {_gib(fp.get('memory_bytes'))}"
    dirty = " (uncommitted changes)" if fp.get("git_dirty") else ""
    settings = ", ".join(f"{k}={v}" for k, v in sorted(info.get("settings", {}).items()))
    return [
        Bullets(
            (
                f"{run}, executor {info.get('executor')}, root seed {info.get('root_seed')}",
                f"started {_when(info.get('started'))}, finished {_when(info.get('finished'))}",
                f"machine: {machine}, {fp.get('os')}",
                f"Python {fp.get('python')}; {versions}",
                f"BLAS: {blas or 'unknown'}",
                f"commit {fp.get('git_commit')}{dirty}",
                f"settings: {settings}",
            )
        ),
        ctx.table("cells", export, "Every cell of the run", formats=("csv",), inline=False),
        Paragraph("The configuration, as stored with the run (rerun it with attnbench run):"),
        Code(info.get("config", "")),
    ]


def _when(stamp):
    if stamp is None:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _gib(value):
    return f"{value / 2**30:.0f} GiB" if value else "memory unknown"


# --- rendering ----------------------------------------------------------------------------


@dataclass
class Rendered:
    title: str
    header: str
    sections: list = field(default_factory=list)  # (title, anchor, blocks)


def _anchor(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _md_text(text):
    return html.escape(text, quote=False)


def _md_block(block):
    if isinstance(block, Paragraph):
        return _md_text(block.text)
    if isinstance(block, Bullets):
        return "\n".join(f"- {_md_text(item)}" for item in block.items)
    if isinstance(block, Code):
        fence = "~~~~"
        return f"{fence}toml\n{block.text.rstrip()}\n{fence}"
    if isinstance(block, Figure):
        return (
            f"![{_md_text(block.caption)}](figures/{block.name}.png)\n\n"
            f"*{_md_text(block.caption)}* ([SVG](figures/{block.name}.svg))"
        )
    links = ", ".join(f"[{fmt}](tables/{block.name}.{fmt})" for fmt in block.formats)
    caption = f"*{_md_text(block.caption)}* ({links})"
    if not block.inline:
        return caption
    return f"{caption}\n\n{markdown_table(block.display)}"


def _html_block(block):
    if isinstance(block, Paragraph):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Code):
        return f"<pre>{html.escape(block.text)}</pre>"
    if isinstance(block, Figure):
        caption = html.escape(block.caption)
        return (
            f'<figure><img src="figures/{block.name}.png" alt="{caption}">'
            f'<figcaption>{caption} (<a href="figures/{block.name}.svg">SVG</a>)</figcaption>'
            "</figure>"
        )
    links = ", ".join(f'<a href="tables/{block.name}.{fmt}">{fmt}</a>' for fmt in block.formats)
    caption = f'<p class="caption">{html.escape(block.caption)} ({links})</p>'
    if not block.inline:
        return caption
    return f'{caption}<div class="scroll">{html_table(block.display, block.numeric)}</div>'


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1200px;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1.5em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}figure{margin:1em 0}img{max-width:100%;height:auto}
figcaption,.caption{font-size:.9em;color:#444}pre{background:#f6f6f6;padding:1em;overflow-x:auto}
nav ul{columns:2}
"""


def render_markdown(doc):
    parts = [f"# {_md_text(doc.title)}", _md_text(doc.header)]
    parts.append("\n".join(f"- [{_md_text(t)}](#{a})" for t, a, _ in doc.sections))
    for title, _, blocks in doc.sections:
        parts.append(f"## {_md_text(title)}")
        parts += [_md_block(b) for b in blocks]
    return "\n\n".join(parts) + "\n"


def render_html(doc):
    nav = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for t, a, _ in doc.sections)
    body = [f"<h1>{html.escape(doc.title)}</h1>", f"<p>{html.escape(doc.header)}</p>"]
    body.append(f"<nav><ul>{nav}</ul></nav>")
    for title, anchor, blocks in doc.sections:
        body.append(f'<section id="{anchor}"><h2>{html.escape(title)}</h2>')
        body += [_html_block(b) for b in blocks]
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(doc.title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _header(ctx):
    info, fp = ctx.info, ctx.info.get("fingerprint", {})
    counts = ctx.all_cells["status"].value_counts()
    status = ", ".join(f"{counts[k]} {k}" for k in ("ok", "failed", "timeout") if k in counts)
    commit = (fp.get("git_commit") or "unknown")[:12]
    dirty = " with uncommitted changes" if fp.get("git_dirty") else ""
    return (
        f"Run {info.get('id')} of '{info.get('name')}': {len(ctx.all_cells)} cells ({status}), "
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
    doc = Rendered(f"attnbench report: run {info.get('id')} ({info.get('name')})", _header(ctx))
    for s in SECTIONS:
        blocks = [b for b in s.build(ctx) or [] if b is not None]
        if blocks:
            doc.sections.append((s.title, _anchor(s.title), blocks))
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
