"""The ``attnbench`` command line (click; tables and progress bars from rich)."""

from __future__ import annotations

import time

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from attnbench import algorithms, api
from attnbench.config import ConfigError, list_presets
from attnbench.datasets import list_families
from attnbench.metrics import METRICS, AttentionReference, evaluate
from attnbench.store import DEFAULT_STORE, StoreError


@click.group()
@click.version_option(package_name="attnbench")
def main():
    """Benchmark attention sparsification: reduce X (n x d) to Y (n x m), compare A(Y) to A(X)."""


@main.command("list")
@click.argument(
    "what", type=click.Choice(["reducers", "datasets", "presets", "metrics"]), default="reducers"
)
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="a reducer file to load first (repeatable)",
)
def list_cmd(what, plugins):
    """List reducers (family, cost model), dataset families, presets or metrics."""
    console = Console()
    _load_plugins(plugins)
    if what == "datasets":
        table = Table("family", "description")
        for name, description in list_families().items():
            table.add_row(name, description)
    elif what == "presets":
        table = Table("preset", "description")
        for name, description in list_presets().items():
            table.add_row(name, description)
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
            table.add_row(name, "[red]broken[/red]", "", "", error.strip().splitlines()[-1])
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
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="a reducer file to load (repeatable)",
)
@click.option("--only", multiple=True, help="run only these reducers (repeatable)")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="dataset cache folder")
def run(config, store, resume, timeout, repeats, threads, plugins, only, cache_dir):
    """Run a sweep: CONFIG is a preset name (see `list presets`) or a TOML file."""
    try:
        run_id = api.run(
            config,
            store,
            resume=resume,
            plugins=plugins,
            only=list(only) or None,
            cache_dir=cache_dir,
            progress=True,
            timeout=timeout,
            repeats=repeats,
            threads=threads,
        )
    except (ConfigError, ValueError, algorithms.BrokenPluginError) as exc:
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
        summary = (
            ok.groupby(["dataset.family", "reducer"])
            .agg(
                cells=("key", "size"),
                m=("m", "median"),
                time_s=("time_median", "median"),
                err_over_r=("attn_err_over_r", "median"),
                skill=("skill", "median"),
                spectral_eps=("spectral_eps", "median"),
            )
            .reset_index()
        )
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


if __name__ == "__main__":
    main()
