"""leverage_fast: the paper's randomized algorithm (approximate leverage-score sampling)."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from _matrices import ADVERSARIAL, FAMILIES, layouts, make, one_blas_thread  # noqa: F401
from attnbench.algorithms import get_reducer
from attnbench.algorithms.base import chernoff_sample_size
from attnbench.algorithms.leverage_exact import exact_leverage_scores
from attnbench.metrics import AttentionReference, evaluate

N, D = 16, 2048


def fit(X, **params):
    return get_reducer("leverage_fast", **params).fit(X)


def within(estimated, X, low, high, exact=None):
    """low <= l~_i / l_i <= high on every nonzero column; zero columns score exactly 0.
    ``exact``: the exact scores of X, when the caller has them."""
    exact = exact_leverage_scores(X)[0] if exact is None else exact
    zero = exact == 0
    ratio = estimated[~zero] / exact[~zero]
    return not np.any(estimated[zero]) and low <= ratio.min() and ratio.max() <= high


def misses_over_100_seeds(family, factor=None, **params):
    """Seeds (of 100, data and sketch) on which some column's l~/l leaves ``factor``
    (default: the stated ``score_bounds_``), and the stated bounds of every seed."""
    misses, stated = 0, []
    for seed in range(100):
        X = make(family, N, D, seed)
        reducer = fit(X, delta=0.02, random_state=seed, **params)
        stated.append(reducer.score_bounds_)
        misses += not within(reducer.leverage_scores_, X, *(factor or reducer.score_bounds_))
    return misses, np.array(stated)


# score_bounds_ holds for all d columns w.p. >= 1 - delta/2 = 0.99 (union bound, under the
# Gaussian-sketch model), so misses are at most Binomial(100, 0.01): more than 5 (the
# issue's 95%) has probability 6e-4.


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_scores_within_the_stated_bounds_on_95_of_100_seeds(family):
    misses, stated = misses_over_100_seeds(family)
    # At the defaults (k = 4n, r = ceil(2 ln(4d/delta))) the stated factor is about [0.2, 6].
    assert np.all((0.15 < stated[:, 0]) & (stated[:, 0] < 0.3))
    assert np.all((4 < stated[:, 1]) & (stated[:, 1] < 7))
    assert misses <= 5


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_scores_within_a_factor_two_with_larger_sketches(family):
    # k = 32n and r = 200 make the stated bounds [0.58, 1.74], inside [1/2, 2].
    misses, stated = misses_over_100_seeds(family, (0.5, 2.0), sketch_components=32 * N,
                                           jl_components=200)
    assert np.all(stated[:, 0] > 0.5) and np.all(stated[:, 1] < 2)
    assert misses <= 5


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_auto_size_gives_the_spectral_guarantee(family):
    # (1 +- eps) must hold w.p. >= 1 - delta = 0.9: failures over 200 seeds are at most
    # Binomial(200, 0.1), mean 20, sd 4.2; more than 33 has probability below 0.2%.
    eps = 0.9
    X = make(family, N, 8192, seed=1)
    reference = AttentionReference(X)
    failures = 0
    for seed in range(200):
        reducer = get_reducer("leverage_fast", eps=eps, delta=0.1, random_state=seed)
        Y = reducer.fit_transform(X)
        assert reducer.n_components_ < X.shape[1] / 2  # a real reduction, not a copy
        failures += evaluate(reference, Y, ["spectral_eps"])["spectral_eps"] > eps
    assert failures <= 33


@pytest.mark.slow
@pytest.mark.parametrize(
    "family,n,d",
    [(family, 16, 2048) for family in ADVERSARIAL]
    + [("padded_identity", 64, 2048), ("private_columns", 64, 2048)],
)
def test_scores_within_the_stated_bounds_on_adversarial_inputs(family, n, d):
    """The score bounds rest on a model (the Gaussian sketch's F distribution), checked
    here where a sparse sketch is weakest.  They hold for all d columns w.p. >= 1 - delta/2
    = 0.995 (the reducer's delta = 0.01), so misses over 300 seeds are at most
    Binomial(300, 0.005): the one-sided 99% Clopper-Pearson lower bound of their rate
    must not exceed 0.005: at most 5 misses (6 or more has probability 0.004 at 0.005).
    A CountSketch first stage (s = 1) with k = 4n fails it: it loses a row of X whenever
    two columns that row owns collide with opposite signs (private columns, [I, 0])."""
    X = make(family, n, d, seed=0)
    exact = exact_leverage_scores(X)[0]
    misses = 0
    for seed in range(300):
        reducer = fit(X, n_components=0, delta=0.01, random_state=seed)
        misses += not within(reducer.leverage_scores_, X, *reducer.score_bounds_, exact=exact)
    assert misses <= 5


def test_beats_uniform_sampling_on_coherent_data():
    # Four columns hold most of the mass: uniform sampling misses them and loses their
    # directions (spectral_eps near 1), or hits one and overweights it (spectral_eps >> 1);
    # leverage sampling draws each of them about m/n times.  Same m = 1000 draws for both.
    X = make("coherent", N, 8192, seed=3, weight=100.0)
    reference = AttentionReference(X)
    ratios = []
    for seed in range(20):
        eps = [
            evaluate(reference, get_reducer(name, n_components=1000, random_state=seed)
                     .fit_transform(X), ["spectral_eps"])["spectral_eps"]
            for name in ("leverage_fast", "uniform")
        ]
        assert eps[0] < 0.5
        ratios.append(eps[1] / eps[0])
    assert np.median(ratios) > 3 and np.mean(np.array(ratios) > 2.5) >= 0.9


@pytest.mark.parametrize("family", ["gaussian", "sparse"])
def test_every_layout_gives_the_same_sample_and_Y(family):
    X = make(family, 12, 700, seed=5)
    fits = {name: fit(Xk, n_components=300, random_state=7) for name, Xk in layouts(X).items()}
    outputs = {name: r.transform(Xk) for (name, r), Xk in zip(fits.items(), layouts(X).values())}
    for name, reducer in fits.items():
        np.testing.assert_array_equal(reducer.selected_, fits["C"].selected_)
        np.testing.assert_allclose(reducer.leverage_scores_, fits["C"].leverage_scores_,
                                   rtol=1e-12)
        np.testing.assert_allclose(outputs[name], outputs["C"], rtol=1e-12, atol=0)
    # The sketch and the gathers are exact in every layout; CSR and CSC share one kernel
    # order, so they agree bitwise, and so do C and F (one BLAS product).
    assert np.array_equal(outputs["csr"], outputs["csc"])
    assert np.array_equal(outputs["csr"], outputs["coo"])


def test_same_seed_gives_bitwise_the_same_result():
    X = make("lowrank", N, 1000, seed=2)
    a, b = fit(X, random_state=4), fit(X, random_state=4)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.leverage_scores_, b.leverage_scores_)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    assert not np.array_equal(a.leverage_scores_, fit(X, random_state=5).leverage_scores_)


def test_sample_is_merged_and_rescaled():
    X = make("coherent", N, 1000, seed=6)
    reducer = fit(X, n_components=500, random_state=0)
    Y = reducer.transform(X)
    assert np.all(np.diff(reducer.selected_) > 0)  # no duplicate columns
    np.testing.assert_array_equal(Y, X[:, reducer.selected_] * reducer.weights_)
    p = reducer.probabilities_
    np.testing.assert_allclose(p, reducer.leverage_scores_ / reducer.leverage_scores_.sum())
    counts = np.round(reducer.weights_**2 * 500 * p[reducer.selected_]).astype(int)
    assert counts.sum() == 500 and counts.min() >= 1


def test_auto_size_is_the_chernoff_size_times_the_overestimate():
    X = make("gaussian", N, 4000, seed=8)
    reducer = fit(X, eps=0.8, delta=0.2, random_state=1)
    low = reducer.score_bounds_[0]
    beta = reducer.leverage_scores_.sum() / (reducer.rank_ * low)
    assert reducer.rank_ == N and reducer.overestimate_ == pytest.approx(beta)
    assert 2 < beta < 10
    assert reducer.n_draws_ == chernoff_sample_size(N, 0.8, 0.1, beta)
    assert reducer.sketch_components_ == 4 * N
    assert reducer.jl_components_ == math.ceil(2 * math.log(4 * 4000 / 0.2))


def test_rank_deficient_and_zero_input():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, 3)) @ rng.standard_normal((3, 500))  # rank 3, no noise
    reducer = fit(X, n_components=200, random_state=0)
    assert reducer.rank_ == 3
    assert within(reducer.leverage_scores_, X, *reducer.score_bounds_)
    assert np.isfinite(evaluate(X, reducer.transform(X), ["spectral_eps"])["spectral_eps"])
    zero = fit(np.zeros((N, 50)), random_state=0)
    assert zero.rank_ == 0 and not np.any(zero.transform(np.zeros((N, 50))))


def test_float32_input_gives_float64_output_and_close_scores():
    X = make("sparse", N, 800, seed=9).toarray()
    single = fit(X.astype(np.float32), n_components=100, random_state=2)
    double = fit(X.astype(np.float32).astype(np.float64), n_components=100, random_state=2)
    assert single.transform(X.astype(np.float32)).dtype == np.float64
    np.testing.assert_allclose(single.leverage_scores_, double.leverage_scores_, rtol=1e-12)


@pytest.mark.parametrize(
    "params,error,match",
    [
        ({"sketch_components": 8}, ValueError, "sketch_components must be >= n"),
        ({"sketch_components": 0}, ValueError, "sketch_components"),
        ({"jl_components": 0}, ValueError, "jl_components"),
        ({"jl_components": 2.5}, TypeError, "jl_components"),
        ({"sketch_nnz": "two"}, ValueError, "sketch_nnz must be an int >= 1 or 'auto'"),
        ({"sketch_nnz": 2.0}, TypeError, "sketch_nnz"),
        ({"eps": 1.5}, ValueError, "eps"),
        ({"n_components": -1}, ValueError, "n_components"),
    ],
)
def test_bad_parameters_name_the_argument(params, error, match):
    with pytest.raises(error, match=match):
        fit(make("gaussian", N, 100, seed=0), random_state=0, **params)


def test_osnap_sketch_and_registry_entry():
    X = sp.csr_matrix(make("sparse", N, 600, seed=4))
    reducer = fit(X, sketch_nnz=3, sketch_components=50, n_components=100, random_state=0)
    assert reducer.sketch_components_ == 51  # rounded up to a multiple of sketch_nnz
    cls = type(reducer)
    assert (cls.family, cls.cost_model, cls.deterministic) == ("sampling", "randomized", False)
