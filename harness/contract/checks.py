"""The reducer contract as a library: every rule a reducer must honour, runnable anywhere.

``check_reducer(reducer)`` runs the battery on a reducer (a class, an instance, a
registered or entry-point name, ``file.py`` or ``file.py:name``) and returns a
:class:`ContractReport`: one :class:`RuleResult` per rule (``passed``, ``failed``,
``skipped`` or ``xfail``) with a reason that names what was observed.  The same checks
drive a reducer author's own pytest, as scikit-learn's ``parametrize_with_checks`` does::

    from attnbench.contract import parametrize_with_checks

    @parametrize_with_checks([MyReducer()])
    def test_contract(reducer, check):
        check(reducer)

The rules (ids as reported): ``attributes`` and ``docstring`` (the declarations of
:mod:`attnbench.algorithms.base`); ``bad_input:<case>`` (clear errors from
:mod:`attnbench.validation`, never a deep NumPy traceback); ``params_declared`` and
``bad_params:<parameter>``, one per declared parameter (bad values generated from the
reducer's ``_parameter_constraints``: :mod:`attnbench.contract.params`); ``output``
(Y is an n x n_components_ finite float64 ndarray); ``input_dtypes``; ``formats_agree``
(dense C and F, CSR, CSC, COO to 1e-10); ``seeded_determinism`` (bitwise);
``seed_dependence`` (the ``deterministic`` flag is true); ``fit_then_transform``;
``transform_feature_count``; ``no_mutation``; ``input_sparsity`` (a reducer that claims
``input_sparsity_time`` never allocates the dense size of X); ``n_components`` (0, 1, an
int, "auto"); ``sampling_selection``; ``all_zero_input``; and ``sklearn:<check>``, each of
scikit-learn's estimator checks.  Object arrays are rejected by design, so scikit-learn's
``check_dtype_object`` is an expected failure.
"""

from __future__ import annotations

import re
import sys
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.estimator_checks import estimator_checks_generator

from attnbench import algorithms
from attnbench.algorithms.base import FAMILIES, Reducer
from attnbench.contract.params import (
    bad_values,
    constructor_params,
    declaration_problems,
    declared_params,
)
from attnbench.contract.results import (
    FAILED,
    Check,
    ContractReport,
    RuleFailure,
    RuleResult,
    RuleSkipped,
    run_check,
)
from attnbench.cost_models import COST_MODELS
from attnbench.datasets.generate import scale_to_r

# scikit-learn checks that attnbench reducers fail on purpose: {check name: why}.
EXPECTED_SKLEARN_FAILURES = {
    "check_dtype_object": "object dtype is rejected by design (attnbench.validation)",
}

# Dense and sparse agreement, as in the reducers' docstrings: rounding only.
FORMAT_ATOL = 1e-10
# The test matrices sit in the paper's regime, ||XX^T||_inf = R.
R = 0.05


# --------------------------------------------------------------------------- inputs


def _lookup(reducer):
    """A class or instance: a name or ``file.py[:name]`` is resolved by the registry
    (:func:`attnbench.algorithms.resolve`, loading the file); classes and instances pass
    through."""
    if isinstance(reducer, str):
        return algorithms.get_reducer_class(algorithms.resolve(reducer)[0])
    return reducer


def prototype(reducer):
    """The instance the battery clones, with random_state=0 where it takes one and has none."""
    reducer = _lookup(reducer)
    if isinstance(reducer, type):
        reducer = reducer()
    if _has_param(reducer, "random_state") and reducer.get_params()["random_state"] is None:
        reducer = clone(reducer).set_params(random_state=0)
    return reducer


def reducer_label(reducer):
    cls = reducer if isinstance(reducer, type) else type(reducer)
    return getattr(cls, "name", "") or cls.__name__


def _has_param(reducer, param):
    return hasattr(reducer, "get_params") and param in reducer.get_params(deep=False)


CONTRACT_SIZE = 5  # columns kept by reducers whose size is "auto", in every rule but n_components


def _fresh(proto, **params):
    """A clone of the prototype with ``params`` set.  An "auto" size becomes
    CONTRACT_SIZE: on the small test matrices an auto size can reach d, where a projection
    returns X itself and its sketch would go unchecked (the n_components rule checks
    "auto" itself)."""
    if proto.get_params().get("n_components") == "auto":
        params = {"n_components": CONTRACT_SIZE, **params}
    return clone(proto).set_params(**params)


