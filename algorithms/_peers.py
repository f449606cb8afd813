"""Adapters for other libraries' implementations, shown beside ours in sweeps.

A peer follows the reducer contract: ``fit`` draws the peer's own integer seed from our
``random_state`` (so the same seed gives bitwise the same Y), ``n_components="auto"``
uses the bound of the matching attnbench reducer (so sizes are comparable), m = 0 gives
an empty Y, and the output is a dense float64 n x m array.  When "auto" asks for m >= d
a peer returns X itself, like every attnbench projection (base.AutoSizeWarning).
Memory is whatever the wrapped library allocates: each adapter's docstring says it.
"""

import warnings

import numpy as np
from sklearn.exceptions import DataDimensionalityWarning

from attnbench.algorithms.base import SizedReducer
from attnbench.algorithms.gaussian import gordon_n_components


class PeerReducer(SizedReducer):
    family = "projection"
    deterministic = False

    def _fit(self, X, rng):
        self.n_components_ = self._resolve_n_components(*X.shape)
        self.seed_ = int(rng.integers(2**32))  # RandomState accepts seeds below 2^32
        self._fit_peer(X)

    def _fit_peer(self, X):
        """Fit the wrapped implementation (nothing to do for stateless transforms)."""

    def _transform(self, X):
        if self.n_components_ == 0:
            return np.zeros((X.shape[0], 0))
        return self._transform_peer(X)


class SklearnProjectionPeer(PeerReducer):
    """A scikit-learn random projection; ``auto`` is the Gaussian (Gordon) size."""

    cost_model = "dense_projection"

    def _auto_n_components(self, n, d):
        return gordon_n_components(n, self.eps, self.delta)

    def _estimator(self):
        raise NotImplementedError

    def _fit_peer(self, X):
        self.projection_ = None
        if self.n_components_:
            # m > d is a legitimate size in attnbench; scikit-learn warns about it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataDimensionalityWarning)
                self.projection_ = self._estimator().fit(X)

    def _transform_peer(self, X):
        return self.projection_.transform(X)
