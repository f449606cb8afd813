"""``attnbench compare``: a new reducer against the baselines, on the same cells.

The candidate (a registered name, or a plug-in file ``path.py`` / ``path.py:name``) and
the baselines run on every dataset of a preset's experiments; the candidate gets the
n_components values the baselines use there, so most comparisons are at equal m.  Then,
per baseline and dataset family (and over all families):

- at equal m, the error ratio err(candidate) / err(baseline) on the same dataset and the
  same n_components (or against the baseline's only variant, e.g. zero or svd);
- at equal error, the time ratio t(candidate) / t_baseline(err(candidate)), with
  t_baseline interpolated log-log along the baseline's Pareto front (its fastest variant
  for each error level) on that dataset; undefined outside the front's error range;
- wins and losses (ratio below / above 1 by more than TIE), and the geometric-mean ratio
  with a bootstrap 95% interval over the pairs; "better"/"worse" ("faster"/"slower") when
  the interval excludes 1, judged only with at least MIN_PAIRS pairs.

Errors are attn_err_over_r floored at :data:`attnbench.tables.ERR_FLOOR` (round-off), so two
exact reducers tie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from attnbench import algorithms, api
from attnbench.config import load_config
from attnbench.intervals import LEVEL, N_BOOT, percentile_bootstrap
from attnbench.store import DEFAULT_STORE
from attnbench.tables import ERR_FLOOR, param_text, pareto_front, write_table
from attnbench.workers import load_plugins

DEFAULT_BASELINES = (
    "zero", "svd", "gaussian", "countsketch", "uniform", "leverage_exact", "leverage_fast", "bss"
)  # fmt: skip
TIE = 0.01  # ratios within 1% of 1 are ties
MIN_PAIRS = 3  # fewer pairs give no verdict: a bootstrap over 2 values is just their range


@dataclass
class Comparison:
    run_id: int
    candidate: str
    baselines: list
    pairs: pd.DataFrame  # one row per (candidate cell, baseline)
    verdict: pd.DataFrame  # one row per (baseline, family) plus "all"

    def slower_than(self, factor):
        """Baselines the candidate is slower than by more than ``factor`` at equal error."""
        overall = self.verdict[self.verdict["family"] == "all"]
        return list(overall.loc[overall["time_ratio"] > factor, "baseline"])


def resolve_candidate(candidate):
    """(reducer name, plug-in files to load) for a name, ``path.py`` or ``path.py:name``."""
    path, _, name = candidate.partition(":") if ".py:" in candidate else (candidate, "", "")
    if path.endswith(".py") or Path(path).is_file():
        names = algorithms.load_plugin(path)
        if name:
            if name not in names:
                raise ValueError(f"{path} defines {names}, not {name!r}.")
        elif len(names) != 1:
            raise ValueError(
                f"{path} defines {len(names)} reducers {names}; name one as {path}:NAME."
            )
        return name or names[0], [path]
    algorithms.get_reducer_class(candidate)  # unknown names raise with close matches
    return candidate, []


def _accepts(name, param):
    return param in algorithms.get_reducer_class(name)._get_param_names()


def comparison_config(candidate, baselines, preset="quick"):
    """The preset's experiments restricted to the candidate and the baselines, as a
    SweepConfig built from the preset's (nothing is written as TOML).

    Baselines keep the preset's parameter grids (defaults when absent); the candidate
    takes the union of the baselines' n_components values in each experiment.
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
    return replace(
        source,
        name=f"compare-{candidate}",
        source=f"{candidate} against {', '.join(baselines)} on {source.source}",
        text="",
        experiments=tuple(experiments),
    )


def _budget(cells):
    """n_components as text ('64', 'auto'), nan where the reducer has none."""
    if "param.n_components" not in cells:
        return pd.Series(np.nan, index=cells.index, dtype=object)
    sizes = cells["param.n_components"]
    return sizes.map(param_text).where(sizes.notna())


def _interpolated_time(front, err):
    """The baseline's time at error ``err`` along its front (log-log), or nan outside."""
    log_e, log_t = np.log(front["err"].to_numpy()), np.log(front["time"].to_numpy())
    target = np.log(err)
    if target < log_e.min() - 1e-12 or target > log_e.max() + 1e-12:
        return float("nan")
    if log_e.size == 1:
        return float(np.exp(log_t[0]))
    return float(np.exp(np.interp(target, log_e, log_t)))


