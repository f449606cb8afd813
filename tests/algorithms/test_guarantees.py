"""Statistical tests of the documented guarantees at n_components="auto".

Each test fits a reducer on 200 seeds and counts failures of the stated bound.  The
bound promises a failure rate of at most delta, so failures ~ Binomial(200, p) with
p <= delta; we allow delta*200 plus three binomial standard deviations,
ceil(200 delta + 3 sqrt(200 delta (1 - delta))) (= 33 at delta = 0.1).  A correct
reducer exceeds that with probability below 0.3%; in practice these bounds are loose
and the failure counts are near 0, so the tests also catch a wrong auto size.
"""

import math

import numpy as np
import pytest

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
