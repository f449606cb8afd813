"""Executors: processes and dask give the local executor's cells and metrics, bitwise;
faults (crashes, timeouts, a dask worker killed mid-cell) leave exactly one row per cell;
an unreachable scheduler fails fast and clearly.  The dask tests share one LocalCluster."""

import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from _support import MISBEHAVING as PLUGIN
from _support import sweep_config
from attnbench import api
from attnbench.algorithms import load_plugin
from attnbench.cli import main
from attnbench.sweep import workers
from attnbench.sweep.executors import ExecutorError, WorkerStartError, make_executor
from attnbench.sweep.grid import make_cells

METRICS = ["attn_err_inf", "attn_err_over_r", "skill", "spectral_eps", "output_err", "m"]
WORKERS = 2


def config(reducers, *, timeout=60, warmup=1, families=("gaussian", "sparse"), n=(8, 12)):
    return sweep_config(
        reducers,
        name="executors",
        settings={"repeats": 1, "warmup": warmup, "timeout": timeout},
        family=list(families),
        density=[0.2 if f == "sparse" else 1.0 for f in families],
        zipped=[["family", "density"]],
        n=list(n),
        r=0.05,
    )


SAFE = config({"zero": {}, "svd": {}, "gaussian": {"n_components": [8, 16]},
               "uniform": {"n_components": 16}})  # fmt: skip


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def local_cells(tmp_path_factory, cache):
    store = tmp_path_factory.mktemp("local") / "s.sqlite"
    return api.load_cells(store, api.run(SAFE, store, cache_dir=cache)).set_index("key")


def assert_same_cells(cells, reference):
    cells = cells.set_index("key").loc[reference.index]  # KeyError if a cell is missing
    assert len(cells) == len(reference) and cells.index.is_unique
    assert (cells["status"] == "ok").all()
    assert cells[METRICS].equals(reference[METRICS])
    assert (cells["blas_threads"] == 1).all()
    return cells


def test_processes_give_the_local_metrics(tmp_path, cache, local_cells):
    store = tmp_path / "s.sqlite"
    run_id = api.run(SAFE, store, cache_dir=cache, executor="processes", workers=WORKERS)
    cells = assert_same_cells(api.load_cells(store, run_id), local_cells)
    pids = {int(w.removeprefix("processes-")) for w in cells["worker"]}
    assert 1 <= len(pids) <= WORKERS and os.getpid() not in pids
    assert (cells["concurrency"] == WORKERS).all()
    assert (local_cells["concurrency"] == 1).all() and (local_cells["worker"] == "local").all()


FAULTS = {"zero": {}, "test_raises": {}, "test_exits": {}, "test_sleeps": {"seconds": [1.0, 60.0]}}


def faulty_config():
    load_plugin(PLUGIN)
    return config(FAULTS, timeout=5, warmup=0, families=("gaussian",), n=(8,))


def assert_faults_recorded(cells):
    """One row per cell, each with the status its reducer earns."""
    assert len(cells) == 5 and cells["key"].is_unique
    by_reducer = cells.groupby("reducer")["status"].agg(set)
    assert by_reducer["zero"] == {"ok"} and by_reducer["test_raises"] == {"failed"}
    assert by_reducer["test_exits"] == {"failed"}
    sleeps = cells[cells["reducer"] == "test_sleeps"].set_index("param.seconds")["status"]
    assert sleeps[1.0] == "ok" and sleeps[60.0] == "timeout"


def test_processes_record_failures_and_timeouts(tmp_path, cache):
    store = tmp_path / "s.sqlite"
    run_id = api.run(
        faulty_config(), store, plugins=[PLUGIN], cache_dir=cache, executor="processes"
    )
    cells = api.load_cells(store, run_id)
    assert_faults_recorded(cells)
    assert cells["worker"].str.fullmatch(r"processes-\d+").all()