def gaussian_X(n=8, d=300, seed=1):
    return scale_to_r(np.random.default_rng(seed).standard_normal((n, d)), R)


def sparse_X(n, d, density, seed):
    rng = np.random.default_rng(seed)
    X = sp.random(
        n, d, density=density, format="csr", random_state=rng, data_rvs=rng.standard_normal
    )
    return scale_to_r(X, R)


# --------------------------------------------------------------------------- assertions


def _fail(message):
    raise RuleFailure(message)


def _expect_error(call, error, pattern, what):
    """``call()`` must raise ``error`` (a class or a tuple) with a message matching ``pattern``."""
    names = " or ".join(e.__name__ for e in (error if isinstance(error, tuple) else (error,)))
    expected = f"expected {names} matching {pattern!r}"
    try:
        call()
    except error as exc:
        if not re.search(pattern, str(exc)):
            _fail(f"{what} raised {type(exc).__name__}({str(exc)!r}); {expected}")
        return
    except Exception as exc:  # noqa: BLE001 -- the wrong error is the observation
        _fail(f"{what} raised {type(exc).__name__}({str(exc)!r}); {expected}")
    _fail(f"{what} raised no error; {expected}")


def _same(a, b, what, atol=0.0):
    """Equal shapes and entries within ``atol`` (0: bitwise)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        _fail(f"{what}: shapes {a.shape} and {b.shape} differ")
    if not (np.array_equal(a, b) if atol == 0 else np.allclose(a, b, rtol=0, atol=atol)):
        gap = float(np.max(np.abs(a - b))) if a.size else 0.0
        bound = "bitwise" if atol == 0 else f"to {atol:g}"
        _fail(f"{what}: not equal {bound}, max |difference| = {gap:.3g}")


def _arrays_of(X):
    """The arrays that hold X's values and structure (to detect mutation)."""
    if not sp.issparse(X):
        return (X,)
    if X.format == "coo":
        return X.data, X.row, X.col
    return X.data, X.indices, X.indptr


# --------------------------------------------------------------------------- rules

RULES: dict[str, Callable] = {}


def _rule(rule_id):
    def decorate(fn):
        RULES[rule_id] = fn
        return fn

    return decorate


@_rule("attributes")
def check_attributes(proto):
    """Declares name, family, deterministic, cost_model, input_sparsity_time correctly."""
    cls = type(proto)
    problems = []
    if not issubclass(cls, Reducer):
        problems.append("is not a subclass of attnbench.algorithms.Reducer")
    if not (isinstance(getattr(cls, "name", None), str) and cls.name):
        problems.append(f"name = {getattr(cls, 'name', None)!r} is not a non-empty string")
    if getattr(cls, "family", None) not in FAMILIES:
        problems.append(f"family = {getattr(cls, 'family', None)!r} is not one of {FAMILIES}")
    if not isinstance(getattr(cls, "deterministic", None), bool):
        problems.append(f"deterministic = {getattr(cls, 'deterministic', None)!r} is not a bool")
    elif not cls.deterministic and not _has_param(proto, "random_state"):
        problems.append("deterministic = False but there is no random_state parameter")
    if getattr(cls, "cost_model", None) not in COST_MODELS:
        problems.append(
            f"cost_model = {getattr(cls, 'cost_model', None)!r} is not one of "
            f"{sorted(COST_MODELS)} (attnbench.cost_models)"
        )
    if not isinstance(getattr(cls, "input_sparsity_time", None), bool):
        problems.append("input_sparsity_time is not a bool")
    if problems:
        _fail("; ".join(problems))


@_rule("docstring")
def check_docstring(proto):
    """The class or its module states the math (shapes, guarantee, cost, source)."""
    cls = type(proto)
    module = sys.modules.get(cls.__module__)
    if not ((cls.__doc__ or "").strip() or (getattr(module, "__doc__", None) or "").strip()):
        _fail(f"neither class {cls.__qualname__} nor module {cls.__module__} has a docstring")


def _nan_csr():
    X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0]]))
    X.data[0] = np.nan
    return X


