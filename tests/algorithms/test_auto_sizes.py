"""Auto sizes, honestly (base.py, 'Sizes'): every built-in reducer with an
``n_components="auto"`` bound records the size its bound asks for next to the one it
used, warns once when that size reaches d, and then a projection returns X itself while
a sampling reducer keeps its draws."""

import inspect
import warnings

import numpy as np
import pytest

from _support import make_reducer, sparse_matrix
from attnbench.algorithms import AutoSizeWarning, SizedReducer, get_reducer_class, list_reducers


def has_auto_size(name):
    cls = get_reducer_class(name)
    parameter = inspect.signature(cls.__init__).parameters.get("n_components")
    return issubclass(cls, SizedReducer) or (parameter is not None and parameter.default == "auto")


def cases():
    return [name for name in list_reducers(builtin=True) if has_auto_size(name)]


def fit_recording(name, X, **params):
    """(reducer, Y, the AutoSizeWarnings raised by fit_transform)."""
    reducer = make_reducer(name, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Y = reducer.fit_transform(X)
    return reducer, Y, [w for w in caught if issubclass(w.category, AutoSizeWarning)]


def used_size(reducer):
    """The m that the reducer drew: its draws (sampling) or its sketch's columns."""
    return reducer.n_draws_ if reducer.family == "sampling" else reducer.n_components_


def test_sized_reducers_are_found():
    names = cases()
    assert {"gaussian", "srht", "countsketch", "uniform", "leverage_fast", "bss_hybrid"} <= set(
        names
    )
    assert not {"svd", "zero", "identity", "bss"} & set(names)


# n = 4, d = 2^15 with eps = 0.99, delta = 0.5: every bound here asks for m < d.
COMPRESSING = {"eps": 0.99, "delta": 0.5}


@pytest.mark.parametrize("name", cases())
def test_auto_size_is_recorded_and_used_when_it_compresses(name):
    X = sparse_matrix(4, 2**15, 0.01, seed=1)
    reducer, _, caught = fit_recording(name, X, **COMPRESSING)
    auto = reducer.n_components_auto_
    assert type(auto) is int and 0 < auto < X.shape[1]
    assert reducer.auto_reaches_d_ is False and reducer.passthrough_ is False
    assert used_size(reducer) == auto
    assert caught == []


@pytest.mark.parametrize("name", cases())
def test_auto_size_is_recorded_with_an_explicit_size(name):
    X = sparse_matrix(4, 2**15, 0.01, seed=1)
    auto = fit_recording(name, X, **COMPRESSING)[0].n_components_auto_
    reducer, _, caught = fit_recording(name, X, n_components=8, **COMPRESSING)
    assert reducer.n_components_auto_ == auto  # what the bound asks, not what was used
    assert used_size(reducer) == 8 != auto
    assert caught == []


# n = 8, d = 300 with eps = 0.1: every bound here asks for m >= d.
WIDE = {"eps": 0.1}


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("name", cases())
def test_auto_size_reaching_d_warns_once(name, fmt):
    X = sparse_matrix(8, 300, 0.2, seed=2)
    X = X.toarray() if fmt == "dense" else X
    reducer, Y, caught = fit_recording(name, X, **WIDE)
    d = X.shape[1]
    assert reducer.n_components_auto_ >= d and reducer.auto_reaches_d_ is True
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert f"m = {reducer.n_components_auto_} >= d = {d}" in str(caught[0].message)
    dense = X if fmt == "dense" else X.toarray()
    if reducer.family == "projection":
        # X itself: exact, and transform returns any X' likewise.
        assert reducer.passthrough_ is True and reducer.n_components_ == d
        np.testing.assert_array_equal(Y, dense)
        other = sparse_matrix(5, 300, 0.3, seed=3)
        np.testing.assert_array_equal(reducer.transform(other), other.toarray())
    else:
        # The draws are kept: as many as the bound asks, at most d distinct columns.
        assert reducer.passthrough_ is False and reducer.n_draws_ == reducer.n_components_auto_
        assert reducer.n_components_ == reducer.selected_.size <= d
        np.testing.assert_allclose(Y, dense[:, reducer.selected_] * reducer.weights_, rtol=1e-14)


@pytest.mark.parametrize("name", cases())
def test_explicit_size_keeps_its_size_without_warning(name):
    X = sparse_matrix(8, 300, 0.2, seed=2)
    reducer, _, caught = fit_recording(name, X, n_components=8, **WIDE)
    assert reducer.auto_reaches_d_ is True and reducer.passthrough_ is False
    assert used_size(reducer) == 8
    assert caught == []
