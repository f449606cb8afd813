"""The Python API, mirroring the command line: run a sweep, load its cells.

from attnbench import api

if __name__ == "__main__":  # worker processes import the main script again
    run_id = api.run("quick", store="results/attnbench.sqlite")
    df = api.load_cells("results/attnbench.sqlite", run_id)  # one row per cell
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from attnbench.algorithms import get_reducer_class, list_reducers, load_plugins
from attnbench.analysis.claims import RULES_STAMP
from attnbench.metrics import METRICS, metric_names
from attnbench.numbers import count
from attnbench.store import DEFAULT_STORE, Store, StoreError, StoreWriteError, read_run
from attnbench.store.facts import RunFacts
from attnbench.sweep.config import SETTINGS, Experiment, SweepConfig, load_config
from attnbench.sweep.executors import make_executor
from attnbench.sweep.fingerprint import fingerprint
from attnbench.sweep.grid import make_cells


def _progress(enabled):
    """A progress bar on stderr (stdout keeps the command's tables), or none."""
    if not enabled:
        return nullcontext(None)
    return Progress(
        TextColumn("{task.description}", style="cyan"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


def run(
    config,
    store=DEFAULT_STORE,
    *,
    resume=False,
    plugins=(),
    only=None,
    executor="local",
    workers=None,
    scheduler=None,
    cache_dir=None,
    progress=False,
    **overrides,
):
    """Run a preset name, a TOML path or a SweepConfig; return the run id.

    ``overrides`` replace settings (timeout, repeats, threads, ...).  With ``resume``,
    the latest run with the same config and settings continues: cells already stored
    ``ok`` are skipped, failed ones are run again.  ``executor`` is local, processes or
    dask (attnbench.sweep.executors); ``workers`` sizes the processes pool or the local Dask
    cluster, ``scheduler`` is the address of a running Dask scheduler instead.  Workers
    that cannot start raise attnbench.sweep.executors.WorkerStartError before the run is
    recorded: in a script, keep this call under ``if __name__ == "__main__":``.
    """
    load_plugins(plugins)
    if not isinstance(config, SweepConfig):
        config = load_config(config)
    config = config.with_settings(**overrides)
    cells = make_cells(config, only=only)
    if only:
        missing = set(only) - {c.reducer for c in cells}
        if missing:
            raise ValueError(f"--only names reducers not in the config: {sorted(missing)}")
    settings = dict(config.settings, only=sorted(only) if only else None)
    # What reports and rerun will read about this run: looked up now, stored with it.
    facts = RunFacts.collect(config, get_reducer_class, plugins, RULES_STAMP)
    # Started before the run is recorded: an unreachable cluster leaves no empty run.
    with make_executor(
        executor,
        plugins=plugins,
        cache_dir=cache_dir,
        max_bytes=config.settings["max_dataset_bytes"],
        workers=workers,
        scheduler=scheduler,
    ) as pool:
        db = Store(store)
        run_id = _record_run(db, config, settings, facts, executor, resume)
        try:
            _save_results(db, run_id, pool, cells, config.name, progress)
        finally:
            db.close()
    return run_id


def _record_run(db, config, settings, facts, executor, resume):
    """The id of the run to fill: the resumable one, or a new row with the fingerprint."""
    run_id = db.find_resumable(facts, settings) if resume else None
    if run_id is not None:
        return run_id
    root_seed = config.settings["root_seed"]
    return db.start_run(
        config.name, config.text, settings, fingerprint(), root_seed, executor, facts
    )


def _save_results(db, run_id, pool, cells, name, progress):
    """Run the cells not stored yet; save each result as it comes, one transaction each.
    The run is finished, or marked interrupted when anything stops it."""
    done = db.done_keys(run_id)
    try:
        with _progress(progress) as bar:
            task = bar.add_task(name, total=len(cells), completed=len(done)) if bar else None
            for cell, result in pool.run([cell for cell in cells if cell.key not in done]):
                db.save_cell(run_id, cell, result, result["concurrency"], result["worker"])
                if bar:
                    bar.update(task, advance=1, description=cell.label[:60])
        db.finish_run(run_id)
    except BaseException as exc:
        try:
            db.finish_run(run_id, "interrupted")
            marked = True
        except StoreError:
            marked = False  # the write that failed may fail again: the cells are kept anyway
        if isinstance(exc, StoreWriteError):
            raise _write_error_of_run(db, exc, run_id, len(cells), marked) from None
        raise


def _write_error_of_run(db, exc, run_id, total, marked):
    """The StoreWriteError of a run stopped by a refused write: what happened, how many
    of its cells are saved, and that --resume continues it."""
    try:
        saved = f"{count(db.count_cells(run_id))} of its {count(total)} cells"
    except StoreError:
        saved = "every cell saved before this one"
    state = "marked interrupted" if marked else "left marked running"
    return StoreWriteError(
        exc.path,
        exc.kind,
        f"{exc.problem}. Run {run_id} keeps {saved} ({state})",
        f"{exc.remedy}, then run the same command with --resume to continue it",
    )


def load_cells(store=DEFAULT_STORE, run="latest"):
    """A run's cells as a DataFrame: one row per cell, metrics, timings and dataset stats.

    Every metric of the run's attention mode(s) has its column, NaN where a cell has no
    value (it failed or timed out, or the metric does not apply to its mode).
    """
    db = Store(store)
    try:
        cells = db.cells(run)
    finally:
        db.close()
    modes = set(cells.get("setting.attention", pd.Series(dtype=object)).dropna())
    names = {name for mode in modes or {"symmetric"} for name in metric_names(mode)}
    missing = {name: np.nan for name in METRICS if name in names and name not in cells}
    return cells.assign(**missing) if missing else cells


def _stored_config(info):
    """The SweepConfig of a stored run, from its plan; StoreError naming what is gone
    when a plug-in file or a reducer the run used is not installed now."""
    facts = info["facts"]
    gone = [path for path in facts.plugins if not Path(path).is_file()]
    load_plugins([path for path in facts.plugins if path not in gone])
    gone += sorted(set(facts.reducers) - set(list_reducers()))
    if gone:
        raise StoreError(
            f"run {info['id']} used {', '.join(gone)}, which this installation does not "
            "have: restore it to rerun the run."
        )
    plan = facts.plan
    if not plan["experiments"]:
        raise StoreError(f"run {info['id']} has no stored plan to rerun (a migrated store).")
    experiments = tuple(Experiment(**fields) for fields in facts.experiment_fields())
    # A setting added since the run: its default (a run stores every setting it had).
    settings = {key: s.default for key, s in SETTINGS.items()} | plan["settings"]
    return SweepConfig(plan["name"], f"run {info['id']}", info["config"], settings, experiments)


def rerun(store=DEFAULT_STORE, which="latest", *, progress=False, rtol=1e-9, atol=1e-12):
    """Repeat a stored run from its stored plan and plug-ins; return (new run id,
    differing metrics).

    Differences are listed as rows (cell key, reducer, metric, old, new): values differ
    when |a - b| > atol + rtol |b| (atol: round-off of the exact routes, whose errors sit
    near 1e-16 and move with the BLAS); timings are expected to differ and are not
    compared.
    """
    info, old = read_run(store, which)
    facts = info["facts"]
    # The plan holds the settings as run (command-line overrides included), so none are
    # passed again: they would also drop the experiments' own overrides.
    only = info["settings"].get("only")
    new_id = run(_stored_config(info), store, progress=progress, plugins=facts.plugins, only=only)
    new = load_cells(store, new_id)
    metrics = [m for m in METRICS if m in old.columns and m in new.columns]
    merged = old.merge(new, on="key", suffixes=("_old", "_new"))
    # A cell of one run only is a difference too, not silently left out of the merge.
    old_keys, new_keys = set(old["key"]), set(new["key"])
    diffs = [
        (k, r, "cell", "stored", "missing")
        for k, r in zip(old["key"], old["reducer"])
        if k not in new_keys
    ]
    diffs += [
        (k, r, "cell", "missing", "new")
        for k, r in zip(new["key"], new["reducer"])
        if k not in old_keys
    ]
    for _, row in merged.iterrows():
        for m in metrics:
            a, b = row[f"{m}_old"], row[f"{m}_new"]
            if not np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
                diffs.append((row["key"], row["reducer_old"], m, a, b))
        if row["status_old"] != row["status_new"]:
            diffs.append(
                (row["key"], row["reducer_old"], "status", row["status_old"], row["status_new"])
            )
    return new_id, diffs