# case: (a function making the bad X, the error, a pattern its message must match)
BAD_INPUTS = {
    "nan": (lambda: np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "NaN"),
    "inf": (lambda: np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "infinity"),
    "nan_sparse": (_nan_csr, ValueError, "NaN"),
    "1-D": (lambda: np.ones(5), ValueError, "2-D"),
    "3-D": (lambda: np.ones((2, 2, 2)), ValueError, "2-D"),
    "no_rows": (lambda: np.ones((0, 5)), ValueError, "0 sample"),
    "no_columns": (lambda: np.ones((5, 0)), ValueError, "0 feature"),
    "complex": (lambda: np.ones((3, 4), dtype=complex), ValueError, "Complex"),
    "object": (lambda: np.ones((3, 4), dtype=object), TypeError, "dtype object"),
    "strings": (lambda: np.array([["a", "b"], ["c", "d"]]), TypeError, "numeric"),
}


def check_bad_input(proto, case):
    """fit and fit_transform reject a bad X with a clear error, before any work."""
    make, error, pattern = BAD_INPUTS[case]
    _expect_error(lambda: _fresh(proto).fit(make()), error, pattern, f"fit(X {case})")
    _expect_error(
        lambda: _fresh(proto).fit_transform(make()), error, pattern, f"fit_transform(X {case})"
    )


RULES.update({f"bad_input:{case}": partial(check_bad_input, case=case) for case in BAD_INPUTS})


def _supports_auto(proto):
    return (
        proto.get_params()["n_components"] == "auto"
        or type(proto)._auto_n_components is not Reducer._auto_n_components
    )


@_rule("params_declared")
def check_params_declared(proto):
    """``_parameter_constraints`` declares every constructor parameter, and nothing else,
    each with a list of constraints (attnbench.validation)."""
    problems = declaration_problems(proto)
    if problems:
        _fail("; ".join(problems))


def check_bad_params(proto, param):
    """fit rejects each value that the parameter's declaration excludes (generated from
    it: contract.params.bad_values) with a ValueError (a declared type) or a TypeError
    (no declared type) whose message names the parameter."""
    X = gaussian_X()
    for value, error in bad_values(declared_params(proto)[param]):
        _expect_error(
            partial(_fresh(proto, **{param: value}).fit, X),
            error,
            re.escape(param),
            f"fit with {param}={value!r}",
        )


def param_checks(proto):
    """The ``bad_params:<parameter>`` rules, one per declared constructor parameter."""
    params = set(constructor_params(proto))
    return [
        Check(f"bad_params:{param}", partial(check_bad_params, param=param))
        for param in declared_params(proto)
        if param in params
    ]


def _check_output(reducer, Y, X, what):
    if type(Y) is not np.ndarray:
        _fail(f"{what} returned {type(Y).__name__}, not a numpy.ndarray")
    if Y.dtype != np.float64:
        _fail(f"{what} returned dtype {Y.dtype}, not float64")
    m = getattr(reducer, "n_components_", None)
    if not isinstance(m, (int, np.integer)) or m < 0:
        _fail(f"n_components_ = {m!r} after fit is not a non-negative int")
    if Y.shape != (X.shape[0], m):
        _fail(f"{what} returned shape {Y.shape}, expected (n, n_components_) = {(X.shape[0], m)}")
    if not np.all(np.isfinite(Y)):
        _fail(f"{what} returned {int(np.sum(~np.isfinite(Y)))} non-finite entries")


@_rule("output")
def check_output(proto):
    """fit_transform and transform return a finite float64 ndarray of shape (n, n_components_)."""
    X = gaussian_X()
    reducer = _fresh(proto)
    _check_output(reducer, reducer.fit_transform(X), X, "fit_transform")
    _check_output(reducer, reducer.transform(X), X, "transform")
    if getattr(reducer, "n_features_in_", None) != X.shape[1]:
        _fail(
            f"n_features_in_ = {getattr(reducer, 'n_features_in_', None)!r}, not d = {X.shape[1]}"
        )


