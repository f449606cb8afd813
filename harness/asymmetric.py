"""Asymmetric attention: A(Q, K) = D^{-1} exp(QK^T), Q, K in R^{n x d}, V in R^{n x d_v}.

One reducer is fitted on the stacked [Q; K] (2n x d), so Q and K share its sketch or
its selected columns, and is applied to each: Q' = Q S, K' = K S.  Every registered
reducer works this way with no code of its own, because ``transform`` applies the
learnt d -> m map to any matrix with d columns.

What carries over.  With M = [Q; K][Q; K]^T, a (1 +- eps) spectral approximation
Y Y^T of M (the guarantee of the leverage, BSS and embedding reducers, now for the
stacked matrix's scores and rank <= 2n) bounds every block of the error, in particular
||Q'K'^T - QK^T||_2 <= eps ||M||_2 <= eps (||Q||_2^2 + ||K||_2^2): an approximate matrix
multiplication (AMM) bound, not a spectral bound on QK^T, which is indefinite.  The
matching metric is ``logit_err_frob`` = ||Q'K'^T - QK^T||_F / (||Q||_F ||K||_F); a
Gaussian sketch with m >= 2/(delta eps^2) columns makes it <= eps w.p. 1 - delta
(second moment, E||Q S S^T K^T - QK^T||_F^2 <= 2 ||Q||_F^2 ||K||_F^2 / m, and Markov).

The metrics reuse the symmetric definitions with G = QK^T (``gram_err_over_r`` becomes
the logit error over r = ||QK^T||_inf); ``spectral_eps`` does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from attnbench.datasets import scale_pair_to_r
from attnbench.linalg import attention
from attnbench.metrics import METRICS, Metric, check_reduced, compute_metrics
from attnbench.validation import check_matrix

ASYMMETRIC_METRICS = {name: m for name, m in METRICS.items() if name != "spectral_eps"}


def _logit_err_frob(ref, red):
    err = np.linalg.norm(red.G - ref.G)
    return float(err / ref.qk_norm) if ref.qk_norm > 0 else float("nan")


ASYMMETRIC_METRICS["logit_err_frob"] = Metric(
    "logit_err_frob",
    "||Q'K'^T - QK^T||_F / (||Q||_F ||K||_F) (the AMM error)",
    True,
    "",
    _logit_err_frob,
)


def _frobenius(X):
    return float(sp.linalg.norm(X) if sp.issparse(X) else np.linalg.norm(X))


class AsymmetricReference:
    """The exact A(Q, K), its logits G = QK^T, r = ||G||_inf, A V and ||Q||_F ||K||_F."""

    def __init__(self, Q, K, V):
        Q, K = check_matrix(Q, name="Q"), check_matrix(K, name="K")
        if Q.shape != K.shape:
            raise ValueError(f"Q and K must have the same shape, got {Q.shape} and {K.shape}.")
        self.n = Q.shape[0]
        self.V = check_reduced(V, self.n, "V")
        G = Q @ K.T
        self.G = np.asarray(G.toarray() if sp.issparse(G) else G, dtype=np.float64)
        self.A = attention(self.G)
        self.r = float(np.abs(self.G).max())
        self.deviation_from_uniform = float(np.abs(self.A - 1.0 / self.n).max())
        self.AV = self.A @ self.V
        self.qk_norm = _frobenius(Q) * _frobenius(K)


@dataclass(frozen=True)
class AsymmetricReduced:
    Y: np.ndarray  # Q' (its columns are the m that metric ``m`` counts)
    K: np.ndarray
    G: np.ndarray
    A: np.ndarray


def qk_pair(dataset, partner, correlation):
    """(Q, K) from two independent draws X1, X2 of one dataset spec.

    K = c X1 + sqrt(1 - c^2) X2 with c = ``correlation`` (c = 1 gives K = Q, the
    symmetric case), then Q and K are scaled by one factor so that ||QK^T||_inf equals
    the spec's r exactly.
    """
    if not -1.0 <= correlation <= 1.0:
        raise ValueError(f"qk_correlation must lie in [-1, 1], got {correlation!r}.")
    Q = dataset.X
    K = correlation * Q + np.sqrt(1.0 - correlation**2) * partner.X
    return scale_pair_to_r(Q, K, dataset.spec.r)


def stack(Q, K):
    """[Q; K], sparse if either is."""
    return sp.vstack([Q, K]).tocsr() if sp.issparse(Q) or sp.issparse(K) else np.vstack([Q, K])


def fit_shared(reducer, Q, K):
    """Fit ``reducer`` on [Q; K] and return (Q S, K S) with the shared map S."""
    Q, K = check_matrix(Q, name="Q"), check_matrix(K, name="K")
    if Q.shape[1] != K.shape[1]:
        raise ValueError(f"Q and K must have the same d, got {Q.shape[1]} and {K.shape[1]}.")
    reducer.fit(stack(Q, K))
    return reducer.transform(Q), reducer.transform(K)


def evaluate_asymmetric(reference, Q_reduced, K_reduced, names=None):
    """The asymmetric metrics of (Q', K') against the reference: {name: float}."""
    Qr = check_reduced(Q_reduced, reference.n, "Q'")
    Kr = check_reduced(K_reduced, reference.n, "K'")
    if Qr.shape != Kr.shape:
        raise ValueError(f"Q' and K' must have the same shape, got {Qr.shape} and {Kr.shape}.")
    G = Qr @ Kr.T
    reduced = AsymmetricReduced(Qr, Kr, G, attention(G))
    names = list(ASYMMETRIC_METRICS) if names is None else names
    return compute_metrics(reference, reduced, names, ASYMMETRIC_METRICS)
