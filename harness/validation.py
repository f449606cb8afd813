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


def check_n_components(n_components, *, allow_auto=True, allow_none=False):
    """Validate a target dimension: a non-negative int, or 'auto' / None where allowed."""
    if n_components is None and allow_none:
        return None
    if isinstance(n_components, str) and n_components == "auto" and allow_auto:
        return "auto"
    if isinstance(n_components, (bool, np.bool_)) or not isinstance(n_components, numbers.Integral):
        allowed = " or 'auto'" if allow_auto else ""
        raise TypeError(f"n_components must be a non-negative int{allowed}, got {n_components!r}.")
    if n_components < 0:
        raise ValueError(f"n_components must be >= 0, got {n_components}.")
    return int(n_components)


def check_open_unit(value, name):
    """Validate a parameter that must lie in the open interval (0, 1), such as eps or delta."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in (0, 1), got {value!r}.")
    if not 0.0 < float(value) < 1.0 or not np.isfinite(value):
        raise ValueError(f"{name} must lie in the open interval (0, 1), got {value!r}.")
    return float(value)


def check_positive(value, name, *, integer=False):
    """Validate a strictly positive real (or int) parameter."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        what = "an int" if integer else "a real number"
        raise TypeError(f"{name} must be {what} > 0, got {value!r}.")
    if not value > 0 or not np.isfinite(value):
        raise ValueError(f"{name} must be > 0, got {value!r}.")
    return int(value) if integer else float(value)


def check_random_state(seed):
    """Turn None, an int, a SeedSequence, a Generator or a RandomState into a Generator.

    An int or SeedSequence gives the same stream on every call, so a reducer re-fitted
    with the same ``random_state`` returns bitwise the same result.
    """
    if seed is None or isinstance(seed, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(seed, (bool, np.bool_)):
            raise TypeError(f"random_state must be None, an int or a Generator, got {seed!r}.")
        if isinstance(seed, numbers.Integral) and seed < 0:
            raise ValueError(f"random_state must be a non-negative int, got {seed}.")
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(0, 2**32 - 1, dtype=np.uint64))
    raise TypeError(f"random_state must be None, an int or a Generator, got {seed!r}.")
