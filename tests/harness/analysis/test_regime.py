"""The regime analysis (attnbench.analysis.regime) on synthetic cells frames with known answers
(builders in _support)."""

import math

import numpy as np
import pandas as pd
import pytest

from _support import (
    REGIME_D,
    REGIME_GRID,
    _regime_reducers,
    cells_frame,
    crossover_cells,
    regime_cells,
    regime_fast_time,
    regime_svd_time,
    variant_cells,
    with_end_to_end,
)
from attnbench.analysis import regime


def winners_of(cells, target=regime.SKILL_TARGET, **kw):
    return regime.winners(regime.routes(regime.point_medians(cells), (target,), **kw), target)


def test_the_fastest_route_at_equal_error_wins_with_its_margin_and_payoff():
    table = winners_of(regime_cells())
    assert len(table) == len(REGIME_GRID)
    rows = table.sort_values(["dataset.n", "dataset.density"]).itertuples()
    for p, row in zip(REGIME_GRID, rows):
        # the direct route costs the Gram (svd's law); svd is never named (it is the Gram)
        direct, fast = regime_svd_time(p), regime_fast_time(p) + 1e-6
        assert row.winner == (regime.DIRECT if direct < fast else "leverage_fast"), p
        assert row.time == pytest.approx(min(direct, fast), rel=1e-9)
        assert row.margin == pytest.approx(max(direct, fast) / min(direct, fast), rel=1e-9)
        assert row.best_reducer == "leverage_fast"
        assert row.best_payoff == pytest.approx(direct / fast, rel=1e-9)
        assert not row.tie and row.reached == 2  # uniform misses, countsketch untimed
    assert set(table["winner"]) == {regime.DIRECT, "leverage_fast"}  # both win somewhere


def _one_point(**routes):
    """One point; each route a list of (skill, seconds) variants (n_components 1, 2, ...);
    5 rounds each under 1% noise; the direct route at 1 s."""
    p = {"n": 256, "d": 2**16, "density": 1.0}
    frames = [
        variant_cells([p | {"time": t}], reducer=name, variant=f"{name}({i})", skill=skill,
                      m=float(64 * 2**i), noise=0.01, seed=7 * i + len(name))
        for name, variants in routes.items() for i, (skill, t) in enumerate(variants)
    ]  # fmt: skip
    return with_end_to_end(cells_frame(*frames), lambda _: 1.0, attend=0.0)


def test_a_faster_route_with_worse_error_is_never_the_winner():
    # "fast" is 10x faster but never reaches skill 0.9; "good" reaches it
    table = winners_of(_one_point(fast=[(0.85, 0.01)], good=[(0.95, 0.1)]))
    assert table["winner"].item() == "good" and table["reached"].item() == 2  # and direct
    # with a second, more accurate size, "fast" reaches it: interpolated between its
    # sizes in (log error, log time), never extrapolated
    cells = _one_point(fast=[(0.8, 0.01), (0.95, 0.04)], good=[(0.95, 0.1)])
    routes = regime.routes(regime.point_medians(cells), (0.9,))
    fast = routes.set_index("route").loc["fast"]
    w = (np.log(0.1) - np.log(0.2)) / (np.log(0.05) - np.log(0.2))
    assert fast["how"] == "interpolated"
    assert fast["time"] == pytest.approx(np.exp((1 - w) * np.log(0.01) + w * np.log(0.04)), rel=0.05)
    assert fast["m"] == pytest.approx(64 * 2**w, rel=1e-6)
    assert regime.winners(routes, 0.9)["winner"].item() == "fast"
    # above every size's skill: never, with the best skill it got
    never = regime.routes(regime.point_medians(cells), (0.99,)).set_index("route").loc["fast"]
    assert never["how"] == "never" and not never["reached"] and never["skill_best"] == 0.95


def test_routes_whose_intervals_overlap_tie():
    cells = _one_point(a=[(0.95, 0.100)], b=[(0.95, 0.1005)])
    row = winners_of(cells).iloc[0]
    assert row["tie"] and row["tied_with"] == "b" and row["margin_low"] < 1 < row["margin_high"]
    row = winners_of(_one_point(a=[(0.95, 0.1)], b=[(0.95, 0.3)])).iloc[0]
    assert not row["tie"] and row["winner"] == "a" and row["margin_low"] > 2


def test_svd_is_shown_with_its_payoff_but_never_named():
    table = regime.routes(regime.point_medians(_one_point(svd=[(1.0, 0.5)])), (0.9,))
    svd = table.set_index("route").loc["svd"]
    assert svd["payoff"] == pytest.approx(2.0, rel=0.05)  # faster than direct here, by fiat
    assert winners_of(_one_point(svd=[(1.0, 0.5)]))["winner"].item() == regime.DIRECT


