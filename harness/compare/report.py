"""The report of ``attnbench compare``: a self-contained folder like the main report's.

    OUT/index.html  one page, no scripts, no network (attnbench.report.render)
    OUT/REPORT.md   the same content
    OUT/figures/    the candidate highlighted (black stars) on the time-error plot against
                    the baselines' Pareto front, and on the error-vs-m plot, per dataset
                    family and r (attnbench.report.figures), PNG + SVG
    OUT/tables/     verdict.{md,tex} as shown, verdict.csv (every number, full
                    precision), pairs.csv (one row per candidate cell and baseline),
                    cells.csv (every cell of the comparison's runs)

Findings come first, in sentences with numbers; then the verdict table, the figures, and
how the comparison was run: the exact command, the reruns, the machine fingerprint.
"""

from __future__ import annotations

from pathlib import Path

from attnbench.compare.stats import MIN_SEEDS, TIE, ratio_text, verdict_display
from attnbench.intervals import LEVEL
from attnbench.numbers import count, given, percent
from attnbench.report import figures, tables
from attnbench.report.context import ReportContext, run_bullets
from attnbench.report.render import Code, Document, Paragraph, render_html, render_markdown

_METHOD = (
    "Ratios are candidate / baseline on the same datasets (the same X), so below 1 favours "
    "the candidate. Error ratio at equal m: the baseline's error at the candidate's "
    "n_components (its m where it has none), measured, or interpolated log-log between the "
    "baseline's sizes. m and time ratios at equal error: the baseline's m and time at the "
    "candidate's error, interpolated log-log along its Pareto fronts; where the candidate's "
    "error lies beyond a front, the ratio is against the front's end and marked as a bound "
    "(≥: less accurate than the baseline's fastest variant, which is then the comparison; "
    "≤: more accurate than every variant; 'bounds both ways' when both occur and no pair "
    "lies inside the front). Each ratio is a geometric mean with a Student-t "
    f"{percent(LEVEL)} interval over seeds (one unit per dataset seed); better/worse, "
    "smaller/larger and faster/slower when the interval excludes 1, judged with at least "
    f"{MIN_SEEDS} seeds. Wins and losses count error ratios below / above 1 ± {given(TIE)}. "
    "Errors are attn_err_inf / r, floored at the round-off level "
    f"{given(tables.ERR_FLOOR)}."
)


def _sentence(row):
    error = ratio_text(row.error_ratio, row.error_ci_low, row.error_ci_high)
    m = ratio_text(row.m_ratio, row.m_ci_low, row.m_ci_high, row.m_kind)
    time = ratio_text(row.time_ratio, row.time_ci_low, row.time_ci_high, row.time_kind)
    text = (
        f"Against {row.baseline}: error ratio at equal m {error} ({row.accuracy}; "
        f"{row.wins} wins, {row.losses} losses, {row.ties} ties); at equal error, m ratio "
        f"{m} ({row.size}) and time ratio {time} ({row.speed})."
    )
    return f"{text} Notes: {row.note}." if row.note else text


def _span(m):
    if m.empty:
        return "no cell finished ok"
    low, high = m.min(), m.max()
    return f"m = {count(low)}" if low == high else f"m = {count(low)} to {count(high)}"


def findings(comparison):
    """Paragraphs: what ran, then one sentence per baseline over all families."""
    mine = comparison.cells[comparison.cells["reducer"] == comparison.candidate]
    ok = mine[mine["status"] == "ok"]
    families = ", ".join(sorted(mine["dataset.family"].unique()))
    seeds = comparison.info.get("settings", {}).get("replicates")
    m = _span(ok["m"])
    runs = " and ".join(str(r) for r in comparison.run_ids)
    intro = (
        f"{comparison.candidate} ({m}) against {len(comparison.baselines)} baseline(s) on "
        f"{mine['dataset_key'].nunique()} datasets ({families}; {seeds} seeds each), "
        f"{len(comparison.cells)} cells in run(s) {runs}; {len(ok)} of the candidate's "
        f"{len(mine)} cells finished ok."
    )
    overall = comparison.verdict[comparison.verdict["family"] == "all"]
    return [Paragraph(intro), *(Paragraph(_sentence(row)) for row in overall.itertuples())]


def _verdict_blocks(ctx, comparison):
    caption = f"{comparison.candidate} / baseline per dataset family and over all"
    return [
        Paragraph(_METHOD),
        ctx.table("verdict", verdict_display(comparison.verdict), caption, ("md", "tex")),
        ctx.table(
            "verdict",
            comparison.verdict,
            "The verdict's numbers at full precision",
            formats=("csv",),
            inline=False,
        ),
        ctx.table(
            "pairs",
            comparison.pairs,
            "One row per candidate cell and baseline: the ratios and how each was obtained",
            formats=("csv",),
            inline=False,
        ),
    ]


def _figure_blocks(ctx, candidate):
    return [
        ctx.figure(
            "time_vs_error",
            figures.time_vs_error(ctx.cells, highlight=candidate),
            f"Median time against error over r per dataset; {candidate} as black stars, the "
            "grey step line the baselines' Pareto front (a star below it beats them there).",
        ),
        ctx.figure(
            "error_vs_m",
            figures.error_vs_m(ctx.cells, highlight=candidate),
            f"Error over r against m per family and r; {candidate} as black stars, the "
            "dashed line the m = 0 reducer.",
        ),
    ]


def _run_blocks(ctx, comparison):
    reruns = [
        f"{experiment}: {baseline} at n_components = {', '.join(map(str, rerun.sizes))}"
        for experiment, by_baseline in comparison.reruns.items()
        for baseline, rerun in by_baseline.items()
    ]
    rerun_text = (
        "Baselines rerun (run " + str(comparison.run_ids[-1]) + "): " + "; ".join(reruns) + "."
        if reruns
        else "No baseline needed a rerun: the first run held every size compared."
    )
    return [
        Paragraph("The command (run it again to reproduce this comparison):"),
        Code(comparison.command, language="bash"),
        Paragraph(rerun_text),
        Paragraph("The first run and the machine it ran on, as stored:"),
        run_bullets(comparison.info),
        ctx.table(
            "cells",
            tables.export_frame(ctx.all_cells),
            "Every cell of the comparison's runs",
            formats=("csv",),
            inline=False,
        ),
    ]


def write_comparison(comparison, out):
    """Write the comparison's report folder under ``out``; return the folder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = ReportContext(comparison.cells, comparison.info, out)
    fp = comparison.info.get("fingerprint", {})
    header = (
        f"{comparison.candidate} against {', '.join(comparison.baselines)}: runs "
        f"{' and '.join(map(str, comparison.run_ids))}, on {fp.get('cpu')} "
        f"({fp.get('cores')} cores), attnbench commit {(fp.get('git_commit') or 'unknown')[:12]}."
    )
    doc = Document(f"attnbench compare: {comparison.candidate}", header)
    doc.add("Findings", findings(comparison))
    doc.add("Verdict", _verdict_blocks(ctx, comparison))
    shown = [b for b in _figure_blocks(ctx, comparison.candidate) if b is not None]
    if shown:
        doc.add("The candidate among the baselines", shown)
    doc.add("How it was run", _run_blocks(ctx, comparison))
    (out / "REPORT.md").write_text(render_markdown(doc))
    (out / "index.html").write_text(render_html(doc))
    return out
