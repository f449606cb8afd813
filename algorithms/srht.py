"""Subsampled randomized trigonometric transform (SRHT with a DCT; Ailon and Chazelle
2009, Tropp 2011, Avron, Maymounkov and Toledo 2010).

Y = sqrt(d/m) * (X D F^T)[:, P]: D random signs, F the orthonormal DCT-II of length d
(any d, no padding), P m coordinates drawn without replacement.  F D flattens the
leverage of the features (|F_ij| <= sqrt(2/d)), after which uniform sampling works.
Guarantee (Boutsidis and Gittens 2013, Lemma 4.1, for the Hadamard transform; the DCT's
squared coherence is twice as large, so m is doubled): ``n_components="auto"``,
m = ceil(12 eps^-2 (sqrt(n) + sqrt(8 ln(3d/delta)))^2 ln(3n/delta)) gives
(1 +- eps) w.p. >= 1 - delta.  When that m reaches d, "auto" returns X itself (exact;
base.AutoSizeWarning); an explicit m >= d is capped at d (Y is X rotated: exact).
Cost: O(n d log d): one DCT of length d per row of X.  Memory: Y (n x m) and O(d), the
rows rotated a few at a time (dense or sparse input alike; a sparse X is densified one
row block at a time, never whole), plus the d signs and the permutation that draws P.
"""

import math

import numpy as np
import scipy.fft
import scipy.sparse as sp

from attnbench.algorithms.base import SizedReducer
from attnbench.algorithms.registry import register

ROW_BLOCK_BYTES = 4 * 2**20  # rows rotated at a time: per-row DCT speed is the same


@register("srht")
class SRHT(SizedReducer):
    family = "projection"
    deterministic = False
    cost_model = "fast_transform"

    def _auto_n_components(self, n, d):
        a = math.sqrt(n) + math.sqrt(8.0 * math.log(3.0 * d / self.delta))
        return math.ceil(12.0 / self.eps**2 * a * a * math.log(3.0 * n / self.delta))

    def _fit(self, X, rng):
        d = X.shape[1]
        m = min(self._resolve_n_components(*X.shape), d)
        self.signs_ = rng.choice(np.array([-1.0, 1.0]), size=d)
        self.sampled_ = np.sort(rng.choice(d, size=m, replace=False))
        self.n_components_ = m

    def _transform(self, X):
        n, d = X.shape
        if sp.issparse(X):
            X = X.tocsr()  # row blocks in O(nnz of the block)
        rows = max(1, ROW_BLOCK_BYTES // (8 * d))
        Y = np.empty((n, self.n_components_))
        for i in range(0, n, rows):
            block = X[i : i + rows]
            block = block.toarray() if sp.issparse(block) else np.array(block, dtype=np.float64)
            block *= self.signs_
            rotated = scipy.fft.dct(block, type=2, norm="ortho", axis=1, overwrite_x=True)
            Y[i : i + rows] = rotated[:, self.sampled_]
        if self.n_components_:
            Y *= math.sqrt(d / self.n_components_)
        return Y
