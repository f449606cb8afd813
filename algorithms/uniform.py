"""Uniform column sampling with rescaling: p_i = 1/d.

Guarantee: the matrix Chernoff bound gives (1 +- eps) w.p. 1 - delta with
s = 3 d max_i l_i ln(2k/delta)/eps^2 draws, l_i the column leverage scores.
``n_components="auto"`` assumes incoherent data (max_i l_i = n/d), i.e. the
leverage-sampling size 3 n ln(2n/delta)/eps^2; on data whose mass sits in a few
columns the guarantee fails, which is what this baseline is here to show.
Cost: O(d + s log d) for the draws, O(nnz of the selected columns) for Y.
Memory: O(d + s) (p and the draws) plus Y.
"""

import numpy as np

from attnbench.algorithms.base import SamplingReducer, chernoff_sample_size
from attnbench.algorithms.registry import register


@register("uniform")
class Uniform(SamplingReducer):
    cost_model = "sampling"
    input_sparsity_time = True

    def _auto_n_components(self, n, d):
        return chernoff_sample_size(n, self.eps, self.delta)

    def _probabilities(self, X):
        return np.ones(X.shape[1])
