"""bss (Batson, Spielman, Srivastava 2012, Twice-Ramanujan sparsifiers) at the sizes it
affords: CPU seconds of one fit on one BLAS thread, and the shortlist's speed-up over
the plain greedy.

- ``Scale.track_cpu_seconds``: dense Gaussian X, d = 2^16, b = 4 (kappa = 9), n = 256,
  512 and 1024 (one fit each: at n = 1024 it is tens of seconds).  Its cost is
  O(d n^2 + b n^(10/3)) (the module docstring of ``attnbench.algorithms.bss``), so the
  time grows about as n^2 at these sizes, where the Gram and the rankings dominate.
- ``Shortlist.track_shortlist_over_greedy``: n = 128, d = 2^14, b = 4, the default
  ``candidates="shortlist"`` over ``"all"`` (every column ranked at every step), the
  two timed alternately.

These are absolute seconds (``Scale``): compare them across commits on one machine.
"""

from .common import (
    GridAxis,
    blas_threads_limited,
    cpu_ratio,
    grid_name,
    random_input,
    suite_version,
)

B = 4.0
SCALE_N = {"smoke": [16, 32], "default": [256, 512, 1024], "large": [256, 512, 1024]}
SCALE_D = {"smoke": 2**10, "default": 2**16, "large": 2**16}
SHORTLIST_SHAPE = {"smoke": (16, 2**10), "default": (128, 2**14), "large": (128, 2**14)}


def fitted_seconds(X, **params):
    """CPU seconds of one bss fit on X."""
    import time

    from attnbench.algorithms import get_reducer

    reducer = get_reducer("bss", b=B, **params)
    start = time.process_time()
    reducer.fit(X)
    return time.process_time() - start


class Scale:
    """CPU seconds of one bss fit, dense X, d fixed, along n."""

    params = GridAxis(**SCALE_N)
    param_names = ["n"]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(1)
    timeout = 600

    def setup(self, n):
        self._limits = blas_threads_limited()
        self.X = random_input(n, SCALE_D[grid_name()], None, "dense_c")

    def teardown(self, n):
        self._limits.restore_original_limits()

    def track_cpu_seconds(self, n):
        return fitted_seconds(self.X)

    track_cpu_seconds.unit = "seconds"


class Shortlist:
    """The shortlist's CPU time over the plain greedy's (below 1: the shortlist pays)."""

    version = suite_version(1)
    timeout = 600

    def setup(self):
        self._limits = blas_threads_limited()
        n, d = SHORTLIST_SHAPE[grid_name()]
        self.X = random_input(n, d, None, "dense_c")

    def teardown(self):
        self._limits.restore_original_limits()

    def track_shortlist_over_greedy(self):
        from attnbench.algorithms import get_reducer

        shortlist = get_reducer("bss", b=B)
        greedy = get_reducer("bss", b=B, candidates="all")
        return cpu_ratio(lambda: shortlist.fit(self.X), lambda: greedy.fit(self.X), rounds=3)

    track_shortlist_over_greedy.unit = "greedy"
