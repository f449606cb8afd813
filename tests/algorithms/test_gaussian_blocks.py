"""gaussian: S regenerated in row blocks from a key (counter-based normals)."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from _matrices import layouts, make, one_blas_thread  # noqa: F401
from attnbench.algorithms import gaussian as gaussian_module
from attnbench.algorithms import get_reducer
from attnbench.algorithms.gaussian import gordon_n_components
from attnbench.metrics import AttentionReference, evaluate


def relative_error(Y, reference):
    return np.linalg.norm(Y - reference) / np.linalg.norm(reference)


def test_Y_is_X_times_components_in_float64():
    X = make("gaussian", 10, 3000, seed=0)
    reducer = get_reducer("gaussian", n_components=33, random_state=1).fit(X)
    S = reducer.components_
    assert S.shape == (3000, 33) and S.dtype == np.float64
    assert abs(S.std() * np.sqrt(33) - 1) < 0.05  # entries N(0, 1/m)
    assert relative_error(reducer.transform(X), X @ S) < 1e-13


def test_layouts_and_seeds():
    X = make("sparse", 9, 2500, seed=2)
    outputs = {k: get_reducer("gaussian", n_components=40, random_state=3).fit_transform(Xk)
               for k, Xk in layouts(X).items()}
    # Dense C and F make the same block copies, hence the same DGEMM calls.
    assert np.array_equal(outputs["C"], outputs["F"])
    for name in ("csr", "csc", "coo"):  # multiplied sparsely in float64: the 1e-10 contract
        assert relative_error(outputs[name], outputs["C"]) < 1e-10
    again = get_reducer("gaussian", n_components=40, random_state=3).fit_transform(X)
    assert np.array_equal(again, outputs["csr"])
    other = get_reducer("gaussian", n_components=40, random_state=4).fit_transform(X)
    assert relative_error(other, outputs["csr"]) > 0.5


def test_single_precision_products():
    X = make("sparse", 9, 2500, seed=2)
    double = get_reducer("gaussian", n_components=40, random_state=3).fit_transform(X.toarray())
    single = {k: get_reducer("gaussian", n_components=40, precision="single", random_state=3)
              .fit_transform(Xk) for k, Xk in layouts(X).items()}
    assert single["C"].dtype == np.float64
    assert np.array_equal(single["C"], single["F"])
    assert 0 < relative_error(single["C"], double) < 1e-6  # SGEMM: float32 rounding only
    # Sparse input is multiplied sparsely in float64 whatever the precision.
    sparse_double = get_reducer("gaussian", n_components=40, random_state=3).fit_transform(X)
    np.testing.assert_array_equal(single["csr"], sparse_double)
    with pytest.raises(ValueError, match="precision"):
        get_reducer("gaussian", precision="half").fit(X)


def test_block_size_changes_only_rounding(monkeypatch):
    X = make("gaussian", 5, 1000, seed=4)
    whole = get_reducer("gaussian", n_components=17, random_state=5).fit_transform(X)
    monkeypatch.setattr(gaussian_module, "BLOCK_ENTRIES", 17 * 3)  # blocks of 3 rows of S
    blocked = get_reducer("gaussian", n_components=17, random_state=5).fit_transform(X)
    assert relative_error(blocked, whole) < 1e-6


@pytest.mark.slow
def test_auto_size_gives_the_gordon_guarantee():
    # (1 +- eps) w.p. >= 1 - delta = 0.9: failures over 100 seeds are at most
    # Binomial(100, 0.1), mean 10, sd 3; more than 19 has probability below 0.3%.
    X = make("lowrank", 8, 1024, seed=6)
    reference = AttentionReference(X)
    failures = 0
    for seed in range(100):
        reducer = get_reducer("gaussian", eps=0.5, delta=0.1, random_state=seed)
        Y = reducer.fit_transform(X)
        assert Y.shape == (8, gordon_n_components(8, 0.5, 0.1))
        failures += evaluate(reference, Y, ["spectral_eps"])["spectral_eps"] > 0.5
    assert failures <= 19


def test_edge_cases():
    X = make("gaussian", 4, 50, seed=7)
    assert get_reducer("gaussian", n_components=0, random_state=0).fit_transform(X).shape == (4, 0)
    Y = get_reducer("gaussian", n_components=5, random_state=0).fit_transform(X.astype(np.float32))
    assert Y.dtype == np.float64 and Y.shape == (4, 5)
    with pytest.raises(NotFittedError):
        _ = get_reducer("gaussian").components_
