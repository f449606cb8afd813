"""BSS (``bss``) and leverage-then-BSS (``bss_hybrid``): the spectral guarantee and its size
(56 instances, and adversarial inputs), every step's barrier state against explicit
inverses, the plain greedy against a textbook reference, determinism across runs and
input layouts, the tie rule, peak memory.

Rounding tolerance: the measured ratio may exceed kappa by a relative 1e-8.  It covers the
whitening error ||sum_i v_i v_i^T - I|| (measured at most 2e-10 on these instances, on
low rank plus noise; below 1e-12 on the others) and the test's own eigendecomposition; a
real violation of the barrier argument would be of order 1.

Mutation checks (edit algorithms/bss.py by hand, run this file, expect red, revert):
- no barrier shift: delete ``self.u, self.l = self.u + self.delta_u, ...`` in
  ``_TwiceRamanujan._take``: every fit raises FloatingPointError (the potentials grow).
- first-index column choice: in ``_TwiceRamanujan._choose`` take
  ``best = int(np.flatnonzero((U > 0) & (U <= L))[0])`` (the first feasible scored
  column) instead of the largest slack: test_plain_greedy_matches_the_textbook_reference.
"""

import math
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from _matrices import layouts, one_blas_thread  # noqa: F401
from attnbench.algorithms import bss as bss_module
from attnbench.algorithms import get_reducer
from attnbench.algorithms.bss import (
    TIE_RTOL,
    WhitenedColumns,
    _Barrier,
    bss_b,
    bss_eps,
    bss_kappa,
    refresh_period,
    twice_ramanujan,
)
from attnbench.linalg import BLOCK_BYTES, RANGE_RTOL
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


# Adversarial inputs (RandBLAS-style: coherent, rank-deficient, spiky, one-signed).
def private_columns(n, d, seed):
    """Each row owns two private columns (ones there, zeros elsewhere), beside weak dense
    noise: leverage 1 on 2n columns, collisions for any hashing of the columns."""
    X = 1e-3 * gaussian(n, d, seed)
    X[:, : 2 * n] = 0.0
    rows = np.arange(n)
    X[rows, 2 * rows] = X[rows, 2 * rows + 1] = 1.0
    return sp.csr_matrix(X)


