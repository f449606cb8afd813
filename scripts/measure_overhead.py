"""Measure the harness's own overhead per cell, for a reducer that takes about 1 ms.

Overhead = (sweep wall time) / cells - (median timed fit_transform), with warmup = 0 and
repeats = 1, so it covers everything but the timed region: dispatch to the worker,
dataset lookup (the dataset is shared by all cells), metrics, and the SQLite
transaction.  Wall time depends on the machine's load, so the CPU time per cell is
printed too: of the client (cells, IPC, the store) and of the worker's cell code run
in-process (execute_cell: settings, the threadpool limit, the reducer, the metrics).
Usage: python scripts/measure_overhead.py [--cells 200]
"""

import argparse
import tempfile
import textwrap
import time
from pathlib import Path

from attnbench import api
from attnbench.config import parse_config
from attnbench.grid import make_cells
from attnbench.runner import WorkerState, execute_cell
from attnbench.workers import load_plugins

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--d", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "one_ms.py"
        plugin.write_text(PLUGIN)
        load_plugins([plugin])
        config = sweep_config(args.cells, args.n, args.d)
        store = Path(tmp) / "overhead.sqlite"
        start, cpu = time.perf_counter(), time.process_time()
        run_id = api.run(config, store, plugins=[plugin], cache_dir=tmp)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        cells = api.load_cells(store, run_id)
        worker_cpu = worker_cpu_per_cell(config, tmp)
    per_cell = wall / len(cells)
    timed = cells["time_median"].median()
    print(f"cells: {len(cells)} (n={args.n}, d={args.d}), sweep wall {wall:.2f} s")
    print(
        f"per cell: {1e3 * per_cell:.2f} ms, timed region {1e3 * timed:.2f} ms, "
        f"overhead {1e3 * (per_cell - timed):.2f} ms "
        "(includes one worker start and one A(X), amortised)"
    )
    print(
        f"CPU per cell: client {1e3 * cpu / len(cells):.2f} ms, "
        f"worker's cell code {1e3 * worker_cpu:.2f} ms (reducer included)"
    )


if __name__ == "__main__":
    main()
