"""``attnbench compare``: a new reducer against the baselines, on the same cells.

The candidate (a registered name, or a plug-in file ``path.py`` / ``path.py:name``) and
the baselines run on every dataset of a preset's experiments, each dataset with several
seeds (intervals are over seeds).  A candidate that takes ``n_components`` is swept over
the baselines' sizes there.  Then the baselines that take ``n_components`` are rerun, in a
second run on the same datasets, where the first one leaves a comparison open:

- at the candidate's sizes that they lack (a candidate without ``n_components``, such as
  one keeping every other feature, has m = d/2 whatever the preset's sizes), so that
  every comparison at equal m is measured;
- where the candidate's error lies beyond every error they reached: at the power of two
  where their error-m line (log-log least squares over their sizes; slope -1/2, the
  sketching rate, with one size) puts the largest such error (rounded down) and the
  smallest (rounded up), so that comparisons at equal error fall inside their fronts.
  The line only chooses where to measure: nothing is read off it.  At most REACH times
  the largest size they ran, and at most d.

:mod:`attnbench.compare.stats` pairs the cells of both runs and gives the verdict;
:mod:`attnbench.compare.report` writes it.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from attnbench import algorithms, api
from attnbench.compare.stats import MIN_SEEDS, measured, pair_cells, verdict_table
from attnbench.numbers import count
from attnbench.store import DEFAULT_STORE, Store
from attnbench.sweep.config import load_config

DEFAULT_BASELINES = (
    "zero", "svd", "gaussian", "countsketch", "uniform", "leverage_exact", "leverage_fast", "bss"
)  # fmt: skip
MAX_SIZES = 8  # more distinct candidate sizes per experiment: rerun at powers of two instead
ASSUMED_SLOPE = -0.5  # log err / log m of a sketch (JL, sampling) where one size is measured
REACH = 4  # reruns to reach the candidate's error go at most this far past a baseline's sizes


@dataclass
class Comparison:
    """What ``compare`` found: the runs, their cells, the pairs and the verdict."""

    candidate: str
    baselines: list
    run_ids: list  # the comparison's run, then the baselines' rerun (when one was needed)
    cells: pd.DataFrame  # the cells of those runs
    pairs: pd.DataFrame  # one row per (candidate cell, baseline)
    verdict: pd.DataFrame  # one row per (baseline, family) plus "all"
    reruns: dict = field(default_factory=dict)  # {experiment: {baseline: Rerun}}
    info: dict = field(default_factory=dict)  # the first run as stored (fingerprint, ...)
    command: str = ""

    @property
    def run_id(self):
        return self.run_ids[0]

    def slower_than(self, factor):
        """Baselines the candidate is slower than by more than ``factor`` at equal error
        (a ratio known only as an upper bound, '≤', never counts)."""
        overall = self.verdict[self.verdict["family"] == "all"]
        slower = (overall["time_ratio"] > factor) & (overall["time_kind"] != "≤")
        return list(overall.loc[slower, "baseline"])


@dataclass(frozen=True)
class Rerun:
    """The sizes a baseline is rerun at in one experiment, and why."""

    at_candidate_m: tuple  # the candidate's sizes it lacks
    to_reach_error: tuple  # where its error-m curve puts the candidate's error
    largest: float  # its largest size in the first run

    @property
    def sizes(self):
        return tuple(sorted(set(self.at_candidate_m) | set(self.to_reach_error)))


def _accepts(name, param):
    return param in algorithms.get_reducer_class(name)._get_param_names()


def comparison_config(candidate, baselines, preset="compare", seeds=None):
    """The preset's experiments restricted to the candidate and the baselines, as a
    SweepConfig built from the preset's (nothing is written as TOML).

    Baselines keep the preset's parameter grids (defaults when absent); the candidate
    takes the union of the baselines' n_components values in each experiment.  ``seeds``
    sets the replicates (dataset seeds per grid point); by default the preset's, at
    least MIN_SEEDS.
    """
    source = load_config(preset)
    experiments = []
    for exp in source.experiments:
        given = dict(exp.reducers)
        reducers = {b: dict(given.get(b, {})) for b in baselines}
        sizes = {v for grid in reducers.values() for v in grid.get("n_components", [])}
        own = dict(given.get(candidate, {}))
        if sizes and _accepts(candidate, "n_components") and "n_components" not in own:
            own["n_components"] = sorted(sizes, key=lambda v: (isinstance(v, str), v))
        reducers[candidate] = own
        experiments.append(replace(exp, reducers=tuple(reducers.items())))
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1):
        raise ValueError(
            f"seeds must be an int >= 1 (dataset seeds per grid point), got {seeds!r}."
        )
    replicates = max(source.settings["replicates"], MIN_SEEDS) if seeds is None else seeds
    return replace(
        source.with_settings(replicates=replicates),
        name=f"compare-{candidate}",
        source=f"{candidate} against {', '.join(baselines)} on {source.source}",
        text="",
        experiments=tuple(experiments),
    )


def rerun_plan(cells, candidate, baselines):
    """{experiment: {baseline: Rerun}} for the ``baselines`` (those taking n_components)
    that lack some of the candidate's sizes, or whose errors do not reach the candidate's,
    in the first run's ``cells``."""
    ok = measured(cells[cells["status"] == "ok"])
    ok = ok[ok["size"] >= 1]
    plan = {}
    for experiment, part in ok.groupby("experiment", sort=True):
        mine = part[part["reducer"] == candidate]
        limit = float(part["dataset.d"].max())
        for baseline in baselines:
            theirs = part[part["reducer"] == baseline]
            if mine.empty or theirs.empty:
                continue
            have = set(theirs["size"])
            wanted = set(np.round(mine["size"]))
            if len(wanted) > MAX_SIZES:
                wanted = set(_powers_of_two(min(wanted), max(wanted)))
            wanted = sorted(wanted - have)
            reach = min(limit, REACH * max(have))
            to_reach = sorted(_sizes_to_reach(mine, theirs, reach) - have - set(wanted))
            if wanted or to_reach:
                plan.setdefault(experiment, {})[baseline] = Rerun(
                    tuple(int(v) for v in wanted), tuple(to_reach), float(max(have))
                )
    return plan


