"""Helpers shared by the tests: small seeded matrices and reducer construction."""

import numpy as np
import scipy.sparse as sp

from attnbench.algorithms import get_reducer, get_reducer_class, list_reducers


def scaled(X, r):
    """X scaled so that ||XX^T||_inf = max_i ||x_i||^2 = r."""
    sq = np.asarray(X.multiply(X).sum(axis=1)).ravel() if sp.issparse(X) else (X * X).sum(axis=1)
    return X * np.sqrt(r / sq.max())


def gaussian_matrix(n, d, seed=0, r=0.05):
    return scaled(np.random.default_rng(seed).standard_normal((n, d)), r)


def sparse_matrix(n, d, density, seed=0, r=0.05, format="csr"):
    rng = np.random.default_rng(seed)
    X = sp.random(
        n, d, density=density, format=format, random_state=rng, data_rvs=rng.standard_normal
    )
    return scaled(X, r).asformat(format)


def make_reducer(name, seed=0, **params):
    """A reducer with its defaults, seeded where it takes a random_state."""
    if "random_state" in get_reducer_class(name)._get_param_names():
        params.setdefault("random_state", seed)
    return get_reducer(name, **params)


def builtin_reducers():
    """Registered reducers shipped in attnbench.algorithms (not third-party plug-ins)."""
    return [
        name
        for name in list_reducers()
        if get_reducer_class(name).__module__.startswith("attnbench.algorithms.")
    ]
