"""Each built-in reducer's CPU time over its cost floor, and reducing-then-attending over
attending directly, as asv ``track_`` ratios (lower is better).

A ratio is measured in one process: the reducer's ``fit_transform`` and its floor are
timed alternately (CPU clock, BLAS on one thread), ``ROUNDS`` times each, and the ratio
of the medians is tracked, so that it does not move with the machine's load.

Floors (what no implementation of the method can skip):

- countsketch, osnap: one read of X (``X.sum()``; CSR: its data and indices);
- gaussian: one float64 product X W with W dense d x m, m the reducer's fitted size;
- sparse_sign: its product X W with its own sparse W (the fitted ``components_``, CSR,
  about q d m = m sqrt(d) nonzeros): n nnz(W) multiply-adds after a read of X, as SciPy
  computes it; the ratio is then the cost of drawing W in units of that;
- srht: one orthonormal DCT-II of length d of every row of X, O(n d log d): SciPy's
  pocketfft on blocks of rows of X as laid out, 4 MiB each as in the reducer (faster than
  one call on all of X); CSR X densified beforehand, untimed.  The ratio is then the
  sign flips, the copies and the sampling of m columns in units of that;
- leverage_fast: its sketch stage (the OSNAP embedding X S, d x k with s nonzeros a row,
  its fitted sizes) plus its Johnson-Lindenstrauss product Omega^T X (r x n times n x d,
  Omega^T C-ordered: BLAS's fastest route for every layout, 2.3x faster than X^T Omega
  on C-ordered X) plus its output, the m sampled columns weighted (its fitted
  ``selected_`` and ``weights_``: at the auto size m is close to d, so Y is about as
  large as X; version 2 of this floor left it out);
- svd: the Gram XX^T plus an n x n ``eigh``;
- bss: the whitening (Gram plus n x n ``eigh``) and one full scoring, the k x d product
  B X of the whitening map B = Lam^{-1/2} U^T with X: the work before the first barrier
  step.  The ratio is then the cost of the Q = ceil(b k) steps in units of that.

The sparse sketches' output is a dense n x m Y, which at these sizes outweighs X on CSR
(Y 4 MB, X's data and indices 0.5 MB at n = 256, m = 2048, d = 2^14, 1 %), so a read of X
is a floor no kernel can approach there: ``SketchIOFloor`` tracks their time over a read
of X plus a fresh write of Y (``np.ones((n, m))``, as the time rule prices it).

End to end (``EndToEnd``): (reduce + attend) / direct, attend = the row softmax of YY^T
and direct = A(X) from the exact Gram (``attnbench.linalg.gram`` and ``attention``), at
a dense regime and a sparse one (``E2E_REGIMES``): above 1, reducing does not pay.

Sizes are read from ``ATTNBENCH_BENCH_GRID`` (``common.shapes``' variable): ``smoke``
is tiny, for CI.
"""

import warnings

from .common import blas_threads_limited, cpu_ratio, grid_name, random_input, suite_version

FLOOR_REDUCERS = [
    "countsketch", "osnap", "gaussian", "sparse_sign", "srht", "leverage_fast", "svd", "bss",
]  # fmt: skip
LAYOUTS = ["dense_c", "dense_f", "csr"]
# (n, d, m of the sparse sketches, CSR density)
FLOOR_SHAPES = {
    "smoke": (16, 512, 64, 0.05),
    "default": (256, 2**14, 2048, 0.01),
    "large": (256, 2**16, 2048, 0.01),
}
OSNAP_NNZ = 6
# (n, d, density or None for dense, m of the reducer as a multiple of n)
E2E_REGIMES = {
    "smoke": {"dense": (32, 2**12, None), "sparse": (32, 2**14, 1e-2)},
    "default": {"dense": (1024, 2**16, None), "sparse": (1024, 2**20, 1e-3)},
}
E2E_REDUCERS = ["countsketch", "osnap", "gaussian", "leverage_fast"]
E2E_COMPONENTS_PER_TOKEN = 4  # m = 4n for every reducer (leverage_fast: 4n draws); at its
# auto size leverage_fast keeps nearly every column at n = 1024 and compresses nothing
ROUNDS = 5
SEED = 0


def read_of(X):
    import scipy.sparse as sp

    if sp.issparse(X):
        return lambda: (X.data.sum(), X.indices.sum())
    return X.sum


