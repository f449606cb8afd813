"""The one input-validation helper used by every reducer, metric and generator.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the
argument and the problem, before any numerical work starts.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

SPARSE_FORMATS = ("csr", "csc", "coo")


def check_matrix(
    X, *, name="X", accept_sparse=True, dtype=(np.float64, np.float32), check_finite=True
):
    """Validate a 2-D real matrix and return it as a float ndarray or a sparse matrix.

    Dense input keeps its memory layout (C or F order) when its dtype is already
    allowed; integer and boolean input become float64.  Sparse input keeps its format
    when it is CSR, CSC or COO (other formats become CSR) and is never densified.
    ``dtype`` lists the accepted float dtypes, the first being the one to convert to.
    The finiteness check costs one read of X; ``check_finite=False`` skips it, for a
    caller whose own single pass over X exposes NaN and infinity (a sum that is not
    finite) and that then calls ``check_matrix(X)`` again for the same error.
    """
    allowed = (dtype,) if isinstance(dtype, type) else tuple(dtype)
    if sp.issparse(X):
        if not accept_sparse:
            raise TypeError(f"{name} is a sparse matrix, but a dense array is required.")
        if X.format not in SPARSE_FORMATS:
            X = X.tocsr()
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-D, got {X.ndim}-D.")
        values = X.data
    else:
        if isinstance(X, (str, bytes)) or X is None:
            raise TypeError(f"{name} must be a 2-D numeric array, got {type(X).__name__}.")
        X = np.asarray(X) if not isinstance(X, np.ndarray) else X
        if X.ndim != 2:
            raise ValueError(
                f"{name} must be a 2-D array of shape (n_tokens, n_features), got "
                f"{X.ndim}-D with shape {X.shape}. Reshape your data with "
                "reshape(1, -1) (one token) or reshape(-1, 1) (one feature)."
            )
        values = X
    if values.dtype == object:
        raise TypeError(f"{name} has dtype object; convert it to a float array first.")
    if np.iscomplexobj(values):
        raise ValueError(f"Complex data not supported: {name} has dtype {values.dtype}.")
    if not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
        raise TypeError(f"{name} has non-numeric dtype {values.dtype}.")
    n, d = X.shape
    if n == 0:
        raise ValueError(
            f"{name} has 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
        )
    if d == 0:
        raise ValueError(
            f"{name} has 0 feature(s) (shape={X.shape}) while a minimum of 1 is required."
        )
    if values.dtype not in allowed:
        X = X.astype(allowed[0])
        values = X.data if sp.issparse(X) else X
    if not check_finite:
        return X
    # A finite sum (one pass, no temporary) proves every entry finite; only an
    # overflowing or non-finite sum needs the elementwise check (scikit-learn's trick).
    with np.errstate(over="ignore", invalid="ignore"):
        total = values.sum()
    if not np.isfinite(total) and not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return X


class Constraint:
    """One admissible kind of value of a parameter.  A declaration maps each parameter to
    a list of constraints; a value is valid when one of them accepts it."""

    def accepts(self, value):
        """True when ``value`` is admissible."""
        raise NotImplementedError

    def same_kind(self, value):
        """True when ``value`` is of this constraint's type (a rejected value of the right
        type is a ValueError; of no declared type, a TypeError)."""
        return self.accepts(value)

    def near_misses(self):
        """Values of this constraint's type that it rejects (bad values for the tests)."""
        return []


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


