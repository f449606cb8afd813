"""The ``attnbench`` command line (click; tables and progress bars from rich)."""

from __future__ import annotations

import time

import click
import numpy as np
from attnbench import algorithms
from attnbench.metrics import METRICS, AttentionReference, evaluate
from rich.console import Console
from rich.table import Table


@click.group()
@click.version_option(package_name="attnbench")
def main():
    """Benchmark attention sparsification: reduce X (n x d) to Y (n x m), compare A(Y) to A(X)."""


@main.command("list")
@click.argument("what", type=click.Choice(["reducers", "metrics"]), default="reducers")
def list_cmd(what):
    """List registered reducers (with family and cost model) or metrics."""
    console = Console()
    if what == "reducers":
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
