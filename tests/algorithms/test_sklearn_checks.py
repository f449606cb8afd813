"""scikit-learn's estimator checks for every built-in reducer.

Expected failures are named here with the reason; every other check must pass
(scikit-learn itself skips its array-API checks unless SCIPY_ARRAY_API is set).
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from _support import builtin_reducers, make_reducer

EXPECTED_FAILURES = {
    # Our one validation helper rejects object arrays with a TypeError (the contract
    # of issue 2), while scikit-learn expects object arrays of numbers to be accepted.
    "check_dtype_object": "object dtype is rejected by design (attnbench.validation)",
}


@parametrize_with_checks(
    [make_reducer(name) for name in builtin_reducers()],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