def _powers_of_two(low, high):
    return [2**k for k in range(math.floor(math.log2(low)), math.ceil(math.log2(high)) + 1)]


def _sizes_to_reach(mine, theirs, limit):
    """At most two powers of two: the smallest size where the baseline's error-m line on
    some dataset puts a candidate error above all of the baseline's errors there (rounded
    down), and the largest where it puts one below them (rounded up), within [1, limit].
    Error falls as m grows, so those two sizes bracket every such error."""
    below, above = [], []
    for dataset, points in theirs.groupby("dataset_key"):
        errors = mine.loc[mine["dataset_key"] == dataset, "err"]
        worst, best = points["err"].max(), points["err"].min()
        outside = errors[(errors > worst) | (errors < best)]
        if outside.empty:
            continue
        x, y = np.log(points["size"].to_numpy()), np.log(points["err"].to_numpy())
        slope = np.polyfit(x, y, 1)[0] if np.unique(x).size > 1 else 0.0
        slope = slope if slope < 0 else ASSUMED_SLOPE
        intercept = y.mean() - slope * x.mean()
        for err in outside:
            log2_size = (math.log(err) - intercept) / slope / math.log(2)
            if err > worst:
                below.append(math.floor(log2_size))
            else:
                above.append(math.ceil(log2_size))
    exponents = ([min(below)] if below else []) + ([max(above)] if above else [])
    return {int(min(2 ** min(max(k, 0), 62), limit)) for k in exponents}


