"""Routes compared at equal error: the cheapest time at which a route reaches a target
error along its own error-time front, interpolated and never extrapolated.

A *route* is one way to the attention: a reducer over its grid of sizes (each size a
variant with a median error and a median time), or the direct route (exact, one
point).  Its *front* is the variants that no faster variant beats in error.  The time at
a target error e*:

- ``interpolated``: between the two front variants whose errors bracket e*, linear in
  (log error, log time), as ``attnbench compare`` does (:func:`loglog`);
- ``at most``: the route's fastest front variant already reaches e*; the cheapest time is
  at most its time (no smaller size was measured: no extrapolation);
- ``never``: no variant reaches e*, and the route says so (with the best error it got).

The interval of a time at the target resamples rounds: each variant's bootstrap medians
(``replicates``, one array per variant, the same length) are combined with the same
interpolation weight as the observed time.  Cost O(variants + n_boot).
"""

from __future__ import annotations

import math

import numpy as np

ERR_EPS = 1e-12  # errors are floored here before their log (exact routes reach 0)
HOWS = ("interpolated", "at most", "never")


def loglog(x, y, at):
    """y at x = ``at``, linear in log-log between measured points (x increasing, > 0);
    nan outside [x[0], x[-1]]: never extrapolated."""
    log_x, log_y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    target = np.log(at)
    if not log_x.size or target < log_x[0] - 1e-12 or target > log_x[-1] + 1e-12:
        return float("nan")
    if log_x.size == 1:
        return float(np.exp(log_y[0]))
    return float(np.exp(np.interp(target, log_x, log_y)))


def front(errors, times):
    """Indices of the error-time front, fastest first: each variant more accurate than
    every faster one (ties in time: the more accurate first)."""
    order = np.lexsort((np.asarray(errors, float), np.asarray(times, float)))
    kept, best = [], math.inf
    for i in order:
        if errors[i] < best:
            kept.append(int(i))
            best = errors[i]
    return kept


def at_target(errors, times, target, replicates=None, sizes=None):
    """The cheapest time of one route to reach error <= ``target``: a dict with ``how``
    (HOWS), ``time``, ``size`` (m interpolated the same way, when ``sizes``), ``weight``
    (the interpolation weight), ``replicates`` (the bootstrap times, when given) and
    ``best_error`` (the least error of any variant)."""
    errors = np.maximum(np.asarray(errors, float), ERR_EPS)
    times = np.asarray(times, float)
    target = max(float(target), ERR_EPS)
    result = {"best_error": float(errors.min()) if errors.size else math.nan}
    keep = front(errors, times)
    reaching = [k for k, i in enumerate(keep) if errors[i] <= target * (1 + 1e-12)]
    if not reaching:
        return result | {"how": "never", "time": math.nan, "size": math.nan, "replicates": None}
    j = reaching[0]
    if j == 0:
        pair, weight, how = (keep[0], keep[0]), 0.0, "at most"
    else:
        a, b = keep[j - 1], keep[j]
        weight = (math.log(target) - math.log(errors[a])) / (
            math.log(errors[b]) - math.log(errors[a])
        )
        pair, how = (a, b), "interpolated"

    def mix(values):
        first, second = (np.asarray(values[i], float) for i in pair)
        if np.any(first <= 0) or np.any(second <= 0):  # m = 0: linear
            return (1 - weight) * first + weight * second
        return np.exp((1 - weight) * np.log(first) + weight * np.log(second))

    return result | {
        "how": how,
        "time": float(mix(times)),
        "size": math.nan if sizes is None else float(mix(np.asarray(sizes, float))),
        "weight": weight,
        "replicates": None if replicates is None else mix(replicates),
    }
