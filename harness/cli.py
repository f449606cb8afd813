"""The ``attnbench`` command line (click; tables and progress bars from rich).

Every table goes through :class:`Output`: rich text that is never cut (full width when
stdout is not a terminal, long cells folded onto more lines in one), or Markdown or CSV
with ``--format``.  A failed or timed-out cell is a result: the command that ran it
lists it and exits 0.
"""

from __future__ import annotations

import shlex
import sqlite3
import sys
import time

import click
import numpy as np
import pandas as pd
from click.core import ParameterSource
from rich.console import Console
from rich.table import Table
from rich.text import Text

from attnbench import algorithms, api
from attnbench.datasets import list_families
from attnbench.intervals import LEVEL
from attnbench.metrics import METRICS, AttentionReference, evaluate
from attnbench.numbers import count, given, percent
from attnbench.store import DEFAULT_STORE, StoreError
from attnbench.sweep.config import ConfigError, list_presets
from attnbench.sweep.executors import EXECUTORS, ExecutorError

FORMATS = ("table", "md", "csv")
PIPED_WIDTH = 10_000  # columns of a console that is not a terminal: tables at full width


class Output:
    """Lines and tables on stdout as rich text, Markdown or CSV (``fmt``).

    CSV prints each table as a block after a ``# title`` line, and other lines as
    ``# `` comments, so a CSV reader that skips comments sees only the tables.
    """

    def __init__(self, fmt="table"):
        self.fmt = fmt
        self.console = Console()
        if not self.console.is_terminal:
            self.console = Console(width=PIPED_WIDTH)

    def line(self, text):
        if self.fmt == "table":
            self.console.print(Text(text))
        else:
            click.echo(f"# {text}" if self.fmt == "csv" else text)

    def table(self, frame, title=""):
        """Print a DataFrame: numbers to 4 significant digits, text as text (no markup)."""
        from attnbench.report.tables import display_frame, markdown_table

        if self.fmt == "csv":
            click.echo(f"# {title}")
            frame.to_csv(sys.stdout, index=False)
        elif self.fmt == "md":
            click.echo(f"**{title}**\n\n{markdown_table(display_frame(frame))}\n")
        else:
            table = Table(title=title)
            for column in frame.columns:
                table.add_column(str(column), overflow="fold")
            for row in display_frame(frame).to_numpy():
                table.add_row(*map(Text, row))
            self.console.print(table)


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="tables as text (full width when piped), Markdown (md) or CSV",
)
PLUGIN_OPTION = click.option(
    "--plugin",
    "plugins",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="a reducer file to load (repeatable)",
)


@click.group()
@click.version_option(package_name="attnbench")
def main():
    """Benchmark attention sparsification: reduce X (n x d) to Y (n x m), compare A(Y) to A(X)."""


def _listing(what):
    """(title, DataFrame) of what ``attnbench list`` shows."""
    if what == "datasets":
        rows = [{"family": k, "description": v} for k, v in list_families().items()]
    elif what == "presets":
        rows = [{"preset": k, "description": v} for k, v in list_presets().items()]
    elif what == "reducers":
        rows = []
        for name in algorithms.list_reducers():
            cls = algorithms.get_reducer_class(name)
            rows.append(
                {
                    "name": name,
                    "family": cls.family,
                    "deterministic": str(cls.deterministic),
                    "cost model": cls.cost_model,
                    "parameters": ", ".join(cls._get_param_names()),
                }
            )
        for name, error in algorithms.broken_plugins().items():
            last = error.strip().splitlines()[-1]
            rows.append({"name": name, "family": "broken", "parameters": last})
    else:
        rows = [
            {
                "metric": m.name,
                "better": "lower" if m.lower_is_better else "higher",
                "attention": "both" if len(m.modes) > 1 else m.modes[0],
                "definition": m.description,
            }
            for m in METRICS.values()
        ]
    return what, pd.DataFrame(rows).fillna("")


@main.command("list")
@click.argument(
    "what", type=click.Choice(["reducers", "datasets", "presets", "metrics"]), default="reducers"
)
@PLUGIN_OPTION
@FORMAT_OPTION
def list_cmd(what, plugins, fmt):
    """List reducers (family, cost model), dataset families, presets or metrics."""
    for error in algorithms.load_plugins(plugins, strict=False):
        Console(stderr=True).print(Text(f"warning: {error}"))
    title, frame = _listing(what)
    Output(fmt).table(frame, title)


