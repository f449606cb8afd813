"""Shared pieces of the asv suite: the grid, the input matrices and the reducer setup.

Laid out like SciPy's benchmarks/: this small module, then one module per area
(``bench_reducers``: time and peak memory of ``fit_transform``; ``bench_accuracy``:
the metrics of its result as asv ``track_`` numbers; ``bench_floors``: time over each
reducer's cost floor and reducing-then-attending over attending directly;
``bench_speedups``: time over the peers a reducer replaces; ``bench_bss``: bss along n
and its shortlist over the plain greedy; ``bench_datasets``: the generators over NumPy's
and SciPy's; ``bench_executors``: the dask nanny's malloc setting).  Peak memory of
each reducer in a fresh process is scripts/bench_memory.py's, outside the suite.

Grid: every registered reducer x (n, d) x data (gaussian, sparse) x format (dense,
csr), with fixed seeds.  ``ATTNBENCH_BENCH_GRID`` picks the (n, d) axis: ``default``,
``large`` (adds bigger shapes) or ``smoke`` (one tiny shape, for CI and tests).
Combinations that make no sense raise NotImplementedError in ``setup``, which asv
reports as skipped.

Nothing here does work at import time (asv imports every module of the suite on each
run): attnbench is imported inside functions, and the reducer axis is read from the
registry when asv's discovery (or a test) first reads ``params``, so a new reducer
file, entry point or plug-in is benchmarked on the next run without editing the suite.
"""

import os
import statistics
import time

import scipy.sparse as sp

GRID_VARIABLE = "ATTNBENCH_BENCH_GRID"
DEFAULT_SHAPES = [(32, 2048), (64, 8192)]  # (n, d): d >> n, as in the paper
SHAPES = {
    "smoke": [(16, 512)],
    "default": DEFAULT_SHAPES,
    "large": DEFAULT_SHAPES + [(128, 16384), (256, 32768)],
}
DATA = ["gaussian", "sparse"]
FORMATS = ["dense", "csr"]
PARAM_NAMES = ["reducer", "shape", "data", "format"]

R = 0.05  # ||XX^T||_inf of every input: the paper's regime r < 0.1
SPARSE_DENSITY = 0.01
DATA_SEED = 0
REDUCER_SEED = 0
BLAS_THREADS = 1  # the timing protocol (docs/timing.md): clean scaling, less noise on a shared box

# Bump when make_input changes its output (e.g. when attnbench.datasets.make_dataset
# replaces it): every benchmark's asv version includes it, so asv starts new histories
# instead of comparing numbers measured on different data.
DATA_VERSION = 1

# n_components as a multiple of n where 'auto' is absurd on this grid: the
# second-moment bound of countsketch/osnap, m = (n^2 + n)/(delta eps^2), is 166,400 at
# n = 64, twenty times d.  m = 16 n gives spectral eps about 0.5 here, close to the
# auto-sized Gaussian projection.  A new reducer with such an 'auto' gets a line here.
N_COMPONENTS_PER_TOKEN = {"countsketch": 16, "osnap": 16}


def grid_name():
    """The name GRID_VARIABLE gives (``default`` when unset), for modules with their own
    sizes per grid; :func:`shapes` checks it."""
    shapes()
    return os.environ.get(GRID_VARIABLE, "").strip() or "default"


def cpu_ratio(work, floor, rounds):
    """median CPU time of work() / median of floor(), the two timed alternately in this
    process, so that the ratio does not move with the machine's load."""
    spent = {work: [], floor: []}
    for _ in range(rounds):
        for f in (work, floor):
            start = time.process_time()
            f()
            spent[f].append(time.process_time() - start)
    return statistics.median(spent[work]) / max(statistics.median(spent[floor]), 1e-9)


