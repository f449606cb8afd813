"""Asymmetric attention: A(Q, K) = D^{-1} exp(QK^T), Q, K in R^{n x d}, V in R^{n x d_v}.

One reducer is fitted on the stacked [Q; K] (2n x d), so Q and K share its sketch or
its selected columns, and is applied to each: Q' = Q S, K' = K S.  Every registered
reducer works this way with no code of its own, because ``transform`` applies the
learnt d -> m map to any matrix with d columns.  Q, K and V come from
:func:`attnbench.datasets.attention_inputs`; the metrics from the one registry
(:func:`attnbench.metrics.evaluate` with ``AttentionReference(Q, K, V)``).

What carries over.  With M = [Q; K][Q; K]^T, a (1 +- eps) spectral approximation
Y Y^T of M (the guarantee of the leverage, BSS and embedding reducers, now for the
stacked matrix's scores and rank <= 2n) bounds every block of the error, in particular
||Q'K'^T - QK^T||_2 <= eps ||M||_2 <= eps (||Q||_2^2 + ||K||_2^2): an approximate matrix
multiplication (AMM) bound, not a spectral bound on QK^T, which is indefinite.  The
matching metric is ``logit_err_frob`` = ||Q'K'^T - QK^T||_F / (||Q||_F ||K||_F); a
Gaussian sketch with m >= 2/(delta eps^2) columns makes it <= eps w.p. 1 - delta
(second moment, E||Q S S^T K^T - QK^T||_F^2 <= 2 ||Q||_F^2 ||K||_F^2 / m, and Markov).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from attnbench.validation import check_matrix


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
