"""Upgrading a store file of an earlier schema to the current one (``attnbench store migrate``).

A migration first copies the file (``VACUUM INTO PATH.schemaN.bak``), then rebuilds its
tables with the current schema in one exclusive transaction: it either completes or leaves
the file as it was.  Facts that an old run did not store are filled in by the attnbench
doing the migration and listed in the run's ``inferred`` column ({fact: how}), which a
report of the run shows:

schema 1  the plan (the stored config text parsed again, with the run's settings), every
          reducer's facts (family, cost model, defaults, ... from today's registry), the
          plug-ins (none recorded) and the claim rules stamp (left empty: the run's
          verdicts are withheld)
schema 2  nothing about the run itself
< 3       per cell: ``draw`` 0, ``experiments`` the cell's own experiment, ``rounds`` the
          number of stored times (warm-up rounds and the auto sizes stay unknown)
3         ``cells.experiments`` when the file predates that column, as above
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from attnbench.store.sqlite import (
    SCHEMA_VERSION,
    Store,
    StoreError,
    create_schema,
    schema_version,
)

# The cells columns a store of an earlier schema may lack, and the SQL that fills them.
_CELL_FILLS = {
    "experiments": ("json_array(experiment)", "the cell's own experiment"),
    "draw": ("0", "0: stores before schema 3 had no draws"),
    "rounds": (
        "CASE WHEN times IS NULL THEN NULL ELSE json_array_length(times) END",
        "the number of stored times",
    ),
}
_TABLES = ("runs", "run_reducers", "cells")


@dataclass
class Migration:
    """What :func:`migrate` did: versions, the backup copy, and per run the facts inferred."""

    path: Path
    from_version: int
    to_version: int = SCHEMA_VERSION
    backup: Path | None = None
    inferred: dict = field(default_factory=dict)  # run id -> {fact: how}

    def lines(self):
        """The migration in a few lines for the command line."""
        if self.from_version == self.to_version:
            return [f"{self.path} already has store schema {self.to_version}: nothing to do"]
        kept = f"the file as it was is kept in {self.backup}" if self.backup else "no backup"
        out = [f"{self.path}: store schema {self.from_version} -> {self.to_version}; {kept}"]
        for run_id, facts in sorted(self.inferred.items()):
            if facts:
                out.append(
                    f"run {run_id}: inferred " + "; ".join(f"{k}: {v}" for k, v in facts.items())
                )
        return out


def migrate(path, backup=True):
    """Upgrade the store at ``path`` to SCHEMA_VERSION (a :class:`Migration`); StoreError
    when it is no store, of a newer schema, damaged or cannot be written."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path} does not exist.")
    try:
        db = sqlite3.connect(path, timeout=Store.BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise _error(path, exc) from None
    try:
        return _migrate(db, path, backup)
    except sqlite3.Error as exc:
        raise _error(path, exc) from None
    finally:
        db.close()


def _error(path, exc):
    from attnbench.store.sqlite import store_error

    return store_error(path, exc, Store.BUSY_TIMEOUT_S)


def _migrate(db, path, backup):
    found = schema_version(db)
    if found is None:
        raise StoreError(f"{path} is an SQLite file but not an attnbench store.")
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has store schema {found}, newer than this attnbench's {SCHEMA_VERSION}: "
            "nothing to migrate."
        )
    migration = Migration(path, found)
    if found == SCHEMA_VERSION:
        return migration
    if backup:
        migration.backup = _backup(db, path, found)
    db.execute("BEGIN EXCLUSIVE")
    try:
        if schema_version(db) != found:  # another process migrated it meanwhile
            raise StoreError(f"{path} changed while it was being migrated; run it again.")
        migration.inferred = _rebuild(db, found)
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        history = _meta(db, "migrations", "[]")
        history.append(
            {"from": found, "to": SCHEMA_VERSION, "at": time.time(), "by": _version(),
             "backup": str(migration.backup) if migration.backup else None}
        )  # fmt: skip
        db.execute("INSERT OR REPLACE INTO meta VALUES ('migrations', ?)", (json.dumps(history),))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return migration


def _backup(db, path, found):
    """A copy of the file as it is (VACUUM INTO), next to it; its path."""
    target = path.with_name(f"{path.name}.schema{found}.bak")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.schema{found}.{n}.bak")
    db.execute("VACUUM INTO ?", (str(target),))
    return target


def _meta(db, key, default):
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return json.loads(row[0] if row else default)


def _columns(db, table):
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def _version():
    try:
        return f"attnbench {metadata.version('attnbench')}"
    except metadata.PackageNotFoundError:
        return "attnbench (version unknown)"


