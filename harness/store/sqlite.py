"""The result store: one SQLite file, no server.

Tables ``runs`` and ``cells`` (docs/architecture.md), ``run_reducers`` (each reducer's facts as the
run saw them) and ``meta`` (schema version).  A run row also holds its plan, plug-ins and
claim-rules version (:mod:`attnbench.store.facts`): the store is the only source of facts
about a run, so reports, fits, claims and ``rerun`` never ask the live registry.  WAL
mode lets a report read while a sweep writes, and a busy timeout lets two sweeps write
to one file.  Each finished cell is one transaction, so a killed sweep loses at most the
cell in flight; ``UNIQUE(run_id, key)`` makes a resumed run end with exactly one row per
cell.  A file of another schema version is refused with a message, never modified: an
older one is upgraded by ``attnbench store migrate`` (:mod:`attnbench.store.migrations`).

Every SQLite error reaches the caller as a :class:`StoreError` whose text says what
happened and what to do: a damaged file, a write refused (:class:`StoreWriteError`: disk
full, read-only location, locked by another writer past the busy timeout).
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from pathlib import Path

import pandas as pd

from attnbench.store.facts import ReducerFacts, RunFacts

# 2: runs.plan, runs.plugins, runs.rules_version and the run_reducers table
# 3: cells.draw, cells.experiments (every experiment whose grid holds the cell), the
#    timing protocol's rounds and warmup_rounds, and the reducer's sizes (m_auto,
#    auto_reaches_d, passthrough)
# 4: runs.inferred: {fact: how it was filled} for the facts a migration inferred
# 5: cells.attend_times, attend_median (A(Y) from the cell's Y), direct_times and
#    direct_median (A(X) directly, the dataset's direct route): nullable, for the payoff
# 6: cells.read_times, read_median (one pass over X's stored values, the machine's price
#    of the nnz(X) term): nullable, for the time rule
# 7: cells.write_times, write_median (writing a fresh n x m array: the price of writing Y)
SCHEMA_VERSION = 7
DEFAULT_STORE = Path("results") / "attnbench.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    settings TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    root_seed INTEGER NOT NULL,
    executor TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    plan TEXT NOT NULL,
    plugins TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    inferred TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS run_reducers (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    reducer TEXT NOT NULL,
    family TEXT NOT NULL,
    cost_model TEXT NOT NULL,
    deterministic INTEGER NOT NULL,
    input_sparsity_time INTEGER NOT NULL,
    defaults TEXT NOT NULL,
    module TEXT NOT NULL,
    PRIMARY KEY (run_id, reducer)
);
CREATE TABLE IF NOT EXISTS cells (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    key TEXT NOT NULL,
    experiment TEXT NOT NULL,
    experiments TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dataset_key TEXT NOT NULL,
    dataset_stats TEXT,
    reducer TEXT NOT NULL,
    params TEXT NOT NULL,
    seed INTEGER NOT NULL,
    draw INTEGER NOT NULL,
    settings TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'timeout')),
    error TEXT,
    metrics TEXT,
    times TEXT,
    rounds INTEGER,
    warmup_rounds INTEGER,
    time_median REAL,
    time_iqr REAL,
    peak_bytes INTEGER,
    m_auto INTEGER,
    auto_reaches_d INTEGER,
    passthrough INTEGER,
    attend_times TEXT,
    attend_median REAL,
    direct_times TEXT,
    direct_median REAL,
    read_times TEXT,
    read_median REAL,
    write_times TEXT,
    write_median REAL,
    blas_threads INTEGER,
    concurrency INTEGER,
    worker TEXT,
    finished REAL NOT NULL,
    UNIQUE (run_id, key)
);
CREATE INDEX IF NOT EXISTS cells_run ON cells (run_id);
"""


# Columns of the cells table taken as they are from a result dict (attnbench.sweep.runner).
_RESULT_COLUMNS = (
    "error", "rounds", "warmup_rounds", "time_median", "time_iqr", "peak_bytes",
    "blas_threads", "m_auto", "auto_reaches_d", "passthrough", "attend_median", "direct_median",
    "read_median", "write_median",
)  # fmt: skip


SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(RuntimeError):
    """A store problem, worded for the user: one line saying what happened and what to do."""