@_rule("input_dtypes")
def check_input_dtypes(proto):
    """Integer X gives the float64 result; float32 X gives finite float64 output."""
    X = np.random.default_rng(3).integers(-2, 3, size=(6, 200))
    Y_int = _fresh(proto).fit_transform(X)
    Y_float = _fresh(proto).fit_transform(X.astype(np.float64))
    if Y_int.shape != Y_float.shape or not np.allclose(Y_int, Y_float, rtol=1e-12, atol=1e-12):
        _same(Y_int, Y_float, "integer X against the same X as float64", atol=1e-12)
    Y32 = _fresh(proto).fit_transform(X.astype(np.float32))
    if Y32.dtype != np.float64 or not np.all(np.isfinite(Y32)):
        _fail(f"float32 X gave dtype {Y32.dtype}, finite: {bool(np.all(np.isfinite(Y32)))}")


@_rule("formats_agree")
def check_formats_agree(proto):
    """Dense C, dense F, CSR, CSC and COO input give the same Y to 1e-10."""
    X = sparse_X(8, 400, 0.1, seed=2)
    dense = _fresh(proto).fit_transform(X.toarray())
    for label, variant in (
        ("Fortran-order", np.asfortranarray(X.toarray())),
        ("CSR", X.tocsr()),
        ("CSC", X.tocsc()),
        ("COO", X.tocoo()),
    ):
        Y = _fresh(proto).fit_transform(variant)
        _same(Y, dense, f"{label} input against dense C input", atol=FORMAT_ATOL)


@_rule("seeded_determinism")
def check_seeded_determinism(proto):
    """Equal random_state gives bitwise equal Y (dense and CSR), also on refit."""
    seed = {"random_state": 7} if _has_param(proto, "random_state") else {}
    for label, X in (("dense", gaussian_X()), ("CSR", sparse_X(8, 400, 0.1, seed=2))):
        first = _fresh(proto, **seed)
        a = first.fit_transform(X)
        _same(_fresh(proto, **seed).fit_transform(X), a, f"two fits with equal seeds ({label})")
        _same(first.fit_transform(X), a, f"a refit of the same instance ({label})")


@_rule("seed_dependence")
def check_seed_dependence(proto):
    """The ``deterministic`` flag is true: a randomized reducer's Y changes with the seed,
    a deterministic one's does not."""
    if not _has_param(proto, "random_state"):
        raise RuleSkipped("no random_state parameter")
    size = {"n_components": 5} if _has_param(proto, "n_components") else {}
    X = gaussian_X()
    a = _fresh(proto, random_state=1, **size).fit_transform(X)
    b = _fresh(proto, random_state=2, **size).fit_transform(X)
    same = a.shape == b.shape and np.array_equal(a, b)
    if type(proto).deterministic and not same:
        _fail("declares deterministic = True, but random_state 1 and 2 give different Y")
    if not type(proto).deterministic and same:
        _fail("declares deterministic = False, but random_state 1 and 2 give bitwise the same Y")


@_rule("fit_then_transform")
def check_fit_then_transform(proto):
    """fit(X).transform(X) equals fit_transform(X) bitwise, and so does a second transform."""
    for label, X in (("dense", gaussian_X()), ("CSR", sparse_X(8, 400, 0.1, seed=2))):
        reducer = _fresh(proto)
        Y = reducer.fit_transform(X)
        _same(
            _fresh(proto).fit(X).transform(X),
            Y,
            f"fit(X).transform(X) vs fit_transform(X) ({label})",
        )
        _same(reducer.transform(X), Y, f"transform(X) after fit_transform(X) ({label})")


@_rule("transform_feature_count")
def check_transform_feature_count(proto):
    """transform rejects X whose d differs from the one seen in fit."""
    X = gaussian_X()
    reducer = _fresh(proto).fit(X)
    _expect_error(
        lambda: reducer.transform(X[:, :-1]),
        ValueError,
        "features",
        "transform(X with d - 1 columns)",
    )


@_rule("no_mutation")
def check_no_mutation(proto):
    """fit, transform and fit_transform leave X unchanged (dense and every sparse format)."""
    base = sparse_X(8, 400, 0.1, seed=2)
    for label, X in (
        ("dense", base.toarray()),
        ("Fortran-order", np.asfortranarray(base.toarray())),
        ("CSR", base.tocsr()),
        ("CSC", base.tocsc()),
        ("COO", base.tocoo()),
    ):
        before = [a.copy() for a in _arrays_of(X)]
        reducer = _fresh(proto).fit(X)
        reducer.transform(X)
        _fresh(proto).fit_transform(X)
        if X.shape != base.shape or any(
            a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(before, _arrays_of(X))
        ):
            _fail(f"fit/transform changed the {label} input X in place")


