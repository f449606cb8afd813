"""The distribution's layout, read from the source with ``ast``.  Imports flow one way: no
cycle among attnbench modules (an import inside a function counts: it runs too), the
bottom layers (reducers, datasets) never import the evaluation or report modules, and the
report stage never reaches the live reducer registry or the config parser (what it knows
about a run comes from the store).  No function in harness/ is longer than 60 lines.
Every folder that ships files is a package that setuptools is told about (else
``pip install`` warns that it would be ignored)."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Modules that the bottom layers must not import.
UPPER = {"attnbench.metrics", "attnbench.report", "attnbench.figures", "attnbench.fits"}
# The analysis and report stage: fits, claims, tables, figures, rendering, the report.
REPORT_STAGE = {
    f"attnbench.{name}"
    for name in (
        "claims",
        "cost_models",
        "facts",
        "figures",
        "findings",
        "fits",
        "intervals",
        "regime",
        "regime_figures",
        "render",
        "report",
        "store",
        "tables",
    )
}
MAX_FUNCTION_LINES = 60


def setuptools_config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def package_modules():
    """{module name: source path} of every module of the attnbench distribution."""
    config = setuptools_config()
    modules = {}
    for package, folder in config["package-dir"].items():
        for path in sorted((ROOT / folder).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            modules[name] = path
    return modules


def imported(name, path, modules):
    """The attnbench modules that the module ``name`` imports, anywhere in its body."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 parents
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            # ``from pkg import sub`` imports the submodule pkg.sub when there is one.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names
            ]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def graph():
    modules = package_modules()
    return {name: imported(name, path, modules) for name, path in modules.items()}


def find_cycle(edges):
    """One import cycle as a list of modules (first = last), or None."""
    state = {}  # module -> "open" while on the current path, "done" after

    def visit(node, path):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state:
                cycle = visit(target, [*path, target])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state:
            cycle = visit(start, [start])
            if cycle:
                return cycle
    return None


def test_the_reader_sees_the_package():
    edges = graph()
    assert {"attnbench.workers", "attnbench.executors", "attnbench.datasets.qkv"} <= set(edges)
    assert "attnbench.workers" in edges["attnbench.executor_dask"]
    assert "attnbench.executor_dask" in edges["attnbench.executors"]  # inside a function


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle():
    assert find_cycle(graph()) is None


def test_reducers_and_datasets_do_not_import_evaluation_or_reports():
    for name, targets in graph().items():
        if name.startswith(("attnbench.algorithms", "attnbench.datasets")):
            assert not targets & UPPER, f"{name} imports {sorted(targets & UPPER)}"


def test_every_folder_that_ships_files_is_a_listed_package():
    config = setuptools_config()
    listed = set(config["packages"])
    for package, folder in config["package-dir"].items():
        for sub in (ROOT / folder).rglob("*"):
            if sub.is_dir() and sub.name != "__pycache__" and any(sub.iterdir()):
                relative = sub.relative_to(ROOT / folder).parts
                assert ".".join((package, *relative)) in listed, f"{sub} is not in packages"
    for package in config["package-data"]:
        assert package in listed, f"package-data names {package}, which is not installed"


def test_the_report_stage_never_reaches_the_registry_or_the_config():
    """A report of a stored run must not change with the reducers or plug-ins installed
    today: report-stage modules import only each other and the evaluation modules below
    them, so nothing on the way imports the registry (attnbench.algorithms) or the
    config parser, not even indirectly."""
    edges = graph()
    allowed = REPORT_STAGE | {
        "attnbench.metrics",
        "attnbench.linalg",
        "attnbench._linalg_kernels",
        "attnbench.validation",
    }
    for module in sorted(allowed):
        outside = sorted(edges[module] - allowed)
        assert not outside, f"{module} imports " + ", ".join(outside)


def test_no_function_in_the_harness_is_longer_than_60_lines():
    long = [
        f"{name}.{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for name, path in package_modules().items()
        if path.parent.name == "harness"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, ", ".join(long)