def sizes_config(config, plan):
    """The comparison's config reduced to the baselines of ``plan`` at its sizes (their
    other parameter axes kept), on the same datasets and settings."""
    experiments = []
    for exp in config.experiments:
        reruns = plan.get(exp.name)
        if not reruns:
            continue
        grids = dict(exp.reducers)
        reducers = tuple(
            (b, {**grids[b], "n_components": list(rerun.sizes)}) for b, rerun in reruns.items()
        )
        experiments.append(replace(exp, reducers=reducers))
    return replace(
        config,
        name=f"{config.name}-sizes",
        source=f"the baselines of {config.name} at the candidate's sizes",
        experiments=tuple(experiments),
    )


def rerun_notes(plan):
    """{baseline: words}: the sizes each baseline was rerun at, and why."""
    by_baseline = {}
    for reruns in plan.values():
        for baseline, rerun in reruns.items():
            by_baseline.setdefault(baseline, []).append(rerun)
    notes = {}
    for baseline, reruns in by_baseline.items():
        at_m = sorted({v for r in reruns for v in r.at_candidate_m})
        reach = sorted({v for r in reruns for v in r.to_reach_error})
        largest = max(r.largest for r in reruns)
        words = []
        if at_m and at_m[0] > largest:
            words.append(
                f"candidate m = {_sizes(at_m)} > every {baseline} m ({count(largest)}); "
                f"{baseline} rerun at m = {_sizes(at_m)}"
            )
        elif at_m:
            words.append(f"{baseline} rerun at the candidate's m = {_sizes(at_m)}")
        if reach:
            words.append(f"{baseline} rerun at m = {_sizes(reach)} to reach the candidate's error")
        notes[baseline] = "; ".join(words)
    return notes


def _sizes(values):
    return ", ".join(count(v) for v in values)


def _baselines(baselines, candidate):
    registered = set(algorithms.list_reducers())
    if baselines is None:
        baselines = [b for b in DEFAULT_BASELINES if b in registered]
    baselines = [b for b in dict.fromkeys(baselines) if b != candidate]
    for b in baselines:
        algorithms.get_reducer_class(b)
    if not baselines:
        raise ValueError("compare needs at least one baseline other than the candidate.")
    return baselines


def compare(
    candidate,
    baselines=None,
    preset="compare",
    store=DEFAULT_STORE,
    *,
    seeds=None,
    plugins=(),
    cache_dir=None,
    progress=False,
    resume=False,
    command="",
    **overrides,
):
    """Run the candidate and the baselines on the preset's cells, then the baselines at
    the sizes the comparison needs; return a Comparison."""
    algorithms.load_plugins(plugins)
    name, files = algorithms.resolve(candidate)
    baselines = _baselines(baselines, name)
    config = comparison_config(name, baselines, preset, seeds)

    def run(sweep):
        return api.run(
            sweep,
            store,
            resume=resume,
            plugins=[*plugins, *files],
            cache_dir=cache_dir,
            progress=progress,
            **overrides,
        )

    run_ids = [run(config)]
    cells = api.load_cells(store, run_ids[0])
    plan = rerun_plan(cells, name, [b for b in baselines if _accepts(b, "n_components")])
    if plan:
        run_ids.append(run(sizes_config(config, plan)))
        cells = pd.concat([cells, api.load_cells(store, run_ids[1])], ignore_index=True)
    pairs = pd.concat([pair_cells(cells, name, b) for b in baselines], ignore_index=True)
    db = Store(store)
    try:
        info = db.run_info(run_ids[0])
    finally:
        db.close()
    verdict = verdict_table(pairs, rerun_notes(plan))
    command = command or shlex.join(
        ["attnbench", "compare", candidate, "--baseline", ",".join(baselines)]
        + ["--preset", str(preset), "--store", str(store)]
        + (["--seeds", str(seeds)] if seeds else [])
    )
    return Comparison(name, baselines, run_ids, cells, pairs, verdict, plan, info, command)


def default_out(store, candidate):
    """results/compare-NAME next to the store (NAME made safe for a path)."""
    return Path(store).parent / f"compare-{re.sub(r'[^A-Za-z0-9_.-]', '_', candidate)}"
