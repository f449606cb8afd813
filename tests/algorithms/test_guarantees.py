"""Statistical tests of the documented guarantees at n_components="auto".

Each test fits a reducer on 200 seeds and counts failures of the stated bound.  The
bound promises a failure rate of at most delta, so failures ~ Binomial(200, p) with
p <= delta; we allow delta*200 plus three binomial standard deviations,
ceil(200 delta + 3 sqrt(200 delta (1 - delta))) (= 33 at delta = 0.1).  A correct
reducer exceeds that with probability below 0.3%; in practice these bounds are loose
and the failure counts are near 0, so the tests also catch a wrong auto size.

The adversarial section holds the reducers to their promise on every input: 300 seeds
on each matrix of ``_matrices.ADVERSARIAL`` at eps = 0.5, delta = 0.01, judged by
one-sided 95% Clopper-Pearson bounds on the failure rate.  Where the bound has room
(matrix Chernoff: leverage sampling, bss_hybrid), the upper bound must not exceed delta,
i.e. no failure at all in 300 seeds (one failure gives 0.0157).  The sparse sketches'
bound is Markov's inequality, which private columns make nearly tight (countsketch fails
on 3 of 2000 seeds of few_per_row): a correct sketch would fail the upper-bound test on
a third of runs, so for them the lower bound must not exceed delta (at most 6 failures;
a rate-delta reducer exceeds that with probability 0.033).
"""

import math

import numpy as np
import pytest
from scipy.stats import beta

from _matrices import ADVERSARIAL, make, one_blas_thread  # noqa: F401
from _support import gaussian_matrix, make_reducer
from attnbench.metrics import AttentionReference, evaluate

SEEDS = 200
EPS, DELTA = 0.5, 0.1
ALLOWED = math.ceil(SEEDS * DELTA + 3 * math.sqrt(SEEDS * DELTA * (1 - DELTA)))

pytestmark = pytest.mark.slow


def coherent_matrix(n, d, seed):
    """Gaussian columns plus n heavy columns that hold most of the mass."""
    X = gaussian_matrix(n, d, seed=seed)
    X[:, :n] += 20 * np.eye(n) * np.abs(X).max()
    return X


def count_spectral_failures(name, X, eps=EPS):
    ref = AttentionReference(X)
    failures = 0
    for seed in range(SEEDS):
        Y = make_reducer(name, seed=seed, eps=EPS, delta=DELTA).fit_transform(X)
        failures += evaluate(ref, Y, ["spectral_eps"])["spectral_eps"] > eps
    return failures


@pytest.mark.parametrize("name", ["gaussian", "leverage_exact", "countsketch"])
def test_spectral_guarantee_holds_with_probability_1_minus_delta(name):
    X = gaussian_matrix(12, 1500, seed=11)
    assert count_spectral_failures(name, X) <= ALLOWED


def test_leverage_sampling_keeps_guarantee_on_coherent_data():
    assert count_spectral_failures("leverage_exact", coherent_matrix(12, 1500, 3)) <= ALLOWED


def test_uniform_sampling_fails_on_coherent_data():
    """The documented caveat: uniform's auto size assumes incoherence."""
    assert count_spectral_failures("uniform", coherent_matrix(12, 1500, 3)) > SEEDS / 2


def test_norm_sampling_frobenius_guarantee():
    """||YY^T - XX^T||_F <= eps ||X||_F^2 with probability >= 1 - delta."""
    X = gaussian_matrix(12, 1500, seed=5)
    bound = EPS * np.linalg.norm(X) ** 2
    failures = 0
    for seed in range(SEEDS):
        Y = make_reducer("norm_sampling", seed=seed, eps=EPS, delta=DELTA).fit_transform(X)
        failures += np.linalg.norm(Y @ Y.T - X @ X.T) > bound
    assert failures <= ALLOWED


def test_sampling_is_unbiased():
    """E[YY^T] = XX^T: the mean over seeds converges (CLT slack of 5 standard errors)."""
    X = gaussian_matrix(6, 300, seed=8)
    grams = np.array(
        [
            (Y := make_reducer("norm_sampling", seed=s, n_components=40).fit_transform(X)) @ Y.T
            for s in range(SEEDS)
        ]
    )
    stderr = grams.std(axis=0) / math.sqrt(SEEDS)
    assert np.all(np.abs(grams.mean(axis=0) - X @ X.T) <= 5 * stderr + 1e-15)


