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
  X_i^T (XX^T)^+ X_i.  Sparse X: the quadratic forms X_i^T (W W^T) X_i over each
  column's nonzeros, O(n^2 k + sum_i nnz(X_i)^2) (the cost of the sparse Gram itself;
  empty columns cost nothing), unless O(nnz(X) k) products are cheaper.  Dense X, or
  sparse X with dense-ish columns: BLAS products over blocks of columns, O(nnz(X) k).
  Memory O(nnz(X) + n^2 + block), never a dense d x k or n x d array.
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
    # Ascending order: the kept ones are a suffix, returned as views (no n x n copy).
    first = int(np.searchsorted(lam, RANGE_RTOL * lam[-1], side="right"))
    return lam[first:], U[:, first:]


def column_sq_norms(X, W):
    """||W^T X_i||^2 (length d) for each column X_i of X (n x d), W of shape n x k."""
    d, k = X.shape[1], W.shape[1]
    if k == 0:
        return np.zeros(d)
    if sp.issparse(X):
        X = as_float64(X.tocsc())  # duplicate entries need no summing: the form is bilinear
        per_column = np.diff(X.indptr).astype(np.float64)
        if per_column @ per_column <= k * X.nnz:
            from attnbench._linalg_kernels import csc_quadratic_forms

            norms = np.empty(d)
            csc_quadratic_forms(X.indptr, X.indices, X.data, W @ W.T, norms)
            return norms
    Wt = np.ascontiguousarray(W.T, dtype=np.float64)
    block = max(1, BLOCK_BYTES // (8 * k))
    norms = np.empty(d)
    for start in range(0, d, block):
        projected = np.asarray(Wt @ as_float64(X[:, start : start + block]))
        norms[start : start + block] = np.einsum("ij,ij->j", projected, projected)
    return norms


def attention(G):
    """A = D^{-1} exp(G) row-normalised, with each row's max subtracted first."""
    G = np.asarray(G, dtype=np.float64)
    if G.shape[1] == 0:
        raise ValueError("attention needs at least one column.")
    A = G - G.max(axis=1, keepdims=True)  # the one n x n temporary, then in place
    np.exp(A, out=A)
    A /= A.sum(axis=1, keepdims=True)
    return A
