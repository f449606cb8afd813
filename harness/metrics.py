"""Accuracy metrics of a reduced Y against the exact attention of X (all float64).

A(X) = D(X)^{-1} exp(XX^T), D(X) = diag(exp(XX^T) 1), computed stably by subtracting
each row's maximum before exp.  r is the realised ||XX^T||_inf (max absolute entry).
Asymmetric attention A(Q, K) = D^{-1} exp(QK^T) reads the same definitions with the
logits G = QK^T and the reduced G' = Q'K'^T (attnbench.sweep.asymmetric): ``gram_err_over_r``
is then the logit error over r = ||QK^T||_inf, ``spectral_eps`` does not apply, and
``logit_err_frob`` applies to it only.  The definitions are fixed (results must stay
comparable across versions); see docs/metrics.md.  Like ann-benchmarks' metric table, each
metric is registered once, with its description, direction and attention modes, and
reports and benchmarks read that one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from attnbench.linalg import ATTENTION_MODES, attention, gram, range_eigh
from attnbench.validation import check_matrix

V_COLUMNS = 64
V_SEED = 20230410  # the fixed seed of the value matrix V used by output_err
LEAK_RTOL = 1e-8  # relative mass of YY^T outside range(XX^T) that makes spectral_eps inf


def value_matrix(n, columns=V_COLUMNS, seed=V_SEED):
    """The fixed, seeded V in R^{n x 64} of output_err."""
    return np.random.default_rng(seed).standard_normal((n, columns))


def _frobenius(X):
    return float(sp.linalg.norm(X) if sp.issparse(X) else np.linalg.norm(X))


class AttentionReference:
    """Everything about the exact attention that the metrics need, computed once per dataset.

    Symmetric, ``AttentionReference(X)``: the logits G = XX^T and, for ``spectral_eps``,
    the eigendecomposition of G restricted to its range (n^3, the largest cost at large n,
    so computed on first use, by ``spectral_eps`` only).  Asymmetric,
    ``AttentionReference(Q, K, V)``: G = QK^T and ||Q||_F ||K||_F (``logit_err_frob``).
    Both: A = D^{-1} exp(G), r = ||G||_inf, max |A - 1/n|, V (the given one, else the
    fixed seeded V of ``output_err``) and AV.  Cost: forming G plus O(n^2 d_v).
    """

    def __init__(self, Q, K=None, V=None):
        self.mode = "symmetric" if K is None else "asymmetric"
        if K is None:
            X = check_matrix(Q)
            self.n = X.shape[0]
            self.G = gram(X)
        else:
            Q, K = check_matrix(Q, name="Q"), check_matrix(K, name="K")
            if Q.shape != K.shape:
                raise ValueError(f"Q and K must have the same shape, got {Q.shape} and {K.shape}.")
            self.n = Q.shape[0]
            G = Q @ K.T
            self.G = np.asarray(G.toarray() if sp.issparse(G) else G, dtype=np.float64)
            self.qk_norm = _frobenius(Q) * _frobenius(K)
        self.A = attention(self.G)
        self.r = float(np.abs(self.G).max())
        self.deviation_from_uniform = float(np.abs(self.A - 1.0 / self.n).max())
        self.V = value_matrix(self.n) if V is None else check_reduced(V, self.n, "V")
        self.AV = self.A @ self.V

    @cached_property
    def _range(self):
        if self.mode != "symmetric":
            raise AttributeError("the range of G is used by symmetric attention only.")
        return range_eigh(self.G)

    @property
    def range_eigenvalues(self):
        """The eigenvalues of G = XX^T on its range, ascending."""
        return self._range[0]

    @property
    def range_basis(self):
        """An orthonormal basis U (n x rank) of range(XX^T), the eigenvectors."""
        return self._range[1]

    @property
    def lambda_max(self):
        lam = self.range_eigenvalues
        return float(lam[-1]) if lam.size else 0.0


@dataclass(frozen=True)
class Reduced:
    """The quantities every metric reads: Y (Q' when asymmetric), the reduced logits
    G = YY^T (or Q'K'^T) and A = D^{-1} exp(G)."""

    Y: np.ndarray
    G: np.ndarray
    A: np.ndarray

    @classmethod
    def of(cls, Y, K=None):
        G = Y @ Y.T if K is None else Y @ K.T
        return cls(Y, G, attention(G))


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    lower_is_better: bool
    unit: str
    compute: Callable[[AttentionReference, Reduced], float]
    modes: tuple = ATTENTION_MODES  # the attention modes it is defined for


METRICS: dict[str, Metric] = {}


def _metric(name, description, *, lower_is_better=True, unit="", modes=ATTENTION_MODES):
    def decorate(fn):
        METRICS[name] = Metric(name, description, lower_is_better, unit, fn, modes)
        return fn

    return decorate


def metric_names(mode="symmetric"):
    """The names of the metrics defined for an attention mode, in registry order."""
    return [name for name, metric in METRICS.items() if mode in metric.modes]


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
    modes=("symmetric",),
)
def spectral_eps(ref, red):
    U, lam = ref.range_basis, ref.range_eigenvalues
    if lam.size == 0:  # X = 0: only Y = 0 approximates it
        return 0.0 if not np.any(red.G) else float("inf")
    # Mass of YY^T outside range(XX^T): ||(I - UU^T) Y||_2^2.  None can leave a range
    # that is all of R^n; and ||.||_2 <= ||.||_F, so the spectral norm (an SVD of an
    # n x m matrix, costly at large n) is needed only when the Frobenius norm exceeds.
    if lam.size < ref.n:
        outside = red.Y - U @ (U.T @ red.Y)
        leak = LEAK_RTOL * ref.lambda_max
        if np.vdot(outside, outside) > leak and np.linalg.norm(outside, 2) ** 2 > leak:
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


@_metric(
    "logit_err_frob",
    "||Q'K'^T - QK^T||_F / (||Q||_F ||K||_F) (the AMM error)",
    modes=("asymmetric",),
)
def logit_err_frob(ref, red):
    return _safe_ratio(float(np.linalg.norm(red.G - ref.G)), ref.qk_norm)


def check_reduced(Y, n, name="Y"):
    """Validate a reduced matrix: 2-D, n rows, finite; returned dense float64."""
    Y = Y if sp.issparse(Y) else np.asarray(Y)
    if Y.ndim != 2 or Y.shape[0] != n:
        raise ValueError(f"{name} must be 2-D with {n} rows (one per token), got shape {Y.shape}.")
    if not np.all(np.isfinite(Y.data if sp.issparse(Y) else Y)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return np.asarray(Y.toarray() if sp.issparse(Y) else Y, dtype=np.float64)


def _reduced(reference, Y):
    """Reduced of Y (symmetric) or of the pair (Q', K') (asymmetric), validated."""
    if reference.mode == "symmetric":
        if isinstance(Y, tuple):
            raise TypeError("a symmetric reference takes one reduced Y, not a (Q', K') pair.")
        return Reduced.of(check_reduced(Y, reference.n))
    if not (isinstance(Y, tuple) and len(Y) == 2):
        raise TypeError("an asymmetric reference takes the pair (Q', K') of reduced Q and K.")
    Qr, Kr = check_reduced(Y[0], reference.n, "Q'"), check_reduced(Y[1], reference.n, "K'")
    if Qr.shape != Kr.shape:
        raise ValueError(f"Q' and K' must have the same shape, got {Qr.shape} and {Kr.shape}.")
    return Reduced.of(Qr, Kr)


def evaluate(reference, Y, names=None):
    """The metrics of the reference's mode (or those named) of Y: {name: float}.

    ``reference`` is an AttentionReference or an X (then symmetric); ``Y`` is the reduced
    Y, or the pair (Q', K') against an asymmetric reference.
    """
    if not isinstance(reference, AttentionReference):
        reference = AttentionReference(reference)
    names = metric_names(reference.mode) if names is None else list(names)
    unknown = [k for k in names if k not in METRICS]
    if unknown:
        raise KeyError(f"unknown metric(s) {unknown}; known: {sorted(METRICS)}.")
    other = [k for k in names if reference.mode not in METRICS[k].modes]
    if other:
        raise ValueError(f"metric(s) {other} do not apply to {reference.mode} attention.")
    reduced = _reduced(reference, Y)
    return {k: METRICS[k].compute(reference, reduced) for k in names}
