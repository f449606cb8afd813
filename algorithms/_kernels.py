"""Compiled kernels that read X once, in any layout: sparse embeddings, the column norms
of a thin product (leverage_fast), and for the sampling reducers their draws' counts and
weighted column gathers.

A sparse embedding S (d x m) has s nonzeros +-1/sqrt(s) per row, one in each of s blocks
of columns, block b holding columns [floor(b m/s), floor((b+1) m/s)) (m/s each when s
divides m).  It is never stored: the nonzero of feature j in block b has the code
2 * column + (sign < 0) = start_b + u, start_b = 2 floor(b m/s), u = floor(h * span_b /
2^32) a uniform integer in [0, span_b), span_b = twice the block's width, from the top 32
bits h of ``splitmix64(key, j * s + b)`` (Lemire's multiply-shift; every value has
probability 1/span_b within span_b/2^32, below 1e-6 for m < 2^13).  So a kernel hashes
only the features that X touches, and S is a function of (key, d, m, s) alone, the same
for every layout and every block of X.
Y = X S is a scatter-add, Y[i, c] += sign * X[i, j], which each kernel performs while
reading X once in the order it is stored (rows of a C array, eight at a time; rows of
CSR; columns of an F array or CSC).  Dense kernels read codes from a table of d x s
codes (O(s d), negligible next to n d); sparse kernels hash each stored entry: cost
O(s nnz(X)), whatever d.  SciPy's ``X @ S`` converts X first (for C-ordered dense X, an
implicit transposed copy) and costs 4-10 reads of X; countsketch's kernels cost 1.9-2.1
(C) and 2.4 (F) reads of X in cache (n = 256, d = 2^14, m = 2048) and 1.0 and 1.2 of one
from memory (d = 2^16) (``benchmarks/bench_floors.py``: ``CostFloor``, and ``SketchIOFloor``
with the write of Y; ``benchmarks/bench_speedups.py``, ``OverPeer``: over SciPy's).

Every kernel adds the terms of each Y[i, c] in increasing feature order j, one rounding
per term, so dense C, dense F, CSR, CSC and COO input give bitwise the same Y (a dense
zero adds +-0, which leaves the sum unchanged).  Sparse input is put in canonical form
(sorted indices, duplicates summed) first.  A NaN or infinite entry of X makes its row
of Y non-finite, so Y exposes bad input without a separate pass over X.
Cost: O(s nnz(X)) plus O(n m) for Y.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import scipy.sparse as sp
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from attnbench.algorithms._normals import splitmix64

# error_model="numpy": no ZeroDivisionError branch, which keeps loops vectorisable.
# cache=True: compiled once per machine, then loaded from __pycache__ in milliseconds.
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")
MAX_COLUMNS = 2**31  # span_b <= 2m < 2^32 keeps the multiply-shift within 64 bits
Y_TILE_BYTES = 2**19  # rows of Y (CSR norms: columns of the product) that stay in L2
COLUMN_BLOCK = 4096  # dense columns per BLAS product in column_norms_after
ROWS = 8  # rows of C-ordered X per pass in _embed_rows: one 64-byte vector per nonzero
CELLS_PER_POINT = 4  # guide cells per cdf point in draw_counts: most cells hold at most one


@numba.njit(inline="always")
def _code(key, j, b, s, starts):
    """Code of the nonzero of feature j in block b: starts[b] + a uniform integer below
    starts[b + 1] - starts[b] (twice the block's width)."""
    h = splitmix64(key, np.uint64(j) * np.uint64(s) + np.uint64(b)) >> np.uint64(32)
    return starts[b] + ((h * (starts[b + 1] - starts[b])) >> np.uint64(32))


def block_starts(m, s):
    """2 floor(b m / s) for b = 0..s: the first code of each block, and 2m at the end."""
    blocks = np.arange(s + 1, dtype=np.uint64)
    return np.uint64(2) * (blocks * np.uint64(m) // np.uint64(s))


@_jit
def _fill_codes(key, starts, codes):
    d, s = codes.shape
    for j in range(d):
        for b in range(s):
            codes[j, b] = _code(key, j, b, s, starts)


def check_embedding_shape(m, s):
    """m columns in s blocks: none (Y is n x 0), or at least one a block; below 2^31."""
    if 0 < m < s:
        raise ValueError(f"n_components ({m}) must be at least s ({s}): one column a block.")
    if m >= MAX_COLUMNS:
        raise ValueError(f"n_components must be below 2^31 for a sparse embedding, got {m}.")


def embedding_codes(key, d, m, s):
    """The d x s codes of the sparse embedding (key, d, m, s), in the smallest unsigned dtype."""
    check_embedding_shape(m, s)
    code_type = next(u for u in (np.uint16, np.uint32, np.uint64) if 2 * m <= np.iinfo(u).max)
    codes = np.empty((d, s if m else 0), dtype=code_type)
    if codes.size:
        _fill_codes(np.uint64(key), block_starts(m, s), codes)
    return codes


@intrinsic
def _add_scaled(typingctx, buf, base, scale, values):
    """buf[base : base + k] += scale * values for a k-tuple of float64, as one k-wide vector
    multiply and add: the same two roundings per entry as the scalar loop."""
    width = values.count

    def codegen(context, builder, signature, args):
        array, start, factor, terms = args
        vector = ir.VectorType(ir.DoubleType(), width)
        lane = ir.IntType(32)
        packed = ir.Constant(vector, ir.Undefined)
        for r in range(width):
            packed = builder.insert_element(packed, builder.extract_value(terms, r), lane(r))
        splat = builder.insert_element(ir.Constant(vector, ir.Undefined), factor, lane(0))
        splat = builder.shuffle_vector(
            splat, ir.Constant(vector, ir.Undefined), ir.Constant(ir.VectorType(lane, width), [0] * width)
        )
        data = context.make_array(signature.args[0])(context, builder, array).data
        pointer = builder.bitcast(builder.gep(data, [start]), vector.as_pointer())
        total = builder.fadd(builder.load(pointer, align=8), builder.fmul(splat, packed))
        builder.store(total, pointer, align=8)
        return context.get_dummy_value()

    return types.none(buf, types.intp, types.float64, values), codegen


@_jit
def _embed_rows(X, codes, table, Y):
    """Row-major X (n x d, C order): Y (n x m) = X S, ROWS rows of X per pass over S.

    The ROWS rows of Y are accumulated transposed, in an m x ROWS buffer (128 KiB at
    m = 2048, in L2) aligned to 64 bytes, so each nonzero of S is one cache line and one
    vector multiply-add for all ROWS rows, instead of ROWS scattered scalar updates; the
    buffer is then transposed into Y.  Rows left over (n mod ROWS) go one at a time.
    Returns the sum of Y's entries (finite if X is, barring overflow): a probe for NaN
    and infinity in X that costs no pass of its own.
    """
    n, d = X.shape
    m, s = Y.shape[1], codes.shape[1]
    raw = np.empty(m * ROWS + ROWS)
    skip = (-(raw.ctypes.data // 8)) % ROWS
    buf = raw[skip : skip + m * ROWS]
    sums = np.zeros(ROWS)
    for i in range(0, n - ROWS + 1, ROWS):
        buf[:] = 0.0
        x0, x1, x2, x3 = X[i], X[i + 1], X[i + 2], X[i + 3]
        x4, x5, x6, x7 = X[i + 4], X[i + 5], X[i + 6], X[i + 7]
        for j in range(d):
            column = (
                np.float64(x0[j]), np.float64(x1[j]), np.float64(x2[j]), np.float64(x3[j]),
                np.float64(x4[j]), np.float64(x5[j]), np.float64(x6[j]), np.float64(x7[j]),
            )  # fmt: skip
            for b in range(s):
                code = codes[j, b]
                _add_scaled(buf, np.intp(code >> 1) * ROWS, table[code & 1], column)
        y0, y1, y2, y3 = Y[i], Y[i + 1], Y[i + 2], Y[i + 3]
        y4, y5, y6, y7 = Y[i + 4], Y[i + 5], Y[i + 6], Y[i + 7]
        for c in range(m):
            t = buf[c * ROWS : c * ROWS + ROWS]
            y0[c], y1[c], y2[c], y3[c] = t[0], t[1], t[2], t[3]
            y4[c], y5[c], y6[c], y7[c] = t[4], t[5], t[6], t[7]
            for r in range(ROWS):
                sums[r] += t[r]
    for i in range(n - n % ROWS, n):
        x, y = X[i], Y[i]
        y[:] = 0.0
        for j in range(d):
            a = np.float64(x[j])
            for b in range(s):
                y[codes[j, b] >> 1] += table[codes[j, b] & 1] * a
        sums[0] += y.sum()
    return sums.sum()


@_jit
def _embed_columns(Xt, codes, table, Yt):
    """Column-major X given as Xt = X^T (d x n, C order): Yt (m x n) += (X S)^T."""
    d, n = Xt.shape
    for j in range(d):
        x = Xt[j]
        for b in range(codes.shape[1]):
            y = Yt[codes[j, b] >> 1]
            sign = table[codes[j, b] & 1]
            for i in range(n):
                y[i] += sign * np.float64(x[i])


@_jit
def _embed_csr(indptr, indices, data, key, s, starts, table, Y):
    """CSR X: Y (n x m) = X S, row by row.  Each row of Y is zeroed just before its
    scatter (it is then in L1), and the codes of a row's entries are hashed first, in a
    loop of their own that vectorises: O(s nnz(X)) hashes, nothing d-sized.  Returns the
    sum of X's stored values, a probe for NaN and infinity (see _embed_rows)."""
    longest = 0
    for i in range(Y.shape[0]):
        longest = max(longest, indptr[i + 1] - indptr[i])
    row_codes = np.empty(s * longest, dtype=np.uint64)
    total = 0.0
    for i in range(Y.shape[0]):
        y = Y[i]
        y[:] = 0.0
        first, count = indptr[i], indptr[i + 1] - indptr[i]
        for b in range(s):
            for q in range(count):
                row_codes[b * count + q] = _code(key, indices[first + q], b, s, starts)
        for q in range(count):
            x = np.float64(data[first + q])
            total += x
            for b in range(s):
                code = row_codes[b * count + q]
                y[code >> 1] += table[code & 1] * x
    return total


@_jit
def _embed_csc(indptr, indices, data, key, s, starts, table, Yt):
    """CSC X: Yt (m x n) += (X S)^T, column by column, hashing each non-empty column."""
    for j in range(indptr.size - 1):
        if indptr[j] == indptr[j + 1]:
            continue
        for b in range(s):
            code = _code(key, j, b, s, starts)
            y = Yt[code >> 1]
            sign = table[code & 1]
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


def apply_sparse_embedding(X, key, m, s):
    """Y = X S (n x m, float64) for the sparse embedding S of (key, d, m, s).

    X is a validated float32/float64 ndarray (any layout) or CSR/CSC/COO matrix.
    """
    return embed_with_probe(X, key, m, s)[0]


def embed_with_probe(X, key, m, s):
    """(Y, probe): Y = X S as in ``apply_sparse_embedding``, and a float that is finite
    whenever X is (barring overflow), NaN or infinite when X has a NaN or an infinity:
    the sum of Y's entries, or of X's stored values for CSR, computed in the kernel's pass
    (NaN when there is no pass, so that the caller validates X itself)."""
    n, d = X.shape
    if m == 0 or s == 0:
        return np.zeros((n, m)), math.nan  # no pass over X: nothing probed
    table = np.array([1.0, -1.0]) / math.sqrt(s)
    if sp.issparse(X):
        X = canonical_sparse(X)
        check_embedding_shape(m, s)
        key, starts = np.uint64(key), block_starts(m, s)
        if X.format == "csr":
            Y = np.empty((n, m))
            probe = _embed_csr(X.indptr, X.indices, X.data, key, s, starts, table, Y)
            return Y, probe
        Yt = np.zeros((m, n))
        _embed_csc(X.indptr, X.indices, X.data, key, s, starts, table, Yt)
        return Yt.T, _probe(X.data if X.data.size < Yt.size else Yt)
    codes = embedding_codes(key, d, m, s)
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        Yt = np.zeros((m, n))
        _embed_columns(X.T, codes, table, Yt)
        return Yt.T, _probe(Yt)
    Y = np.empty((n, m))
    probe = _embed_rows(np.ascontiguousarray(X), codes, table, Y)
    return Y, probe


def _probe(values):
    with np.errstate(over="ignore", invalid="ignore"):
        return values.sum() if values.size else 0.0


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
def _count_draws(cdf, u, cells, counts):
    """counts[j] += 1 for each u_t, j = #{i : cdf_i <= u_t}, through a guide table of
    ``cells`` equal cells of [0, 1) (Chen and Asau 1974): cell g = int(u G) holds the
    points with int(cdf_i G) = g, and rounding is monotone, so points of earlier cells
    are < u and points of later ones > u; only u's own cell is compared.  One
    comparison, then a loop only in a cell with two or more points.  cdf_{d-1} = 1 > u
    lies in the last cell, so guide[g] < d for every cell g that u can fall in."""
    guide = np.zeros(cells + 2, dtype=np.int64)  # guide[g] = #{i : int(cdf_i G) < g}
    for i in range(cdf.size):
        guide[int(cdf[i] * cells) + 1] += 1
    for g in range(cells + 1):
        guide[g + 1] += guide[g]
    for t in range(u.size):
        x = u[t]
        g = int(x * cells)
        j = guide[g]
        j += cdf[j] <= x
        while j < guide[g + 1] and cdf[j] <= x:
            j += 1
        counts[j] += 1


def draw_counts(cdf, u):
    """How many of the uniforms u in [0, 1) fall in each interval [cdf_{i-1}, cdf_i) of a
    nondecreasing cdf (d entries, cdf_{-1} = 0, the last exactly 1): those of s inverse-cdf
    draws, bitwise ``np.bincount(cdf.searchsorted(u, side="right"), minlength=d)``.
    Cost O(d + s), u in any order, where searching sorted u costs O(s log s)."""
    if cdf.size == 0 or cdf[-1] != 1.0:
        raise ValueError("draw_counts needs a cdf whose last entry is exactly 1.")
    counts = np.zeros(cdf.size, dtype=np.intp)
    _count_draws(cdf, u, CELLS_PER_POINT * cdf.size, counts)
    return counts


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


@_jit
def _gather_rows(X, selected, weights, Y):
    for i in range(Y.shape[0]):
        x, y = X[i], Y[i]
        for c in range(selected.size):
            y[c] = np.float64(x[selected[c]]) * weights[c]


def weighted_columns(X, selected, weights):
    """Y = X[:, selected] * weights (n x m dense float64) for any validated X: O(nnz(X) + d)
    on CSR/CSC/COO, one pass over the rows (sorted ``selected``) of a C-ordered array.

    The same products as the dense ``X[:, selected] * weights``, so bitwise the same Y.
    (NumPy's ``X[:, selected]`` on a C-ordered X costs several reads of X for m ~ d/8.)
    """
    n, m = X.shape[0], selected.size
    selected = np.asarray(selected, dtype=np.intp)
    weights = np.asarray(weights, dtype=np.float64)
    if not sp.issparse(X):
        if X.flags.f_contiguous and not X.flags.c_contiguous:
            return X[:, selected] * weights  # contiguous column copies
        Y = np.empty((n, m))
        _gather_rows(np.ascontiguousarray(X), selected, weights, Y)
        return Y
    X = canonical_sparse(X)
    if X.format == "csr":
        position = np.full(X.shape[1], -1, dtype=np.intp)
        position[selected] = np.arange(m)
        Y = np.zeros((n, m))
        _gather_csr(X.indptr, X.indices, X.data, position, weights, Y)
        return Y
    Yt = np.zeros((m, n))
    _gather_csc(X.indptr, X.indices, X.data, selected, weights, Yt)
    return Yt.T
