"""Run one cell under the timing protocol (docs/timing.md).  This code runs in a worker.

Protocol: BLAS threads fixed with threadpoolctl; the input materialised in its format
before the clock starts; warm-up runs, the first of which is traced with tracemalloc
for the peak memory (NumPy and SciPy arrays; BLAS scratch is not seen); then timed
rounds of a freshly constructed reducer's fit_transform, with the garbage collector
off; every round is kept.  Metrics are computed once, from the last Y (every round uses
the same seed, so every Y is the same), and so are the sizes the reducer recorded
(``n_components_auto_``, ``auto_reaches_d_``, ``passthrough_``).

How many runs, so that a cell whose fit takes a minute stays sane (asv's
(min_repeat, max_repeat, max_time) rule, with the cell's timeout as a hard limit):

- warm-up: at most ``warmup`` runs; after the first (the traced one, which also absorbs
  compilation) they stop once they have taken WARMUP_SHARE of ``time_budget``, so a
  long fit is warmed up once;
- timed rounds (:func:`next_round`): the first always; then at most ``repeats``; at
  least ``min_repeats`` while the next round, estimated as long as the slowest so far,
  keeps the cell (from its start, dataset and exact reference included) within
  AFFORDABLE of its ``timeout``, leaving the rest for the metrics; beyond
  ``min_repeats`` only while the rounds also stay within ``time_budget`` seconds.

A cell stores its ``rounds`` and ``warmup_rounds`` next to every round's time.

End-to-end time (setting ``attend``, on by default).  After the reducer's rounds, the
attention of its Y, A(Y) = D^{-1} exp(YY^T) (asymmetric: A(Q', K')), is timed under the
same rules (the warm-up, then rounds by :func:`next_round`, collector off, the cell's
BLAS threads): ``attend_times``.  The direct route, A(X) computed exactly from X
(:func:`direct_attention`: the sparse Gram for sparse X, never a dense n x d copy; a
dense GEMM for dense X; then the softmax), is timed the same way once per dataset and
worker (:class:`WorkerState`) and stored with each of the dataset's cells:
``direct_times``.  A route's payoff is direct / (reduce + attend)
(:mod:`attnbench.analysis.regime`).

The price of a read of X.  One pass over X's stored values (:func:`read_pass`), timed
the same way once per dataset and worker: ``read_times``, and ``read_median``, their
median less that of the same call on empty arrays (the call's own overhead).  It is what
this machine charges for the nnz(X) term of a cost bound, cache and memory hierarchy
included; the time rule prices that term with it (:mod:`attnbench.analysis.claims.time`).
Likewise the price of writing Y: a fresh n x m array written once (:func:`write_pass`,
m the width of the cell's Y), timed once per (dataset, m) and worker: ``write_times``
and ``write_median``.
"""

from __future__ import annotations

import gc
import os
import time
import traceback
import tracemalloc
import warnings

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from attnbench.algorithms import AutoSizeWarning, get_reducer, get_reducer_class
from attnbench.datasets import attention_inputs
from attnbench.linalg import attention, gram
from attnbench.metrics import AttentionReference, evaluate, metric_names
from attnbench.sweep.asymmetric import fit_shared
from attnbench.sweep.config import SETTINGS
from attnbench.sweep.grid import UNKEYED


def materialise(X, input_format):
    """X in the requested format: native (as generated), dense (C order), csr or csc."""
    if input_format == "native":
        return X
    if input_format == "dense":
        return np.ascontiguousarray(X.toarray() if sp.issparse(X) else X)
    return sp.csr_matrix(X).asformat(input_format)


