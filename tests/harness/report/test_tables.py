"""attnbench.report.tables: the frames the report and compare are built from."""

import math

import pandas as pd

from _support import comparison_cells
from attnbench.report.tables import budget_frame, prepare_cells


def test_budget_frame_pairs_each_dataset_with_its_own_winner():
    # Dataset "slow" (first) has nothing within 0.1 s; "fast" has two variants there.  The most
    # accurate within a budget must be read from the dataset it won in.
    fast = comparison_cells(
        [("a", 8, 0.5, 0.02, 8), ("b", 8, 0.1, 0.05, 8), ("c", 8, 0.01, 5.0, 8)], dataset="fast"
    )
    slow = comparison_cells(
        [("a", 8, 0.3, 2.0, 8), ("b", 8, 0.2, 3.0, 8), ("c", 8, 0.05, 4.0, 8)],
        dataset="slow", family="a",  # sorted first
    )  # fmt: skip
    cells = prepare_cells(pd.concat([fast, slow], ignore_index=True))
    frame = budget_frame(cells).set_index("budget_s")
    assert frame.loc[0.1, "datasets"] == 1 and frame.loc[0.1, "err_over_r"] == 0.1
    assert frame.loc[0.1, "most accurate"].startswith("b")
    assert frame.loc[10.0, "datasets"] == 2 and frame.loc[10.0, "wins"] == 2
    assert math.isclose(frame.loc[10.0, "err_over_r"], 0.03)  # c: median of 0.01, 0.05
