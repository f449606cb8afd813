"""CountSketch (Clarkson and Woodruff 2013): Y = X S, S a d x m sparse embedding with
one +-1 per feature, placed in a uniformly random column.

Guarantee, for every X (any rank, sign pattern or sparsity): m = ceil((n^2 + n)/(delta
eps^2)) (``n_components="auto"``) gives (1-eps)XX^T <= YY^T <= (1+eps)XX^T w.p.
>= 1 - delta (second-moment bound and Markov; see ``_sparse_embedding``).  The size is
quadratic in n and linear in 1/delta, and it has to be: with one nonzero per feature, two
features of X that own different rows collide with probability about 1/m, so m must
exceed the n^2 pairs of rows (Nelson and Nguyen 2013b).  Smaller explicit sizes carry no
guarantee on such inputs (private columns, [I, 0]).  Cost: O(1) to draw S (a key), one
read of X to apply it: O(nnz(X)), with no d-sized work on sparse X.
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