@main.command()
@click.option("--n", "n", default=64, show_default=True, help="tokens (rows of X)")
@click.option("--d", "d", default=4096, show_default=True, help="features (columns of X)")
@click.option("--r", "r", default=0.05, show_default=True, help="||XX^T||_inf of the scaled X")
@click.option("--seed", default=0, show_default=True)
@FORMAT_OPTION
def demo(n, d, r, seed, fmt):
    """Reduce one Gaussian X with every reducer at its default size and print the metrics."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X *= np.sqrt(r / np.max(np.einsum("ij,ij->i", X, X)))
    reference = AttentionReference(X)
    shown = ["m", "attn_err_over_r", "skill", "spectral_eps", "output_err"]
    rows = []
    for name in algorithms.list_reducers():
        reducer = algorithms.get_reducer(name)
        if "random_state" in reducer.get_params():
            reducer.set_params(random_state=seed)
        start = time.perf_counter()
        Y = reducer.fit_transform(X)
        seconds = time.perf_counter() - start
        rows.append({"reducer": name, "seconds": seconds, **evaluate(reference, Y, shown)})
    Output(fmt).table(pd.DataFrame(rows), f"Gaussian X, n={n}, d={d}, r={given(r)}")


STORE_OPTION = click.option(
    "--store",
    default=str(DEFAULT_STORE),
    show_default=True,
    type=click.Path(dir_okay=False),
    help="the SQLite result file",
)


def _fail(exc):
    raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("config")
@STORE_OPTION
@click.option("--resume", is_flag=True, help="continue the latest run of the same config")
@click.option("--timeout", type=float, help="seconds per cell (overrides the config)")
@click.option("--repeats", type=int, help="timed repeats per cell")
@click.option("--threads", type=int, help="BLAS threads per cell")
@PLUGIN_OPTION
@click.option("--only", multiple=True, help="run only these reducers (repeatable)")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="dataset cache folder")
@click.option(
    "--executor",
    type=click.Choice(list(EXECUTORS)),
    default="local",
    show_default=True,
    help="local: serial cells (timings for fits); processes: a pool on this machine; "
    "dask: a Dask cluster (pip install 'attnbench[dask]'). Concurrent timings are flagged.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="processes, or workers of the local Dask cluster [default: CPU count]",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="a running Dask scheduler (tcp://HOST:8786) instead of a local cluster",
)
@FORMAT_OPTION
def run(
    config,
    store,
    resume,
    timeout,
    repeats,
    threads,
    plugins,
    only,
    cache_dir,
    executor,
    workers,
    scheduler,
    fmt,
):
    """Run a sweep: CONFIG is a preset name (see `list presets`) or a TOML file.

    Prints a summary of the run; cells that failed or timed out are listed, and the
    command still exits 0 (they are results)."""
    try:
        run_id = api.run(
            config,
            store,
            resume=resume,
            plugins=plugins,
            only=list(only) or None,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            cache_dir=cache_dir,
            progress=True,
            timeout=timeout,
            repeats=repeats,
            threads=threads,
        )
    except (
        ConfigError,
        ValueError,
        algorithms.BrokenPluginError,
        ExecutorError,
        StoreError,
    ) as exc:
        _fail(exc)
    out = Output(fmt)
    out.line(f"run {run_id} stored in {store}")
    _show(store, run_id, out)


def _last_line(error):
    lines = error.strip().splitlines() if isinstance(error, str) else []
    return lines[-1] if lines else ""


def _show(store, run, out):
    """The run's cell counts, medians of its ok cells, and every cell that did not finish."""
    from attnbench.report.tables import prepare_cells, summary_frame

    try:
        cells = prepare_cells(api.load_cells(store, run))
    except StoreError as exc:
        _fail(exc)
    counts = cells["status"].value_counts().to_dict()
    out.line(
        f"run {run}: {count(len(cells))} cells, "
        + ", ".join(f"{count(v)} {k}" for k, v in counts.items())
    )
    ok = cells[cells["status"] == "ok"]
    if not ok.empty:
        shown = ["family", "reducer", "cells", "m", "time_s", "err_over_r", "skill", "spectral_eps"]
        out.table(summary_frame(ok)[shown], "medians over cells")
    bad = cells[cells["status"] != "ok"]
    if not bad.empty:
        failed = pd.DataFrame(
            {
                "status": bad["status"],
                "reducer": bad["variant"],
                "family": bad["dataset.family"],
                "n": bad["dataset.n"],
                "d": bad["dataset.d"],
                "r": bad["dataset.r"],
                "error": bad["error"].map(_last_line),
            }
        )
        out.table(failed, "cells that did not finish (stored as results; rerun with --resume)")


