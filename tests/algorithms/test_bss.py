"""BSS (``bss``) and leverage-then-BSS (``bss_hybrid``): the spectral guarantee, its size,
determinism across runs and input formats, the tie rule, and the barrier lemmas.

Rounding tolerance: the measured ratio may exceed kappa by a relative 1e-8.  It covers the
whitening error ||sum_i v_i v_i^T - I|| (measured at most 2e-10 on these instances, on
low rank plus noise; below 1e-12 on the others) and the test's own eigendecomposition; a
real violation of the barrier argument would be of order 1.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from attnbench.algorithms import bss as bss_module
from attnbench.algorithms import get_reducer
from attnbench.algorithms.bss import (
    _barrier_weights,
    bss_b,
    bss_eps,
    bss_kappa,
    twice_ramanujan,
    whiten,
)
from attnbench.linalg import RANGE_RTOL
from attnbench.metrics import evaluate

RATIO_RTOL = 1e-8


# Local data generators (the dataset package is written in parallel): n tokens x d features.
def gaussian(n, d, seed):
    return np.random.default_rng(seed).standard_normal((n, d))


def sparse(n, d, seed, density=0.03):
    rng = np.random.default_rng(seed)
    return sp.random(
        n, d, density=density, format="csr", random_state=rng, data_rvs=rng.standard_normal
    )


def coherent(n, d, seed):
    """A few heavy columns hold most of the mass (leverage close to 1)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[:, rng.choice(d, 3, replace=False)] *= 100.0
    return X


