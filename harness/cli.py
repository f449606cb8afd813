"""The ``attnbench`` command line (click; tables and progress bars from rich)."""

from __future__ import annotations

import time

import click
import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attnbench import algorithms, api
from attnbench.config import ConfigError, list_presets
from attnbench.datasets import list_families
from attnbench.executors import EXECUTORS, ExecutorError
from attnbench.metrics import METRICS, AttentionReference, evaluate
from attnbench.store import DEFAULT_STORE, StoreError

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


@main.command("list")
@click.argument(
    "what", type=click.Choice(["reducers", "datasets", "presets", "metrics"]), default="reducers"
)
@PLUGIN_OPTION
def list_cmd(what, plugins):
    """List reducers (family, cost model), dataset families, presets or metrics."""
    console = Console()
    _load_plugins(plugins)
    if what == "datasets":
        table = Table("family", "description")
        for name, description in list_families().items():
            table.add_row(name, escape(description))
    elif what == "presets":
        table = Table("preset", "description")
        for name, description in list_presets().items():
            table.add_row(name, escape(description))
    elif what == "reducers":
        table = Table("name", "family", "deterministic", "cost model", "parameters")
        for name in algorithms.list_reducers():
            cls = algorithms.get_reducer_class(name)
            table.add_row(
                name,
                cls.family,
                str(cls.deterministic),
                cls.cost_model,
                ", ".join(cls._get_param_names()),
            )
        for name, error in algorithms.broken_plugins().items():
            table.add_row(
                escape(name), "[red]broken[/red]", "", "", escape(error.strip().splitlines()[-1])
            )
    else:
        table = Table("metric", "better", "definition")
        for metric in METRICS.values():
            table.add_row(
                metric.name, "lower" if metric.lower_is_better else "higher", metric.description
            )
    console.print(table)


