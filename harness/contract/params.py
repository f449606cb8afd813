"""The reducer contract's view of declared parameters: what a reducer declares, what its
declaration lacks, and the bad values that the declaration excludes.

A reducer declares ``_parameter_constraints``, {parameter: [constraint, ...]}, with the
constraints of :mod:`attnbench.validation` (``Interval``, ``Options``, ``RandomState``,
``None`` or any :class:`~attnbench.validation.Constraint`).  The contract's rules
``params_declared`` and ``bad_params:<parameter>`` (:mod:`attnbench.contract.checks`) are built
from the functions here: bad values are generated from each declaration, never written
by hand, so every declared parameter of every reducer is tried.
"""

from __future__ import annotations

import numbers

from attnbench.validation import Constraint, Interval, as_constraint


class BadType:
    """A value of no type that any declaration admits (scikit-learn's ``BadType``)."""

    def __repr__(self):
        return "BadType()"


def constructor_params(reducer):
    """The names of a reducer's constructor parameters (scikit-learn's get_params)."""
    cls = reducer if isinstance(reducer, type) else type(reducer)
    return list(cls._get_param_names()) if hasattr(cls, "_get_param_names") else []


def declared_params(reducer):
    """{parameter: [Constraint, ...]} as declared by the reducer (None as NoneValue); an
    entry that is not a list of constraints is left out (see :func:`declaration_problems`)."""
    declared = getattr(reducer, "_parameter_constraints", None) or {}
    result = {}
    for name, items in declared.items():
        try:
            result[name] = [as_constraint(item) for item in items]
        except TypeError:
            continue
    return result


def declaration_problems(reducer):
    """What is wrong with a reducer's declaration, as sentences (empty: nothing)."""
    declared = getattr(reducer, "_parameter_constraints", None)
    if not isinstance(declared, dict):
        return [f"_parameter_constraints = {declared!r} is not a dict"]
    params = constructor_params(reducer)
    problems = [
        f"parameter {name!r} has no declared constraints in _parameter_constraints"
        for name in params
        if name not in declared
    ]
    problems += [
        f"_parameter_constraints declares {name!r}, which is not a constructor parameter"
        for name in declared
        if name not in params
    ]
    for name, items in declared.items():
        if not isinstance(items, list | tuple) or not items:
            problems.append(f"the constraints of {name!r} are {items!r}, not a non-empty list")
        elif not all(item is None or isinstance(item, Constraint) for item in items):
            problems.append(
                f"the constraints of {name!r} are {items!r}; each must be a Constraint of "
                "attnbench.validation or None"
            )
    return problems


def expected_error(value, constraints):
    """The error a value must raise: ValueError when it has a declared type, else TypeError."""
    return ValueError if any(c.same_kind(value) for c in constraints) else TypeError


def bad_values(constraints):
    """[(value, error)]: values that no constraint in the list accepts, with the error that
    each must raise: one of no declared type, each constraint's near misses, and for an
    int a float and a bool."""
    candidates = [BadType()]
    for constraint in constraints:
        candidates += constraint.near_misses()
        if isinstance(constraint, Interval) and constraint.kind is numbers.Integral:
            candidates += [2.5, True]
    values, seen = [], set()
    for value in candidates:
        key = repr(value)
        if key in seen or any(c.accepts(value) for c in constraints):
            continue
        seen.add(key)
        values.append((value, expected_error(value, constraints)))
    return values
