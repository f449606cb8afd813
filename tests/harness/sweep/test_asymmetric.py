import math

import numpy as np
import pytest

from _support import builtin_reducers, gaussian_matrix, make_reducer, sparse_matrix, sweep_config
from attnbench.algorithms import get_reducer_class
from attnbench.metrics import AttentionReference, evaluate, value_matrix
from attnbench.sweep.asymmetric import fit_shared

# leverage_fast sketches with k = 4 * (rows of the fitted matrix) columns and draws its JL
# directions in the sketch's whitened basis, so [X; X] gets another, equally valid, estimate
# of the same scores: it is checked against the exact scores below instead.  bss_hybrid
# samples with leverage_fast first.
ROW_COUNT_DEPENDENT = {"leverage_fast", "bss_hybrid"}


@pytest.mark.parametrize(
    "name", [name for name in builtin_reducers() if name not in ROW_COUNT_DEPENDENT]
)
def test_q_equal_k_reproduces_the_symmetric_mode(name):
    """Fitting on [X; X] selects or sketches as fitting on X does (the scores of [x; x]
    are those of x), so with the same seed the metrics equal the symmetric ones.  The
    size is fixed: "auto" sizes grow with the rows of the fitted matrix (2n here)."""
    X = gaussian_matrix(8, 300, seed=2, r=0.5)
    params = (
        {"n_components": 50} if "n_components" in get_reducer_class(name)._get_param_names() else {}
    )
    Qs, Ks = fit_shared(make_reducer(name, **params), X, X)
    np.testing.assert_array_equal(Qs, Ks)
    asym = evaluate(AttentionReference(X, X, value_matrix(8)), (Qs, Ks))
    sym = evaluate(AttentionReference(X), make_reducer(name, **params).fit_transform(X))
    for metric, value in asym.items():
        if metric in sym:
            assert value == pytest.approx(sym[metric], rel=1e-9, abs=1e-14), metric


def test_q_equal_k_leverage_fast_estimates_the_symmetric_scores():
    X = gaussian_matrix(8, 300, seed=2, r=0.5)
    # The bounds hold w.p. 1 - delta/2 (0.995 here; at delta = 0.1 they miss on 13 of 400 seeds).
    reducer = make_reducer("leverage_fast", n_components=50, delta=0.01)
    Qs, Ks = fit_shared(reducer, X, X)
    np.testing.assert_array_equal(Qs, Ks)
    assert reducer.rank_ == 8  # the rank of [X; X] is that of X
    exact = get_reducer_class("leverage_exact")(n_components=50, random_state=0).fit(X)
    ratio = reducer.leverage_scores_ / exact.leverage_scores_
    low, high = reducer.score_bounds_
    assert low <= ratio.min() and ratio.max() <= high


def test_full_rank_svd_is_exact_on_qk():
    rng = np.random.default_rng(0)
    Q, K = gaussian_matrix(10, 400, seed=1), rng.standard_normal((10, 400)) * 0.01
    Qs, Ks = fit_shared(make_reducer("svd"), Q, K)
    assert Qs.shape[1] == 20  # rank of [Q; K]
    values = evaluate(AttentionReference(Q, K, value_matrix(10)), (Qs, Ks))
    assert values["logit_err_frob"] < 1e-12
    assert values["attn_err_inf"] < 1e-14
    assert values["skill"] == pytest.approx(1.0, abs=1e-9)


def test_zero_reducer_has_skill_zero_and_identity_is_exact():
    Q, K = gaussian_matrix(6, 200, seed=3, r=2.0), gaussian_matrix(6, 200, seed=4, r=2.0)
    ref = AttentionReference(Q, K, value_matrix(6))
    assert evaluate(ref, fit_shared(make_reducer("zero"), Q, K))["skill"] == 0.0
    exact = evaluate(ref, fit_shared(make_reducer("identity"), Q, K))
    assert exact["attn_err_inf"] == 0.0 and exact["logit_err_frob"] == 0.0


def test_gaussian_amm_bound_over_200_seeds():
    """m = ceil(2/(delta eps^2)) gives ||Q'K'^T - QK^T||_F <= eps ||Q||_F ||K||_F w.p.
    1 - delta; allowed failures: 200 delta + 3 binomial standard deviations (= 33)."""
    eps, delta, seeds = 0.5, 0.1, 200
    m = math.ceil(2 / (delta * eps**2))
    Q, K = gaussian_matrix(12, 1000, seed=5), gaussian_matrix(12, 1000, seed=6)
    ref = AttentionReference(Q, K, value_matrix(12))
    failures = sum(
        evaluate(
            ref,
            fit_shared(make_reducer("gaussian", seed=s, n_components=m), Q, K),
            ["logit_err_frob"],
        )["logit_err_frob"]
        > eps
        for s in range(seeds)
    )
    assert failures <= math.ceil(seeds * delta + 3 * math.sqrt(seeds * delta * (1 - delta)))


def test_sparse_inputs_and_bad_shapes():
    Q, K = sparse_matrix(6, 500, 0.1, seed=1), sparse_matrix(6, 500, 0.1, seed=2)
    sparse = fit_shared(make_reducer("countsketch", n_components=64), Q, K)
    dense = fit_shared(make_reducer("countsketch", n_components=64), Q.toarray(), K.toarray())
    np.testing.assert_allclose(np.hstack(sparse), np.hstack(dense), atol=1e-12)
    with pytest.raises(ValueError, match="same d"):
        fit_shared(make_reducer("zero"), Q, K[:, :10])
    with pytest.raises(ValueError, match="same shape"):
        AttentionReference(Q, K[:3], value_matrix(6))
    with pytest.raises(ValueError, match="V must be 2-D with 6 rows"):
        AttentionReference(Q, K, value_matrix(5))


def _sweep(tmp_path, attention, correlation):
    from attnbench import api

    config = sweep_config(
        {"svd": {}, "leverage_exact": {"n_components": 64}, "zero": {}},
        name="asym",
        settings={"repeats": 1, "attention": attention, "qk_correlation": correlation},
        family=["gaussian", "sparse"],
        density=[1.0, 0.1],
        zipped=[["family", "density"]],
        d=256,
        r=[0.05, 5.0],
    )
    store = tmp_path / f"{attention}.sqlite"
    run_id = api.run(config, store, cache_dir=str(tmp_path / "cache"))
    df = api.load_cells(store, run_id)
    assert (df["status"] == "ok").all(), df["error"].dropna().tolist()
    return df.sort_values(["dataset.family", "dataset.r", "reducer"]).reset_index(drop=True)


def test_asymmetric_sweep_with_k_equal_q_matches_symmetric_sweep(tmp_path):
    sym = _sweep(tmp_path, "symmetric", 0.5)
    asym = _sweep(tmp_path, "asymmetric", 1.0)
    for metric in ("attn_err_inf", "skill", "output_err", "m"):
        np.testing.assert_allclose(asym[metric], sym[metric], rtol=1e-9, atol=1e-14)
    assert (asym["logit_err_frob"][asym["reducer"] == "svd"] < 1e-12).all()


def test_asymmetric_sweep_scales_logits_to_r(tmp_path):
    df = _sweep(tmp_path, "asymmetric", 0.3)
    zero = df[df["reducer"] == "zero"]
    # The m = 0 reducer's logit error is max |QK^T| itself: exactly r.
    np.testing.assert_allclose(zero["gram_err_over_r"], 1.0, rtol=1e-12)
    assert (df.loc[df["reducer"] == "svd", "skill"] > 1 - 1e-9).all()
