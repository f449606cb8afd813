"""The store as the only source of facts about a run: facts round-trip, old files refused."""

import os
import shutil
import sqlite3
import textwrap
from unittest.mock import patch

import pytest
from click.testing import CliRunner

from _support import attnbench_cli
from attnbench import api
from attnbench.algorithms import get_reducer_class, load_plugin
from attnbench.cli import main
from attnbench.store import SCHEMA_VERSION, Store, StoreError
from attnbench.store.facts import RunFacts
from attnbench.sweep.config import Experiment, parse_config

CONFIG = textwrap.dedent(
    """
    name = "facts"
    [settings]
    repeats = 2
    [[experiment]]
    name = "zipped"
    settings = { repeats = 1 }
    [experiment.datasets]
    family = "sparse"
    n = 8
    d = [64, 128]
    density = [0.5, 0.25]
    zipped = [["d", "density"]]
    r = [0.05, 1.0]
    shared_seed = ["r"]
    [experiment.reducers.gaussian]
    n_components = [4, "auto"]
    eps = 0.25
    [[experiment]]
    name = "plain"
    [experiment.datasets]
    family = "lowrank"
    n = 8
    d = 64
    k = [2, 3]
    [experiment.reducers.zero]
    [experiment.reducers.svd]
    """
)


def _store_run(path, config, plugins=()):
    facts = RunFacts.collect(config, get_reducer_class, plugins, "7")
    db = Store(path)
    try:
        run_id = db.start_run(config.name, config.text, {}, {}, 0, "local", facts)
        return facts, db.run_info(run_id)["facts"]
    finally:
        db.close()


def test_facts_read_back_equal_what_was_stored_and_rebuild_the_config(tmp_path):
    config = parse_config(CONFIG, "facts.toml")
    written, read = _store_run(tmp_path / "s.sqlite", config, plugins=[tmp_path / "p.py"])
    assert read == written
    assert read.rules_version == "7" and read.plugins == (str((tmp_path / "p.py").resolve()),)
    # The plan is the config: every field of every experiment, types included (an int
    # stays an int: cell keys hash them).
    rebuilt = tuple(Experiment(**fields) for fields in read.experiment_fields())
    assert rebuilt == config.experiments
    assert read.plan["settings"] == config.settings
    assert read.zipped_axes() == {"zipped": (("d", "density"),), "plain": ()}
    gaussian = read.reducers["gaussian"]
    assert (gaussian.family, gaussian.cost_model, gaussian.deterministic) == (
        "projection",
        "dense_projection",
        False,
    )
    assert read.default("gaussian", "delta") == 0.1 and read.default("zero", "delta") is None
    assert read.cost_model("svd") == "gram" and read.cost_model("not_in_the_run") is None
    assert set(read.reducers) == {"gaussian", "zero", "svd"}


def test_resume_finds_the_run_with_the_same_plan_only(tmp_path):
    config = parse_config(CONFIG, "facts.toml")
    facts, _ = _store_run(tmp_path / "s.sqlite", config)
    other = parse_config(CONFIG.replace("k = [2, 3]", "k = [2, 4]"), "facts.toml")
    db = Store(tmp_path / "s.sqlite")
    try:
        assert db.find_resumable(facts, {}) == 1
        assert db.find_resumable(facts, {"only": ["zero"]}) is None
        assert db.find_resumable(RunFacts.collect(other, get_reducer_class), {}) is None
    finally:
        db.close()


def _old_store(path, version):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO runs VALUES (1, 'old')")
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("version", "age"), [(SCHEMA_VERSION - 1, "an older"), (SCHEMA_VERSION + 1, "a newer")]
)
def test_a_store_of_another_schema_is_refused_untouched(tmp_path, version, age):
    path = tmp_path / "old.sqlite"
    _old_store(path, version)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=f"written by {age} attnbench .store schema {version};"):
        Store(path)
    assert path.read_bytes() == before
    for args in (["report", "1"], ["show", "1"], ["run", "quick"]):
        result = CliRunner().invoke(main, [*args, "--store", str(path)])
        assert result.exit_code == 1, result.output
        assert f"written by {age} attnbench" in result.output
        assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert path.read_bytes() == before


def test_a_file_that_is_no_store_is_named(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database, just text\n" * 100)
    with pytest.raises(StoreError, match="notes.sqlite is not an attnbench store"):
        Store(text)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="an SQLite file but not an attnbench store"):
        Store(other)


from _support import BAD_UNIFORM as BAD

RERUN = textwrap.dedent(
    """
    name = "rerun"
    [settings]
    repeats = 2
    warmup = 0
    [[experiment]]
    name = "own-repeats"
    settings = { repeats = 1 }
    [experiment.datasets]
    family = "coherent"
    n = 8
    d = 64
    r = [0.05, 0.5]
    [experiment.reducers.test_bad_uniform]
    n_components = [8, 16]
    [experiment.reducers.zero]
    """
)


def test_rerun_takes_plan_and_plug_ins_from_the_store(tmp_path):
    plugin = tmp_path / "bad_uniform.py"
    shutil.copy(BAD, plugin)
    load_plugin(plugin)  # to parse the config here; the reruns below run in fresh processes
    store = tmp_path / "s.sqlite"
    env = {**os.environ, "ATTNBENCH_CACHE_DIR": str(tmp_path / "cache")}
    with patch.dict(os.environ, env):
        first = api.run(parse_config(RERUN, "rerun.toml"), store, plugins=[plugin])
    result = attnbench_cli(["rerun", first, "--store", store], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"reproduces run {first}: every metric identical" in result.stdout
    old, new = api.load_cells(store, first), api.load_cells(store, first + 1)
    assert len(old) == 2 * 3 and set(old["status"]) == {"ok"}  # 2 datasets x 3 variants
    assert sorted(old["key"]) == sorted(new["key"])
    assert set(new["setting.repeats"]) == {1}  # the experiment's own setting, kept
    plugin.unlink()
    gone = attnbench_cli(["rerun", first, "--store", store], tmp_path, env)
    assert gone.returncode == 1 and "Traceback" not in gone.stderr
    assert f"{plugin.resolve()}, test_bad_uniform, which this installation does not have" in (
        gone.stderr
    )
