"""Exact float64 linear algebra of X (n tokens x d features), the bottom layer that
reducers, dataset statistics and metrics all build on.

- ``gram(X)`` = XX^T (n x n), always float64 whatever the input dtype: a float32 X is
  up-cast before the product (a float32 Gram loses about 7 digits and with them the
  range of XX^T).  Sparse X is multiplied sparsely: cost sum_i nnz(X_i)^2, memory
  O(nnz(X) + n^2); dense X costs d n^2.
- ``range_eigh(G)``: the eigenpairs of a symmetric PSD G on its numerical range, the
  eigenvalues above RANGE_RTOL * lambda_max (n^3).
- ``column_sq_norms(X, W)`` = ||W^T X_i||^2 for every column X_i; with
  W = U diag(lambda)^{-1/2} from ``range_eigh(gram(X))`` these are the leverage scores
  X_i^T (XX^T)^+ X_i.  Computed over blocks of columns: O(nnz(X) k) time and
  O(nnz(X) + block) memory, never a dense d x k or n x d array.
- ``attention(G)`` = D^{-1} exp(G), rows normalised, each row's maximum subtracted first.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

ATTENTION_MODES = ("symmetric", "asymmetric")  # A(X, X) = A(X), or A(Q, K) = D^-1 exp(QK^T)
RANGE_RTOL = 1e-10  # eigenvalues below RANGE_RTOL * lambda_max(XX^T) are outside its range
BLOCK_BYTES = 4 * 2**20  # working memory of one block of column_sq_norms


def as_float64(X):
    """X with float64 values (no copy when it already is float64), dense or sparse."""
    return X if X.dtype == np.float64 else X.astype(np.float64)


def gram(X):
    """XX^T as a dense float64 n x n array (sparse X is multiplied sparsely)."""
    X = as_float64(X)
    G = X @ X.T
    return np.asarray(G.toarray() if sp.issparse(G) else G, dtype=np.float64)


def range_eigh(G):
    """(lam, U): the eigenvalues (ascending) and eigenvectors of symmetric PSD G that
    lie in its numerical range, lam > RANGE_RTOL * lambda_max (none when G = 0)."""
    lam, U = np.linalg.eigh(G)
    if lam.size == 0 or lam[-1] <= 0:
        return lam[:0], U[:, :0]
    keep = lam > RANGE_RTOL * lam[-1]
    return lam[keep], U[:, keep]


def column_sq_norms(X, W):
    """||W^T X_i||^2 (length d) for each column X_i of X (n x d), W of shape n x k."""
    Xt = X.T.tocsr() if sp.issparse(X) else X.T
    d, k = Xt.shape[0], W.shape[1]
    if k == 0:
        return np.zeros(d)
    block = max(1, BLOCK_BYTES // (8 * k))
    norms = np.empty(d)
    for start in range(0, d, block):
        projected = np.asarray(as_float64(Xt[start:start + block]) @ W)
        norms[start:start + block] = np.einsum("ij,ij->i", projected, projected)
    return norms


def attention(G):
    """A = D^{-1} exp(G) row-normalised, with each row's max subtracted first."""
    G = np.asarray(G, dtype=np.float64)
    if G.shape[1] == 0:
        raise ValueError("attention needs at least one column.")
    E = np.exp(G - G.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
