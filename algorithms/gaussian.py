"""Gaussian random projection (Johnson-Lindenstrauss): Y = X S, S_ij ~ N(0, 1/m).

Guarantee: for the rank-k subspace range(X^T) (k <= n), the singular values of
sqrt(m) S^T V lie in [sqrt(m) - sqrt(k) - t, sqrt(m) + sqrt(k) + t] with probability
>= 1 - 2exp(-t^2/2) (Gordon's theorem; Vershynin 2012, Cor. 5.35).  Hence
``n_components="auto"``, m = ceil((sqrt(n) + sqrt(2 ln(2/delta)))^2 / (sqrt(1+eps) - 1)^2),
gives (1-eps)XX^T <= YY^T <= (1+eps)XX^T with probability >= 1 - delta.

S is never stored: ``fit`` draws a 64-bit key, and ``transform`` regenerates S in row
blocks of 2^19 entries from it (counter-based normals with float32 values, ``_normals``,
written into the block in the product's dtype) and adds each block's product into Y
(DGEMM with beta = 1: no n x m temporary), and ``components_`` materialises S on
request.  Memory O(n m + 2^19) instead of O(d m).  ``precision="double"`` (the default)
multiplies each block in float64 (DGEMM): dense C and F input give bitwise the same Y,
and sparse input, multiplied sparsely (O(nnz(X) m)), agrees to float64 rounding (1e-10
relative and better).  ``precision="single"`` multiplies dense blocks in float32 (SGEMM,
about twice as fast; dense Y then agrees with X @ components_ to about 1e-6 relative).
Cost: d*m normals plus the product, nnz(X)*m.  On one core nothing overlaps, so the
normals bound the time over one DGEMM of the same shape from below by 1 + t_normal /
(2 n t_flop): about 1.2 ns a normal against 512 flops (7.5 ns) an entry of S at n = 256,
i.e. 1.15 (benchmarks/bench_floors.py measures about 1.25).  scikit-learn's
GaussianRandomProjection spends about three quarters of its time drawing the normals
(NumPy's legacy generator) and the rest on the same product, so at double precision the
product alone bounds the speed-up over it at about 4.7 (n = 256, d = 2^14, m = 2048;
``benchmarks/bench_speedups.py``, ``OverPeer``).
"""

import math
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas
from sklearn.utils.validation import check_is_fitted

from attnbench.algorithms._normals import normal_rows
from attnbench.algorithms.base import SIZED_PARAMETERS, ProjectionReducer
from attnbench.algorithms.registry import register
from attnbench.validation import Options

BLOCK_ENTRIES = 2**19  # entries of S generated at a time: 4 MiB of float64, 256 rows at
# m = 2048 (measured fastest from 64 to 2048 rows: smaller blocks make more passes over Y,
# larger ones leave the cache before the product reads them)
PRODUCT_DTYPES = {"double": np.float64, "single": np.float32}


def gordon_n_components(k, eps, delta):
    """Rows of a Gaussian embedding that give spectral eps on a k-dim subspace w.p. 1-delta."""
    a = math.sqrt(k) + math.sqrt(2.0 * math.log(2.0 / delta))
    return math.ceil(a**2 / (math.sqrt(1.0 + eps) - 1.0) ** 2)


@register("gaussian")
class Gaussian(ProjectionReducer):
    family = "projection"
    deterministic = False
    cost_model = "dense_projection"
    _parameter_constraints: ClassVar[dict] = {**SIZED_PARAMETERS, "precision": [Options(*PRODUCT_DTYPES)]}

    def __init__(
        self, n_components="auto", eps=0.5, delta=0.1, precision="double", random_state=None
    ):
        self.n_components = n_components
        self.eps = eps
        self.delta = delta
        self.precision = precision
        self.random_state = random_state

    def _auto_n_components(self, n, d):
        return gordon_n_components(n, self.eps, self.delta)

    def _fit(self, X, rng):
        if self.precision not in PRODUCT_DTYPES:
            raise ValueError(
                f"precision must be one of {sorted(PRODUCT_DTYPES)}, got {self.precision!r}."
            )
        self.n_components_ = self._resolve_n_components(*X.shape)
        self.key_ = int(rng.integers(2**64, dtype=np.uint64))

    @property
    def components_(self):
        """S (d x m, float64), regenerated from ``key_``."""
        check_is_fitted(self)
        d, m = self.n_features_in_, self.n_components_
        S = normal_rows(self.key_, 0, d, m, out=np.empty((d, m)))
        return S * (1.0 / math.sqrt(m)) if m else S

    def _transform(self, X):
        n, d = X.shape
        m = self.n_components_
        Y = np.zeros((n, m))
        if m == 0:
            return Y
        if sp.issparse(X):
            X = X.tocsc()  # column blocks in O(nnz of the block)
        dtype = np.float64 if sp.issparse(X) else PRODUCT_DTYPES[self.precision]
        rows = max(1, BLOCK_ENTRIES // m)
        block = np.empty((min(rows, d), m), dtype=dtype)
        for j0 in range(0, d, rows):
            S = normal_rows(self.key_, j0, min(rows, d - j0), m, out=block[: d - j0])
            X_block = X[:, j0 : j0 + rows]
            if sp.issparse(X):
                Y += X_block @ S
            elif dtype == np.float64:
                # Y^T += S^T X_block^T in place (beta = 1): no n x m temporary.  BLAS gets
                # X_block^T as one F-ordered copy, the same for C and F input.
                blas.dgemm(1.0, S.T, X_block.T, beta=1.0, c=Y.T, overwrite_c=True)
            else:
                Y += blas.sgemm(1.0, S.T, X_block.T).T
        Y *= 1.0 / math.sqrt(m)
        return Y
