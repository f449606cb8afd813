"""CountSketch (Clarkson and Woodruff 2013): Y = X S, S a d x m sparse embedding with
one +-1 per feature, placed in a uniformly random column.

Guarantee: with m = ceil((n^2 + n)/(delta eps^2)) (``n_components="auto"``),
(1-eps)XX^T <= YY^T <= (1+eps)XX^T w.p. >= 1 - delta (second-moment bound; see
``_sparse_embedding``).  Cost: O(d) to build S, O(nnz(X)) to apply it in one read of X.
"""

from attnbench.algorithms._sparse_embedding import SparseEmbeddingReducer, embedding_n_components
from attnbench.algorithms.base import SizedReducer
from attnbench.algorithms.registry import register


@register("countsketch")
class CountSketch(SizedReducer, SparseEmbeddingReducer):
    def _auto_n_components(self, n, d):
        return embedding_n_components(n, self.eps, self.delta)

    def _embedding_shape(self, n, d):
        return self._resolve_n_components(n, d), 1
