"""The m = 0 reducer: Y is n x 0, so YY^T = 0 and A(Y) = (1/n) 11^T.

Guarantee: when every entry of XX^T lies in (-r, r), every entry of A(X) lies within
about 2r/n of 1/n, so ||A(Y) - A(X)||_inf = O(r/n): the trivial baseline that already
meets the paper's O(r) bound.  Cost: O(1) for the reduction, but the input
validation every reducer does (a finiteness scan of X) makes fit O(nnz(X)), and that is
what its timings measure, so it declares the input-sparsity model.  Memory: O(d) (the
empty d x 0 sparse ``components_``; ProjectionReducer builds the empty Y without
touching X).
"""

import scipy.sparse as sp

from attnbench.algorithms.base import ProjectionReducer
from attnbench.algorithms.registry import register


@register("zero")
class Zero(ProjectionReducer):
    family = "trivial"
    deterministic = True
    cost_model = "input_sparsity"

    def _make_components(self, X, rng):
        return sp.csr_matrix((X.shape[1], 0))