class StoreWriteError(StoreError):
    """A write the store could not make; ``kind`` is 'full', 'readonly', 'locked' or 'io'.
    ``problem`` says what happened, ``remedy`` what to do before writing again."""

    def __init__(self, path, kind, problem, remedy):
        super().__init__(f"{problem}: {remedy}.")
        self.path, self.kind, self.problem, self.remedy = Path(path), kind, problem, remedy


def damaged_message(path, detail):
    """The one line for a damaged store file."""
    return (
        f"{path} is damaged ({detail}): `attnbench store check {path}` shows what can still "
        f"be read, and `attnbench store check {path} --recover NEW.sqlite` copies every "
        "readable run and cell to a fresh store"
    )


def store_error(path, exc, busy_timeout=None):
    """The :class:`StoreError` for an SQLite error (or pandas' wrapper of one) on ``path``."""
    cause = exc.__cause__ if isinstance(exc.__cause__, sqlite3.Error) else exc
    detail = str(cause)
    text = detail.lower()
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        if "not a database" in text and not _has_sqlite_header(path):
            return StoreError(f"{path} is not an attnbench store: {detail}.")
        return StoreError(damaged_message(path, detail) + ".")
    if "full" in text:
        return StoreWriteError(
            path, "full", f"{path}: the disk is full ({detail})",
            "free space (or write to a store on another disk with --store PATH)",
        )  # fmt: skip
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StoreWriteError(
            path, "readonly", f"{path} cannot be written: the file or its folder is read-only "
            f"({detail})", "make both writable (or write to another store with --store PATH)",
        )  # fmt: skip
    if "locked" in text or "busy" in text:
        waited = f" after waiting {busy_timeout:g} s" if busy_timeout is not None else ""
        return StoreWriteError(
            path, "locked", f"{path} is locked by another process{waited} ({detail})",
            "wait for the other writer (an attnbench run, or an sqlite3 session holding a "
            "transaction) to finish or stop it, or write to another store with --store PATH",
        )  # fmt: skip
    if "i/o" in text:
        return StoreWriteError(
            path, "io", f"{path} could not be read or written ({detail})",
            f"check the disk, then `attnbench store check {path}`",
        )  # fmt: skip
    return StoreError(f"{path}: {detail}.")


