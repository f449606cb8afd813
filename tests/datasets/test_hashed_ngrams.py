"""The hashed_ngrams family: real sparse text features with d >> n.

The reference for its values is exact: at d = 2^30 no two n-grams of a few hundred
sentences share a bucket, so XX^T must equal the cosine Gram matrix of scikit-learn's
(unhashed) CountVectorizer counts, averaged over the two analyzers.
"""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from attnbench.cli import main
from attnbench.datasets import (
    DatasetSpec,
    cache_path,
    get_family,
    hashed_ngrams,
    load_dataset,
    make_dataset,
)

SENTENCES, WORDS = 720, 17_858  # units of the shipped text, as the module docstring says
NO_COLLISIONS = 2**30


def spec(n, d=2**20, seed=0, r=0.05, **params):
    return DatasetSpec("hashed_ngrams", n, d, r=r, seed=seed, params=params)


def generate(spec):
    """The unscaled X, as make_dataset draws it."""
    return get_family("hashed_ngrams").generate(spec, np.random.default_rng(spec.seed))


def chosen_units(n, seed, unit="sentence"):
    """The units that the seed takes, in text order."""
    every = hashed_ngrams.units(unit)
    return [every[i] for i in np.sort(np.random.default_rng(seed).choice(len(every), n,
                                                                          replace=False))]


def gram(X):
    """XX^T (dense), multiplied on the columns that X uses: at d = 2^30, X @ X.T would
    build an index of length d (4 GiB)."""
    used, columns = np.unique(X.indices, return_inverse=True)
    compact = sp.csr_matrix((X.data, columns, X.indptr), shape=(X.shape[0], used.size))
    return (compact @ compact.T).toarray()


def cosine_gram(texts, **vectorizer):
    """The Gram matrix of the l2-normalised n-gram counts (no hashing)."""
    counts = normalize(CountVectorizer(**vectorizer).fit_transform(texts).astype(np.float64))
    return (counts @ counts.T).toarray(), counts.getnnz(axis=1)


def test_unit_counts_are_those_documented():
    assert len(hashed_ngrams.units("sentence")) == SENTENCES
    assert len(hashed_ngrams.units(1)) == WORDS
    assert len(hashed_ngrams.units(4)) == WORDS // 4 == 4464
    windows = hashed_ngrams.units(5)
    assert all(len(window.split()) == 5 for window in windows)
    assert tuple(" ".join(windows).split()) == hashed_ngrams.units(1)[: 5 * len(windows)]


def test_every_shipped_text_feeds_the_units():
    names = hashed_ngrams._texts.text_files()
    assert {"public_domain.txt", "poetry.txt", "prose.txt", "scripture.txt",
            "us_documents.txt"} <= set(names)
    sentences = hashed_ngrams.units("sentence")
    assert sentences[0].startswith("Once upon a midnight dreary")  # poetry.txt comes first
    assert any(s.startswith("Four score and seven years ago") for s in sentences)
    assert not any("#" in s for s in sentences)  # note lines are not data
    assert any(s.startswith("Mr. Bennet was so odd") for s in sentences)  # "Mr." ends none


