"""Why dask cell processes drop the nanny's MALLOC_TRIM_THRESHOLD_ (executor_dask.py).

A dask nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's
dynamic mmap threshold (mallopt(3)), so every array over 128 KiB is mmap'd and unmapped
afresh.  This script fits the same reducers in two worker processes, one with that
setting and one without, interleaved round by round (one BLAS thread each), and prints
the per-reducer ratio of median fit times, trim / plain.

    python scripts/bench_malloc_trim.py [--rounds 8] [--n 32] [--d 2048]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np

CASES = {
    "gaussian": {"n_components": 256},
    "countsketch": {"n_components": 512},
    "srht": {},
    "svd": {},
    "leverage_exact": {"n_components": 512},
}

CHILD = """
import json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from attnbench.algorithms import get_reducer, get_reducer_class
n, d, cases = json.loads(sys.argv[1])
X = np.random.default_rng(0).standard_normal((n, d))
X *= np.sqrt(0.05 / np.max(np.einsum("ij,ij->i", X, X)))
def make(name, params):
    if "random_state" in get_reducer_class(name)._get_param_names():
        params = dict(params, random_state=0)
    return get_reducer(name, **params)
with threadpool_limits(1):
    for _ in sys.stdin:
        medians = []
        for name, params in cases.items():
            times = []
            for _ in range(15):
                reducer = make(name, params)
                start = time.perf_counter()
                reducer.fit_transform(X)
                times.append(time.perf_counter() - start)
            medians.append(float(np.median(times)))
        print(json.dumps(medians), flush=True)
"""


def start_worker(trim, n, d):
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    if trim:
        env["MALLOC_TRIM_THRESHOLD_"] = "65536"
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps([n, d, CASES])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--d", type=int, default=2048)
    args = parser.parse_args()
    workers = {
        "plain": start_worker(False, args.n, args.d),
        "trim": start_worker(True, args.n, args.d),
    }
    medians = {name: [] for name in workers}
    for _ in range(args.rounds):
        for name, proc in workers.items():
            proc.stdin.write("go\n")
            proc.stdin.flush()
            medians[name].append(json.loads(proc.stdout.readline()))
    for proc in workers.values():
        proc.stdin.close()
        proc.wait()
    plain, trim = np.array(medians["plain"]), np.array(medians["trim"])
    print(f"n={args.n} d={args.d}, {args.rounds} rounds, 1 BLAS thread; ratio = trim / plain")
    for i, name in enumerate(CASES):
        ratios = trim[:, i] / plain[:, i]
        q1, q3 = np.percentile(ratios, [25, 75])
        print(
            f"{name:15s} plain {np.median(plain[:, i]) * 1e3:8.3f} ms"
            f"  ratio median {np.median(ratios):5.2f}  IQR {q1:5.2f}-{q3:5.2f}"
        )


if __name__ == "__main__":
    main()
