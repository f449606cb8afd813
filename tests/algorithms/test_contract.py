"""The generic contract battery, run over every registered reducer."""

import numpy as np
import pytest
import scipy.sparse as sp

from _support import gaussian_matrix, make_reducer, sparse_matrix
from attnbench.algorithms import get_reducer_class, list_reducers
from attnbench.algorithms.base import FAMILIES
from attnbench.cost_models import COST_MODELS

REDUCERS = list_reducers()


def params_of(name):
    return get_reducer_class(name)._get_param_names()


@pytest.mark.parametrize("name", REDUCERS)
def test_declares_contract_attributes(name):
    cls = get_reducer_class(name)
    assert cls.name == name
    assert cls.family in FAMILIES
    assert isinstance(cls.deterministic, bool)
    assert cls.cost_model in COST_MODELS
    assert cls.__doc__ or __import__(cls.__module__).__doc__


@pytest.mark.parametrize("name", REDUCERS)
def test_shapes_dtype_and_transform_agree(name, X_small):
    reducer = make_reducer(name)
    Y = reducer.fit_transform(X_small)
    assert isinstance(Y, np.ndarray) and Y.dtype == np.float64
    assert Y.shape == (X_small.shape[0], reducer.n_components_)
    assert np.all(np.isfinite(Y))
    assert reducer.n_features_in_ == X_small.shape[1]
    np.testing.assert_array_equal(reducer.transform(X_small), Y)


@pytest.mark.parametrize("name", REDUCERS)
def test_same_random_state_gives_bitwise_same_y(name, X_small):
    a = make_reducer(name, seed=7).fit_transform(X_small)
    b = make_reducer(name, seed=7).fit_transform(X_small)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", REDUCERS)
def test_dense_and_sparse_inputs_agree(name):
    X = sparse_matrix(8, 400, 0.1, seed=2)
    dense = make_reducer(name).fit_transform(X.toarray())
    for fmt in ("csr", "csc", "coo"):
        Y = make_reducer(name).fit_transform(X.asformat(fmt))
        np.testing.assert_allclose(Y, dense, rtol=0, atol=1e-10, err_msg=fmt)
    F = make_reducer(name).fit_transform(np.asfortranarray(X.toarray()))
    np.testing.assert_allclose(F, dense, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", REDUCERS)
def test_integer_and_float32_input(name):
    X = np.random.default_rng(3).integers(-2, 3, size=(6, 200))
    Y_int = make_reducer(name).fit_transform(X)
    Y_float = make_reducer(name).fit_transform(X.astype(np.float64))
    np.testing.assert_allclose(Y_int, Y_float, rtol=1e-12, atol=1e-12)
    Y32 = make_reducer(name).fit_transform(X.astype(np.float32))
    assert Y32.dtype == np.float64 and np.all(np.isfinite(Y32))


BAD_INPUTS = {
    "nan": (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "NaN"),
    "inf": (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "infinity"),
    "1-D": (np.ones(5), ValueError, "2-D"),
    "3-D": (np.ones((2, 2, 2)), ValueError, "2-D"),
    "no rows": (np.ones((0, 5)), ValueError, "0 sample"),
    "no columns": (np.ones((5, 0)), ValueError, "0 feature"),
    "complex": (np.ones((3, 4), dtype=complex), ValueError, "Complex"),
    "object": (np.ones((3, 4), dtype=object), TypeError, "dtype object"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("name", REDUCERS)
def test_bad_input_raises_clear_error(name, case):
    X, error, message = BAD_INPUTS[case]
    with pytest.raises(error, match=message):
        make_reducer(name).fit(X)


BAD_PARAMS = [
    ("n_components", -1, ValueError, "n_components must be >= 0"),
    ("n_components", 2.5, TypeError, "n_components must be a non-negative int"),
    ("n_components", "many", TypeError, "n_components must be a non-negative int"),
    ("eps", 0.0, ValueError, "eps must lie in the open interval"),
    ("eps", 1.0, ValueError, "eps must lie in the open interval"),
    ("eps", -0.1, ValueError, "eps must lie in the open interval"),
    ("delta", 1.5, ValueError, "delta must lie in the open interval"),
    ("delta", 0, ValueError, "delta must lie in the open interval"),
    ("delta", "0.1", TypeError, "delta must be a real number"),
]


@pytest.mark.parametrize(
    "name, param, value, error, message",
    [(name, *case) for name in REDUCERS for case in BAD_PARAMS if case[0] in params_of(name)],
)
def test_bad_parameters_raise_clear_error(name, param, value, error, message, X_small):
    with pytest.raises(error, match=message):
        make_reducer(name, **{param: value}).fit(X_small)


@pytest.mark.parametrize("name", REDUCERS)
def test_transform_checks_feature_count(name, X_small):
    reducer = make_reducer(name).fit(X_small)
    with pytest.raises(ValueError, match="features"):
        reducer.transform(X_small[:, :-1])


@pytest.mark.parametrize("name", [n for n in REDUCERS if get_reducer_class(n).family == "sampling"])
def test_sampling_reducers_expose_selection(name, X_small):
    reducer = make_reducer(name).fit(X_small)
    sel, w = reducer.selected_, reducer.weights_
    assert sel.dtype.kind == "i" and np.all(np.diff(sel) > 0)  # sorted, no duplicates
    assert sel.size == w.size == reducer.n_components_ and np.all(w > 0)
    np.testing.assert_allclose(reducer.transform(X_small), X_small[:, sel] * w, rtol=1e-14)


@pytest.mark.parametrize("name", [n for n in REDUCERS if get_reducer_class(n).input_sparsity_time])
def test_input_sparsity_reducers_never_densify(name):
    """Peak memory stays far below the dense size of X (here 512 MB)."""
    import tracemalloc

    X = sparse_matrix(64, 1_000_000, 5e-6, seed=4)
    dense_bytes = 8 * X.shape[0] * X.shape[1]
    tracemalloc.start()
    try:
        make_reducer(name, n_components=64).fit_transform(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < dense_bytes / 4


def test_zero_rows_columns_and_all_zero_matrix():
    X = np.zeros((4, 50))
    for name in REDUCERS:
        Y = make_reducer(name).fit_transform(X)
        assert np.all(Y == 0), name
    X = sp.csr_matrix((4, 50))
    assert make_reducer("uniform").fit_transform(X).shape[0] == 4


def test_random_reducers_depend_on_seed(X_small):
    for name in REDUCERS:
        if get_reducer_class(name).deterministic or "n_components" not in params_of(name):
            continue
        a = make_reducer(name, seed=1, n_components=5).fit_transform(X_small)
        b = make_reducer(name, seed=2, n_components=5).fit_transform(X_small)
        assert a.shape != b.shape or not np.array_equal(a, b), name


def test_gaussian_matrix_helper_is_scaled():
    X = gaussian_matrix(5, 50, r=0.07)
    assert np.abs(X @ X.T).max() == pytest.approx(0.07, rel=1e-12)
