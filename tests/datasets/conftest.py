"""Fixtures for the dataset tests: a private cache, small specs, bitwise comparison.

(pytest runs with --import-mode=importlib, so helpers are handed out as fixtures.)
"""

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from attnbench.datasets import DatasetSpec


def _small_spec(family, n=16, d=300, r=0.05, seed=0, **params):
    density = 0.05 if family == "sparse" else 1.0
    return DatasetSpec.create(family, n, d, density=density, r=r, seed=seed, **params)


def _same_bits(A, B):
    if sp.issparse(A) or sp.issparse(B):
        if not (sp.issparse(A) and sp.issparse(B)) or A.format != B.format:
            return False
        parts = [(A.data, B.data), (A.indices, B.indices), (A.indptr, B.indptr)]
        return A.shape == B.shape and all(
            a.dtype == b.dtype and a.tobytes() == b.tobytes() for a, b in parts
        )
    return A.shape == B.shape and A.dtype == B.dtype and A.tobytes() == B.tobytes()


@pytest.fixture
def small_spec():
    """small_spec(family, n=16, d=300, r=0.05, seed=0, **params); sparse at density 0.05."""
    return _small_spec


@pytest.fixture
def same_bits():
    """same_bits(A, B): the same matrix bitwise (format, shape, dtype and bytes)."""
    return _same_bits


@pytest.fixture
def dense():
    """dense(X): X as an ndarray."""
    return lambda X: X.toarray() if sp.issparse(X) else np.asarray(X)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test caches under its own temporary folder, never the user's cache."""
    monkeypatch.setenv("ATTNBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ATTNBENCH_MAX_BYTES", raising=False)
    return tmp_path / "cache"


@pytest.fixture(autouse=True)
def one_blas_thread():
    """One BLAS thread: the matrices are small, and threads only contend on a shared machine."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
