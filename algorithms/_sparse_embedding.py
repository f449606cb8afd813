"""Sparse embeddings of the feature dimension: CountSketch and OSNAP matrices.

S is d x m with s nonzeros +-1/sqrt(s) per row (one row per feature): the block
construction of OSNAP (Nelson and Nguyen 2013) splits the m columns into s blocks of m/s
and hashes every feature into one column of each block with a random sign.  s = 1 is
CountSketch (Clarkson and Woodruff 2013).  S is a function of a 64-bit key drawn from
``random_state`` (counter-based hashing, see ``_kernels``): O(1) to draw, nothing stored,
and applied in one read of X at cost O(s nnz(X)).

Guarantee used for ``n_components="auto"``, proven for every X and every s >= 1: for
unit x, y, E[(<S^T x, S^T y> - <x, y>)^2] <= (|x|^2|y|^2 + <x,y>^2)/m, so for an
orthonormal basis V of a k-dim subspace E||V^T S S^T V - I||_F^2 <= (k^2 + k)/m, and by
Markov m >= (k^2 + k)/(delta eps^2) gives a (1 +- eps) subspace embedding w.p. >= 1 - delta
(the second-moment argument of Nelson and Nguyen 2013 and Meng and Mahoney 2013; for
s > 1 the s blocks are independent CountSketches of m/s columns averaged, same bound).  That
m grows as n^2 / delta; s = 1 cannot do better (Nelson and Nguyen 2013b: m = Omega(n^2)
is necessary), and larger s only help with high probability through theorems whose
constants are not explicit, so "auto" keeps the second-moment size for every s.
"""

import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from attnbench.algorithms._kernels import (
    check_embedding_shape,
    embed_with_probe,
    embedding_codes,
)
from attnbench.algorithms.base import ProjectionReducer, as_dense_output
from attnbench.validation import check_matrix


def embedding_n_components(k, eps, delta, s=1):
    """Columns that make a sparse embedding a (1 +- eps) embedding of a k-dim subspace."""
    m = math.ceil((k * k + k) / (delta * eps**2))
    return s * math.ceil(m / s)


def embedding_key(rng):
    """The 64-bit key of a sparse embedding, drawn from ``rng``."""
    return int(rng.integers(2**64, dtype=np.uint64))


def embedding_matrix(key, d, m, s):
    """S as a d x m CSR matrix (s entries +-1/sqrt(s) per row)."""
    codes = embedding_codes(key, d, m, s)
    values = np.where(codes & 1, -1.0, 1.0) / math.sqrt(s) if codes.size else np.empty(0)
    indptr = np.arange(d + 1) * codes.shape[1]
    return sp.csr_matrix((values.ravel(), (codes >> 1).ravel(), indptr), shape=(d, m))


def embed_checked(X, key, m, s):
    """Y = X S for X validated with ``check_finite=False``: a NaN or infinity in X makes
    the kernel's probe (a sum of Y's entries or of X's stored values: finite only if every
    term is) non-finite, and then X is validated in full, which raises the usual error."""
    Y, probe = embed_with_probe(X, key, m, s)
    if not np.isfinite(probe):
        check_matrix(X)
    return Y


class FiniteCheckInKernel:
    """Mixin: ``fit_transform`` skips validation's finiteness pass over X, because the
    reducer's first pass over X (``embed_checked``) detects NaN and infinity itself."""

    def fit_transform(self, X, y=None):
        X = check_matrix(X, check_finite=False)
        self._fit_checked(X)
        if self.passthrough_:  # Y = X: no kernel pass, so validation checks finiteness
            X = check_matrix(X)
        return as_dense_output(self._fitted_output(X))


class SparseEmbeddingReducer(FiniteCheckInKernel, ProjectionReducer):
    """Y = X S for a sparse embedding S, applied in one read of X.

    Subclasses give ``_embedding_shape(n, d) -> (m, s)``.  ``fit`` draws ``key_``;
    ``components_`` builds the d x m CSR matrix on request.
    """

    family = "projection"
    deterministic = False
    cost_model = "input_sparsity"
    input_sparsity_time = True

    def _fit(self, X, rng):
        self.n_components_, self.nonzeros_per_feature_ = self._embedding_shape(*X.shape)
        self.key_ = embedding_key(rng)
        check_embedding_shape(self.n_components_, self.nonzeros_per_feature_)

    @property
    def components_(self):
        """S (d x m, CSR)."""
        check_is_fitted(self)
        return embedding_matrix(
            self.key_, self.n_features_in_, self.n_components_, self.nonzeros_per_feature_
        )

    def _transform(self, X):
        return embed_checked(X, self.key_, self.n_components_, self.nonzeros_per_feature_)
