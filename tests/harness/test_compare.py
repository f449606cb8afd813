"""``compare``: a bad candidate is reported worse, ratios are computed on the same cells."""

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from attnbench import api
from attnbench import compare as comparing
from attnbench.cli import main
from attnbench.config import parse_config
from attnbench.grid import make_cells

BAD = Path(__file__).parent / "plugins" / "bad_uniform.py"
BASELINES = ["leverage_exact", "uniform", "zero"]
PRESET = textwrap.dedent(
    """
    name = "tiny-compare"
    [settings]
    repeats = 2
    [[experiment]]
    name = "families"
    [experiment.datasets]
    family = ["coherent", "gaussian"]
    n = 16
    d = 1024
    r = [0.05, 0.5]
    [experiment.reducers.leverage_exact]
    n_components = [64, 256]
    [experiment.reducers.uniform]
    n_components = [64, 128, 256]
    """
)


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    path = tmp_path_factory.mktemp("compare") / "tiny-compare.toml"
    path.write_text(PRESET)
    return path


@pytest.fixture(scope="module")
def comparison(preset):
    store = preset.parent / "store.sqlite"
    result = comparing.compare(
        str(BAD), BASELINES, str(preset), store, cache_dir=preset.parent / "cache"
    )
    return store, result


def test_uniform_sampling_is_worse_than_leverage_scores_on_coherent_data(comparison):
    _, result = comparison
    assert result.candidate == "test_bad_uniform" and result.baselines == BASELINES
    verdict = result.verdict.set_index(["baseline", "family"])
    coherent = verdict.loc["leverage_exact", "coherent"]
    assert coherent["accuracy"] == "worse" and coherent["error_ci_low"] > 1
    assert coherent["losses"] > coherent["wins"]
    # equal m: 2 shared sizes x 2 values of r per family
    assert coherent["pairs_equal_m"] == 4
    # zero has one variant per dataset: every candidate cell is paired with it
    assert verdict.loc["zero", "all"]["pairs_equal_m"] == 3 * 4
    pairs = result.pairs[result.pairs["baseline"] == "leverage_exact"]
    assert set(pairs.dropna(subset="error_ratio")["n_components"]) == {"64", "256"}


def test_candidate_gets_the_baselines_sizes_on_the_preset_datasets(preset, comparison):
    config = comparing.comparison_config("test_bad_uniform", BASELINES, str(preset))
    (experiment,) = config.experiments
    reducers = dict(experiment.reducers)
    assert list(reducers) == [*BASELINES, "test_bad_uniform"]
    assert reducers["test_bad_uniform"] == {"n_components": [64, 128, 256]}
    assert reducers["leverage_exact"] == {"n_components": [64, 256]}
    assert reducers["zero"] == {}
    (source,) = parse_config(PRESET).experiments
    assert (experiment.datasets, experiment.zipped, experiment.settings) == (
        source.datasets,
        source.zipped,
        source.settings,
    )
    assert config.settings == parse_config(PRESET).settings
    # The stored plan is this config: the run's cells are exactly its grid.
    store, result = comparison
    stored = api.load_cells(store, result.run_id)
    assert sorted(stored["key"]) == sorted(c.key for c in make_cells(config))


def test_time_at_equal_error_is_interpolated_on_the_baseline_front():
    # Baseline front: (err 0.1, 1 s) and (err 0.01, 10 s); a dominated variant is ignored.
    # The candidate reaches err 10^-1.5 in 1 s; the front needs 10^0.5 s there.
    rows = [
        ("base", "8", 0.1, 1.0),
        ("base", "16", 0.01, 10.0),
        ("base", "12", 0.05, 20.0),
        ("cand", "8", 10**-1.5, 1.0),
        ("cand", "16", 1e-3, 1.0),
    ]
    cells = pd.DataFrame(
        [
            {
                "status": "ok",
                "dataset_key": "k",
                "dataset.family": "f",
                "reducer": reducer,
                "param.n_components": size,
                "attn_err_over_r": err,
                "time_median": time,
                "m": float(size),
            }
            for reducer, size, err, time in rows
        ]
    )
    pairs = comparing.pair_cells(cells, "cand", "base").set_index("n_components")
    assert pairs.loc["8", "time_ratio"] == pytest.approx(10**-0.5)
    assert pairs.loc["8", "error_ratio"] == pytest.approx(10**-0.5)
    assert np.isnan(pairs.loc["16", "time_ratio"])  # more accurate than the whole front
    assert pairs.loc["16", "error_ratio"] == pytest.approx(0.1)


def test_exit_code_is_zero_unless_slower_than_the_given_factor(comparison, preset):
    store, result = comparison
    timed = result.verdict[
        (result.verdict["family"] == "all") & (result.verdict["pairs_equal_error"] > 0)
    ]
    assert len(timed), "the candidate's errors fall inside some baseline's front"
    slowest = timed["time_ratio"].max()
    args = ["compare", str(BAD), "--baseline", ",".join(BASELINES), "--preset", str(preset)]
    args += ["--store", str(store), "--resume", "--out", str(preset.parent / "out")]
    runner = CliRunner()
    plain = runner.invoke(main, args)
    assert plain.exit_code == 0, plain.output
    assert "worse" in plain.output
    assert (preset.parent / "out" / "tables" / "verdict.csv").is_file()
    assert runner.invoke(main, [*args, "--fail-if-slower", str(slowest * 2)]).exit_code == 0
    failing = runner.invoke(main, [*args, "--fail-if-slower", str(slowest / 2)])
    assert failing.exit_code == 1
    written = pd.read_csv(preset.parent / "out" / "tables" / "verdict.csv")
    assert np.allclose(written["error_ratio"], result.verdict["error_ratio"], equal_nan=True)


def test_geometric_mean_interval_covers_the_true_ratio_across_seeds():
    # 50 log-normal ratios around 1.3 per seed; a nominal 95% percentile interval covers
    # about 94% at this size.  If it covers >= 93%, P(fewer than 176 of 200) < 0.3%.
    covered = 0
    for seed in range(200):
        ratios = 1.3 * np.exp(0.4 * np.random.default_rng(seed).standard_normal(50))
        _, low, high = comparing.geometric_mean_interval(ratios, n_boot=1000, seed=seed)
        covered += low <= 1.3 <= high
    assert covered >= 176
    again = comparing.geometric_mean_interval(ratios, n_boot=1000, seed=7)
    assert again == comparing.geometric_mean_interval(ratios, n_boot=1000, seed=7)


def test_report_of_a_comparison_shows_its_stored_plan(comparison, tmp_path):
    store, result = comparison
    out = tmp_path / "report"
    done = CliRunner().invoke(
        main, ["report", str(result.run_id), "--store", str(store), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    markdown = (out / "REPORT.md").read_text()
    plan = markdown.split("~~~~json\n")[1].split("\n~~~~")[0]
    assert json.loads(plan)["name"] == "compare-test_bad_uniform"
    assert "~~~~toml" not in markdown
    reducers = pd.read_csv(out / "tables" / "reducers.csv")
    assert sorted(reducers["reducer"]) == sorted([*BASELINES, "test_bad_uniform"])
