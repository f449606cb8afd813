"""The regime analysis (attnbench.analysis.regime) on synthetic cells frames with known answers
(builders in _support)."""

import math

import numpy as np
import pandas as pd
import pytest

from _support import (
    REGIME_D,
    REGIME_GRID,
    cells_frame,
    crossover_cells,
    regime_cells,
    regime_fast_time,
    regime_svd_time,
    variant_cells,
)
from attnbench.analysis import regime


def test_the_fastest_reducer_that_reaches_the_target_wins_with_its_margin():
    table = regime.winners(regime.point_medians(regime_cells()))
    assert len(table) == len(REGIME_GRID)
    rows = table.sort_values(["dataset.n", "dataset.density"]).itertuples()
    for p, row in zip(REGIME_GRID, rows):
        exact, fast = regime_svd_time(p), regime_fast_time(p)
        assert row.reducer == ("svd" if exact < fast else "leverage_fast"), p
        assert row.time == pytest.approx(min(exact, fast), rel=1e-12)
        assert row.margin == pytest.approx(max(exact, fast) / min(exact, fast), rel=1e-12)
        assert row.reached == 2 and row.variants == 3  # uniform misses, countsketch untimed
    assert set(table["reducer"]) == {"svd", "leverage_fast"}  # both win somewhere


def test_the_error_target_and_a_lone_winner():
    cells = regime_cells()
    # leverage_fast meets the skill target but not err/r <= 0.01: svd alone remains
    cells.loc[cells["reducer"] == "leverage_fast", "attn_err_over_r"] = 0.02
    table = regime.winners(regime.point_medians(cells))
    assert (table["reducer"] == "svd").all() and np.isinf(table["margin"]).all()
    assert table["runner_up"].isna().all()
    # nothing reaches the target: no winner, stated as such
    cells.loc[cells["reducer"] == "svd", "skill"] = 0.8
    table = regime.winners(regime.point_medians(cells))
    assert table["winner"].isna().all() and (table["reached"] == 0).all()


def test_planes_are_the_two_dimensional_grids():
    extra = [{"n": n, "d": d, "density": 1e-3} for n in (256, 1024) for d in (2**16, 2**18)]
    cells = cells_frame(
        regime_cells(),
        variant_cells([p | {"time": regime_svd_time(p)} for p in extra], reducer="svd",
                      skill=1.0, attn_err_over_r=0.0),
    )  # fmt: skip
    table = regime.winners(regime.point_medians(cells))
    found = {(fixed, value) for fixed, value, *_ in regime.planes(table)}
    # (n, density) at d = 2^20; (n, d) at density 1e-3 (d in 2^16, 2^18, 2^20)
    assert found == {("dataset.d", REGIME_D), ("dataset.density", 1e-3)}


def test_crossover_finds_the_known_n_star_with_an_interval():
    (row,) = regime.crossover(crossover_cells(1000.0, noise=0.0), n_boot=50).itertuples()
    assert row.n_star == pytest.approx(1000.0, rel=1e-9) and row.direction == "faster"
    assert row.ratio_at_n_min == pytest.approx(1000 / 256) and row.crossing_share == 1.0
    (row,) = regime.crossover(crossover_cells(1000.0, noise=0.05), n_boot=300).itertuples()
    assert row.ci_low < 1000.0 < row.ci_high and row.ci_high / row.ci_low < 1.5
    assert row.n_star == pytest.approx(1000.0, rel=0.1)


def test_no_crossover_is_said_as_such():
    (row,) = regime.crossover(crossover_cells(10.0, noise=0.0), n_boot=50).itertuples()
    assert math.isnan(row.n_star) and row.direction is None and row.crossing_share == 0.0
    assert row.ratio_at_n_max == pytest.approx(10 / 4096)
    frame = regime.crossover(crossover_cells(10.0, noise=0.0), n_boot=50)
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
    assert regime.winners(regime.point_medians(shared)).empty
