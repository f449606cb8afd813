from numbers import Integral, Real

import numpy as np
import pytest
import scipy.sparse as sp

from attnbench.validation import (
    Interval,
    Options,
    check_matrix,
    check_param,
    check_params,
    check_positive,
    check_random_state,
)


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([[1.0, np.nan]]), ValueError, "X contains NaN or infinity"),
        (np.array([[1.0, np.inf]]), ValueError, "X contains NaN or infinity"),
        (np.ones(5), ValueError, "must be a 2-D array"),
        (np.ones((2, 2, 2)), ValueError, "must be a 2-D array"),
        (np.ones((0, 4)), ValueError, "0 sample"),
        (np.ones((4, 0)), ValueError, "0 feature"),
        (np.ones((2, 3), dtype=complex), ValueError, "Complex data not supported"),
        (np.ones((2, 3), dtype=object), TypeError, "dtype object"),
        (np.array([["a", "b"]]), TypeError, "non-numeric dtype"),
        ("not an array", TypeError, "2-D numeric array"),
        (None, TypeError, "2-D numeric array"),
        (sp.csr_matrix(np.array([[1.0, np.nan]])), ValueError, "NaN"),
        (sp.csr_matrix((0, 3)), ValueError, "0 sample"),
        (sp.csr_matrix(np.ones((2, 2), dtype=complex)), ValueError, "Complex"),
    ],
)
def test_bad_matrices_raise_named_errors(X, error, message):
    with pytest.raises(error, match=message):
        check_matrix(X)


def test_dtypes_and_layouts():
    assert check_matrix(np.ones((2, 3), dtype=np.int64)).dtype == np.float64
    assert check_matrix(np.ones((2, 3), dtype=bool)).dtype == np.float64
    assert check_matrix(np.ones((2, 3), dtype=np.float32)).dtype == np.float32
    assert check_matrix(np.ones((2, 3), np.float32), dtype=np.float64).dtype == np.float64
    F = np.asfortranarray(np.ones((4, 3)))
    assert check_matrix(F) is F  # no copy, layout kept
    assert check_matrix([[1, 2], [3, 4]]).shape == (2, 2)


def test_sparse_formats_kept_or_converted_never_densified():
    for fmt in ("csr", "csc", "coo"):
        assert check_matrix(sp.random(3, 5, density=0.5, format=fmt)).format == fmt
    assert check_matrix(sp.random(3, 5, density=0.5, format="lil")).format == "csr"
    with pytest.raises(TypeError, match="dense array is required"):
        check_matrix(sp.eye(3, format="csr"), accept_sparse=False)


N_COMPONENTS = [Interval(Integral, 0, None, closed="left"), Options("auto")]
OPEN_UNIT = [Interval(Real, 0, 1, closed="neither")]


@pytest.mark.parametrize("value", [-1, -10])
def test_negative_n_components(value):
    with pytest.raises(ValueError, match="n_components must be an int >= 0 or 'auto', got -"):
        check_param(value, "n_components", N_COMPONENTS)


@pytest.mark.parametrize("value", [2.5, True, None, [3]])
def test_non_int_n_components(value):
    with pytest.raises(TypeError, match="n_components must be an int >= 0 or 'auto'"):
        check_param(value, "n_components", N_COMPONENTS)


def test_a_string_that_is_no_option_is_a_value_error():
    with pytest.raises(ValueError, match="n_components must be .* or 'auto', got 'big'"):
        check_param("big", "n_components", N_COMPONENTS)
    with pytest.raises(ValueError, match="mode must be one of 'a', 'b', got 'c'"):
        check_param("c", "mode", [Options("a", "b")])


def test_accepted_values_are_returned_unchanged():
    assert check_param(0, "n_components", N_COMPONENTS) == 0
    assert check_param(np.int64(7), "n_components", N_COMPONENTS) == 7
    assert check_param("auto", "n_components", N_COMPONENTS) == "auto"
    assert check_param(None, "n_components", [N_COMPONENTS[0], None]) is None
    assert check_param(np.float32(0.5), "eps", OPEN_UNIT) == 0.5


@pytest.mark.parametrize("value", [0, 1, -0.5, 1.5, float("nan"), float("inf")])
def test_open_unit_interval(value):
    with pytest.raises(ValueError, match=r"eps must be a real number in \(0, 1\)"):
        check_param(value, "eps", OPEN_UNIT)


@pytest.mark.parametrize("value", ["0.1", None, True])
def test_open_unit_type(value):
    with pytest.raises(TypeError, match="delta must be a real number"):
        check_param(value, "delta", OPEN_UNIT)


def test_interval_descriptions_and_near_misses():
    assert str(Interval(Integral, 1, None, closed="left")) == "an int >= 1"
    assert str(Interval(Real, 0, 1, closed="right")) == "a real number in (0, 1]"
    assert str(Interval(Real, None, 2, closed="neither")) == "a real number < 2"
    assert Interval(Integral, 0, None, closed="left").near_misses() == [-1]
    misses = Interval(Real, 0, 1, closed="right").near_misses()
    assert misses[:2] == [0, 1.5] and np.isnan(misses[2])
    assert Options("a").near_misses() == ["not_an_option"]


def test_check_params_reads_the_declaration():
    declared = {"eps": OPEN_UNIT, "n_components": N_COMPONENTS}
    check_params({"eps": 0.5, "n_components": "auto", "other": object()}, declared)
    with pytest.raises(ValueError, match="n_components"):
        check_params({"eps": 0.5, "n_components": -1}, declared)
    with pytest.raises(TypeError, match="a parameter constraint must be a Constraint"):
        check_param(1, "x", [int])


def test_positive():
    assert check_positive(3, "s", integer=True) == 3
    with pytest.raises(ValueError, match="s must be an int > 0"):
        check_positive(0, "s", integer=True)
    with pytest.raises(TypeError, match="s must be an int"):
        check_positive(1.5, "s", integer=True)


def test_random_state_streams_are_reproducible():
    a = check_random_state(3).standard_normal(5)
    b = check_random_state(3).standard_normal(5)
    assert np.array_equal(a, b)
    g = np.random.default_rng(0)
    assert check_random_state(g) is g
    assert isinstance(check_random_state(np.random.RandomState(0)), np.random.Generator)
    with pytest.raises(ValueError, match="random_state must be None, an int >= 0"):
        check_random_state(-1)
    with pytest.raises(TypeError, match="random_state"):
        check_random_state("seed")
