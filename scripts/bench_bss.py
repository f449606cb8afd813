"""Benchmark of ``bss`` (issues 4 and 14): runtime on one BLAS thread, scaling slopes, quality.

Prints, for b = 4 (kappa = 9):
1. the issue's reference point: n = 128, d = 2^14, the plain greedy (``candidates="all"``:
   every column ranked at every step) against the default shortlist, repeats interleaved
   in one process, with the measured eigenvalue ratio of each;
2. the grid n in {64, 128, 256} x d in {2^12, 2^14, 2^16}, dense Gaussian and sparse
   (density 1%): median and IQR of the fit time, m, rank, measured ratio;
3. the log-log slope of time in d (each n) and in n (each d), measured, next to the slope
   of the paper's deterministic model (omega = 2.373 and 3) and of this implementation's
   cost model (b k^(10/3) for the steps and refreshes, 4 rankings of all columns at
   k nnz(X) each, plus forming XX^T), each with non-negative constants fitted to the
   measured times (relative least squares);
4. ``bss_hybrid`` (leverage_exact, then BSS) against ``bss`` at the largest d;
5. (not with --quick) the scale point of issue 14: dense Gaussian d = 2^16,
   n in {256, 512, 1024}, one fit each: CPU time, its parts (refreshes, full rankings),
   m and ratio, and the local slope of time in n between neighbouring n.

Protocol: BLAS limited to one thread (threadpoolctl), input built before the clock,
garbage collector off while timing, one warm-up fit, repeats interleaved over the cells
so that load from other processes spreads evenly; medians of wall and of process CPU
time are reported (on a shared machine the CPU time is the robust one), slopes of both.

    python scripts/bench_bss.py [--repeats 3] [--quick] [--plain-n256] [--reference-only]
                                [--scale-only]
"""

from __future__ import annotations

import argparse
import gc
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import nnls
from threadpoolctl import threadpool_info, threadpool_limits

from attnbench.algorithms import get_reducer
from attnbench.cost_models import COST_MODELS, OMEGA_BLAS, OMEGA_PAPER

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


@dataclass
class Clock:
    """Wall and CPU seconds of repeated fits.  With BLAS on one thread the process CPU
    time is what the fit costs; wall time also counts waiting for a core, which on a
    shared machine is what other processes do."""

    wall: list = field(default_factory=list)
    cpu: list = field(default_factory=list)

    def add(self, wall, cpu):
        self.wall.append(wall)
        self.cpu.append(cpu)

    def __str__(self):
        return (
            f"median {np.median(self.wall):.2f} s wall, {np.median(self.cpu):.2f} s CPU "
            f"(CPU runs {', '.join(f'{t:.2f}' for t in self.cpu)})"
        )


def timed_fit(name, X, clock=None, **params):
    """Fit once with the garbage collector off; add the time to ``clock``; the reducer."""
    reducer = get_reducer(name, **params)
    gc.collect()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        reducer.fit(X)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        gc.enable()
    if clock is not None:
        clock.add(wall, cpu)
    return reducer


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


def own_terms(stats, reducer):
    """This implementation's cost terms (see the bss module docstring)."""
    k, n, d = reducer.rank_, stats["n"], stats["d"]
    gram = min(stats["sum_nnz_col_sq"], d * n * n)
    rankings = reducer.n_full_scorings_ * k * stats["nnz"]
    return {"b k^(10/3)": reducer.b_ * k ** (10 / 3), "rankings": rankings, "gram": gram}


def reference_point(repeats):
    X = make_matrix(128, 2**14, 1.0)
    timed_fit("bss", make_matrix(32, 2**10, 1.0), b=B)  # warm-up
    plain, fast = Clock(), Clock()
    for _ in range(repeats):
        r_plain = timed_fit("bss", X, plain, b=B, candidates="all")
        r_fast = timed_fit("bss", X, fast, b=B)
    print("== 1. reference point: n = 128, d = 2^14, dense Gaussian, b = 4, one thread")
    for label, clock, r in (("plain greedy (all)", plain, r_plain), ("shortlist", fast, r_fast)):
        print(
            f"   {label:<19} {clock}; m = {r.n_components_}, ratio "
            f"{r.eigenvalue_ratio_:.3f} <= kappa {r.kappa_:.2f}"
        )
    for kind in ("wall", "cpu"):
        ratios = np.divide(getattr(plain, kind), getattr(fast, kind))
        print(
            f"   speed-up ({kind}, per interleaved pair): median {np.median(ratios):.2f}x "
            f"(min {ratios.min():.2f}, max {ratios.max():.2f})"
        )


def plain_n256():
    X = make_matrix(256, 2**14, 1.0)
    plain, fast = Clock(), Clock()
    r_plain = timed_fit("bss", X, plain, b=B, candidates="all")
    r_fast = timed_fit("bss", X, fast, b=B)
    print("== 1b. n = 256, d = 2^14, b = 4, one run each")
    for label, clock, r in (("plain greedy (all)", plain, r_plain), ("shortlist", fast, r_fast)):
        print(f"   {label:<19} {clock}; ratio {r.eigenvalue_ratio_:.3f}")
    print(f"   speed-up (CPU) {plain.cpu[0] / fast.cpu[0]:.1f}x")


