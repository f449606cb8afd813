"""Migration of real stores written by earlier attnbench commits (tests/harness/fixtures/,
see the README there): every earlier schema opens after ``attnbench store migrate``, and
show, report and rerun work on it; the facts an old run did not store are marked inferred."""

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from _support import FIXTURES, attnbench_cli
from attnbench import api
from attnbench.cli import main
from attnbench.store import SCHEMA_VERSION, Store, StoreError
from attnbench.store.migrations import migrate

OLD = {
    1: FIXTURES / "store-schema1-a089fb0.sqlite",
    2: FIXTURES / "store-schema2-f5df76e.sqlite",
    3: FIXTURES / "store-schema3-bf5bc7f.sqlite",  # schema 3 before cells.experiments
    4: FIXTURES / "store-schema4-53a521b.sqlite",  # before the end-to-end times
}
CELLS = 16  # every fixture holds one run of fixtures/store-fixtures.toml


def _copy(tmp_path, version):
    path = tmp_path / f"schema{version}.sqlite"
    shutil.copy(OLD[version], path)
    return path


def _invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("version", sorted(OLD))
def test_an_old_store_is_refused_until_migrated_then_opens(tmp_path, version):
    path = _copy(tmp_path, version)
    with pytest.raises(StoreError, match=rf"attnbench store migrate {path}"):
        Store(path)
    result = _invoke("store", "migrate", path)
    assert result.exit_code == 0, result.output
    assert f"store schema {version} -> {SCHEMA_VERSION}" in result.output
    backup = path.with_name(f"{path.name}.schema{version}.bak")
    assert f"kept in {backup}" in result.output
    with sqlite3.connect(backup) as db:  # the backup is the old file, readable by its version
        assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
            str(version),
        )
        assert db.execute("SELECT count(*) FROM cells").fetchone()[0] == CELLS
    db = Store(path)
    try:
        info, cells = db.run_info(), db.cells()
        assert db.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        history = json.loads(
            db.db.execute("SELECT value FROM meta WHERE key='migrations'").fetchone()[0]
        )
    finally:
        db.close()
    assert [(h["from"], h["to"]) for h in history] == [(version, SCHEMA_VERSION)]
    assert len(cells) == CELLS and cells["key"].is_unique and set(cells["status"]) == {"ok"}
    assert (cells["experiments"].str[0] == cells["experiment"]).all()
    inferred = info["inferred"]
    if version <= 3:  # these stores predate cells.experiments: each cell gets its own
        assert (cells["experiments"].map(len) == 1).all()
        assert "cells.experiments" in inferred
    else:  # stored: a cell that two experiments share names both
        assert (cells["experiments"].map(len) == 2).sum() == 2
        assert "cells.experiments" not in inferred
    if version < 3:
        assert (cells["draw"] == 0).all()
        assert (cells["rounds"] == cells["times"].map(len)).all()
        assert {"cells.draw", "cells.rounds"} <= set(inferred)
    if version == 1:
        facts = info["facts"]
        assert facts.rules_version == "" and "missing" in inferred["rules_version"]
        assert "parsed again" in inferred["plan"] and facts.plan["name"] == "tiny"
        assert set(facts.reducers) == {"zero", "svd", "gaussian", "uniform"}
        assert "from the reducer registry" in inferred["reducers"]
        assert facts.reducers["gaussian"].family and facts.cost_model("svd")
    else:  # schema 2 stored the run's facts: none of them is inferred
        assert not {"plan", "reducers", "rules_version", "plugins"} & set(inferred)
    again = _invoke("store", "migrate", path)
    assert again.exit_code == 0 and "nothing to do" in again.output


@pytest.mark.parametrize("version", [1, 2])
def test_show_report_and_rerun_work_on_a_migrated_store(tmp_path, version):
    path = _copy(tmp_path, version)
    migrate(path)
    shown = _invoke("show", "--store", path)
    assert shown.exit_code == 0 and f"{CELLS} cells, {CELLS} ok" in shown.output
    out = tmp_path / "report"
    report = _invoke("report", "1", "--store", path, "--out", out)
    assert report.exit_code == 0, report.output
    text = (out / "REPORT.md").read_text()
    verdicts = [line for line in text.splitlines() if line.startswith("| ") and "Theorem" in line]
    assert verdicts and all(line.rstrip(" |").endswith("withheld") for line in verdicts)
    assert "## Facts inferred by migration" in text
    assert "cells.draw: 0" in text
    if version == 1:
        assert "this run stored no claim rules stamp" in text
        assert "rules_version: missing" in text and "plan: the stored config parsed" in text
    rerun = attnbench_cli(["rerun", "1", "--store", path], tmp_path)
    # Exit 1 lists metrics that differ (the code changed since the run): a result, not a failure.
    assert rerun.returncode in (0, 1), rerun.stderr
    assert "Traceback" not in rerun.stderr
    assert "reproduces run 1" in rerun.stdout or "metrics that differ" in rerun.stdout
    new = api.load_cells(path, 2)
    assert len(new) == CELLS and set(new["status"]) == {"ok"}


def test_a_current_store_needs_nothing_and_a_newer_one_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    assert migrate(path).lines() == [
        f"{path} already has store schema {SCHEMA_VERSION}: nothing to do"
    ]
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    result = _invoke("store", "migrate", path)
    assert result.exit_code == 1 and "newer than this attnbench" in result.output
    missing = _invoke("store", "migrate", tmp_path / "none.sqlite")
    assert missing.exit_code == 1 and "does not exist" in missing.output
