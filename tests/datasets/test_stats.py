"""compute_stats against brute-force definitions."""

import numpy as np
import pytest
import scipy.sparse as sp

from attnbench.datasets import compute_stats, scale_to_r
from attnbench.datasets import stats as stats_module


def brute_force(X):
    """The statistics straight from their definitions, on a dense X."""
    G = X @ X.T
    hat = X.T @ np.linalg.pinv(G, rcond=1e-10, hermitian=True) @ X  # d x d, l_i = hat_ii
    col_nnz = np.count_nonzero(X, axis=0)
    return {
        "nnz": np.count_nonzero(X),
        "sum_nnz_col_sq": int((col_nnz**2).sum()),
        "stable_rank": np.linalg.norm(X, "fro") ** 2 / np.linalg.norm(X, 2) ** 2,
        "rank": np.linalg.matrix_rank(X),
        "leverage": np.diag(hat),
        "r": np.abs(G).max(),
    }


def matrices():
    rng = np.random.default_rng(5)
    gaussian = rng.standard_normal((10, 60))
    lowrank = rng.standard_normal((10, 3)) @ rng.standard_normal((3, 60))
    sparse = sp.random(10, 60, density=0.1, random_state=rng, data_rvs=rng.standard_normal)
    coherent = gaussian * 0.01
    coherent[:, 7] = rng.standard_normal(10) * 10
    return {"gaussian": gaussian, "lowrank": lowrank, "sparse": sparse.toarray(),
            "coherent": coherent}


@pytest.mark.parametrize("name", ["gaussian", "lowrank", "sparse", "coherent"])
@pytest.mark.parametrize("as_sparse", [False, True])
def test_stats_match_their_definitions(name, as_sparse):
    X = matrices()[name]
    stats = compute_stats(sp.csr_matrix(X) if as_sparse else X)
    truth = brute_force(X)
    assert (stats["n"], stats["d"]) == X.shape
    assert stats["nnz"] == truth["nnz"] and stats["sum_nnz_col_sq"] == truth["sum_nnz_col_sq"]
    assert stats["rank"] == truth["rank"]
    assert stats["stable_rank"] == pytest.approx(truth["stable_rank"], rel=1e-10)
    assert stats["max_leverage"] == pytest.approx(truth["leverage"].max(), rel=1e-8)
    assert stats["mean_leverage"] == pytest.approx(truth["rank"] / X.shape[1], rel=1e-10)
    assert stats["r"] == pytest.approx(truth["r"], rel=1e-13)
    assert stats["format"] == ("csr" if as_sparse else "dense")


def test_coherent_column_has_leverage_one():
    X = matrices()["coherent"]
    assert compute_stats(X)["max_leverage"] == pytest.approx(1.0, abs=1e-3)


def test_zero_matrix_has_zero_rank_and_no_leverage():
    stats = compute_stats(np.zeros((3, 5)))
    assert stats["rank"] == 0 and stats["max_leverage"] == 0 and stats["stable_rank"] == 0
    assert stats["nnz"] == 0 and stats["r"] == 0


def test_row_norms_of_a_sparse_matrix_with_empty_rows_and_duplicates():
    # rows 0 and 3 empty, row 2 holds a duplicate entry that sums to 3 before squaring
    X = sp.coo_matrix(([1.0, 2.0, 1.0, 2.0], ([1, 2, 2, 4], [0, 1, 1, 3])), shape=(5, 4))
    np.testing.assert_array_equal(stats_module.row_sq_norms(X), [0, 1, 9, 0, 4])
    np.testing.assert_array_equal(stats_module.row_sq_norms(sp.csr_matrix((5, 4))), np.zeros(5))


def test_scale_to_r_refuses_a_zero_matrix():
    with pytest.raises(ValueError, match="^density"):
        scale_to_r(sp.csr_matrix((4, 4)), 0.1)


def test_stats_validate_their_input():
    with pytest.raises(ValueError, match="NaN"):
        compute_stats(np.array([[1.0, np.nan]]))