def _rebuild(db, found):
    """Move the old tables aside, create the current ones, copy every row over, filling
    what the old schema lacks; {run id: {fact: how}}."""
    present = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    old_cells = _columns(db, "cells")
    old_runs = _columns(db, "runs")
    db.execute("DROP INDEX IF EXISTS cells_run")
    for table in _TABLES:
        if table in present:
            db.execute(f"ALTER TABLE {table} RENAME TO _old_{table}")
    db.execute("DELETE FROM meta WHERE key='schema_version'")
    create_schema(db)  # CREATE TABLE IF NOT EXISTS: meta is kept
    db.execute("DELETE FROM meta WHERE key='schema_version'")

    cell_facts = {}
    new_cells = _columns(db, "cells")
    select = []
    for column in new_cells:
        if column in old_cells:
            select.append(column)
        elif column in _CELL_FILLS:
            select.append(_CELL_FILLS[column][0])
            cell_facts[f"cells.{column}"] = _CELL_FILLS[column][1]
        else:
            select.append("NULL")
    db.execute(
        f"INSERT INTO cells ({', '.join(new_cells)}) SELECT {', '.join(select)} FROM _old_cells"
    )
    if found < 3:
        cell_facts["cells.m_auto, auto_reaches_d, passthrough, warmup_rounds"] = "unknown (NULL)"
    if found < 6:
        cell_facts["cells.read_times, read_median"] = "not measured (NULL): no time verdict"
    if found < 7:
        cell_facts["cells.write_times, write_median"] = "not measured (NULL): no time verdict"

    inferred = {}
    runs = db.execute(f"SELECT {', '.join(old_runs)} FROM _old_runs ORDER BY id").fetchall()
    for values in runs:
        run = dict(zip(old_runs, values))
        facts = json.loads(run.get("inferred") or "{}") | cell_facts  # kept from before
        if "plan" not in run:
            facts |= _infer_run_facts(db, run, found)
        else:
            db.execute(
                "INSERT INTO run_reducers SELECT * FROM _old_run_reducers WHERE run_id=?",
                (run["id"],),
            )
        facts |= _fill_settings(run)
        row = {c: run[c] for c in _columns(db, "runs") if c in run}
        row["inferred"] = json.dumps(facts)
        db.execute(
            f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        inferred[run["id"]] = facts
    for table in _TABLES:
        if table in present:
            db.execute(f"DROP TABLE _old_{table}")
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return inferred


def _fill_settings(run):
    """Give the run's plan every setting this attnbench has, at its default where the run's
    version did not have it; {fact: how} for those filled."""
    from attnbench.sweep.config import SETTINGS

    plan = json.loads(run["plan"])
    missing = [key for key in SETTINGS if key not in plan.get("settings", {})]
    if not missing:
        return {}
    plan["settings"] = {**plan.get("settings", {}), **{k: SETTINGS[k].default for k in missing}}
    run["plan"] = json.dumps(plan)
    return {
        "plan.settings": f"{', '.join(missing)} at the defaults of {_version()} (settings the "
        "run's version did not have)"
    }


def _infer_run_facts(db, run, found):
    """Fill runs.plan, plugins and rules_version and the run's reducer facts of a run of
    schema 1 (into ``run`` and run_reducers); {fact: how}."""
    from attnbench.algorithms import get_reducer_class, list_reducers
    from attnbench.store.facts import ReducerFacts
    from attnbench.sweep.config import ConfigError, parse_config

    by = _version()
    facts = {}
    settings = json.loads(run["settings"])
    overrides = {k: v for k, v in settings.items() if k != "only"}
    used = sorted(
        name for (name,) in db.execute(
            "SELECT DISTINCT reducer FROM _old_cells WHERE run_id=?", (run["id"],)
        )
    )  # fmt: skip
    known = set(list_reducers())
    try:
        config = parse_config(run["config"], f"run {run['id']}").with_settings(**overrides)
        plan = json.loads(json.dumps({
            "name": config.name,
            "settings": dict(config.settings),
            "experiments": [dataclasses.asdict(exp) for exp in config.experiments],
        }))  # fmt: skip
        facts["plan"] = f"the stored config parsed again by {by}, with the run's settings"
        used = sorted(set(used) | {n for e in config.experiments for n, _ in e.reducers})
    except (ConfigError, ValueError, KeyError, TypeError) as exc:
        plan = {"name": run["name"], "settings": overrides, "experiments": []}
        facts["plan"] = f"not rebuilt: the stored config does not parse now ({exc}); no rerun"
    run["plan"] = json.dumps(plan)
    run["plugins"] = "[]"
    facts["plugins"] = f"none recorded (schema {found} stored no plug-in list)"
    run["rules_version"] = ""
    facts["rules_version"] = (
        f"missing (schema {found} stored no claim rules stamp): every verdict is withheld"
    )
    filled = [name for name in used if name in known]
    for name in filled:
        f = ReducerFacts.of(get_reducer_class(name))
        db.execute(
            "INSERT INTO run_reducers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run["id"], name, f.family, f.cost_model, f.deterministic, f.input_sparsity_time,
             json.dumps(f.defaults, sort_keys=True), f.module),
        )  # fmt: skip
    if filled:
        facts["reducers"] = (
            "family, cost model, deterministic, input_sparsity_time, defaults and module of "
            f"{', '.join(filled)} from the reducer registry of {by}"
        )
    if missing := [name for name in used if name not in known]:
        facts["reducers unknown"] = f"{', '.join(missing)}: not registered in {by}"
    return facts
