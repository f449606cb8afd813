"""The minilm_attention family: spec checks (always); with the [real] extra and weights,
that its Q, K, V are the model's (A(Q, K) V equals the attention output inside the
forward pass), their layout and scales, and an asymmetric sweep over every reducer."""

import importlib.util

import numpy as np
import pytest

from _support import builtin_reducers, minilm_available
from attnbench.datasets import DatasetSpec, make_dataset, make_qkv, minilm
from attnbench.datasets import minilm_attention as family
from attnbench.linalg import attention

needs_extra = pytest.mark.skipif(
    not minilm_available(),
    reason=f"minilm needs the [real] extra and weights: {minilm.INSTALL_HINT}",
)
EXACT = 1e-10  # float64 round-off of products of size <= 384


def spec(n=36, head=0, layer=1, paragraph=0, scale="native", r=1.0, **fields):
    return DatasetSpec("minilm_attention", n, family.width(head), r=r, params={
        "layer": layer, "head": head, "paragraph": paragraph, "scale": scale}, **fields)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n": 215, "params": {"paragraph": 2}}, "n"),
        ({"n": minilm.TEXT_TOKENS + 1, "params": {"paragraph": "all"}}, "n"),
        ({"d": 64}, "d"),
        ({"d": 32, "params": {"head": "all"}}, "d"),
        ({"params": {"layer": 6}}, "params.layer"),
        ({"params": {"layer": "all"}}, "params.layer"),
        ({"params": {"head": 12}}, "params.head"),
        ({"params": {"paragraph": 10}}, "params.paragraph"),
        ({"params": {"scale": "temperature"}}, "params.scale"),
        ({"r": 0.5, "params": {"scale": "native"}}, "r"),
        ({"density": 0.5}, "density"),
    ],
)
def test_bad_spec_names_the_field(kwargs, field):
    fields = {"family": "minilm_attention", "n": 16, "d": 384, **kwargs}
    with pytest.raises(ValueError) as error:
        DatasetSpec(**fields)
    assert str(error.value).startswith(field), str(error.value)


def test_defaults_need_no_extra():
    default = DatasetSpec("minilm_attention", 214, 384)
    assert default.param_dict == {"head": "all", "layer": 0, "paragraph": 2, "scale": "r"}
    assert minilm.PARAGRAPH_TOKENS[2] == max(minilm.PARAGRAPH_TOKENS)
    assert DatasetSpec.from_dict(default.to_dict()) == default


def test_families_without_a_triple_give_none(small_spec):
    assert make_qkv(small_spec("gaussian")) is None


def test_missing_extra_says_how_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tokenizers" else real_find_spec(name, *a))
    with pytest.raises(minilm.MissingExtraError, match=r'pip install "attnbench\[real\]"'):
        make_qkv(spec())


@pytest.fixture(scope="module")
def forward():
    """encode(..., attention=True) of paragraph 0, the one the tests use."""
    return minilm.encoder().encode(minilm.token_ids()[0], attention=True)


@needs_extra
def test_paragraph_lengths_match_the_tokenizer():
    assert tuple(len(ids) for ids in minilm.token_ids()) == minilm.PARAGRAPH_TOKENS


@needs_extra
def test_recording_attention_leaves_the_forward_pass_unchanged(forward, same_bits):
    ffn, hidden = minilm.encoder().encode(minilm.token_ids()[0])
    recorded_ffn, recorded_hidden, layers = forward
    assert all(same_bits(a, b) for a, b in zip(ffn, recorded_ffn, strict=True))
    assert same_bits(hidden, recorded_hidden) and len(layers) == minilm.N_LAYERS


@needs_extra
@pytest.mark.parametrize("layer", range(minilm.N_LAYERS))
def test_attention_of_q_k_v_is_the_models_attention_output(forward, layer):
    """A(Q, K) V, with the harness's A, equals each head's part of the output that the
    forward pass multiplies by W_o (the whole paragraph, so the rows are the model's)."""
    context = forward[2][layer][3]
    for head in range(family.N_HEADS):
        Q, K, V = make_qkv(spec(head=head, layer=layer))
        expected = context[:, head * family.D_HEAD:(head + 1) * family.D_HEAD]
        np.testing.assert_allclose(attention(Q @ K.T) @ V, expected, rtol=0, atol=EXACT)


@needs_extra
def test_native_logits_are_the_models_and_r_scale_is_one_common_factor(forward):
    q, k, _, _ = forward[2][3]
    for head in (0, 5, "all"):
        native = make_qkv(spec(head=head, layer=3))
        Q, K, _ = native
        logits = sum(q[h] @ k[h].T for h in (range(12) if head == "all" else [head])) / np.sqrt(32)
        np.testing.assert_allclose(Q @ K.T, logits, rtol=0, atol=EXACT * np.abs(logits).max())
        Qr, Kr, Vr = make_qkv(spec(head=head, layer=3, scale="r", r=0.7))
        assert np.abs(Qr @ Kr.T).max() == pytest.approx(0.7, rel=1e-12)
        factor = np.sqrt(0.7 / np.abs(logits).max())
        np.testing.assert_allclose(np.hstack([Qr, Kr]), np.hstack([Q, K]) * factor, rtol=1e-12)
        np.testing.assert_array_equal(Vr, native[2])


