"""Generate a dataset from its spec: draw, scale to the exact r, compute statistics.

Scaling uses ||XX^T||_inf = max_i ||x_i||^2 (Cauchy-Schwarz: |<x_i, x_j>| <=
||x_i|| ||x_j||, with equality on the diagonal), so X is multiplied by
sqrt(r / max_i ||x_i||^2) in O(nnz(X)), without forming the n x n Gram matrix.
A size guard estimates the peak bytes from the spec before anything is drawn.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from attnbench.datasets.registry import FLOAT64_BYTES, get_family
from attnbench.datasets.spec import DatasetSpec
from attnbench.datasets.stats import compute_stats, row_sq_norms
from attnbench.linalg import BLOCK_BYTES

MAX_BYTES_ENV = "ATTNBENCH_MAX_BYTES"
DEFAULT_MAX_BYTES = 2 * 2**30


@dataclass(eq=False)
class Dataset:
    """A generated X (n x d float64; dense ndarray, or CSR for sparse families), its
    spec and its statistics (see :mod:`attnbench.datasets.stats`)."""

    spec: DatasetSpec
    X: np.ndarray | sp.csr_matrix
    stats: dict


def scale_to_r(X, r):
    """X * sqrt(r / max_i ||x_i||^2), so that ||XX^T||_inf = r; X is scaled in place."""
    peak = float(row_sq_norms(X).max())
    if peak == 0.0:
        raise ValueError(
            "density: the generated X is all zero, so it cannot be scaled to r; raise "
            "density (or n, d)."
        )
    factor = np.sqrt(r / peak)
    if sp.issparse(X):
        X.data *= factor
    else:
        X *= factor
    return X


def scale_pair_to_r(Q, K, r):
    """(c Q, c K) with c = sqrt(r / ||QK^T||_inf), so that ||(cQ)(cK)^T||_inf = r; one
    common factor keeps the balance of Q and K.  An all-zero QK^T is left as it is."""
    peak = float(abs(Q @ K.T).max())
    factor = np.sqrt(r / peak) if peak > 0 else 1.0
    return Q * factor, K * factor


def _format_bytes(count):
    return f"{count / 2**30:.2f} GiB" if count >= 2**30 else f"{count / 2**20:.1f} MiB"


def estimate_bytes(spec):
    """Peak bytes of :func:`make_dataset`: the family's generation, plus the statistics
    (the n x n Gram matrix, its eigenvectors and a copy, per-column arrays, and one
    leverage block)."""
    statistics = FLOAT64_BYTES * (3 * spec.n * spec.n + 3 * spec.d) + BLOCK_BYTES
    return get_family(spec.family).estimate_bytes(spec) + statistics


def resolve_max_bytes(max_bytes=None):
    """The size limit: the argument, else $ATTNBENCH_MAX_BYTES, else 2 GiB."""
    if max_bytes is None:
        text = os.environ.get(MAX_BYTES_ENV)
        if text is None:
            return DEFAULT_MAX_BYTES
        try:
            max_bytes = int(float(text))
        except ValueError:
            raise ValueError(f"{MAX_BYTES_ENV} must be a number of bytes, got {text!r}.") from None
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}.")
    return int(max_bytes)


def check_size(spec, max_bytes=None):
    """Raise ValueError (naming n and d) when ``spec`` needs more than the size limit."""
    limit = resolve_max_bytes(max_bytes)
    needed = estimate_bytes(spec)
    if needed > limit:
        density = f" at density {spec.density}" if spec.density != 1.0 else ""
        raise ValueError(
            f"n, d: {spec} needs about {_format_bytes(needed)} to generate (n*d = "
            f"{spec.n * spec.d:,}{density}), above the limit of {_format_bytes(limit)}; "
            f"raise it with max_bytes=... or the environment variable {MAX_BYTES_ENV}."
        )


def make_dataset(spec, max_bytes=None):
    """Generate ``spec`` (a DatasetSpec, or its dict) without the cache.

    The same spec gives bitwise the same X on every call: the family draws from
    ``numpy.random.default_rng(spec.seed)`` and nothing else.
    """
    if not isinstance(spec, DatasetSpec):
        spec = DatasetSpec.from_dict(spec)
    check_size(spec, max_bytes)
    family = get_family(spec.family)
    X = family.generate(spec, np.random.default_rng(spec.seed))
    X = scale_to_r(X, spec.r)
    return Dataset(spec, X, compute_stats(X))


def make_qkv(spec):
    """The (Q, K, V) of ``spec`` (a DatasetSpec, or its dict) from a family of real
    attention (:meth:`~attnbench.datasets.registry.Family.qkv`), or None for the other
    families.  Drawn from ``numpy.random.default_rng(spec.seed)``, like X."""
    if not isinstance(spec, DatasetSpec):
        spec = DatasetSpec.from_dict(spec)
    return get_family(spec.family).qkv(spec, np.random.default_rng(spec.seed))
