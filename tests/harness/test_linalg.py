"""The float64 bottom layer: Gram, range, blocked column norms, attention."""

import numpy as np
import pytest
import scipy.sparse as sp

from attnbench import linalg
from attnbench.algorithms import get_reducer
from attnbench.linalg import column_sq_norms, gram, range_eigh
from attnbench.metrics import evaluate


def rank3_float32(n=12, d=300, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 3)) @ rng.standard_normal((3, d))).astype(np.float32)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_gram_of_float32_is_the_float64_gram_of_the_same_values(fmt):
    X32 = rank3_float32()
    X64 = X32.astype(np.float64)
    X = X32 if fmt == "dense" else sp.csr_matrix(X32).asformat(fmt)
    G = gram(X)
    assert G.dtype == np.float64
    np.testing.assert_allclose(G, X64 @ X64.T, rtol=1e-13, atol=1e-13 * np.abs(G).max())
    # A float32 product would not be this close: the rank would not be 3.
    assert range_eigh(G)[0].size == 3


def test_float32_input_is_evaluated_against_its_float64_reference():
    X32 = rank3_float32()
    metrics = evaluate(X32, X32)  # Y = X is exact
    assert metrics["spectral_eps"] < 1e-8
    assert metrics["attn_err_inf"] == 0.0
    sizes = [
        get_reducer("leverage_exact", random_state=0).fit(X).n_draws_
        for X in (X32, X32.astype(np.float64))
    ]
    assert sizes[0] == sizes[1]


def test_gram_of_float64_input_makes_no_copy(monkeypatch):
    X = np.ones((3, 4))
    assert linalg.as_float64(X) is X
    S = sp.csr_matrix(X)
    assert linalg.as_float64(S) is S


def test_range_eigh_of_zero_and_rank_deficient_matrices():
    lam, U = range_eigh(np.zeros((4, 4)))
    assert lam.size == 0 and U.shape == (4, 0)
    v = np.arange(1.0, 5.0)
    lam, U = range_eigh(np.outer(v, v))
    np.testing.assert_allclose(lam, [v @ v])
    np.testing.assert_allclose(np.abs(U[:, 0]), v / np.linalg.norm(v))


def test_column_blocks_do_not_change_the_leverage_scores(monkeypatch):
    X = np.random.default_rng(0).standard_normal((6, 1000))
    lam, U = range_eigh(gram(X))
    W = U / np.sqrt(lam)
    whole = column_sq_norms(X, W)
    monkeypatch.setattr(linalg, "BLOCK_BYTES", 8 * 6 * 7)  # 7 columns a block
    np.testing.assert_allclose(column_sq_norms(X, W), whole, rtol=1e-13)
    np.testing.assert_allclose(column_sq_norms(sp.csr_matrix(X), W), whole, rtol=1e-12)
    np.testing.assert_allclose(whole.sum(), 6, rtol=1e-12)


@pytest.mark.parametrize("density", [0.002, 0.3])  # quadratic forms / blocked products
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_column_norms_equal_the_dense_ones(density, fmt):
    rng = np.random.default_rng(5)
    X = sp.random(16, 3000, density=density, format=fmt, random_state=rng,
                  data_rvs=rng.standard_normal)
    lam, U = range_eigh(gram(X))
    W = U / np.sqrt(lam)
    dense = column_sq_norms(X.toarray(), W)
    np.testing.assert_allclose(column_sq_norms(X, W), dense, rtol=1e-12, atol=1e-14)
    assert dense.sum() == pytest.approx(lam.size, rel=1e-10)  # leverage scores add up to rank


def test_duplicate_sparse_entries_count_as_their_sum():
    # COO with a repeated (row, column): the column is (3, 0) + (1, 0) = (4, 0).
    X = sp.coo_matrix(([3.0, 1.0, 2.0], ([0, 0, 1], [0, 0, 1])), shape=(2, 3))
    W = np.array([[1.0, 0.5], [0.0, 2.0]])
    np.testing.assert_allclose(column_sq_norms(X, W), column_sq_norms(X.toarray(), W))
    assert X.nnz == 3  # the caller's matrix is left as it was
