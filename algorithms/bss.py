"""Batson-Spielman-Srivastava ("twice-Ramanujan") sparsification of XX^T = sum_i X_i X_i^T.

Whitening.  With XX^T = U Lam U^T of rank k, column i becomes v_i = B X_i, B = Lam^{-1/2}
U^T (k x n), so sum_i v_i v_i^T = I_k; the range (rank-deficient X, duplicate or zero
columns) comes from the same n x n eigendecomposition.  B X (k x d) is never formed:
columns are whitened in blocks when all are scored, and by index when shortlisted.

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

The barrier resolvents between refreshes.  Every r = REFRESH k^(2/3) steps (a refresh)
A = Q diag(a) Q^T is eigendecomposed afresh.  In between, A = Q (diag(a) + P P^T) Q^T,
the j rows of P^T holding sqrt(t) Q^T v of the columns taken since.  A barrier shift only
moves the diagonal, so by Woodbury, with g = u' - a (sign s = -1) or g = a - l' (s = +1),
D = diag(1/g), C = I + s P^T D P (j x j, positive definite while l < lambda(A) < u),

    Q^T (resolvent) Q = D - s D P C^{-1} P^T D,   tr (resolvent) = tr D - s tr(C^{-1} P^T D^2 P):

per step two j x j Gram matrices per barrier, O(k j^2), instead of a k x k
eigendecomposition.  Phi at the current barriers is carried from the previous step by
Sherman-Morrison (the identities in the proofs of Lemmas 3.3 and 3.4); at a refresh it
is recomputed from the eigenvalues, and the barriers l < a < u and the potentials
(Phi^u <= eps_U, Phi_l <= eps_L, the values at A = 0, which Lemmas 3.3, 3.4 never let
grow) are checked, so a rounding fault stops the fit instead of returning a wrong Y.  A
refresh also comes early when l' would pass half-way from l to the smallest a (the lower
resolvent's base diag(a - l') must stay positive).

Choice of column.  The score is the slack L_A(v) - U_A(v).  The taken column has the
largest slack among the columns scored at that step (slacks within TIE_RTOL of it are
ties, won by the lowest column index, so every input layout chooses alike), and its
U_A, L_A are computed in float64 from the current A, never a stale score, and checked,
0 < U_A <= L_A, before it is added.  ``candidates="all"`` refreshes and ranks every
column at every step, then scores the WINDOW best exactly: the plain greedy.
``candidates="shortlist"`` (default) ranks all columns FULL_SCORINGS times per run
(evenly spaced; see WhitenedColumns.rank_all: float32 products with column blocks of
dense X, X_i^T N X_i over the nonzeros of sparse X), keeps the SHORTLIST k of largest
slack, ranks those at every refresh
(float32, k^2 SHORTLIST k) and at each step scores exactly the WINDOW of largest last
known slack (lazy greedy: a column's priority becomes its exact slack whenever it is
scored).  When none of those is feasible it scores the whole shortlist, then ranks all
columns afresh, so a feasible column is always found (Lemma 3.5).  Any feasible column
keeps the theorem: the shortlist only changes which one is taken.

Cost (flops; dense BLAS, omega = 3): XX^T, min(sum_i nnz(X_i)^2, d n^2), and its
eigendecomposition, n^3; Q = b k steps of O(k r^2) and O(k r WINDOW); Q/r refreshes of
O(k^3) (an eigendecomposition and the shortlist ranking); FULL_SCORINGS rankings of all
columns, 2 k n d each for dense X, n^2 k + 2 sum_i nnz(X_i)^2 for sparse X.  With
r ~ k^(2/3) the steps and refreshes total O(b k^(3 + 1/3)): dense X costs
O(d n^2 + b n^(10/3)), sparse X O(sum_i nnz(X_i)^2 + b n^(10/3)): the paper's terms.
Measured (one BLAS thread, CPU time, 2-core machine; ``Scale`` in
``benchmarks/bench_bss.py`` tracks the time at n over n/2 and over the floor):
n = 1024, d = 2^16 dense, b = 4: 18.4 s with the other core busy, 39-40 s at load 3-5
(33 refreshes, 4 rankings; at that load the eigendecompositions 9 s, the Woodbury steps
9 s, the rankings 7 s), local slope in n
2.2-2.4; n = 512, d = 2^20 sparse (density 2e-3): 7-8 s.  The paper (Deng, Mahadevan, Song 2023,
Thm 2) states O~(min(sum_i nnz(X_i)^2, d n^(omega-1)) + n^(omega+1)): we are below its
n^(omega+1) with omega = 3 (no BLAS multiplies fast, so not with omega = 2.373).
``candidates="all"`` costs O(b k^4 + b k^2 nnz(X)).

Memory: X; the n x n Gram; O(k^2) for A, Q, the batch and the shortlist (k x SHORTLIST k,
float64 and float32, and its float64 eigenbasis coordinates: 20 SHORTLIST k^2 bytes);
O(d) score vectors (about six of 8 d bytes at once); one column block of BLOCK_BYTES
(dense X): never a dense n x d or d x m array.
Sparse X is kept as CSC (BSS takes columns): CSR and COO input are converted once, one
more copy of the nonzeros (12 bytes each, plus 4 (d + 1) for the column pointers).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.linalg.lapack import dpotrf, dpotri, dpotrs

from attnbench._linalg_kernels import csc_quadratic_forms
from attnbench.algorithms.base import OPEN_UNIT, ColumnSubsetReducer
from attnbench.algorithms.registry import register
from attnbench.linalg import BLOCK_BYTES, as_float64, gram, range_eigh
from attnbench.validation import Interval, Options

# Exact slacks closer than TIE_RTOL times the largest |U_A| + |L_A| are ties: far above
# the rounding differences between dense and sparse products (~1e-13), far below any
# real gap.  Float32 rankings use RANK_RTOL, far above their rounding (~1e-7).
TIE_RTOL = 1e-9
RANK_RTOL = 1e-5
# The potentials may only fall (Lemmas 3.3, 3.4); this much growth is rounding.
POTENTIAL_RTOL = 1e-9
CANDIDATES = ("shortlist", "all")
# Tuned on dense Gaussian X, b = 4, d = 2^14 (3 seeds): measured eigenvalue ratio 3.51 at
# n = 128 and 4.20 at n = 256, against 3.26 and 4.05 for the plain greedy (kappa = 9).
SHORTLIST = 4  # shortlisted columns per unit of rank
WINDOW = 8  # shortlisted columns scored exactly at each step
PREFETCH = 64  # shortlisted columns given float64 coordinates at a time
FULL_SCORINGS = 4  # rankings of all columns per run
REFRESH = 1.25  # r = REFRESH k^(2/3) steps between eigendecompositions


def bss_eps(b):
    """The eps of (1 +- eps) that Q = b k steps guarantee: (kappa - 1)/(kappa + 1)."""
    return 2.0 * math.sqrt(b) / (b + 1.0)


def bss_kappa(b):
    """The bound on lambda_max/lambda_min after b k steps: ((sqrt b + 1)/(sqrt b - 1))^2."""
    return ((math.sqrt(b) + 1.0) / (math.sqrt(b) - 1.0)) ** 2


def bss_b(eps):
    """The b > 1 with bss_eps(b) = eps."""
    return ((1.0 + math.sqrt(1.0 - eps**2)) / eps) ** 2


# The step ratio b: BSS needs more than rank(X) steps.
STEP_RATIO = Interval(Real, 1, None, closed="neither")


def refresh_period(k):
    """Steps between eigendecompositions of A.  A refresh costs O(k^3), the j-th step
    after it O(k j^2): r ~ k^(2/3) balances them."""
    return max(1, round(REFRESH * k ** (2.0 / 3.0)))


class WhitenedColumns:
    """The columns v_i = B X_i of X (n x d) whitened on range(XX^T), held as B and X."""

    def __init__(self, X):
        lam, U = range_eigh(gram(X))
        self.B = (U / np.sqrt(lam)).T
        if sp.issparse(X):
            X = X.tocsc()
            if not X.has_sorted_indices:
                X = X.sorted_indices()
        self.X = X

    @property
    def rank(self):
        return self.B.shape[0]

    def __len__(self):
        return self.X.shape[1]

    def take(self, index):
        """The whitened columns ``index``, k x len(index) dense float64."""
        return np.asarray(self.B @ as_float64(self.X[:, index]))

    def rank_all(self, Q, w):
        """sum_r w_r (Q^T v_i)_r^2 for every column and the same with |w_r| (its scale).

        With F = diag(sqrt|w|) Q^T B (k x n) split by the sign of w, these are
        |F+ X_i|^2 -+ |F- X_i|^2.  Dense X: products with column blocks, in float32 (twice
        as fast: a ranking only, every column is scored again in float64 before it is
        taken), 2 k n d flops.  Sparse X: X_i^T N X_i with the n x n N = F+^T F+ -+ F-^T F-
        over each column's nonzeros, n^2 k + 2 sum_i nnz(X_i)^2 (no dense k-vector per
        column)."""
        order = np.argsort(w < 0, kind="stable")
        split = int(np.count_nonzero(w >= 0))
        F = (Q[:, order] * np.sqrt(np.abs(w[order]))).T @ self.B
        d = self.X.shape[1]
        slack, scale = np.empty(d), np.empty(d)
        if sp.issparse(self.X):
            plus, minus = F[:split].T @ F[:split], F[split:].T @ F[split:]
            X = self.X
            csc_quadratic_forms(X.indptr, X.indices, X.data, plus - minus, slack)
            csc_quadratic_forms(X.indptr, X.indices, X.data, plus + minus, scale)
            return slack, scale
        FT = F.T.astype(np.float32)
        block = max(1, BLOCK_BYTES // (8 * F.shape[0]))
        for start in range(0, d, block):
            PT = self.X[:, start:start + block].astype(np.float32).T @ FT  # block x k
            plus = np.einsum("ir,ir->i", PT[:, :split], PT[:, :split])
            minus = np.einsum("ir,ir->i", PT[:, split:], PT[:, split:])
            slack[start:start + block], scale[start:start + block] = plus - minus, plus + minus
        return slack, scale


class _Barrier:
    """One barrier resolvent at its next position, by Woodbury on the refresh eigenbasis.

    ``sign`` -1: (u'I - A)^{-1}, g = u' - a; +1: (A - l'I)^{-1}, g = a - l'.  ``PT`` is
    P^T (j x k), the batch in eigenbasis coordinates, each row scaled by sqrt(t).
    ``phi`` is the trace; ``forms`` the quadratic forms of candidate columns."""

    def __init__(self, g, sign, PT):
        self.g, self.sign, self.PT = g, sign, PT
        self.phi = np.sum(1.0 / g)
        if not PT.shape[0]:
            return
        root = 1.0 / np.sqrt(g)
        S = PT * root
        C = S @ S.T
        C *= sign
        C.flat[:: C.shape[0] + 1] += 1.0
        self.L, info = dpotrf(C, lower=1, clean=1, overwrite_a=1)
        if info:
            raise FloatingPointError("BSS barrier broken by rounding: C is not positive.")
        S *= root
        self.DPT, self.H = S, S @ S.T  # P^T D and P^T D^2 P
        # tr(C^{-1} H) from the lower triangle of C^{-1} (L's upper triangle is zero).
        inverse = dpotri(self.L, lower=1)[0]
        self.phi -= sign * (2.0 * np.einsum("ij,ij->", inverse, self.H)
                            - inverse.diagonal() @ self.H.diagonal())

    def forms(self, Pw):
        """v^T R v and v^T R^2 v for the columns of Pw = Q^T V (k x c), R the resolvent:
        with q = D p, c = P^T q, e = P^T D q, y = C^{-1} c, they are p^T q - s c^T y and
        q^T q - 2 s e^T y + y^T H y (j-vectors only, beyond q)."""
        if not self.PT.shape[0]:  # R = D: weighted sums of squares, one product
            weights = 1.0 / self.g
            return tuple(np.vstack([weights, weights * weights]) @ (Pw * Pw))
        q = Pw / self.g[:, None]
        linear, square = np.einsum("ri,ri->i", Pw, q), np.einsum("ri,ri->i", q, q)
        c, e = self.PT @ q, self.DPT @ q
        y = dpotrs(self.L, c, lower=1)[0]
        linear -= self.sign * np.einsum("bi,bi->i", c, y)
        square += np.einsum("bi,bi->i", y, self.H @ y - 2.0 * self.sign * e)
        return linear, square


class _TwiceRamanujan:
    """The BSS iteration over whitened columns (sum_i v_i v_i^T = I_k); see the module.

    After ``run``: ``s`` (the weight of every column), ``A`` (= sum_i s_i v_i v_i^T,
    accumulated), ``n_refreshes`` and ``n_full_scorings``."""

    def __init__(self, columns, n_steps, shortlist=True):
        self.columns, k = columns, columns.rank
        self.n_steps = n_steps
        sb = math.sqrt(n_steps / k)
        self.delta_u, self.delta_l = (sb + 1.0) / (sb - 1.0), 1.0
        self.u, self.l = k * (sb * sb + sb) / (sb - 1.0), -k * sb
        self.phi_u_max, self.phi_l_max = k / self.u, -k / self.l  # the potentials of A = 0
        self.A = np.zeros((k, k))
        self.s = np.zeros(len(columns))
        # "all": refresh and rank every column at every step, so the window holds the best.
        self.period = refresh_period(k) if shortlist else 1
        self.full_every = -(-n_steps // FULL_SCORINGS) if shortlist else 1
        self.size = SHORTLIST * k if shortlist else WINDOW
        self.n_full_scorings = self.n_refreshes = 0
        self.batch_v = np.empty((k, self.period))
        self.batch_pt = np.empty((self.period, k))
        self.batch_t = np.empty(self.period)
        self.taken = {}  # column -> its slot in the batch
        self.step = self.next_full = 0

    def run(self):
        for step in range(self.n_steps):
            self.step = step
            if step == 0 or self.age == self.period or self.l + self.delta_l >= self.limit:
                self._refresh(full=step >= self.next_full)
            elif not self.prepared:
                self._prepare()
            self._take(*self._choose())
        self._fold()
        _check_barriers(np.linalg.eigvalsh(self.A), self.u, self.l)
        return self

    # -- A, its eigenbasis and the batch --------------------------------------------------
    def _fold(self):
        """A += the batch, sum of t v v^T over the columns taken since the refresh."""
        j = len(self.taken)
        if j:
            V = self.batch_v[:, :j] * np.sqrt(self.batch_t[:j])
            self.A += V @ V.T
        self.taken.clear()

    def _refresh(self, full):
        self._fold()
        self.n_refreshes += 1
        self.a, self.Q = eigh(self.A, driver="evd", check_finite=False)
        _check_barriers(self.a, self.u, self.l)
        self.phi_u, self.phi_l = np.sum(1.0 / (self.u - self.a)), np.sum(1.0 / (self.a - self.l))
        if (self.phi_u > self.phi_u_max * (1 + POTENTIAL_RTOL)
                or self.phi_l > self.phi_l_max * (1 + POTENTIAL_RTOL)):
            raise FloatingPointError(
                f"BSS potential grew: Phi^u = {self.phi_u:.6g} (<= {self.phi_u_max:.6g}), "
                f"Phi_l = {self.phi_l:.6g} (<= {self.phi_l_max:.6g})."
            )
        self.age = 0
        self.limit = self.l + 0.5 * (self.a[0] - self.l)
        self._prepare()
        if full:
            self._rank_all()
        self._rank_shortlist()

    def _prepare(self):
        """Both barrier resolvents at u', l' for the current A, and the potential drops."""
        PT = self.batch_pt[: len(self.taken)]
        self.upper = _Barrier(self.u + self.delta_u - self.a, -1.0, PT)
        self.lower = _Barrier(self.a - self.l - self.delta_l, 1.0, PT)
        self.drop_u = self.phi_u - self.upper.phi  # Phi^u(A) - Phi^u'(A)
        self.drop_l = self.lower.phi - self.phi_l  # Phi_l'(A) - Phi_l(A)
        if not (self.drop_u > 0 and self.drop_l > 0):
            raise FloatingPointError("BSS potentials lost to rounding.")
        self.prepared = True

    # -- scores -------------------------------------------------------------------------
    def _weights(self):
        """(w_U, w_L, w_U', w_L') with U_A(v) = sum_r (w_U + w_U') p_r^2 and L_A(v) likewise,
        p = Q^T v, valid while the batch is empty (both resolvents diagonal in Q)."""
        ru, rl = 1.0 / self.upper.g, 1.0 / self.lower.g
        return ru, -rl, ru * ru / self.drop_u, rl * rl / self.drop_l

    def _rank_all(self):
        """Rank every column at the refresh; the SHORTLIST k of largest slack are kept."""
        self.n_full_scorings += 1
        self.next_full = self.step + self.full_every
        lin_u, lin_l, sq_u, sq_l = self._weights()
        slack, scale = self.columns.rank_all(self.Q, sq_l + lin_l - sq_u - lin_u)
        slack[scale == 0] = -np.inf  # zero columns (U_A = L_A = 0) can never be taken
        size = min(self.size, int(np.count_nonzero(scale)))
        kth = np.partition(slack, slack.size - size)[slack.size - size]
        self.short = _at_least(slack, scale, kth, RANK_RTOL)
        self.short_v = self.columns.take(self.short)
        self.short_v32 = self.short_v.astype(np.float32)
        self.short_p = np.empty_like(self.short_v)

    def _rank_shortlist(self):
        """Priorities of the shortlist at a refresh: slacks from float32 coordinates."""
        P = self.Q.T.astype(np.float32) @ self.short_v32
        P *= P
        lin_u, lin_l, sq_u, sq_l = (w.astype(np.float32) @ P for w in self._weights())
        U, L = sq_u + lin_u, sq_l + lin_l
        self.prio, self.scale = (L - U).astype(np.float64), (U + np.abs(L)).astype(np.float64)
        self.projected = np.zeros(self.short.size, bool)

    def _project(self, positions):
        """Float64 eigenbasis coordinates of the shortlisted ``positions`` not yet projected
        since the refresh, and of the PREFETCH unprojected ones of highest priority (later
        windows come from there: one product reads Q once for all of them)."""
        waiting = np.where(self.projected, -np.inf, self.prio)
        size = min(PREFETCH, int(np.count_nonzero(~self.projected)))
        ahead = np.argpartition(waiting, waiting.size - size)[waiting.size - size:]
        stale = np.union1d(positions, ahead)
        stale = stale[~self.projected[stale]]
        self.short_p[:, stale] = self.Q.T @ self.short_v[:, stale]
        self.projected[stale] = True

    def _score(self, positions):
        """Exact U_A, L_A (and their terms) of the shortlisted ``positions``; their
        priorities become their slacks."""
        if not self.projected[positions].all():
            self._project(positions)
        Pw = self.short_p[:, positions]
        lin_u, sq_u = self.upper.forms(Pw)
        lin_l, sq_l = self.lower.forms(Pw)
        U = sq_u / self.drop_u + lin_u
        L = sq_l / self.drop_l - lin_l
        self.prio[positions], self.scale[positions] = L - U, U + np.abs(L)
        return U, L, (lin_u, sq_u, lin_l, sq_l)

    def _choose(self):
        """(position, U_A, L_A, terms) of the column to take: the largest exact slack in
        the window, else in the whole shortlist, else after ranking all columns again."""
        for scope in ("window", "shortlist", "all"):
            if scope == "all":
                self._refresh(full=True)
            if scope == "window":
                size = min(WINDOW, self.prio.size)
                kth = np.partition(self.prio, self.prio.size - size)[self.prio.size - size]
                positions = _at_least(self.prio, self.scale, kth, RANK_RTOL)
            else:
                positions = np.arange(self.short.size)
            U, L, terms = self._score(positions)
            slack = L - U
            best = int(_at_least(slack, U + np.abs(L), slack.max(), TIE_RTOL)[0])
            if 0 < U[best] <= L[best]:
                return positions[best], U[best], L[best], [term[best] for term in terms]
        raise FloatingPointError("BSS found no column with U_A(v) <= L_A(v).")

    def _take(self, position, U, L, terms):
        lin_u, sq_u, lin_l, sq_l = terms
        t = 2.0 / (U + L)
        if not t * lin_u < 1.0:
            raise FloatingPointError("BSS upper barrier crossed by rounding.")
        # Sherman-Morrison: the potentials of A + t v v^T at the new barriers.
        self.phi_u = self.upper.phi + t * sq_u / (1.0 - t * lin_u)
        self.phi_l = self.lower.phi - t * sq_l / (1.0 + t * lin_l)
        self.u, self.l = self.u + self.delta_u, self.l + self.delta_l
        column = int(self.short[position])
        self.s[column] += t
        slot = self.taken.get(column)
        if slot is None:  # a column taken twice in a batch is one rank, its t summed
            slot = self.taken[column] = len(self.taken)
            self.batch_v[:, slot] = self.short_v[:, position]
            self.batch_t[slot] = 0.0
        self.batch_t[slot] += t
        self.batch_pt[slot] = self.short_p[:, position] * math.sqrt(self.batch_t[slot])
        self.age += 1
        self.prepared = False


def _at_least(values, scale, threshold, rtol):
    """Positions with values >= threshold, widened by rtol times the largest scale."""
    return np.flatnonzero(values >= threshold - rtol * scale.max())


def twice_ramanujan(columns, n_steps, shortlist=True):
    """BSS on whitened columns (``WhitenedColumns``) for n_steps > rank steps; see the
    module docstring.  ``shortlist`` False is the plain greedy.  Returns the finished
    iteration: ``s`` (weights), ``A``, ``n_refreshes``, ``n_full_scorings``."""
    return _TwiceRamanujan(columns, n_steps, shortlist).run()


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
    range, <= kappa_), ``n_refreshes_`` and ``n_full_scorings_`` (eigendecompositions of
    A and rankings of all d columns, the costs besides the steps).
    """

    deterministic = True
    cost_model = "deterministic"
    _parameter_constraints: ClassVar[dict] = {
        "eps": [OPEN_UNIT],
        "b": [STEP_RATIO, None],
        "candidates": [Options(*CANDIDATES)],
    }

    def __init__(self, eps=0.5, b=None, candidates="shortlist"):
        self.eps = eps
        self.b = b
        self.candidates = candidates

    def _fit(self, X, rng):
        columns = WhitenedColumns(X)
        self.rank_ = columns.rank
        b = bss_b(self.eps) if self.b is None else float(self.b)
        self.n_steps_ = math.ceil(b * self.rank_)
        self.n_refreshes_ = self.n_full_scorings_ = 0
        if self.rank_ == 0:  # X = 0: the empty Y is exact
            self.b_, self.kappa_, self.eps_, self.eigenvalue_ratio_ = b, 1.0, 0.0, 1.0
            self.selected_, self.weights_ = np.empty(0, np.intp), np.empty(0)
            self.n_components_ = 0
            return
        self.b_ = self.n_steps_ / self.rank_
        self.kappa_, self.eps_ = bss_kappa(self.b_), bss_eps(self.b_)
        search = twice_ramanujan(columns, self.n_steps_, self.candidates == "shortlist")
        self.n_refreshes_, self.n_full_scorings_ = search.n_refreshes, search.n_full_scorings
        chosen = np.flatnonzero(search.s)
        s = search.s[chosen]
        # The bounds from sum s_i v_i v_i^T formed afresh, not from the accumulated A.
        V = columns.take(chosen)
        low, high = np.linalg.eigvalsh((V * s) @ V.T)[[0, -1]]
        self.eigenvalue_ratio_ = float(high / low)
        self.selected_ = chosen
        self.weights_ = np.sqrt(s * (2.0 / (low + high)))
        self.n_components_ = chosen.size
