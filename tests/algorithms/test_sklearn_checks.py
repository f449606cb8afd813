"""scikit-learn's estimator checks for every built-in reducer, through attnbench.contract.

Expected failures are named, with the reason, in
``attnbench.contract.EXPECTED_SKLEARN_FAILURES`` (object dtype is rejected by design);
they are strict xfails.  Every other check must pass (scikit-learn itself skips its
array-API checks unless SCIPY_ARRAY_API is set).
"""

from _support import builtin_reducers
from attnbench.contract import parametrize_with_checks


@parametrize_with_checks(builtin_reducers(), which="sklearn")
def test_sklearn_compatible(reducer, check):
    check(reducer)
