"""The seed paper's regime and the constants that every analysis reads in one place.

Deng, Mahadevan, Song (arXiv 2304.04397) assume ‖XXᵀ‖_∞ < r with r < 0.1 and state the
error as O(r); the claims judge it as attn_err_inf ≤ ERROR_CONSTANT·r.  A size bound is
read only below SATURATION·d: a reducer that keeps a quarter of X's columns or more
grows with d, not with its bound.  A time cell is one of a dedicated time sweep: at
least MIN_TIME_REPEATS timed rounds (the timing protocol's ``min_repeats``), run alone.
"""

import pandas as pd

PAPER_REGIME_R = 0.1  # the paper's assumption r < 0.1
ERROR_CONSTANT = 1.0  # error O(r) is checked as attn_err_inf <= ERROR_CONSTANT * r
DEFAULT_DELTA = 0.1  # the library's default failure probability
DEFAULT_EPS = 0.5  # the library's default accuracy
SATURATION = 0.25  # m >= SATURATION * d: the size no longer shows the bound
MIN_TIME_REPEATS = 3  # = the timing protocol's min_repeats: a long cell stops at 3 rounds


def ran_alone(cells):
    """Per cell: whether it had its machine to itself (concurrency 1, or not recorded)."""
    if "concurrency" not in cells:
        return pd.Series(True, index=cells.index)
    return pd.to_numeric(cells["concurrency"], errors="coerce").fillna(1) <= 1


def time_cells(cells):
    """Cells of dedicated time sweeps: >= MIN_TIME_REPEATS repeats, run alone."""
    repeats = cells["times"].map(len) if len(cells) else pd.Series(dtype=int)
    keep = (repeats >= MIN_TIME_REPEATS) & (cells["time_median"] > 0) & ran_alone(cells)
    return cells[keep]
