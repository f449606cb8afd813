"""Peak memory of every built-in reducer's fit_transform (algorithms/base.py states the
rule).

X is sparse (CSR), n = 32 tokens, d = 2^20 features, 2^20 nonzeros (12 MiB), where a
dense n x d or d x m (m = 32) array is 256 MiB.  A fresh interpreter (one BLAS thread)
builds X and warms every reducer up on a small matrix (numba compilation, lazy imports);
then each reducer's fit_transform runs in its own forked child, which measures the growth
of its peak resident set over the call (VmHWM, reset through /proc/self/clear_refs) and
the tracemalloc peak (NumPy and SciPy arrays).  The larger of the two must stay under

    (C_X - 1) size(X) + 8 (A_N2 n^2 + A_NM n m + A_D d) + SLACK bytes,

X itself aside (it exists before the call): at most one transient copy of X (a format
conversion), Y and a few more n x m arrays, a few n x n arrays and d-vectors (or
blocks of that size).  Here that is 92 MiB.  A reducer whose docstring documents more
adds its number (DOCUMENTED).
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from _support import builtin_reducers, make_reducer, sparse_matrix

N, D, NNZ, M = 32, 2**20, 2**20, 32
C_X, A_N2, A_NM, A_D = 2, 8, 4, 8
SLACK = 16 * 2**20  # allocator rounding, tracemalloc's own traces, a lazy import
MiB = 2**20

# Documented exceptions (each reducer's docstring gives the number): bytes beyond the rule.
DOCUMENTED = {
    # scikit-learn stores R (m x d dense) and SciPy's sparse product copies R^T
    "peer_sklearn_gaussian": lambda n, d, m: 16 * d * m,
}

# Reducers that other branches are rewriting, measured over the bound on this branch.
OVER_BOUND_TODAY = {}  # built-in reducers above the bound, with the measured peak

SERVER = textwrap.dedent(
    """
    import gc, json, os, sys, tracemalloc
    import numpy as np, scipy.sparse as sp
    from threadpoolctl import threadpool_limits
    sys.path.insert(0, sys.argv[2])
    from _support import make_reducer

    n, d, nnz, m, names = json.loads(sys.argv[1])

    def status(key):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key + ":"))

    def make(name):
        reducer = make_reducer(name)
        if "n_components" in reducer.get_params():
            reducer.set_params(n_components=m)
        return reducer

    def measure(name, X):
        reducer = make(name)
        gc.collect()
        before = status("VmRSS")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current resident set
        tracemalloc.start()
        Y = reducer.fit_transform(X)
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"m": Y.shape[1], "rss": status("VmHWM") - before, "traced": traced}

    rng = np.random.default_rng(0)
    flat = rng.choice(n * d, size=nnz, replace=False)
    X = sp.csr_matrix((rng.standard_normal(nnz), (flat // d, flat % d)), shape=(n, d))
    small = sp.random(16, 4096, density=0.05, format="csr", random_state=rng)
    with threadpool_limits(1):
        for name in names:
            make(name).fit_transform(small)
        del small, flat
        gc.collect()
        for name in names:
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read)
                try:
                    result = measure(name, X)
                except BaseException as exc:
                    result = {"error": repr(exc)}
                os.write(write, json.dumps(result).encode())
                os._exit(0)
            os.close(write)
            with os.fdopen(read) as f:
                text = f.read()
            os.waitpid(pid, 0)
            result = json.loads(text) if text else {"error": "the child died"}
            print(json.dumps({"name": name, **result}), flush=True)
    """
)


def x_bytes():
    """size(X): data (8), column indices (4) and row pointers (4) of the CSR matrix."""
    return 12 * NNZ + 4 * (N + 1)


def bound(name, m):
    rule = (C_X - 1) * x_bytes() + 8 * (A_N2 * N * N + A_NM * N * m + A_D * D) + SLACK
    return rule + DOCUMENTED.get(name, lambda n, d, m: 0)(N, D, m)


@pytest.fixture(scope="module")
def peaks():
    """{reducer: {"m", "rss", "traced"} or {"error"}}, measured once for the module."""
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("needs Linux's /proc/self/clear_refs to reset the peak resident set")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = builtin_reducers()
    out = subprocess.run(
        [sys.executable, "-c", SERVER, json.dumps([N, D, NNZ, M, names]), tests],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return {row.pop("name"): row for row in map(json.loads, out.stdout.splitlines())}


def cases():
    return [
        pytest.param(
            name,
            marks=[pytest.mark.xfail(strict=True, reason=OVER_BOUND_TODAY[name])]
            if name in OVER_BOUND_TODAY
            else [],
        )
        for name in builtin_reducers()
    ]


@pytest.mark.parametrize("name", cases())
def test_fit_transform_peak_memory_is_bounded(peaks, name):
    result = peaks[name]
    assert "error" not in result, result
    peak = max(result["rss"], result["traced"])
    limit = bound(name, result["m"])
    assert peak <= limit, (
        f"{name}: peak {peak / MiB:.1f} MiB (RSS {result['rss'] / MiB:.1f}, traced "
        f"{result['traced'] / MiB:.1f}) over the bound {limit / MiB:.1f} MiB at n = {N}, "
        f"d = {D}, m = {result['m']}, size(X) = {x_bytes() / MiB:.1f} MiB"
    )


@pytest.mark.parametrize("dense", [False, True])
def test_svd_transforms_through_the_cross_gram_like_its_map(dense):
    """fit_transform returns U_m Lambda_m^{1/2} without W; transform(X') = X'W all the same."""
    X = sparse_matrix(12, 3000, 0.05, seed=5)
    X_fit = X.toarray() if dense else X
    svd = make_reducer("svd")
    Y = svd.fit_transform(X_fit)
    G = (X @ X.T).toarray()
    np.testing.assert_allclose(Y @ Y.T, G, rtol=0, atol=1e-12 * np.abs(G).max())
    W = svd.components_  # d x m, formed on request
    np.testing.assert_allclose(svd.transform(X.toarray().copy()), Y, rtol=0, atol=1e-12)
    other = sparse_matrix(7, 3000, 0.05, seed=6)
    for layout in (other, other.tocsc(), other.toarray()):
        np.testing.assert_allclose(
            svd.transform(layout), other.toarray() @ W, rtol=0, atol=1e-12 * np.abs(Y).max()
        )


def test_zero_does_not_copy_dense_x():
    """The m = 0 reducer's Y is n x 0: on dense X it allocates next to nothing (X @ an
    empty sparse map would copy X first, as it did in the paper run: 2 GiB at d = 2^19)."""
    import tracemalloc

    X = np.random.default_rng(0).standard_normal((64, 2**15))  # 16 MiB
    tracemalloc.start()
    try:
        Y = make_reducer("zero").fit_transform(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert Y.shape == (64, 0) and isinstance(Y, np.ndarray)
    assert peak < X.nbytes / 16