def _has_sqlite_header(path):
    try:
        with open(path, "rb") as file:
            return file.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _guarded(method):
    """A Store method whose SQLite errors become :class:`StoreError` (see store_error)."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, pd.errors.DatabaseError) as exc:
            raise store_error(self.path, exc, self.BUSY_TIMEOUT_S) from None

    return call


class Store:
    """A connection to one result file; safe to open from several processes."""

    BUSY_TIMEOUT_S = 60.0  # how long a write waits for another writer's lock

    def __init__(self, path=DEFAULT_STORE):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of {self.path}: {exc}.") from None
        try:
            self.db = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, self.BUSY_TIMEOUT_S) from None
        try:
            self.db.execute(f"PRAGMA busy_timeout={int(self.BUSY_TIMEOUT_S * 1000)}")
            self._create_or_check()
            # After the check: switching to WAL rewrites the header of a refused file.
            self.db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed
            # process still loses nothing committed (only an OS crash could drop the
            # last cells), and a cell's save costs ~0.3 ms instead of a 3-4 ms fsync.
            self.db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            self.db.close()
            raise store_error(self.path, exc, self.BUSY_TIMEOUT_S) from None
        except StoreError:
            self.db.close()
            raise

    def _tables(self):
        return {name for (name,) in self.db.execute("SELECT name FROM sqlite_master")}

    def _create_or_check(self):
        """Create the schema in an empty file; refuse a file of another schema version
        (nothing is written to it).  Only creating writes: a store that exists is checked
        by reading, so a read-only one can still be shown and reported."""
        tables = self._tables()
        if not tables:
            with self._transaction():
                if not self._tables():  # another process may have created it meanwhile
                    create_schema(self.db)
                    return
            tables = self._tables()
        found = schema_version(self.db, tables)
        if found is None:
            raise StoreError(f"{self.path} is an SQLite file but not an attnbench store.")
        if found < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by an older attnbench (store schema {found}; this "
                f"version reads schema {SCHEMA_VERSION}, which stores the facts reports need "
                f"with each run). Upgrade it with `attnbench store migrate {self.path}` (a "
                "backup copy is kept; the facts the old run did not store are filled in and "
                "marked inferred), or write new runs to another file (--store PATH)."
            )
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer attnbench (store schema {found}; this "
                f"version reads schema {SCHEMA_VERSION}). Read it with that version or a later "
                "one, or write new runs to another file (--store PATH)."
            )

    def _transaction(self):
        return _Transaction(self.db)

    def close(self):
        self.db.close()

    @_guarded
    def start_run(self, name, config_text, settings, fingerprint, root_seed, executor, facts):
        """Record a new run and its facts (:class:`attnbench.store.facts.RunFacts`); its id."""
        with self._transaction():
            cur = self.db.execute(
                "INSERT INTO runs (name, config, settings, fingerprint, root_seed, executor,"
                " started, status, plan, plugins, rules_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    name,
                    config_text,
                    json.dumps(settings, sort_keys=True),
                    json.dumps(fingerprint, sort_keys=True),
                    root_seed,
                    executor,
                    time.time(),
                    facts.plan_json(),
                    json.dumps(list(facts.plugins)),
                    facts.rules_version,
                ),
            )
            self.db.executemany(
                "INSERT INTO run_reducers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        cur.lastrowid,
                        reducer,
                        f.family,
                        f.cost_model,
                        f.deterministic,
                        f.input_sparsity_time,
                        json.dumps(f.defaults, sort_keys=True),
                        f.module,
                    )
                    for reducer, f in sorted(facts.reducers.items())
                ],
            )
        return cur.lastrowid

    @_guarded
    def find_resumable(self, facts, settings):
        """The latest run with the same plan (name, settings, experiments) and run
        settings, or None."""
        row = self.db.execute(
            "SELECT id FROM runs WHERE plan=? AND settings=? ORDER BY id DESC LIMIT 1",
            (facts.plan_json(), json.dumps(settings, sort_keys=True)),
        ).fetchone()
        return row[0] if row else None

    @_guarded
    def done_keys(self, run_id):
        """Keys of the cells that finished ``ok`` (failures are retried on resume)."""
        rows = self.db.execute("SELECT key FROM cells WHERE run_id=? AND status='ok'", (run_id,))
        return {key for (key,) in rows}

    @_guarded
    def save_cell(self, run_id, cell, result, concurrency=1, worker="local"):
        """Store one finished cell in one transaction (replacing a failed attempt)."""
        row = {
            "run_id": run_id,
            "key": cell.key,
            "experiment": cell.experiment,
            "experiments": json.dumps(list(cell.experiments or (cell.experiment,))),
            "dataset": json.dumps(cell.dataset.to_dict(), sort_keys=True),
            "dataset_key": cell.dataset.key(),
            "dataset_stats": _json_or_none(result.get("dataset_stats")),
            "reducer": cell.reducer,
            "params": json.dumps(dict(cell.params), sort_keys=True),
            "seed": cell.seed,
            "draw": cell.draw,
            "settings": json.dumps(dict(cell.settings), sort_keys=True),
            "status": result["status"],
            "metrics": _json_or_none(result.get("metrics")),
            "times": _json_or_none(result.get("times")),
            "attend_times": _json_or_none(result.get("attend_times")),
            "direct_times": _json_or_none(result.get("direct_times")),
            "read_times": _json_or_none(result.get("read_times")),
            "write_times": _json_or_none(result.get("write_times")),
            "concurrency": concurrency,
            "worker": worker,
            "finished": time.time(),
        }
        row |= {column: result.get(column) for column in _RESULT_COLUMNS}
        with self._transaction():
            self.db.execute(
                f"INSERT OR REPLACE INTO cells ({', '.join(row)})"
                f" VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )

    @_guarded
    def count_cells(self, run_id):
        """How many cells of the run are stored (any status)."""
        return self.db.execute("SELECT count(*) FROM cells WHERE run_id=?", (run_id,)).fetchone()[0]

    @_guarded
    def finish_run(self, run_id, status="finished"):
        with self._transaction():
            self.db.execute(
                "UPDATE runs SET finished=?, status=? WHERE id=?", (time.time(), status, run_id)
            )

    @_guarded
    def resolve_run(self, run="latest"):
        """A run id from an int, a numeric string or 'latest'."""
        if run == "latest":
            row = self.db.execute("SELECT max(id) FROM runs").fetchone()
            if row[0] is None:
                raise StoreError(f"{self.path} holds no runs yet.")
            return row[0]
        try:
            run_id = int(run)
        except (TypeError, ValueError):
            raise StoreError(f"run must be an id or 'latest', got {run!r}.") from None
        if self.db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone() is None:
            raise StoreError(f"{self.path} has no run {run_id}.")
        return run_id

    @_guarded
    def run_info(self, run="latest"):
        """The run's row as a dict; ``settings`` and ``fingerprint`` parsed, and ``facts``
        (:class:`attnbench.store.facts.RunFacts`) in place of the plan, plug-ins and rules."""
        run_id = self.resolve_run(run)
        cursor = self.db.execute("SELECT * FROM runs WHERE id=?", (run_id,))
        info = dict(zip([c[0] for c in cursor.description], cursor.fetchone()))
        info["settings"] = json.loads(info["settings"])
        info["fingerprint"] = json.loads(info["fingerprint"])
        info["inferred"] = json.loads(info.pop("inferred"))
        info["facts"] = RunFacts(
            plan=json.loads(info.pop("plan")),
            reducers=self._reducer_facts(run_id),
            plugins=tuple(json.loads(info.pop("plugins"))),
            rules_version=info.pop("rules_version"),
        )
        return info

    def _reducer_facts(self, run_id):
        rows = self.db.execute(
            "SELECT reducer, family, cost_model, deterministic, input_sparsity_time, defaults,"
            " module FROM run_reducers WHERE run_id=? ORDER BY reducer",
            (run_id,),
        )
        return {
            reducer: ReducerFacts(family, cost, bool(det), bool(sparse), json.loads(defaults), mod)
            for reducer, family, cost, det, sparse, defaults, mod in rows
        }

    @_guarded
    def runs(self):
        return pd.read_sql_query(
            "SELECT id, name, executor, status, started, finished,"
            " (SELECT count(*) FROM cells WHERE run_id=runs.id) AS cells FROM runs ORDER BY id",
            self.db,
        )

    @_guarded
    def cells(self, run="latest"):
        """One row per cell: metrics, timing and dataset statistics as flat columns."""
        run_id = self.resolve_run(run)
        raw = pd.read_sql_query(
            "SELECT * FROM cells WHERE run_id=? ORDER BY id", self.db, params=(run_id,)
        )
        return flatten_cells(raw)


def create_schema(db):
    """Create the current schema in an empty file (inside the caller's transaction)."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def schema_version(db, tables=None):
    """The schema version a store file records, or None for an SQLite file of no store."""
    if tables is None:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    if "meta" not in tables:
        return None
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else None


def read_run(path, run="latest"):
    """(run info, cells DataFrame) of a stored run, with the file closed afterwards."""
    db = Store(path)
    try:
        info = db.run_info(run)
        return info, db.cells(info["id"])
    finally:
        db.close()


def _json_or_none(value):
    return None if value is None else json.dumps(value, sort_keys=True)


def flatten_cells(raw):
    """Expand the JSON columns of the cells table into prefixed flat columns."""
    frames = [raw.drop(columns=["dataset", "dataset_stats", "metrics", "params", "settings"])]
    for column, prefix in [
        ("dataset", "dataset."),
        ("dataset_stats", "stats."),
        ("params", "param."),
        ("settings", "setting."),
        ("metrics", ""),
    ]:
        parsed = [json.loads(v) if isinstance(v, str) else {} for v in raw[column]]
        frames.append(pd.DataFrame(parsed, index=raw.index).add_prefix(prefix))
    df = pd.concat(frames, axis=1)
    for column in ("times", "attend_times", "direct_times", "read_times", "write_times"):  # lists; [] when not timed
        values = raw[column] if column in raw else [None] * len(raw)
        df[column] = [json.loads(v) if isinstance(v, str) else [] for v in values]
    df["experiments"] = [json.loads(v) for v in raw["experiments"]]
    # SQLite has no booleans and NULL makes an integer column float: nullable types
    # keep "no auto bound" (NA) apart from False and m_auto an integer.
    for column, kind in (("m_auto", "Int64"), ("auto_reaches_d", "boolean"),
                         ("passthrough", "boolean"), ("rounds", "Int64")):  # fmt: skip
        df[column] = df[column].astype(kind)
    return df


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (or ROLLBACK): one atomic write."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, tb):
        if not kind:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:  # SQLite itself rolls back after some errors (full disk)
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the error being raised says more than this one
