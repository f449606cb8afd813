"""The attention inputs of a cell: X (symmetric, A(X) = D^{-1} exp(XX^T)) or Q, K and V
(asymmetric, A(Q, K) = D^{-1} exp(QK^T), Q and K n x d, V n x d_v).

Asymmetric inputs come from the family's real (Q, K, V) where it has one
(:meth:`~attnbench.datasets.registry.Family.qkv`, e.g. ``minilm_attention``; the
correlation then does not apply), else from two independent draws X1 (the spec's seed)
and X2 (:func:`partner_seed`) of the same spec: Q = X1, K = c X1 + sqrt(1 - c^2) X2
(c = ``qk_correlation``; c = 1 is the symmetric case), both scaled by one factor so that
||QK^T||_inf = r exactly.  V is then None: the metrics use their fixed seeded V.
Cost: two draws through the cache and one n x n product QK^T for the scaling.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from attnbench.datasets.cache import load_dataset
from attnbench.datasets.generate import make_qkv, scale_pair_to_r
from attnbench.linalg import ATTENTION_MODES


def partner_seed(seed):
    """The seed of the second draw that asymmetric attention mixes into K."""
    return int(np.random.SeedSequence(seed, spawn_key=(1,)).generate_state(2, np.uint64)[0] >> 1)


def qk_pair(X1, X2, correlation, r):
    """(Q, K) = (X1, c X1 + sqrt(1 - c^2) X2), scaled together so that ||QK^T||_inf = r."""
    if not -1.0 <= correlation <= 1.0:
        raise ValueError(f"qk_correlation must lie in [-1, 1], got {correlation!r}.")
    K = correlation * X1 + np.sqrt(1.0 - correlation**2) * X2
    return scale_pair_to_r(X1, K, r)


def attention_inputs(
    spec, attention="symmetric", qk_correlation=0.5, *, cache_dir=None, max_bytes=None
):
    """(dataset, Q, K, V) of ``spec`` (a DatasetSpec) for one attention mode.

    Symmetric: (dataset, X, None, None).  Asymmetric: Q and K as the module says; V is the
    family's real V, or None.  ``dataset`` (the spec's own draw, through the cache) carries
    the statistics of X.
    """
    if attention not in ATTENTION_MODES:
        raise ValueError(f"attention must be one of {ATTENTION_MODES}, got {attention!r}.")
    dataset = load_dataset(spec, cache_dir=cache_dir, max_bytes=max_bytes)
    if attention == "symmetric":
        return dataset, dataset.X, None, None
    real = make_qkv(spec)
    if real is not None:
        return (dataset, *real)
    partner = load_dataset(
        replace(spec, seed=partner_seed(spec.seed)), cache_dir=cache_dir, max_bytes=max_bytes
    )
    return (dataset, *qk_pair(dataset.X, partner.X, qk_correlation, spec.r), None)
