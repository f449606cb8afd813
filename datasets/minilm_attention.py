"""Family ``minilm_attention``: the real Q, K, V of all-MiniLM-L6-v2's self-attention.

In layer l (0..5), head h (0..11) of the model, with q, k, v the head's projections
(L x 32, biases included) of one sequence of L tokens, the attention output is
softmax(q k^T / sqrt(32)) v.  This family gives Q = q / 32^{1/4}, K = k / 32^{1/4}
and V = v (d = d_v = 32): the 1/sqrt(32) is split evenly, so that QK^T is the logit
matrix that the model exponentiates and [Q; K] keeps the model's balance of Q and K.
``head="all"`` puts the 12 heads side by side in the model's order (d = 384, the
layout of W_o's input); QK^T is then the SUM of the 12 heads' logits, which no head
uses: real data for QK^T at d = 384, not an attention of the model.

Rows are the first n tokens of one shipped paragraph (``paragraph``, default 2, the
longest: 214 tokens), which the model encoded as its own sequence ([CLS] and [SEP]
included).  When n is the paragraph's length, A(Q, K) V of one head is exactly the
model's attention output (a test checks it to 1e-10); for fewer tokens A(Q, K) is the
model's attention restricted to the first n keys, renormalised.  ``paragraph="all"``
takes the first n tokens of the whole text (up to 1369) as ``minilm`` does: rows of
different paragraphs then meet in logits that the model never formed.

Scale: with ``scale="r"`` (default) Q and K are multiplied by one factor so that
||QK^T||_inf = r, as for every asymmetric dataset; with ``scale="native"`` they keep
the model's logits, the spec's r must be 1.0 (a label), and the asymmetric runner
stores the realised max |q k^T| / sqrt(32) as the cell's ``stats.r``.  The symmetric
mode uses X = Q, scaled to r like every family.  d must be the full width, 32 or 384.
The data are not random: the seed changes nothing.

Stresses what synthetic data cannot: Q != K with the model's correlations, d = 32 well
below n, large logits (native max |QK^T| on paragraph 2: 4.6 to 67 per head, 61 to 107
for 'all'), and a real V.  Needs the
[real] extra and weights, like ``minilm``.
"""

from __future__ import annotations

import functools
from typing import ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from attnbench.datasets import minilm
from attnbench.datasets.generate import scale_pair_to_r
from attnbench.datasets.registry import FLOAT64_BYTES, Family, Param, register_family

N_HEADS, D_HEAD = 12, 32
D_MODEL = N_HEADS * D_HEAD
LONGEST = int(np.argmax(minilm.PARAGRAPH_TOKENS))
SCALES = ("r", "native")
QK_FACTOR = D_HEAD**-0.25  # on each of Q and K: their product carries the model's 1/sqrt(32)


@functools.cache
def paragraph_qkv(index):
    """Q, K, V of every layer and head of paragraph ``index``, (6, 3, 12, L, 32) float64
    (the model's 1/sqrt(32) split evenly on Q and K), read-only and shared by every spec
    of the process.  Kept in float64 so that A(Q, K) V is the model's output exactly."""
    # One BLAS thread: the products are small, and threads only contend (see minilm).
    with threadpool_limits(limits=1, user_api="blas"):
        _, _, layers = minilm.encoder().encode(minilm.token_ids()[index], attention=True)
    stack = np.array([(q * QK_FACTOR, k * QK_FACTOR, v) for q, k, v, _ in layers])
    stack.flags.writeable = False
    return stack


def qkv_rows(n, layer, head, paragraph):
    """(Q, K, V) of the first n tokens of ``paragraph`` (or of the text), one ``head``
    (n x 32 each) or all twelve side by side (n x 384 each); fresh arrays."""

    def rows(index, count):
        block = paragraph_qkv(index)[layer, :, :, :count]  # (3, heads, tokens, 32)
        block = block[:, head] if head != "all" else block.transpose(0, 2, 1, 3).reshape(
            3, block.shape[2], D_MODEL)
        return block.transpose(1, 0, 2)  # tokens first

    stacked = minilm.first_tokens(n, rows, None if paragraph == "all" else [paragraph])
    return tuple(np.ascontiguousarray(stacked[:, i]) for i in range(3))


def width(head):
    """Features of one head's Q, or of the twelve side by side."""
    return D_MODEL if head == "all" else D_HEAD


def tokens(paragraph):
    """Tokens available to the rows: one paragraph's, or the whole text's."""
    return minilm.TEXT_TOKENS if paragraph == "all" else minilm.PARAGRAPH_TOKENS[paragraph]


def _index_or_all(count):
    return lambda v: v == "all" or (isinstance(v, int) and 0 <= v < count)


@register_family("minilm_attention")
class MinilmAttention(Family):
    summary = ("real all-MiniLM-L6-v2 attention Q, K, V of shipped text, per head (d = 32) "
               "or all heads (d = 384) (extra [real])")
    params: ClassVar[dict[str, Param]] = {
        "layer": Param(0, "attention layer 0..5", (int,), lambda v: 0 <= v < minilm.N_LAYERS,
                       "in 0..5"),
        "head": Param("all", "head 0..11 (d = 32), or 'all' (the 12 side by side, d = 384)",
                      (int, str), _index_or_all(N_HEADS), "in 0..11 or 'all'"),
        "paragraph": Param(LONGEST, "shipped paragraph 0..9 whose tokens are the rows (default: "
                           "the longest), or 'all' (the text's first n tokens)", (int, str),
                           _index_or_all(len(minilm.PARAGRAPH_TOKENS)), "in 0..9 or 'all'"),
        "scale": Param("r", "'r' (||QK^T||_inf = r) or 'native' (the model's logits; r = 1.0)",
                       (str,), lambda v: v in SCALES, "'r' or 'native'"),
    }

    def check(self, spec):
        super().check(spec)
        p = spec.param_dict
        available = tokens(p["paragraph"])
        if spec.n > available:
            raise ValueError(
                f"n: minilm_attention paragraph={p['paragraph']!r} has {available} tokens, so "
                f"n <= {available}, got {spec.n}."
            )
        if spec.d != width(p["head"]):
            raise ValueError(
                f"d: minilm_attention head={p['head']!r} has exactly {width(p['head'])} features "
                f"(32 per head, 384 for 'all'), got {spec.d}."
            )
        if p["scale"] == "native" and spec.r != 1.0:
            raise ValueError(
                f"r: with scale='native' the logits are the model's own and r is measured, not "
                f"chosen; set r = 1.0 (a label), got {spec.r!r}."
            )

    def _rows(self, spec):
        minilm.require_extra()
        p = spec.param_dict
        return qkv_rows(spec.n, p["layer"], p["head"], p["paragraph"])

    def generate(self, spec, rng):
        return self._rows(spec)[0]

    def qkv(self, spec, rng):
        Q, K, V = self._rows(spec)
        if spec.param_dict["scale"] == "r":
            Q, K = scale_pair_to_r(Q, K, spec.r)
        return Q, K, V

    def estimate_bytes(self, spec):
        # The weights and one forward pass, every layer's Q, K, V of the paragraphs
        # used, and the n x d working copies of Q, K, V and their scaled versions.
        cached = 3 * minilm.N_LAYERS * D_MODEL * tokens(spec.param_dict["paragraph"])
        return minilm.MODEL_BYTES + FLOAT64_BYTES * (cached + 6 * spec.n * spec.d)