class Interval(Constraint):
    """A number of type ``kind`` (``numbers.Integral`` or ``numbers.Real``) between ``low``
    and ``high`` (None: unbounded); ``closed`` is "both", "left", "right" or "neither".
    Booleans are never numbers here, and a real number must be finite."""

    def __init__(self, kind, low, high, *, closed="both"):
        if kind not in (numbers.Integral, numbers.Real):
            raise ValueError(f"kind must be numbers.Integral or numbers.Real, got {kind!r}.")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be both, left, right or neither, got {closed!r}.")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def same_kind(self, value):
        return isinstance(value, self.kind) and not _is_bool(value)

    def accepts(self, value):
        if not self.same_kind(value) or not np.isfinite(value):
            return False
        low_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        high_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return bool(low_ok and high_ok)

    def __str__(self):
        what = "an int" if self.kind is numbers.Integral else "a real number"
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            return f"{what} in {'[' if left else '('}{self.low}, {self.high}{']' if right else ')'}"
        if self.low is not None:
            return f"{what} {'>=' if left else '>'} {self.low}"
        if self.high is not None:
            return f"{what} {'<=' if right else '<'} {self.high}"
        return what

    def near_misses(self):
        step = 1 if self.kind is numbers.Integral else 0.5
        misses = []
        for bound, sign, closed in ((self.low, -1, "left"), (self.high, 1, "right")):
            if bound is not None:
                misses.append(bound if self.closed not in ("both", closed) else bound + sign * step)
        if self.kind is numbers.Real:
            misses.append(float("nan"))
        return [v for v in misses if not self.accepts(v)]


class Options(Constraint):
    """One of the given strings."""

    def __init__(self, *options):
        self.options = tuple(options)

    def same_kind(self, value):
        return isinstance(value, str)

    def accepts(self, value):
        return isinstance(value, str) and value in self.options

    def __str__(self):
        if len(self.options) == 1:
            return repr(self.options[0])
        return "one of " + ", ".join(map(repr, self.options))

    def near_misses(self):
        return ["not_an_option"]


class NoneValue(Constraint):
    """None (declared as ``None`` in a list of constraints)."""

    def accepts(self, value):
        return value is None

    def __str__(self):
        return "None"


class RandomState(Constraint):
    """A seed: None, an int >= 0, a SeedSequence, a Generator or a RandomState."""

    TYPES = (np.random.SeedSequence, np.random.Generator, np.random.RandomState)

    def same_kind(self, value):
        return value is None or isinstance(value, (numbers.Integral, *self.TYPES))

    def accepts(self, value):
        if isinstance(value, numbers.Integral):
            return not _is_bool(value) and value >= 0
        return self.same_kind(value)

    def __str__(self):
        return "None, an int >= 0, a SeedSequence or a Generator"

    def near_misses(self):
        return [-1]


def as_constraint(item):
    """A declared item as a Constraint: None stands for :class:`NoneValue`."""
    if item is None:
        return NoneValue()
    if isinstance(item, Constraint):
        return item
    raise TypeError(f"a parameter constraint must be a Constraint or None, got {item!r}.")


def check_param(value, name, constraints):
    """Return ``value`` when one of ``constraints`` accepts it; else raise a ValueError (a
    value of a declared type that none accepts) or a TypeError (a value of no declared
    type), with a message that names the parameter and what it must be."""
    constraints = [as_constraint(c) for c in constraints]
    if any(c.accepts(value) for c in constraints):
        return value
    error = ValueError if any(c.same_kind(value) for c in constraints) else TypeError
    wanted = " or ".join(str(c) for c in constraints)
    raise error(f"{name} must be {wanted}, got {value!r}.")


def check_params(params, declared):
    """Validate every parameter in ``params`` that ``declared`` ({name: [constraint,
    ...]}) names, in declaration order (:func:`check_param`)."""
    for name, constraints in declared.items():
        if name in params:
            check_param(params[name], name, constraints)


def check_positive(value, name, *, integer=False):
    """Validate a strictly positive real (or int) parameter."""
    check_param(
        value,
        name,
        [Interval(numbers.Integral if integer else numbers.Real, 0, None, closed="neither")],
    )
    return int(value) if integer else float(value)


def check_random_state(seed):
    """Turn None, an int, a SeedSequence, a Generator or a RandomState into a Generator.

    An int or SeedSequence gives the same stream on every call, so a reducer re-fitted
    with the same ``random_state`` returns bitwise the same result.
    """
    check_param(seed, "random_state", [RandomState()])
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(0, 2**32 - 1, dtype=np.uint64))
    return np.random.default_rng(seed)
