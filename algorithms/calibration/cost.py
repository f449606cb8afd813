"""``calibration_cost``: ``leverage_fast`` that checks X once per token (planted fault).

Before sampling it scans every stored value of X for non-finite entries n times, once
per row, as a validation left inside a per-token loop would: O(n·nnz(X)) more work
(n²d on dense X) and O(nnz(X)) bytes of scratch per scan.  Y is leverage_fast's, bit for
bit, at the same seed.  It still declares the paper's randomized model
a·nnz(X) + b·n^ω, which it breaks: along d and the density its time grows like nnz(X),
along n (fixed d and density) like n·nnz(X) ∝ n², and no one pair (a, b) fits both.  The
claims' time rule (attnbench.analysis.claims) must judge it ``fails``.
"""

import numpy as np
import scipy.sparse as sp

from attnbench.algorithms.leverage_fast import LeverageFast
from attnbench.algorithms.registry import register


def all_finite(values):
    """One scan of ``values``: O(values.size)."""
    return bool(np.isfinite(values).all())


@register("calibration_cost")
class CalibrationCost(LeverageFast):
    family = "calibration"

    def _fit(self, X, rng):
        values = X.data if sp.issparse(X) else X
        for _ in range(X.shape[0]):  # the planted fault: one full scan per token, whose
            all_finite(values)  # answer leverage_fast's own finiteness check makes moot
        super()._fit(X, rng)
