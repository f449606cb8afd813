"""Microbenchmarks: leverage-score estimation, and the fit of every leverage-sampling
reducer in the registry (``leverage_*``: the exact one, and the fast ones as they land).

Run with ``pytest tests/benchmarks/micro --benchmark-only``; skipped in the normal run.
"""

import numpy as np
import pytest

from attnbench.algorithms import get_reducer, list_reducers
from attnbench.algorithms.base import distinct_draws
from attnbench.algorithms.leverage_exact import exact_leverage_scores
from attnbench.metrics import evaluate

N, D = 64, 8192


@pytest.mark.benchmark(group="leverage-scores")
def test_exact_leverage_scores(benchmark, make_input, input_kind):
    data, fmt = input_kind
    X = make_input(data, N, D, fmt)
    scores, rank = benchmark(exact_leverage_scores, X)
    # Leverage scores lie in [0, 1] and sum to the rank.
    assert rank == N
    np.testing.assert_allclose(scores.sum(), rank, rtol=1e-10)
    assert scores.min() >= 0.0 and scores.max() <= 1.0 + 1e-12
    benchmark.extra_info.update({"rank": rank, "max_leverage": float(scores.max())})


@pytest.mark.benchmark(group="leverage-sampling-fit")
@pytest.mark.parametrize("name", [r for r in list_reducers(builtin=True) if r.startswith("leverage")])
def test_leverage_sampling_fit(benchmark, make_input, name, input_kind):
    data, fmt = input_kind
    X = make_input(data, N, D, fmt)
    reducer = get_reducer(name, random_state=0)
    Y = benchmark(reducer.fit_transform, X)
    metrics = evaluate(X, Y, names=["m", "spectral_eps", "attn_err_over_r", "skill"])
    # Sampling keeps distinct columns of X, rescaled: m <= min(draws, d).
    assert 0 < metrics["m"] <= D
    benchmark.extra_info.update(metrics)


@pytest.mark.benchmark(group="draws")
@pytest.mark.parametrize(("d", "s"), [(2**14, 150_000), (2**16, 20_000)])  # d <= s, d > s
def test_distinct_draws(benchmark, d, s):
    p = np.random.default_rng(1).random(d) ** 4
    p /= p.sum()
    selected, counts = benchmark(lambda: distinct_draws(np.random.default_rng(0), p, s))
    # Bitwise the draws of rng.choice with the same generator state, repeats merged.
    want = np.unique(np.random.default_rng(0).choice(d, size=s, p=p), return_counts=True)
    np.testing.assert_array_equal(selected, want[0])
    np.testing.assert_array_equal(counts, want[1])
