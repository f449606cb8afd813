"""A store under faults: a damaged file, a disk that fills up during a run, a read-only
file or folder, another writer holding the lock.  Each ends in one line on stderr and a
non-zero exit, never a traceback; nothing saved is lost, and ``--resume`` finishes the run
once the fault is gone.  ``attnbench store check`` finds the damage and ``--recover``
saves the readable cells.

The full-disk and read-only-folder cases mount a small tmpfs (root only; skipped
elsewhere, with the reason); the read-only file is made immutable with ``chattr +i``
(root on ext4 and the like; chmod does not stop root)."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing

import pytest
from click.testing import CliRunner

from _support import FIXTURES
from attnbench import api
from attnbench.cli import main
from attnbench.store import Store
from attnbench.store.migrations import migrate

FIXTURE = FIXTURES / "store-schema2-f5df76e.sqlite"
CELLS = 16
PAGE = 4096

CONFIG = textwrap.dedent(
    """
    name = "faults"
    [settings]
    repeats = 1
    [[experiment]]
    name = "e"
    [experiment.datasets]
    family = "gaussian"
    n = [8, 12, 16, 20, 24, 28]
    d = 64
    r = 0.05
    [experiment.reducers.zero]
    [experiment.reducers.svd]
    [experiment.reducers.gaussian]
    n_components = [4, 8, 16]
    [experiment.reducers.uniform]
    n_components = [4, 8]
    """
)
RUN_CELLS = 6 * 7


def _one_line_error(stderr):
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def _store(tmp_path):
    """A sound current store of one run (the schema-2 fixture migrated), compact."""
    path = tmp_path / "s.sqlite"
    shutil.copy(FIXTURE, path)
    migrate(path, backup=False)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=DELETE")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("VACUUM")
    db.close()
    return path


def _overwrite(path, page, pages=2):
    with open(path, "r+b") as file:
        file.seek(PAGE * page)
        file.write(b"\xa5" * PAGE * pages)


def _cli(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "attnbench.cli", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def _popen(*args):
    return subprocess.Popen(
        [sys.executable, "-m", "attnbench.cli", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count(store):
    try:
        with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)) as db:
            return db.execute("SELECT count(*) FROM cells").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("damage", ["overwritten", "truncated"])
def test_a_damaged_store_is_named_with_check_and_recovery(tmp_path, damage):
    path = _store(tmp_path)
    pages = path.stat().st_size // PAGE
    if damage == "overwritten":
        _overwrite(path, pages // 2)
    else:
        with open(path, "r+b") as file:
            file.truncate(PAGE * (pages // 2))
    for args in (["show"], ["report", "--out", tmp_path / "r"], ["export", "-o", tmp_path / "x"]):
        result = CliRunner().invoke(main, [*map(str, args), "--store", str(path)])
        assert result.exit_code == 1 and result.exception.__class__ is SystemExit, result.output
        assert f"{path} is damaged" in result.output, result.output
        assert f"attnbench store check {path} --recover" in result.output
    shown = _cli("show", "--store", path)
    assert shown.returncode == 1
    assert f"{path} is damaged" in _one_line_error(shown.stderr)


def test_store_check_reports_damage_and_recover_saves_the_readable_cells(tmp_path):
    sound = _store(tmp_path)
    checked = _cli("store", "check", sound)
    assert checked.returncode == 0, checked.stderr
    assert "sound" in checked.stdout and f"run 1 'tiny': finished, {CELLS} cells" in checked.stdout
    pages = sound.stat().st_size // PAGE
    lost_some = False
    for page in range(2, pages - 1):  # every place a damage can land: the check finds it
        path = tmp_path / f"d{page}.sqlite"
        shutil.copy(sound, path)
        _overwrite(path, page, 1)
        result = _check(path, tmp_path / f"r{page}.sqlite")
        lost_some |= result


def _check(path, out):
    """Check and recover a damaged copy; whether cells were lost (but some recovered)."""
    result = CliRunner().invoke(main, ["store", "check", str(path), "--recover", str(out)])
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    if result.exit_code == 0:  # the page was free or held only unused space
        assert "sound" in result.output
        return False
    assert result.exit_code == 1 and "DAMAGED" in result.output, result.output
    assert f"recovered into {out}" in result.output
    with sqlite3.connect(out) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        recovered = db.execute("SELECT count(*) FROM cells").fetchone()[0]
        runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert recovered <= CELLS
    if runs and recovered:  # the recovered store opens like any other
        cells = api.load_cells(out, 1)
        assert len(cells) == recovered and cells["key"].is_unique
    if recovered < CELLS:
        assert "could not read" in result.output
    return 0 < recovered < CELLS


@pytest.fixture
def tmpfs(tmp_path):
    """A 2 MB tmpfs, mounted for the test; skipped where mounting is not allowed."""
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _start_run(tmp_path, store, at_least=4):
    cfg = tmp_path / "faults.toml"
    cfg.write_text(CONFIG)
    cache = tmp_path / "cache"
    proc = _popen("run", cfg, "--store", store, "--cache-dir", cache)
    deadline = time.time() + 120
    while _count(store) < at_least and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the fault must land in the middle of the run"
    return proc, cfg, cache


def _finish_with_resume(store, cfg, cache):
    resumed = _cli("run", cfg, "--store", store, "--resume", "--cache-dir", cache)
    assert resumed.returncode == 0, resumed.stderr
    cells = api.load_cells(store)
    assert len(cells) == RUN_CELLS and cells["key"].is_unique
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        assert db.execute("SELECT status FROM runs").fetchone() == ("finished",)


def test_a_disk_that_fills_up_during_a_run_then_resume(tmp_path, tmpfs):
    store = tmpfs / "s.sqlite"
    proc, cfg, cache = _start_run(tmp_path, store)
    filler = tmpfs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # take every free block
        while os.write(fd, b"\0" * PAGE):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1
    line = _one_line_error(stderr)
    saved = _count(store)
    assert 0 < saved < RUN_CELLS
    assert "the disk is full" in line and f"keeps {saved} of its {RUN_CELLS} cells" in line, line
    assert "--resume" in line
    filler.unlink()
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    _finish_with_resume(store, cfg, cache)


def _remount_read_only(mount):
    """Remount read-only once no process writes there any more (the stopped run's workers
    may take a moment to exit)."""
    deadline = time.time() + 60
    while True:
        done = subprocess.run(
            ["mount", "-o", "remount,ro", str(mount)], check=False, capture_output=True, text=True
        )
        if done.returncode == 0:
            return
        assert time.time() < deadline, done.stderr
        time.sleep(0.2)


def test_a_read_only_folder_then_resume(tmp_path, tmpfs):
    """A run stopped (SIGINT) and resumed into a folder made read-only meanwhile (a mount
    cannot turn read-only while a process writes to it)."""
    store = tmpfs / "s.sqlite"
    proc, cfg, cache = _start_run(tmp_path, store)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    saved = _count(store)
    assert 0 < saved < RUN_CELLS
    _remount_read_only(tmpfs)
    try:
        shown = _cli("show", "--store", store)  # reading needs no write
        assert shown.returncode == 0 or "read-only" in _one_line_error(shown.stderr)
        resumed = _cli("run", cfg, "--store", store, "--resume", "--cache-dir", cache)
        assert resumed.returncode == 1
        line = _one_line_error(resumed.stderr)
        assert f"{store} cannot be written" in line and "read-only" in line, line
        assert "--resume" in line, line
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
    assert _count(store) == saved
    _finish_with_resume(store, cfg, cache)


def test_a_read_only_file_is_named(tmp_path):
    path = _store(tmp_path)
    done = subprocess.run(["chattr", "+i", str(path)], check=False, capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"chattr +i does not work here ({done.stderr.strip()})")
    try:
        cfg = tmp_path / "faults.toml"
        cfg.write_text(CONFIG)
        result = _cli("run", cfg, "--store", path, "--cache-dir", tmp_path / "cache")
        assert result.returncode == 1
        line = _one_line_error(result.stderr)
        assert f"{path} cannot be written" in line and "read-only" in line, line
        shown = _cli("show", "--store", path)
        assert shown.returncode == 0 or "read-only" in _one_line_error(shown.stderr)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_a_store_locked_by_another_writer_is_named(tmp_path, monkeypatch):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(Store, "BUSY_TIMEOUT_S", 0.5)
    cfg = tmp_path / "faults.toml"
    cfg.write_text(CONFIG)
    try:
        started = time.time()
        result = CliRunner().invoke(
            main, ["run", str(cfg), "--store", str(path), "--cache-dir", str(tmp_path / "c")]
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit, result.output
    assert "Traceback" not in result.output
    assert f"{path} is locked by another process after waiting 0.5 s" in result.output
    assert "--store PATH" in result.output and time.time() - started < 60
    assert api.load_cells.__name__  # the store is untouched and opens
    with pytest.raises(Exception, match="holds no runs"):
        api.load_cells(path)
