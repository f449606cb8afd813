"""Very sparse random projection (Achlioptas 2003; Li, Hastie and Church 2006).

Y = X S with S_ij = +-sqrt(1/(m q)) with probability q/2 each and 0 otherwise, where
q is ``density``; ``density="auto"`` takes q = 1/sqrt(d) (Li et al.), and q = 1/3 is
Achlioptas' database-friendly projection.  E[S S^T] = I, so E[YY^T] = XX^T.
``n_components="auto"`` uses the Gaussian (Gordon) size: for q = 1/3 the entries are
sub-Gaussian and the bound holds up to a constant; for q = 1/sqrt(d) it is a heuristic
(Li et al. show the same asymptotic variance), no proven constant.
Cost: drawing about q*d*m nonzeros, plus the product, about q*nnz(X)*m.
Memory: S is stored sparse, q d m nonzeros at about 45 bytes each while it is built
(row and column indices, signs, then CSR): outside the contract's O(n^2 + n m + d) when
q d m > d, e.g. q d m = 4 M nonzeros, about 180 MiB, at d = 2^20, m = 4096,
q = 1/sqrt(d), and d m / 3 nonzeros at q = 1/3 (use it only for small d m).
"""

import math
from numbers import Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from attnbench.algorithms.base import SIZED_PARAMETERS, ProjectionReducer, SizedReducer
from attnbench.algorithms.gaussian import gordon_n_components
from attnbench.algorithms.registry import register
from attnbench.validation import Interval, Options

# "auto" (1/sqrt(d)) or the probability q in (0, 1] that an entry of S is nonzero.
DENSITY = [Options("auto"), Interval(Real, 0, 1, closed="right")]


@register("sparse_sign")
class SparseSign(SizedReducer, ProjectionReducer):
    family = "projection"
    cost_model = "dense_projection"

    _parameter_constraints: ClassVar[dict] = {**SIZED_PARAMETERS, "density": DENSITY}

    def __init__(self, n_components="auto", density="auto", eps=0.5, delta=0.1, random_state=None):
        self.n_components = n_components
        self.density = density
        self.eps = eps
        self.delta = delta
        self.random_state = random_state

    def _auto_n_components(self, n, d):
        return gordon_n_components(n, self.eps, self.delta)

    def _make_components(self, X, rng):
        d = X.shape[1]
        m = self._resolve_n_components(*X.shape)
        q = 1.0 / math.sqrt(d) if self.density == "auto" else float(self.density)
        self.density_ = q
        nnz_per_column = rng.binomial(d, q, size=m)
        rows = np.concatenate(
            [rng.choice(d, size=k, replace=False) for k in nnz_per_column]
        ) if m else np.empty(0, dtype=np.intp)
        cols = np.repeat(np.arange(m), nnz_per_column)
        signs = rng.choice(np.array([-1.0, 1.0]), size=rows.size) / math.sqrt(m * q)
        return sp.csr_matrix((signs, (rows, cols)), shape=(d, m))