def floor_of(name, reducer, X):
    """The floor of the fitted ``reducer`` on X, as a function of no arguments."""
    import numpy as np
    import scipy.fft
    import scipy.sparse as sp

    from attnbench.algorithms._kernels import apply_sparse_embedding, weighted_columns
    from attnbench.algorithms.srht import ROW_BLOCK_BYTES
    from attnbench.linalg import gram

    n, d = X.shape
    rng = np.random.default_rng(SEED)
    if name in ("countsketch", "osnap"):
        return read_of(X)
    if name == "gaussian":
        W = rng.standard_normal((d, max(reducer.n_components_, 1)))
        return lambda: X @ W
    if name == "sparse_sign":
        W = reducer.components_
        return lambda: X @ W
    if name == "srht":
        rows = X.toarray() if sp.issparse(X) else X
        step = max(1, ROW_BLOCK_BYTES // (8 * d))

        def dct_rows():  # each block's output freed before the next: one block in memory
            for i in range(0, n, step):
                scipy.fft.dct(rows[i : i + step], type=2, norm="ortho", axis=1)

        return dct_rows
    if name == "leverage_fast":
        k, s, r = reducer.sketch_components_, reducer.sketch_nnz_, reducer.jl_components_
        Omega_T = np.ascontiguousarray(rng.standard_normal((n, r)).T)
        selected, weights = reducer.selected_, reducer.weights_
        return lambda: (
            apply_sparse_embedding(X, 1, k, s),
            Omega_T @ X,
            weighted_columns(X, selected, weights),
        )
    if name == "svd":
        return lambda: np.linalg.eigh(gram(X))
    if name == "bss":

        def whiten_and_score():
            values, vectors = np.linalg.eigh(gram(X))
            B = vectors.T / np.sqrt(np.maximum(values, 1e-300))[:, None]
            return (X.T @ B.T).T

        return whiten_and_score
    raise NotImplementedError(f"no floor for {name}")


def fitted(name, X, m):
    from attnbench.algorithms import get_reducer

    reducer = get_reducer(name)
    params = reducer.get_params(deep=False)
    overrides = {"random_state": SEED} if "random_state" in params else {}
    if name in ("countsketch", "osnap", "gaussian", "sparse_sign", "srht"):
        overrides["n_components"] = m
    if name == "osnap":
        overrides["s"] = OSNAP_NNZ
    reducer.set_params(**overrides)
    with warnings.catch_warnings():  # the smoke grid's auto sizes exceed d
        warnings.simplefilter("ignore")
        reducer.fit(X)
    return reducer


class _OverFloor:
    """fit_transform's CPU time over ``_floor``, on one X per reducer and layout."""

    param_names = ["reducer", "layout"]  # noqa: RUF012 (asv reads class attributes)
    timeout = 600

    def setup(self, name, layout):
        n, d, m, density = FLOOR_SHAPES[grid_name()]
        self._limits = blas_threads_limited()
        self.X = random_input(n, d, density, layout)
        self.reducer = fitted(name, self.X, m)
        self.floor = self._floor(name, n, m)

    def teardown(self, *params):
        self._limits.restore_original_limits()

    def _ratio(self, rounds=ROUNDS):
        return cpu_ratio(lambda: self.reducer.fit_transform(self.X), self.floor, rounds)


class CostFloor(_OverFloor):
    """fit_transform's CPU time over its floor, per reducer and layout of X."""

    params = [FLOOR_REDUCERS, LAYOUTS]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(3)  # 3: leverage_fast's floor writes its output

    def _floor(self, name, n, m):
        return floor_of(name, self.reducer, self.X)

    def track_ratio_to_floor(self, name, layout):
        return self._ratio(1 if name == "bss" and grid_name() != "smoke" else ROUNDS)

    track_ratio_to_floor.unit = "floor"


class SketchIOFloor(_OverFloor):
    """fit_transform's CPU time over a read of X plus a write of a fresh n x m Y."""

    params = [["countsketch", "osnap"], LAYOUTS]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(1)

    def _floor(self, name, n, m):
        import numpy as np

        read = read_of(self.X)
        return lambda: (read(), np.ones((n, m)))

    def track_ratio_to_read_and_write(self, name, layout):
        return self._ratio()

    track_ratio_to_read_and_write.unit = "read + write"


class EndToEnd:
    """(reduce + attend) / direct: reduce X to Y, then softmax rows of YY^T, against the
    exact A(X) from the Gram of X; above 1, reducing does not pay."""

    params = [E2E_REDUCERS, ["dense", "sparse"]]  # noqa: RUF012 (asv reads class attributes)
    param_names = ["reducer", "regime"]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(2)  # 2: leverage_fast at m = 4n draws too (was its auto size)
    timeout = 1200

    def setup(self, name, regime):
        n, d, density = E2E_REGIMES["smoke" if grid_name() == "smoke" else "default"][regime]
        self._limits = blas_threads_limited()
        self.X = random_input(n, d, density, "csr" if density else "dense_c")
        self.m = E2E_COMPONENTS_PER_TOKEN * n
        self.name = name

    def teardown(self, *params):
        self._limits.restore_original_limits()

    def track_reduce_and_attend_over_direct(self, name, regime):
        from attnbench.algorithms import get_reducer
        from attnbench.linalg import attention, gram

        reducer = get_reducer(name, n_components=self.m, random_state=SEED)

        def reduced():
            return attention(gram(reducer.fit_transform(self.X)))

        return cpu_ratio(reduced, lambda: attention(gram(self.X)), rounds=3)

    track_reduce_and_attend_over_direct.unit = "direct"
