"""Measure the harness's own overhead per cell, for a reducer that takes about 1 ms.

Overhead = (sweep wall time) / cells - (median timed fit_transform), with warmup = 0 and
repeats = 1, so it covers everything but the timed region: dispatch to the worker,
dataset lookup (the dataset is shared by all cells), metrics, and the SQLite
transaction.  Two figures: *amortised*, one sweep of N cells with its one-time costs
(the worker's start, the first cell's A(X)) spread over its cells, as issue 14 measured
it; and *per cell*, the marginal cost, (wall(2N cells) - wall(N cells)) / N, which the
one-time costs cancel out of.  Each is the median over ``--rounds`` pairs of sweeps,
after a first small sweep that starts the worker server (once per process).  Wall time
depends on the machine's load, so the CPU time per cell is printed too: of the client
(cells, IPC, the store) and of the worker's cell code run in-process (execute_cell:
settings, the threadpool limit, the reducer, the metrics).
Usage: python scripts/measure_overhead.py [--cells 200] [--rounds 3]
"""

import argparse
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from attnbench import api
from attnbench.algorithms import load_plugins
from attnbench.sweep.config import parse_config
from attnbench.sweep.grid import make_cells
from attnbench.sweep.runner import WorkerState, execute_cell

PLUGIN = '''
import time
import scipy.sparse as sp
from attnbench.algorithms import ProjectionReducer

class OneMillisecond(ProjectionReducer):
    """Sleeps 1 ms, then returns the m = 0 reduction."""
    name = "one_ms"
    family = "trivial"
    deterministic = True
    cost_model = "constant"

    def __init__(self, tag=0):
        self.tag = tag

    def _make_components(self, X, rng):
        time.sleep(0.001)
        return sp.csr_matrix((X.shape[1], 0))
'''


def sweep_config(cells, n, d):
    return parse_config(
        textwrap.dedent(f"""
            name = "overhead"
            [settings]
            repeats = 1
            warmup = 0
            [[experiment]]
            name = "overhead"
            [experiment.datasets]
            family = "gaussian"
            n = {n}
            d = {d}
            [experiment.reducers.one_ms]
            tag = {list(range(cells))}
        """)
    )


def worker_cpu_per_cell(config, cache_dir):
    """CPU seconds per cell of the worker's cell code, in this process (first cell apart:
    it computes A(X))."""
    state = WorkerState(cache_dir)
    first, *cells = make_cells(config)
    execute_cell(first, state)
    start = time.process_time()
    for cell in cells:
        execute_cell(cell, state)
    return (time.process_time() - start) / len(cells)


def sweep(cells, n, d, folder, plugin):
    """(wall seconds, client CPU seconds, median timed seconds) of one sweep of ``cells``."""
    store = Path(folder) / f"overhead-{time.monotonic_ns()}.sqlite"
    start, cpu = time.perf_counter(), time.process_time()
    run_id = api.run(sweep_config(cells, n, d), store, plugins=[plugin], cache_dir=folder)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    timed = api.load_cells(store, run_id)["time_median"].median()
    return wall, cpu, timed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--d", type=int, default=1024)
    args = parser.parse_args()
    N = args.cells
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "one_ms.py"
        plugin.write_text(PLUGIN)
        load_plugins([plugin])
        sweep(2, args.n, args.d, tmp, plugin)  # starts the worker server, caches X
        amortised, marginal, client = [], [], []
        for _ in range(args.rounds):
            wall_a, cpu_a, timed_a = sweep(N, args.n, args.d, tmp, plugin)
            wall_b, cpu_b, timed_b = sweep(2 * N, args.n, args.d, tmp, plugin)
            amortised.append(wall_a / N - timed_a)
            marginal.append((wall_b - wall_a) / N - timed_b)
            client.append((cpu_b - cpu_a) / N)
        worker_cpu = worker_cpu_per_cell(sweep_config(N, args.n, args.d), tmp)
    print(f"{args.rounds} rounds of sweeps of {N} and {2 * N} cells (n={args.n}, d={args.d})")
    print(
        f"overhead per cell: {1e3 * np.median(marginal):.2f} ms "
        f"(marginal; rounds {', '.join(f'{1e3 * v:.2f}' for v in marginal)}); "
        f"amortised {1e3 * np.median(amortised):.2f} ms (one worker start and one A(X) "
        f"spread over {N} cells)"
    )
    print(
        f"CPU per cell: client {1e3 * np.median(client):.2f} ms, "
        f"worker's cell code {1e3 * worker_cpu:.2f} ms (reducer included)"
    )


if __name__ == "__main__":
    main()