def test_the_error_target_and_nothing_reaching_it():
    cells = regime_cells().drop(columns=["attend_times", "direct_times"])
    cells.loc[cells["reducer"] == "leverage_fast", "skill"] = 0.85
    table = winners_of(cells)  # no end-to-end times: reducer times, svd never named
    assert table["winner"].isna().all() and (table["reached"] == 0).all()


def test_planes_are_the_two_dimensional_grids():
    extra = [{"n": n, "d": d, "density": 1e-3} for n in (256, 1024) for d in (2**16, 2**18)]
    cells = with_end_to_end(cells_frame(
        _regime_reducers(),
        variant_cells([p | {"time": regime_svd_time(p)} for p in extra], reducer="svd",
                      skill=1.0, attn_err_over_r=0.0),
    ), regime_svd_time)  # fmt: skip
    table = winners_of(cells)
    found = {(fixed, value) for fixed, value, *_ in regime.planes(table)}
    # (n, density) at d = 2^20; (n, d) at density 1e-3 (d in 2^16, 2^18, 2^20)
    assert found == {("dataset.d", REGIME_D), ("dataset.density", 1e-3)}


def _crossover(ratio_at_1, noise, n_boot):
    routes = regime.routes(regime.point_medians(crossover_cells(ratio_at_1, noise)),
                           (regime.SKILL_TARGET,), n_boot=n_boot)  # fmt: skip
    return regime.crossover(routes, pairs=[("leverage_fast", "svd")])


def test_crossover_finds_the_known_n_star_with_an_interval():
    (row,) = _crossover(1000.0, 0.0, 50).itertuples()
    assert row.n_star == pytest.approx(1000.0, rel=1e-9) and row.direction == "faster"
    assert row.ratio_at_n_min == pytest.approx(1000 / 256) and row.crossing_share == 1.0
    (row,) = _crossover(1000.0, 0.05, 300).itertuples()
    assert row.ci_low < 1000.0 < row.ci_high and row.ci_high / row.ci_low < 1.5
    assert row.n_star == pytest.approx(1000.0, rel=0.1)


def test_crossover_is_at_equal_error_and_skips_n_where_a_route_misses():
    cells = crossover_cells(1000.0, 0.0)
    cells.loc[(cells["reducer"] == "leverage_fast") & (cells["dataset.n"] == 4096), "skill"] = -1.0
    routes = regime.routes(regime.point_medians(cells), (regime.SKILL_TARGET,), n_boot=20)
    (row,) = regime.crossover(routes, pairs=[("leverage_fast", "svd")]).to_dict("records")
    assert row["n_max"] == 2048 and row["missed"] == "4096"
    assert "misses the target at n = 4096" in regime.crossover_sentence(row)


def test_no_crossover_is_said_as_such():
    (row,) = _crossover(10.0, 0.0, 50).itertuples()
    assert math.isnan(row.n_star) and row.direction is None and row.crossing_share == 0.0
    assert row.ratio_at_n_max == pytest.approx(10 / 4096)
    frame = _crossover(10.0, 0.0, 50)
    # in a frame with crossing rows, pandas stores the missing direction as NaN
    for direction in (None, math.nan):
        said = regime.crossover_sentence(frame.iloc[0].to_dict() | {"direction": direction})
        assert "no crossover in that range" in said and "nan" not in said


def test_auto_sizes_and_where_compression_starts():
    ds = [2**p for p in range(10, 17)]
    points = [{"n": n, "d": d, "time": 1.0} for n in (64, 256) for d in ds]
    lev = variant_cells(points, reducer="leverage_fast")
    lev["m_auto"] = pd.array([10 * p["n"] for p in points], dtype="Int64")
    cells = cells_frame(lev, variant_cells(points, reducer="svd").assign(m_auto=pd.NA))
    sizes = regime.auto_sizes(cells)
    assert set(sizes["reducer"]) == {"leverage_fast"}  # svd has no auto bound
    assert (sizes["m_auto_over_d"] == sizes["m_auto"] / sizes["dataset.d"]).all()
    onset = regime.compression_onset(sizes).set_index("n")
    # m_auto = 640 at n = 64: compresses from d = 1024; 2560 at n = 256: from 4096
    assert onset.loc[64, "compresses_from_d"] == 1024
    assert onset.loc[256, "compresses_from_d"] == 4096
    assert onset.loc[256, "m_auto_over_d_at_d_max"] == pytest.approx(2560 / 2**16)
    # a bound that never compresses within the swept d has no onset
    cells.loc[cells["reducer"] == "leverage_fast", "m_auto"] = 10**6
    assert regime.compression_onset(regime.auto_sizes(cells))["compresses_from_d"].isna().all()


def test_cells_timed_alongside_others_do_not_count():
    cells = regime_cells()
    shared = cells.assign(concurrency=2)
    assert len(regime.timed_cells(cells)) > 0 and regime.timed_cells(shared).empty
    assert winners_of(shared).empty
