"""bss (Batson, Spielman, Srivastava 2012, Twice-Ramanujan sparsifiers) at the sizes it
affords, as asv ``track_`` ratios measured in one process, BLAS on one thread, b = 4
(kappa = 9), dense Gaussian X:

- ``Scale``, d = 2^16, n = 512 and 1024, each n and n/2 fitted once in one
  ``setup_cache`` (at n = 1024 a fit is tens of seconds):
  ``track_over_half_n``: CPU time of a fit at n over one at n/2 (2^slope in n; its cost
  O(d n^2 + b n^(10/3)), the module docstring of ``attnbench.algorithms.bss``, gives 4
  where the Gram and the rankings dominate, up to 2^(10/3) = 10 where the steps do);
  ``track_over_floor``: a fit at n over its floor at n (the whitening and one full
  scoring, ``bench_floors.floor_of``), CostFloor's ratio at the sizes of this class;
- ``Shortlist.track_shortlist_over_greedy``: n = 128, d = 2^14, the default
  ``candidates="shortlist"`` over ``"all"`` (every column ranked at every step), the
  two timed alternately (below 1: the shortlist pays).
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
SCALE_N = {"smoke": [32], "default": [512, 1024], "large": [512, 1024]}
SCALE_D = {"smoke": 2**10, "default": 2**16, "large": 2**16}
SHORTLIST_SHAPE = {"smoke": (16, 2**10), "default": (128, 2**14), "large": (128, 2**14)}


def cpu_seconds(work, *args):
    """CPU seconds of one call of work(*args)."""
    import time

    start = time.process_time()
    work(*args)
    return time.process_time() - start


class Scale:
    """bss along n at d fixed: time at n over time at n/2, and over its floor."""

    params = GridAxis(**SCALE_N)
    param_names = ["n"]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(2)  # 2: ratios instead of seconds
    timeout = 600

    def setup_cache(self):
        """{n: (CPU seconds of one fit, of its floor)} at every n of the grid and n/2."""
        from attnbench.algorithms import get_reducer

        from .bench_floors import floor_of

        grid = grid_name()
        seconds = {}
        with blas_threads_limited():
            for n in sorted({k for top in SCALE_N[grid] for k in (top // 2, top)}):
                X = random_input(n, SCALE_D[grid], None, "dense_c")
                reducer = get_reducer("bss", b=B)
                fit = cpu_seconds(reducer.fit, X)
                seconds[n] = (fit, cpu_seconds(floor_of("bss", reducer, X)))
        return seconds

    def track_over_half_n(self, seconds, n):
        return seconds[n][0] / max(seconds[n // 2][0], 1e-9)

    track_over_half_n.unit = "n/2"

    def track_over_floor(self, seconds, n):
        return seconds[n][0] / max(seconds[n][1], 1e-9)

    track_over_floor.unit = "floor"


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
