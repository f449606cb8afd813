"""Family ``duplicated``: every column repeated ``copies`` times.

u = ceil(d / c) distinct N(0, I_n) columns, c = ``copies``, laid out in a random order,
each appearing floor(d / u) or ceil(d / u) times.  A column with leverage l in the
deduplicated matrix has leverage l / c in X, and rank(X) <= u.

Stresses reducers that pick columns: a deterministic selection (BSS) or a sampler
may spend its budget on copies of one column, and the merged weights of repeated
draws must still give E[YY^T] = XX^T.
"""

import math
from typing import ClassVar

import numpy as np

from attnbench.datasets.registry import Family, Param, register_family


@register_family("duplicated")
class Duplicated(Family):
    summary = "each of ceil(d/c) Gaussian columns repeated c times: duplicate selection"
    params: ClassVar[dict[str, Param]] = {
        "copies": Param(8, "copies c of each distinct column", (int,), lambda v: v >= 1, ">= 1"),
    }

    def generate(self, spec, rng):
        distinct = math.ceil(spec.d / spec.param_dict["copies"])
        base = rng.standard_normal((spec.n, distinct))
        return base[:, rng.permutation(np.arange(spec.d) % distinct)]