# --- Adversarial inputs ---------------------------------------------------------------

ADV_SEEDS, ADV_DELTA, ADV_EPS = 300, 0.01, 0.5
# name: (n, d, families, bound of the failure rate that must be <= delta).  The sampling
# reducers run at d >> their auto draws, so that a sample is a real subset and its
# weights matter; the sketches at n = 6 (their auto m is (n^2 + n)/(delta eps^2) = 16800);
# bss_hybrid at d = 256 (BSS runs on the sampled columns) on the inputs that break a
# sketch, its first stage.
ADV_CASES = {
    "leverage_fast": (8, 8192, list(ADVERSARIAL), "upper"),
    "leverage_exact": (8, 8192, list(ADVERSARIAL), "upper"),
    "countsketch": (6, 512, list(ADVERSARIAL), "lower"),
    "osnap": (6, 512, list(ADVERSARIAL), "lower"),
    "bss_hybrid": (8, 256, ["private_columns", "padded_identity", "nonnegative"], "upper"),
}


def clopper_pearson(failures, trials, confidence=0.95):
    """One-sided (lower, upper) confidence bounds on a binomial rate (Clopper and Pearson
    1934): each holds with probability >= ``confidence``."""
    lower = beta.ppf(1 - confidence, failures, trials - failures + 1) if failures else 0.0
    upper = beta.ppf(confidence, failures + 1, trials - failures) if failures < trials else 1.0
    return float(lower), float(upper)


def test_clopper_pearson_bounds():
    assert clopper_pearson(0, 300)[1] == pytest.approx(1 - 0.05 ** (1 / 300))
    assert clopper_pearson(0, 300)[1] < 0.01 < clopper_pearson(1, 300)[1]
    lower, upper = clopper_pearson(30, 300)
    assert lower < 0.1 < upper and (lower, upper) == pytest.approx((0.0728, 0.1333), abs=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,family", [(name, f) for name, (_, _, families, _) in ADV_CASES.items() for f in families]
)
def test_spectral_guarantee_on_adversarial_inputs(name, family):
    n, d, _, judged_by = ADV_CASES[name]
    X = make(family, n, d, seed=0)
    reference = AttentionReference(X)
    failures = 0
    for seed in range(ADV_SEEDS):
        reducer = make_reducer(name, seed=seed, eps=ADV_EPS, delta=ADV_DELTA)
        Y = reducer.fit_transform(X)
        # bss_hybrid states the product of its two stages' bounds, (1 + eps)(1 + eps_2) - 1.
        stated = getattr(reducer, "eps_", ADV_EPS)
        failures += evaluate(reference, Y, ["spectral_eps"])["spectral_eps"] > stated
    lower, upper = clopper_pearson(failures, ADV_SEEDS)
    assert {"lower": lower, "upper": upper}[judged_by] <= ADV_DELTA, f"{failures} failures"


@pytest.mark.slow
@pytest.mark.parametrize("name,params", [("countsketch", {}), ("osnap", {"s": 4})])
def test_sparse_embeddings_are_unbiased_on_nonnegative_input(name, params):
    """E[S S^T] = I, so E[YY^T] = XX^T even at m = 16: the mean over seeds converges (CLT
    slack of 5 standard errors).  Without random signs E[S S^T] = I + (11^T - I)/m, which
    on nonnegative X adds (X1)(X1)^T/m, about d/m times XX^T's scale."""
    X = make("nonnegative", 6, 300, seed=1)
    grams = np.array([
        (Y := make_reducer(name, seed=s, n_components=16, **params).fit_transform(X)) @ Y.T
        for s in range(ADV_SEEDS)
    ])
    stderr = grams.std(axis=0) / math.sqrt(ADV_SEEDS)
    assert np.all(np.abs(grams.mean(axis=0) - X @ X.T) <= 5 * stderr + 1e-12)
