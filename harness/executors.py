"""Executors: where cells run.  The client alone writes results to the store.

An executor turns cells into ``(cell, result)`` pairs.  Every result names the
``worker`` that ran it and the ``concurrency``: how many cells could run at once on that
worker's machine (its cell slots, capped by the number of cells), so a report can flag
timings taken while other cells competed for the same cores, caches and memory bandwidth.

``local`` (the default) runs cells one at a time in a persistent worker process, so a
reducer that raises, kills its interpreter (``os._exit``, a segfault) or runs past the
per-cell timeout becomes a ``failed`` or ``timeout`` result and the sweep goes on with
a fresh worker.  Only one cell runs at a time: these timings are the ones fits use.

``processes`` runs N such workers at once on this machine (accuracy sweeps); ``dask``
runs cells on a Dask cluster (attnbench.executor_dask, the optional ``dask`` extra).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import select
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

# Workers fork from a clean server that has already imported the harness (about 1.5 s
# of imports), so restarting a worker after a crash or a timeout costs milliseconds.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["attnbench.runner"])


class ExecutorError(RuntimeError):
    """An executor that cannot start: a missing optional dependency, an unreachable cluster."""


def _exit_with_driver(conn):
    """End this worker as soon as the process driving it dies (its end of ``conn`` closes).

    A killed sweep or dask worker would otherwise leave the cell in flight running as an
    orphan, its CPU use skewing the timings of the cells that run next on the machine.
    The watching thread sleeps in poll(2) and costs nothing meanwhile (Linux: POLLRDHUP).
    """
    if not hasattr(select, "POLLRDHUP"):
        return

    def watch():
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLRDHUP)
        poller.poll()
        os._exit(1)

    threading.Thread(target=watch, name="attnbench-exit-with-driver", daemon=True).start()


def _worker_main(conn, plugins, cache_dir, max_bytes):
    # Imported here (preloaded by the forkserver, so free): the processes that drive
    # workers, dask workers among them, never import the scientific stack.
    from attnbench.algorithms import load_plugin
    from attnbench.runner import WorkerState, run_cell_safely

    _exit_with_driver(conn)
    for path in plugins:
        load_plugin(path)
    state = WorkerState(cache_dir, max_bytes)
    # The runner collects garbage before every timed region; freezing the imported
    # modules' objects (they live as long as the worker) makes that collection scan only
    # what cells allocate: about 0.2 s less per cell on a loaded 2-core machine.
    gc.freeze()
    while True:
        try:
            payload = conn.recv_bytes()
        except EOFError:  # the driving process closed or died between cells
            return
        if not payload:
            return
        conn.send(run_cell_safely(pickle.loads(payload), state))


class WorkerProcess:
    """One worker interpreter, restarted after a crash or a timeout."""

    def __init__(self, plugins=(), cache_dir=None, max_bytes=None):
        self.args = (tuple(str(p) for p in plugins), cache_dir, max_bytes)
        self.process = None

    def _start(self):
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_worker_main, args=(child, *self.args), daemon=True)
        self.process.start()
        child.close()

    def run(self, cell, timeout):
        """The result dict (with the worker's ``pid``) of a Cell or of a pickled Cell
        (bytes); crashes and timeouts become results too."""
        if self.process is None or not self.process.is_alive():
            self._start()
        pid = self.process.pid
        self.conn.send_bytes(cell if isinstance(cell, bytes) else pickle.dumps(cell))
        if not self.conn.poll(timeout):
            self._kill()
            return {
                "status": "timeout",
                "error": f"cell exceeded the {timeout:g} s timeout",
                "pid": pid,
            }
        try:
            return dict(self.conn.recv(), pid=pid)
        except (EOFError, ConnectionResetError):
            self.process.join(5)
            code = self.process.exitcode
            self._kill()
            return {
                "status": "failed",
                "error": f"worker process died (exit code {code}) while running the cell",
                "pid": pid,
            }

    def _kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.conn.close()
        self.process = None

    def close(self):
        if self.process is not None and self.process.is_alive():
            try:
                self.conn.send_bytes(b"")
                self.process.join(5)
            except (BrokenPipeError, OSError):
                pass
        self._kill()


class Executor:
    """The interface: ``run(cells)`` yields ``(cell, result)`` once per cell, in
    any order, each result carrying ``worker`` and ``concurrency``; ``close()`` frees the
    workers.  Results are plain dicts (runner.execute_cell), never written here."""

    name = "executor"

    def run(self, cells):
        raise NotImplementedError

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalExecutor(Executor):
    """Serial cells in one persistent worker process (timings usable for fits)."""

    name = "local"
    concurrency = 1

    def __init__(self, plugins=(), cache_dir=None, max_bytes=None):
        self.worker = WorkerProcess(plugins, cache_dir, max_bytes)

    def run(self, cells):
        """Yield (cell, result) in order."""
        for cell in cells:
            result = self.worker.run(cell, cell.timeout)
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
        for worker in self.workers:
            worker.close()


def _dask_executor(plugins=(), cache_dir=None, max_bytes=None, **options):
    try:
        from attnbench.executor_dask import DaskExecutor
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
    from attnbench.validation import check_positive  # not at the top: see _worker_main

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
