"""Accuracy metrics of a reduced Y against the exact attention of X (all float64).

A(X) = D(X)^{-1} exp(XX^T), D(X) = diag(exp(XX^T) 1), computed stably by subtracting
each row's maximum before exp.  r is the realised ||XX^T||_inf (max absolute entry).
The definitions are fixed (results must stay comparable across versions); see
DESIGN.md.  Like ann-benchmarks' metric table, each metric is registered once with
its description and direction, and reports and benchmarks read that one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from attnbench.linalg import attention, gram, range_eigh
from attnbench.validation import check_matrix

V_COLUMNS = 64
V_SEED = 20230410  # the fixed seed of the value matrix V used by output_err
LEAK_RTOL = 1e-8  # relative mass of YY^T outside range(XX^T) that makes spectral_eps inf


def value_matrix(n, columns=V_COLUMNS, seed=V_SEED):
    """The fixed, seeded V in R^{n x 64} of output_err."""
    return np.random.default_rng(seed).standard_normal((n, columns))


class AttentionReference:
    """Everything about the exact A(X) that the metrics need, computed once per dataset.

    Holds G = XX^T, A(X), r = ||G||_inf, max |A(X) - 1/n|, A(X)V and the
    eigendecomposition of G restricted to its range.
    """

    def __init__(self, X):
        X = check_matrix(X)
        self.n = X.shape[0]
        self.G = gram(X)
        self.A = attention(self.G)
        self.r = float(np.abs(self.G).max())
        self.deviation_from_uniform = float(np.abs(self.A - 1.0 / self.n).max())
        self.V = value_matrix(self.n)
        self.AV = self.A @ self.V
        lam, U = range_eigh(self.G)
        self.range_basis = U
        self.range_eigenvalues = lam
        self.lambda_max = float(lam[-1]) if lam.size else 0.0


@dataclass(frozen=True)
class Reduced:
    """The quantities of Y every metric reads: Y, YY^T and A(Y)."""

    Y: np.ndarray
    G: np.ndarray
    A: np.ndarray

    @classmethod
    def of(cls, Y):
        G = Y @ Y.T
        return cls(Y, G, attention(G))


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    lower_is_better: bool
    unit: str
    compute: Callable[[AttentionReference, Reduced], float]


METRICS: dict[str, Metric] = {}


def _metric(name, description, *, lower_is_better=True, unit=""):
    def decorate(fn):
        METRICS[name] = Metric(name, description, lower_is_better, unit, fn)
        return fn

    return decorate


def _safe_ratio(num, den):
    return float(num / den) if den > 0 else float("nan")


@_metric("attn_err_inf", "max_ij |A(Y)_ij - A(X)_ij| (the paper's metric)")
def attn_err_inf(ref, red):
    return float(np.abs(red.A - ref.A).max())


@_metric("attn_err_over_r", "attn_err_inf / r, r = realised ||XX^T||_inf", unit="1/r")
def attn_err_over_r(ref, red):
    return _safe_ratio(attn_err_inf(ref, red), ref.r)


@_metric(
    "skill",
    "1 - attn_err_inf / max_ij |A(X)_ij - 1/n| (0 = the m = 0 reducer, 1 = exact)",
    lower_is_better=False,
)
def skill(ref, red):
    return 1.0 - _safe_ratio(attn_err_inf(ref, red), ref.deviation_from_uniform)


@_metric("attn_err_row_l1", "max_i ||A(Y)_i - A(X)_i||_1")
def attn_err_row_l1(ref, red):
    return float(np.abs(red.A - ref.A).sum(axis=1).max())


@_metric("gram_err_over_r", "||YY^T - XX^T||_inf / r", unit="1/r")
def gram_err_over_r(ref, red):
    return _safe_ratio(float(np.abs(red.G - ref.G).max()), ref.r)


@_metric(
    "spectral_eps",
    "smallest eps with (1-eps)XX^T <= YY^T <= (1+eps)XX^T on range(XX^T); inf if YY^T "
    "leaves that range",
)
def spectral_eps(ref, red):
    U, lam = ref.range_basis, ref.range_eigenvalues
    if lam.size == 0:  # X = 0: only Y = 0 approximates it
        return 0.0 if not np.any(red.G) else float("inf")
    # Mass of YY^T outside range(XX^T): Y^T (I - UU^T) Y.
    outside = red.Y - U @ (U.T @ red.Y)
    if np.linalg.norm(outside, 2) ** 2 > LEAK_RTOL * ref.lambda_max:
        return float("inf")
    W = (U.T @ red.G @ U) / np.sqrt(np.outer(lam, lam))
    mu = np.linalg.eigvalsh((W + W.T) / 2)
    return float(max(1.0 - mu[0], mu[-1] - 1.0, 0.0))


@_metric("output_err", "||(A(Y) - A(X))V||_F / ||A(X)V||_F, fixed seeded V in R^{n x 64}")
def output_err(ref, red):
    return _safe_ratio(
        float(np.linalg.norm((red.A - ref.A) @ ref.V)), float(np.linalg.norm(ref.AV))
    )


@_metric("m", "columns of Y")
def m(ref, red):
    return float(red.Y.shape[1])


def check_reduced(Y, n, name="Y"):
    """Validate a reduced matrix: 2-D, n rows, finite; returned dense float64."""
    Y = Y if sp.issparse(Y) else np.asarray(Y)
    if Y.ndim != 2 or Y.shape[0] != n:
        raise ValueError(f"{name} must be 2-D with {n} rows (one per token), got shape {Y.shape}.")
    if not np.all(np.isfinite(Y.data if sp.issparse(Y) else Y)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return np.asarray(Y.toarray() if sp.issparse(Y) else Y, dtype=np.float64)


def compute_metrics(reference, reduced, names, registry=None):
    """{name: value} of the named metrics of a registry (default: METRICS)."""
    registry = METRICS if registry is None else registry
    unknown = [k for k in names if k not in registry]
    if unknown:
        raise KeyError(f"unknown metric(s) {unknown}; known: {sorted(registry)}.")
    return {k: registry[k].compute(reference, reduced) for k in names}


def evaluate(reference, Y, names=None):
    """All metrics (or those named) of Y against the reference: {name: float}."""
    if not isinstance(reference, AttentionReference):
        reference = AttentionReference(reference)
    reduced = Reduced.of(check_reduced(Y, reference.n))
    return compute_metrics(reference, reduced, list(METRICS) if names is None else names)
