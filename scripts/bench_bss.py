"""Benchmark of ``bss`` (issue 4): runtime on one BLAS thread, scaling slopes, quality.

Prints, for b = 4 (kappa = 9):
1. the issue's reference point: n = 128, d = 2^14, the plain greedy (``candidates="all"``:
   every column scored at every step) against the default shortlist, repeats interleaved
   in one process, with the measured eigenvalue ratio of each;
2. the grid n in {64, 128, 256} x d in {2^12, 2^14, 2^16}, dense Gaussian and sparse
   (density 1%): median and IQR of the fit time, m, rank, measured ratio;
3. the log-log slope of time in d (each n) and in n (each d), measured, next to the slope
   of the paper's deterministic model (omega = 2.373 and 3) and of this implementation's
   cost model (b k^4 + b k^2 d dense, b k^4 + b k nnz sparse, plus forming XX^T), each
   with non-negative constants fitted to the measured times (relative least squares);
4. ``bss_hybrid`` (leverage_exact, then BSS) against ``bss`` at the largest d.

Protocol: BLAS limited to one thread (threadpoolctl), input built before the clock,
garbage collector off while timing, one warm-up fit, repeats interleaved over the cells
so that load from other processes spreads evenly; medians are reported.

    python scripts/bench_bss.py [--repeats 3] [--quick] [--plain-n256]
"""

from __future__ import annotations

import argparse
import gc
import math
import time

import numpy as np
import scipy.sparse as sp
from attnbench.algorithms import get_reducer
from attnbench.cost_models import COST_MODELS, OMEGA_BLAS, OMEGA_PAPER
from scipy.optimize import nnls
from threadpoolctl import threadpool_info, threadpool_limits

B = 4.0
DENSITY = 0.01


def make_matrix(n, d, density, seed=0):
    rng = np.random.default_rng(seed)
    if density >= 1.0:
        return rng.standard_normal((n, d))
    return sp.random(
        n, d, density=density, format="csr", random_state=rng, data_rvs=rng.standard_normal
    )


def matrix_stats(X):
    n, d = X.shape
    if sp.issparse(X):
        per_column = X.getnnz(axis=0).astype(float)
        nnz = int(X.nnz)
    else:
        per_column = np.count_nonzero(X, axis=0).astype(float)
        nnz = int(per_column.sum())
    return {"n": n, "d": d, "nnz": nnz, "sum_nnz_col_sq": float(per_column @ per_column)}


def fit_seconds(name, X, **params):
    """(seconds, fitted reducer) of one fit, garbage collector off."""
    reducer = get_reducer(name, **params)
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        reducer.fit(X)
        seconds = time.perf_counter() - start
    finally:
        gc.enable()
    return seconds, reducer


def iqr(values):
    q1, q3 = np.percentile(values, [25, 75])
    return q3 - q1


def slope(x, y):
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def fitted_model(rows, seconds):
    """Non-negative constants minimising the relative error; the model's times."""
    terms = np.array([[row[key] for key in rows[0]] for row in rows], dtype=float)
    scale = terms.max(axis=0)
    scale[scale == 0] = 1.0
    weighted = terms / scale / np.asarray(seconds)[:, None]
    coef, _ = nnls(weighted, np.ones(len(seconds)))
    return terms @ (coef / scale)


def own_terms(stats, reducer, sparse_input):
    """This implementation's cost terms (see the bss module docstring)."""
    k, n, d = reducer.rank_, stats["n"], stats["d"]
    b = reducer.b_
    full = b * k * stats["nnz"] if sparse_input else b * k * k * d
    gram = min(stats["sum_nnz_col_sq"], d * n * n)
    return {"b k^4": b * k**4, "full scores": full, "gram": gram}


def reference_point(repeats):
    X = make_matrix(128, 2**14, 1.0)
    fit_seconds("bss", make_matrix(32, 2**10, 1.0), b=B)  # warm-up
    plain, fast = [], []
    for _ in range(repeats):
        t_plain, r_plain = fit_seconds("bss", X, b=B, candidates="all")
        t_fast, r_fast = fit_seconds("bss", X, b=B)
        plain.append(t_plain)
        fast.append(t_fast)
    ratios = [p / f for p, f in zip(plain, fast)]
    print("== 1. reference point: n = 128, d = 2^14, dense Gaussian, b = 4, one thread")
    print(
        f"   plain greedy (all candidates): median {np.median(plain):.2f} s "
        f"(runs {', '.join(f'{t:.2f}' for t in plain)}), m = {r_plain.n_components_}, "
        f"ratio {r_plain.eigenvalue_ratio_:.3f} <= kappa {r_plain.kappa_:.2f}"
    )
    print(
        f"   shortlist (default):           median {np.median(fast):.2f} s "
        f"(runs {', '.join(f'{t:.2f}' for t in fast)}), m = {r_fast.n_components_}, "
        f"ratio {r_fast.eigenvalue_ratio_:.3f} <= kappa {r_fast.kappa_:.2f}"
    )
    print(
        f"   speed-up (per interleaved pair): median {np.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f})"
    )


