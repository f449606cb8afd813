"""Worker processes: where a cell runs, and the interface every executor implements.

A :class:`WorkerProcess` is one child interpreter that loads the sweep's plug-ins, says
it is ready, then runs cells (attnbench.sweep.runner) one at a time until told to stop.  A
reducer that raises, kills its interpreter (``os._exit``, a segfault) or runs past the
per-cell timeout becomes a ``failed`` or ``timeout`` result, and the next cell gets a
fresh worker.  A worker that dies before it is ready is not a cell's fault: nothing
could run, so :class:`WorkerStartError` stops the sweep (the usual cause is a script
that runs a sweep without an ``if __name__ == "__main__":`` guard; workers import the
main script again).

The executors (attnbench.sweep.executors, attnbench.sweep.executor_dask) drive WorkerProcesses;
the client alone writes results to the store.  This module imports nothing of the
scientific stack, so the processes that drive workers (dask workers among them) stay
light.
"""

from __future__ import annotations

import ast
import collections
import gc
import multiprocessing
import os
import pickle
import select
import sys
import threading
import time
from pathlib import Path

# Workers fork from a clean server that has already imported the harness (about 1.5 s
# of imports), so restarting a worker after a crash or a timeout costs milliseconds.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["attnbench.sweep.runner"])
START_TIMEOUT = 300.0  # seconds for a worker to load its plug-ins and say it is ready
_READY = b"ready"


class ExecutorError(RuntimeError):
    """An executor that cannot start: a missing optional dependency, an unreachable
    cluster, a worker process that dies before it is ready."""


class WorkerStartError(ExecutorError):
    """A worker process died or hung before it was ready: no cell can run."""


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


def worker_main(conn, plugins, cache_dir, max_bytes):
    """The worker's loop: load the plug-ins, say ready, then run pickled cells until an
    empty message or the driver's end of ``conn`` closes."""
    # Imported here (preloaded by the forkserver, so free): the processes that drive
    # workers never import the scientific stack.
    from attnbench.algorithms import load_plugins
    from attnbench.sweep.runner import WorkerState, run_cell_safely

    _exit_with_driver(conn)
    load_plugins(plugins)
    state = WorkerState(cache_dir, max_bytes)
    # The runner collects garbage before every timed region; freezing the imported
    # modules' objects (they live as long as the worker) makes that collection scan only
    # what cells allocate: about 0.2 s less per cell on a loaded 2-core machine.
    gc.freeze()
    conn.send_bytes(_READY)
    while True:
        try:
            payload = conn.recv_bytes()
        except EOFError:  # the driving process closed or died between cells
            return
        if not payload:
            return
        conn.send(run_cell_safely(pickle.loads(payload), state))


def _unguarded_main_script():
    """The path of the main script when it has no top-level ``if __name__ ...`` test,
    else None: worker processes import the main script again, and such a script then
    starts its sweep once more inside every worker."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    try:
        tree = ast.parse(Path(path).read_text())
    except (TypeError, OSError, SyntaxError, ValueError):  # no script: -c, a REPL, a notebook
        return None
    guarded = any(
        isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) for node in tree.body
    )
    return None if guarded else path


def _start_failure(code):
    """The message of a worker that died (exit ``code``) or hung before it was ready."""
    ending = (
        f"was not ready within {START_TIMEOUT:g} s"
        if code is None
        else f"exited with code {code} before running any cell"
    )
    message = f"a worker process {ending}, so no cell can run"
    script = _unguarded_main_script()
    if script is not None:
        return (
            f"{message}. Worker processes import the main script again, and {script} "
            "starts attnbench without a guard: put the code that runs the sweep under "
            '`if __name__ == "__main__":` (see the README, Python API).'
        )
    return f"{message}; the worker's own error is printed above (stderr)."


class WorkerProcess:
    """One worker interpreter, restarted after a crash or a timeout."""

    def __init__(self, plugins=(), cache_dir=None, max_bytes=None):
        self.args = (tuple(str(p) for p in plugins), cache_dir, max_bytes)
        self.process = None
        self.ready = False

    def spawn(self):
        """Start the interpreter (it loads the plug-ins meanwhile); :meth:`start` waits."""
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=worker_main, args=(child, *self.args), daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def start(self):
        """Spawn the interpreter unless it is running; raise WorkerStartError unless it
        is ready within START_TIMEOUT."""
        if self.process is None or not self.process.is_alive():
            self.spawn()
        if self.ready:
            return
        answered = False
        try:
            answered = self.conn.poll(START_TIMEOUT)
            if answered and self.conn.recv_bytes() == _READY:
                self.ready = True
                return
        except (EOFError, ConnectionResetError):
            pass
        if answered:  # it died (its pipe closed): wait for the exit code that says why
            self.process.join(5)
        code = self.process.exitcode  # None: it hung, and is killed now
        self._kill()
        raise WorkerStartError(_start_failure(code))

    def run(self, cell, timeout):
        """The result dict (with the worker's ``pid``) of a Cell or of a pickled Cell
        (bytes); crashes and timeouts become results too."""
        self.start()
        self.conn.send_bytes(cell if isinstance(cell, bytes) else pickle.dumps(cell))
        return self._receive(timeout)

    def run_all(self, cells):
        """Yield ``(cell, result)`` for each Cell, in order, with the next cell already
        queued in the worker's pipe while one runs: the worker goes from cell to cell
        without waiting for the client, which stores the previous result meanwhile.  A
        cell's timeout counts from the previous result.  A worker killed after a timeout
        or a crash takes the queued cell, not yet started, with it: the fresh worker gets
        it again."""
        cells = iter(cells)
        queued = collections.deque()

        def fill():
            while len(queued) < 2 and (cell := next(cells, None)) is not None:
                queued.append(cell)
                if not self._deliver(cell):
                    self._kill()  # found dead: restarted below, queued cells sent again

        self.start()
        fill()
        since = time.monotonic()
        while queued:
            if self.process is None:
                self.start()
                for cell in queued:
                    self._deliver(cell)
                since = time.monotonic()
            cell = queued[0]
            result = self._receive(cell.timeout, since)
            since = time.monotonic()
            queued.popleft()
            fill()
            yield cell, result

    def _deliver(self, cell):
        """Send a Cell to the worker; False when its pipe is broken (it died)."""
        try:
            self.conn.send_bytes(pickle.dumps(cell))
            return True
        except OSError:  # BrokenPipeError, or the end already closed by _kill
            return False

    def _receive(self, timeout, since=None):
        """The result of the cell the worker runs, or a timeout or death result; the
        ``timeout`` counts from ``since`` (time.monotonic(); default now)."""
        pid = self.process.pid
        waited = 0.0 if since is None else time.monotonic() - since
        if not self.conn.poll(max(timeout - waited, 0.0)):
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
        self.ready = False

    def close(self):
        # A worker not ready yet (still loading its plug-ins, or hung there) is killed.
        if self.ready and self.process is not None and self.process.is_alive():
            try:
                self.conn.send_bytes(b"")
                self.process.join(5)
            except (BrokenPipeError, OSError):
                pass
        self._kill()


class Executor:
    """The interface: ``run(cells)`` yields ``(cell, result)`` once per cell, in
    any order, each result carrying ``worker`` (who ran it) and ``concurrency`` (how
    many cells could run at once on its machine); ``close()`` frees the workers.
    Results are plain dicts (runner.execute_cell), never written here."""

    name = "executor"

    def run(self, cells):
        raise NotImplementedError

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
