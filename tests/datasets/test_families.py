"""Every synthetic family: determinism, exact r, and the property it is meant to stress."""

import math
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from attnbench.datasets import DatasetSpec, get_family, list_families, make_dataset
from attnbench.datasets.sparse import bernoulli_positions
from attnbench.linalg import BLOCK_BYTES

REAL = {"minilm", "minilm_attention", "hashed_ngrams"}  # real data: tested in their own files
SYNTHETIC = [name for name in list_families() if name not in REAL]


def generate(spec):
    """The family's unscaled X, as make_dataset draws it (no scaling, no statistics)."""
    return get_family(spec.family).generate(spec, np.random.default_rng(spec.seed))


@pytest.mark.parametrize("family", SYNTHETIC)
def test_same_spec_gives_the_same_bits_and_another_seed_other_data(family, small_spec, same_bits,
                                                                  dense):
    first, again = make_dataset(small_spec(family)), make_dataset(small_spec(family))
    assert same_bits(first.X, again.X) and first.stats == again.stats
    other = make_dataset(small_spec(family, seed=1))
    assert not np.array_equal(dense(first.X), dense(other.X))


@pytest.mark.parametrize("family", SYNTHETIC)
@pytest.mark.parametrize("r", [1e-6, 0.05, 1.0, 20.0, 1e3])
def test_realised_r_is_the_requested_r(family, r, small_spec, dense):
    data = make_dataset(small_spec(family, r=r))
    X = dense(data.X)
    assert abs(data.stats["r"] - r) <= 1e-12 * r
    assert abs(np.abs(X @ X.T).max() - r) <= 1e-12 * r
    # The scale is exact, so the rows scaled to r differ from r only by rounding.
    assert abs(np.einsum("ij,ij->i", X, X).max() - r) <= 1e-12 * r


@pytest.mark.parametrize("family", SYNTHETIC)
def test_shape_dtype_format_and_stats_agree(family, small_spec):
    data = make_dataset(small_spec(family, n=12, d=200))
    assert data.X.shape == (12, 200) and data.X.dtype == np.float64
    assert sp.issparse(data.X) == get_family(family).sparse
    assert data.stats["format"] == ("csr" if sp.issparse(data.X) else "dense")
    assert data.stats["n"] == 12 and data.stats["d"] == 200


def test_sparse_density_within_binomial_tolerance_over_seeds():
    # nnz ~ Binomial(N, p): each of 200 seeds within 5 sd (two-sided miss 5.7e-7 each),
    # and the sample variance over the seeds within the chi-square(199) 0.999 interval
    # [0.70, 1.35] of N p (1 - p), which an exact-count generator would fail.
    n, d, p, seeds = 16, 256, 0.1, 200
    N = n * d
    counts = np.array([generate(DatasetSpec("sparse", n, d, density=p, seed=s)).nnz
                       for s in range(seeds)])
    sd = math.sqrt(N * p * (1 - p))
    assert np.all(np.abs(counts - N * p) <= 5 * sd)
    assert 0.70 <= counts.var(ddof=1) / sd**2 <= 1.35
    assert abs(counts.mean() - N * p) <= 5 * sd / math.sqrt(seeds)


def test_sparse_positions_are_uniform_over_rows_and_columns():
    # Pooled over 50 seeds, every row and every column gets about the same count:
    # a Pearson chi-square over the n rows (n - 1 dof) stays below its 0.999 quantile.
    n, d, p = 32, 512, 0.05
    rows, cols = np.zeros(n), np.zeros(d)
    for seed in range(50):
        X = generate(DatasetSpec("sparse", n, d, density=p, seed=seed))
        rows += np.diff(X.indptr)
        cols += np.bincount(X.indices, minlength=d)
    chi_rows = ((rows - rows.mean()) ** 2 / rows.mean()).sum()
    chi_cols = ((cols - cols.mean()) ** 2 / cols.mean()).sum()
    assert chi_rows < 61.1  # chi2(31) 0.999 quantile
    assert chi_cols < 622.0  # chi2(511) 0.999 quantile


def test_sparse_matrix_is_canonical_csr():
    X = make_dataset(DatasetSpec("sparse", 40, 1000, density=0.2, seed=3)).X
    assert X.format == "csr" and X.has_canonical_format and X.indices.dtype == np.int32
    assert np.all(X.data != 0)


def test_sparse_density_one_fills_every_entry():
    X = make_dataset(DatasetSpec("sparse", 5, 7, density=1.0)).X
    assert X.nnz == 35 and X.has_canonical_format


def test_bernoulli_positions_cover_the_tail_when_the_first_draw_falls_short():
    # With p near 1 the first batch of gaps can end before `size`; the loop must go on.
    for seed in range(20):
        positions = bernoulli_positions(10_000, 0.999, np.random.default_rng(seed))
        assert np.all(np.diff(positions) > 0) and positions[-1] < 10_000
        assert positions.size > 9_950


