"""What the built-in presets promise, read from their cells (nothing runs): the paper
preset's scale, seeds, draws, time sweeps and regime planes; quick stays small."""

import collections
import tomllib

import pytest

from attnbench.algorithms import get_reducer_class, list_reducers
from attnbench.datasets import estimate_bytes
from attnbench.sweep.config import load_config
from attnbench.sweep.grid import make_cells

TIME_SWEEPS = ("time_vs_n", "time_vs_d", "time_vs_density", "time_vs_d_dense")
BSS_SWEEPS = ("time_vs_n_bss", "time_vs_d_bss", "time_vs_density_bss")
ACCURACY = ("error_vs_r", "beyond_asymmetric")
PROBABILITY = ("draws", "draws_dense_sketches")


@pytest.fixture(scope="module")
def paper():
    config = load_config("paper")
    return config, make_cells(config)


def of(cells, experiment):
    """The cells whose experiment grid holds them (shared cells count for each)."""
    return [c for c in cells if experiment in c.experiments]


def test_every_documented_experiment_is_there(paper):
    config, cells = paper
    names = {e.name for e in config.experiments}
    documented = {*TIME_SWEEPS, *BSS_SWEEPS, *ACCURACY, *PROBABILITY}
    assert documented | {"m_vs_n", "m_vs_n_sparse", "beyond_minilm", "regime_map"} == names
    for name in names:
        assert of(cells, name), name


def test_time_sweeps_reach_the_papers_scale(paper):
    _, cells = paper
    for name in (*TIME_SWEEPS, *BSS_SWEEPS):
        for cell in of(cells, name):
            settings = dict(cell.settings)
            assert settings["repeats"] >= 5 and settings["threads"] == 1, name
            assert dict(cell.protocol)["min_repeats"] >= 3, name
    specs = {name: {c.dataset for c in of(cells, name)} for name in TIME_SWEEPS}
    n_line = {(s.n, s.d, s.family) for s in specs["time_vs_n"]}
    assert {(n, 2**20, "sparse") for n in (256, 512, 1024, 2048, 4096)} <= n_line
    d_line = {(s.n, s.d) for s in specs["time_vs_d"]}
    assert {(1024, 2**p) for p in range(16, 23)} == d_line
    assert max(s.density * s.n * s.d for s in specs["time_vs_d"]) <= 5e7  # nnz
    assert len({s.density for s in specs["time_vs_density"]}) >= 5
    dense = specs["time_vs_d_dense"]
    assert all(s.family == "gaussian" and s.n <= 1024 for s in dense)
    assert max(s.d for s in dense) >= 2**19


def test_accuracy_cells_have_five_seeds_and_every_randomized_reducer_100_draws(paper):
    _, cells = paper
    for name in ACCURACY:
        seeds = collections.defaultdict(set)
        for c in of(cells, name):
            point = (c.dataset.family, c.dataset.n, c.dataset.d, c.dataset.r)
            seeds[point].add(c.dataset.seed)
        assert min(len(s) for s in seeds.values()) >= 5, name
    draws = collections.defaultdict(set)
    for name in PROBABILITY:
        for c in of(cells, name):
            draws[(c.reducer, c.dataset.family)].add(c.seed)
    randomized = {r for r, _ in draws}
    families = {f for _, f in draws}
    builtin = set(list_reducers(builtin=True))
    # every randomized built-in, and the calibration reducer whose planted part is the error
    assert randomized == {r for r in builtin if not get_reducer_class(r).deterministic} | {
        "calibration_error"
    }
    assert len(families) >= 8
    assert all(len(draws[(r, f)]) >= 100 for r in randomized for f in families)


def test_regime_planes_and_memory(paper):
    config, cells = paper
    points = {(c.dataset.n, c.dataset.density, c.dataset.d) for c in of(cells, "regime_map")}
    n_density = {(n, rho) for n, rho, d in points if d == 2**20}
    n_d = {(n, d) for n, rho, d in points if rho == 0.001}
    assert len({n for n, _ in n_density}) >= 4 and len({r for _, r in n_density}) >= 3
    assert len({n for n, _ in n_d}) >= 4 and len({d for _, d in n_d}) >= 3
    limit = config.settings["max_dataset_bytes"]
    assert max(estimate_bytes(c.dataset) for c in cells) <= limit


def test_quick_tells_the_story_and_stays_small():
    """The main job's preset: small datasets and few cells, yet every calibration reducer,
    a time sweep (>= 3 values of n, >= 3 rounds) of each paper algorithm, and a purpose
    line that says it is a smoke run and where the reproduction is."""
    config = load_config("quick")
    cells = make_cells(config)
    assert len(cells) <= 400 and max(estimate_bytes(c.dataset) for c in cells) <= 2**29
    reducers = {c.reducer for c in cells}
    assert {"calibration_cost", "calibration_size", "calibration_error"} <= reducers
    for reducer in ("leverage_fast", "bss"):
        timed = {
            c.dataset.n for c in cells if c.reducer == reducer and dict(c.settings)["repeats"] >= 3
        }
        assert len(timed) >= 3, reducer
    description = tomllib.loads(config.text)["description"]
    assert "smoke run" in description and "reports/paper" in description
