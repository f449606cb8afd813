"""The reducer contract: scikit-learn transformer conventions for feature reduction.

A reducer maps X in R^{n x d} (n tokens, d features) to Y in R^{n x m}.  The
constructor stores its arguments unchanged; ``fit`` validates X (one helper,
:func:`attnbench.validation.check_matrix`), resolves ``n_components="auto"`` from the
reducer's documented bound and learns a map d -> m; ``transform`` applies it to any X
with d columns.  Everything learnt ends in ``_``.

Class attributes every reducer declares:

``name``           registry name (set by :func:`attnbench.algorithms.register`)
``family``         ``trivial`` | ``exact`` | ``projection`` | ``sampling``, or
                   ``calibration`` (planted faults for the claims' rules; not listed)
``deterministic``  True when the output does not depend on ``random_state``
``cost_model``     a key of :data:`attnbench.cost_models.COST_MODELS`
``input_sparsity_time``  True when fit and transform run in O(nnz(X)) on sparse X
                   (never densifying it)
``_parameter_constraints``  {parameter: [constraint, ...]} for every constructor
                   parameter (:mod:`attnbench.validation`: ``Interval``, ``Options``,
                   ``RandomState``, ``None``); a value is valid when one constraint
                   accepts it.  ``fit`` validates the parameters from it, and the
                   contract's ``bad_params:<parameter>`` rules try values it rejects.

Sizes.  A reducer with an ``n_components="auto"`` bound records ``n_components_auto_``
(the m its bound asks for, also when the user passed an explicit ``n_components``)
next to ``n_components_`` (the m it used), and ``auto_reaches_d_`` (the bound asks for
m >= d: at its own size the reducer does not compress X).  Fitted with "auto" in that
case it warns once (:class:`AutoSizeWarning`); a projection then returns X itself
(``passthrough_``: exact, and cheaper than a sketch wider than X; ``transform`` returns
its input likewise), a sampling reducer keeps its draws (at most d distinct columns).

Memory (part of the contract): fit_transform may hold X, at most one transient copy of it (a
format conversion), Y (n x m) and O(n^2 + d) more, never a dense n x d or d x m array
that it does not return; a reducer that needs more says so in its docstring, with the
number.  tests/algorithms/test_memory.py measures it for every built-in reducer.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from attnbench.algorithms._kernels import draw_counts, weighted_columns
from attnbench.validation import (
    Interval,
    Options,
    RandomState,
    check_matrix,
    check_params,
    check_random_state,
)

FAMILIES = ("trivial", "exact", "projection", "sampling", "calibration")

# Constraints shared by the reducers' declarations (``_parameter_constraints``).
N_COMPONENTS = Interval(Integral, 0, None, closed="left")
POSITIVE_INT = Interval(Integral, 1, None, closed="left")
OPEN_UNIT = Interval(Real, 0, 1, closed="neither")
SIZED_PARAMETERS = {
    "n_components": [N_COMPONENTS, Options("auto")],
    "eps": [OPEN_UNIT],
    "delta": [OPEN_UNIT],
    "random_state": [RandomState()],
}


class AutoSizeWarning(UserWarning):
    """The size a reducer's ``n_components="auto"`` bound asks for is at least d, so the
    reducer does not compress X at its own size: a projection returns X itself, a
    sampling reducer keeps its draws (at most d distinct columns)."""


class _PassThrough(Exception):
    """Raised by ``_resolve_n_components`` when a projection's auto size reaches d: it
    stops the reducer's ``_fit`` before it draws a sketch wider than X."""


def as_dense_output(Y):
    """Reducers return a dense float64 ndarray (n x m, with m small)."""
    if sp.issparse(Y):
        Y = Y.toarray()
    return np.asarray(Y, dtype=np.float64)


