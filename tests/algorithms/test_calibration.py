"""The calibration reducers carry exactly their planted fault (attnbench.algorithms.
calibration), stay out of every listing, and still keep the reducer contract."""

import numpy as np
import pytest

from _support import gaussian_matrix, sparse_matrix
from attnbench.algorithms import get_reducer, get_reducer_class, list_reducers
from attnbench.algorithms.calibration import cost
from attnbench.contract import check_reducer
from attnbench.metrics import AttentionReference, evaluate
from attnbench.sweep.config import parse_config

CALIBRATION = ("calibration_cost", "calibration_error", "calibration_size")


def test_listed_only_when_asked_and_found_by_name():
    assert not set(CALIBRATION) & set(list_reducers())
    assert set(CALIBRATION) <= set(list_reducers(calibration=True))
    for name in CALIBRATION:
        assert get_reducer_class(name).family == "calibration"
        assert get_reducer_class(name).cost_model == "randomized"  # the claim it must fail


def test_all_reducers_sweeps_leave_them_out():
    config = parse_config(
        '[[experiment]]\nall_reducers = true\n[experiment.datasets]\nfamily = "gaussian"\n'
        "n = 8\nd = 64\n"
    )
    assert not {name for name, _ in config.experiments[0].reducers} & set(CALIBRATION)


def _fit(name, X, **params):
    return get_reducer(name, random_state=3, **params).fit_transform(X)


@pytest.mark.parametrize("X", [gaussian_matrix(24, 3000), sparse_matrix(24, 3000, 0.05)])
def test_cost_scans_x_once_per_token_and_changes_nothing_else(X, monkeypatch):
    scans = []
    real = cost.all_finite
    monkeypatch.setattr(cost, "all_finite", lambda a: scans.append(a.size) or real(a))
    Y = _fit("calibration_cost", X)
    nnz = X.nnz if hasattr(X, "nnz") else X.size
    assert scans == [nnz] * X.shape[0]  # n scans of nnz(X) values: O(n nnz(X))
    np.testing.assert_array_equal(Y, _fit("leverage_fast", X))


def test_size_keeps_n_squared_draws_as_columns():
    X = gaussian_matrix(24, 3000)
    reducer = get_reducer("calibration_size", random_state=3)
    Y = reducer.fit_transform(X)
    assert Y.shape == (24, 24 * 24) and reducer.n_components_auto_ == 24 * 24
    # the same estimator as leverage_fast at n^2 draws: repeats split, not changed
    same = _fit("leverage_fast", X, n_components=24 * 24)
    np.testing.assert_allclose(Y @ Y.T, same @ same.T, rtol=1e-12, atol=1e-15)
    wide = get_reducer("calibration_size", random_state=3).fit_transform(gaussian_matrix(64, 1000))
    assert wide.shape[1] == 1000  # capped at d


def test_size_refuses_an_output_too_large_to_hold():
    X = sparse_matrix(3000, 2**20, 1e-5)
    with pytest.raises(ValueError, match="n_components: calibration_size would return"):
        get_reducer("calibration_size", random_state=0).fit(X)


def test_error_scales_y_by_n():
    X = gaussian_matrix(24, 3000)
    Y = _fit("calibration_error", X)
    np.testing.assert_allclose(Y, 24 * _fit("leverage_fast", X), rtol=1e-15)
    scores = evaluate(AttentionReference(X), Y)
    assert scores["spectral_eps"] > 24**2 / 2  # YY^T ~ n^2 XX^T
    assert scores["attn_err_over_r"] > 1  # breaks err <= r in the paper's regime


@pytest.mark.parametrize("name", CALIBRATION)
def test_they_keep_the_reducer_contract(name):
    report = check_reducer(name, which="contract")
    assert report.passed, report.failures
