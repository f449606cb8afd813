"""Column sampling with p_i proportional to ||X_i||^2 (Drineas, Kannan, Mahoney 2006).

Guarantee (approximate matrix multiplication): E||YY^T - XX^T||_F^2 <= ||X||_F^4 / s,
so ``n_components="auto"``, s = ceil(1/(delta eps^2)), gives
||YY^T - XX^T||_F <= eps ||X||_F^2 w.p. >= 1 - delta (Markov).  This is a Frobenius,
not a spectral, bound.  Cost: O(nnz(X)) for the norms, O(d + s log d) for the draws.
Memory: the squared entries of a sparse X (one transient copy of its values), O(d + s)
plus Y.
"""

import math

import numpy as np
import scipy.sparse as sp

from attnbench.algorithms.base import SamplingReducer
from attnbench.algorithms.registry import register


@register("norm_sampling")
class NormSampling(SamplingReducer):
    cost_model = "input_sparsity"
    input_sparsity_time = True

    def _auto_n_components(self, n, d):
        return math.ceil(1.0 / (self.delta * self.eps**2))

    def _probabilities(self, X):
        if sp.issparse(X):
            return np.asarray(X.multiply(X).sum(axis=0)).ravel()
        return np.einsum("ij,ij->j", X, X)
