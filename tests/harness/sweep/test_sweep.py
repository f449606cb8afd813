"""End-to-end sweeps: fault isolation, resume after SIGKILL, reproducibility, concurrency."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from _support import MISBEHAVING as PLUGIN
from _support import sweep_config
from attnbench import api
from attnbench.metrics import metric_names

SYMMETRIC = metric_names("symmetric")


def config(reducers, *, timeout=60, n=(8, 12), repeats=1):
    settings = {"repeats": repeats, "timeout": timeout}
    return sweep_config(reducers, settings=settings, n=list(n), r=0.05)


SAFE = {"zero": {}, "svd": {}, "gaussian": {"n_components": [8, 16]}}


@pytest.fixture
def cache(tmp_path):
    return str(tmp_path / "cache")


def test_failures_crashes_and_timeouts_are_recorded(tmp_path, cache):
    bad = SAFE | {"test_raises": {}, "test_exits": {}, "test_sleeps": {"seconds": 60.0}}
    from attnbench.algorithms import load_plugin

    load_plugin(PLUGIN)
    store = tmp_path / "s.sqlite"
    run_id = api.run(config(bad, timeout=5, n=(8,)), store, plugins=[PLUGIN], cache_dir=cache)
    df = api.load_cells(store, run_id).set_index("reducer")
    assert df.loc["test_raises", "status"] == "failed"
    assert "this reducer always fails" in df.loc["test_raises", "error"]
    assert df.loc["test_exits", "status"] == "failed"
    assert "exit code 1" in df.loc["test_exits", "error"]
    assert df.loc["test_sleeps", "status"] == "timeout"
    others = df.drop(index=["test_raises", "test_exits", "test_sleeps"])
    assert len(others) == 4 and (others["status"] == "ok").all()
    # Every metric has its column; cells without a result have NaN there.
    bad = df.loc[["test_raises", "test_exits", "test_sleeps"]]
    assert bad[SYMMETRIC].isna().all().all() and others[SYMMETRIC].notna().all().all()


def test_a_run_whose_cells_all_failed_still_has_the_metric_columns(tmp_path, cache):
    from attnbench.algorithms import load_plugin

    load_plugin(PLUGIN)
    store = tmp_path / "s.sqlite"
    reducers = {"test_raises": {}}
    run_id = api.run(config(reducers, n=(8,)), store, plugins=[PLUGIN], cache_dir=cache)
    cells = api.load_cells(store, run_id)
    assert list(cells["status"]) == ["failed"]
    assert cells[SYMMETRIC].isna().all().all() and "logit_err_frob" not in cells


def test_same_config_and_seed_give_identical_metrics(tmp_path, cache):
    store = tmp_path / "s.sqlite"
    a = api.load_cells(store, api.run(config(SAFE), store, cache_dir=cache))
    b = api.load_cells(store, api.run(config(SAFE), store, cache_dir=cache))
    metrics = ["attn_err_inf", "skill", "spectral_eps", "output_err", "m"]
    a, b = a.set_index("key").sort_index(), b.set_index("key").sort_index()
    assert list(a.index) == list(b.index)
    assert a[metrics].equals(b[metrics])
    assert (a["times"].map(len) == 1).all()


def _cli(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "attnbench.cli", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kwargs,
    )


SLOW = {"zero": {}, "test_sleeps": {"seconds": [0.0, 0.2]}, "gaussian": {"n_components": [4, 8]}}


def _write_config(tmp_path):
    path = tmp_path / "slow.toml"
    path.write_text(config(SLOW, n=(8, 12, 16)).text)
    return path


def _count(store):
    try:
        with sqlite3.connect(store, timeout=30) as db:
            return db.execute("SELECT count(*) FROM cells").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path, cache):
    cfg = _write_config(tmp_path)
    killed = tmp_path / "killed.sqlite"
    proc = _cli("run", cfg, "--store", killed, "--plugin", PLUGIN, "--cache-dir", cache)
    deadline = time.time() + 120
    while _count(killed) < 4 and time.time() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = _count(killed)
    assert 4 <= stored < 15, "the kill must land in the middle of the sweep"
    resumed = _cli(
        "run", cfg, "--store", killed, "--plugin", PLUGIN, "--resume", "--cache-dir", cache
    )
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    whole = tmp_path / "whole.sqlite"
    assert (
        _cli("run", cfg, "--store", whole, "--plugin", PLUGIN, "--cache-dir", cache).wait(
            timeout=300
        )
        == 0
    )
    a, b = api.load_cells(killed), api.load_cells(whole)
    assert len(a) == len(b) == 15 and a["key"].is_unique
    metrics = ["key", "attn_err_inf", "spectral_eps", "m", "status"]
    a = a[metrics].sort_values("key").reset_index(drop=True)
    b = b[metrics].sort_values("key").reset_index(drop=True)
    assert a.equals(b)
    with sqlite3.connect(killed) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_two_sweeps_write_one_store_at_once(tmp_path, cache):
    cfg = _write_config(tmp_path)
    store = tmp_path / "shared.sqlite"
    procs = [
        _cli("run", cfg, "--store", store, "--plugin", PLUGIN, "--cache-dir", cache)
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        per_run = db.execute("SELECT run_id, count(*) FROM cells GROUP BY run_id").fetchall()
    assert [count for _, count in per_run] == [15, 15]
