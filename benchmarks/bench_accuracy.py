"""Accuracy of ``fit_transform`` as asv ``track_`` numbers, so that an accuracy
regression shows in ``asv compare`` and ``asv publish`` like a slowdown.

asv counts a larger number as worse, so every number here is lower-is-better and
positive: ``skill`` (1 = exact, 0 = the m = 0 reducer) is tracked as its deficit,
1 - skill = attn_err_inf / max_ij |A(X)_ij - 1/n|.  Values below ROUNDOFF_FLOOR are
float64 round-off of an exact reducer and are reported as the floor, because a ratio
of round-offs would read as a regression.  A randomized reducer is fitted with each
of ACCURACY_SEEDS and the median is tracked, so that a harmless change in the order
of random draws does not move the number by one seed's luck.

The metrics of the whole grid are computed once per run in ``setup_cache`` and shared
by the four ``track_`` benchmarks; a combination that fails there fails (or is
skipped) in ``setup``, alone.
"""

import itertools
import statistics
import traceback

from .common import Benchmark, blas_threads_limited, make_input, make_reducer, suite_version

ACCURACY_SEEDS = (0, 1, 2)
ROUNDOFF_FLOOR = 1e-12
TRACKED = ("attn_err_over_r", "skill", "spectral_eps", "m")


def median_metrics(X, reducer, seeds=ACCURACY_SEEDS):
    """Median over seeds of the TRACKED metrics of reducer.fit_transform(X)
    (one fit when the reducer is deterministic)."""
    from attnbench.metrics import AttentionReference, evaluate

    reference = AttentionReference(X)
    seeded = not reducer.deterministic and "random_state" in reducer.get_params(deep=False)
    runs = []
    for seed in seeds if seeded else seeds[:1]:
        if seeded:
            reducer.set_params(random_state=seed)
        runs.append(evaluate(reference, reducer.fit_transform(X), names=TRACKED))
    return {name: statistics.median(run[name] for run in runs) for name in TRACKED}


def floored(value):
    return max(value, ROUNDOFF_FLOOR)


class Accuracy(Benchmark):
    version = suite_version(1)

    def setup_cache(self):
        """{params: metrics, or the exception that setup re-raises}, for the whole grid."""
        outcomes = {}
        with blas_threads_limited():
            for reducer, shape, data, fmt in itertools.product(*self.params):
                try:
                    X = make_input(data, *shape, fmt)
                    outcome = median_metrics(X, make_reducer(reducer, shape[0]))
                except NotImplementedError as skip:
                    outcome = skip
                except Exception:  # noqa: BLE001 (one broken reducer must not fail the others)
                    outcome = RuntimeError(traceback.format_exc())
                outcomes[reducer, shape, data, fmt] = outcome
        return outcomes

    setup_cache.timeout = 3600  # the large grid

    def setup(self, outcomes, reducer, shape, data, fmt):
        outcome = outcomes[reducer, shape, data, fmt]
        if isinstance(outcome, Exception):
            raise outcome
        self.metrics = outcome

    def track_attn_err_over_r(self, outcomes, reducer, shape, data, fmt):
        return floored(self.metrics["attn_err_over_r"])

    track_attn_err_over_r.unit = "1/r"

    def track_skill_deficit(self, outcomes, reducer, shape, data, fmt):
        return floored(1.0 - self.metrics["skill"])

    track_skill_deficit.unit = "1 - skill"

    def track_spectral_eps(self, outcomes, reducer, shape, data, fmt):
        return floored(self.metrics["spectral_eps"])

    track_spectral_eps.unit = "eps"

    def track_m(self, outcomes, reducer, shape, data, fmt):
        return self.metrics["m"]

    track_m.unit = "columns"