def test_values_are_the_exact_cosine_gram_when_no_buckets_collide():
    n, seed = 200, 3
    X = generate(spec(n, NO_COLLISIONS, seed))
    texts = chosen_units(n, seed)
    words, word_nnz = cosine_gram(texts, ngram_range=(1, 2))
    chars, char_nnz = cosine_gram(texts, analyzer="char_wb", ngram_range=(3, 5))
    np.testing.assert_allclose(gram(X), (words + chars) / 2, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(np.diff(X.indptr), word_nnz + char_nnz)


@pytest.mark.parametrize("words, chars", [(1, 0), (3, 0), (0, 3), (0, 8), (1, 4)])
def test_each_analyzer_mix_hashes_its_own_ngrams(words, chars):
    n, seed = 60, 5
    X = generate(spec(n, NO_COLLISIONS, seed, words=words, chars=chars))
    texts = chosen_units(n, seed)
    parts = [cosine_gram(texts, ngram_range=(1, words))] if words else []
    if chars:
        parts.append(cosine_gram(texts, analyzer="char_wb", ngram_range=(3, chars)))
    expected = sum(gram for gram, _ in parts) / len(parts)
    np.testing.assert_allclose(gram(X), expected, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(np.diff(X.indptr), sum(nnz for _, nnz in parts))


def test_collisions_shrink_as_d_grows():
    # Signed hashing keeps inner products unbiased; their error falls as buckets are
    # added (mean |error| measured: 2.6e-2, 5.7e-3, 4.7e-4 at d = 2^10, 2^14, 2^20).
    n = 200
    exact = gram(generate(spec(n, NO_COLLISIONS)))
    errors = []
    for d in (2**10, 2**14, 2**20):
        X = generate(spec(n, d))
        errors.append(np.abs(gram(X) - exact).mean())
    assert errors[0] > 3 * errors[1] > 9 * errors[2] > 0


@pytest.mark.parametrize("params", [{}, {"unit": 4}, {"unit": 32, "chars": 0}])
def test_shape_format_density_and_exact_r(params):
    n, d, r = 300, 2**20, 0.05
    data = make_dataset(spec(n, d, r=r, **params))
    X = data.X
    assert sp.issparse(X) and X.format == "csr" and X.shape == (n, d)
    assert X.dtype == np.float64 and X.indices.dtype == np.int32 and X.has_canonical_format
    assert np.all(X.data != 0) and data.stats["nnz"] == X.nnz and data.stats["format"] == "csr"
    # d >> n and sparse: tens to hundreds of n-grams per unit among 2^20 buckets.
    assert 10 <= X.nnz / n <= 1000 and X.nnz / (n * d) < 1e-3
    # Signed hashing: about half of the values are negative.
    assert 0.4 < np.mean(X.data < 0) < 0.6
    norms = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    assert abs(norms.max() - r) <= 1e-12 * r and abs(data.stats["r"] - r) <= 1e-12 * r
    # Every row is l2-normalised before scaling, so every token's logit with itself is r
    # up to the rare bucket shared by a word and a character n-gram of one unit.
    assert np.all(norms > 0.95 * r)


def test_frequent_ngrams_make_heavy_columns():
    # Zipf: buckets such as the word 'the' are in most rows, so sum_i nnz(X_i)^2 is far
    # above its value for the same nnz spread evenly (nnz^2 / d); measured 10.2e6 vs 3e4.
    X = generate(spec(700))
    column_nnz = np.bincount(X.indices).astype(np.int64)
    assert np.sum(column_nnz**2) > 100 * X.nnz**2 / X.shape[1]
    assert column_nnz.max() > 700 / 2  # some n-gram is in most sentences


@pytest.mark.parametrize("params, per_row, most_shared", [
    ({}, 255, 0.85), ({"words": 1, "chars": 0}, 19, 0.68), ({"unit": 4}, 48, 0.43)])
def test_density_is_what_the_readme_says(params, per_row, most_shared):
    # The hash is fixed (MurmurHash3, seed 0), so these are exact properties of the text.
    count = len(hashed_ngrams.units(params.get("unit", "sentence")))
    X = generate(spec(count, **params))
    assert round(X.nnz / count) == per_row
    assert round(np.bincount(X.indices).max() / count, 2) == most_shared


def test_buckets_whose_counts_cancel_are_not_stored():
    # In 16 buckets many signed counts cancel to exactly 0; those entries are dropped.
    X = generate(spec(SENTENCES, 16, words=1, chars=0))
    assert X.nnz == np.count_nonzero(X.toarray()) and np.all(X.data != 0)


def test_same_seed_same_bits_and_the_seed_picks_the_units(same_bits):
    first, again = make_dataset(spec(100, seed=7)), make_dataset(spec(100, seed=7))
    assert same_bits(first.X, again.X) and first.stats == again.stats
    other = make_dataset(spec(100, seed=8)).X
    assert (first.X != other).nnz > 0
    # The rows of a seed are the rows of the whole text that its draw picks, in text order.
    whole = generate(spec(SENTENCES))
    picked = np.sort(np.random.default_rng(7).choice(SENTENCES, 100, replace=False))
    assert same_bits(generate(spec(100, seed=7)), whole[picked])
    # With every unit taken, there is nothing left for the seed to choose.
    assert same_bits(generate(spec(SENTENCES, seed=1)), whole)


def test_cache_round_trip(private_cache, same_bits):
    data_spec = spec(120, 2**18, unit=8)
    written = load_dataset(data_spec)
    path = cache_path(data_spec)
    assert path.exists() and path.parent == private_cache
    read = load_dataset(data_spec)
    assert read.stats == written.stats and same_bits(read.X, written.X)
    assert same_bits(read.X, make_dataset(data_spec).X)


def test_generation_holds_no_dense_n_by_d_or_length_d_array():
    # n x d = 2048 x 2^22 is 64 GiB dense and one float64 vector of length d is 32 MiB;
    # generation must stay O(nnz): measured about 37 bytes per nonzero (7 MiB).
    data_spec = spec(2048, 2**22, unit=8)
    hashed_ngrams.units(8)  # the text itself is read once per process, not per spec
    tracemalloc.start()
    try:
        X = generate(data_spec)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * X.nnz
    assert peak < 8 * data_spec.d / 2
    assert get_family("hashed_ngrams").estimate_bytes(data_spec) >= peak


@pytest.mark.parametrize(
    "kwargs, field, says",
    [
        ({"n": SENTENCES + 1}, "n", f"has {SENTENCES} sentences"),
        ({"n": 4465, "params": {"unit": 4}}, "n", "has 4464 windows of 4 words"),
        ({"d": 3000}, "d", "power of two"),
        ({"d": 2**31}, "d", "2^30"),
        ({"density": 0.01}, "density", "density that its text gives"),
        ({"params": {"words": 0, "chars": 0}}, "params", "no features"),
        ({"params": {"words": 6}}, "params.words", "in 0..5"),
        ({"params": {"chars": 2}}, "params.chars", "0 or in 3..8"),
        ({"params": {"unit": 0}}, "params.unit", "'sentence' or >= 1"),
        ({"params": {"unit": "paragraph"}}, "params.unit", "'sentence' or >= 1"),
    ],
)
def test_bad_spec_names_the_field_and_what_it_takes(kwargs, field, says):
    with pytest.raises(ValueError) as error:
        DatasetSpec(**{"family": "hashed_ngrams", "n": 16, "d": 2**20, **kwargs})
    message = str(error.value)
    assert message.startswith(field) and says in message, message


def test_listed_by_the_command_line():
    result = CliRunner().invoke(main, ["list", "datasets"])
    assert result.exit_code == 0 and "hashed_ngrams" in result.output
