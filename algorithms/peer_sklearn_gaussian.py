"""Peer: scikit-learn's ``GaussianRandomProjection`` (Y = X R^T, R_ij ~ N(0, 1/m)).

The same map as ``gaussian`` in distribution; scikit-learn draws R with the legacy
RandomState generator and stores it (m x d, dense).  ``n_components="auto"`` is the
Gordon size of ``gaussian`` (not scikit-learn's pairwise-distance JL size).
Cost: d*m normals plus the product, nnz(X)*m.
Memory: scikit-learn draws and keeps R as a dense m x d float64 array, 8 d m bytes, and
for sparse X SciPy's product copies R^T into C order: 16 d m at peak (4 GiB at d = 2^20,
m = 256), outside the contract's O(n^2 + n m + d); ``gaussian`` never stores S.
"""

from sklearn.random_projection import GaussianRandomProjection

from attnbench.algorithms._peers import SklearnProjectionPeer
from attnbench.algorithms.registry import register


@register("peer_sklearn_gaussian")
class PeerSklearnGaussian(SklearnProjectionPeer):
    def _estimator(self):
        return GaussianRandomProjection(self.n_components_, random_state=self.seed_)
