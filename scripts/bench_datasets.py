"""Print how fast the dataset generators are (issue 5); numbers for the report, not tests.

Every time is the median of REPEATS runs in this one process with BLAS limited to one
thread (threadpoolctl), and is shown next to a reference measured the same way, so
that the ratios stay meaningful on a busy machine:

1. make_dataset (generation, scaling to r and statistics) per family at a CI-sized
   n = 64, d = 4096, against a bare rng.standard_normal((n, d));
2. the sparse family against scipy.sparse.random at the same n, d and density: time
   and tracemalloc peak, at densities where scipy's sampler needs O(nd) memory.

    .venv/bin/python scripts/bench_datasets.py
"""

import statistics
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from attnbench.datasets import DatasetSpec, get_family, list_families, make_dataset

REPEATS = 7


def median_seconds(work):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_bytes(work):
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def families_at_ci_size(n=64, d=4096):
    normal = median_seconds(lambda: np.random.default_rng(0).standard_normal((n, d)))
    print(f"make_dataset at n={n}, d={d} (median of {REPEATS}); reference: standard_normal "
          f"(n, d) takes {normal * 1e3:.2f} ms")
    for family in list_families():
        if family == "minilm":
            continue
        density = 0.01 if family == "sparse" else 1.0
        spec = DatasetSpec(family, n, d, density=density)
        seconds = median_seconds(lambda spec=spec: make_dataset(spec))
        print(f"  {family:13s} {seconds * 1e3:8.2f} ms   {seconds / normal:6.2f} x reference")


def sparse_against_scipy(n=256, d=65536):
    print(f"\nsparse generation vs scipy.sparse.random at n={n}, d={d} "
          f"(dense would be {8 * n * d / 2**20:.0f} MiB)")
    family = get_family("sparse")
    for density in (1e-3, 1e-2, 5e-2):
        spec = DatasetSpec("sparse", n, d, density=density)

        def ours(spec=spec):
            return family.generate(spec, np.random.default_rng(0))

        def scipy_random(density=density):
            rng = np.random.default_rng(0)
            return sp.random(n, d, density=density, format="csr", random_state=rng,
                             data_rvs=rng.standard_normal)

        t_ours, t_scipy = median_seconds(ours), median_seconds(scipy_random)
        m_ours, m_scipy = peak_bytes(ours), peak_bytes(scipy_random)
        print(f"  density {density:g}: ours {t_ours * 1e3:7.2f} ms, {m_ours / 2**20:6.1f} MiB | "
              f"scipy {t_scipy * 1e3:7.2f} ms, {m_scipy / 2**20:6.1f} MiB | time ratio "
              f"{t_ours / t_scipy:.2f}, memory ratio {m_ours / m_scipy:.2f}")


if __name__ == "__main__":
    with threadpool_limits(limits=1, user_api="blas"):
        families_at_ci_size()
        sparse_against_scipy()
