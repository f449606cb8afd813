"""Structure the analysis and report modules keep: short functions, and no way to the
live reducer registry (what they know about a run comes from the store)."""

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).parents[2] / "harness"
# The analysis and report stage: fits, claims, tables, figures, rendering, the report.
REPORT_STAGE = [
    "claims",
    "cost_models",
    "facts",
    "figures",
    "fits",
    "intervals",
    "render",
    "report",
    "store",
    "tables",
]
MAX_FUNCTION_LINES = 60


def _tree(module):
    return ast.parse((HARNESS / f"{module}.py").read_text())


@pytest.mark.parametrize("module", [*REPORT_STAGE, "compare"])
def test_no_function_is_longer_than_60_lines(module):
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(_tree(module))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"attnbench.{module}: {', '.join(long)}"


def _attnbench_imports(module):
    """The attnbench modules a module imports (``from attnbench import x`` counts as x)."""
    names = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module == "attnbench":
            names |= {f"attnbench.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return {n.removeprefix("attnbench.") for n in names if n.startswith("attnbench.")}


def test_the_report_stage_never_reaches_the_registry_or_the_config():
    """A report of a stored run must not change with the reducers or plug-ins installed
    today: report-stage modules import only each other and the evaluation modules below
    them, so nothing on the way imports the registry (attnbench.algorithms) or the
    config parser, not even indirectly."""
    allowed = set(REPORT_STAGE) | {"metrics", "linalg", "validation"}
    for module in sorted(allowed):
        outside = sorted(_attnbench_imports(module) - allowed)
        assert not outside, f"attnbench.{module} imports " + ", ".join(outside)
