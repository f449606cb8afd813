"""The reducer contract of attnbench.contract, rule by rule, over every built-in reducer
(third-party plug-ins installed in the environment are `attnbench check`'s business).

The rules live in one place (``attnbench.contract``), the same battery that
``attnbench check`` runs on a third-party plug-in, so the two cannot drift;
tests/harness/contract/test_checks.py shows that each rule fails on a reducer that breaks it.
"""

import numpy as np
import pytest

from _support import gaussian_matrix
from attnbench.algorithms import list_reducers
from attnbench.contract import parametrize_with_checks

# Built-in reducers that break a rule today, with the reason: strict xfails, so a fix
# turns them red until the entry is removed.  {reducer name: {rule id: why}}
KNOWN_FAILURES = {}


@parametrize_with_checks(
    list_reducers(builtin=True),
    which="contract",
    expected_failures=lambda reducer: KNOWN_FAILURES.get(reducer.name, {}),
)
def test_contract(reducer, check):
    check(reducer)


def test_gaussian_matrix_helper_is_scaled():
    X = gaussian_matrix(5, 50, r=0.07)
    assert np.abs(X @ X.T).max() == pytest.approx(0.07, rel=1e-12)