def test_sparse_generation_memory_is_order_nnz():
    # n x d = 256 x 65536 is 128 MiB dense; at density 1e-3 the generator's peak must stay
    # a small multiple of nnz (~ 17k nonzeros, ~ 0.5 MiB), far below the dense size.
    spec = DatasetSpec("sparse", 256, 65536, density=1e-3)
    dense_bytes = 8 * spec.n * spec.d
    tracemalloc.start()
    try:
        X = generate(spec)
        _, generate_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        make_dataset(spec)
        _, total_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert generate_peak < 40 * X.nnz + 16 * spec.n + 2**16
    assert generate_peak < dense_bytes / 200
    # Statistics: the n x n Gram matrix and its eigenvectors, blocks of leverage scores.
    assert total_peak < 40 * X.nnz + 32 * spec.n**2 + 3 * BLOCK_BYTES
    assert total_peak < dense_bytes / 8


def test_coherent_has_high_coherence_and_gaussian_low():
    n, d = 64, 4096
    for seed in range(3):
        coherent = make_dataset(DatasetSpec("coherent", n, d, seed=seed)).stats
        gaussian = make_dataset(DatasetSpec("gaussian", n, d, seed=seed)).stats
        # Heavy leverage ~ s / (s + (1 - mass)/n) = 0.993 at s = 0.9/4, n = 64.
        assert coherent["max_leverage"] > 0.97
        assert gaussian["max_leverage"] < 3 * n / d
        assert gaussian["mean_leverage"] == pytest.approx(n / d, rel=1e-9)


def test_coherent_heavy_columns_carry_the_mass():
    spec = DatasetSpec("coherent", 32, 2000, params={"n_heavy": 3, "mass": 0.8})
    X = make_dataset(spec).X
    col_sq = np.sort(np.einsum("ij,ij->j", X, X))[::-1]
    assert col_sq[:3].sum() / col_sq.sum() == pytest.approx(0.8, rel=1e-12)
    np.testing.assert_allclose(col_sq[:3], col_sq[0], rtol=1e-12)


def test_lowrank_without_noise_has_rank_exactly_k():
    for k in (1, 3, 8):
        stats = make_dataset(DatasetSpec("lowrank", 32, 500, params={"k": k, "noise": 0.0})).stats
        assert stats["rank"] == k
        assert stats["mean_leverage"] * 500 == pytest.approx(k, rel=1e-9)
    noisy = make_dataset(DatasetSpec("lowrank", 32, 500, params={"k": 3, "noise": 0.1})).stats
    assert noisy["rank"] == 32


def test_heavy_tailed_column_norms_follow_zipf_exactly():
    for s in (0.0, 1.0, 2.0):
        X = make_dataset(DatasetSpec("heavy_tailed", 8, 500, params={"exponent": s})).X
        col_sq = np.sort(np.einsum("ij,ij->j", X, X))[::-1]
        ranks = np.arange(1, 501)
        np.testing.assert_allclose(col_sq / col_sq[0], ranks**-s, rtol=1e-12)


def test_duplicated_columns_repeat_copies_times():
    for d, copies in ((400, 8), (403, 8), (50, 1)):
        X = make_dataset(DatasetSpec("duplicated", 6, d, params={"copies": copies})).X
        _, counts = np.unique(X, axis=1, return_counts=True)
        distinct = math.ceil(d / copies)
        assert counts.size == distinct and counts.sum() == d
        assert counts.min() >= d // distinct and counts.max() <= -(-d // distinct)


def test_uniform_sampling_is_no_better_than_nothing_on_coherent_data():
    # The purpose of the family.  m = 128 uniform draws out of d = 1024 either miss the 4
    # heavy columns (probability (1 - 4/1024)^128 = 0.61) and leave their 90% of the
    # mass out, or hit one and blow it up by d/m = 8.  So on coherent data uniform's
    # error is never much below that of m = 0 (the uniform A(0)), and over 10 seeds its
    # mean is above it unless no seed hits (probability 0.61^10 = 0.007); on gaussian
    # data the same draws cut the error of m = 0 by a factor of about 5.
    from attnbench.algorithms import get_reducer
    from attnbench.metrics import AttentionReference, evaluate

    ratios = {"coherent": [], "gaussian": []}
    for seed in range(10):
        for family, found in ratios.items():
            X = make_dataset(DatasetSpec(family, 32, 1024, seed=seed)).X
            reference, error = AttentionReference(X), ["attn_err_inf"]
            zero = evaluate(reference, np.zeros((32, 0)), error)["attn_err_inf"]
            Y = get_reducer("uniform", n_components=128, random_state=seed).fit_transform(X)
            found.append(evaluate(reference, Y, error)["attn_err_inf"] / zero)
    assert min(ratios["coherent"]) > 0.9 and np.mean(ratios["coherent"]) > 1.0
    assert max(ratios["gaussian"]) < 0.5
