"""Family ``coherent``: a few heavy columns carry most of the mass.

X = [L | H] up to a random column order: L holds d - h light N(0, 1) columns scaled to
share 1 - ``mass`` of ||X||_F^2, H holds h = ``n_heavy`` random directions in R^n, each
with squared norm ``mass`` / h.  With L ~ ((1 - mass)/n) I in Gram terms, a heavy
column's leverage score is about s / (s + (1 - mass)/n), s = mass / h, i.e. near 1
(0.99 at the defaults and n = 64), while a light column's is about n / d.

Stresses sampling: uniform sampling misses the heavy columns with probability
(1 - h/d)^m and then does worse than the m = 0 reducer; norm and leverage sampling
find them.
"""

from typing import ClassVar

import numpy as np

from attnbench.datasets.registry import Family, Param, register_family


@register_family("coherent")
class Coherent(Family):
    summary = "a few heavy columns carry most of ||X||_F^2: max leverage ~ 1, uniform fails"
    params: ClassVar[dict[str, Param]] = {
        "n_heavy": Param(4, "number h of heavy columns", (int,), lambda v: v >= 1, ">= 1"),
        "mass": Param(0.9, "fraction of ||X||_F^2 in the heavy columns", (float,),
                      lambda v: 0.0 < v < 1.0, "in (0, 1)"),
    }

    def check(self, spec):
        super().check(spec)
        if spec.param_dict["n_heavy"] > spec.d:
            raise ValueError(
                f"params.n_heavy: {spec.param_dict['n_heavy']} heavy columns do not fit in "
                f"d = {spec.d}."
            )

    def generate(self, spec, rng):
        n_heavy, mass = spec.param_dict["n_heavy"], spec.param_dict["mass"]
        X = rng.standard_normal((spec.n, spec.d))
        heavy = np.zeros(spec.d, dtype=bool)
        heavy[rng.choice(spec.d, size=n_heavy, replace=False)] = True
        col_sq = np.einsum("ij,ij->j", X, X)
        light_sq = col_sq[~heavy].sum()
        light_scale = np.sqrt((1.0 - mass) / light_sq) if light_sq > 0 else 0.0
        X *= np.where(heavy, np.sqrt(mass / (n_heavy * col_sq)), light_scale)
        return X