@main.command()
@click.option("--n", "n", default=64, show_default=True, help="tokens (rows of X)")
@click.option("--d", "d", default=4096, show_default=True, help="features (columns of X)")
@click.option("--r", "r", default=0.05, show_default=True, help="||XX^T||_inf of the scaled X")
@click.option("--seed", default=0, show_default=True)
def demo(n, d, r, seed):
    """Reduce one Gaussian X with every reducer at its default size and print the metrics."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X *= np.sqrt(r / np.max(np.einsum("ij,ij->i", X, X)))
    reference = AttentionReference(X)
    shown = ["m", "attn_err_over_r", "skill", "spectral_eps", "output_err"]
    table = Table("reducer", "seconds", *shown, title=f"Gaussian X, n={n}, d={d}, r={r}")
    for name in algorithms.list_reducers():
        reducer = algorithms.get_reducer(name)
        if "random_state" in reducer.get_params():
            reducer.set_params(random_state=seed)
        start = time.perf_counter()
        Y = reducer.fit_transform(X)
        seconds = time.perf_counter() - start
        values = evaluate(reference, Y, shown)
        table.add_row(name, f"{seconds:.3f}", *(f"{values[k]:.4g}" for k in shown))
    Console().print(table)


def _load_plugins(plugins):
    for path in plugins:
        try:
            algorithms.load_plugin(path)
        except algorithms.BrokenPluginError as exc:
            Console(stderr=True).print(f"[yellow]warning:[/yellow] {exc}")


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
):
    """Run a sweep: CONFIG is a preset name (see `list presets`) or a TOML file."""
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
    except (ConfigError, ValueError, algorithms.BrokenPluginError, ExecutorError) as exc:
        _fail(exc)
    click.echo(f"run {run_id} stored in {store}")
    _show(store, run_id)


def _show(store, run):
    try:
        df = api.load_cells(store, run)
    except StoreError as exc:
        _fail(exc)
    console = Console()
    counts = df["status"].value_counts().to_dict()
    console.print(
        f"run {run}: {len(df)} cells, " + ", ".join(f"{v} {k}" for k, v in counts.items())
    )
    ok = df[df["status"] == "ok"]
    if not ok.empty:
        from attnbench.report import prepare_cells, summary_frame  # matplotlib: load on use

        shown = ["family", "reducer", "cells", "m", "time_s", "err_over_r", "skill", "spectral_eps"]
        summary = summary_frame(prepare_cells(ok))[shown]
        table = Table(*summary.columns, title="medians over cells")
        for row in summary.itertuples(index=False):
            table.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
        console.print(table)
    bad = df[df["status"] != "ok"]
    for row in bad.itertuples():
        console.print(
            f"[red]{row.status}[/red] {row.reducer} on {row._asdict()['dataset.family']}: "
            f"{(row.error or '').strip().splitlines()[-1] if row.error else ''}"
        )


@main.command()
@click.argument("run", default="latest")
@STORE_OPTION
def show(run, store):
    """A summary table of a stored run (RUN is an id or 'latest')."""
    _show(store, run)


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
    click.echo(f"wrote {len(df)} cells to {output}")


@main.command()
@click.argument("run", default="latest")
@STORE_OPTION
def rerun(run, store):
    """Repeat a stored run from its stored config and report any metric that differs."""
    try:
        new_id, diffs = api.rerun(store, run, progress=True)
    except StoreError as exc:
        _fail(exc)
    if not diffs:
        click.echo(f"run {new_id} reproduces run {run}: every metric identical")
        return
    table = Table("cell", "reducer", "metric", "stored", "now", title="metrics that differ")
    for key, reducer, metric, old, new in diffs:
        table.add_row(key, reducer, metric, str(old), str(new))
    Console().print(table)
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
@click.option("--preset", default="quick", show_default=True, help="preset name or TOML file")
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
@click.option("--resume", is_flag=True, help="continue (or reuse) the latest identical comparison")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="dataset cache folder")
def compare(
    candidate, baselines, preset, store, out, fail_if_slower, plugins, repeats, resume, cache_dir
):
    """Compare CANDIDATE (a reducer name, FILE.py or FILE.py:NAME) with baselines on a preset.

    Prints and writes a verdict table: at equal m the error ratio, at equal error the time
    ratio, wins and losses per dataset family with 95% intervals.  Exits 0 whatever the
    verdict, unless --fail-if-slower is given and exceeded.
    """
    from attnbench import compare as comparing

    names = [b.strip() for group in baselines for b in group.split(",") if b.strip()]
    try:
        result = comparing.compare(
            candidate,
            names or None,
            preset,
            store,
            plugins=plugins,
            cache_dir=cache_dir,
            progress=True,
            resume=resume,
            repeats=repeats,
        )
    except (
        ConfigError,
        ValueError,
        algorithms.BrokenPluginError,
        algorithms.UnknownReducerError,
        StoreError,
    ) as exc:
        _fail(exc)
    folder = out or comparing.default_out(store, result.candidate)
    comparing.write_comparison(result, folder)
    table = Table(
        "baseline", "family", "error ratio", "win/loss/tie", "accuracy", "time ratio", "speed",
        title=f"{result.candidate} / baseline, geometric means (95% CI); run {result.run_id}",
    )  # fmt: skip
    for row in result.verdict.itertuples():
        table.add_row(
            row.baseline,
            row.family,
            _ratio(row.error_ratio, row.error_ci_low, row.error_ci_high),
            f"{row.wins}/{row.losses}/{row.ties}",
            row.accuracy,
            _ratio(row.time_ratio, row.time_ci_low, row.time_ci_high),
            row.speed,
        )
    Console().print(table)
    click.echo(f"tables written to {folder}")
    if fail_if_slower is not None:
        slower = result.slower_than(fail_if_slower)
        if slower:
            click.echo(
                f"{result.candidate} is more than {fail_if_slower:g}x slower at equal error "
                f"than: {', '.join(slower)}",
                err=True,
            )
            raise SystemExit(1)


def _ratio(value, low, high):
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.3g} ({low:.3g}-{high:.3g})"


@main.command()
@click.argument("plugin")
@click.option("-v", "--verbose", is_flag=True, help="a row per scikit-learn check, full reasons")
def check(plugin, verbose):
    """Run the reducer contract on PLUGIN (FILE.py, FILE.py:NAME or a registered name).

    Prints a row per rule with the reason for each failure.  Exit code: 0 when every rule
    passes, 1 when one fails, 2 when PLUGIN cannot be loaded.
    """
    from attnbench import testing

    try:
        report = testing.check_reducer(plugin)
    except (
        OSError,
        ValueError,
        algorithms.BrokenPluginError,
        algorithms.UnknownReducerError,
    ) as exc:
        click.echo(f"Error: cannot load {plugin!r}: {exc}", err=True)
        raise SystemExit(2) from None
    Console().print(testing.report_table(report, verbose=verbose))
    failed = [result.rule for result in report.failures]
    click.echo(f"FAILED {len(failed)} rule(s): {', '.join(failed)}" if failed else "PASSED")
    raise SystemExit(1 if failed else 0)


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
    from attnbench import scaffold

    try:
        path = scaffold.write_reducer(name, kind, output, force=force)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {path}; check it with: attnbench check {path}")


if __name__ == "__main__":
    main()