@_rule("input_sparsity")
def check_input_sparsity(proto):
    """A reducer claiming input_sparsity_time never allocates the dense size of X: the
    traced peak of fit_transform on a 64 x 10^6 CSR X (320 nonzeros; 512 MB dense) stays
    below a quarter of it."""
    if not type(proto).input_sparsity_time:
        raise RuleSkipped("does not claim input_sparsity_time")
    X = sparse_X(64, 1_000_000, 5e-6, seed=4)
    dense_bytes = 8 * X.shape[0] * X.shape[1]
    reducer = _fresh(proto, **({"n_components": 64} if _has_param(proto, "n_components") else {}))
    tracemalloc.start()
    try:
        reducer.fit_transform(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if peak >= dense_bytes / 4:
        _fail(
            f"claims input_sparsity_time, but fit_transform on a sparse X traced a peak of "
            f"{peak / 2**20:.0f} MiB, dense X is {dense_bytes / 2**20:.0f} MiB"
        )


@_rule("n_components")
def check_n_components(proto):
    """n_components = 0 gives n x 0; 1 and 5 give m columns (exactly min(k, d) for a
    projection, 1 <= m <= k otherwise); "auto" resolves to an int where supported."""
    if not _has_param(proto, "n_components"):
        raise RuleSkipped("no n_components parameter")
    X = gaussian_X()
    n, d = X.shape
    for k in (0, 1, 5):
        reducer = _fresh(proto, n_components=k)
        Y = reducer.fit_transform(X)
        m = reducer.n_components_
        if Y.shape != (n, m):
            _fail(f"n_components={k}: Y has shape {Y.shape}, n_components_ = {m}")
        if k == 0 and m != 0:
            _fail(f"n_components=0 gave m = {m}, expected 0 (the n x 0 reducer)")
        if k and type(proto).family == "projection" and m != min(k, d):
            _fail(f"n_components={k} gave m = {m}; a projection keeps exactly min(k, d)")
        if k and type(proto).family != "projection" and not 1 <= m <= k:
            _fail(f"n_components={k} gave m = {m}, expected 1 <= m <= {k}")
    if _supports_auto(proto):
        reducer = _fresh(proto, n_components="auto")
        Y = reducer.fit_transform(X)
        m = reducer.n_components_
        if not isinstance(m, (int, np.integer)) or Y.shape != (n, m):
            _fail(f'n_components="auto" gave n_components_ = {m!r} and Y of shape {Y.shape}')


@_rule("sampling_selection")
def check_sampling_selection(proto):
    """A sampling reducer exposes selected_ (sorted distinct ints) and weights_ (> 0), and
    Y = X[:, selected_] * weights_."""
    if type(proto).family != "sampling":
        raise RuleSkipped(f"family {type(proto).family!r} is not sampling")
    X = gaussian_X()
    reducer = _fresh(proto).fit(X)
    sel, w = getattr(reducer, "selected_", None), getattr(reducer, "weights_", None)
    if sel is None or w is None:
        _fail("a sampling reducer must set selected_ and weights_ in fit")
    sel, w = np.asarray(sel), np.asarray(w)
    if sel.dtype.kind not in "iu" or np.any(np.diff(sel) <= 0):
        _fail(f"selected_ (dtype {sel.dtype}) is not a sorted array of distinct integers")
    if not (sel.size == w.size == reducer.n_components_) or np.any(w <= 0):
        _fail(
            f"selected_ has {sel.size} entries, weights_ {w.size} (min {w.min(initial=np.inf):.3g}), "
            f"n_components_ = {reducer.n_components_}; expected equal sizes and weights > 0"
        )
    Y = reducer.transform(X)
    if not np.allclose(Y, X[:, sel] * w, rtol=1e-14, atol=0):
        _fail("transform(X) is not X[:, selected_] * weights_")


@_rule("all_zero_input")
def check_all_zero_input(proto):
    """An all-zero X (dense, or CSR with no entries) gives an all-zero Y, not NaN."""
    for label, X in (("dense", np.zeros((4, 50))), ("CSR", sp.csr_matrix((4, 50)))):
        Y = _fresh(proto).fit_transform(X)
        if Y.shape[0] != 4 or not np.all(Y == 0):
            _fail(
                f"an all-zero {label} X (4 x 50) gave Y of shape {Y.shape} with "
                f"{int(np.sum(np.isnan(Y)))} NaN and {int(np.sum(np.isfinite(Y) & (Y != 0)))} nonzero entries"
            )


def _sklearn_checks(proto):
    """scikit-learn's estimator checks: (the instance a check needs, the check), with ids
    ``sklearn:name`` or ``sklearn:name(keyword=value)`` for a check yielded twice."""
    for estimator, check in estimator_checks_generator(clone(proto), legacy=True, mark=None):
        name = check.func.__name__ if isinstance(check, partial) else check.__name__
        keywords = getattr(check, "keywords", {})
        suffix = f"({', '.join(f'{k}={v}' for k, v in keywords.items())})" if keywords else ""
        rule = Check(f"sklearn:{name}{suffix}", check, EXPECTED_SKLEARN_FAILURES.get(name))
        yield estimator, rule


def reducer_checks(reducer, *, which="all", expected_failures=None):
    """(instance, Check) pairs of the battery for one reducer.

    ``which``: ``"all"``, ``"contract"`` (attnbench's rules) or ``"sklearn"``
    (scikit-learn's checks).  ``expected_failures``: {rule id: why}, known failures that
    are reported as ``xfail`` (and as failures if they pass), next to
    :data:`EXPECTED_SKLEARN_FAILURES`.
    """
    if which not in ("all", "contract", "sklearn"):
        raise ValueError(f"which must be 'all', 'contract' or 'sklearn', got {which!r}.")
    expected = expected_failures or {}
    proto = prototype(reducer)
    pairs = []
    if which in ("all", "contract"):
        for rule, fn in RULES.items():
            pairs.append((proto, Check(rule, fn)))
            if rule == "params_declared":
                pairs += [(proto, check) for check in param_checks(proto)]
    if which in ("all", "sklearn"):
        pairs += list(_sklearn_checks(proto))
    for instance, check in pairs:
        reason = expected.get(check.rule)
        yield instance, replace(check, expected_failure=reason) if reason else check


def check_reducer(reducer, *, which="all", expected_failures=None):
    """Run the contract battery on a reducer and return a :class:`ContractReport`.

    ``reducer``: a Reducer class or instance, a registered or entry-point name,
    ``path.py`` or ``path.py:name`` (an unknown name, a missing file or a plug-in that
    fails to import raises).  No rule raises: a failure, or a crash inside the reducer,
    becomes a ``failed`` result that says what was observed.  ``which`` and
    ``expected_failures`` as in :func:`reducer_checks`.  Warnings are silenced; the
    results carry everything.
    """
    reducer = _lookup(reducer)
    label = reducer_label(reducer)
    try:
        proto = prototype(reducer)
    except Exception as exc:  # noqa: BLE001 -- e.g. a constructor that needs arguments
        reason = f"cannot build an instance with default parameters: {type(exc).__name__}: {exc}"
        return ContractReport(label, (RuleResult("construct", FAILED, reason),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = tuple(
            run_check(check, instance)
            for instance, check in reducer_checks(
                proto, which=which, expected_failures=expected_failures
            )
        )
    return ContractReport(label, results)


def parametrize_with_checks(reducers, *, which="all", expected_failures=None):
    """``pytest.mark.parametrize("reducer, check", ...)`` over every rule of every reducer,
    with ids ``name-rule`` (scikit-learn's helper of the same name, for this contract).

    ``expected_failures``: a callable, reducer instance -> {rule id: why}; those rules
    and :data:`EXPECTED_SKLEARN_FAILURES` become strict xfails (a pass fails the test).
    """
    import pytest

    params = []
    for reducer in reducers:
        instance = prototype(reducer)
        expected = expected_failures(instance) if expected_failures else None
        for bound, check in reducer_checks(instance, which=which, expected_failures=expected):
            marks = [pytest.mark.xfail(reason=check.expected_failure, strict=True)] * bool(
                check.expected_failure
            )
            label = f"{reducer_label(bound)}-{check.rule}"
            params.append(pytest.param(bound, check, marks=marks, id=label))
    return pytest.mark.parametrize("reducer, check", params)
