"""Family ``lowrank``: rank k plus noise.

X = L / ||L||_F + noise * N / ||N||_F with L = A B, A in R^{n x k}, B in R^{k x d}
and N in R^{n x d} all i.i.d. N(0, 1): ``noise`` is the ratio ||noise part||_F /
||rank-k part||_F, and with noise = 0 the rank is exactly k.

Stresses the rank-dependent parts: the exact reducers need m = rank(X) columns,
leverage sampling draws O(k log k) instead of O(n log n), and spectral_eps is taken on
range(XX^T), which is k-dimensional when noise = 0.
"""

from typing import ClassVar

import numpy as np

from attnbench.datasets.registry import Family, Param, register_family


@register_family("lowrank")
class LowRank(Family):
    summary = "rank k plus relative Frobenius noise: rank-dependent sizes, small range(XX^T)"
    params: ClassVar[dict[str, Param]] = {
        "k": Param(8, "rank of the signal part", (int,), lambda v: v >= 1, ">= 1"),
        "noise": Param(0.01, "||noise||_F / ||signal||_F", (float,), lambda v: v >= 0.0, ">= 0"),
    }
    working_copies = 2

    def check(self, spec):
        super().check(spec)
        k = spec.param_dict["k"]
        if k > min(spec.n, spec.d):
            raise ValueError(f"params.k: rank {k} exceeds min(n, d) = {min(spec.n, spec.d)}.")

    def generate(self, spec, rng):
        k, noise = spec.param_dict["k"], spec.param_dict["noise"]
        X = rng.standard_normal((spec.n, k)) @ rng.standard_normal((k, spec.d))
        X /= np.linalg.norm(X)
        if noise > 0:
            N = rng.standard_normal((spec.n, spec.d))
            X += (noise / np.linalg.norm(N)) * N
        return X
