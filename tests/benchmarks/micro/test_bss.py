"""Microbenchmarks: the Batson-Spielman-Srivastava barrier iterations of ``bss``.

``twice_ramanujan`` runs its ceil(b k) steps on columns whitened beforehand (whitening is
not timed); extra_info records the steps, and the mean seconds per step when timing is
on.  Run with ``pytest tests/benchmarks/micro --benchmark-only``.
"""

import math

import numpy as np
import pytest

from attnbench.algorithms.bss import bss_b, bss_kappa, twice_ramanujan, whiten

N, D = 64, 8192
EPS = 0.5  # the reducer's default


@pytest.mark.benchmark(group="bss-iterations")
def test_bss_iterations(benchmark, make_input, input_kind):
    data, fmt = input_kind
    columns, _, rank = whiten(make_input(data, N, D, fmt))
    steps = math.ceil(bss_b(EPS) * rank)
    _, A = benchmark(twice_ramanujan, columns, rank, steps)
    # BSS, Thm 3.1: after ceil(b k) steps lambda_max(A)/lambda_min(A) <= kappa(b).
    low, high = np.linalg.eigvalsh(A)[[0, -1]]
    assert high / low <= bss_kappa(steps / rank) * (1 + 1e-9)
    benchmark.extra_info.update({"rank": rank, "steps": steps, "eigenvalue_ratio": high / low})
    if benchmark.enabled:
        benchmark.extra_info["seconds_per_step"] = benchmark.stats.stats.mean / steps
