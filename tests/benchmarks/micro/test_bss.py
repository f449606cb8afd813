"""Microbenchmarks: the Batson-Spielman-Srivastava barrier iterations of ``bss``.

``twice_ramanujan`` runs its ceil(b k) steps (Woodbury barrier updates between periodic
eigendecompositions of A) on columns whitened beforehand (whitening is not timed);
extra_info records the steps, refreshes and rankings of all columns, and the mean
seconds per step when timing is on.  Run with ``pytest tests/benchmarks/micro
--benchmark-only``.
"""

import math

import numpy as np
import pytest

from attnbench.algorithms.bss import WhitenedColumns, bss_b, bss_kappa, twice_ramanujan

N, D = 64, 8192
EPS = 0.5  # the reducer's default


@pytest.mark.benchmark(group="bss-iterations")
def test_bss_iterations(benchmark, make_input, input_kind):
    data, fmt = input_kind
    columns = WhitenedColumns(make_input(data, N, D, fmt))
    steps = math.ceil(bss_b(EPS) * columns.rank)
    search = benchmark(twice_ramanujan, columns, steps)
    # BSS, Thm 3.1: after ceil(b k) steps lambda_max(A)/lambda_min(A) <= kappa(b).
    low, high = np.linalg.eigvalsh(search.A)[[0, -1]]
    assert high / low <= bss_kappa(steps / columns.rank) * (1 + 1e-9)
    benchmark.extra_info.update({
        "rank": columns.rank, "steps": steps, "eigenvalue_ratio": high / low,
        "refreshes": search.n_refreshes, "full_rankings": search.n_full_scorings,
    })
    if benchmark.enabled:
        benchmark.extra_info["seconds_per_step"] = benchmark.stats.stats.mean / steps
