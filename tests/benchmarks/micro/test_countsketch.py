"""Microbenchmarks: building a CountSketch matrix from its key, and applying it, Y = X S
(the one-pass kernel, checked against SciPy's product).

Run with ``pytest tests/benchmarks/micro --benchmark-only``; skipped in the normal run.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from attnbench.algorithms._kernels import apply_sparse_embedding
from attnbench.algorithms._sparse_embedding import embedding_key, embedding_matrix
from attnbench.metrics import evaluate

N, D = 64, 8192


@pytest.fixture
def m(suite):
    """The asv suite's countsketch size (benchmarks/common.py)."""
    return suite.common.N_COMPONENTS_PER_TOKEN["countsketch"] * N


@pytest.mark.benchmark(group="countsketch-build")
def test_build(benchmark, m):
    key = embedding_key(np.random.default_rng(0))
    S = benchmark(embedding_matrix, key, D, m, 1)
    assert S.shape == (D, m)
    # One +-1 per feature (row), in a column of [0, m).
    assert np.array_equal(np.diff(S.indptr), np.ones(D, dtype=S.indptr.dtype))
    assert np.array_equal(np.abs(S.data), np.ones(D))


@pytest.mark.benchmark(group="countsketch-apply")
def test_apply(benchmark, make_input, input_kind, m):
    data, fmt = input_kind
    X = make_input(data, N, D, fmt)
    key = embedding_key(np.random.default_rng(0))
    Y = benchmark(apply_sparse_embedding, X, key, m, 1)
    dense = X.toarray() if sp.issparse(X) else X
    S = embedding_matrix(key, D, m, 1)
    np.testing.assert_allclose(Y, dense @ S.toarray(), rtol=1e-12, atol=1e-15)
    benchmark.extra_info.update(
        {"n": N, "d": D, "m": m, **evaluate(dense, Y, names=["spectral_eps", "attn_err_over_r"])}
    )
