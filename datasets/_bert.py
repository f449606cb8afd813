"""A NumPy forward pass of a BERT encoder (Devlin et al. 2019), float64, inference only.

For token ids t_1..t_L of one sequence (type 0, no padding, L <= 512):

    h_0 = LN(E_word[t] + E_pos[0..L-1] + E_type[0])
    for each layer l = 1..6:
        Q, K, V = h W_q^T + b_q, h W_k^T + b_k, h W_v^T + b_v      (12 heads of 32)
        a       = LN(h + concat_heads(softmax(Q K^T / sqrt(32)) V) W_o^T + b_o)
        f_l     = GELU(a W_i^T + b_i)                              (L x 1536, erf GELU)
        h_l     = LN(a + f_l W_2^T + b_2)

LN is LayerNorm with eps 1e-12.  ``encode`` returns every f_l (the FFN intermediate
activations) and h_6 (the token embeddings that sentence-transformers mean-pools).
Cost per layer: O(L d_model^2 + L^2 d_model + L d_model d_ff).  Weights are the
Hugging Face ``BertModel`` names as stored in a safetensors file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.special import erf

EMBEDDING_TABLES = ("embeddings.word_embeddings.weight",
                    "embeddings.position_embeddings.weight",
                    "embeddings.token_type_embeddings.weight")


class BertEncoder:
    """The encoder of ``config.json`` and ``model.safetensors`` in ``model_dir``."""

    def __init__(self, model_dir):
        from safetensors.numpy import load_file

        model_dir = Path(model_dir)
        config = json.loads((model_dir / "config.json").read_text())
        self.n_layers = config["num_hidden_layers"]
        self.n_heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.max_length = config["max_position_embeddings"]
        # The embedding tables stay float32 (rows are cast as they are gathered); the
        # encoder weights are cast to float64 once.
        self.weights = {
            name: value if name in EMBEDDING_TABLES else value.astype(np.float64)
            for name, value in load_file(model_dir / "model.safetensors").items()
            if value.dtype.kind == "f"
        }

    def _dense(self, x, name):
        return x @ self.weights[f"{name}.weight"].T + self.weights[f"{name}.bias"]

    def _layer_norm(self, x, name):
        centred = x - x.mean(axis=-1, keepdims=True)
        scale = np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + self.eps)
        return centred / scale * self.weights[f"{name}.weight"] + self.weights[f"{name}.bias"]

    def _self_attention(self, h, prefix):
        L, width = h.shape
        head = width // self.n_heads

        def heads(name):  # (n_heads, L, head)
            return self._dense(h, f"{prefix}.{name}").reshape(L, self.n_heads, head).swapaxes(0, 1)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.swapaxes(1, 2) / np.sqrt(head)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        return (scores @ v).swapaxes(0, 1).reshape(L, width)

    def encode(self, ids, n_layers=None):
        """(ffn, hidden): ffn[l] = f_{l+1} (L x d_ff) for the first ``n_layers`` layers
        (all by default), and the last computed hidden state h (L x d_model)."""
        ids = np.asarray(ids)
        if not 1 <= ids.size <= self.max_length:
            raise ValueError(f"a BERT sequence holds 1 to {self.max_length} tokens, got {ids.size}.")
        w = self.weights
        h = (w["embeddings.word_embeddings.weight"][ids].astype(np.float64)
             + w["embeddings.position_embeddings.weight"][: ids.size]
             + w["embeddings.token_type_embeddings.weight"][0])
        h = self._layer_norm(h, "embeddings.LayerNorm")
        ffn = []
        for layer in range(self.n_layers if n_layers is None else n_layers):
            p = f"encoder.layer.{layer}"
            context = self._self_attention(h, f"{p}.attention.self")
            h = self._layer_norm(h + self._dense(context, f"{p}.attention.output.dense"),
                                 f"{p}.attention.output.LayerNorm")
            pre = self._dense(h, f"{p}.intermediate.dense")
            ffn.append(0.5 * pre * (1.0 + erf(pre / np.sqrt(2.0))))
            h = self._layer_norm(h + self._dense(ffn[-1], f"{p}.output.dense"),
                                 f"{p}.output.LayerNorm")
        return ffn, h
