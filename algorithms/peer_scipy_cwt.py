"""Peer: SciPy's ``clarkson_woodruff_transform`` applied along d, Y = (S X^T)^T.

S is an m x d CountSketch (one +-1 per feature; Clarkson and Woodruff 2013), the same
map as ``countsketch`` in distribution; SciPy regenerates it from the seed on every call
and multiplies with ``S @ X.T`` (for C-ordered dense X, an implicit transposed copy).
``n_components="auto"`` is the second-moment size of ``countsketch``.  Cost: O(nnz(X)).
Memory: S as an m x d CSC matrix with d nonzeros (about 24 d bytes) and the product;
for sparse X, SciPy's sparse product (m x n, at most n m nonzeros): within the contract.
"""

import numpy as np
from scipy.linalg import clarkson_woodruff_transform

from attnbench.algorithms._peers import PeerReducer
from attnbench.algorithms._sparse_embedding import embedding_n_components
from attnbench.algorithms.registry import register


@register("peer_scipy_cwt")
class PeerScipyCWT(PeerReducer):
    cost_model = "input_sparsity"

    def _auto_n_components(self, n, d):
        return embedding_n_components(n, self.eps, self.delta)

    def _transform_peer(self, X):
        rng = np.random.default_rng(self.seed_)
        return clarkson_woodruff_transform(X.T, self.n_components_, rng=rng).T
