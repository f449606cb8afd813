"""Peer: scikit-learn's ``SparseRandomProjection`` with dense output.

R_ij = +-sqrt(1/(m q)) with probability q/2 each, 0 otherwise (Achlioptas 2003; Li,
Hastie and Church 2006), q = ``density`` ("auto": 1/sqrt(d)); the same map as
``sparse_sign`` in distribution.  ``n_components="auto"`` is the Gordon size of
``sparse_sign``.  Cost: about q*d*m nonzeros to draw, plus the product, q*nnz(X)*m.
Memory: scikit-learn keeps R as a CSR m x d matrix of about q d m nonzeros (built row by
row, then scaled in a copy): O(q d m), as for ``sparse_sign``.
"""

from typing import ClassVar

from sklearn.random_projection import SparseRandomProjection

from attnbench.algorithms._peers import SklearnProjectionPeer
from attnbench.algorithms.base import SIZED_PARAMETERS
from attnbench.algorithms.registry import register
from attnbench.algorithms.sparse_sign import DENSITY


@register("peer_sklearn_sparse")
class PeerSklearnSparse(SklearnProjectionPeer):
    _parameter_constraints: ClassVar[dict] = {**SIZED_PARAMETERS, "density": DENSITY}

    def __init__(self, n_components="auto", density="auto", eps=0.5, delta=0.1, random_state=None):
        self.n_components = n_components
        self.density = density
        self.eps = eps
        self.delta = delta
        self.random_state = random_state

    def _estimator(self):
        return SparseRandomProjection(
            self.n_components_, density=self.density, dense_output=True, random_state=self.seed_
        )
