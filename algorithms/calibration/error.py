"""``calibration_error``: ``leverage_fast`` with Y scaled by n (planted fault).

The weights carry a factor n (a normalisation applied the wrong way round), so
YY^T ≈ n²·XX^T: spectral_eps ≈ n² − 1, and the logits grow n²-fold, so attn_err_inf is
far above r at every n ≥ 8 (about n·r while n²r is small, up to 1 beyond).  The
claims' error rules (the paper's err <= r and the proof's spectral bound) must judge it
``fails``.
"""

from attnbench.algorithms.leverage_fast import LeverageFast
from attnbench.algorithms.registry import register


@register("calibration_error")
class CalibrationError(LeverageFast):
    family = "calibration"

    def _fit(self, X, rng):
        super()._fit(X, rng)
        self.weights_ = self.weights_ * X.shape[0]
