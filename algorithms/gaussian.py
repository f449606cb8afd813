"""Gaussian random projection (Johnson-Lindenstrauss): Y = X S, S_ij ~ N(0, 1/m).

Guarantee: for the rank-k subspace range(X^T) (k <= n), the singular values of
sqrt(m) S^T V lie in [sqrt(m) - sqrt(k) - t, sqrt(m) + sqrt(k) + t] with probability
>= 1 - 2exp(-t^2/2) (Gordon's theorem; Vershynin 2012, Cor. 5.35).  Hence
``n_components="auto"``, m = ceil((sqrt(n) + sqrt(2 ln(2/delta)))^2 / (sqrt(1+eps) - 1)^2),
gives (1-eps)XX^T <= YY^T <= (1+eps)XX^T with probability >= 1 - delta.
Cost: d*m normals plus the product, nnz(X)*m.
"""

import math

from attnbench.algorithms.base import ProjectionReducer
from attnbench.algorithms.registry import register


def gordon_n_components(k, eps, delta):
    """Rows of a Gaussian embedding that give spectral eps on a k-dim subspace w.p. 1-delta."""
    a = math.sqrt(k) + math.sqrt(2.0 * math.log(2.0 / delta))
    return math.ceil(a**2 / (math.sqrt(1.0 + eps) - 1.0) ** 2)


@register("gaussian")
class Gaussian(ProjectionReducer):
    family = "projection"
    deterministic = False
    cost_model = "dense_projection"

    def __init__(self, n_components="auto", eps=0.5, delta=0.1, random_state=None):
        self.n_components = n_components
        self.eps = eps
        self.delta = delta
        self.random_state = random_state

    def _auto_n_components(self, n, d):
        return gordon_n_components(n, self.eps, self.delta)

    def _make_components(self, X, rng):
        m = self._resolve_n_components(*X.shape)
        S = rng.standard_normal((X.shape[1], m))
        S *= 1.0 / math.sqrt(m) if m else 1.0
        return S
