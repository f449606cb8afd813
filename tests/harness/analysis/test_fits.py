"""Cost-model fits: slopes and constants recovered from synthetic timings."""

import numpy as np
import pytest

from _support import synthetic_cells
from attnbench.analysis import fits
from attnbench.cost_models import OMEGA_BLAS, OMEGA_PAPER

D_GRID = np.geomspace(256, 65536, 9).round().astype(int)


def test_slope_of_time_proportional_to_d_is_one():
    cells = synthetic_cells([{"d": d, "time": 3e-9 * d} for d in D_GRID], noise=0.05)
    report = fits.analyse(cells, n_boot=500)
    (row,) = report.slopes.itertuples()
    assert row.axis == "d" and row.cells == len(D_GRID)
    assert abs(row.slope - 1.0) <= 0.05
    assert row.ci_low <= 1.0 <= row.ci_high and row.ci_high - row.ci_low < 0.1


def test_interval_covers_the_true_slope_across_seeds():
    # Nominal 95%: if coverage is >= 0.95, P(fewer than 88 of 100 cover) < 0.2%.
    line = np.zeros(D_GRID.size, int)
    covered = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        times = [3e-9 * d * np.exp(0.05 * rng.standard_normal(5)) for d in D_GRID]
        slope, low, high = fits.slope_interval(D_GRID, times, line, n_boot=300, seed=seed)
        assert abs(slope - 1.0) <= 0.05
        covered += low <= 1.0 <= high
    assert covered >= 88


def test_interval_is_bitwise_reproducible():
    rng = np.random.default_rng(1)
    times = [d * np.exp(0.1 * rng.standard_normal(3)) for d in D_GRID]
    line = np.arange(D_GRID.size) % 2
    assert fits.slope_interval(D_GRID, times, line, seed=7) == fits.slope_interval(
        D_GRID, times, line, seed=7
    )


def test_two_term_model_constants_are_recovered():
    a, b, overhead = 2e-9, 5e-9, 1e-4  # T = overhead + a nnz + b n^2.373
    points = [
        {"n": n, "d": d, "time": overhead + a * n * d + b * n**OMEGA_PAPER}
        for n in (16, 32, 64, 128, 256)
        for d in (512, 2048, 8192, 32768)
    ]
    fit = fits.fit_model(synthetic_cells(points, noise=0.02), "randomized", OMEGA_PAPER)
    assert fit.terms == ("nnz", "n^w") and fit.cells == len(points)
    np.testing.assert_allclose(fit.constants, [a, b], rtol=0.1)
    assert fit.overhead == pytest.approx(overhead, rel=0.2)
    assert fit.r2 > 0.99


def test_sweeps_are_found_on_each_axis_of_a_grid_and_along_zipped_axes():
    grid = [{"n": n, "d": d, "time": 1e-9 * n * d} for n in (16, 32, 64) for d in (256, 512, 1024)]
    sweeps = {s.axis: s for s in fits.find_sweeps(synthetic_cells(grid))}
    assert set(sweeps) == {"n", "d"}
    assert np.unique(sweeps["d"].line).size == 3 and np.unique(sweeps["n"].line).size == 3
    # d grows while the density shrinks (nnz fixed): a d-sweep, and no nnz-sweep.
    zipped = [{"d": d, "density": 256 / d, "time": 1e-6} for d in (256, 1024, 4096, 16384)]
    found = fits.find_sweeps(synthetic_cells(zipped), {"e": [("d", "density")]})
    assert [(s.axis, s.label) for s in found] == [("d", "d (with density)")]
    assert fits.find_sweeps(synthetic_cells(zipped)) == []  # not zipped: every d is alone


def test_zipped_axes_that_list_points_are_not_pooled_into_one_line():
    # A zipped list of (n, d, density) points (the paper preset's regime map): at each n
    # several (d, density); each (d, density) is a line along n, never one pooled line.
    points = [{"n": n, "d": d, "density": rho, "family": "sparse", "time": 1e-9 * n * d * rho}
              for n in (256, 512, 1024) for d, rho in ((2**16, 1e-3), (2**20, 1e-3), (2**20, 1e-2))]
    found = fits.find_sweeps(synthetic_cells(points), {"e": [("n", "density", "d")]})
    by_axis = {s.axis: s for s in found}
    assert by_axis["n"].label == "n" and np.unique(by_axis["n"].line).size == 3
    assert np.unique(by_axis["nnz"].line).size == 3  # density 1e-3 -> 1e-2 at each n


def test_verdict_names_the_model_that_generated_the_times():
    # T = c n^(w+1), w = 3: the deterministic model at omega = 3 and nothing else.
    points = [{"n": n, "d": 4096, "time": 1e-10 * n ** (OMEGA_BLAS + 1)} for n in (16, 32, 64, 128)]
    report = fits.analyse(synthetic_cells(points, noise=0.03), n_boot=300)
    (verdict,) = report.verdict.itertuples()
    assert verdict.best_model == fits.model_label("deterministic", OMEGA_BLAS)
    assert verdict.explains == "yes"
    inside = report.predictions.set_index(["model", "omega"])["inside_ci"]
    assert inside["deterministic", OMEGA_BLAS]
    assert not inside["deterministic", OMEGA_PAPER] and not inside["randomized", OMEGA_BLAS]
    asymptotic = report.predictions.set_index(["model", "omega"])["asymptotic_slope"]
    assert asymptotic["randomized", OMEGA_PAPER] == pytest.approx(OMEGA_PAPER)


def test_a_missing_statistic_leaves_the_model_unfitted_not_wrong():
    cells = synthetic_cells([{"d": d, "time": 1e-9 * d} for d in D_GRID]).drop(
        columns="stats.sum_nnz_col_sq"
    )
    fit = fits.fit_model(cells, "deterministic", OMEGA_BLAS)
    assert fit.cells == 0 and np.isnan(fit.r2)
