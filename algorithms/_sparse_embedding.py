"""Sparse embeddings of the feature dimension: CountSketch and OSNAP matrices.

S is d x m with s nonzeros per row (one row per feature): the block construction of
OSNAP (Nelson and Nguyen 2013) splits the m columns into s blocks of m/s and hashes
every feature into one column of each block with a random sign, scaled by 1/sqrt(s).
s = 1 is CountSketch (Clarkson and Woodruff 2013).  Building S costs O(s d).

Guarantee used for ``n_components="auto"``: for unit x, y,
E[(<S^T x, S^T y> - <x, y>)^2] <= (|x|^2|y|^2 + <x,y>^2)/m, so for an orthonormal
basis V of a k-dim subspace E||V^T S S^T V - I||_F^2 <= (k^2 + k)/m, and by Markov
m >= (k^2 + k)/(delta eps^2) gives a (1 +- eps) subspace embedding w.p. 1 - delta.
"""

import math

import numpy as np
import scipy.sparse as sp


def embedding_n_components(k, eps, delta, s=1):
    """Columns that make a sparse embedding a (1 +- eps) embedding of a k-dim subspace."""
    m = math.ceil((k * k + k) / (delta * eps**2))
    return s * math.ceil(m / s)


def sparse_embedding(d, m, s, rng):
    """A d x m CSR matrix with s nonzeros +-1/sqrt(s) per row, one in each block of m/s."""
    if m % s:
        raise ValueError(f"n_components ({m}) must be a multiple of s ({s}).")
    block = m // s
    if block == 0:
        return sp.csr_matrix((d, m))
    columns = rng.integers(0, block, size=(d, s), dtype=np.int32)
    columns += block * np.arange(s, dtype=np.int32)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(d, s)) / math.sqrt(s)
    indptr = np.arange(0, d * s + 1, s, dtype=np.int64 if d * s >= 2**31 else np.int32)
    return sp.csr_matrix((signs.ravel(), columns.ravel(), indptr), shape=(d, m))