def random_input(n, d, density, layout, seed=DATA_SEED):
    """Standard normal X, n x d: dense C (``dense_c``), dense F (``dense_f``) or CSR with
    ``density`` (``csr``; scipy.sparse.random's pattern, normal values)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if layout == "csr":
        X = sp.random(n, d, density=density, format="csr", random_state=rng)
        X.data = rng.standard_normal(X.nnz)
        return X
    X = rng.standard_normal((n, d))
    return np.asfortranarray(X) if layout == "dense_f" else X


def suite_version(own):
    """asv ``version`` of a benchmark: the data's version and the benchmark's own.

    Pinned, so that editing setup code does not silently discard history; bump ``own``
    when what the benchmark measures changes.
    """
    return f"data{DATA_VERSION}.{own}"


def shapes():
    """The (n, d) axis of the grid that GRID_VARIABLE names (``default`` when unset)."""
    grid = os.environ.get(GRID_VARIABLE, "").strip() or "default"
    if grid not in SHAPES:
        raise ValueError(f"{GRID_VARIABLE} must be one of {sorted(SHAPES)}, got {grid!r}.")
    return SHAPES[grid]


class ReducerGrid:
    """``params`` of the reducer benchmarks, built each time it is read.

    A descriptor, not a list, so that importing the suite imports nothing from
    attnbench and the reducer axis is whatever the registry holds when asv discovers
    the benchmarks.
    """

    def __get__(self, instance, owner):
        from attnbench.algorithms import list_reducers

        return [list_reducers(), shapes(), DATA, FORMATS]


class GridAxis:
    """``params`` of a benchmark whose values depend on the grid: ``axes`` maps a grid
    name to the list of values; read when asv (or a test) reads ``params``."""

    def __init__(self, **axes):
        self.axes = axes

    def __get__(self, instance, owner):
        return [self.axes[grid_name()]]


def make_input(data, n, d, fmt, seed=DATA_SEED):
    """X in R^{n x d} of the attnbench.datasets family ``data``, scaled to
    ||XX^T||_inf = R (density SPARSE_DENSITY where the family takes one), as a dense
    ndarray (``dense``) or a CSR matrix (``csr``).

    Goes through the datasets' on-disk cache (``load_dataset``: bitwise the same X as
    ``make_dataset``), so each benchmark process reads X instead of regenerating it.
    Raises NotImplementedError for a dense family in CSR, which would time a dense
    matrix through sparse code and measure nothing.
    """
    from attnbench.datasets import DatasetSpec, get_family, load_dataset

    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}.")
    family = get_family(data)
    if fmt == "csr" and not family.sparse:
        raise NotImplementedError(f"the {data} family is dense; CSR would measure nothing")
    density = SPARSE_DENSITY if family.takes_density else 1.0
    X = load_dataset(DatasetSpec(data, n, d, density=density, r=R, seed=seed)).X
    return X.toarray() if fmt == "dense" and sp.issparse(X) else X


def make_reducer(name, n, random_state=REDUCER_SEED):
    """The registered reducer ``name`` with its defaults, a fixed seed, and
    n_components = N_COMPONENTS_PER_TOKEN[name] * n where that table has it."""
    from attnbench.algorithms import get_reducer

    reducer = get_reducer(name)
    accepted = reducer.get_params(deep=False)
    overrides = {}
    if "random_state" in accepted:
        overrides["random_state"] = random_state
    if name in N_COMPONENTS_PER_TOKEN:
        overrides["n_components"] = N_COMPONENTS_PER_TOKEN[name] * n
    return reducer.set_params(**overrides)


def blas_threads_limited():
    """BLAS on BLAS_THREADS threads until ``restore_original_limits()`` or the end of a
    ``with`` block.  The limit reaches only the libraries loaded when it is set, so the
    reducers (and SciPy's own OpenBLAS, loaded by ``scipy.linalg``) are imported first."""
    from threadpoolctl import threadpool_limits

    import attnbench.algorithms  # noqa: F401

    return threadpool_limits(limits=BLAS_THREADS)


class Benchmark:
    """Base of the suite's classes: the reducer grid, and BLAS limited while one runs."""

    params = ReducerGrid()
    param_names = PARAM_NAMES
    timeout = 300  # seconds per benchmark; the large grid needs more than asv's 60

    def teardown(self, *params):
        limits = getattr(self, "_blas_limits", None)
        if limits is not None:
            limits.restore_original_limits()
            self._blas_limits = None


class ReducerBenchmark(Benchmark):
    """Setup builds X and the reducer of one combination of the grid."""

    def setup(self, reducer, shape, data, fmt):
        self.X = make_input(data, *shape, fmt)
        self.reducer = make_reducer(reducer, shape[0])
        self._blas_limits = blas_threads_limited()
