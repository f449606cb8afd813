"""Breaks rule ``formats_agree``: the sparse path drops the signs of X."""

import scipy.sparse as sp

from attnbench.algorithms.countsketch import CountSketch


class SparsePathDiffers(CountSketch):
    """CountSketch whose sparse branch applies S to |X| (a slip from a norm computation)."""

    name = "broken_sparse_path_differs"

    def _transform(self, X):
        return super()._transform(abs(X) if sp.issparse(X) else X)
