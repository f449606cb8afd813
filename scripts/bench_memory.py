"""Time and peak memory of fit_transform at the paper's scale (issue 13, item 1).

    python scripts/bench_memory.py [--n 1024] [--d 1048576] [--nnz 2097152] [--m 4096]
        [--repeats 3] [--reducers svd leverage_exact ...] [--no-reference]

X is sparse CSR with nnz distinct uniformly placed entries (2.1 M at the defaults:
size(X) = 24 MiB, where a dense n x d or d x m array is 8 GiB).

1. Time, in one process, CPU clock, one BLAS thread, median of --repeats: the exact
   route's parts (the sparse Gram XX^T and an n x n eigendecomposition) and the
   fit_transform of svd and leverage_exact, as ratios to Gram + eigh.  Issue 13 asks
   for svd < 3.
2. Peak memory: each reducer's fit_transform (n_components = --m where it has one) in
   its own fresh interpreter, after a warm-up on a small X; the larger of the growth of
   the peak resident set over the call (VmHWM reset through /proc/self/clear_refs,
   Linux) and the tracemalloc peak, as a multiple of size(X), next to the terms of the
   contract (base.py: size(X) + O(n^2 + n m + d)).  The time printed with it runs
   under tracemalloc: it is not the one of part 1.
3. The exact reference, attnbench.metrics.AttentionReference (float64: XX^T, A(X), the
   eigendecomposition of XX^T), at n = 4096, d = 2^22, density 1e-4 (nnz 1.7 M): CPU
   time and peak growth.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

MiB = 2**20
# Left out of the default list at these sizes: identity returns X densified (8 GiB),
# peer_sklearn_gaussian stores R dense (16 d m bytes: 64 GiB), bss and bss_hybrid take
# hours.  Name them with --reducers to measure them anyway.
TOO_BIG = ("identity", "peer_sklearn_gaussian", "bss", "bss_hybrid")


def sparse_x(n, d, nnz, seed=0):
    rng = np.random.default_rng(seed)
    flat = np.sort(rng.choice(n * d, size=nnz, replace=False))
    return sp.csr_matrix((rng.standard_normal(nnz), (flat // d, flat % d)), shape=(n, d))


def x_bytes(X):
    return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes


def cpu_median(fn, repeats):
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return float(np.median(times))


def status_bytes(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))


def peak_growth(fn):
    """(result, CPU seconds, peak growth over fn() in bytes): the larger of the growth of
    the peak resident set (VmHWM; misses memory reused from earlier frees) and the
    tracemalloc peak (misses allocations outside NumPy, e.g. LAPACK workspaces)."""
    gc.collect()
    before = status_bytes("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    tracemalloc.start()
    start = time.process_time()
    result = fn()
    seconds = time.process_time() - start
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, max(status_bytes("VmHWM") - before, traced)


def reducer_with(name, m):
    from attnbench.algorithms import get_reducer, get_reducer_class

    params = set(get_reducer_class(name)._get_param_names())
    kwargs = {"n_components": m} if "n_components" in params else {}
    if "random_state" in params:
        kwargs["random_state"] = 0
    return get_reducer(name, **kwargs)


def child(task):
    """Run in a fresh interpreter: one measured call, printed as JSON."""
    with threadpool_limits(1):
        if task["kind"] == "reducer":
            small = sparse_x(16, 4096, 2048)
            reducer_with(task["name"], 8).fit_transform(small)
            X = sparse_x(task["n"], task["d"], task["nnz"])
            Y, seconds, peak = peak_growth(
                lambda: reducer_with(task["name"], task["m"]).fit_transform(X)
            )
            m = Y.shape[1]
        else:
            from attnbench.metrics import AttentionReference

            AttentionReference(sparse_x(16, 4096, 2048))
            X = sparse_x(task["n"], task["d"], task["nnz"])
            _, seconds, peak = peak_growth(lambda: AttentionReference(X))
            m = 0
    print(json.dumps({"m": m, "seconds": seconds, "peak": peak, "x_bytes": x_bytes(X)}))


def in_child(task):
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(task)],
        capture_output=True, text=True, check=False,
    )
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]}
    return json.loads(out.stdout.splitlines()[-1])


def time_exact_route(args):
    from attnbench.algorithms import get_reducer
    from attnbench.linalg import gram

    X = sparse_x(args.n, args.d, args.nnz)
    G = gram(X)
    with threadpool_limits(1):
        t_gram = cpu_median(lambda: gram(X), args.repeats)
        t_eigh = cpu_median(lambda: np.linalg.eigh(G), args.repeats)
        route = t_gram + t_eigh
        print(f"time (CPU s, one BLAS thread, median of {args.repeats}), n = {args.n}, "
              f"d = {args.d}, nnz = {X.nnz}:")
        print(f"  sparse Gram XX^T {t_gram:8.2f}")
        print(f"  eigh (n x n)     {t_eigh:8.2f}")
        for name, params in (("svd", {}), ("leverage_exact", {"n_components": args.m})):
            reducer = get_reducer(name, **params)
            seconds = cpu_median(lambda r=reducer: r.fit_transform(X), args.repeats)
            print(f"  {name:<16} {seconds:8.2f}   = {seconds / route:.2f} x (Gram + eigh)")


def peak_table(args):
    n, d, m = args.n, args.d, args.m
    print(f"\npeak growth over fit_transform (fresh interpreter each), n = {n}, d = {d}, "
          f"m = {m} where settable:")
    print(f"  contract terms: 8n^2 = {8 * n * n / MiB:.0f} MiB, 8nm = {8 * n * m / MiB:.0f} "
          f"MiB, 8d = {8 * d / MiB:.0f} MiB; dense n x d = {8 * n * d / MiB:.0f} MiB")
    for name in args.reducers:
        task = {"kind": "reducer", "name": name, "n": n, "d": d, "nnz": args.nnz, "m": m}
        result = in_child(task)
        if "error" in result:
            print(f"  {name:<22} failed: {result['error']}")
            continue
        size = result["x_bytes"]
        print(f"  {name:<22} m = {result['m']:>6}  {result['seconds']:7.2f} s  peak "
              f"{result['peak'] / MiB:8.1f} MiB = {result['peak'] / size:6.2f} size(X) "
              f"(size(X) = {size / MiB:.1f} MiB)")


def reference_row(args):
    n, d = args.reference_n, args.reference_d
    nnz = round(args.reference_density * n * d)
    result = in_child({"kind": "reference", "n": n, "d": d, "nnz": nnz})
    print(f"\nAttentionReference at n = {n}, d = {d}, nnz = {nnz}:")
    if "error" in result:
        print(f"  failed: {result['error']}")
        return
    print(f"  {result['seconds']:.1f} s CPU, peak growth {result['peak'] / MiB:.0f} MiB "
          f"(size(X) = {result['x_bytes'] / MiB:.0f} MiB; 8n^2 = {8 * n * n / MiB:.0f} MiB)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--d", type=int, default=2**20)
    parser.add_argument("--nnz", type=int, default=2**21)
    parser.add_argument("--m", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reducers", nargs="*", help="default: every built-in but TOO_BIG")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--reference-n", type=int, default=4096)
    parser.add_argument("--reference-d", type=int, default=2**22)
    parser.add_argument("--reference-density", type=float, default=1e-4)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return
    if args.reducers is None:
        from attnbench.algorithms import list_reducers

        args.reducers = [name for name in list_reducers() if name not in TOO_BIG]
    time_exact_route(args)
    peak_table(args)
    if not args.no_reference:
        reference_row(args)


if __name__ == "__main__":
    main()
