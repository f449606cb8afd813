"""compare_stats: ratios at equal m and at equal error on the same dataset, bounds beyond a
baseline's front (never extrapolation), verdicts with intervals over seeds."""

import math

import numpy as np
import pandas as pd
import pytest

from _support import comparison_cells
from attnbench.compare import stats
from attnbench.intervals import mean_interval

# A baseline's variants (reducer, n_components, err/r, time s, m): the first two are its
# time-error front; the third is dominated in time (slower than a more accurate one).
FRONT = [("base", 8, 0.1, 1.0, 8), ("base", 16, 0.01, 10.0, 16), ("base", 12, 0.05, 20.0, 12)]


def pairs_of(candidate_rows, baseline_rows=FRONT, baseline="base"):
    cells = comparison_cells(baseline_rows + candidate_rows)
    return stats.pair_cells(cells, "cand", baseline).set_index("size")


def test_time_at_equal_error_is_interpolated_on_the_baseline_front():
    # The candidate reaches err 10^-1.5 in 1 s; the front needs 10^0.5 s there.
    pairs = pairs_of([("cand", 8, 10**-1.5, 1.0, 8)])
    assert pairs.loc[8, "time_how"] == "interpolated"
    assert pairs.loc[8, "time_ratio"] == pytest.approx(10**-0.5)
    assert pairs.loc[8, "error_how"] == "measured"
    assert pairs.loc[8, "error_ratio"] == pytest.approx(10**-0.5)
    # m front: every variant (m 8, 12, 16 for err 0.1, 0.05, 0.01); err 10^-1.5 lies
    # between 0.05 and 0.01, so m is log-log between 12 and 16 there.
    expected_m = math.exp(
        np.interp(-1.5 * math.log(10), np.log([0.01, 0.05]), np.log([16.0, 12.0]))
    )
    assert pairs.loc[8, "m_how"] == "interpolated"
    assert pairs.loc[8, "m_baseline_at_err"] == pytest.approx(expected_m)
    assert pairs.loc[8, "m_ratio"] == pytest.approx(8 / expected_m)


def test_beyond_the_front_a_ratio_is_a_bound_against_its_end():
    pairs = pairs_of([("cand", 16, 1e-3, 1.0, 16), ("cand", 4, 0.5, 2.0, 4)])
    # More accurate than every variant: against the most accurate one (10 s), ratio <=.
    assert pairs.loc[16, "time_how"] == "upper bound"
    assert pairs.loc[16, "time_ratio"] == pytest.approx(0.1)
    assert pairs.loc[16, "m_how"] == "upper bound" and pairs.loc[16, "m_ratio"] == 1.0
    # Less accurate than every variant: its fastest one (1 s) already does better, ratio >=.
    assert pairs.loc[4, "time_how"] == "lower bound"
    assert pairs.loc[4, "time_ratio"] == pytest.approx(2.0)
    assert pairs.loc[4, "m_how"] == "lower bound" and pairs.loc[4, "m_ratio"] == 0.5


def test_error_at_equal_m_is_measured_interpolated_or_missing_never_extrapolated():
    pairs = pairs_of([("cand", 10, 0.2, 1.0, 10), ("cand", 64, 0.2, 1.0, 64)])
    # Size 10 lies between the baseline's sizes 8 (err 0.1) and 12 (err 0.05).
    between = math.exp(np.interp(math.log(10), np.log([8, 12]), np.log([0.1, 0.05])))
    assert pairs.loc[10, "error_how"] == "interpolated"
    assert pairs.loc[10, "err_baseline"] == pytest.approx(between)
    assert pairs.loc[64, "error_how"] == "outside its sizes"
    assert np.isnan(pairs.loc[64, "error_ratio"])


def test_a_baseline_without_sizes_is_compared_at_its_own_m():
    zero = [("zero", None, 0.04, 0.001, 0)]
    pairs = pairs_of([("cand", 1024, 0.02, 0.002, 1024)], zero, "zero")
    assert pairs.loc[1024, "error_how"] == "own m" and pairs.loc[1024, "m_baseline"] == 0
    assert pairs.loc[1024, "error_ratio"] == pytest.approx(0.5)
    assert pairs.loc[1024, "m_how"] == "no front"  # m = 0: no m at equal error
    assert pairs.loc[1024, "time_how"] == "upper bound"  # zero never reaches err 0.02
    words = stats.pair_notes(pairs.reset_index(), "zero")
    assert "zero has no n_components: compared at its own m (0; candidate 1024)" in words
    assert stats.verdict_row("zero", "f", pairs.reset_index())["size"] == "n/a: m = 0"


