"""OSNAP (Nelson and Nguyen 2013), block construction: Y = X S, S a d x m sparse
embedding with s nonzeros +-1/sqrt(s) per feature, one in each of s blocks of about m/s
columns (widths differ by at most one when s does not divide m).  An explicit
n_components is kept as given; below s it uses s = n_components nonzeros (one a column).

Guarantee, for every X: m = ceil((n^2 + n)/(delta eps^2)) rounded up to a multiple of s
(``n_components="auto"``) gives a (1 +- eps) spectral approximation w.p. >= 1 - delta:
the CountSketch second-moment bound, which holds for every s (see ``_sparse_embedding``).
Larger s buy much smaller m with high probability, m = O(n log(n/delta)/eps^2) at
s = O(log(n/delta)/eps) (Cohen 2016), but those theorems give no explicit constants, so
"auto" does not shrink with s: an explicit n_components of order n log n is the
practical choice (``leverage_fast`` uses one) and carries only that asymptotic
guarantee.  Cost: O(1) to draw S (a key), O(s nnz(X)) to apply it in one read of X.
"""

from typing import ClassVar

from attnbench.algorithms._sparse_embedding import SparseEmbeddingReducer, embedding_n_components
from attnbench.algorithms.base import POSITIVE_INT, SIZED_PARAMETERS
from attnbench.algorithms.registry import register


@register("osnap")
class OSNAP(SparseEmbeddingReducer):
    _parameter_constraints: ClassVar[dict] = {**SIZED_PARAMETERS, "s": [POSITIVE_INT]}

    def __init__(self, n_components="auto", s=4, eps=0.5, delta=0.1, random_state=None):
        self.n_components = n_components
        self.s = s
        self.eps = eps
        self.delta = delta
        self.random_state = random_state

    def _auto_n_components(self, n, d):
        return embedding_n_components(n, self.eps, self.delta, self.s)

    def _embedding_shape(self, n, d):
        s = int(self.s)
        m = self._resolve_n_components(n, d)
        if isinstance(self.n_components, str):  # "auto": the bound, rounded up to s blocks
            return s * -(-m // s), s
        return m, max(1, min(s, m))