def rank_deficient(n, d, seed):
    """Rank n/4 with duplicated rows and a zero row: XX^T singular three ways."""
    X = lowrank(n, d, seed, r=n // 4)
    X[1] = X[0]
    X[-1] = 0.0
    return X


def nonnegative(n, d, seed):
    """|N(0, 1)| entries, 5 % dense: one dominant direction (the mean), no cancellation."""
    return abs(sparse(n, d, seed, density=0.05))


def duplicated_heavy(n, d, seed):
    """Four heavy columns, each repeated ten times bitwise, among Gaussian ones."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    heavy = 30.0 * rng.standard_normal((n, 4))
    X[:, rng.choice(d, 40, replace=False)] = np.repeat(heavy, 10, axis=1)
    return X


ADVERSARIAL = {
    "private_columns": private_columns,
    "rank_deficient": rank_deficient,
    "nonnegative": nonnegative,
    "duplicated_heavy": duplicated_heavy,
}


def make(family, n, d, seed):
    return {**FAMILIES, **ADVERSARIAL}[family](n, d, seed)


def dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)


def generalized_ratio(X, Y):
    """lambda_max / lambda_min of (YY^T, XX^T) on range(XX^T); inf if YY^T leaves it."""
    X = dense(X)
    lam, U = np.linalg.eigh(X @ X.T)
    keep = lam > RANGE_RTOL * lam[-1]
    U, lam = U[:, keep], lam[keep]
    if np.linalg.norm(Y - U @ (U.T @ Y)) > 1e-8 * np.linalg.norm(Y):
        return math.inf, U.shape[1]
    W = U / np.sqrt(lam)
    mu = np.linalg.eigvalsh(W.T @ (Y @ Y.T) @ W)
    return mu[-1] / mu[0], U.shape[1]


def check_guarantee(X, b, candidates="shortlist"):
    """Fit bss; assert the size bound, the ratio bound and the spectral eps (module doc)."""
    reducer = get_reducer("bss", b=b, candidates=candidates)
    Y = reducer.fit_transform(X)
    ratio, rank = generalized_ratio(X, Y)
    b_used = b if b else bss_b(0.5)
    assert reducer.rank_ == rank
    assert reducer.n_components_ <= reducer.n_steps_ == math.ceil(b_used * rank)
    assert reducer.n_components_ <= math.ceil(b_used * X.shape[0])
    assert reducer.kappa_ <= bss_kappa(b_used) and reducer.eps_ <= bss_eps(b_used) + 1e-15
    assert ratio <= reducer.kappa_ * (1 + RATIO_RTOL)
    assert reducer.eigenvalue_ratio_ == pytest.approx(ratio, rel=RATIO_RTOL)
    # After the rescaling: (1 - eps)XX^T <= YY^T <= (1 + eps)XX^T, eps = 2 sqrt(b)/(b + 1).
    spectral_eps = evaluate(X, Y, ["spectral_eps"])["spectral_eps"]
    assert spectral_eps <= reducer.eps_ * (1 + RATIO_RTOL)
    assert spectral_eps == pytest.approx((ratio - 1) / (ratio + 1), rel=1e-6)
    return reducer


@pytest.mark.parametrize("b", [2.0, None])
@pytest.mark.parametrize("family, n, d, seed", INSTANCES)
def test_spectral_guarantee_and_size(family, n, d, seed, b):
    check_guarantee(make(family, n, d, seed), b)


@pytest.mark.parametrize("candidates", ["shortlist", "all"])
@pytest.mark.parametrize("b", [2.0, None])
@pytest.mark.parametrize("n, d", [(16, 600), (32, 1500)])
@pytest.mark.parametrize("family", sorted(ADVERSARIAL))
def test_spectral_guarantee_on_adversarial_inputs(family, n, d, b, candidates):
    X = make(family, n, d, seed=n)
    reducer = check_guarantee(X, b, candidates)
    if family == "private_columns":  # a row's direction lives in its two columns only
        assert set(np.arange(n)) <= set(reducer.selected_ // 2)
    if family == "duplicated_heavy":  # copies tie bitwise: only the first of each is taken
        heavy = np.flatnonzero(np.abs(dense(X)).max(axis=0) > 20)
        taken = np.intersect1d(reducer.selected_, heavy)
        assert np.unique(dense(X)[:, taken], axis=1).shape[1] == taken.size


@pytest.mark.parametrize("shortlist", [True, False])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_final_spectrum_lies_between_the_last_barriers(family, shortlist):
    """Each barrier separately (Thm 3.1): l_Q < lambda(sum_i s_i v_i v_i^T) < u_Q with
    l_Q = k (b - sqrt b), u_Q = k sqrt(b) (sqrt b + 1)^2 / (sqrt b - 1) after Q = b k steps."""
    columns = WhitenedColumns(make(family, 12, 500, seed=11))
    k = columns.rank
    search = twice_ramanujan(columns, 3 * k, shortlist=shortlist)
    V = columns.take(np.arange(len(columns)))
    lam = np.linalg.eigvalsh((V * search.s) @ V.T)
    sb = math.sqrt(3)
    assert k * (3 - sb) < lam[0] and lam[-1] < k * sb * (sb + 1) ** 2 / (sb - 1)
    np.testing.assert_allclose(search.A, (V * search.s) @ V.T, rtol=0, atol=1e-12 * lam[-1])


def explicit_barriers(A, v, u, l, delta_u, delta_l):
    """U_A(v), L_A(v) (BSS Lemmas 3.3, 3.4) and the four potentials, from inverses."""
    I = np.eye(A.shape[0])

    def trace_inv(M):
        return np.trace(np.linalg.inv(M))

    Ru, Rl = np.linalg.inv((u + delta_u) * I - A), np.linalg.inv(A - (l + delta_l) * I)
    phi_u, phi_u1 = trace_inv(u * I - A), np.trace(Ru)
    phi_l, phi_l1 = trace_inv(A - l * I), np.trace(Rl)
    U = v @ Ru @ Ru @ v / (phi_u - phi_u1) + v @ Ru @ v
    L = v @ Rl @ Rl @ v / (phi_l1 - phi_l) - v @ Rl @ v
    return U, L, phi_u, phi_l


@pytest.mark.parametrize("family", ["heavy_tailed", "sparse", "duplicated"])
def test_every_step_matches_explicit_inverses_and_lowers_the_potentials(monkeypatch, family):
    """The Woodbury state between refreshes: at every step the taken column's U_A, L_A equal
    the lemmas' formulas evaluated with explicit inverses of the exact A = sum_i s_i v_i v_i^T,
    U_A <= L_A, and neither potential grows (Lemmas 3.3 and 3.4)."""
    columns = WhitenedColumns(make(family, 12, 500, seed=3))
    V = columns.take(np.arange(len(columns)))
    records = []
    take = bss_module._TwiceRamanujan._take

    def spy(self, position, U, L, terms):
        A = (V * self.s) @ V.T
        records.append((self.short[position], U, L, self.u, self.l, A, self.delta_u))
        take(self, position, U, L, terms)

    monkeypatch.setattr(bss_module._TwiceRamanujan, "_take", spy)
    search = twice_ramanujan(columns, 4 * columns.rank)
    assert search.n_refreshes < len(records)  # most steps ran on the Woodbury batch
    potentials = []
    for column, U, L, u, l, A, delta_u in records:
        U_ref, L_ref, phi_u, phi_l = explicit_barriers(A, V[:, column], u, l, delta_u, 1.0)
        assert U == pytest.approx(U_ref, rel=1e-9) and L == pytest.approx(L_ref, rel=1e-9)
        assert 0 < U <= L
        potentials.append((phi_u, phi_l))
    phi = np.array(potentials)
    assert np.all(np.diff(phi, axis=0) <= 1e-12 * phi[:-1])


@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_woodbury_barrier_equals_the_explicit_resolvent(sign):
    """_Barrier: trace and quadratic forms of (diag(g) + sign P P^T)^{-1}, P = PT^T."""
    rng = np.random.default_rng(0)
    k, j = 9, 4
    g = rng.uniform(5.0, 20.0, k)
    PT = 0.5 * rng.standard_normal((j, k))
    K = np.diag(g) + sign * PT.T @ PT
    assert np.linalg.eigvalsh(K)[0] > 0
    R = np.linalg.inv(K)
    Pw = rng.standard_normal((k, 6))
    barrier = _Barrier(g, sign, PT)
    linear, square = barrier.forms(Pw)
    assert barrier.phi == pytest.approx(np.trace(R), rel=1e-12)
    np.testing.assert_allclose(linear, np.einsum("ri,ri->i", Pw, R @ Pw), rtol=1e-12)
    np.testing.assert_allclose(square, np.einsum("ri,ri->i", R @ Pw, R @ Pw), rtol=1e-12)


def textbook_greedy(X, b):
    """BSS Thm 3.1 with the greedy choice (largest L_A - U_A over all columns, ties to the
    lowest index), every quantity from explicit inverses: the weights s_i."""
    X = dense(X)
    lam, U = np.linalg.eigh(X @ X.T)
    keep = lam > RANGE_RTOL * lam[-1]
    V = (U[:, keep] / np.sqrt(lam[keep])).T @ X
    k, d = V.shape
    steps = math.ceil(b * k)
    sb = math.sqrt(steps / k)
    delta_u, delta_l = (sb + 1) / (sb - 1), 1.0
    u, l = k * (sb * sb + sb) / (sb - 1), -k * sb
    A, s, I = np.zeros((k, k)), np.zeros(d), np.eye(k)
    nonzero = np.any(X != 0, axis=0)
    for _ in range(steps):
        Ru, Rl = np.linalg.inv((u + delta_u) * I - A), np.linalg.inv(A - (l + delta_l) * I)
        drop_u = np.trace(np.linalg.inv(u * I - A)) - np.trace(Ru)
        drop_l = np.trace(Rl) - np.trace(np.linalg.inv(A - l * I))
        RuV, RlV = Ru @ V, Rl @ V
        U_all = (RuV**2).sum(0) / drop_u + (V * RuV).sum(0)
        L_all = (RlV**2).sum(0) / drop_l - (V * RlV).sum(0)
        slack = np.where(nonzero, L_all - U_all, -np.inf)
        best = np.flatnonzero(slack >= slack.max() - TIE_RTOL * (U_all + abs(L_all)).max())[0]
        assert U_all[best] <= L_all[best]
        t = 2.0 / (U_all[best] + L_all[best])
        s[best] += t
        A += t * np.outer(V[:, best], V[:, best])
        u, l = u + delta_u, l + delta_l
    return s


@pytest.mark.parametrize("family, n, d", [("gaussian", 8, 150), ("coherent", 10, 200),
                                          ("sparse", 12, 300), ("heavy_tailed", 6, 400)])
def test_plain_greedy_matches_the_textbook_reference(family, n, d):
    """candidates="all" takes, step by step, the column of largest slack over all columns."""
    X = make(family, n, d, seed=2)
    s = textbook_greedy(X, b=3.0)
    search = twice_ramanujan(WhitenedColumns(X), math.ceil(3.0 * n), shortlist=False)
    np.testing.assert_array_equal(np.flatnonzero(search.s), np.flatnonzero(s))
    np.testing.assert_allclose(search.s, s, rtol=1e-8)


@pytest.mark.parametrize("family", ["gaussian", "coherent", "sparse", "duplicated"])
def test_plain_greedy_over_all_candidates_meets_the_same_bound(family):
    X = make(family, 16, 400, seed=5)
    reducer = get_reducer("bss", b=3.0, candidates="all")
    ratio, _ = generalized_ratio(X, reducer.fit_transform(X))
    assert ratio <= reducer.kappa_ * (1 + RATIO_RTOL)


@pytest.mark.parametrize("candidates", ["shortlist", "all"])
def test_weak_columns_are_left_while_strong_ones_are_feasible(candidates):
    """Slack scales with |v|^2, feasibility does not: the first half of the columns, scaled
    by 1e-3, is never taken by the greedy (a choice by index would take it first)."""
    X = np.hstack([1e-3 * gaussian(12, 300, 0), gaussian(12, 300, 1)])
    reducer = get_reducer("bss", b=3.0, candidates=candidates).fit(X)
    assert reducer.selected_.min() >= 300


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda U, L: (10 * U + abs(L), L), "no column"),  # nothing feasible
        (lambda U, L: (U / 100, L / 100), "barrier|potential"),  # steps t far too large
    ],
)
def test_a_broken_invariant_raises_instead_of_returning_a_wrong_y(monkeypatch, corrupt, message):
    score = bss_module._TwiceRamanujan._score

    def corrupted(self, positions):
        U, L, terms = score(self, positions)
        return (*corrupt(U, L), terms)

    monkeypatch.setattr(bss_module._TwiceRamanujan, "_score", corrupted)
    with pytest.raises(FloatingPointError, match=message):
        get_reducer("bss", b=2.0).fit(gaussian(6, 100, 0))


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


@pytest.mark.parametrize("family", ["sparse", "duplicated", "gaussian", "lowrank",
                                    "private_columns", "nonnegative"])
def test_every_layout_selects_the_same_columns(family):
    """Dense C and F give bitwise the same fit, and so do CSR, CSC and COO (one canonical
    CSC inside); dense and sparse products round differently, the columns are the same."""
    fits = {name: get_reducer("bss", b=3.0).fit(X)
            for name, X in layouts(make(family, 12, 600, seed=4)).items()}
    for name, fit in fits.items():
        np.testing.assert_array_equal(fit.selected_, fits["C"].selected_, err_msg=name)
        np.testing.assert_allclose(fit.weights_, fits["C"].weights_, rtol=1e-10, err_msg=name)
    assert fits["F"].weights_.tobytes() == fits["C"].weights_.tobytes()
    assert fits["csc"].weights_.tobytes() == fits["csr"].weights_.tobytes()
    assert fits["coo"].weights_.tobytes() == fits["csr"].weights_.tobytes()


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_ties_between_duplicate_columns_go_to_the_lowest_index(fmt):
    """Columns j and j + d/2 + 5 are bitwise equal: only the first copy is ever taken."""
    X = duplicated(12, 800, seed=6)
    X = sp.csr_matrix(X) if fmt == "csr" else X
    reducer = get_reducer("bss", b=4.0).fit(X)
    assert reducer.selected_.max() < 400


@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_peak_memory_is_x_plus_small_terms(kind):
    """fit holds X plus O(n^2 + n m + d) and one column block (the module's memory rule):
    the allowance below is under half a dense n x d array, so a whitened copy of X (B X,
    k x d) or any n x d temporary would fail it.  Measured with tracemalloc (NumPy and
    SciPy allocations); X is allocated, and the compiled kernel loaded, before tracing."""
    n, d = 64, 2**17
    get_reducer("bss", b=2.0).fit(sparse(8, 200, seed=0, density=0.2))
    rng = np.random.default_rng(0)
    if kind == "dense":
        X, copy = rng.standard_normal((n, d)), 0
    else:
        X = sp.random(n, d, density=2e-3, format="csr", random_state=rng)
        copy = X.data.nbytes + X.indices.nbytes + 4 * (d + 1)  # the one CSC conversion
    tracemalloc.start()
    try:
        reducer = get_reducer("bss", b=2.0).fit(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    m = reducer.n_components_
    allowed = 8 * (64 * n * n + 16 * n * m + 8 * d) + 2 * BLOCK_BYTES + 2 * copy
    assert allowed < 0.5 * 8 * n * d
    assert peak <= allowed, f"peak {peak / 2**20:.1f} MiB > {allowed / 2**20:.1f} MiB"


@pytest.mark.parametrize("family", ["sparse", "nonnegative", "private_columns"])
def test_sparse_and_dense_rankings_agree(family):
    """Sparse X is ranked by X_i^T N X_i over its nonzeros, dense X by float32 products:
    the same scores to float32 rounding."""
    X = make(family, 20, 700, seed=1)
    columns = {name: WhitenedColumns(Xk) for name, Xk in [("sparse", X), ("dense", dense(X))]}
    k = columns["dense"].rank
    rng = np.random.default_rng(0)
    Q, w = np.linalg.qr(rng.standard_normal((k, k)))[0], rng.standard_normal(k)
    (slack, scale), (slack_d, scale_d) = (c.rank_all(Q, w) for c in columns.values())
    np.testing.assert_allclose(slack, slack_d, rtol=0, atol=1e-6 * scale_d.max())
    np.testing.assert_allclose(scale, scale_d, rtol=1e-5, atol=1e-6 * scale_d.max())


def test_refresh_period_grows_like_k_to_the_two_thirds():
    assert refresh_period(1) == 1
    assert refresh_period(1000) == round(1.25 * 100)
    assert refresh_period(8000) == 4 * refresh_period(1000)


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
        ({"b": 1.0}, ValueError, "b must be a real number > 1 or None, got 1.0"),
        ({"b": 0.5}, ValueError, "b must be a real number > 1"),
        ({"b": -2}, ValueError, "b must be a real number > 1"),
        ({"b": "4"}, TypeError, "b must be a real number > 1 or None, got '4'"),
        ({"candidates": "some"}, ValueError, "candidates must be one of 'shortlist', 'all'"),
    ],
)
def test_bad_parameters(params, error, message):
    with pytest.raises(error, match=message):
        get_reducer("bss", **params).fit(gaussian(4, 20, 0))


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
        ({"first_stage": "leverage_exactt"}, ValueError, "first_stage must be the name of a"),
        ({"first_stage": "bss"}, ValueError, "registered SamplingReducer .*, got 'bss'"),
        ({"first_stage": 3}, TypeError, "first_stage must be the name of a"),
        ({"b": 1.0}, ValueError, "b must be a real number > 1"),
    ],
)
def test_hybrid_bad_parameters(params, error, message):
    with pytest.raises(error, match=message):
        get_reducer("bss_hybrid", **params).fit(gaussian(4, 20, 0))
