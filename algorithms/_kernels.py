"""Compiled kernels that read X once, in any layout: sparse embeddings, the column norms
of a thin product (leverage_fast), and weighted column gathers (sampling reducers).

A sparse embedding S (d x m) has s nonzeros +-1/sqrt(s) per row, given by codes
(s x d): feature j goes to column codes[k, j] >> 1 with sign - if codes[k, j] is odd.
Y = X S is a scatter-add, Y[i, c] += sign * X[i, j], which each kernel performs while
reading X once in the order it is stored (rows of a C array, two at a time; tiles of
CSR rows; columns of an F array or CSC).  Codes are unsigned, which spares a
negative-index branch per access.  SciPy's ``X @ S`` converts X first (for C-ordered
dense X, an implicit transposed copy) and costs 4-10 reads of X where these cost 1-1.5
(scripts/bench_leverage_fast.py).

Every kernel adds the terms of each Y[i, c] in increasing feature order j, one rounding
per term, so dense C, dense F, CSR, CSC and COO input give bitwise the same Y (a dense
zero adds +-0, which leaves the sum unchanged).  Sparse input is put in canonical form
(sorted indices, duplicates summed) first.  Cost: O(s nnz(X)) plus O(n m) for Y.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.sparse as sp

# error_model="numpy": no ZeroDivisionError branch, which keeps loops vectorisable.
# cache=True: compiled once per machine, then loaded from __pycache__ in milliseconds.
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")
Y_TILE_BYTES = 2**19  # CSR tiles: rows of Y that stay in L2 (2 MiB here) ...
CODE_TILE_BYTES = 2**16  # ... and codes that stay in L1 (48 KiB) or close to it
COLUMN_BLOCK = 4096  # dense columns per BLAS product in column_norms_after


@_jit
def _embed_rows(X, codes, table, Y):
    """Row-major X (n x d, C order): Y (n x m) += X S, two rows of X per pass over S."""
    n, d = X.shape
    for i in range(0, n - 1, 2):
        x0, x1, y0, y1 = X[i], X[i + 1], Y[i], Y[i + 1]
        for k in range(codes.shape[0]):
            code = codes[k]
            for j in range(d):
                sign = table[code[j] & 1]
                c = code[j] >> 1
                y0[c] += sign * np.float64(x0[j])
                y1[c] += sign * np.float64(x1[j])
    if n % 2:
        x, y = X[n - 1], Y[n - 1]
        for k in range(codes.shape[0]):
            code = codes[k]
            for j in range(d):
                y[code[j] >> 1] += table[code[j] & 1] * np.float64(x[j])


@_jit
def _embed_columns(Xt, codes, table, Yt):
    """Column-major X given as Xt = X^T (d x n, C order): Yt (m x n) += (X S)^T."""
    d, n = Xt.shape
    for j in range(d):
        x = Xt[j]
        for k in range(codes.shape[0]):
            y = Yt[codes[k, j] >> 1]
            sign = table[codes[k, j] & 1]
            for i in range(n):
                y[i] += sign * np.float64(x[i])


@_jit
def _embed_csr(indptr, indices, data, codes, table, Y, rows, features):
    """CSR X: Y (n x m) += X S, in tiles of ``rows`` rows by ``features`` features.

    Row by row, each stored entry would fetch its code from a random place among d codes
    (a cache miss once they outgrow L2); a tile keeps its rows of Y in L2 and its codes
    in L1, and a cursor per row resumes where the row's previous tile ended.
    """
    n, d = Y.shape[0], codes.shape[1]
    cursor = indptr[:-1].copy()
    for i0 in range(0, n, rows):
        for end in range(features, d + features, features):
            for i in range(i0, min(i0 + rows, n)):
                y = Y[i]
                start = stop = cursor[i]
                while stop < indptr[i + 1] and indices[stop] < end:
                    stop += 1
                for k in range(codes.shape[0]):
                    code = codes[k]
                    for p in range(start, stop):
                        c = code[np.uintp(indices[p])]
                        y[c >> 1] += table[c & 1] * np.float64(data[p])
                cursor[i] = stop


@_jit
def _embed_csc(indptr, indices, data, codes, table, Yt):
    """CSC X: Yt (m x n) += (X S)^T, column by column."""
    for j in range(codes.shape[1]):
        for k in range(codes.shape[0]):
            y = Yt[codes[k, j] >> 1]
            sign = table[codes[k, j] & 1]
            for p in range(indptr[j], indptr[j + 1]):
                y[np.uintp(indices[p])] += sign * np.float64(data[p])


def canonical_sparse(X):
    """CSR or CSC with sorted indices and no duplicates (COO becomes CSR); copies only if needed."""
    if X.format == "coo":
        X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def apply_sparse_embedding(X, codes, m):
    """Y = X S (n x m, float64) for S given by its codes (s x d, see ``_sparse_embedding``).

    X is a validated float32/float64 ndarray (any layout) or CSR/CSC/COO matrix.
    """
    n = X.shape[0]
    s = codes.shape[0]
    if m == 0 or s == 0:
        return np.zeros((n, m))
    table = np.array([1.0, -1.0]) / math.sqrt(s)
    if sp.issparse(X):
        X = canonical_sparse(X)
        if X.format == "csr":
            Y = np.zeros((n, m))
            rows = max(1, Y_TILE_BYTES // (8 * m))
            features = max(1, CODE_TILE_BYTES // (codes.itemsize * s))
            _embed_csr(X.indptr, X.indices, X.data, codes, table, Y, rows, features)
            return Y
        Yt = np.zeros((m, n))
        _embed_csc(X.indptr, X.indices, X.data, codes, table, Yt)
        return Yt.T
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        Yt = np.zeros((m, n))
        _embed_columns(X.T, codes, table, Yt)
        return Yt.T
    Y = np.zeros((n, m))
    _embed_rows(np.ascontiguousarray(X), codes, table, Y)
    return Y


@_jit
def _sum_of_squares(z):
    total = 0.0
    for t in range(z.size):
        total += z[t] * z[t]
    return total


@_jit
def _norms_csr(indptr, indices, data, Omega, out, features):
    """out[j] = ||Omega^T X_j||^2 for CSR X, a tile of ``features`` columns at a time."""
    n = Omega.shape[0]
    d = out.size
    cursor = indptr[:-1].copy()
    Z = np.empty((features, Omega.shape[1]))
    for start in range(0, d, features):
        end = min(start + features, d)
        Z[: end - start] = 0.0
        for i in range(n):
            w = Omega[i]
            p = cursor[i]
            while p < indptr[i + 1] and indices[p] < end:
                z = Z[indices[p] - start]
                x = np.float64(data[p])
                for t in range(w.size):
                    z[t] += w[t] * x
                p += 1
            cursor[i] = p
        for j in range(start, end):
            out[j] = _sum_of_squares(Z[j - start])


@_jit
def _norms_csc(indptr, indices, data, Omega, out):
    """out[j] = ||Omega^T X_j||^2 for CSC X, column by column."""
    z = np.empty(Omega.shape[1])
    for j in range(out.size):
        z[:] = 0.0
        for p in range(indptr[j], indptr[j + 1]):
            w = Omega[np.uintp(indices[p])]
            x = np.float64(data[p])
            for t in range(w.size):
                z[t] += w[t] * x
        out[j] = _sum_of_squares(z)


def column_norms_after(X, Omega):
    """||Omega^T X_j||^2 for every column X_j of X (n x d), Omega n x r: O(r nnz(X)).

    Dense X: BLAS on blocks of columns (the r x block product stays in cache).  Sparse X:
    a compiled kernel that never forms the d x r product (for d >> nnz(X)/r it would
    outweigh X); CSR and CSC give bitwise the same result, dense agrees to rounding.
    """
    d = X.shape[1]
    out = np.empty(d)
    Omega = np.ascontiguousarray(Omega, dtype=np.float64)
    if sp.issparse(X):
        X = canonical_sparse(X)
        if X.format == "csr":
            features = max(1, Y_TILE_BYTES // (8 * max(Omega.shape[1], 1)))
            _norms_csr(X.indptr, X.indices, X.data, Omega, out, features)
        else:
            _norms_csc(X.indptr, X.indices, X.data, Omega, out)
        return out
    for start in range(0, d, COLUMN_BLOCK):
        Z = Omega.T @ np.asarray(X[:, start : start + COLUMN_BLOCK], dtype=np.float64)
        out[start : start + COLUMN_BLOCK] = np.einsum("ij,ij->j", Z, Z)
    return out


@_jit
def _gather_csr(indptr, indices, data, position, weights, Y):
    for i in range(Y.shape[0]):
        for p in range(indptr[i], indptr[i + 1]):
            c = position[np.uintp(indices[p])]
            if c >= 0:
                Y[i, c] = np.float64(data[p]) * weights[c]


@_jit
def _gather_csc(indptr, indices, data, selected, weights, Yt):
    for c in range(selected.size):
        j = selected[c]
        for p in range(indptr[j], indptr[j + 1]):
            Yt[c, np.uintp(indices[p])] = np.float64(data[p]) * weights[c]


def weighted_columns(X, selected, weights):
    """Y = X[:, selected] * weights (n x m dense float64) for CSR/CSC/COO X: O(nnz(X) + d).

    The same products as the dense ``X[:, selected] * weights``, so bitwise the same Y.
    """
    X = canonical_sparse(X)
    n, m = X.shape[0], selected.size
    selected = np.asarray(selected, dtype=np.intp)
    weights = np.asarray(weights, dtype=np.float64)
    if X.format == "csr":
        position = np.full(X.shape[1], -1, dtype=np.intp)
        position[selected] = np.arange(m)
        Y = np.zeros((n, m))
        _gather_csr(X.indptr, X.indices, X.data, position, weights, Y)
        return Y
    Yt = np.zeros((m, n))
    _gather_csc(X.indptr, X.indices, X.data, selected, weights, Yt)
    return Yt.T
