"""``attnbench check PLUGIN`` (the contract table and its exit codes) and
``attnbench new-reducer`` (a template file that passes the check as written)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from _support import BROKEN_PLUGINS as BROKEN
from _support import isolated_registry
from attnbench.cli import main


def check(*args):
    """``attnbench check ARGS`` in this process, on a console wide enough for one line a
    row; plug-ins it loads are forgotten afterwards."""
    with isolated_registry():
        return CliRunner(env={"COLUMNS": "400"}).invoke(main, ["check", *args])


def test_builtin_passes_with_exit_0():
    result = check("zero")
    assert result.exit_code == 0, result.output
    assert "attnbench contract: zero" in result.output
    assert "docstring" in result.output and "sklearn:" in result.output
    assert result.output.rstrip().endswith("PASSED")


def test_broken_plugin_fails_with_exit_1_naming_the_rule():
    result = check(str(BROKEN / "mutates_x.py"))
    assert result.exit_code == 1, result.output
    rows = [line for line in result.output.splitlines() if " no_mutation " in line]
    assert len(rows) == 1 and "failed" in rows[0]
    assert "changed the dense input X in place" in rows[0]
    last = result.output.rstrip().splitlines()[-1]
    assert last.startswith("FAILED ") and "no_mutation" in last


def test_file_colon_name_and_verbose():
    result = check(f"{BROKEN / 'fixed_seed.py'}:broken_fixed_seed", "--verbose")
    assert result.exit_code == 1
    assert result.output.rstrip().endswith("FAILED 1 rule(s): seed_dependence")
    assert "sklearn:check_fit2d_1sample" in result.output  # verbose: a row per sklearn check


@pytest.mark.parametrize(
    "plugin, message",
    [
        ("no_such_file.py", "does not exist"),
        ("gausian", "Did you mean: gaussian"),
        (f"{BROKEN / 'fixed_seed.py'}:other", "not 'other'"),
    ],
)
def test_unloadable_plugin_exits_2(plugin, message):
    result = check(plugin)
    assert result.exit_code == 2
    assert "cannot load" in result.output and message in result.output


def test_plugin_that_fails_to_import_exits_2(tmp_path):
    path = tmp_path / "raises.py"
    path.write_text("raise RuntimeError('boom')\n")
    result = check(str(path))
    assert result.exit_code == 2 and "boom" in result.output


@pytest.mark.parametrize("kind", ["projection", "sampling"])
def test_new_reducer_file_passes_check_as_written(kind, tmp_path):
    path = tmp_path / f"my_{kind}.py"
    created = CliRunner().invoke(
        main, ["new-reducer", f"my_{kind}", "--kind", kind, "-o", str(path)]
    )
    assert created.exit_code == 0, created.output
    text = path.read_text()
    assert f'name = "my_{kind}"' in text and f"class My{kind.capitalize()}(" in text
    assert f"attnbench check {path}" in text and text.count("\n    # ") >= 4  # commented
    # The installed command, in a fresh interpreter, as the author would run it.
    result = subprocess.run(
        [sys.executable, "-m", "attnbench.cli", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("PASSED")


def test_new_reducer_refuses_bad_names_and_existing_files(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    taken = runner.invoke(main, ["new-reducer", "gaussian"])
    assert taken.exit_code == 2 and "already a registered reducer" in taken.output
    invalid = runner.invoke(main, ["new-reducer", "My-Sketch"])
    assert invalid.exit_code == 2 and "not a valid reducer name" in invalid.output
    assert runner.invoke(main, ["new-reducer", "my_sketch"]).exit_code == 0
    assert Path("my_sketch.py").is_file()
    again = runner.invoke(main, ["new-reducer", "my_sketch", "--kind", "sampling"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert "class MySketch(SizedReducer, ProjectionReducer)" in Path("my_sketch.py").read_text()
    forced = runner.invoke(main, ["new-reducer", "my_sketch", "--kind", "sampling", "--force"])
    assert forced.exit_code == 0
    assert "class MySketch(SamplingReducer)" in Path("my_sketch.py").read_text()
