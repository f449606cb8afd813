"""The one-pass sparse-embedding kernels, the counter-based normals and the sampling draws."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from _matrices import layouts, one_blas_thread  # noqa: F401
from attnbench.algorithms import get_reducer
from attnbench.algorithms._kernels import apply_sparse_embedding, draw_counts
from attnbench.algorithms._normals import normal_rows
from attnbench.algorithms._sparse_embedding import embedding_matrix
from attnbench.algorithms.base import distinct_draws
from attnbench.validation import check_matrix


def sparse_X(n, d, seed, density=0.3):
    rng = np.random.default_rng(seed)
    return sp.random(n, d, density=density, random_state=rng, data_rvs=rng.standard_normal)


@pytest.mark.parametrize("s", [1, 3])
@pytest.mark.parametrize("n", [1, 6, 7, 8, 19])
def test_embedding_is_X_times_S_bitwise_in_every_layout(s, n):
    X = sparse_X(n, 300, seed=n).toarray()
    S = embedding_matrix(s, 300, 12 * s, s).toarray()
    assert np.all((S != 0).sum(axis=1) == s) and np.all(np.abs(S[S != 0]) == 1 / np.sqrt(s))
    # One nonzero in each block of 12 columns.
    assert np.all((S.reshape(300, s, 12) != 0).sum(axis=2) == 1)
    outputs = {k: apply_sparse_embedding(Xk, s, 12 * s, s) for k, Xk in layouts(X).items()}
    np.testing.assert_allclose(outputs["C"], X @ S, rtol=1e-13, atol=1e-13)
    for name, Y in outputs.items():
        assert Y.dtype == np.float64 and Y.shape == (n, 12 * s)
        assert np.array_equal(Y, outputs["C"]), name


def non_canonical(X, fmt):
    """X in CSR or CSC with every entry stored as two halves, in reverse index order."""
    X = X.asformat(fmt)
    data, indices, indptr = [], [], [0]
    for start, stop in zip(X.indptr[:-1], X.indptr[1:]):
        half, where = X.data[start:stop][::-1] / 2, X.indices[start:stop][::-1]
        data += [half, half]
        indices += [where, where]
        indptr.append(indptr[-1] + 2 * (stop - start))
    return type(X)((np.concatenate(data), np.concatenate(indices), indptr), shape=X.shape)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_non_canonical_sparse_input_gives_the_canonical_result(fmt):
    X = sparse_X(5, 40, seed=1)
    messy = non_canonical(X, "csr").tocoo() if fmt == "coo" else non_canonical(X, fmt)
    assert fmt == "coo" or not messy.has_canonical_format
    expected = apply_sparse_embedding(X.toarray(), 0, 8, 2)
    np.testing.assert_array_equal(apply_sparse_embedding(messy, 0, 8, 2), expected)


def test_float32_input_accumulates_in_float64():
    X = sparse_X(4, 500, seed=2).toarray().astype(np.float32)
    Y = apply_sparse_embedding(X, 3, 16, 1)
    S = embedding_matrix(3, 500, 16, 1)
    assert Y.dtype == np.float64
    np.testing.assert_allclose(Y, X.astype(np.float64) @ S.toarray(), rtol=1e-13, atol=1e-12)


def test_sparse_input_is_hashed_where_it_has_entries_whatever_d():
    """S depends on (key, j) only: CSR input costs O(s nnz(X)), so a 2^40-feature X with
    a few entries embeds like its first 64 features, and no d-sized array is made."""
    small = sparse_X(3, 64, seed=6, density=0.2).tocsr()
    huge = sp.csr_matrix((small.data, small.indices, small.indptr), shape=(3, 2**40))
    for s in (1, 3):
        expected = apply_sparse_embedding(small.toarray(), 9, 6 * s, s)
        np.testing.assert_array_equal(apply_sparse_embedding(huge, 9, 6 * s, s), expected)
    Y = get_reducer("countsketch", n_components=8, random_state=0).fit_transform(huge)
    assert Y.shape == (3, 8) and np.any(Y)


def test_codes_are_uniform_and_signs_fair():
    """Each feature lands in each column of its block with probability 1/block and gets
    each sign with probability 1/2: chi-square over 2^16 features, and the sign count
    within 5 standard deviations."""
    S = embedding_matrix(123, 2**16, 64, 4).tocoo()
    columns = np.bincount(S.col, minlength=64)
    assert stats.chisquare(columns).pvalue > 1e-3
    assert abs((S.data > 0).sum() - S.nnz / 2) < 5 * np.sqrt(S.nnz / 4)
    other = embedding_matrix(124, 2**16, 64, 4)
    assert (other != S.tocsr()).nnz > 0.9 * S.nnz


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layout", ["C", "F", "csr", "csc", "coo"])
def test_fit_transform_finds_nan_and_inf_in_its_own_pass(layout, bad):
    """fit_transform skips validation's finiteness read; the kernel's pass must raise the
    very error that validation raises, in every layout and at m = 0."""
    X = sparse_X(5, 60, seed=7).toarray()
    X[3, 41] = bad
    Xk = layouts(X)[layout]
    with pytest.raises(ValueError) as expected:
        check_matrix(Xk)
    for name, params in [
        ("countsketch", {"n_components": 8}),
        ("countsketch", {"n_components": 0}),
        ("osnap", {"n_components": 8, "s": 2}),
        ("leverage_fast", {"n_components": 20}),
    ]:
        with pytest.raises(ValueError) as raised:
            get_reducer(name, random_state=0, **params).fit_transform(Xk)
        assert str(raised.value) == str(expected.value), name
    # Finite X whose sketch overflows is valid input, as it is for validation.
    huge = np.full((2, 4), 1e308)
    Y = get_reducer("countsketch", n_components=1, random_state=0).fit_transform(huge)
    assert np.isinf(Y).all()


def test_sketch_sizes_the_codes_cannot_hold_are_refused_at_fit():
    X = sparse_X(3, 20, seed=8)
    with pytest.raises(ValueError, match="n_components must be below 2\\^31"):
        get_reducer("countsketch", n_components=2**31, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"n_components \(3\) must be at least s \(4\)"):
        apply_sparse_embedding(X.tocsr(), 0, 3, 4)


@pytest.mark.parametrize("name,params", [("countsketch", {}), ("osnap", {"s": 4})])
def test_sketch_reducers_apply_their_components(name, params):
    X = sparse_X(8, 200, seed=4)
    reducer = get_reducer(name, n_components=20, random_state=5, **params).fit(X)
    Y = reducer.transform(X)
    np.testing.assert_allclose(
        Y, X.toarray() @ reducer.components_.toarray(), rtol=1e-13, atol=1e-13
    )
    assert get_reducer(name, n_components=0, random_state=5, **params).fit_transform(X).shape == (
        8,
        0,
    )


def test_blocks_of_unequal_width_when_s_does_not_divide_m():
    """m = 10 columns in s = 4 blocks [0, 2), [2, 5), [5, 7), [7, 10): an explicit size is
    kept, each feature has one nonzero in each block, every column is used, every layout
    gives the same Y; below s, one nonzero a column."""
    X = sparse_X(6, 3000, seed=2)
    reducer = get_reducer("osnap", n_components=10, s=4, random_state=1).fit(X)
    S = reducer.components_.tocsr()
    assert reducer.n_components_ == 10 and S.shape == (3000, 10)
    bounds = np.array([0, 2, 5, 7, 10])
    for j in range(0, 3000, 97):
        columns = np.sort(S.indices[S.indptr[j] : S.indptr[j + 1]])
        assert list(np.searchsorted(bounds, columns, side="right") - 1) == [0, 1, 2, 3]
    assert set(S.indices) == set(range(10))
    Ys = [reducer.transform(Xk) for Xk in layouts(X.toarray()).values()]
    for Y in Ys[1:]:
        np.testing.assert_array_equal(Y, Ys[0])
    small = get_reducer("osnap", n_components=3, s=4, random_state=1).fit(X)
    assert small.n_components_ == 3 and small.nonzeros_per_feature_ == 3


def test_normal_rows_do_not_depend_on_the_blocking():
    whole = normal_rows(11, 0, 50, 7)
    pieces = np.vstack([normal_rows(11, 0, 13, 7), normal_rows(11, 13, 37, 7)])
    assert whole.dtype == np.float32
    np.testing.assert_array_equal(whole, pieces)
    # Odd m keeps the cosine of each row's last pair: the first m-1 entries match m+1.
    np.testing.assert_array_equal(normal_rows(11, 0, 50, 8)[:, :7], whole)
    assert not np.array_equal(normal_rows(12, 0, 50, 7), whole)
    # A float64 block holds the same float32 values, exactly.
    np.testing.assert_array_equal(normal_rows(11, 0, 50, 7, out=np.empty((50, 7))), whole)


def test_normal_rows_are_standard_normal():
    # Kolmogorov-Smirnov on 20 keys x 50,000 draws: under N(0, 1) each p-value is uniform,
    # so p < 0.01 happens Binomial(20, 0.01) times; more than 2 has probability 1e-3.
    rejections = 0
    for key in range(20):
        x = normal_rows(key, 0, 100, 500).astype(np.float64).ravel()
        rejections += stats.kstest(x, "norm").pvalue < 0.01
    assert rejections <= 2
    x = normal_rows(99, 0, 2000, 1000).astype(np.float64)
    N = x.size
    assert abs(x.mean()) < 5 / np.sqrt(N)
    assert abs(x.var() - 1) < 5 * np.sqrt(2 / N)
    # The cosine and sine of one pair are independent: no correlation.
    assert abs(np.corrcoef(x[:, 0::2].ravel(), x[:, 1::2].ravel())[0, 1]) < 5 / np.sqrt(N / 2)
    # Tails: P(|z| > 3) = 0.0027, within 5 binomial standard deviations.
    tail = np.mean(np.abs(x) > 3)
    p3 = 2 * stats.norm.sf(3)
    assert abs(tail - p3) < 5 * np.sqrt(p3 * (1 - p3) / N)


def test_draw_counts_put_a_uniform_on_a_cdf_point_in_the_next_interval():
    # Ties: u equal to cdf points (a draw is #{cdf_i <= u}), repeated points (p_i = 0).
    cdf = np.array([0.125, 0.25, 0.25, 0.25, 0.5, 0.875, 0.875, 1.0])
    u = np.concatenate([cdf[:-1], [0.0, 0.1, 0.3, 0.874999, 0.99], np.linspace(0, 1, 64)[:-1]])
    want = np.bincount(cdf.searchsorted(u, side="right"), minlength=cdf.size)
    np.testing.assert_array_equal(draw_counts(cdf, u), want)


@pytest.mark.parametrize("cdf", [np.array([0.5, 0.9]), np.array([0.5, np.nan]), np.empty(0)])
def test_draw_counts_reject_a_cdf_that_does_not_end_at_one(cdf):
    with pytest.raises(ValueError, match="last entry is exactly 1"):
        draw_counts(cdf, np.array([0.95]))


@pytest.mark.parametrize("power", [4, 40])  # 40: most of the mass on a few columns
@pytest.mark.parametrize(("d", "s"), [(40, 1000), (1000, 40), (300, 300), (1, 5), (9, 0), (3000, 20000)])
def test_distinct_draws_are_those_of_rng_choice(d, s, power):
    rng = np.random.default_rng(d + s)
    p = rng.random(d) ** power
    p[1::3] = 0.0  # columns that are never drawn
    p /= p.sum()
    selected, counts = distinct_draws(np.random.default_rng(7), p, s)
    draws = np.random.default_rng(7).choice(d, size=s, p=p)
    expected = np.unique(draws, return_counts=True)
    for got, want in zip((selected, counts), expected, strict=True):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
