"""Why the dask executor's cell processes drop the nanny's MALLOC_TRIM_THRESHOLD_.

A dask nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off
glibc's dynamic mmap threshold (mallopt(3)): every array over 128 KiB is then mapped and
unmapped afresh.  ``MallocTrim.track_trim_over_plain`` fits the same reducers in two
worker processes, one with that setting and one without, interleaved round by round (one
BLAS thread each), and tracks the median over rounds of the ratio of their median fit
times (wall clock, as a cell is timed), trim / plain: above 1, the setting slows the
cells down, and the executor is right to drop it.
"""

from .common import grid_name, suite_version

CASES = {
    "gaussian": {"n_components": 256},
    "countsketch": {"n_components": 512},
    "srht": {},
    "svd": {},
    "leverage_exact": {"n_components": 512},
}
# (n, d, rounds, fits per round)
SIZES = {"smoke": (16, 512, 2, 3), "default": (32, 2048, 8, 15), "large": (32, 2048, 8, 15)}
TRIM = "65536"

WORKER = """
import json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from attnbench.algorithms import get_reducer, get_reducer_class
n, d, fits, cases = json.loads(sys.argv[1])
X = np.random.default_rng(0).standard_normal((n, d))
X *= np.sqrt(0.05 / np.max(np.einsum("ij,ij->i", X, X)))
def make(name, params):
    if "random_state" in get_reducer_class(name)._get_param_names():
        params = dict(params, random_state=0)
    return get_reducer(name, **params)
with threadpool_limits(1):
    for _ in sys.stdin:
        medians = {}
        for name, params in cases.items():
            times = []
            for _ in range(fits):
                reducer = make(name, params)
                start = time.perf_counter()
                reducer.fit_transform(X)
                times.append(time.perf_counter() - start)
            medians[name] = float(np.median(times))
        print(json.dumps(medians), flush=True)
"""


def start_worker(trim, n, d, fits):
    """A worker process running WORKER, with or without the nanny's setting."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    if trim:
        env["MALLOC_TRIM_THRESHOLD_"] = TRIM
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, json.dumps([n, d, fits, CASES])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def trim_over_plain():
    """{reducer: median over rounds of (median fit time with the setting) / (without)}."""
    import json
    import statistics

    n, d, rounds, fits = SIZES[grid_name()]
    workers = {trim: start_worker(trim, n, d, fits) for trim in (False, True)}
    medians = {trim: [] for trim in workers}
    try:
        for _ in range(rounds):
            for trim, worker in workers.items():
                worker.stdin.write("go\n")
                worker.stdin.flush()
                line = worker.stdout.readline()
                if not line:
                    raise RuntimeError(f"the {'trim' if trim else 'plain'} worker died")
                medians[trim].append(json.loads(line))
    finally:
        for worker in workers.values():
            worker.stdin.close()
            worker.wait()
    return {
        name: statistics.median(
            t[name] / p[name] for t, p in zip(medians[True], medians[False], strict=True)
        )
        for name in CASES
    }


class MallocTrim:
    """Fit time with the nanny's MALLOC_TRIM_THRESHOLD_ over without, per reducer."""

    params = [list(CASES)]  # noqa: RUF012 (asv reads class attributes)
    param_names = ["reducer"]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(1)
    timeout = 600

    def setup_cache(self):
        return trim_over_plain()

    def track_trim_over_plain(self, ratios, reducer):
        return ratios[reducer]

    track_trim_over_plain.unit = "plain"