@needs_extra
def test_all_heads_are_the_heads_side_by_side_in_the_models_order():
    together = make_qkv(spec(head="all", layer=4))
    for head in range(family.N_HEADS):
        columns = slice(head * family.D_HEAD, (head + 1) * family.D_HEAD)
        for whole, part in zip(together, make_qkv(spec(head=head, layer=4)), strict=True):
            np.testing.assert_array_equal(whole[:, columns], part)


@needs_extra
def test_rows_are_the_first_tokens_of_a_paragraph_or_of_the_text(same_bits):
    first = make_qkv(spec(n=36, paragraph=0))
    second = make_qkv(spec(n=10, paragraph=1))
    text = make_qkv(spec(n=46, paragraph="all"))
    for whole, head_rows, tail in zip(text, first, second, strict=True):
        assert same_bits(whole, np.vstack([head_rows, tail]))
        assert whole.shape == (46, 32) and whole.flags.c_contiguous
    prefix = make_qkv(spec(n=20, paragraph=1))
    assert all(same_bits(a[:10], b) for a, b in zip(prefix, second, strict=True))


@needs_extra
def test_symmetric_mode_uses_q_as_x_and_the_seed_changes_nothing(same_bits):
    r = 0.3
    Q = make_qkv(spec(head="all", scale="r", r=r))[0]
    data = make_dataset(spec(head="all", scale="r", r=r))
    np.testing.assert_allclose(data.X, Q * np.sqrt(r / np.einsum("ij,ij->i", Q, Q).max()),
                               rtol=1e-12)
    other_seed = make_qkv(spec(head="all", scale="r", r=r, seed=7))
    assert all(same_bits(a, b) for a, b in zip(make_qkv(spec(head="all", scale="r", r=r)),
                                                other_seed, strict=True))


@needs_extra
def test_recomputing_the_forward_pass_gives_the_same_bits(same_bits):
    before = make_qkv(spec(head="all", layer=5))
    family.paragraph_qkv.cache_clear()
    minilm.encoder.cache_clear()
    assert all(same_bits(a, b) for a, b in zip(before, make_qkv(spec(head="all", layer=5)),
                                                strict=True))


SWEEP = """
name = "minilm-attention"
[settings]
repeats = 1
warmup = 0
attention = "asymmetric"
[[experiment]]
name = "e"
[experiment.datasets]
family = "minilm_attention"
n = 36
paragraph = 0
layer = 2
head = [0, "all"]
d = [32, 384]
scale = ["r", "native"]
r = [0.5, 1.0]
zipped = [["head", "d"], ["scale", "r"]]
# The embeddings' "auto" sizes (thousands of columns and more) and BSS's many barrier
# steps at eps = 0.5 only cost time here.
[experiment.reducers]
gaussian = { n_components = 64 }
sparse_sign = { n_components = 64 }
countsketch = { n_components = 64 }
osnap = { n_components = 64 }
bss = { eps = 0.9 }
bss_hybrid = { eps = 0.9 }
"""
# Every other built-in reducer with its defaults (not all_reducers: that would add the
# third-party plug-ins installed in the environment).
SWEEP += "".join(f"{name} = {{}}\n" for name in builtin_reducers() if f"\n{name} = " not in SWEEP)


@needs_extra
def test_asymmetric_sweep_runs_every_reducer_and_svd_is_exact(tmp_path, forward):
    from attnbench import api
    from attnbench.sweep.config import parse_config

    store = tmp_path / "sweep.sqlite"
    df = api.load_cells(store, api.run(parse_config(SWEEP), store, cache_dir=str(tmp_path)))
    assert (df["status"] == "ok").all(), df["error"].dropna().tolist()
    assert set(df["reducer"]) == set(builtin_reducers()) and len(df) == 4 * len(set(df["reducer"]))
    svd = df[df["reducer"] == "svd"]
    assert (svd["logit_err_frob"] < 1e-12).all() and (svd["skill"] > 1 - 1e-9).all()
    scale = df["dataset.params"].map(lambda p: p["scale"])
    zero = df[(df["reducer"] == "zero") & (scale == "r")]  # its logit error is max |QK^T|
    np.testing.assert_allclose(zero["gram_err_over_r"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(df.loc[scale == "r", "stats.r"], 0.5, rtol=1e-12)
    q, k, _, _ = forward[2][2]
    native = {0: np.abs(q[0] @ k[0].T).max() / np.sqrt(32),
              "all": np.abs(np.einsum("hid,hjd->ij", q, k)).max() / np.sqrt(32)}
    for _, row in df[scale == "native"].iterrows():
        assert row["stats.r"] == pytest.approx(native[row["dataset.params"]["head"]], rel=1e-12)