class WorkerState:
    """Per-worker cache: the last dataset, its exact attention, and its materialised input.

    Cells arrive grouped by dataset, so A(X) is computed once per dataset, not once per
    reducer.
    """

    def __init__(self, cache_dir=None, max_bytes=None):
        self.cache_dir, self.max_bytes = cache_dir, max_bytes
        self._key = None
        self.threadpools = ThreadpoolController()  # scanning loaded BLAS libraries once
        # Move the imported modules' objects out of the collector's reach, so the
        # collection before each timed region costs microseconds, not ~0.2 s.
        gc.collect()
        gc.freeze()

    def prepare(self, spec, settings):
        """(inputs, reference, stats): inputs is (X,) or, for asymmetric attention, (Q, K)
        (attnbench.datasets.attention_inputs), materialised in the cell's input format;
        asymmetric ``stats["r"]`` is the realised ||QK^T||_inf."""
        key = (
            spec.key(),
            settings["input_format"],
            settings["attention"],
            settings["qk_correlation"],
        )
        if key != self._key:
            self._key = None  # stays None if loading fails
            dataset, Q, K, V = attention_inputs(
                spec,
                settings["attention"],
                settings["qk_correlation"],
                cache_dir=self.cache_dir,
                max_bytes=self.max_bytes,
            )
            self.reference = AttentionReference(Q, K, V)
            self.stats = dataset.stats if K is None else {**dataset.stats, "r": self.reference.r}
            inputs = (Q,) if K is None else (Q, K)
            self.inputs = tuple(materialise(M, settings["input_format"]) for M in inputs)
            self._key = key
            self._direct, self._read, self._write = {}, None, {}
        return self.inputs, self.reference, self.stats

    def direct_times(self, settings, rules, started):
        """The rounds of the direct route A(X) on the prepared inputs: timed once per
        dataset and worker (and number of BLAS threads), then reused by its cells."""
        threads = settings["threads"]
        if threads not in self._direct:
            inputs = self.inputs
            self._direct[threads] = time_calls(
                lambda: direct_attention(*inputs), settings["warmup"], rules, started
            )
        return self._direct[threads]

    def read_times(self, settings, rules, started):
        """(the rounds of :func:`read_pass` over the prepared inputs, their median less
        that of the call on empty arrays), timed once per dataset and worker."""
        if self._read is None:
            inputs = self.inputs
            empty = tuple(np.empty(0, M.dtype) for M in inputs)
            times = time_calls(lambda: read_pass(*inputs), settings["warmup"], rules, started)
            call = time_calls(lambda: read_pass(*empty), settings["warmup"], rules, started)
            self._read = times, max(float(np.median(times) - np.median(call)), 0.0)
        return self._read

    def write_times(self, m, settings, rules, started):
        """(the rounds of :func:`write_pass` of an n x m array, n the prepared input's rows,
        their median less that of the call at m = 0), timed once per m and dataset."""
        if m not in self._write:
            n = self.inputs[0].shape[0]
            times = time_calls(lambda: write_pass(n, m), settings["warmup"], rules, started)
            call = time_calls(lambda: write_pass(n, 0), settings["warmup"], rules, started)
            self._write[m] = times, max(float(np.median(times) - np.median(call)), 0.0)
        return self._write[m]


AFFORDABLE = 0.5  # rounds below min_repeats keep the cell within this share of its timeout
WARMUP_SHARE = 0.1  # warm-up runs after the first stop at this share of the time budget
clock = time.perf_counter  # the protocol's clock (tests drive the rules with a fake one)


def next_round(times, elapsed, *, repeats, min_repeats, time_budget, timeout):
    """Whether to time one more round, given the rounds' ``times`` so far and the seconds
    ``elapsed`` since the cell started (the rules in the module docstring)."""
    if not times:
        return True
    if len(times) >= repeats:
        return False
    expected = max(times)
    if elapsed + expected > AFFORDABLE * timeout:
        return False
    return len(times) < min_repeats or sum(times) + expected <= time_budget


def _metric_names(mode, spectral):
    """The metrics of the attention mode, spectral_eps left out unless ``spectral``."""
    return [name for name in metric_names(mode) if spectral or name != "spectral_eps"]


def attend(Y):
    """A(Y) = D^{-1} exp(YY^T) of a reducer's Y; A(Q', K') of an asymmetric pair."""
    if isinstance(Y, tuple):
        return direct_attention(*Y)
    return attention(gram(Y))


def direct_attention(Q, K=None):
    """A(X) (or A(Q, K)) computed exactly by the fastest exact method for the format: the
    sparse Gram X @ X.T for sparse X (memory O(nnz(X) + n^2), never a dense n x d
    copy), a dense GEMM for dense X, then the row softmax."""
    if K is None:
        return attention(gram(Q))
    G = Q @ K.T
    return attention(G.toarray() if sp.issparse(G) else G)


def read_pass(*inputs):
    """Sum every stored value of each input once (``data`` of a sparse matrix): one
    streaming read of X (of Q and K), O(nnz) time, no temporary."""
    return [float((M.data if sp.issparse(M) else M).sum()) for M in inputs]


def write_pass(n, m):
    """A fresh n x m float64 array, every entry written once: what writing a dense Y costs
    (allocation and first touch included)."""
    return np.ones((n, m))


def time_calls(fn, warmup, rules, started):
    """Every round's seconds of ``fn()``: ``min(warmup, 1)`` untimed runs, then rounds by
    :func:`next_round` (the cell's rules, elapsed counted from ``started``), the
    collector off meanwhile."""
    for _ in range(min(warmup, 1)):
        fn()
    times = []
    gc.collect()
    gc.disable()
    try:
        while next_round(times, clock() - started, **rules):
            start = clock()
            fn()
            times.append(clock() - start)
    finally:
        gc.enable()
    return times