@main.command()
@click.argument("run", default="latest")
@STORE_OPTION
@FORMAT_OPTION
def show(run, store, fmt):
    """A summary table of a stored run (RUN is an id or 'latest')."""
    _show(store, run, Output(fmt))


@main.command()
@click.argument("run", default="latest")
@STORE_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="file to write")
def export(run, store, fmt, output):
    """Export a run's cells (one row per cell) to CSV or Parquet."""
    try:
        df = api.load_cells(store, run)
    except StoreError as exc:
        _fail(exc)
    output = output or f"attnbench-run-{run}.{fmt}"
    if fmt == "csv":
        df.assign(times=df["times"].map(lambda t: " ".join(map(repr, t)))).to_csv(
            output, index=False
        )
    else:
        df.to_parquet(output, index=False)
    click.echo(f"wrote {count(len(df))} cells to {output}")


@main.command()
@click.argument("run", default="latest")
@STORE_OPTION
@FORMAT_OPTION
def rerun(run, store, fmt):
    """Repeat a stored run from its stored config and report any metric that differs."""
    try:
        new_id, diffs = api.rerun(store, run, progress=True)
    except StoreError as exc:
        _fail(exc)
    if not diffs:
        click.echo(f"run {new_id} reproduces run {run}: every metric identical")
        return
    columns = ["cell", "reducer", "metric", "stored", "now"]
    frame = pd.DataFrame([[str(v) for v in diff] for diff in diffs], columns=columns)
    Output(fmt).table(frame, "metrics that differ")
    raise SystemExit(1)


@main.command()
@click.argument("run", default="latest")
@STORE_OPTION
@click.option(
    "--out", type=click.Path(file_okay=False), help="report folder (default reports/run-ID)"
)
def report(run, store, out):
    """Write a report folder (index.html, REPORT.md, figures/, tables/) for a stored run."""
    from attnbench.report import report as write_report

    try:
        folder = write_report(store, run, out)
    except StoreError as exc:
        _fail(exc)
    click.echo(f"wrote {folder / 'index.html'} and {folder / 'REPORT.md'}")


@main.command()
@click.argument("candidate")
@click.option(
    "--baseline",
    "baselines",
    multiple=True,
    help="baseline reducers, comma-separated or repeated (default: zero, svd, gaussian, "
    "countsketch, uniform, leverage_exact and the paper's reducers where registered)",
)
@click.option(
    "--preset", default="compare", show_default=True, help="preset name or TOML file"
)
@STORE_OPTION
@click.option(
    "--out", type=click.Path(file_okay=False), help="tables folder (default: next to the store)"
)
@click.option(
    "--fail-if-slower",
    type=float,
    help="exit 1 when the candidate is slower than a baseline by more than this factor "
    "(time ratio at equal error)",
)
@PLUGIN_OPTION
@click.option("--repeats", type=int, help="timed repeats per cell")
@click.option(
    "--seeds",
    type=click.IntRange(min=1),
    help="dataset seeds per grid point; intervals are over seeds (default: the preset's, "
    "at least 3)",
)
@click.option("--resume", is_flag=True, help="continue (or reuse) the latest identical comparison")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="dataset cache folder")
@FORMAT_OPTION
def compare(
    candidate,
    baselines,
    preset,
    store,
    out,
    fail_if_slower,
    plugins,
    repeats,
    seeds,
    resume,
    cache_dir,
    fmt,
):
    """Compare CANDIDATE (a reducer name, FILE.py or FILE.py:NAME) with baselines on a preset.

    Runs both on the preset's datasets (several seeds each), then the baselines at the
    sizes the comparison needs.  Prints a verdict per baseline and dataset family (error
    ratio at equal m, m and time ratios at equal error, 95% intervals over seeds, or why a
    ratio is missing) and writes it with a report.  Exits 0 whatever the verdict, unless
    --fail-if-slower is given and exceeded.
    """
    from attnbench import compare as comparing
    from attnbench.compare.report import write_comparison
    from attnbench.compare.stats import verdict_display

    names = [b.strip() for group in baselines for b in group.split(",") if b.strip()]
    try:
        result = comparing.compare(
            candidate,
            names or None,
            preset,
            store,
            seeds=seeds,
            plugins=plugins,
            cache_dir=cache_dir,
            progress=True,
            resume=resume,
            command=_command_line(click.get_current_context()),
            repeats=repeats,
        )
    except (
        OSError,
        ConfigError,
        ValueError,
        algorithms.BrokenPluginError,
        algorithms.UnknownReducerError,
        StoreError,
        ExecutorError,
    ) as exc:
        _fail(exc)
    folder = write_comparison(result, out or comparing.default_out(store, result.candidate))
    runs = " and ".join(map(str, result.run_ids))
    Output(fmt).table(
        verdict_display(result.verdict),
        f"{result.candidate} / baseline, geometric means [{percent(LEVEL)} CI over seeds]; "
        f"run(s) {runs}",
    )
    click.echo(f"report written to {folder / 'index.html'} (tables in {folder / 'tables'})")
    _exit_if_slower(result, fail_if_slower)


