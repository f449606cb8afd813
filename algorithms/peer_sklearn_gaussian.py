"""Peer: scikit-learn's ``GaussianRandomProjection`` (Y = X R^T, R_ij ~ N(0, 1/m)).

The same map as ``gaussian`` in distribution; scikit-learn draws R with the legacy
RandomState generator and stores it (m x d, dense).  ``n_components="auto"`` is the
Gordon size of ``gaussian`` (not scikit-learn's pairwise-distance JL size).
Cost: d*m normals plus the product, nnz(X)*m.
"""

from sklearn.random_projection import GaussianRandomProjection

from attnbench.algorithms._peers import SklearnProjectionPeer
from attnbench.algorithms.registry import register


@register("peer_sklearn_gaussian")
class PeerSklearnGaussian(SklearnProjectionPeer):
    def _estimator(self):
        return GaussianRandomProjection(self.n_components_, random_state=self.seed_)
