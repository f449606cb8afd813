"""The identity reducer: Y = X (m = d), so A(Y) = A(X) exactly.

A reference point, not a reduction: the output is a dense copy of X.
Cost: O(nnz(X)) to copy (plus n*d to densify sparse input).  Memory: Y, the output
(n x d dense, m = d), nothing else.
"""

from attnbench.algorithms.base import Reducer
from attnbench.algorithms.registry import register


@register("identity")
class Identity(Reducer):
    family = "exact"
    deterministic = True
    cost_model = "input_sparsity"

    def _fit(self, X, rng):
        self.n_components_ = X.shape[1]

    def _transform(self, X):
        return X
