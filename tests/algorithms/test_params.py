"""Declared parameters: every constructor parameter of every built-in reducer has declared
constraints (``_parameter_constraints``), and fit rejects each bad value generated from
the declaration with a ValueError or TypeError whose message names the parameter and what
it must be.  tests/harness/test_testing.py shows the contract's rules fail on reducers
that skip a check or leave a parameter undeclared."""

import pytest

from _support import gaussian_matrix
from attnbench.algorithms import get_reducer_class, list_reducers
from attnbench.contract.params import bad_values, declaration_problems, declared_params

REDUCERS = list_reducers(calibration=True, builtin=True)


def cases():
    for name in REDUCERS:
        for param, constraints in declared_params(get_reducer_class(name)).items():
            for value, error in bad_values(constraints):
                yield pytest.param(name, param, value, error, id=f"{name}-{param}={value!r}")


@pytest.mark.parametrize("name", REDUCERS)
def test_every_parameter_is_declared(name):
    assert declaration_problems(get_reducer_class(name)) == []


def test_the_parameters_beyond_the_sizes_are_declared():
    declared = {name: set(declared_params(get_reducer_class(name))) for name in REDUCERS}
    assert {"eps", "b", "candidates"} == declared["bss"]
    assert {"sketch_components", "jl_components", "sketch_nnz"} <= declared["leverage_fast"]
    assert {"b", "first_stage"} <= declared["bss_hybrid"]
    assert "precision" in declared["gaussian"] and "s" in declared["osnap"]
    assert "density" in declared["sparse_sign"] & declared["peer_sklearn_sparse"]
    assert declared["zero"] == declared["identity"] == set()


@pytest.mark.parametrize("name, param, value, error", cases())
def test_a_bad_value_is_rejected_naming_the_parameter(name, param, value, error):
    reducer = get_reducer_class(name)().set_params(**{param: value})
    with pytest.raises(error, match=rf"^{param} must be .+, got "):
        reducer.fit(gaussian_matrix(4, 50))


def test_every_declared_parameter_gets_values_of_both_errors():
    """Each declaration yields a value of no declared type (TypeError) and one of a
    declared type that no constraint admits (ValueError)."""
    for name in REDUCERS:
        for param, constraints in declared_params(get_reducer_class(name)).items():
            errors = {error for _, error in bad_values(constraints)}
            assert TypeError in errors, (name, param)
            assert ValueError in errors, (name, param)