def heavy_tailed(n, d, seed):
    """Column norms with a Pareto(1.2) tail."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) * (1.0 + rng.pareto(1.2, d))


def lowrank_noise(n, d, seed, noise=1e-2):
    rng = np.random.default_rng(seed)
    r = max(n // 4, 1)
    return rng.standard_normal((n, r)) @ rng.standard_normal((r, d)) + noise * rng.standard_normal(
        (n, d)
    )


def lowrank(n, d, seed, r=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, r)) @ rng.standard_normal((r, d))


def duplicated(n, d, seed):
    """Every column appears twice (bitwise), plus zero columns."""
    Z = gaussian(n, d // 2, seed)
    return np.hstack([Z, np.zeros((n, 5)), Z])


FAMILIES = {
    "gaussian": gaussian,
    "sparse": sparse,
    "coherent": coherent,
    "heavy_tailed": heavy_tailed,
    "lowrank_noise": lowrank_noise,
    "lowrank": lowrank,
    "duplicated": duplicated,
}
SHAPES = [(8, 200), (12, 500), (16, 300), (24, 800)]
INSTANCES = [(f, n, d, seed) for f in FAMILIES for seed, (n, d) in enumerate(SHAPES)]


def make(family, n, d, seed):
    return FAMILIES[family](n, d, seed)


def generalized_ratio(X, Y):
    """lambda_max / lambda_min of (YY^T, XX^T) on range(XX^T); inf if YY^T leaves it."""
    X = X.toarray() if sp.issparse(X) else X
    lam, U = np.linalg.eigh(X @ X.T)
    keep = lam > RANGE_RTOL * lam[-1]
    U, lam = U[:, keep], lam[keep]
    if np.linalg.norm(Y - U @ (U.T @ Y)) > 1e-8 * np.linalg.norm(Y):
        return math.inf, U.shape[1]
    W = U / np.sqrt(lam)
    mu = np.linalg.eigvalsh(W.T @ (Y @ Y.T) @ W)
    return mu[-1] / mu[0], U.shape[1]


@pytest.mark.parametrize("b", [2.0, None])
@pytest.mark.parametrize("family, n, d, seed", INSTANCES)
def test_spectral_guarantee_and_size(family, n, d, seed, b):
    X = make(family, n, d, seed)
    reducer = get_reducer("bss", b=b)
    Y = reducer.fit_transform(X)
    ratio, rank = generalized_ratio(X, Y)
    assert reducer.rank_ == rank
    b_used = 2.0 if b else bss_b(0.5)
    assert reducer.n_components_ <= reducer.n_steps_ == math.ceil(b_used * rank)
    assert reducer.n_components_ <= math.ceil(b_used * n)
    assert reducer.kappa_ <= bss_kappa(b_used) and reducer.eps_ <= bss_eps(b_used) + 1e-15
    assert ratio <= reducer.kappa_ * (1 + RATIO_RTOL)
    assert reducer.eigenvalue_ratio_ == pytest.approx(ratio, rel=RATIO_RTOL)
    # After the rescaling: (1 - eps)XX^T <= YY^T <= (1 + eps)XX^T, eps = 2 sqrt(b)/(b + 1).
    spectral_eps = evaluate(X, Y, ["spectral_eps"])["spectral_eps"]
    assert spectral_eps <= reducer.eps_ * (1 + RATIO_RTOL)
    assert spectral_eps == pytest.approx((ratio - 1) / (ratio + 1), rel=1e-6)


@pytest.mark.parametrize("shortlist", [True, False])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_final_spectrum_lies_between_the_last_barriers(family, shortlist):
    """Each barrier separately (Thm 3.1): l_Q < lambda(sum_i s_i v_i v_i^T) < u_Q with
    l_Q = k (b - sqrt b), u_Q = k sqrt(b) (sqrt b + 1)^2 / (sqrt b - 1) after Q = b k steps."""
    columns, _, k = whiten(make(family, 12, 500, seed=11))
    s, A = twice_ramanujan(columns, k, 3 * k, shortlist=shortlist)
    V = columns.take(np.arange(len(columns))).V
    lam = np.linalg.eigvalsh((V * s) @ V.T)
    sb = math.sqrt(3)
    assert k * (3 - sb) < lam[0] and lam[-1] < k * sb * (sb + 1) ** 2 / (sb - 1)
    np.testing.assert_allclose(A, (V * s) @ V.T, rtol=0, atol=1e-12 * lam[-1])


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda wu, wl: (10 * np.abs(wu) + np.abs(wl), wl), "no column"),  # none feasible
        (lambda wu, wl: (wu / 100, wl / 100), "barrier broken"),  # steps t far too large
    ],
)
def test_a_broken_invariant_raises_instead_of_returning_a_wrong_y(monkeypatch, corrupt, message):
    monkeypatch.setattr(
        bss_module, "_barrier_weights", lambda *args: corrupt(*_barrier_weights(*args))
    )
    with pytest.raises(FloatingPointError, match=message):
        get_reducer("bss", b=2.0).fit(gaussian(6, 100, 0))


@pytest.mark.parametrize("family", ["gaussian", "coherent", "sparse", "duplicated"])
def test_plain_greedy_over_all_candidates_meets_the_same_bound(family):
    X = make(family, 16, 400, seed=5)
    reducer = get_reducer("bss", b=3.0, candidates="all")
    ratio, _ = generalized_ratio(X, reducer.fit_transform(X))
    assert ratio <= reducer.kappa_ * (1 + RATIO_RTOL)


def test_rank_deficient_input_gives_at_most_b_times_rank_columns():
    for r in (1, 2, 5):
        X = lowrank(20, 600, seed=r, r=r)
        reducer = get_reducer("bss", b=4.0).fit(X)
        assert reducer.rank_ == r
        assert reducer.n_components_ <= 4 * r < 4 * 20


def test_zero_columns_are_never_selected_and_zero_x_gives_empty_y():
    X = duplicated(10, 300, seed=1)
    zero = np.flatnonzero(~np.any(X != 0, axis=0))
    reducer = get_reducer("bss", b=2.0).fit(X)
    assert zero.size == 5 and not np.isin(reducer.selected_, zero).any()
    empty = get_reducer("bss").fit(np.zeros((4, 30)))
    assert empty.n_components_ == 0 and empty.transform(np.zeros((4, 30))).shape == (4, 0)


@pytest.mark.parametrize("candidates", ["shortlist", "all"])
def test_bitwise_deterministic_over_repeated_runs(candidates):
    X = heavy_tailed(16, 700, seed=3)
    runs = [get_reducer("bss", b=3.0, candidates=candidates).fit(X) for _ in range(3)]
    for other in runs[1:]:
        assert other.selected_.tobytes() == runs[0].selected_.tobytes()
        assert other.weights_.tobytes() == runs[0].weights_.tobytes()


@pytest.mark.parametrize("family", ["sparse", "duplicated", "gaussian", "lowrank"])
def test_dense_csr_csc_coo_select_the_same_columns(family):
    X = make(family, 12, 600, seed=4)
    X = X.toarray() if sp.issparse(X) else X
    dense = get_reducer("bss", b=3.0).fit(X)
    for fmt in ("csr", "csc", "coo"):
        other = get_reducer("bss", b=3.0).fit(sp.csr_matrix(X).asformat(fmt))
        np.testing.assert_array_equal(other.selected_, dense.selected_, err_msg=fmt)
        np.testing.assert_allclose(other.weights_, dense.weights_, rtol=1e-12, err_msg=fmt)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_ties_between_duplicate_columns_go_to_the_lowest_index(fmt):
    """Columns j and j + d/2 + 5 are bitwise equal: only the first copy is ever taken."""
    X = duplicated(12, 800, seed=6)
    X = sp.csr_matrix(X) if fmt == "csr" else X
    reducer = get_reducer("bss", b=4.0).fit(X)
    assert reducer.selected_.max() < 400


def test_eps_and_b_are_inverse():
    for eps in (0.05, 0.3, 0.5, 0.8, 0.99):
        assert bss_eps(bss_b(eps)) == pytest.approx(eps, rel=1e-12)
        kappa = bss_kappa(bss_b(eps))
        assert (kappa - 1) / (kappa + 1) == pytest.approx(eps, rel=1e-12)
    assert bss_eps(4.0) == pytest.approx(0.8) and bss_kappa(4.0) == pytest.approx(9.0)


def test_eps_sets_the_guarantee():
    X = gaussian(10, 400, seed=2)
    for eps in (0.3, 0.6, 0.9):
        reducer = get_reducer("bss", eps=eps).fit(X)
        assert reducer.eps_ <= eps
        assert evaluate(X, reducer.transform(X), ["spectral_eps"])["spectral_eps"] <= eps


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"b": 1.0}, ValueError, "b must be > 1"),
        ({"b": 0.5}, ValueError, "b must be > 1"),
        ({"b": -2}, ValueError, "b must be > 0"),
        ({"b": "4"}, TypeError, "b must be a real number"),
        ({"candidates": "some"}, ValueError, "candidates must be one of"),
    ],
)
def test_bad_parameters(params, error, message):
    with pytest.raises(error, match=message):
        get_reducer("bss", **params).fit(gaussian(4, 20, 0))


def test_barrier_weights_match_the_lemmas():
    """U_A and L_A from the eigen-weights equal BSS Lemmas 3.3/3.4 with explicit
    inverses, and a step with 1/t in [U_A(v), L_A(v)] does not raise either potential."""
    rng = np.random.default_rng(0)
    # The starting barriers of k = 6, b = 4 (u = k/eps_U, l = -k/eps_L) and an A between
    # them with Phi_l(A) <= 1/delta_L, the hypothesis of Lemma 3.4.
    k, u, l, du, dl = 6, 36.0, -12.0, 3.0, 1.0
    Q = np.linalg.qr(rng.standard_normal((k, k)))[0]
    a = np.sort(rng.uniform(0.0, 8.0, k))
    A = (Q * a) @ Q.T
    wu, wl = _barrier_weights(a, u, l, du, dl)
    I = np.eye(k)

    def phi_up(M, x):
        return np.trace(np.linalg.inv(x * I - M))

    def phi_low(M, x):
        return np.trace(np.linalg.inv(M - x * I))

    Ru, Rl = np.linalg.inv((u + du) * I - A), np.linalg.inv(A - (l + dl) * I)
    feasible = 0
    for _ in range(200):
        v = rng.standard_normal(k) * rng.uniform(0.05, 2.0)
        U = v @ Ru @ Ru @ v / (phi_up(A, u) - phi_up(A, u + du)) + v @ Ru @ v
        L = v @ Rl @ Rl @ v / (phi_low(A, l + dl) - phi_low(A, l)) - v @ Rl @ v
        p2 = (Q.T @ v) ** 2
        assert wu @ p2 == pytest.approx(U, rel=1e-10)
        assert wl @ p2 == pytest.approx(L, rel=1e-10, abs=1e-12 * abs(U))
        if U <= L:
            feasible += 1
            for t in (1 / L, 2 / (U + L), 1 / U):
                B = A + t * np.outer(v, v)
                assert phi_up(B, u + du) <= phi_up(A, u) * (1 + 1e-12)
                assert phi_low(B, l + dl) <= phi_low(A, l) * (1 + 1e-12)
                assert np.linalg.eigvalsh(B)[-1] < u + du and np.linalg.eigvalsh(B)[0] > l + dl
    assert feasible > 100


# --- bss_hybrid -------------------------------------------------------------------------

SEEDS, DELTA = 60, 0.1
ALLOWED = math.ceil(SEEDS * DELTA + 3 * math.sqrt(SEEDS * DELTA * (1 - DELTA)))  # = 13


@pytest.mark.slow
def test_hybrid_combined_guarantee_holds_with_probability_1_minus_delta():
    """Failures of the documented product bound ~ Binomial(60, p <= delta): allow
    60 delta + 3 standard deviations."""
    X = coherent(12, 3000, seed=7)
    failures = 0
    for seed in range(SEEDS):
        hybrid = get_reducer("bss_hybrid", eps=0.5, delta=DELTA, b=4.0, random_state=seed)
        Y = hybrid.fit_transform(X)
        assert hybrid.eps_ == pytest.approx(1.5 * 1.8 - 1.0)  # (1 + eps)(1 + eps_bss) - 1
        assert hybrid.n_components_ <= 4 * 12
        failures += evaluate(X, Y, ["spectral_eps"])["spectral_eps"] > hybrid.eps_
    assert failures <= ALLOWED


def test_hybrid_selects_from_the_first_stage_and_composes_weights():
    X = gaussian(10, 4000, seed=8)
    hybrid = get_reducer("bss_hybrid", b=3.0, random_state=1).fit(X)
    first = hybrid.first_stage_
    assert first.name == "leverage_fast" and first.n_components_ < X.shape[1]
    assert np.isin(hybrid.selected_, first.selected_).all()
    Y1 = first.transform(X)
    np.testing.assert_allclose(hybrid.transform(X), hybrid.bss_.transform(Y1), rtol=1e-13)
    ratio, _ = generalized_ratio(Y1, hybrid.transform(X))
    assert ratio <= hybrid.bss_.kappa_ * (1 + RATIO_RTOL)


def test_hybrid_same_seed_same_output_and_first_stage_is_a_parameter():
    X = sparse(10, 3000, seed=9, density=0.05)
    a = get_reducer("bss_hybrid", random_state=3).fit(X)
    b = get_reducer("bss_hybrid", random_state=3).fit(X)
    assert a.selected_.tobytes() == b.selected_.tobytes()
    assert a.weights_.tobytes() == b.weights_.tobytes()
    other = get_reducer("bss_hybrid", first_stage="norm_sampling", random_state=3).fit(X)
    assert other.first_stage_.name == "norm_sampling"
    assert math.isnan(get_reducer("bss_hybrid", n_components=50).fit(X).eps_)
    assert get_reducer("bss_hybrid", n_components=0).fit_transform(X).shape == (10, 0)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"first_stage": "leverage_exactt"}, ValueError, "first_stage: unknown reducer"),
        ({"first_stage": "bss"}, TypeError, "first_stage must name a randomized sampling"),
        ({"b": 1.0}, ValueError, "b must be > 1"),
    ],
)
def test_hybrid_bad_parameters(params, error, message):
    with pytest.raises(error, match=message):
        get_reducer("bss_hybrid", **params).fit(gaussian(4, 20, 0))
