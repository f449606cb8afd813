"""Sparse embeddings of the feature dimension: CountSketch and OSNAP matrices.

S is d x m with s nonzeros per row (one row per feature): the block construction of
OSNAP (Nelson and Nguyen 2013) splits the m columns into s blocks of m/s and hashes
every feature into one column of each block with a random sign, scaled by 1/sqrt(s).
s = 1 is CountSketch (Clarkson and Woodruff 2013).  S is kept as one integer code per
nonzero, 2 * column + (sign < 0), drawn in one call: O(s d).  Applying it costs
O(s nnz(X)) with the one-pass kernels of ``_kernels``.

Guarantee used for ``n_components="auto"``: for unit x, y,
E[(<S^T x, S^T y> - <x, y>)^2] <= (|x|^2|y|^2 + <x,y>^2)/m, so for an orthonormal
basis V of a k-dim subspace E||V^T S S^T V - I||_F^2 <= (k^2 + k)/m, and by Markov
m >= (k^2 + k)/(delta eps^2) gives a (1 +- eps) subspace embedding w.p. 1 - delta.
"""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from attnbench.algorithms._kernels import apply_sparse_embedding
from attnbench.algorithms.base import ProjectionReducer


def embedding_n_components(k, eps, delta, s=1):
    """Columns that make a sparse embedding a (1 +- eps) embedding of a k-dim subspace."""
    m = math.ceil((k * k + k) / (delta * eps**2))
    return s * math.ceil(m / s)


def embedding_codes(d, m, s, rng):
    """Codes of S (s x d): row k holds 2 * column + (sign < 0) of each feature in block k.

    A uniform integer in [0, 2 m/s) is a uniform column of the block and an independent
    fair sign at once.
    """
    if m % s:
        raise ValueError(f"n_components ({m}) must be a multiple of s ({s}).")
    block = m // s
    code_type = next(u for u in (np.uint16, np.uint32, np.uint64) if 2 * m <= np.iinfo(u).max)
    if block == 0:
        return np.empty((0, d), dtype=code_type)
    offsets = (2 * block * np.arange(s, dtype=code_type))[:, None]
    return rng.integers(0, 2 * block, size=(s, d), dtype=code_type) + offsets


def embedding_matrix(codes, m):
    """S as a d x m CSR matrix (s entries +-1/sqrt(s) per row) from its codes."""
    s, d = codes.shape
    values = np.where(codes.T & 1, -1.0, 1.0) / math.sqrt(s) if s else np.empty((d, 0))
    indptr = np.arange(d + 1) * s
    return sp.csr_matrix((values.ravel(), (codes.T >> 1).ravel(), indptr), shape=(d, m))


def sparse_embedding(d, m, s, rng):
    """A d x m CSR matrix with s nonzeros +-1/sqrt(s) per row, one in each block of m/s."""
    return embedding_matrix(embedding_codes(d, m, s, rng), m)


class SparseEmbeddingReducer(ProjectionReducer):
    """Y = X S for a sparse embedding S, applied in one read of X.

    Subclasses give ``_embedding_shape(n, d) -> (m, s)``.  S is stored as ``codes_``;
    ``components_`` builds the d x m CSR matrix on request.
    """

    family = "projection"
    deterministic = False
    cost_model = "input_sparsity"
    input_sparsity_time = True

    def _fit(self, X, rng):
        m, s = self._embedding_shape(*X.shape)
        self.codes_ = embedding_codes(X.shape[1], m, s, rng)
        self.n_components_ = m

    @property
    def components_(self):
        """S (d x m, CSR)."""
        check_is_fitted(self)
        return embedding_matrix(self.codes_, self.n_components_)

    def _transform(self, X):
        return apply_sparse_embedding(X, self.codes_, self.n_components_)
