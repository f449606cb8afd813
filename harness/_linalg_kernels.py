"""Compiled kernels of :mod:`attnbench.linalg` (numba; imported on first use, so that
modules that only read stored results do not pay for the compiler)."""

import numba


@numba.njit(cache=True, nogil=True, error_model="numpy")
def csc_quadratic_forms(indptr, indices, data, M, out):
    """out[j] = X_j^T M X_j for each column X_j of a CSC matrix (M symmetric, n x n).

    Only the nonzero rows S_j of column j meet: X_j^T M X_j = x_S^T M_SS x_S, so the cost
    is sum_j nnz(X_j)^2 / 2 multiply-adds, and nothing for empty columns.
    """
    for j in range(out.size):
        start, stop = indptr[j], indptr[j + 1]
        total = 0.0
        for p in range(start, stop):
            row, x = M[indices[p]], data[p]
            inner = row[indices[p]] * x  # the diagonal term once, each pair twice
            for q in range(p + 1, stop):
                inner += 2.0 * row[indices[q]] * data[q]
            total += inner * x
        out[j] = total
