"""Speed of the sketch kernels, ``leverage_fast`` and ``gaussian`` (issues 3 and 14), as ratios.

    .venv/bin/python scripts/bench_leverage_fast.py [--repeats 5] [--quick] [--clock wall]

Each figure that issue 14 sets a target for is printed with it (``target`` columns):
countsketch fit_transform <= 1.5 reads on dense C and F at d >= 2^14 and <= 3 reads of
data + indices on CSR at 1 %; leverage_fast (m = 2048) <= 5 reads at d = 2^14 and
<= 3.5 at d >= 2^16; gaussian (precision="double") >= 5x faster than scikit-learn's
GaussianRandomProjection at n = 256, d = 2^14, m = 2048.

BLAS is limited to one thread (threadpoolctl), and everything timed runs on one thread.
Every time is a ratio to one read of X (``X.sum()``; for CSR, summing ``data`` and
``indices``) or to a peer, measured in the same repeat right before, so slow drifts of a
shared machine cancel; the tables show the median over repeats and the spread (min-max).
The default clock is the process's CPU time, which leaves out the time the process waits
for a core on an oversubscribed machine (``--clock wall`` for wall time).  X is
materialised before any clock starts, each timed call runs once untimed first
(compilation, caches), and the garbage collector is off while timing.  Prints Markdown.
"""

from __future__ import annotations

import argparse
import gc
import math
import time

import numpy as np
import scipy.sparse as sp
from scipy.linalg import clarkson_woodruff_transform
from sklearn.random_projection import GaussianRandomProjection
from threadpoolctl import threadpool_info, threadpool_limits

from attnbench.algorithms import get_reducer
from attnbench.algorithms._kernels import apply_sparse_embedding

M = 2048
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def seconds(fn):
    gc.disable()
    try:
        start = clock()
        fn()
        return clock() - start
    finally:
        gc.enable()


def ratios(candidates, baseline, repeats):
    """{name: [t(candidate) / t(baseline) per repeat]} and the baseline's seconds."""
    for fn in (baseline, *candidates.values()):
        fn()
    out = {name: [] for name in candidates}
    base_seconds = []
    for _ in range(repeats):
        base = seconds(baseline)
        base_seconds.append(base)
        for name, fn in candidates.items():
            out[name].append(seconds(fn) / base)
    return out, float(np.median(base_seconds))


def cell(values):
    v = np.asarray(values)
    return f"{np.median(v):.2f} ({v.min():.2f}-{v.max():.2f})"


def dense(n, d, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d))


def csr(n, d, density, seed=0):
    rng = np.random.default_rng(seed)
    return sp.random(n, d, density=density, format="csr", random_state=rng,
                     data_rvs=rng.standard_normal)


def read_of(X):
    if sp.issparse(X):
        return lambda: (X.data.sum(), X.indices.sum())
    return X.sum


def fit_transform(name, X, **params):
    return lambda: get_reducer(name, random_state=0, **params).fit_transform(X)


def inputs(quick):
    """(label, X, leverage_fast target, countsketch target) for n = 256."""
    n = 256
    sizes = [2**12, 2**14, 2**16] if quick else [2**14, 2**16, 2**18]
    cases = []
    for d in sizes:
        X = dense(n, d)
        cases.append((f"dense C, d=2^{int(math.log2(d))}", X))
        if d == 2**14:
            cases.append((f"dense F, d=2^{int(math.log2(d))}", np.asfortranarray(X)))
    d_sparse = 2**16 if quick else 2**20
    cases.append((f"CSR 1%, d=2^{int(math.log2(d_sparse))}", csr(n, d_sparse, 0.01)))
    return cases


def sketch_target(X):
    """Issue 14's bound on countsketch fit_transform / read, or None."""
    if sp.issparse(X):
        return 3.0
    return 1.5 if X.shape[1] >= 2**14 else None


def leverage_target(X):
    """Issue 14's bound on leverage_fast (m = 2048) / read, or None (dense X only)."""
    if sp.issparse(X) or X.shape[1] < 2**14:
        return None
    return 5.0 if X.shape[1] == 2**14 else 3.5


def verdict(values, target, at_most=True):
    """'<= 1.5: met' / '<= 1.5: missed', judged on the median; '' without a target."""
    if target is None:
        return ""
    median = float(np.median(values))
    met = median <= target if at_most else median >= target
    return f"{'<=' if at_most else '>='} {target:g}: {'met' if met else 'missed'}"


