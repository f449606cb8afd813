"""The ``dask`` executor: cells as tasks on a dask.distributed cluster (optional extra).

The client submits cells (dataset specs, not arrays: each worker generates or loads its
data through the same cache and seeds, so metrics are identical to ``local``) and
yields results as they finish; only the client writes the store.  On the worker, each
cell runs in a WorkerProcess, a child interpreter of the dask worker, which honours the
per-cell timeout and contains reducers that crash.  A dask worker that dies in the
middle of a cell (killed, out of memory) loses nothing: the scheduler runs the cell on
another worker, as often as its ``allowed-failures`` permits (``ALLOWED_FAILURES`` on a
LocalCluster started here; dask's default, 3, elsewhere), then it is stored ``failed``.
A lost scheduler stops the run (``interrupted``); ``--resume`` runs the cells left.

A cell's ``concurrency`` is the number of cell slots (worker threads) on its worker's
host; ``--workers N`` without ``--scheduler`` starts a LocalCluster of N one-thread
worker processes, whose BLAS pools the nanny pins to one thread.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import traceback
import uuid
from concurrent.futures import CancelledError

import dask
from distributed import Client, KilledWorker, LocalCluster, as_completed, get_worker
from distributed.comm import get_address_host

from attnbench.sweep.workers import Executor, ExecutorError, WorkerProcess, WorkerStartError

CONNECT_TIMEOUT = 10  # seconds to reach a scheduler before giving up
ALLOWED_FAILURES = 2  # worker deaths a cell may survive (it then runs on another worker)


def start_local_cluster(workers=None):
    """A LocalCluster of ``workers`` (default: CPU count) one-thread worker processes."""
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
        return LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )


def _prepare_worker():
    # A nanny starts its dask worker as a daemonic process, and multiprocessing forbids
    # those children, lest they outlive a terminated parent.  A cell's process ends itself
    # when its driver dies (workers._exit_with_driver), which covers that risk.  Dask's
    # own switch, distributed.worker.daemon, would have to be set on every host and is
    # read again (from the global config) at every worker restart.
    multiprocessing.current_process()._config["daemon"] = False
    # The nanny also sets MALLOC_TRIM_THRESHOLD_, which turns off glibc's dynamic mmap
    # threshold (mallopt(3)): every array over 128 KiB is then mmap'd and unmapped
    # afresh, page faults and all.  Cell processes (forked from a server started with
    # this environment) must allocate as under ``local``, or their timings differ.
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)


_THREAD = threading.local()


def run_cell_on_worker(cell, timeout, args):
    """Run on a dask worker: a pickled cell in this thread's persistent WorkerProcess.

    The cell stays pickled until the WorkerProcess, so the dask worker never imports
    the scientific stack (seconds per worker).  The WorkerProcess persists across tasks
    with the same plugins, cache and size limit: its cache of A(X) serves a dataset's
    cells.
    """
    _prepare_worker()
    if getattr(_THREAD, "args", None) != args:
        if getattr(_THREAD, "process", None) is not None:
            _THREAD.process.close()
        _THREAD.args, _THREAD.process = args, WorkerProcess(*args)
    return dict(_THREAD.process.run(cell, timeout), worker=get_worker().address)


class DaskExecutor(Executor):
    """Cells on a Dask cluster: a new LocalCluster, or the one at ``scheduler``."""

    name = "dask"

    def __init__(self, plugins=(), cache_dir=None, max_bytes=None, *, workers=None, scheduler=None):
        self.args = (tuple(str(p) for p in plugins), cache_dir, max_bytes)
        self.cluster = None
        self.pending = {}
        if scheduler is None:
            self.cluster = start_local_cluster(workers)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            # Not only OSError: a malformed address raises ValueError, and a server that
            # is not a dask scheduler can answer with anything.
            except Exception as exc:  # noqa: BLE001
                raise ExecutorError(
                    f"cannot reach the dask scheduler at {scheduler} within {CONNECT_TIMEOUT} s"
                    f" ({exc}); is `dask scheduler` running there and its port open?"
                ) from None

    def _slots(self, worker, cells):
        host = get_address_host(worker) if "://" in worker else None
        slots = sum(n for w, n in self.client.nthreads().items() if get_address_host(w) == host)
        return max(1, min(slots, cells))

    def run(self, cells):
        """Yield (cell, result) as cells finish, each cell exactly once."""
        cells = list(cells)
        token = uuid.uuid4().hex[:8]
        for cell in cells:
            # Key prefix = reducer name: the dashboard groups tasks by it.
            key = f"{cell.reducer}-{cell.key}-{token}"
            self.pending[
                self.client.submit(
                    run_cell_on_worker, pickle.dumps(cell), cell.timeout, self.args, key=key
                )
            ] = cell
        for future in as_completed(list(self.pending)):
            cell = self.pending.pop(future)
            try:
                result = future.result()
            except CancelledError:
                raise ExecutorError(
                    f"cell {cell.key} was cancelled: the dask scheduler is gone or cancelled it"
                    f" (client status: {self.client.status}); the run stops here, and --resume"
                    " runs the cells left"
                ) from None
            except WorkerStartError:  # no cell can run on that worker: stop, as local does
                raise
            except KilledWorker as exc:
                worker = getattr(exc.last_worker, "address", self.name)
                result = {"status": "failed", "error": str(exc), "worker": worker}
            # Whatever ended the task (the cell's own errors are results already), the
            # cell is stored as failed, never dropped: a resumed run retries it.
            except Exception:  # noqa: BLE001
                result = {"status": "failed", "error": traceback.format_exc(), "worker": self.name}
            future.release()
            result["concurrency"] = self._slots(result["worker"], len(cells))
            yield cell, result

    def close(self):
        if self.pending:
            self.client.cancel(list(self.pending))
            self.pending.clear()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
