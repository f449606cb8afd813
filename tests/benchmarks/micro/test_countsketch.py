"""Microbenchmarks: building a CountSketch matrix and applying it, Y = X S.

Run with ``pytest tests/benchmarks/micro --benchmark-only``; skipped in the normal run.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from attnbench.algorithms._sparse_embedding import sparse_embedding
from attnbench.metrics import evaluate

N, D = 64, 8192


@pytest.fixture
def m(suite):
    """The asv suite's countsketch size (benchmarks/common.py)."""
    return suite.common.N_COMPONENTS_PER_TOKEN["countsketch"] * N


@pytest.mark.benchmark(group="countsketch-build")
def test_build(benchmark, m):
    S = benchmark(sparse_embedding, D, m, 1, np.random.default_rng(0))
    assert S.shape == (D, m)
    # One +-1 per feature (row), in a column of [0, m).
    assert np.array_equal(np.diff(S.indptr), np.ones(D, dtype=S.indptr.dtype))
    assert np.array_equal(np.abs(S.data), np.ones(D))


@pytest.mark.benchmark(group="countsketch-apply")
def test_apply(benchmark, make_input, input_kind, m):
    data, fmt = input_kind
    X = make_input(data, N, D, fmt)
    S = sparse_embedding(D, m, 1, np.random.default_rng(0))
    Y = benchmark(lambda: X @ S)
    Y = Y.toarray() if sp.issparse(Y) else np.asarray(Y)
    dense = X.toarray() if sp.issparse(X) else X
    np.testing.assert_allclose(Y, dense @ S.toarray(), rtol=1e-12, atol=1e-15)
    benchmark.extra_info.update(
        {"n": N, "d": D, "m": m, **evaluate(dense, Y, names=["spectral_eps", "attn_err_over_r"])}
    )
