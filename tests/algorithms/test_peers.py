"""Peer adapters: other libraries' implementations behind the reducer contract."""

import numpy as np
import pytest
from scipy.linalg import clarkson_woodruff_transform
from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

from _matrices import layouts, make, one_blas_thread  # noqa: F401
from attnbench.algorithms import get_reducer, get_reducer_class


def library_call(name, X, m, seed):
    """What the peer promises to compute: the library itself, with the peer's seed."""
    if name == "peer_sklearn_gaussian":
        return GaussianRandomProjection(m, random_state=seed).fit_transform(X)
    if name == "peer_sklearn_sparse":
        return SparseRandomProjection(m, dense_output=True, random_state=seed).fit_transform(X)
    return clarkson_woodruff_transform(X.T, m, rng=np.random.default_rng(seed)).T


PEERS = {
    "peer_sklearn_gaussian": ("gaussian", "dense_projection"),
    "peer_sklearn_sparse": ("sparse_sign", "dense_projection"),
    "peer_scipy_cwt": ("countsketch", "input_sparsity"),
}


@pytest.mark.parametrize("name", PEERS)
def test_peer_is_the_library_call(name):
    X = make("gaussian", 7, 400, seed=0)
    reducer = get_reducer(name, n_components=30, random_state=1)
    Y = reducer.fit_transform(X)
    assert Y.dtype == np.float64 and Y.shape == (7, 30)
    np.testing.assert_array_equal(Y, library_call(name, X, 30, reducer.seed_))
    np.testing.assert_array_equal(Y, reducer.transform(X))  # the same map on every call


@pytest.mark.parametrize("name", PEERS)
def test_peer_seeds_layouts_and_dtypes(name):
    X = make("sparse", 6, 300, seed=2, density=0.2)
    outputs = {k: get_reducer(name, n_components=25, random_state=3).fit_transform(Xk)
               for k, Xk in layouts(X).items()}
    for Y in outputs.values():
        np.testing.assert_allclose(Y, outputs["C"], rtol=1e-12, atol=1e-12)
    again = get_reducer(name, n_components=25, random_state=3).fit_transform(X)
    assert np.array_equal(again, outputs["csr"])
    other = get_reducer(name, n_components=25, random_state=4).fit_transform(X)
    assert not np.allclose(other, again)
    single = get_reducer(name, n_components=25, random_state=3).fit_transform(
        X.toarray().astype(np.float32))
    assert single.dtype == np.float64
    np.testing.assert_allclose(single, outputs["C"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", PEERS)
def test_peer_sizes_and_registry(name):
    ours, cost_model = PEERS[name]
    X = make("gaussian", 5, 200, seed=4)
    auto = get_reducer(name, random_state=0).fit(X)
    assert auto.n_components_ == get_reducer(ours, random_state=0).fit(X).n_components_
    assert get_reducer(name, n_components=0, random_state=0).fit_transform(X).shape == (5, 0)
    cls = get_reducer_class(name)
    assert (cls.family, cls.cost_model, cls.deterministic) == ("projection", cost_model, False)
