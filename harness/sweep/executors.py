"""Executors: where cells run.  The client alone writes results to the store.

An executor turns cells into ``(cell, result)`` pairs.  Every result names the
``worker`` that ran it and the ``concurrency``: how many cells could run at once on that
worker's machine (its cell slots, capped by the number of cells), so a report can flag
timings taken while other cells competed for the same cores, caches and memory bandwidth.

``local`` (the default) runs cells one at a time in a persistent worker process
(attnbench.sweep.workers), so a reducer that raises, kills its interpreter or runs past the
per-cell timeout becomes a ``failed`` or ``timeout`` result and the sweep goes on with a
fresh worker.  Only one cell runs at a time: these timings are the ones fits use.  The
next cell waits in the worker's pipe, so the worker does not wait for the client to
store a result (the client's work, on another core, overlaps the start of the next
cell).
Workers are started, and must get ready, before the run is recorded: a worker that
cannot start (WorkerStartError) leaves no run in the store.

``processes`` runs N such workers at once on this machine (accuracy sweeps); ``dask``
runs cells on a Dask cluster (attnbench.sweep.executor_dask, the optional ``dask`` extra).
"""

from __future__ import annotations

import os
import queue
from concurrent.futures import ThreadPoolExecutor, as_completed

from attnbench.sweep.workers import Executor, ExecutorError, WorkerProcess, WorkerStartError

__all__ = [
    "EXECUTORS",
    "Executor",
    "ExecutorError",
    "LocalExecutor",
    "ProcessesExecutor",
    "WorkerStartError",
    "make_executor",
]


class LocalExecutor(Executor):
    """Serial cells in one persistent worker process (timings usable for fits)."""

    name = "local"
    concurrency = 1

    def __init__(self, plugins=(), cache_dir=None, max_bytes=None):
        self.worker = WorkerProcess(plugins, cache_dir, max_bytes)
        self.worker.start()

    def run(self, cells):
        """Yield (cell, result) in order (the next cell queued in the worker meanwhile)."""
        for cell, result in self.worker.run_all(cells):
            yield cell, dict(result, worker=self.name, concurrency=self.concurrency)

    def close(self):
        self.worker.close()


class ProcessesExecutor(Executor):
    """``workers`` persistent worker processes on this machine, one cell each at a time.

    Up to ``workers`` cells run at once and share the machine's cores, caches and memory
    bandwidth, so their timings are recorded with that concurrency: use this executor
    for accuracy sweeps.  Metrics are identical to ``local`` (same specs, seeds, cache).
    """

    name = "processes"

    def __init__(self, plugins=(), cache_dir=None, max_bytes=None, *, workers=None):
        self.size = workers or os.cpu_count() or 1
        self.workers = [WorkerProcess(plugins, cache_dir, max_bytes) for _ in range(self.size)]
        for worker in self.workers:  # all start at once, then each is awaited
            worker.spawn()
        try:
            for worker in self.workers:
                worker.start()
        except WorkerStartError:
            self.close_workers()
            raise
        self.idle = queue.SimpleQueue()
        for worker in self.workers:
            self.idle.put(worker)
        self.threads = ThreadPoolExecutor(self.size, thread_name_prefix="attnbench-cell")

    def _run_one(self, cell):
        worker = self.idle.get()
        try:
            return worker.run(cell, cell.timeout)
        finally:
            self.idle.put(worker)

    def run(self, cells):
        """Yield (cell, result) as cells finish."""
        cells = list(cells)
        concurrency = min(self.size, len(cells))
        futures = {self.threads.submit(self._run_one, cell): cell for cell in cells}
        for future in as_completed(futures):
            result = future.result()
            yield (
                futures[future],
                dict(result, worker=f"processes-{result['pid']}", concurrency=concurrency),
            )

    def close(self):
        # Cells not started are dropped; those in flight end within their timeout.
        self.threads.shutdown(wait=True, cancel_futures=True)
        self.close_workers()

    def close_workers(self):
        for worker in self.workers:
            worker.close()


def _dask_executor(plugins=(), cache_dir=None, max_bytes=None, **options):
    try:
        from attnbench.sweep.executor_dask import DaskExecutor
    except ImportError as exc:
        raise ExecutorError(
            f"the dask executor needs dask.distributed ({exc}); "
            "install it with: pip install 'attnbench[dask]'"
        ) from None
    return DaskExecutor(plugins, cache_dir, max_bytes, **options)


EXECUTORS = {"local": LocalExecutor, "processes": ProcessesExecutor, "dask": _dask_executor}


def make_executor(
    name, *, plugins=(), cache_dir=None, max_bytes=None, workers=None, scheduler=None
):
    """The executor called ``name``, with its options checked before anything starts.

    ``workers``: processes (``processes``) or local-cluster workers (``dask``); default
    the CPU count.  ``scheduler``: the address of a running Dask scheduler (``dask`` only).
    """
    from attnbench.validation import check_positive  # not at the top: see attnbench.sweep.workers

    if name not in EXECUTORS:
        raise ValueError(f"executor must be one of {sorted(EXECUTORS)}, got {name!r}.")
    options = {}
    if workers is not None:
        if name == "local":
            raise ValueError("workers applies to the processes and dask executors, not local.")
        if scheduler is not None:
            raise ValueError(
                "workers and scheduler exclude each other: an existing cluster has its workers."
            )
        options["workers"] = check_positive(workers, "workers", integer=True)
    if scheduler is not None:
        if name != "dask":
            raise ValueError(f"scheduler applies to the dask executor, not {name}.")
        if not isinstance(scheduler, str) or not scheduler:
            raise TypeError(
                f"scheduler must be an address such as tcp://HOST:8786, got {scheduler!r}."
            )
        options["scheduler"] = scheduler
    return EXECUTORS[name](plugins=plugins, cache_dir=cache_dir, max_bytes=max_bytes, **options)
