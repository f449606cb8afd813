"""The timing protocol (attnbench.sweep.runner): how many warm-up runs and timed rounds a cell
gets, driven by a reducer that 'sleeps' on a fake clock (a minute-long fit costs the
test nothing), and the sizes a cell records."""

import time
import warnings

import numpy as np
import pytest

from _support import MISBEHAVING as PLUGIN
from _support import isolated_registry, sparse_matrix, sweep_config
from attnbench import api
from attnbench.algorithms import AutoSizeWarning, load_plugin
from attnbench.sweep import runner
from attnbench.sweep.grid import make_cells
from attnbench.sweep.runner import WorkerState, execute_cell, next_round


class FakeClock:
    """runner.clock and time.sleep on one counter: sleeping advances it, nothing else."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(runner, "clock", clock)
    monkeypatch.setattr(time, "sleep", clock.sleep)
    return clock


@pytest.fixture
def sleeper():
    with isolated_registry():
        load_plugin(PLUGIN)
        yield


def one_cell(seconds, **settings):
    """The single cell of a sweep of test_sleeps (``seconds`` per fit) with ``settings``."""
    config = sweep_config({"test_sleeps": {"seconds": seconds}}, name="protocol", settings=settings)
    (cell,) = make_cells(config)
    return cell


def run_fake(cell, tmp_path):
    return execute_cell(cell, WorkerState(str(tmp_path / "cache")))


RULES = {"repeats": 5, "min_repeats": 3, "time_budget": 20.0, "timeout": 600.0}


@pytest.mark.parametrize(
    "times, elapsed, rules, expected",
    [
        ([], 10**6, RULES, True),  # the first round always runs, whatever the clock says
        ([1.0] * 5, 5.0, RULES, False),  # never beyond repeats
        ([60.0], 120.0, RULES, True),  # below min_repeats, over budget, still affordable
        ([60.0, 60.0], 250.0, RULES, False),  # the next would end past half the timeout
        ([4.0] * 3, 20.0, RULES, True),  # 12 + 4 <= 20
        ([4.0] * 4, 24.0, RULES, True),  # 16 + 4 <= 20
        ([4.0] * 5, 28.0, RULES | {"repeats": 9}, False),  # 20 + 4 > 20
        ([1.0, 9.0], 10.0, RULES | {"min_repeats": 2, "time_budget": 18}, False),  # the slowest
    ],
)
def test_next_round_rules(times, elapsed, rules, expected):
    assert next_round(times, elapsed, **rules) is expected


@pytest.mark.parametrize(
    "seconds, settings, rounds, warmups",
    [
        # a minute per fit: warmed up once, then the 3 rounds that half the timeout affords
        (60.0, {"repeats": 5, "warmup": 2, "timeout": 600, "time_budget": 20}, 3, 1),
        # the same fit with a 5-minute timeout: one round fits in its first half
        (60.0, {"repeats": 5, "warmup": 2, "timeout": 300, "time_budget": 20}, 1, 1),
        # 4 s per fit, 20 s budget: min 3 rounds, then 2 more within the budget
        (4.0, {"repeats": 10, "warmup": 3, "timeout": 600, "time_budget": 20}, 5, 1),
        # fast fits: every repeat and every warm-up
        (0.001, {"repeats": 7, "warmup": 2, "timeout": 600, "time_budget": 20}, 7, 2),
        # repeats below min_repeats: repeats wins
        (0.001, {"repeats": 1, "warmup": 0}, 1, 0),
    ],
)
def test_rounds_follow_the_budget_the_timeout_and_repeats(
    seconds, settings, rounds, warmups, fake_clock, sleeper, tmp_path
):
    result = run_fake(one_cell(seconds, **settings), tmp_path)
    assert result["rounds"] == rounds == len(result["times"])
    assert result["warmup_rounds"] == warmups
    assert result["times"] == pytest.approx([seconds] * rounds)
    assert (result["peak_bytes"] is None) == (warmups == 0)


def test_min_repeats_is_a_setting(fake_clock, sleeper, tmp_path):
    cell = one_cell(60.0, repeats=5, min_repeats=2, timeout=600, warmup=0)
    assert run_fake(cell, tmp_path)["rounds"] == 2


def test_spectral_false_skips_spectral_eps_and_the_eigendecomposition(
    fake_clock, sleeper, tmp_path
):
    state = WorkerState(str(tmp_path / "cache"))
    result = execute_cell(one_cell(0.0, repeats=1, spectral=False), state)
    assert "spectral_eps" not in result["metrics"] and "skill" in result["metrics"]
    assert "_range" not in vars(state.reference)  # n^3 saved, not just unreported
    result = execute_cell(one_cell(0.0, repeats=1), state)
    assert result["metrics"]["spectral_eps"] == 1.0  # m = 0 against full-rank X


def test_rounds_warmups_draws_and_sizes_are_stored(tmp_path):
    """Through a real worker and the store: every round kept, the rounds counted, the
    draw and the sizes the reducer recorded (NA for a reducer without an auto bound)."""
    config = sweep_config(
        {"svd": {}, "gaussian": {}, "leverage_exact": {"n_components": 16}},
        name="stored",
        settings={"repeats": 4, "warmup": 1, "draws": 2},
        d=[64, 65536],
    )
    store = tmp_path / "s.sqlite"
    cells = api.load_cells(store, api.run(config, store, cache_dir=tmp_path))
    assert (cells["status"] == "ok").all()
    assert (cells["rounds"] == cells["times"].map(len)).all() and (cells["rounds"] == 4).all()
    assert (cells["warmup_rounds"] == 1).all()
    assert (cells["experiments"].map(tuple) == ("e",)).all()
    counts = cells.groupby("reducer")["draw"].agg(sorted)
    assert counts["svd"] == [0, 0] and counts["gaussian"] == [0, 0, 1, 1]
    svd = cells[cells["reducer"] == "svd"]
    assert svd["m_auto"].isna().all() and svd["auto_reaches_d"].isna().all()
    sized = cells[cells["reducer"] != "svd"].set_index(["reducer", "dataset.d", "draw"])
    # gaussian 'auto' at n = 8 asks for more than d = 64 columns, and fewer than 65536
    assert sized.loc[("gaussian", 64, 0), "auto_reaches_d"]
    assert sized.loc[("gaussian", 64, 0), "passthrough"]
    assert sized.loc[("gaussian", 64, 0), "m"] == 64
    small = sized.loc[("gaussian", 65536, 1)]
    assert not small["auto_reaches_d"] and small["m"] == small["m_auto"] < 65536
    lev = sized.loc[("leverage_exact", 65536, 0)]
    assert lev["m_auto"] > 16 and not lev["passthrough"] and lev["m"] <= 16
    assert (sized["auto_reaches_d"] == (sized["m_auto"] >= sized.index.get_level_values(1))).all()


def test_a_read_of_x_and_a_write_of_y_are_timed_once_and_stored(tmp_path):
    """read_pass sums every stored value exactly once; the read's rounds are the
    dataset's (the same in each of its cells), stored, and their median less the empty
    call's is the price the time rule uses, larger for the larger X."""
    X = sparse_matrix(8, 64, 0.25)
    assert runner.read_pass(X, X.toarray()) == [X.data.sum(), X.toarray().sum()]
    config = sweep_config({"zero": {}, "gaussian": {"n_components": 4}}, name="read",
                          settings={"repeats": 5}, d=[1024, 2**20])  # fmt: skip
    store = tmp_path / "s.sqlite"
    cells = api.load_cells(store, api.run(config, store, cache_dir=tmp_path))
    assert (cells["read_times"].map(len) >= 3).all()
    per_dataset = cells.groupby("dataset_key")["read_times"].agg(lambda t: len({tuple(x) for x in t}))
    assert (per_dataset == 1).all()
    medians = cells["read_times"].map(np.median)
    assert ((cells["read_median"] >= 0) & (cells["read_median"] <= medians)).all()
    small, large = (cells.loc[cells["dataset.d"] == d, "read_median"].iloc[0] for d in (1024, 2**20))
    assert large > 10 * small
    # the write of Y: once per (dataset, m); nothing to write at m = 0
    assert runner.write_pass(3, 5).shape == (3, 5)
    per_width = cells.groupby(["dataset_key", "m"])["write_times"].agg(lambda t: len({tuple(x) for x in t}))
    assert (per_width == 1).all() and (cells["write_times"].map(len) >= 3).all()
    assert (cells["write_median"] <= cells["write_times"].map(np.median)).all()


def test_an_auto_size_beyond_d_is_stored_not_warned(tmp_path):
    config = sweep_config({"gaussian": {}}, name="auto", settings={"repeats": 1, "warmup": 1})
    (cell,) = make_cells(config)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = execute_cell(cell, WorkerState(str(tmp_path / "cache")))
    assert result["auto_reaches_d"] and result["passthrough"] and result["m_auto"] > 64
    assert not [w for w in caught if issubclass(w.category, AutoSizeWarning)]