def grid(ns, ds, repeats):
    cells = [(n, d, density) for density in (1.0, DENSITY) for n in ns for d in ds]
    data = {cell: make_matrix(*cell) for cell in cells}
    clocks = {cell: Clock() for cell in cells}
    fitted = {cell: timed_fit("bss", data[cell], b=B) for cell in cells}  # and warm-up
    for _ in range(repeats):
        for cell in cells:
            timed_fit("bss", data[cell], clocks[cell], b=B)
    print(f"== 2. grid, b = 4, shortlist, one thread, median of {repeats} runs (IQR)")
    print(
        f"   {'input':<7}{'n':>5}{'d':>7}{'nnz':>10}{'rank':>6}{'m':>6}{'ratio':>8}"
        f"{'wall s':>9}{'IQR':>7}{'CPU s':>9}{'IQR':>7}"
    )
    for cell in cells:
        n, d, density = cell
        r, clock = fitted[cell], clocks[cell]
        print(
            f"   {'dense' if density >= 1 else 'sparse':<7}{n:>5}{d:>7}"
            f"{matrix_stats(data[cell])['nnz']:>10}{r.rank_:>6}{r.n_components_:>6}"
            f"{r.eigenvalue_ratio_:>8.3f}{np.median(clock.wall):>9.3f}{iqr(clock.wall):>7.3f}"
            f"{np.median(clock.cpu):>9.3f}{iqr(clock.cpu):>7.3f}"
        )
    return cells, data, clocks, fitted


def slopes(cells, data, clocks, fitted):
    print("== 3. log-log slopes of time; models fitted to the CPU medians of each input kind")
    for density in (1.0, DENSITY):
        kind = "dense" if density >= 1 else "sparse"
        group = [c for c in cells if c[2] == density]
        cpu = np.array([np.median(clocks[c].cpu) for c in group])
        stats = [matrix_stats(data[c]) for c in group]
        series = {
            "wall": np.array([np.median(clocks[c].wall) for c in group]),
            "CPU": cpu,
        }
        for omega in (OMEGA_PAPER, OMEGA_BLAS):
            terms = [COST_MODELS["deterministic"].predict_terms(s, omega) for s in stats]
            series[f"paper w={omega:g}"] = fitted_model(terms, cpu)
        terms = [own_terms(s, fitted[c]) for s, c in zip(stats, group)]
        series["own model"] = fitted_model(terms, cpu)
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
    plain, two_stage = Clock(), Clock()
    for seed in range(repeats):
        r_bss = timed_fit("bss", X, plain, b=B)
        r_hyb = timed_fit("bss_hybrid", X, two_stage, b=B, random_state=seed)
    print(
        f"== 4. bss_hybrid (leverage_exact eps = 0.5, delta = 0.1, then BSS b = 4), "
        f"n = {n}, d = 2^{int(math.log2(d))}"
    )
    print(f"   bss    {plain}; m = {r_bss.n_components_}, ratio {r_bss.eigenvalue_ratio_:.3f}")
    print(
        f"   hybrid {two_stage}; stage-1 columns {r_hyb.first_stage_.n_components_}, "
        f"m = {r_hyb.n_components_}, BSS ratio {r_hyb.bss_.eigenvalue_ratio_:.3f}, "
        f"combined eps_ {r_hyb.eps_:.2f}"
    )


def scale_point(ns, d):
    """Issue 14's point: n = 1024, d = 2^16 dense in <= 30 s; the slope of time in n."""
    print(f"== 5. scale: dense Gaussian, d = 2^{int(math.log2(d))}, b = 4, one fit each")
    print(f"   {'n':>5}{'CPU s':>9}{'wall s':>9}{'m':>7}{'ratio':>8}{'refreshes':>11}"
          f"{'rankings':>10}{'slope in n':>12}")
    previous = None
    for n in ns:
        X = make_matrix(n, d, 1.0)
        clock = Clock()
        r = timed_fit("bss", X, clock, b=B)
        cpu = clock.cpu[0]
        local = f"{slope([previous[0], n], [previous[1], cpu]):12.2f}" if previous else " " * 12
        print(f"   {n:>5}{cpu:>9.2f}{clock.wall[0]:>9.2f}{r.n_components_:>7}"
              f"{r.eigenvalue_ratio_:>8.3f}{r.n_refreshes_:>11}{r.n_full_scorings_:>10}{local}")
        previous = (n, cpu)
        del X


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="n <= 128 and d <= 2^14 only, one plain greedy fit"
    )
    parser.add_argument(
        "--plain-n256",
        action="store_true",
        help="also time the plain greedy at n = 256, d = 2^14 (about a minute)",
    )
    parser.add_argument(
        "--reference-only", action="store_true", help="only section 1 (n = 128, d = 2^14)"
    )
    parser.add_argument(
        "--scale-only", action="store_true", help="only section 5 (n up to 1024, d = 2^16)"
    )
    args = parser.parse_args()
    ns = [64, 128] if args.quick else [64, 128, 256]
    ds = [2**12, 2**14] if args.quick else [2**12, 2**14, 2**16]
    with threadpool_limits(1):
        blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
        print(f"BLAS (library, threads): {blas}")
        if args.scale_only:
            scale_point([256, 512, 1024], 2**16)
            return
        reference_point(1 if args.quick else args.repeats)
        if args.plain_n256:
            plain_n256()
        if args.reference_only:
            return
        cells, data, clocks, fitted = grid(ns, ds, args.repeats)
        slopes(cells, data, clocks, fitted)
        hybrid(128, ds[-1], args.repeats)
        if not args.quick:
            scale_point([256, 512, 1024], 2**16)


if __name__ == "__main__":
    main()