def bench_sketches(cases, repeats):
    print(f"\n## CountSketch / OSNAP at m = {M}, n = 256: time / one read of X\n")
    print("fit_transform validates X without its finiteness pass (the kernel's pass checks)"
          " and draws a key; the kernel is the product alone.  A read of CSR sums data and"
          " indices.\n")
    print("| X | read (ms) | countsketch fit_transform | target | countsketch kernel | "
          "osnap s=4 fit_transform | scipy X @ S | scipy CWT on X.T |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, X in cases:
        sketch = get_reducer("countsketch", n_components=M, random_state=0).fit(X)
        S = sketch.components_
        candidates = {
            "countsketch": fit_transform("countsketch", X, n_components=M),
            "kernel": lambda X=X, key=sketch.key_: apply_sparse_embedding(X, key, M, 1),
            "osnap": fit_transform("osnap", X, n_components=M, s=4),
            "scipy": lambda X=X, S=S: X @ S,
            "cwt": lambda X=X: clarkson_woodruff_transform(X.T, M, rng=0),
        }
        r, base = ratios(candidates, read_of(X), repeats)
        target = verdict(r["countsketch"], sketch_target(X))
        print(f"| {label} | {base * 1e3:.1f} | {cell(r['countsketch'])} | {target} | "
              + " | ".join(cell(r[k]) for k in list(candidates)[1:]) + " |")


def bench_leverage(cases, repeats):
    print("\n## leverage_fast end to end, n = 256: time / one read of X\n")
    print("| X | read (ms) | m = 2048 | target | m = auto | 2x jl_components, m = 2048 | "
          "auto: s, k, r, draws, columns, overestimate |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, X in cases:
        auto = get_reducer("leverage_fast", random_state=0).fit(X)
        candidates = {
            "m": fit_transform("leverage_fast", X, n_components=M),
            "auto": fit_transform("leverage_fast", X),
            "2r": fit_transform("leverage_fast", X, n_components=M,
                                jl_components=2 * auto.jl_components_),
        }
        r, base = ratios(candidates, read_of(X), repeats)
        sizes = (f"{auto.sketch_nnz_}, {auto.sketch_components_}, {auto.jl_components_}, "
                 f"{auto.n_draws_}, {auto.n_components_}, {auto.overestimate_:.2f}")
        print(f"| {label} | {base * 1e3:.1f} | {cell(r['m'])} | "
              f"{verdict(r['m'], leverage_target(X))} | {cell(r['auto'])} | {cell(r['2r'])} | "
              f"{sizes} |")


def bench_against_exact(quick, repeats):
    d = 2**14 if quick else 2**18
    print(f"\n## leverage_exact / leverage_fast, dense d = 2^{int(math.log2(d))}, m = {M}\n")
    print("| n | leverage_fast / read | leverage_exact / leverage_fast |")
    print("| --- | --- | --- |")
    for n in (256, 512) if quick else (256, 512, 1024):
        X = dense(n, d)
        fast = fit_transform("leverage_fast", X, n_components=M)
        exact = fit_transform("leverage_exact", X, n_components=M)
        to_read, _ = ratios({"fast": fast}, read_of(X), repeats)
        speedup, _ = ratios({"exact": exact}, fast, max(3, repeats // 2))
        print(f"| {n} | {cell(to_read['fast'])} | {cell(speedup['exact'])} |")
        del X


def bench_gaussian(quick, repeats):
    n = 256
    print(f"\n## gaussian at m = {M}, n = {n}: speed-up over scikit-learn\n")
    print("| d | sklearn GaussianRandomProjection (s) | sklearn / gaussian, precision=double | "
          "target | sklearn / gaussian, precision=single |")
    print("| --- | --- | --- | --- | --- |")
    for d in [2**14] if quick else [2**14, 2**16]:
        X = dense(n, d)
        sklearn = lambda X=X: GaussianRandomProjection(M, random_state=0).fit_transform(X)
        candidates = {p: fit_transform("gaussian", X, n_components=M, precision=p)
                      for p in ("double", "single")}
        speedup, sklearn_seconds = ratios(candidates, sklearn, repeats)
        inverse = {p: 1 / np.asarray(v) for p, v in speedup.items()}
        target = verdict(inverse["double"], 5.0 if d == 2**14 else None, at_most=False)
        print(f"| 2^{int(math.log2(d))} | {sklearn_seconds:.2f} | {cell(inverse['double'])} | "
              f"{target} | {cell(inverse['single'])} |")
        del X


def bench_slope(quick, repeats):
    n = 256
    ds = [2**k for k in range(12, 17 if quick else 21)]
    print(f"\n## leverage_fast time against d (dense, n = {n}, m = {M})\n")
    print("| d | seconds | / read |")
    print("| --- | --- | --- |")
    times = []
    for d in ds:
        X = dense(n, d)
        fast = fit_transform("leverage_fast", X, n_components=M)
        r, base = ratios({"fast": fast}, read_of(X), repeats)
        t = float(np.median(r["fast"])) * base
        times.append(t)
        print(f"| 2^{int(math.log2(d))} | {t:.4f} | {cell(r['fast'])} |")
        del X
    slope, _ = np.polyfit(np.log(ds), np.log(times), 1)
    tail, _ = np.polyfit(np.log(ds[-4:]), np.log(times[-4:]), 1)
    print(f"\nlog-log slope over d = 2^{int(math.log2(ds[0]))}..2^{int(math.log2(ds[-1]))}: "
          f"{slope:.2f} (last four sizes: {tail:.2f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu")
    parser.add_argument("--only", choices=["sketches", "leverage", "exact", "gaussian", "slope"],
                        nargs="+", help="run only these sections")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    with threadpool_limits(1):
        blas = [f"{i['internal_api']} {i.get('version')} threads={i['num_threads']}"
                for i in threadpool_info()]
        print(f"BLAS: {'; '.join(blas)}; repeats: {args.repeats}; clock: {args.clock}")
        wanted = set(args.only or ["sketches", "leverage", "exact", "gaussian", "slope"])
        if wanted & {"sketches", "leverage"}:
            cases = inputs(args.quick)
            if "sketches" in wanted:
                bench_sketches(cases, args.repeats)
            if "leverage" in wanted:
                bench_leverage(cases, args.repeats)
            del cases
        if "exact" in wanted:
            bench_against_exact(args.quick, args.repeats)
        if "gaussian" in wanted:
            bench_gaussian(args.quick, args.repeats)
        if "slope" in wanted:
            bench_slope(args.quick, args.repeats)


if __name__ == "__main__":
    main()
