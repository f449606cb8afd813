"""How a report is put together: the section registry, the context every section reads,
and the writer.

    OUT/index.html  one page with no network access: inline CSS, no scripts, images by
                    relative path; every text from the run is HTML-escaped
    OUT/REPORT.md   the same content, for a repository
    OUT/figures/    one PNG and one SVG per figure (matplotlib, Agg)
    OUT/tables/     one Markdown, LaTeX and CSV file per table (the CSV keeps the store's
                    full precision; Markdown, LaTeX and HTML show 4 significant digits)

A report is a list of sections.  A section is a function of the :class:`ReportContext`
that returns blocks (:mod:`attnbench.report.render`), registered in order with
``@section(title, order)``; an empty list leaves the section out.  Adding a section is
adding one function (in :mod:`.sections`, :mod:`.sections_beyond` or
:mod:`.sections_payoff`).  Tables are shaped in :mod:`attnbench.report.tables`, figures
drawn in :mod:`attnbench.report.figures`; everything a section knows about the run comes
from the store.  The compare report (:mod:`attnbench.compare.report`) writes with the
same context and run description.
"""

from __future__ import annotations

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
from attnbench.numbers import count, nbytes
from attnbench.paper import time_cells
from attnbench.report import figures, tables
from attnbench.report.render import (
    Bullets,
    Document,
    Figure,
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



def withheld_text(ctx):
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





def run_bullets(info):
    """The run's identity and machine fingerprint (a stored run row), one line each."""
    fp = info.get("fingerprint", {})
    versions = ", ".join(f"{k} {v}" for k, v in sorted((fp.get("versions") or {}).items()) if v)
    blas = "; ".join(
        f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads)"
        for b in fp.get("blas") or []
    )
    run = f"run {info.get('id')} '{info.get('name')}', status {info.get('status')}"
    machine = f"{fp.get('cpu')}, {fp.get('cores')} cores, {_memory(fp.get('memory_bytes'))}"
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



def _when(stamp):
    if stamp is None:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _memory(value):
    return nbytes(value) if value else "memory unknown"



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
    status = ", ".join(f"{count(counts[k])} {k}" for k in ("ok", "failed", "timeout") if k in counts)
    commit = (fp.get("git_commit") or "unknown")[:12]
    dirty = " with uncommitted changes" if fp.get("git_dirty") else ""
    return (
        (f"{what} " if what else "")
        + f"Run {info.get('id')} of '{info.get('name')}': {count(len(ctx.all_cells))} cells ({status}), "
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
        alert=withheld_text(ctx),
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
