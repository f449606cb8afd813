"""Two-stage column selection: leverage-score sampling to O(n log n) columns, then BSS.

Stage 1, the sampling reducer named by ``first_stage`` (default ``leverage_fast``, the
paper's randomized algorithm; ``leverage_exact`` scores exactly at the price of forming
XX^T), draws its ``n_components="auto"`` number of columns, s = O(k log(k/delta)/eps^2)
(k = rank X), and gives Y1 with (1 - eps)XX^T <= Y1Y1^T <= (1 + eps)XX^T with
probability >= 1 - delta (see that reducer for the bound and its assumptions).
Stage 2, :class:`~attnbench.algorithms.bss.BSS` with ``b`` (or the b of ``eps``), keeps
m <= ceil(b rank(Y1)) <= ceil(b n) of those columns, reweighted, with
(1 - eps_2)Y1Y1^T <= YY^T <= (1 + eps_2)Y1Y1^T always, eps_2 = 2 sqrt(b)/(b + 1).

Combined guarantee (the product of the two spectral bounds; failure probabilities add
by the union bound, and BSS never fails): with probability >= 1 - delta,
(1 - eps)(1 - eps_2) XX^T <= YY^T <= (1 + eps)(1 + eps_2) XX^T, i.e. (1 +- eps_) with
``eps_`` = (1 + eps)(1 + eps_2) - 1 (NaN when an explicit ``n_components`` leaves stage 1
without a bound).  Randomized; the same ``random_state`` gives bitwise the same output.

Cost: stage 1 (leverage_fast: O(nnz(X) log(nd/delta) + n^3); leverage_exact: XX^T,
min(sum_i nnz(X_i)^2, d n^2), plus n^3), then BSS on the s dense columns of Y1,
independent of d (see bss).  Cost model: ``randomized``, a nnz(X) + b n^omega, for the
default stage 1; the BSS stage grows faster in n than the n^omega term (as b n^(omega+1)
with bss's steps), and with ``first_stage="leverage_exact"`` stage 1 costs a Gram.
"""

import math
from typing import ClassVar

import numpy as np

from attnbench.algorithms.base import SIZED_PARAMETERS, ColumnSubsetReducer, SamplingReducer
from attnbench.algorithms.bss import BSS, STEP_RATIO
from attnbench.algorithms.registry import ReducerName, get_reducer, register


@register("bss_hybrid")
class BSSHybrid(ColumnSubsetReducer):
    """Leverage-score sampling (``first_stage``) followed by BSS on the sampled columns.

    ``n_components`` (its number of draws), ``eps`` and ``delta`` go to stage 1;
    ``b`` (or else ``eps``) to BSS.  Attributes: ``selected_``, ``weights_``, ``eps_``
    (combined bound), ``first_stage_`` and ``bss_`` (the two fitted reducers), and the
    first stage's sizes: ``n_draws_``, ``n_components_auto_`` and ``auto_reaches_d_``.
    """

    deterministic = False
    cost_model = "randomized"
    _parameter_constraints: ClassVar[dict] = {
        **SIZED_PARAMETERS,
        "b": [STEP_RATIO, None],
        "first_stage": [ReducerName(SamplingReducer, "leverage_fast")],
    }

    def __init__(
        self,
        n_components="auto",
        eps=0.5,
        delta=0.1,
        b=None,
        first_stage="leverage_fast",
        random_state=None,
    ):
        self.n_components = n_components
        self.eps = eps
        self.delta = delta
        self.b = b
        self.first_stage = first_stage
        self.random_state = random_state

    def _fit(self, X, rng):
        self.first_stage_ = get_reducer(
            self.first_stage,
            n_components=self.n_components,
            eps=self.eps,
            delta=self.delta,
            random_state=rng,
        ).fit(X)
        # Its size is the first stage's: its draws and the bound behind "auto".
        self.n_draws_ = self.first_stage_.n_draws_
        self.n_components_auto_ = self.first_stage_.n_components_auto_
        self.auto_reaches_d_ = self.first_stage_.auto_reaches_d_
        Y1 = self.first_stage_.transform(X)
        self.bss_ = None
        keep, bss_weights, bss_eps = np.empty(0, np.intp), 1.0, 0.0
        if Y1.shape[1]:  # n_components=0 leaves BSS nothing to choose from
            self.bss_ = BSS(eps=self.eps, b=self.b).fit(Y1)
            keep, bss_weights, bss_eps = self.bss_.selected_, self.bss_.weights_, self.bss_.eps_
        self.selected_ = self.first_stage_.selected_[keep]
        self.weights_ = self.first_stage_.weights_[keep] * bss_weights
        self.n_components_ = keep.size
        first_eps = self.eps if self.n_components == "auto" else math.nan
        self.eps_ = (1.0 + first_eps) * (1.0 + bss_eps) - 1.0
