"""The dataset generators, as asv ``track_`` ratios measured in one process, BLAS on one
thread (lower is better):

- ``Generation.track_time_over_normal``: ``make_dataset`` (generation, scaling to r,
  statistics) per family at n = 64, d = 4096, over a bare ``rng.standard_normal((n, d))``,
  the least any dense family costs;
- ``SparseGeneration``: the sparse family's generator against ``scipy.sparse.random``
  at n = 256, d = 2^16, per density: CPU time and tracemalloc peak.  SciPy's sampler
  takes O(n d) memory at these densities; ours takes O(nnz).

The families that need the ``real`` extra (``minilm*``) are left out.
"""

from .common import blas_threads_limited, cpu_ratio, grid_name, suite_version

GENERATION_SHAPE = {"smoke": (16, 512), "default": (64, 4096), "large": (64, 4096)}
SPARSE_SHAPE = {"smoke": (16, 2**12), "default": (256, 2**16), "large": (256, 2**16)}
DENSITIES = [1e-3, 1e-2, 5e-2]
SPARSE_DENSITY = 0.01
ROUNDS = 7
SEED = 0


class FamilyAxis:
    """``params``: the registered families that run without extras, read when asv reads
    ``params``, so that a new family file is benchmarked without editing the suite."""

    def __get__(self, instance, owner):
        from attnbench.datasets import list_families

        return [[name for name in list_families() if not name.startswith("minilm")]]


def peak_bytes(work):
    """The tracemalloc peak of work(), in bytes."""
    import tracemalloc

    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class Generation:
    """make_dataset's CPU time over one standard normal draw of the same shape."""

    params = FamilyAxis()
    param_names = ["family"]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(1)

    def setup(self, family):
        from attnbench.datasets import DatasetSpec, get_family

        n, d = GENERATION_SHAPE[grid_name()]
        density = SPARSE_DENSITY if get_family(family).takes_density else 1.0
        self.spec = DatasetSpec(family, n, d, density=density, seed=SEED)
        self._limits = blas_threads_limited()

    def teardown(self, family):
        self._limits.restore_original_limits()

    def track_time_over_normal(self, family):
        import numpy as np

        from attnbench.datasets import make_dataset

        n, d = self.spec.n, self.spec.d
        normal = lambda: np.random.default_rng(SEED).standard_normal((n, d))
        return cpu_ratio(lambda: make_dataset(self.spec), normal, ROUNDS)

    track_time_over_normal.unit = "normal draw"


class SparseGeneration:
    """The sparse family's generator over scipy.sparse.random: time and peak memory."""

    params = [DENSITIES]  # noqa: RUF012 (asv reads class attributes)
    param_names = ["density"]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(1)

    def setup(self, density):
        import numpy as np
        import scipy.sparse as sp

        from attnbench.datasets import DatasetSpec, get_family

        n, d = SPARSE_SHAPE[grid_name()]
        self._limits = blas_threads_limited()
        family, spec = get_family("sparse"), DatasetSpec("sparse", n, d, density=density)
        self.ours = lambda: family.generate(spec, np.random.default_rng(SEED))

        def scipy_random():
            rng = np.random.default_rng(SEED)
            return sp.random(
                n, d, density, format="csr", random_state=rng, data_rvs=rng.standard_normal
            )

        self.scipy = scipy_random

    def teardown(self, density):
        self._limits.restore_original_limits()

    def track_time_over_scipy(self, density):
        return cpu_ratio(self.ours, self.scipy, ROUNDS)

    track_time_over_scipy.unit = "scipy"

    def track_peak_over_scipy(self, density):
        return peak_bytes(self.ours) / peak_bytes(self.scipy)

    track_peak_over_scipy.unit = "scipy"
