"""``attnbench compare`` as a reducer author meets it: the README's example reducer,
unchanged (a projection with no n_components, m = d/2), compared by the README's CI step
on the compare preset, in a fresh interpreter with stdout piped.  Every row of the verdict
has its numbers, and the exit code is the one the README's table gives."""

import re

import pandas as pd
import pytest

NUMBER = r"(?:[≥≤] )?\d[\d.e+-]*(?: \[[\d.e+-]+, [\d.e+-]+\])?"


@pytest.fixture(scope="module")
def written(readme_comparison):
    """(verdict, pairs) as written under results/compare-halve/tables."""
    done, folder = readme_comparison
    assert done.returncode in (0, 1), done.stderr
    tables = folder / "results" / "compare-halve" / "tables"
    return pd.read_csv(tables / "verdict.csv"), pd.read_csv(tables / "pairs.csv")


def test_every_row_of_the_verdict_has_numbers(written):
    verdict, _ = written
    assert set(verdict["baseline"]) == {"countsketch", "leverage_fast"}
    assert set(verdict["family"]) == {"gaussian", "sparse", "coherent", "all"}
    assert verdict[["error_ratio", "m_ratio", "time_ratio"]].notna().all(axis=None)
    assert (verdict.loc[verdict["family"] != "all", "seeds"] == 3).all()
    judged = verdict[["accuracy", "size", "speed"]].isin(["no pairs", "too few seeds"])
    assert not judged.any(axis=None)


def test_the_baselines_are_compared_at_the_candidates_m(written):
    verdict, pairs = written
    # compare: d = 2048, so Halve keeps m = 1024 columns; the preset's countsketch sizes are
    # 128 and 512, leverage_fast's its own 'auto' size: both were rerun at m = 1024.
    assert set(pairs["size"]) == {1024} and set(pairs["error_how"]) == {"measured"}
    overall = verdict[verdict["family"] == "all"].set_index("baseline")["note"]
    assert (
        "candidate m = 1024 > every countsketch m (512); countsketch rerun at m = 1024"
        in overall["countsketch"]
    )
    assert "leverage_fast rerun at the candidate's m = 1024" in overall["leverage_fast"]


def test_the_printed_table_is_whole_and_has_numbers_in_every_row(readme_comparison, written):
    done, _ = readme_comparison
    verdict, _ = written
    rows = [line.split("│")[1:-1] for line in done.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == len(verdict)  # piped: one line per row, nothing folded or cut
    header = [h.strip() for h in re.split("┃", done.stdout.split("┏")[1].splitlines()[1])[1:-1]]
    for row in rows:
        shown = dict(zip(header, (cell.strip() for cell in row), strict=True))
        for column in ("error ratio at equal m [95% CI]", "time ratio at equal error"):
            assert re.fullmatch(NUMBER, shown[column]), (column, shown[column])
    assert "…" not in done.stdout


def test_exit_code_and_stderr_follow_fail_if_slower(readme_comparison, written):
    done, _ = readme_comparison
    verdict, _ = written
    overall = verdict[verdict["family"] == "all"]
    slower = overall[(overall["time_ratio"] > 2) & (overall["time_kind"] != "≤")]
    assert done.returncode == (1 if len(slower) else 0), done.stderr
    if len(slower):
        assert f"than: {', '.join(slower['baseline'])}" in done.stderr


def test_the_report_names_the_exact_command(readme_comparison):
    _, folder = readme_comparison
    markdown = (folder / "results" / "compare-halve" / "REPORT.md").read_text()
    command = (
        "attnbench compare my_reducer.py --baseline countsketch,leverage_fast --preset compare "
        "--fail-if-slower 2"
    )
    assert f"~~~~bash\n{command}\n~~~~" in markdown
