"""Breaks rule ``input_sparsity``: claims input-sparsity time, but densifies sparse X."""

import scipy.sparse as sp

from attnbench.algorithms.countsketch import CountSketch


class Densifies(CountSketch):
    """CountSketch that turns sparse X into a dense array first."""

    name = "broken_densifies"

    def _transform(self, X):
        return super()._transform(X.toarray() if sp.issparse(X) else X)