def _end_to_end(state, Y, settings, rules, started):
    """The attend and direct rounds of a cell, and their medians."""
    attend_times = time_calls(lambda: attend(Y), settings["warmup"], rules, started)
    direct_times = state.direct_times(settings, rules, started)
    return {
        "attend_times": attend_times,
        "attend_median": float(np.median(attend_times)),
        "direct_times": list(direct_times),
        "direct_median": float(np.median(direct_times)),
    }


def _factory(cell):
    """A function that constructs the cell's reducer (its parameters checked once here,
    not at every round: inspecting the signature costs about 0.2 ms)."""
    cls = get_reducer_class(cell.reducer)
    params = dict(cell.params)
    if "random_state" in cls._get_param_names():
        params["random_state"] = cell.seed
    get_reducer(cell.reducer, **params)
    return lambda: cls(**params)


def _warm_up(reduce, make, count, time_budget):
    """(peak traced bytes or None, runs): up to ``count`` untimed runs, the first traced."""
    peak, runs, spent = None, 0, 0.0
    while runs < count and (runs == 0 or spent < WARMUP_SHARE * time_budget):
        start = clock()
        if runs == 0:
            tracemalloc.start()
            try:
                reduce(make())
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        else:
            reduce(make())
        spent += clock() - start
        runs += 1
    return peak, runs


def _timed_rounds(reduce, make, rules, started):
    """(last reducer, its Y, every round's seconds), the collector off meanwhile."""
    times = []
    gc.collect()
    gc.disable()
    try:
        while next_round(times, clock() - started, **rules):
            reducer = make()
            start = clock()
            Y = reduce(reducer)
            times.append(clock() - start)
    finally:
        gc.enable()
    return reducer, Y, times


def reducer_sizes(reducer):
    """What the fitted reducer recorded of its size: ``m_auto`` (the m its 'auto' bound
    asks for; None without a bound), ``auto_reaches_d`` and ``passthrough``."""
    auto = getattr(reducer, "n_components_auto_", None)
    return {
        "m_auto": None if auto is None else int(auto),
        "auto_reaches_d": None if auto is None else bool(reducer.auto_reaches_d_),
        "passthrough": bool(getattr(reducer, "passthrough_", False)),
    }


def execute_cell(cell, state):
    """Run one cell; return its result dict (status ok) or raise."""
    started = clock()
    settings = dict(cell.settings)
    protocol = dict(cell.protocol)  # a Cell built by hand may leave it empty: the defaults
    protocol = {k: protocol.get(k, SETTINGS[k].default) for k in UNKEYED}
    rules = {k: protocol[k] for k in ("min_repeats", "time_budget")}
    rules |= {"repeats": settings["repeats"], "timeout": cell.timeout}
    inputs, reference, stats = state.prepare(cell.dataset, settings)
    make = _factory(cell)
    reduce = (
        (lambda r: r.fit_transform(*inputs))
        if len(inputs) == 1
        else (lambda r: fit_shared(r, *inputs))
    )
    # An auto size >= d is stored with the cell (auto_reaches_d), not warned once per run.
    with state.threadpools.limit(limits=settings["threads"]), warnings.catch_warnings():
        warnings.simplefilter("ignore", AutoSizeWarning)
        peak, warmups = _warm_up(reduce, make, settings["warmup"], rules["time_budget"])
        reducer, Y, times = _timed_rounds(reduce, make, rules, started)
        end_to_end = _end_to_end(state, Y, settings, rules, started) if protocol["attend"] else {}
        read_times, read_median = state.read_times(settings, rules, started)
        width = (Y[0] if isinstance(Y, tuple) else Y).shape[1]
        write_times, write_median = state.write_times(width, settings, rules, started)
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return {
        "status": "ok",
        "metrics": evaluate(reference, Y, _metric_names(reference.mode, protocol["spectral"])),
        "times": times,
        "rounds": len(times),
        "warmup_rounds": warmups,
        "time_median": float(median),
        "time_iqr": float(q3 - q1),
        "peak_bytes": peak,
        "dataset_stats": stats,
        "blas_threads": settings["threads"],
        **reducer_sizes(reducer),
        **end_to_end,
        "read_times": read_times,
        "read_median": read_median,
        "write_times": write_times,
        "write_median": write_median,
        "wall": clock() - started,
        "pid": os.getpid(),
    }


def run_cell_safely(cell, state):
    """execute_cell, with any exception turned into a ``failed`` result with its traceback."""
    try:
        return execute_cell(cell, state)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"status": "failed", "error": traceback.format_exc()}
