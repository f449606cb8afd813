"""Family ``heavy_tailed``: Zipf-distributed column norms.

X_i = sqrt(rank(i)^{-s}) * g_i / ||g_i|| with g_i ~ N(0, I_n) and rank a random
permutation of 1..d, so the squared column norms follow Zipf's law with exponent
s = ``exponent``: ||X_i||^2 proportional to 1 / rank(i)^s.  At s = 1 the heaviest
column holds 1 / H_d (about 1 / ln d) of ||X||_F^2; s = 0 gives equal norms.

Stresses norm-proportional sampling against uniform sampling along a smooth spectrum
of column importance (not a fixed few outliers, as ``coherent``), and a stable rank
that falls as s grows.  The heaviest columns still stand out in leverage: at s = 1,
n = 64, d = 4096 the maximum leverage score is 0.92 (seed 0) against 0.027 for
``gaussian``.
"""

from typing import ClassVar

import numpy as np

from attnbench.datasets.registry import Family, Param, register_family


@register_family("heavy_tailed")
class HeavyTailed(Family):
    summary = "squared column norms follow Zipf's law 1/rank^s: norm vs uniform sampling"
    params: ClassVar[dict[str, Param]] = {
        "exponent": Param(1.0, "Zipf exponent s of the squared column norms", (float,),
                          lambda v: v >= 0.0, ">= 0"),
    }

    def generate(self, spec, rng):
        X = rng.standard_normal((spec.n, spec.d))
        ranks = rng.permutation(spec.d) + 1.0
        target_sq = ranks ** -spec.param_dict["exponent"]
        X *= np.sqrt(target_sq / np.einsum("ij,ij->j", X, X))
        return X
