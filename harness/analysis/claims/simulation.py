"""How the time rule's constants were chosen: its power and false-alarm rate on synthetic
cost laws with the sweep shapes of a preset's time experiments, before any run.

A simulated store holds, for one cost law, the cells of the time experiments that run
the law's reducer in the preset (``LAWS``: the reducer whose sweeps it takes), each
cell's repeats drawn as (law + c0)·exp(σ·N(0, 1)), with per store σ uniform in
NOISE (3-6 %, what timed repeats run alone scatter), c0 log-uniform in OVERHEAD
(0.1-3 ms per call) and as many repeats as the preset's protocol gives a fit that long
(:func:`rounds`: at least ``min_repeats``, more while they stay within ``time_budget``,
at most ``repeats``).  A memory hierarchy (:func:`price`): a read of X costs 1 ns per
stored value in cache and ``step`` times that once X's bytes pass ``cache`` (per store
log-uniform in CACHE and uniform in STEP); the law's nnz(X) is that priced count (a
reducer that reads X pays what a read costs), and each cell stores its measured read
(``read_median``, the median of its own noisy rounds).  Every law but m = 0's also
writes its n x m Y (m = 4096, as the preset runs the sketches) at WRITE seconds per
entry, priced by a hierarchy of its own (8 bytes per entry, the same cache, a step
uniform in STEP_Y: the v6 run's fresh Y cost 4.4 times more per entry at 128 MB than at
16 MB), and each cell stores that write's measurement (``write_median``).  A law is a
function of (n, d, priced nnz(X), Σ nnz(X_i)², y), y the seconds per entry of that
write: the laws "updates priced like Y" pay it once per nonzero and update of Y, as the
v6 run's sketches did (v7's pricing, :func:`attnbench.analysis.claims.time.priced`).
The time rule
(:func:`attnbench.analysis.claims.time.time_part`) judges each store; the rate of
``fails`` over the stores is the power of a planted fault and the false-alarm rate of a
correct law.  ``scripts/claims_simulation.py [PRESET] [STORES]`` prints the table (the
preset's shapes are read by the caller: this module never reads a config).

This module decides no verdict and is not part of the rules' stamp.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from attnbench.analysis.claims.core import CLAIMS
from attnbench.analysis.claims.time import time_part
from attnbench.paper import MIN_TIME_REPEATS

NOISE = (0.03, 0.06)
OVERHEAD = (1e-4, 3e-3)
CACHE = (8e6, 64e6)  # bytes
WRITE = 0.5e-9  # seconds per entry of Y written, in cache
M = 4096.0  # Y's width in every law but m = 0's
STEP = (1.0, 2.0)  # run v4 measured 1.6 (a read of X per value, 0.003 -> 0.01 at n = 1024)
# run v6 measured 0.29, 0.63, 1.06, 1.26 ns per entry of a fresh Y of 16, 32, 64, 128 MB
STEP_Y = (1.0, 4.0)
_LEVERAGE = lambda n, d, nnz, sq, y: 36e-9 * nnz + 1e-10 * n**3 + 1e-3
# name -> (claim key, reducer whose preset sweeps it takes, expected verdict, seconds)
LAWS = {
    "leverage_fast": ("randomized", "leverage_fast", "holds", _LEVERAGE),
    "countsketch": ("randomized", "countsketch", "holds", lambda n, d, nnz, sq, y: 3e-9 * nnz),
    "zero (Thm 1)": ("randomized", "zero", "holds", lambda n, d, nnz, sq, y: 1e-9 * nnz),
    # the planted fault of the tests' synthetic run (5 ns per token and nonzero), and
    # the size the real calibration_cost measured (28 s at n = 4096: 1.6 ns)
    "n·nnz fault": ("randomized", "calibration_cost", "fails",
                    lambda n, d, nnz, sq, y: _LEVERAGE(n, d, nnz, sq, y) + 5e-9 * n * nnz),
    "n·nnz fault, measured size": ("randomized", "calibration_cost", "fails",
                                   lambda n, d, nnz, sq, y: _LEVERAGE(n, d, nnz, sq, y) + 1.6e-9 * n * nnz),
    "2× slope along nnz": ("randomized", "calibration_cost", "fails",
                           lambda n, d, nnz, sq, y: _LEVERAGE(n, d, nnz, sq, y) + 36e-9 * nnz**2 / 1e6),
    # O(s·nnz(X)) with s = 4 nonzeros per column, as the preset runs it
    "osnap": ("randomized", "osnap", "holds", lambda n, d, nnz, sq, y: 4e-9 * nnz),
    # each nonzero's update of Y priced like an entry of Y: what the v6 run's sketches
    # showed (2.8 ns per nonzero on a reused Y, 4.2-6 ns on a fresh one at n = 1024-2048)
    "countsketch, updates priced like Y": ("randomized", "countsketch", "holds",
                                           lambda n, d, nnz, sq, y: 2e-9 * nnz + 4 * nnz * y),
    "osnap, updates priced like Y": ("randomized", "osnap", "holds",
                                     lambda n, d, nnz, sq, y: 4e-9 * nnz + 8 * nnz * y),
    # a log factor the bound hides (s growing like log₂ n): Õ(nnz), on osnap's sweeps
    "nnz·log₂ n": ("randomized", "osnap", "holds",
                   lambda n, d, nnz, sq, y: 1e-9 * nnz * np.log2(n)),
    "svd": ("deterministic", "svd", "holds", lambda n, d, nnz, sq, y: 2e-9 * sq + 3e-11 * n**3),
    # the real svd's shape (quick run: Gram 1.6e-11·Σ nnz(X_i)², n×n eigh 5e-10·n³):
    # the eigh dominates along n, the Gram along d only for dense X
    "svd, measured shape": ("deterministic", "svd", "holds",
                            lambda n, d, nnz, sq, y: 1.6e-11 * sq + 5e-10 * n**3),
    "zero (Thm 2)": ("deterministic", "zero", "holds", lambda n, d, nnz, sq, y: 1e-9 * nnz),
}  # fmt: skip


def time_sweeps(experiments, protocol):
    """{reducer: [(experiment, [dataset points])]} of the experiments that time: those whose
    repeats (their own, else the preset's ``protocol["repeats"]``) reach MIN_TIME_REPEATS;
    ``experiments`` as stored in a run's plan (name, datasets, zipped, reducers, settings).
    Zipped axes give their points in step, the others every combination."""
    out = {}
    for exp in experiments:
        if dict(exp["settings"]).get("repeats", protocol["repeats"]) < MIN_TIME_REPEATS:
            continue
        axes = {k: list(np.atleast_1d(exp["datasets"].get(k, 1.0))) for k in ("n", "d", "density")}
        groups = [[k for k in g if k in axes] for g in exp.get("zipped", ())]
        groups = [g for g in groups if g]
        groups += [[k] for k in axes if not any(k in g for g in groups)]
        units = [[dict(zip(g, values)) for values in zip(*(axes[k] for k in g))] for g in groups]
        points = [{k: v for u in combo for k, v in u.items()} for combo in itertools.product(*units)]
        for reducer, _ in exp["reducers"]:
            out.setdefault(reducer, []).append((exp["name"], points))
    return out


def rounds(seconds, protocol):
    """The rounds the sweep runner times of a fit that takes ``seconds`` (its rule without
    the timeout): ``min_repeats`` to ``repeats``, as many as fit in ``time_budget``."""
    fit = int(protocol["time_budget"] // seconds) if seconds > 0 else protocol["repeats"]
    return int(min(protocol["repeats"], max(protocol["min_repeats"], fit)))


def price(count, entry_bytes, cache, step):
    """``count`` values priced by the hierarchy: each counts 1 while their bytes are well
    inside ``cache``, ``step`` well beyond, a smooth step of a factor 2 either side."""
    if count <= 0:
        return 0.0
    return count * (1 + (step - 1) / (1 + (cache / (count * entry_bytes)) ** 4))


def synthetic_store(sweeps, law, rng, protocol, reducer="synthetic", m=M):
    """A cells frame of the law on the sweeps, with this store's noise, overhead and memory
    hierarchy, and the rounds ``protocol`` (repeats, min_repeats, time_budget) gives each
    cell."""
    sigma = rng.uniform(*NOISE)
    overhead = float(np.exp(rng.uniform(*np.log(OVERHEAD))))
    cache, step = float(np.exp(rng.uniform(*np.log(CACHE)))), rng.uniform(*STEP)
    step_y = rng.uniform(*STEP_Y)
    draw = lambda seconds: seconds * np.exp(sigma * rng.standard_normal(rounds(seconds, protocol)))
    rows = []
    for experiment, points in sweeps:
        for p in points:
            n, d, rho = float(p["n"]), float(p["d"]), float(p["density"])
            nnz, sq = n * d * rho, d * (n * rho) ** 2
            priced = price(nnz, 8.0 if rho >= 1 else 12.0, cache, step)
            written = WRITE * price(n * m, 8.0, cache, step_y)
            seconds = law(n, d, priced, sq, written / (n * m) if m else 0.0) + written + overhead
            times = draw(seconds)
            rows.append({
                "reducer": reducer, "experiment": experiment, "status": "ok", "m": m,
                "dataset.family": "sparse" if rho < 1 else "gaussian", "dataset.n": n,
                "dataset.d": d, "dataset.density": rho, "dataset.r": 0.05,
                "stats.nnz": nnz, "stats.sum_nnz_col_sq": sq, "times": list(times),
                "time_median": float(np.median(times)),
                "read_median": float(np.median(draw(1e-9 * priced))),
                "write_median": float(np.median(draw(written))) if written else 0.0,
            })  # fmt: skip
    return pd.DataFrame(rows)


def simulate(experiments, protocol, laws=None, stores=200, seed=0):
    """One row per law: its claim, expected verdict and the share of stores judged
    fails / holds / inconclusive; ``protocol``: the preset's repeats, min_repeats and
    time_budget."""
    sweeps = time_sweeps(experiments, protocol)
    claims = {c.key: c for c in CLAIMS}
    rows = []
    for name in laws or LAWS:
        key, reducer, expected, law = LAWS[name]
        rng = np.random.default_rng([seed, list(LAWS).index(name)])
        verdicts = [
            time_part(claims[key], "synthetic",
                      synthetic_store(sweeps[reducer], law, rng, protocol,
                                      m=0.0 if reducer == "zero" else M), None)[0]
            for _ in range(stores)
        ]
        counts = pd.Series(verdicts).value_counts()
        rows.append({"law": name, "claim": key, "expected": expected, "stores": stores,
                     **{v: int(counts.get(v, 0)) for v in ("fails", "holds", "inconclusive")}})  # fmt: skip
    return pd.DataFrame(rows)
