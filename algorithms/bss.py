"""Batson-Spielman-Srivastava ("twice-Ramanujan") sparsification of XX^T = sum_i X_i X_i^T.

Whitening.  With XX^T = U Lam U^T of rank k, every column becomes v_i = Lam^{-1/2} U^T X_i
in R^k, so sum_i v_i v_i^T = I_k.  We whiten once rather than carry XX^T through the
barriers: every barrier quantity is then a function of one k x k matrix A, its
eigendecomposition is all the steps need, and the range (rank-deficient X, duplicate or
zero columns) is found by the same n x n eigendecomposition.

Barrier method (BSS, SIAM J. Comput. 41(6), 2012, Thm 3.1 with their d = b).  A = 0,
u = k/eps_U, l = -k/eps_L with eps_U = (sqrt b - 1)/(b + sqrt b), eps_L = 1/sqrt b,
delta_U = (sqrt b + 1)/(sqrt b - 1), delta_L = 1.  Each of the Q = ceil(b k) steps takes a
column with U_A(v) <= L_A(v), where u' = u + delta_U, l' = l + delta_L,

    U_A(v) = v^T (u'I - A)^{-2} v / (Phi^u(A) - Phi^u'(A)) + v^T (u'I - A)^{-1} v,
    L_A(v) = v^T (A - l'I)^{-2} v / (Phi_l'(A) - Phi_l(A)) - v^T (A - l'I)^{-1} v,

Phi^u(A) = tr (uI - A)^{-1}, Phi_l(A) = tr (A - lI)^{-1} (Lemmas 3.3 and 3.4), adds
t v v^T with 1/t = (U_A(v) + L_A(v))/2, and moves u, l to u', l'.  Such a column exists
because sum_i U_A(v_i) <= 1/delta_U + eps_U = 1/delta_L - eps_L <= sum_i L_A(v_i)
(Lemma 3.5).  After Q steps l_Q < lambda(A) < u_Q with u_Q/l_Q = kappa(Q/k).

Guarantee (deterministic): m <= Q = ceil(b k) <= ceil(b n) columns, and with
kappa = ((sqrt b + 1)/(sqrt b - 1))^2 the selected Y satisfies, on range(XX^T),
lambda_max/lambda_min of (YY^T, XX^T) <= kappa.  The weights are rescaled by the measured
extreme eigenvalues of A, so (1 - eps)XX^T <= YY^T <= (1 + eps)XX^T with
eps = (kappa - 1)/(kappa + 1) = 2 sqrt(b)/(b + 1); given ``eps`` instead of ``b``, we take
the b with that eps, b = ((1 + sqrt(1 - eps^2))/eps)^2 (eps = 0.5: b = 13.9).  Rounding:
the whitened columns satisfy sum_i v_i v_i^T = I + E with ||E|| ~ 1e-16 cond(XX^T on its
range) (<= ~1e-6, since eigenvalues below RANGE_RTOL lambda_max are dropped), which the
bound inherits as a factor (1 + ||E||)/(1 - ||E||).

Choice of column.  With A = Q diag(a) Q^T both U_A and L_A are sums over the eigenvalues,
so the slack L_A(v) - U_A(v) = sum_r w_r (Q^T v)_r^2: for all candidates at once one
product (k x k by k x d dense; (k x k)(k x n) by the sparse X, O(k nnz(X))).  We take the
largest slack (greedy); slacks within TIE_RTOL of it are ties, won by the lowest column
index, so dense and sparse input choose alike.  ``candidates="all"`` scores every
non-zero column at every step.  ``candidates="shortlist"`` (default) scores every column
only every ceil(k/2) steps, keeps the 2k of largest slack, and in between scores just
those (k x k by k x 2k), so all columns are scored only ~2b times in all; when none of
the shortlist is feasible, it rescores all columns, so a feasible column is always found
(Lemma 3.5).  Any feasible column keeps the theorem, and the taken column's U_A and L_A
are computed afresh from Q^T v (float64, as everything here) and checked before it is
added, so the guarantee does not depend on the shortlist, which only changes which
feasible column is taken.

Cost (flops; dense BLAS, i.e. omega = 3): forming XX^T, min(sum_i nnz(X_i)^2, d n^2);
eigendecomposition and whitening, n^3 + k nnz(X); then Q = b k steps, each an eigh of
the k x k A (~10 k^3) and a shortlist score (4 k^3), plus ~2b full scores of 2 k^2 d
(dense) or 2 k nnz(X) + 2 k^2 n (sparse).  Total O(b k^4 + b k^2 d) dense and
O(sum_i nnz(X_i)^2 + b k^4 + b k nnz(X)) sparse, k = rank <= n.  The paper (Deng,
Mahadevan, Song 2023, Thm 2) states O~(min(sum_i nnz(X_i)^2, d n^(omega-1)) + n^(omega+1)):
we match it with omega = 3 up to the factor b, not with omega = 2.373 (no BLAS multiplies
fast), and on very sparse columns b k nnz(X) can exceed sum_i nnz(X_i)^2.  For d <= 2^16
and n <= 256 the b k^4 term (the per-step eigh) dominates, so time grows slowly in d.
``candidates="all"`` (the plain route, every column scored every step) costs
O(b k^3 d), a factor k above the paper's d n^(omega-1).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from attnbench.algorithms.base import ColumnSubsetReducer
from attnbench.algorithms.registry import register
from attnbench.linalg import gram, range_eigh
from attnbench.validation import check_positive

# Slacks closer than TIE_RTOL times the largest |weighted| quadratic form are ties: far
# above the rounding differences between dense and sparse products (~1e-15), far below
# any real gap between candidates.
TIE_RTOL = 1e-9
CANDIDATES = ("shortlist", "all")


def bss_eps(b):
    """The eps of (1 +- eps) that Q = b k steps guarantee: (kappa - 1)/(kappa + 1)."""
    return 2.0 * math.sqrt(b) / (b + 1.0)


def bss_kappa(b):
    """The bound on lambda_max/lambda_min after b k steps: ((sqrt b + 1)/(sqrt b - 1))^2."""
    return ((math.sqrt(b) + 1.0) / (math.sqrt(b) - 1.0)) ** 2


def bss_b(eps):
    """The b > 1 with bss_eps(b) = eps."""
    return ((1.0 + math.sqrt(1.0 - eps**2)) / eps) ** 2


def check_b(b):
    """Validate the step ratio b: a real number > 1."""
    b = check_positive(b, "b")
    if b <= 1.0:
        raise ValueError(f"b must be > 1 (BSS needs more than rank(X) steps), got {b!r}.")
    return b


class _DenseColumns:
    """Whitened candidate columns held as one dense k x c array V."""

    def __init__(self, V):
        self.V = np.ascontiguousarray(V)

    def __len__(self):
        return self.V.shape[1]

    def project(self, M):
        return M @ self.V

    def take(self, index):
        return _DenseColumns(self.V[:, index])


class _SparseColumns:
    """Whitened candidates v_i = B X_i, kept as B (k x n) and the sparse X (CSC)."""

    def __init__(self, B, X):
        self.B, self.X = B, X

    def __len__(self):
        return self.X.shape[1]

    def project(self, M):
        return np.asarray((M @ self.B) @ self.X)

    def take(self, index):
        return _DenseColumns(np.asarray(self.B @ self.X[:, index]))


def whiten(X):
    """The non-zero columns of X, whitened on range(XX^T): (columns, their indices, rank)."""
    lam, U = range_eigh(gram(X))
    B = (U / np.sqrt(lam)).T
    if sp.issparse(X):
        X = X.tocsc()
        nonzero = np.flatnonzero(np.asarray(abs(X).sum(axis=0)).ravel())
        return _SparseColumns(B, X[:, nonzero]), nonzero, B.shape[0]
    nonzero = np.flatnonzero(np.any(X != 0, axis=0))
    X = X if nonzero.size == X.shape[1] else X[:, nonzero]
    return _DenseColumns(B @ X), nonzero, B.shape[0]


def _barrier_weights(a, u, l, delta_u, delta_l):
    """wu, wl with U_A(v) = sum_r wu_r (Q^T v)_r^2 and L_A(v) = sum_r wl_r (Q^T v)_r^2."""
    ru, ru1 = 1.0 / (u - a), 1.0 / (u + delta_u - a)
    rl, rl1 = 1.0 / (a - l), 1.0 / (a - l - delta_l)
    # Phi^u - Phi^u' and Phi_l' - Phi_l as sums of positive terms: no cancellation.
    wu = ru1**2 / (delta_u * np.sum(ru * ru1)) + ru1
    wl = rl1**2 / (delta_l * np.sum(rl * rl1)) - rl1
    return wu, wl


def _slacks(Q, w, columns):
    """Slack sum_r w_r (Q^T v_i)_r^2 of every column, and sum_r |w_r| (Q^T v_i)_r^2."""
    negative = w < 0
    order = np.argsort(negative, kind="stable")
    # Folding sqrt|w| into Q makes both sums plain column norms of one product.
    P = columns.project((Q[:, order] * np.sqrt(np.abs(w[order]))).T)
    split = w.size - int(negative.sum())
    plus = np.einsum("ri,ri->i", P[:split], P[:split])
    minus = np.einsum("ri,ri->i", P[split:], P[split:])
    return plus - minus, plus + minus


def _ties(slack, magnitude, threshold):
    """Positions with slack >= threshold, widened by the tie tolerance."""
    return np.flatnonzero(slack >= threshold - TIE_RTOL * magnitude.max())


def twice_ramanujan(columns, rank, n_steps, shortlist=True):
    """BSS on whitened columns (sum v_i v_i^T = I_rank) for n_steps > rank steps.

    ``shortlist`` False scores every column at every step.  Returns the weight s_i >= 0
    of every column and the accumulated A = sum_i s_i v_i v_i^T.
    """
    k, c = rank, len(columns)
    sb = math.sqrt(n_steps / k)
    delta_u, delta_l = (sb + 1.0) / (sb - 1.0), 1.0
    u, l = k * (sb * sb + sb) / (sb - 1.0), -k * sb
    A = np.zeros((k, k))
    s = np.zeros(c)
    size, period = 2 * k, -(-k // 2)
    short_index, short = np.arange(c), columns
    use_shortlist = shortlist and size < c
    age = period  # the first step builds the shortlist
    for _ in range(n_steps):
        a, Q = np.linalg.eigh(A)
        _check_barriers(a, u, l)
        wu, wl = _barrier_weights(a, u, l, delta_u, delta_l)
        while True:
            if use_shortlist and age >= period:
                slack, magnitude = _slacks(Q, wl - wu, columns)
                kth = np.partition(slack, c - size)[c - size]
                short_index = _ties(slack, magnitude, kth)
                short, age = columns.take(short_index), 0
            slack, magnitude = _slacks(Q, wl - wu, short)
            j = int(_ties(slack, magnitude, slack.max())[0])
            v = short.take([j]).V[:, 0]
            p2 = (Q.T @ v) ** 2
            U, L = wu @ p2, wl @ p2
            if U <= L and L > 0:
                break
            if not use_shortlist or age == 0:
                raise FloatingPointError("BSS found no column with U_A(v) <= L_A(v).")
            age = period  # the stale shortlist has no feasible column: rescore all
        t = 2.0 / (U + L)
        s[short_index[j]] += t
        A += t * np.outer(v, v)
        u, l, age = u + delta_u, l + delta_l, age + 1
    _check_barriers(np.linalg.eigvalsh(A), u, l)
    return s, A


def _check_barriers(a, u, l):
    """The invariant l < lambda(A) < u (a ascending), which the lemmas keep exactly."""
    if not (a[-1] < u and a[0] > l):
        raise FloatingPointError(
            f"BSS barrier broken by rounding: eigenvalues [{a[0]:.6g}, {a[-1]:.6g}] "
            f"outside ({l:.6g}, {u:.6g})."
        )


@register("bss")
class BSS(ColumnSubsetReducer):
    """BSS twice-Ramanujan column selection: m <= ceil(b rank(X)) weighted columns of X.

    Parameters: ``b`` (> 1, steps per unit of rank), or else ``eps`` (b from eps, see the
    module docstring); ``candidates`` "shortlist" | "all".  The size follows from b and
    the rank, so there is no ``n_components``: with m <= rank(X) columns no spectral bound
    exists.  Attributes: ``selected_``, ``weights_``, ``rank_``, ``n_steps_``, ``b_``
    (n_steps_/rank_ >= b), ``kappa_`` and ``eps_`` (the guaranteed bounds at b_),
    ``eigenvalue_ratio_`` (measured lambda_max/lambda_min of YY^T against XX^T on its
    range, <= kappa_).
    """

    deterministic = True
    cost_model = "deterministic"

    def __init__(self, eps=0.5, b=None, candidates="shortlist"):
        self.eps = eps
        self.b = b
        self.candidates = candidates

    def _check_params(self):
        super()._check_params()
        if self.b is not None:
            check_b(self.b)
        if self.candidates not in CANDIDATES:
            raise ValueError(f"candidates must be one of {CANDIDATES}, got {self.candidates!r}.")

    def _fit(self, X, rng):
        columns, index, self.rank_ = whiten(X.astype(np.float64, copy=False))
        b = bss_b(self.eps) if self.b is None else float(self.b)
        self.n_steps_ = math.ceil(b * self.rank_)
        if self.rank_ == 0:  # X = 0: the empty Y is exact
            self.b_, self.kappa_, self.eps_, self.eigenvalue_ratio_ = b, 1.0, 0.0, 1.0
            self.selected_, self.weights_ = np.empty(0, np.intp), np.empty(0)
            self.n_components_ = 0
            return
        self.b_ = self.n_steps_ / self.rank_
        self.kappa_, self.eps_ = bss_kappa(self.b_), bss_eps(self.b_)
        s, _ = twice_ramanujan(
            columns, self.rank_, self.n_steps_, shortlist=self.candidates == "shortlist"
        )
        chosen = np.flatnonzero(s)
        # The bounds from sum s_i v_i v_i^T formed afresh, not from the accumulated A.
        V = columns.take(chosen).V
        low, high = np.linalg.eigvalsh((V * s[chosen]) @ V.T)[[0, -1]]
        self.eigenvalue_ratio_ = float(high / low)
        self.selected_ = index[chosen]
        self.weights_ = np.sqrt(s[chosen] * (2.0 / (low + high)))
        self.n_components_ = chosen.size
