"""Microbenchmarks: the exact attention A(X) and the metrics against it.

Run with ``pytest tests/benchmarks/micro --benchmark-only``; skipped in the normal run.
"""

import numpy as np
import pytest

from attnbench.algorithms import get_reducer
from attnbench.linalg import attention, gram
from attnbench.metrics import AttentionReference, evaluate, metric_names

N, D = 64, 8192


@pytest.mark.benchmark(group="attention-gram")
def test_gram(benchmark, make_input, input_kind):
    data, fmt = input_kind
    X = make_input(data, N, D, fmt)
    G = benchmark(gram, X)
    assert np.array_equal(G, G.T)


@pytest.mark.benchmark(group="attention-softmax")
def test_attention(benchmark, make_input):
    G = gram(make_input("gaussian", N, D, "dense"))
    A = benchmark(attention, G)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=1e-14)
    # ||G||_inf = r = 0.05 keeps every entry within about 2r/n of 1/n.
    assert np.abs(A - 1.0 / N).max() <= 2 * 0.05 / N * 1.1
    benchmark.extra_info["max_abs_A_minus_uniform"] = float(np.abs(A - 1.0 / N).max())


@pytest.mark.benchmark(group="attention-reference")
def test_attention_reference(benchmark, make_input, input_kind):
    data, fmt = input_kind
    X = make_input(data, N, D, fmt)
    reference = benchmark(AttentionReference, X)
    np.testing.assert_allclose(reference.r, 0.05, rtol=1e-12)
    benchmark.extra_info.update({"r": reference.r, "rank": int(reference.range_eigenvalues.size)})


@pytest.mark.benchmark(group="metrics")
@pytest.mark.parametrize("metric", metric_names("symmetric"))
def test_metric(benchmark, make_input, metric):
    X = make_input("gaussian", N, D, "dense")
    reference = AttentionReference(X)
    Y = get_reducer("gaussian", random_state=0).fit_transform(X)
    value = benchmark(evaluate, reference, Y, names=[metric])[metric]
    assert np.isfinite(value)  # the value itself is checked by definition in test_metrics
    benchmark.extra_info[metric] = value