def _exit_if_slower(comparison, factor):
    """Exit 1, naming the baselines on stderr, when the candidate is more than ``factor``
    times slower than one of them at equal error."""
    slower = comparison.slower_than(factor) if factor is not None else []
    if slower:
        click.echo(
            f"{comparison.candidate} is more than {given(factor)}× slower at equal error "
            f"than: {', '.join(slower)}",
            err=True,
        )
        raise SystemExit(1)


def _command_line(ctx):
    """The command as typed, rebuilt from the parameters given on the command line."""
    words = ["attnbench", ctx.info_name]
    for param in ctx.command.params:
        if ctx.get_parameter_source(param.name) != ParameterSource.COMMANDLINE:
            continue
        value = ctx.params[param.name]
        if isinstance(param, click.Argument):
            words.append(str(value))
            continue
        for item in value if isinstance(value, tuple) else [value]:
            shown = given(item) if isinstance(item, float) else str(item)
            words += [param.opts[0]] if item is True else [param.opts[0], shown]
    return shlex.join(words)


@main.command()
@click.argument("plugin")
@click.option("-v", "--verbose", is_flag=True, help="a row per scikit-learn check, full reasons")
def check(plugin, verbose):
    """Run the reducer contract on PLUGIN (FILE.py, FILE.py:NAME or a registered name).

    Prints a row per rule with the reason for each failure.  Exit code: 0 when every rule
    passes, 1 when one fails, 2 when PLUGIN cannot be loaded.
    """
    from attnbench import contract

    try:
        report = contract.check_reducer(plugin)
    except (
        OSError,
        ValueError,
        algorithms.BrokenPluginError,
        algorithms.UnknownReducerError,
    ) as exc:
        click.echo(f"Error: cannot load {plugin!r}: {exc}", err=True)
        raise SystemExit(2) from None
    Console().print(contract.report_table(report, verbose=verbose))
    failed = [result.rule for result in report.failures]
    click.echo(f"FAILED {len(failed)} rule(s): {', '.join(failed)}" if failed else "PASSED")
    raise SystemExit(1 if failed else 0)


@main.group()
def store():
    """Keep a store file: check it, recover a damaged one, migrate an older one."""


@store.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--recover",
    "recover_to",
    type=click.Path(dir_okay=False),
    metavar="OUT",
    help="copy every readable run and cell into the fresh store OUT",
)
def store_check(path, recover_to):
    """Integrity check, schema version, runs with their status and cell counts (read only).

    Exits 1 when the file is damaged (after recovering, with --recover), 0 when it is sound.
    """
    from attnbench.store import check as checking

    try:
        result = checking.check(path)
        for line in result.lines():
            click.echo(line)
        if recover_to:
            for line in checking.recover(path, recover_to).lines():
                click.echo(line)
    except StoreError as exc:
        _fail(exc)
    except sqlite3.Error as exc:
        _fail(f"{path} cannot be read at all: {exc}.")
    raise SystemExit(0 if result.sound else 1)


@store.command("migrate")
@click.argument("path", type=click.Path(dir_okay=False))
def store_migrate(path):
    """Upgrade a store of an earlier schema to this attnbench's, after a backup copy
    (PATH.schemaN.bak); facts the old runs did not store are filled in and marked inferred."""
    from attnbench.store.migrations import migrate

    try:
        migration = migrate(path)
    except StoreError as exc:
        _fail(exc)
    for line in migration.lines():
        click.echo(line)


@main.command("new-reducer")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(["projection", "sampling"]),
    default="projection",
    show_default=True,
    help="the template: a sparse projection or column sampling",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="the file (default NAME.py)")
@click.option("--force", is_flag=True, help="overwrite an existing file")
def new_reducer(name, kind, output, force):
    """Write a commented one-class reducer NAME from a template; it passes `attnbench check`."""
    from attnbench.contract import scaffold

    try:
        path = scaffold.write_reducer(name, kind, output, force=force)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {path}; check it with: attnbench check {path}")


if __name__ == "__main__":
    main()
