"""Measure the harness's own overhead per cell, for a reducer that takes about 1 ms.

Overhead = (sweep wall time) / cells - (median timed fit_transform), with warmup = 0 and
repeats = 1, so it covers everything but the timed region: dispatch to the worker,
dataset lookup (the dataset is shared by all cells), metrics, and the SQLite
transaction.  Usage: python scripts/measure_overhead.py [--cells 200]
"""

import argparse
import tempfile
import textwrap
import time
from pathlib import Path

from attnbench import api
from attnbench.config import parse_config

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--d", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp) / "one_ms.py"
        plugin.write_text(PLUGIN)
        text = textwrap.dedent(f"""
            name = "overhead"
            [settings]
            repeats = 1
            warmup = 0
            [[experiment]]
            name = "overhead"
            [experiment.datasets]
            family = "gaussian"
            n = {args.n}
            d = {args.d}
            [experiment.reducers.one_ms]
            tag = {list(range(args.cells))}
        """)
        from attnbench.algorithms import load_plugin

        load_plugin(plugin)
        store = Path(tmp) / "overhead.sqlite"
        start = time.perf_counter()
        run_id = api.run(parse_config(text), store, plugins=[plugin], cache_dir=tmp)
        wall = time.perf_counter() - start
        cells = api.load_cells(store, run_id)
    per_cell = wall / len(cells)
    timed = cells["time_median"].median()
    print(f"cells: {len(cells)} (n={args.n}, d={args.d}), sweep wall {wall:.2f} s")
    print(f"per cell: {1e3 * per_cell:.2f} ms, timed region {1e3 * timed:.2f} ms, "
          f"overhead {1e3 * (per_cell - timed):.2f} ms "
          "(includes one worker start and one A(X), amortised)")


if __name__ == "__main__":
    main()