class Reducer(TransformerMixin, BaseEstimator):
    """Base class: validation, parameter checks and the fit/transform skeleton.

    Subclasses implement ``_fit(X, rng)`` (learn, set trailing-underscore attributes and
    ``n_components_``) and ``_transform(X)`` (return Y for a validated X).
    """

    name: str = ""
    family: str = ""
    deterministic: bool = True
    cost_model: str = ""
    input_sparsity_time: bool = False
    _parameter_constraints: ClassVar[dict] = {}

    def fit(self, X, y=None):
        """Learn the map from the d columns of X (n x d, dense or sparse) to m columns."""
        self._fit_checked(check_matrix(X))
        return self

    def fit_transform(self, X, y=None):
        """fit(X).transform(X), validating X once (validation costs about one read of X)."""
        X = check_matrix(X)
        self._fit_checked(X)
        return as_dense_output(self._fitted_output(X))

    def _fit_checked(self, X):
        self._check_params()
        self.n_features_in_ = X.shape[1]
        self.passthrough_ = False
        rng = None if self.deterministic else check_random_state(self.random_state)
        try:
            self._fit(X, rng)
        except _PassThrough:
            self.passthrough_ = True
            self.n_components_ = X.shape[1]

    def _fitted_output(self, X):
        """Y of the X just fitted (reducers that learn Y itself return it without a
        second pass)."""
        return self._apply(X)

    def _apply(self, X):
        return X if self.passthrough_ else self._transform(X)

    def transform(self, X):
        """Return Y (n x m dense float64) for X with the d columns seen in fit."""
        check_is_fitted(self)
        X = check_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the d seen in fit)."
            )
        return as_dense_output(self._apply(X))

    def _check_params(self):
        """Validate the constructor arguments against ``_parameter_constraints``."""
        check_params(self.get_params(deep=False), self._parameter_constraints)

    def _resolve_n_components(self, n, d):
        """The integer target size: the user's, or the documented 'auto' bound.

        Records the bound's size (``n_components_auto_``, ``auto_reaches_d_``) whatever
        the user passed.  When "auto" asks for m >= d it warns; a projection (which calls
        this before drawing its sketch) then stops and returns X itself (``_PassThrough``).
        """
        auto = int(self._auto_n_components(n, d))
        self.n_components_auto_ = auto
        self.auto_reaches_d_ = auto >= d
        if self.n_components != "auto":
            return int(self.n_components)
        if auto >= d:
            action = (
                "returning X itself (exact)"
                if self.family == "projection"
                else f"keeping its {auto} draws (at most d distinct columns)"
            )
            warnings.warn(
                f"{type(self).__name__}: the 'auto' bound asks for m = {auto} >= d = {d} "
                f"(n = {n}), so it does not compress X; {action}.",
                AutoSizeWarning,
                stacklevel=2,
            )
            if self.family == "projection":
                raise _PassThrough
        return auto

    def _auto_n_components(self, n, d):
        raise NotImplementedError(f"{type(self).__name__} has no 'auto' n_components.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class SizedReducer(Reducer):
    """A randomized reducer sized by (eps, delta): ``n_components="auto"`` gives the m of
    its documented (1 +- eps) guarantee with probability 1 - delta."""

    deterministic = False
    _parameter_constraints: ClassVar[dict] = SIZED_PARAMETERS

    def __init__(self, n_components="auto", eps=0.5, delta=0.1, random_state=None):
        self.n_components = n_components
        self.eps = eps
        self.delta = delta
        self.random_state = random_state


class ProjectionReducer(Reducer):
    """Y = X @ components_, with components_ a d x m matrix (dense or sparse).

    A projection with an "auto" size resolves m (``_resolve_n_components``) before it
    draws anything, so that an auto size >= d returns X itself instead of a sketch wider
    than X.
    """

    def _fit(self, X, rng):
        self.components_ = self._make_components(X, rng)
        self.n_components_ = self.components_.shape[1]

    def _transform(self, X):
        if self.components_.shape[1] == 0:  # X @ an empty sparse map would copy dense X
            n = X.shape[0]
            return sp.csr_matrix((n, 0)) if sp.issparse(X) else np.zeros((n, 0))
        return X @ self.components_


class ColumnSubsetReducer(Reducer):
    """Y = X[:, selected_] * weights_: a weighted subset of the columns of X.

    Subclasses set ``selected_`` (sorted, distinct column indices), ``weights_`` (> 0)
    and ``n_components_`` in ``_fit``.  Cost of transform: O(nnz of the selected columns).
    """

    family = "sampling"

    def _transform(self, X):
        if not sp.issparse(X):
            return X[:, self.selected_] * self.weights_
        return weighted_columns(X, self.selected_, self.weights_)


class SamplingReducer(SizedReducer, ColumnSubsetReducer):
    """Column sampling with rescaling (Drineas, Kannan, Mahoney 2006).

    Draw s = n_components column indices i.i.d. with probabilities p (``probabilities_``;
    ``distinct_draws``), merge repeats, and keep column i with weight w_i = sqrt(c_i / (s p_i))
    where c_i is its number of draws.  Then E[YY^T] = XX^T and Y has no duplicate columns:
    m = len(selected_) <= s.  Cost: computing p, plus O(d + s) for the draws
    (O(d + s log s) when d > s).
    """

    def _fit(self, X, rng):
        n, d = X.shape
        p = np.asarray(self._probabilities(X), dtype=np.float64)
        total = p.sum()
        # A matrix with no mass (all zero) gives no preference: sample uniformly.
        p = p / total if total > 0 else np.full(d, 1.0 / d)
        if not p.min() >= 0:  # NaN (an overflow) or negative, as rng.choice checks
            raise ValueError("sampling probabilities must be non-negative numbers.")
        s = self._resolve_n_components(n, d)
        selected, counts = distinct_draws(rng, p, s)
        self.probabilities_ = p
        self.n_draws_ = s
        self.selected_ = selected
        self.weights_ = np.sqrt(counts / (s * p[selected])) if s else np.empty(0)
        self.n_components_ = selected.size

    def _probabilities(self, X):
        raise NotImplementedError


def distinct_draws(rng, p, s):
    """(selected, counts): the distinct indices of s i.i.d. draws from p (sorted) and their
    multiplicities, bitwise ``np.unique(rng.choice(p.size, s, p=p), return_counts=True)``.

    The same s uniforms u (``rng.random(s)``) through the same cdf (draw = #{cdf_i <= u}),
    but not choice's s binary searches in random order, which miss the cache (8x slower
    at d = 2^14, s = 1.5e5): when d <= s a guide table counts the draws in O(d + s)
    (``draw_counts``); otherwise u is sorted, its draws searched and their run lengths
    taken, in O(s log s).
    """
    cdf = p.cumsum()
    cdf /= cdf[-1]
    if p.size <= s:
        counts = draw_counts(cdf, rng.random(s))
        selected = np.flatnonzero(counts)
        return selected, counts[selected]
    u = np.sort(rng.random(s))
    draws = cdf.searchsorted(u, side="right")
    starts = np.flatnonzero(np.diff(draws, prepend=-1))
    return draws[starts], np.diff(starts, append=s)


def chernoff_sample_size(k, eps, delta, overestimate=1.0):
    """Draws that make leverage-score sampling a (1 +- eps) spectral approximation.

    With p_i = l_i / k (l_i the leverage scores, k = rank), each rescaled rank-one term
    has norm k/s in whitened coordinates, so the matrix Chernoff bound (Tropp 2012,
    Thm 1.1) gives failure probability <= 2k exp(-eps^2 s / (3k)); this is <= delta for
    s = ceil(3 k ln(2k/delta) / eps^2).  With approximate probabilities,
    p_i >= l_i / (overestimate * k), the term norms grow by ``overestimate`` and so does s.
    """
    k = max(int(k), 1)
    return math.ceil(overestimate * 3.0 * k * math.log(2.0 * k / delta) / eps**2)