@pytest.mark.parametrize(
    ("name", "options", "error"),
    [
        ("threads", {}, "executor must be one of"),
        ("local", {"workers": 2}, "workers applies to the processes and dask"),
        ("processes", {"workers": 0}, "workers must be an int > 0"),
        ("processes", {"scheduler": "tcp://h:8786"}, "scheduler applies to the dask"),
        ("dask", {"workers": 2, "scheduler": "tcp://h:8786"}, "exclude each other"),
    ],
)
def test_bad_executor_options_are_named(name, options, error):
    with pytest.raises(ValueError, match=error):
        make_executor(name, **options)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("raise ImportError('only in workers')", "exited with code 1 before running any cell"),
        ("time.sleep(60)", "was not ready within 3 s"),
    ],
)
@pytest.mark.parametrize("name", ["local", "processes"])
def test_a_worker_that_cannot_start_stops_the_executor(tmp_path, monkeypatch, body, message, name):
    """A plug-in that breaks (or hangs) only inside workers: no worker gets ready, so the
    executor refuses to start instead of failing every cell."""
    plugin = tmp_path / "breaks_in_workers.py"
    plugin.write_text(
        f"import multiprocessing, time\nif multiprocessing.parent_process():\n    {body}\n"
    )
    monkeypatch.setattr(workers, "START_TIMEOUT", 3)
    options = {"workers": 2} if name == "processes" else {}
    with pytest.raises(WorkerStartError, match=message):
        make_executor(name, plugins=[plugin], **options)


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "attnbench.sweep.executor_dask", None)
    with pytest.raises(ExecutorError, match=r"pip install 'attnbench\[dask\]'"):
        make_executor("dask")


def require_dask():
    pytest.importorskip(
        "distributed", reason="the dask executor needs its extra: pip install 'attnbench[dask]'"
    )


@pytest.fixture(scope="module")
def cluster():
    require_dask()
    from distributed import Client

    from attnbench.sweep.executor_dask import start_local_cluster

    with start_local_cluster(WORKERS) as local, Client(local) as client:
        yield client


@pytest.fixture
def scheduler(cluster):
    cluster.wait_for_workers(WORKERS, timeout=60)  # a test may have killed one
    return cluster.scheduler.address


def test_dask_gives_the_local_cells_and_metrics(tmp_path, cache, local_cells, cluster, scheduler):
    store = tmp_path / "s.sqlite"
    run_id = api.run(SAFE, store, cache_dir=cache, executor="dask", scheduler=scheduler)
    cells = assert_same_cells(api.load_cells(store, run_id), local_cells)
    assert set(cells["worker"]) <= set(cluster.nthreads())
    assert (cells["concurrency"] == WORKERS).all()  # both workers are on this host


def _descendants(pid):
    """Pids of the processes below pid (Linux /proc)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def _kill_worker_running(client, prefix, deadline=60):
    """SIGKILL the dask worker process that executes a task whose key starts with prefix;
    return its address and the pids of its descendants (its cell's WorkerProcess)."""

    def executing(dask_worker):
        return [str(ts.key) for ts in dask_worker.state.executing]

    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        for address, keys in client.run(executing).items():
            if any(key.startswith(prefix) for key in keys):
                pid = client.run(os.getpid, workers=[address])[address]
                below = _descendants(pid)
                os.kill(pid, signal.SIGKILL)
                return address, below
        time.sleep(0.05)
    return None, []


def test_dask_faults_leave_one_row_per_cell(tmp_path, cache, cluster, scheduler):
    faulty = faulty_config()
    (short,) = [c for c in make_cells(faulty) if c.params == (("seconds", 1.0),)]
    store = tmp_path / "s.sqlite"
    killed = []
    killer = threading.Thread(
        target=lambda: killed.append(_kill_worker_running(cluster, f"test_sleeps-{short.key}")),
        daemon=True,
    )
    killer.start()
    run_id = api.run(
        faulty, store, plugins=[PLUGIN], cache_dir=cache, executor="dask", scheduler=scheduler
    )
    killer.join()
    cells = api.load_cells(store, run_id)
    assert_faults_recorded(cells)
    # The short sleeper lost its worker mid-cell, yet it is stored once, ok: it ran again.
    address, orphans = killed[0]
    assert address is not None and orphans
    # The killed worker's cell process did not go on running as an orphan.
    stop = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in orphans) and time.monotonic() < stop:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in orphans)


def test_unreachable_scheduler_fails_fast_and_clearly(tmp_path, monkeypatch):
    require_dask()
    from attnbench.sweep import executor_dask

    monkeypatch.setattr(executor_dask, "CONNECT_TIMEOUT", 2)  # 10 s by default
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    store = tmp_path / "s.sqlite"
    start = time.monotonic()
    result = CliRunner().invoke(
        main, ["run", "quick", "--store", str(store), "--executor", "dask", "--scheduler", address]
    )
    assert time.monotonic() - start < 30
    assert result.exit_code == 1
    assert f"cannot reach the dask scheduler at {address}" in result.output
    assert not store.exists()  # no run was recorded
