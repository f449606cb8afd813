"""Dataset statistics, computed once per dataset and stored with it.

For X in R^{n x d} with columns X_i in R^n and G = XX^T = U diag(lambda) U^T:

- ``nnz`` = nnz(X) and ``sum_nnz_col_sq`` = sum_i nnz(X_i)^2, the two input sizes of
  the paper's cost models (Deng, Mahadevan, Song 2023, Thms 1 and 2);
- ``frobenius_sq`` = ||X||_F^2 = tr G, ``spectral_norm_sq`` = ||X||_2^2 = lambda_max,
  ``stable_rank`` = ||X||_F^2 / ||X||_2^2;
- ``rank`` = dim range(G), counting eigenvalues above RANGE_RTOL * lambda_max, the
  same range that the metrics (``spectral_eps``) use;
- column leverage scores l_i = X_i^T G^+ X_i (sum_i l_i = rank; max_i l_i is the
  coherence, near rank/d for incoherent data and near 1 when a few columns carry
  the mass): ``max_leverage`` and ``mean_leverage``;
- ``r`` = ||G||_inf, the realised max |entry| of XX^T, and ``format``.

Cost: forming G (sum_i nnz(X_i)^2 sparse, d n^2 dense), its eigendecomposition (n^3)
and the leverage scores (nnz(X) * rank), in column blocks so that memory stays
O(nnz(X) + n^2) for sparse X.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from attnbench.linalg import column_sq_norms, gram, range_eigh
from attnbench.validation import check_matrix


def row_sq_norms(X):
    """||x_i||^2 for each row (token) x_i of X, in O(nnz(X)); max_i of it is ||XX^T||_inf."""
    if not sp.issparse(X):
        return np.einsum("ij,ij->i", X, X)
    X = X.tocsr()
    if not X.has_canonical_format:  # duplicate entries add up before squaring
        X = X.copy()
        X.sum_duplicates()
    norms = np.zeros(X.shape[0])
    nonempty = np.diff(X.indptr) > 0
    # reduceat over the starts of the nonempty rows: each segment ends where the next
    # nonempty row starts, so one pass over the squares of X.data and no n x d copy.
    norms[nonempty] = np.add.reduceat(np.square(X.data), X.indptr[:-1][nonempty])
    return norms


def column_nnz(X):
    """nnz(X_i) for each column X_i of X."""
    if sp.issparse(X):
        X = X.tocsr() if X.format == "coo" else X
        if X.format == "csc":
            return np.diff(X.indptr)
        return np.bincount(X.indices, minlength=X.shape[1])
    return np.count_nonzero(X, axis=0)


def compute_stats(X):
    """The statistics of X (n x d, dense or sparse) as a JSON-safe dict; see the module."""
    X = check_matrix(X)
    n, d = X.shape
    G = gram(X)
    lam, U = range_eigh(G)
    lam_max = float(lam[-1]) if lam.size else 0.0
    leverage = column_sq_norms(X, U / np.sqrt(lam))
    frobenius_sq = float(np.trace(G))
    col_nnz = column_nnz(X).astype(np.int64)
    return {
        "n": n,
        "d": d,
        "nnz": int(X.nnz if sp.issparse(X) else np.count_nonzero(X)),
        "sum_nnz_col_sq": int(np.sum(col_nnz * col_nnz)),
        "frobenius_sq": frobenius_sq,
        "spectral_norm_sq": lam_max,
        "stable_rank": frobenius_sq / lam_max if lam_max > 0 else 0.0,
        "rank": int(lam.size),
        "max_leverage": float(leverage.max()),
        "mean_leverage": float(leverage.mean()),
        "r": float(np.abs(G).max()),
        "format": X.format if sp.issparse(X) else "dense",
    }
