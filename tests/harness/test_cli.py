"""The command line and the Python API as a user meets them: ``attnbench run`` with a
raising, an exiting and a hanging plug-in, its stdout piped (as in ``make run`` or a CI
log); the summary in every format; a script that forgot the ``__main__`` guard."""

import io
import sqlite3
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from click.testing import CliRunner

from _support import MISBEHAVING as PLUGIN
from _support import sweep_toml
from attnbench.cli import main

TIMEOUT = 5  # seconds per cell; the hanging reducer sleeps 60

CONFIG = sweep_toml(
    {"zero": {}, "leverage_exact": {"n_components": 16}, "test_raises": {}, "test_exits": {},
     "test_sleeps": {"seconds": 60.0}},
    name="cli",
    settings={"repeats": 1, "timeout": TIMEOUT},
    r=0.05,
)  # fmt: skip


@pytest.fixture(scope="module")
def piped_run(tmp_path_factory):
    """(completed process, store) of ``attnbench run`` with stdout and stderr piped."""
    folder = tmp_path_factory.mktemp("cli")
    config = folder / "cli.toml"
    config.write_text(CONFIG)
    store = folder / "store.sqlite"
    command = [sys.executable, "-m", "attnbench.cli", "run", str(config), "--store", str(store)]
    command += ["--plugin", str(PLUGIN), "--cache-dir", str(folder / "cache")]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600)
    return done, store


def test_failed_and_timed_out_cells_are_listed_and_the_command_exits_0(piped_run):
    done, _ = piped_run
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "run 1: 5 cells, " in out and "2 ok" in out and "2 failed" in out
    assert "1 timeout" in out
    failed = out[out.index("cells that did not finish") :]
    assert "this reducer always fails" in failed  # the raising plug-in's error
    assert "worker process died (exit code 1)" in failed  # the exiting one
    assert f"cell exceeded the {TIMEOUT} s timeout" in failed  # the hanging one
    assert "test_sleeps(seconds=60)" in failed


def test_piped_tables_are_not_cut(piped_run):
    done, _ = piped_run
    assert "leverage_exact(n_components=16)" in done.stdout
    assert "…" not in done.stdout
    assert "Traceback" not in done.stderr


def _blocks(text):
    """{title: DataFrame} of ``--format csv`` output."""
    blocks, title, lines = {}, None, []
    for line in [*text.splitlines(), "# end"]:
        if line.startswith("# "):
            if title is not None and lines:
                blocks[title] = pd.read_csv(io.StringIO("\n".join(lines)))
            title, lines = line[2:], []
        else:
            lines.append(line)
    return blocks


def test_show_as_csv_and_markdown(piped_run):
    _, store = piped_run
    runner = CliRunner()
    csv = runner.invoke(main, ["show", "1", "--store", str(store), "--format", "csv"])
    assert csv.exit_code == 0, csv.output
    blocks = _blocks(csv.output)
    summary = blocks["medians over cells"]
    assert set(summary["reducer"]) == {"zero", "leverage_exact(n_components=16)"}
    failed = next(frame for title, frame in blocks.items() if title.startswith("cells that"))
    assert sorted(failed["status"]) == ["failed", "failed", "timeout"]
    md = runner.invoke(main, ["show", "1", "--store", str(store), "--format", "md"])
    assert md.exit_code == 0, md.output
    assert "| status | reducer | family | n | d | r | error |" in md.output
    assert "| timeout | test_sleeps(seconds=60) | gaussian | 8 | 64 | 0.05 |" in md.output


SCRIPT = '''
import sys
from attnbench import api
from attnbench.sweep.config import parse_config

TEXT = """
name = "script"
[settings]
repeats = 1
[[experiment]]
name = "e"
[experiment.datasets]
family = "gaussian"
n = 8
d = 64
[experiment.reducers.zero]
"""
'''
BODY = """
run_id = api.run(parse_config(TEXT), sys.argv[1], cache_dir=sys.argv[2])
cells = api.load_cells(sys.argv[1], run_id)
print(list(cells["status"]), cells["attn_err_over_r"].notna().all())
"""


def _script(tmp_path, guarded):
    body = textwrap.indent(BODY, "    ") if guarded else BODY
    path = tmp_path / "my_sweep.py"
    path.write_text(SCRIPT + ('if __name__ == "__main__":\n' if guarded else "") + body)
    store = tmp_path / "store.sqlite"
    done = subprocess.run(
        [sys.executable, str(path), str(store), str(tmp_path / "cache")],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return path, store, done


def test_a_script_without_the_main_guard_stops_with_the_fix(tmp_path):
    path, store, done = _script(tmp_path, guarded=False)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("attnbench.sweep.workers.WorkerStartError: a worker process exited")
    assert str(path) in last and 'under `if __name__ == "__main__":`' in last
    # Nothing was stored: no run, no cells failed by the dozen.
    if store.exists():
        with sqlite3.connect(store) as db:
            assert db.execute("SELECT count(*) FROM cells").fetchone()[0] == 0


def test_the_same_script_with_the_guard_runs(tmp_path):
    _, _, done = _script(tmp_path, guarded=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ok'] True"
