"""Executors: where cells run.  The client alone writes results to the store.

``local`` (the default) runs cells one at a time in a persistent worker process, so a
reducer that raises, kills its interpreter (``os._exit``, a segfault) or runs past the
per-cell timeout becomes a ``failed`` or ``timeout`` result and the sweep goes on with
a fresh worker.  Only one cell runs at a time: these timings are the ones fits use.
"""

from __future__ import annotations

import multiprocessing

from attnbench.algorithms import load_plugin
from attnbench.runner import WorkerState, run_cell_safely

# Workers fork from a clean server that has already imported the harness (about 1.5 s
# of imports), so restarting a worker after a crash or a timeout costs milliseconds.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["attnbench.runner"])


def _worker_main(conn, plugins, cache_dir, max_bytes):
    for path in plugins:
        load_plugin(path)
    state = WorkerState(cache_dir, max_bytes)
    while True:
        cell = conn.recv()
        if cell is None:
            return
        conn.send(run_cell_safely(cell, state))


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
        """The cell's result dict; crashes and timeouts become results too."""
        if self.process is None or not self.process.is_alive():
            self._start()
        self.conn.send(cell)
        if not self.conn.poll(timeout):
            self._kill()
            return {"status": "timeout", "error": f"cell exceeded the {timeout:g} s timeout"}
        try:
            return self.conn.recv()
        except (EOFError, ConnectionResetError):
            self.process.join(5)
            code = self.process.exitcode
            self._kill()
            return {
                "status": "failed",
                "error": f"worker process died (exit code {code}) while running the cell",
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
                self.conn.send(None)
                self.process.join(5)
            except (BrokenPipeError, OSError):
                pass
        self._kill()


class LocalExecutor:
    """Serial cells in one persistent worker process (timings usable for fits)."""

    name = "local"
    concurrency = 1

    def __init__(self, plugins=(), cache_dir=None, max_bytes=None):
        self.worker = WorkerProcess(plugins, cache_dir, max_bytes)

    def run(self, cells):
        """Yield (cell, result) in order."""
        for cell in cells:
            yield cell, self.worker.run(cell, cell.timeout)

    def close(self):
        self.worker.close()


EXECUTORS = {"local": LocalExecutor}
