"""``compare``: the candidate and the baselines on the same cells, the baselines rerun where
a comparison is open (at the candidate's m, and where their error meets the candidate's),
a bad candidate reported worse, and the exit code of ``--fail-if-slower``."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from _support import BAD_UNIFORM, COMPARE_BASELINES, TINY_COMPARE, comparison_cells
from attnbench import api
from attnbench.cli import main
from attnbench.compare import runs as comparing
from attnbench.sweep.config import parse_config
from attnbench.sweep.grid import make_cells


def test_uniform_sampling_is_worse_than_leverage_scores_on_coherent_data(tiny_comparison):
    _, result = tiny_comparison
    assert result.candidate == "test_bad_uniform" and result.baselines == COMPARE_BASELINES
    verdict = result.verdict.set_index(["baseline", "family"])
    coherent = verdict.loc["leverage_exact", "coherent"]
    assert coherent["seeds"] == 3 and coherent["accuracy"] == "worse"
    assert coherent["error_ci_low"] > 1 and coherent["losses"] > coherent["wins"]
    # The same algorithm under another name is not judged different.
    assert verdict.loc["uniform", "all"]["accuracy"] == "no clear difference"
    # zero has one variant per dataset: every candidate cell is paired with it, at its m.
    zero = result.pairs[result.pairs["baseline"] == "zero"]
    assert len(zero) == 3 * 2 * 2 * 3 and set(zero["error_how"]) == {"own m"}


def test_baselines_are_rerun_at_the_candidate_sizes_they_lack(tiny_comparison):
    _, result = tiny_comparison
    # The candidate is swept over the union {64, 128, 256}; leverage_exact ran 64 and 256.
    rerun = result.reruns["families"]["leverage_exact"]
    assert rerun.at_candidate_m == (128,) and rerun.largest == 256
    assert "uniform" not in result.reruns["families"] or not (
        result.reruns["families"]["uniform"].at_candidate_m
    )
    # So every comparison at equal m is measured, none interpolated or missing.
    sized = result.pairs[result.pairs["baseline"] != "zero"]
    assert set(sized["error_how"]) == {"measured"}
    assert set(sized["size"]) == {64, 128, 256}
    assert "leverage_exact rerun at the candidate's m = 128" in result.verdict["note"].str.cat()


def test_each_run_stores_exactly_its_config(tiny_compare_preset, tiny_comparison):
    config = comparing.comparison_config(
        "test_bad_uniform", COMPARE_BASELINES, str(tiny_compare_preset)
    )
    (experiment,) = config.experiments
    reducers = dict(experiment.reducers)
    assert list(reducers) == [*COMPARE_BASELINES, "test_bad_uniform"]
    assert reducers["test_bad_uniform"] == {"n_components": [64, 128, 256]}
    assert reducers["leverage_exact"] == {"n_components": [64, 256]}
    assert reducers["zero"] == {}
    (source,) = parse_config(TINY_COMPARE).experiments
    assert (experiment.datasets, experiment.zipped, experiment.settings) == (
        source.datasets,
        source.zipped,
        source.settings,
    )
    # Intervals are over seeds: at least 3 of them.
    assert config.settings == {**parse_config(TINY_COMPARE).settings, "replicates": 3}
    store, result = tiny_comparison
    first, rerun = result.run_ids
    assert sorted(api.load_cells(store, first)["key"]) == sorted(c.key for c in make_cells(config))
    again = comparing.sizes_config(config, result.reruns)
    assert sorted(api.load_cells(store, rerun)["key"]) == sorted(c.key for c in make_cells(again))
    # The rerun is on the same datasets (same X), so its cells pair with the first run's.
    assert set(api.load_cells(store, rerun)["dataset_key"]) <= set(result.cells["dataset_key"])


def test_a_candidate_without_n_components_gets_the_baselines_rerun_at_its_m():
    # The README's Halve: m = d/2 = 1024; countsketch ran at 128 and 512 with err ~ m^-1/2.
    rows = [("countsketch", m, 0.1 * (m / 128) ** -0.5, 1e-3, m) for m in (128, 512)]
    rows.append(("halve", None, 0.07, 1e-3, 1024))  # an error inside countsketch's
    plan = comparing.rerun_plan(comparison_cells(rows), "halve", ["countsketch"])
    assert plan["e"]["countsketch"] == comparing.Rerun((1024,), (), 512.0)
    assert comparing.rerun_notes(plan) == {
        "countsketch": "candidate m = 1024 > every countsketch m (512); "
        "countsketch rerun at m = 1024"
    }


def test_reruns_reach_a_candidate_error_beyond_the_baseline_errors():
    # Baseline err = 0.1 (m / 128)^-1/2 at m = 128, 512.  A candidate at err 0.3 needs
    # m = 128 / 9 = 14.2: rerun at 8, where err = 0.4 > 0.3 brackets it.  One at
    # err 0.01 needs m = 12800: capped at REACH x 512 = 2048.
    rows = [("base", m, 0.1 * (m / 128) ** -0.5, 1e-3, m) for m in (128, 512)]
    rows += [("cand", 128, 0.3, 1e-3, 128), ("cand", 512, 0.01, 1e-3, 512)]
    plan = comparing.rerun_plan(comparison_cells(rows), "cand", ["base"])
    assert plan["e"]["base"].to_reach_error == (8, 2048)
    assert 0.1 * (8 / 128) ** -0.5 > 0.3
    # With one size the slope is assumed -1/2 (the sketching rate).
    one = [("base", 128, 0.1, 1e-3, 128), ("cand", 128, 0.3, 1e-3, 128)]
    assert comparing.rerun_plan(comparison_cells(one), "cand", ["base"])["e"]["base"].sizes == (8,)


def test_many_candidate_sizes_give_a_ladder_of_powers_of_two():
    rows = [("base", 64, 0.1, 1e-3, 64)]
    rows += [("cand", None, 0.1, 1e-3, m) for m in range(100, 1000, 90)]  # 10 sizes
    (rerun,) = comparing.rerun_plan(comparison_cells(rows), "cand", ["base"])["e"].values()
    assert rerun.at_candidate_m == (128, 256, 512, 1024)


def test_exit_code_is_zero_unless_slower_than_the_given_factor(tiny_comparison, tmp_path):
    store, result = tiny_comparison
    overall = result.verdict[result.verdict["family"] == "all"]
    timed = overall[overall["time_kind"] != "≤"]
    assert len(timed), "some baseline is compared at equal error"
    slowest = timed["time_ratio"].max()
    preset = result.info["facts"].plan["name"]
    assert preset == "compare-test_bad_uniform"
    args = ["compare", str(BAD_UNIFORM), "--baseline", ",".join(COMPARE_BASELINES)]
    args += ["--preset", str(store.parent / "tiny-compare.toml"), "--store", str(store)]
    args += ["--resume", "--out", str(tmp_path / "out")]
    runner = CliRunner()
    plain = runner.invoke(main, args)
    assert plain.exit_code == 0, plain.output
    assert "worse" in plain.output and "index.html" in plain.output
    assert runner.invoke(main, [*args, "--fail-if-slower", str(slowest * 2)]).exit_code == 0
    failing = runner.invoke(main, [*args, "--fail-if-slower", str(slowest / 2)])
    assert failing.exit_code == 1
    written = pd.read_csv(tmp_path / "out" / "tables" / "verdict.csv")
    assert np.allclose(written["error_ratio"], result.verdict["error_ratio"], equal_nan=True)


def test_report_of_a_comparison_run_shows_its_stored_plan(tiny_comparison, tmp_path):
    store, result = tiny_comparison
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
    assert sorted(reducers["reducer"]) == sorted([*COMPARE_BASELINES, "test_bad_uniform"])


@pytest.mark.parametrize("baselines", [["no_such_reducer"], ["test_bad_uniform"]])
def test_bad_baselines_are_refused_before_anything_runs(baselines, tmp_path):
    with pytest.raises(Exception, match="no_such_reducer|at least one baseline"):
        comparing.compare(str(BAD_UNIFORM), baselines, "compare", tmp_path / "s.sqlite")
    assert not (tmp_path / "s.sqlite").exists()


def test_a_missing_candidate_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "my_reducer.py"
    done = CliRunner().invoke(main, ["compare", str(missing), "--store", str(tmp_path / "s")])
    assert done.exit_code == 1 and done.exception.__class__ is SystemExit
    assert f"plug-in file '{missing}' does not exist" in done.output


@pytest.mark.parametrize("seeds", [0, 2.5, True])
def test_seeds_must_be_a_positive_int(seeds, tiny_compare_preset):
    with pytest.raises(ValueError, match="seeds must be an int >= 1"):
        comparing.comparison_config("uniform", ["zero"], str(tiny_compare_preset), seeds)
