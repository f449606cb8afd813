"""``attnbench store check``: what a store file holds and whether SQLite finds it sound, and
the recovery of every readable run and cell of a damaged one into a fresh file.

The check opens the file read-only and never writes to it.  Recovery copies row by row:
a table is scanned whole when it can be, else probed one rowid at a time, so rows behind
a damaged page are still reached; a row whose read fails is counted as lost.  The fresh
file gets the source's own schema (its ``CREATE`` statements), so a recovered store of an
older schema is then migrated like any other.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from attnbench.store.sqlite import SCHEMA_VERSION, StoreError

_TABLES = ("meta", "runs", "run_reducers", "cells")


@dataclass
class CheckResult:
    """``integrity``: PRAGMA integrity_check's lines ('ok' when sound); ``runs``: (id, name,
    status, cells) per readable run; ``problems``: what could not be read."""

    path: Path
    integrity: list = field(default_factory=list)
    schema: int | None = None
    runs: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def sound(self):
        return self.integrity == ["ok"] and not self.problems

    def lines(self):
        out = [f"{self.path}: " + ("sound" if self.sound else "DAMAGED")]
        out.append("integrity check: " + "; ".join(self.integrity[:5]) + (
            f" (and {len(self.integrity) - 5} more)" if len(self.integrity) > 5 else ""))  # fmt: skip
        if self.schema is None:
            out.append("schema version: unreadable")
        else:
            note = "" if self.schema == SCHEMA_VERSION else (
                f" (this attnbench reads {SCHEMA_VERSION}"
                + (f": `attnbench store migrate {self.path}`)" if self.schema < SCHEMA_VERSION
                   else ")"))  # fmt: skip
            out.append(f"schema version: {self.schema}{note}")
        for run_id, name, status, cells in self.runs:
            out.append(f"run {run_id} '{name}': {status}, {cells} cells")
        out += [f"could not read: {problem}" for problem in self.problems]
        if not self.sound:
            out.append(
                f"recover what is readable: attnbench store check {self.path} --recover NEW.sqlite"
            )
        return out


def _open_ro(path):
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path} does not exist.")
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, isolation_level=None)


def check(path):
    """A :class:`CheckResult` of the store at ``path`` (read only)."""
    result = CheckResult(Path(path))
    db = _open_ro(path)
    try:
        try:
            result.integrity = [r[0] for r in db.execute("PRAGMA integrity_check")]
        except sqlite3.Error as exc:
            result.integrity = [str(exc)]
        try:
            row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            result.schema = int(row[0]) if row else None
        except sqlite3.Error as exc:
            result.problems.append(f"schema version ({exc})")
        runs, lost = _rows(db, "runs")
        counts, lost_cells = _cell_counts(db)
        result.runs = [
            (r["id"], r.get("name"), r.get("status"), counts.pop(r["id"], 0)) for r in runs
        ]
        result.runs += [(run_id, "?", "run row unreadable", n) for run_id, n in counts.items()]
        for table, n in (("runs", lost), ("cells", lost_cells)):
            if n is None:
                result.problems.append(f"the {table} table: none of its rows")
            elif n:
                result.problems.append(f"{n} row(s) of the {table} table")
    finally:
        db.close()
    return result


def _cell_counts(db):
    """{run id: readable cells}, and how many cell rows could not be read."""
    counts = {}
    rows, lost = _rows(db, "cells", columns="id, run_id")
    for row in rows:
        counts[row["run_id"]] = counts.get(row["run_id"], 0) + 1
    return counts, lost


def _rows(db, table, columns="*"):
    """([row dicts], how many rows could not be read) of a table: one scan, or one rowid at
    a time when the scan fails; None for how many when no rowid at all could be read."""
    try:
        cursor = db.execute(f"SELECT rowid AS _rowid, {columns} FROM {table}")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()], 0
    except sqlite3.Error:
        pass
    try:
        names = [c[0] for c in db.execute(f"SELECT rowid AS _rowid, {columns} FROM {table} LIMIT 0")
                 .description]  # fmt: skip
    except sqlite3.Error:
        return [], 0  # the table itself is unreadable: counted by the caller's problems
    top = _max_rowid(db, table)
    rows, lost = [], 0
    for rowid in range(1, top + 1):
        try:
            row = db.execute(
                f"SELECT rowid AS _rowid, {columns} FROM {table} WHERE rowid=?", (rowid,)
            ).fetchone()
        except sqlite3.Error:
            lost += 1
            continue
        if row is not None:
            rows.append(dict(zip(names, row)))
    return rows, (None if lost == top and top else lost)


def _max_rowid(db, table):
    """The largest rowid the table can hold: sqlite_sequence's, else max(rowid), else a
    bound from the page count."""
    for sql in (
        "SELECT seq FROM sqlite_sequence WHERE name=?",
        f"SELECT max(rowid) FROM {table} WHERE ? IS NOT NULL",
    ):
        try:
            row = db.execute(sql, (table,)).fetchone()
            if row and row[0]:
                return int(row[0])
        except sqlite3.Error:
            continue
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    return pages * 100


@dataclass
class Recovery:
    """What :func:`recover` copied (rows per table) and could not read."""

    source: Path
    target: Path
    copied: dict = field(default_factory=dict)
    lost: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    def lines(self):
        copied = ", ".join(f"{n} {table}" for table, n in self.copied.items())
        out = [f"recovered into {self.target}: {copied}"]
        lost = {table: n for table, n in self.lost.items() if n}
        if lost:
            out.append("could not read: " + ", ".join(f"{n} {t} row(s)" for t, n in lost.items()))
        runs = {r for (r,) in _connect_rw(self.target).execute("SELECT id FROM runs")}
        orphans = (
            _connect_rw(self.target)
            .execute("SELECT DISTINCT run_id FROM cells ORDER BY run_id")
            .fetchall()
        )
        if gone := [r for (r,) in orphans if r not in runs]:
            out.append(
                f"cells of run(s) {', '.join(map(str, gone))} were recovered without their run "
                "row: `attnbench show` cannot name them; export them with sqlite3"
            )
        out += [f"could not read: {problem}" for problem in self.problems]
        if not lost and not self.problems:
            out.append("every row was read")
        return out


def _connect_rw(path):
    return sqlite3.connect(path, isolation_level=None)


def recover(path, out):
    """Copy every readable row of the store at ``path`` into a fresh file ``out``."""
    path, out = Path(path), Path(out)
    if out.exists():
        raise StoreError(f"{out} exists: recovery writes a fresh file; name another.")
    src = _open_ro(path)
    result = Recovery(path, out)
    try:
        try:
            schema = [
                sql for (sql,) in src.execute(
                    "SELECT sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT"
                    " NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC"
                )
            ]  # fmt: skip
        except sqlite3.Error as exc:
            from attnbench.store.sqlite import _SCHEMA

            result.problems.append(f"the schema ({exc}); the current one is used")
            schema = [s for s in _SCHEMA.split(";") if s.strip()]
        dst = sqlite3.connect(out, isolation_level=None)
        try:
            dst.execute("BEGIN")
            for statement in schema:
                dst.execute(statement)
            tables = {name for (name,) in dst.execute("SELECT name FROM sqlite_master")}
            for table in _TABLES:
                if table not in tables:
                    continue
                rows, lost = _rows(src, table)
                columns = [r[1] for r in dst.execute(f"PRAGMA table_info({table})")]
                copied = 0
                for row in rows:
                    values = [row.get(c) for c in columns]
                    try:
                        dst.execute(
                            f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
                            f" ({', '.join('?' * len(columns))})",
                            values,
                        )
                        copied += 1
                    except sqlite3.Error:
                        lost += 1
                result.copied[table] = copied
                result.lost[table] = "all" if lost is None else lost
            dst.execute("COMMIT")
        finally:
            dst.close()
    finally:
        src.close()
    return result
