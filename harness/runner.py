"""Run one cell under the timing protocol (DESIGN.md).  This code runs in a worker.

Protocol: BLAS threads fixed with threadpoolctl; the input materialised in its format
before the clock starts; ``warmup`` untimed runs, the first of which is traced with
tracemalloc for the peak memory (NumPy and SciPy arrays; BLAS scratch is not seen);
then ``repeats`` timed runs of a freshly constructed reducer's fit_transform, with the
garbage collector off; every repeat is kept.  Metrics are computed once, from the last
Y (every run uses the same seed, so every Y is the same).
"""

from __future__ import annotations

import gc
import os
import time
import traceback
import tracemalloc

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from attnbench.algorithms import get_reducer, get_reducer_class
from attnbench.asymmetric import fit_shared
from attnbench.datasets import attention_inputs
from attnbench.metrics import AttentionReference, evaluate


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
        return self.inputs, self.reference, self.stats


def _factory(cell):
    params = dict(cell.params)
    if "random_state" in get_reducer_class(cell.reducer)._get_param_names():
        params["random_state"] = cell.seed
    return lambda: get_reducer(cell.reducer, **params)


def execute_cell(cell, state):
    """Run one cell; return its result dict (status ok) or raise."""
    settings = dict(cell.settings)
    started = time.perf_counter()
    inputs, reference, stats = state.prepare(cell.dataset, settings)
    make = _factory(cell)
    reduce = (
        (lambda r: r.fit_transform(*inputs))
        if len(inputs) == 1
        else (lambda r: fit_shared(r, *inputs))
    )
    peak = None
    times = []
    with state.threadpools.limit(limits=settings["threads"]):
        for i in range(settings["warmup"]):
            if i == 0:
                tracemalloc.start()
                try:
                    reduce(make())
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
            else:
                reduce(make())
        gc.collect()
        gc.disable()
        try:
            for _ in range(settings["repeats"]):
                reducer = make()
                t0 = time.perf_counter()
                Y = reduce(reducer)
                times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    metrics = evaluate(reference, Y)
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return {
        "status": "ok",
        "metrics": metrics,
        "times": times,
        "time_median": float(median),
        "time_iqr": float(q3 - q1),
        "peak_bytes": peak,
        "dataset_stats": stats,
        "blas_threads": settings["threads"],
        "wall": time.perf_counter() - started,
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