def plain_n256():
    X = make_matrix(256, 2**14, 1.0)
    t_plain, r_plain = fit_seconds("bss", X, b=B, candidates="all")
    t_fast, r_fast = fit_seconds("bss", X, b=B)
    print("== 1b. n = 256, d = 2^14, b = 4, one run each")
    print(
        f"   plain {t_plain:.1f} s (ratio {r_plain.eigenvalue_ratio_:.3f}), shortlist "
        f"{t_fast:.1f} s (ratio {r_fast.eigenvalue_ratio_:.3f}): "
        f"{t_plain / t_fast:.1f}x"
    )


def grid(ns, ds, repeats):
    cells = [(n, d, density) for density in (1.0, DENSITY) for n in ns for d in ds]
    data = {cell: make_matrix(*cell) for cell in cells}
    times = {cell: [] for cell in cells}
    fitted = {}
    for cell in cells:  # warm-up, and the fitted reducer of each cell
        fitted[cell] = fit_seconds("bss", data[cell], b=B)[1]
    for _ in range(repeats):
        for cell in cells:
            times[cell].append(fit_seconds("bss", data[cell], b=B)[0])
    print(f"== 2. grid, b = 4, shortlist, one thread, median of {repeats} (IQR)")
    print(
        f"   {'input':<7}{'n':>5}{'d':>7}{'nnz':>10}{'rank':>6}{'m':>6}"
        f"{'ratio':>8}{'time s':>9}{'IQR':>8}"
    )
    for cell in cells:
        n, d, density = cell
        r = fitted[cell]
        stats = matrix_stats(data[cell])
        kind = "dense" if density >= 1 else "sparse"
        print(
            f"   {kind:<7}{n:>5}{d:>7}{stats['nnz']:>10}{r.rank_:>6}{r.n_components_:>6}"
            f"{r.eigenvalue_ratio_:>8.3f}{np.median(times[cell]):>9.3f}"
            f"{iqr(times[cell]):>8.3f}"
        )
    return cells, data, times, fitted


def slopes(cells, data, times, fitted):
    print("== 3. log-log slopes of time (models: constants fitted per input kind)")
    for density in (1.0, DENSITY):
        kind = "dense" if density >= 1 else "sparse"
        group = [c for c in cells if c[2] == density]
        measured = np.array([np.median(times[c]) for c in group])
        stats = [matrix_stats(data[c]) for c in group]
        models = {
            f"paper w={omega:g}": fitted_model(
                [COST_MODELS["deterministic"].predict_terms(s, omega) for s in stats], measured
            )
            for omega in (OMEGA_PAPER, OMEGA_BLAS)
        }
        models["own model"] = fitted_model(
            [own_terms(s, fitted[c], density < 1) for s, c in zip(stats, group)], measured
        )
        series = {"measured": measured, **models}
        print_slopes(kind, group, series, swept=1)
        print_slopes(kind, group, series, swept=0)


def print_slopes(kind, group, series, swept):
    """Slope of each series along axis ``swept`` (0: n, 1: d) of the cells (n, d, density)."""
    fixed = 1 - swept
    print(f"   {kind}: slope in {'nd'[swept]} at fixed {'nd'[fixed]}")
    for value in sorted({cell[fixed] for cell in group}):
        idx = [i for i, cell in enumerate(group) if cell[fixed] == value]
        x = [group[i][swept] for i in idx]
        row = "  ".join(f"{name} {slope(x, v[idx]):5.2f}" for name, v in series.items())
        label = f"d = 2^{int(math.log2(value))}" if fixed else f"n = {value}"
        print(f"     {label:<9} {row}")


def hybrid(n, d, repeats):
    X = make_matrix(n, d, 1.0)
    pairs = []
    for seed in range(repeats):
        t_bss, r_bss = fit_seconds("bss", X, b=B)
        t_hyb, r_hyb = fit_seconds("bss_hybrid", X, b=B, random_state=seed)
        pairs.append((t_bss, t_hyb))
    t_bss, t_hyb = np.median(pairs, axis=0)
    print(
        f"== 4. bss_hybrid (leverage_exact eps = 0.5, delta = 0.1, then BSS b = 4), "
        f"n = {n}, d = 2^{int(math.log2(d))}"
    )
    print(
        f"   bss {t_bss:.2f} s (m = {r_bss.n_components_}, ratio "
        f"{r_bss.eigenvalue_ratio_:.3f}); hybrid {t_hyb:.2f} s (stage-1 columns "
        f"{r_hyb.first_stage_.n_components_}, m = {r_hyb.n_components_}, BSS ratio "
        f"{r_hyb.bss_.eigenvalue_ratio_:.3f}, combined eps_ {r_hyb.eps_:.2f})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="n <= 128 and d <= 2^14 only")
    parser.add_argument(
        "--plain-n256",
        action="store_true",
        help="also time the plain greedy at n = 256, d = 2^14 (about a minute)",
    )
    args = parser.parse_args()
    ns = [64, 128] if args.quick else [64, 128, 256]
    ds = [2**12, 2**14] if args.quick else [2**12, 2**14, 2**16]
    with threadpool_limits(1):
        blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
        print(f"BLAS (library, threads): {blas}")
        reference_point(args.repeats)
        if args.plain_n256:
            plain_n256()
        cells, data, times, fitted = grid(ns, ds, args.repeats)
        slopes(cells, data, times, fitted)
        hybrid(128, ds[-1], args.repeats)


if __name__ == "__main__":
    main()