def pair_cells(cells, candidate, baseline):
    """One row per candidate cell with its error ratio (equal m) and time ratio (equal
    error) against the baseline on the same dataset."""
    ok = cells[cells["status"] == "ok"].assign(
        err=lambda f: f["attn_err_over_r"].clip(lower=ERR_FLOOR),
        time=lambda f: f["time_median"],
        budget=_budget,
    )
    rows = []
    for dataset, part in ok.groupby("dataset_key", sort=False):
        mine = part[part["reducer"] == candidate]
        theirs = part[part["reducer"] == baseline]
        if mine.empty or theirs.empty:
            continue
        front = theirs.loc[pareto_front(theirs[["err", "time"]])]
        for c in mine.to_dict("records"):
            same = theirs[theirs["budget"] == c["budget"]] if isinstance(c["budget"], str) else []
            match = same if len(same) == 1 else (theirs if len(theirs) == 1 else None)
            nan = float("nan")
            t_base = _interpolated_time(front, c["err"])
            rows.append(
                {
                    "baseline": baseline,
                    "family": c["dataset.family"],
                    "dataset_key": dataset,
                    "n_components": c["budget"],
                    "m": c["m"],
                    "m_baseline": match["m"].iloc[0] if match is not None else nan,
                    "err": c["err"],
                    "err_baseline": match["err"].iloc[0] if match is not None else nan,
                    "error_ratio": c["err"] / match["err"].iloc[0] if match is not None else nan,
                    "time": c["time"],
                    "time_baseline_at_err": t_base,
                    "time_ratio": c["time"] / t_base if np.isfinite(t_base) else nan,
                }
            )
    return pd.DataFrame(rows)


def geometric_mean_interval(ratios, *, n_boot=N_BOOT, level=LEVEL, seed=0):
    """(geometric mean, low, high) of positive ratios, percentile bootstrap over them."""
    logs = np.log(np.asarray(ratios, float))
    logs = logs[np.isfinite(logs)]
    if logs.size == 0:
        return float("nan"), float("nan"), float("nan")

    def replicates(rng, n_boot):
        return logs[rng.integers(0, logs.size, (n_boot, logs.size))].mean(axis=1)

    low, high = percentile_bootstrap(replicates, n_boot=n_boot, level=level, seed=seed)
    return float(np.exp(logs.mean())), float(np.exp(low)), float(np.exp(high))


def _judge(pairs, low, high, better, worse):
    if pairs == 0:
        return "no pairs"
    if pairs < MIN_PAIRS:
        return "too few pairs"
    if high < 1:
        return better
    if low > 1:
        return worse
    return "no clear difference"


def verdict_table(pairs):
    """Per baseline and family (and 'all'): counts, geometric-mean ratios with intervals."""
    rows = []
    if pairs.empty:
        return pd.DataFrame(rows)
    groups = [(key, part) for key, part in pairs.groupby(["baseline", "family"], sort=True)]
    groups += [((b, "all"), part) for b, part in pairs.groupby("baseline", sort=True)]
    for (baseline, family), part in sorted(groups, key=lambda g: (g[0][0], g[0][1] == "all")):
        err = part["error_ratio"].dropna()
        time = part["time_ratio"].dropna()
        e, e_low, e_high = geometric_mean_interval(err)
        t, t_low, t_high = geometric_mean_interval(time)
        rows.append(
            {
                "baseline": baseline,
                "family": family,
                "pairs_equal_m": len(err),
                "error_ratio": e,
                "error_ci_low": e_low,
                "error_ci_high": e_high,
                "wins": int((err < 1 - TIE).sum()),
                "losses": int((err > 1 + TIE).sum()),
                "ties": int(((err >= 1 - TIE) & (err <= 1 + TIE)).sum()),
                "accuracy": _judge(len(err), e_low, e_high, "better", "worse"),
                "pairs_equal_error": len(time),
                "time_ratio": t,
                "time_ci_low": t_low,
                "time_ci_high": t_high,
                "speed": _judge(len(time), t_low, t_high, "faster", "slower"),
            }
        )
    return pd.DataFrame(rows)


def compare(
    candidate,
    baselines=None,
    preset="quick",
    store=DEFAULT_STORE,
    *,
    plugins=(),
    cache_dir=None,
    progress=False,
    resume=False,
    **overrides,
):
    """Run the candidate and the baselines on the preset's cells; return a Comparison."""
    load_plugins(plugins)
    name, files = resolve_candidate(candidate)
    registered = set(algorithms.list_reducers())
    if baselines is None:
        baselines = [b for b in DEFAULT_BASELINES if b in registered]
    baselines = [b for b in dict.fromkeys(baselines) if b != name]
    for b in baselines:
        algorithms.get_reducer_class(b)
    if not baselines:
        raise ValueError("compare needs at least one baseline other than the candidate.")
    config = comparison_config(name, baselines, preset)
    run_id = api.run(
        config,
        store,
        resume=resume,
        plugins=[*plugins, *files],
        cache_dir=cache_dir,
        progress=progress,
        **overrides,
    )
    cells = api.load_cells(store, run_id)
    pairs = [p for p in (pair_cells(cells, name, b) for b in baselines) if len(p)]
    pairs = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame()
    return Comparison(run_id, name, baselines, pairs, verdict_table(pairs))


def default_out(store, candidate):
    """results/compare-NAME next to the store (NAME made safe for a path)."""
    return Path(store).parent / f"compare-{re.sub(r'[^A-Za-z0-9_.-]', '_', candidate)}"


def write_comparison(comparison, out):
    """Write tables/verdict.{md,tex,csv} and tables/pairs.csv under ``out``."""
    write_table(
        comparison.verdict,
        out,
        "verdict",
        f"{comparison.candidate} against the baselines (ratios candidate / baseline)",
    )
    write_table(comparison.pairs, out, "pairs", formats=("csv",))
    return Path(out)
