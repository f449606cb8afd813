"""Each fast reducer's CPU time over the peer it replaces, as asv ``track_`` ratios (lower
is better; below 1 the reducer is faster), measured in one process, BLAS on one thread.

Pairs (``PAIRS``: the reducer's fit_transform against the peer, at the m of ``SHAPES``;
each called once untimed first):

- ``gaussian`` (float64 product) and ``gaussian_single`` (``precision="single"``,
  SGEMM) against scikit-learn's ``GaussianRandomProjection`` (same n, d, m; its time is
  mostly NumPy's legacy normal generator, then the same DGEMM);
- ``countsketch`` against SciPy's ``X @ S`` with the reducer's own CSR S (for C-ordered X
  SciPy transposes a copy first) and ``scipy.linalg.clarkson_woodruff_transform`` of
  X^T, the same sketch drawn by SciPy;
- ``leverage_fast`` against ``leverage_exact`` (exact scores from an n x n eigh, the
  product XX^T first): the speed-up of the paper's Theorem 1 over computing the scores.

The input is dense C X, n x d, standard normal (``SHAPES``); ``smoke`` is tiny, for CI.
"""

from .common import blas_threads_limited, cpu_ratio, grid_name, random_input, suite_version

PAIRS = [
    "gaussian/sklearn_gaussian",
    "gaussian_single/sklearn_gaussian",
    "countsketch/scipy_matmul",
    "countsketch/scipy_cwt",
    "leverage_fast/leverage_exact",
]
# The reducers of PAIRS that are a registered reducer with other parameters.
VARIANTS = {"gaussian_single": ("gaussian", {"precision": "single"})}
# (n, d, m)
SHAPES = {"smoke": (16, 512, 64), "default": (256, 2**14, 2048), "large": (256, 2**16, 2048)}
ROUNDS = 5
SEED = 0


def peer_of(peer, reducer, X, m):
    """The peer's work on X as a function of no arguments."""
    from scipy.linalg import clarkson_woodruff_transform
    from sklearn.random_projection import GaussianRandomProjection

    from attnbench.algorithms import get_reducer

    if peer == "sklearn_gaussian":
        return lambda: GaussianRandomProjection(m, random_state=SEED).fit_transform(X)
    if peer == "scipy_matmul":
        S = reducer.fit(X).components_
        return lambda: X @ S
    if peer == "scipy_cwt":
        return lambda: clarkson_woodruff_transform(X.T, m, rng=SEED)
    if peer == "leverage_exact":
        exact = get_reducer("leverage_exact", n_components=m, random_state=SEED)
        return lambda: exact.fit_transform(X)
    raise ValueError(f"unknown peer {peer!r}")


class OverPeer:
    """fit_transform's CPU time over its peer's, one pair of PAIRS at a time."""

    params = [PAIRS]  # noqa: RUF012 (asv reads class attributes)
    param_names = ["pair"]  # noqa: RUF012 (asv reads class attributes)
    version = suite_version(1)
    timeout = 600

    def setup(self, pair):
        from attnbench.algorithms import get_reducer

        name, peer = pair.split("/")
        n, d, m = SHAPES[grid_name()]
        self._limits = blas_threads_limited()
        self.X = random_input(n, d, None, "dense_c")
        name, params = VARIANTS.get(name, (name, {}))
        self.reducer = get_reducer(name, n_components=m, random_state=SEED, **params)
        self.peer = peer_of(peer, self.reducer, self.X, m)
        self.reducer.fit_transform(self.X)  # numba's cached kernels loaded, caches warm
        self.peer()

    def teardown(self, pair):
        self._limits.restore_original_limits()

    def track_time_over_peer(self, pair):
        return cpu_ratio(lambda: self.reducer.fit_transform(self.X), self.peer, ROUNDS)

    track_time_over_peer.unit = "peer"
