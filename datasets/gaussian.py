"""Family ``gaussian``: X_ij ~ N(0, 1) i.i.d., then scaled to r.

Stresses nothing: every column has about the same norm and leverage (~ n/d each), so
uniform sampling, norm sampling and leverage sampling coincide in expectation.  The
incoherent baseline against which the other families are read.
"""

from attnbench.datasets.registry import Family, register_family


@register_family("gaussian")
class Gaussian(Family):
    summary = "i.i.d. N(0, 1) entries: the incoherent baseline (leverage ~ n/d everywhere)"

    def generate(self, spec, rng):
        return rng.standard_normal((spec.n, spec.d))