def test_failed_cells_are_pairs_without_ratios_that_say_why():
    cells = comparison_cells(FRONT + [("cand", 8, 0.05, 1.0, 8)])
    cells.loc[cells["reducer"] == "cand", "status"] = "failed"
    pairs = stats.pair_cells(cells, "cand", "base")
    assert list(pairs["error_how"]) == ["candidate failed"]
    assert pairs[["error_ratio", "m_ratio", "time_ratio"]].isna().all(axis=None)
    assert "candidate failed on 1 of 1" in stats.pair_notes(pairs, "base")


def seeded_pairs(ratios_per_seed, how="interpolated"):
    """A pairs frame: for each seed, its ratios (as error, m and time ratio)."""
    rows = [
        {"family": "f", "seed": seed, "error_ratio": r, "m_ratio": r, "time_ratio": r}
        | {"error_how": "measured", "m_how": how, "time_how": how, "m": 8.0, "m_baseline": 8.0}
        for seed, ratios in enumerate(ratios_per_seed)
        for r in ratios
    ]
    return pd.DataFrame(rows)


def test_seed_interval_covers_the_true_ratio_over_seeds():
    # 5 seeds, 4 pairs per seed: log ratio = log 1.3 + seed effect (sd 0.3) + pair noise
    # (sd 0.05).  Pairs of one seed are not independent: the interval must be over seeds.
    # A Student-t interval then covers 95%; if it covers >= 95%, P(fewer than 181 of 200)
    # < 0.3%, and P(more than 197) < 0.3% (an interval too wide).
    covered = 0
    for trial in range(200):
        rng = np.random.default_rng(trial)
        logs = (
            math.log(1.3) + 0.3 * rng.standard_normal((5, 1)) + 0.05 * rng.standard_normal((5, 4))
        )
        ratio, low, high, seeds = stats.seed_interval(seeded_pairs(np.exp(logs)), "error_ratio")
        assert seeds == 5 and low < ratio < high
        covered += low <= 1.3 <= high
    assert 181 <= covered <= 197


def test_student_t_interval_matches_its_formula():
    values = np.array([0.1, 0.4, -0.2, 0.3])
    low, high = mean_interval(values)
    half = 3.182446305284263 * values.std(ddof=1) / 2  # t_{0.975, 3}
    assert (low, high) == pytest.approx((values.mean() - half, values.mean() + half))
    assert all(np.isnan(mean_interval([1.0])))


def test_a_bound_decides_only_in_its_direction():
    slow = seeded_pairs([[3.0, 3.2], [2.9, 3.1], [3.3, 3.0]], how="lower bound")
    row = stats.verdict_row("b", "f", slow)
    assert row["time_kind"] == "≥" and row["speed"] == "slower" and row["time_ci_low"] > 1
    fast_but_bounded = seeded_pairs([[0.3, 0.32], [0.29, 0.31], [0.33, 0.3]], how="lower bound")
    row = stats.verdict_row("b", "f", fast_but_bounded)
    assert row["time_ci_high"] < 1 and row["speed"] == "a bound only"
    assert row["accuracy"] == "better" and row["size"] == "a bound only"


def test_bounds_of_both_directions_leave_only_the_pairs_inside_the_front():
    pairs = seeded_pairs([[0.5, 4.0, 1.1], [0.5, 4.0, 1.2], [0.5, 4.0, 1.15]])
    pairs["time_how"] = ["upper bound", "lower bound", "interpolated"] * 3
    ratio, _, _, seeds, kind = stats.bounded_interval(pairs, "time_ratio", "time_how")
    assert kind == "=" and seeds == 3
    assert ratio == pytest.approx(np.exp(np.log([1.1, 1.2, 1.15]).mean()))


def test_too_few_seeds_give_no_verdict_and_say_so():
    row = stats.verdict_row("b", "f", seeded_pairs([[2.0, 2.1], [2.2, 2.0]]))
    assert row["accuracy"] == "too few seeds" and row["seeds"] == 2
    assert "2 seed(s): a verdict needs 3 (--seeds)" in row["note"]
    shown = stats.ratio_text(row["error_ratio"], row["error_ci_low"], row["error_ci_high"])
    assert shown.startswith(f"{row['error_ratio']:.3g} [")  # an interval, too wide to judge
    assert stats.ratio_text(2.5, 2.0, 3.0, "≥") == "≥ 2.5 [2, 3]"
    assert stats.ratio_text(float("nan"), 1.0, 2.0) == "n/a"
