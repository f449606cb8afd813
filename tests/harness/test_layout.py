"""The distribution's layout, read from the source with ``ast``.  Imports flow one way:
no cycle among attnbench modules (an import inside a function counts: it runs too), and
every module imports only its own stage or the stages below it (STAGES, bottom first,
over every package, subpackages included).  The report stage never reaches the live
reducer registry or the config parser (what it knows about a run comes from the store).
No function in harness/ is longer than 60 lines.  Every folder that ships files is a
package that setuptools is told about (else ``pip install`` warns that it would be
ignored)."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The stages, bottom first: a module may import its own stage and those below it.
STAGES = (
    ("attnbench.validation", "attnbench.linalg", "attnbench._linalg_kernels",
     "attnbench.metrics", "attnbench.cost_models", "attnbench.intervals", "attnbench.paper",
     "attnbench.numbers"),
    ("attnbench.algorithms", "attnbench.datasets"),
    ("attnbench.store",),
    ("attnbench.sweep", "attnbench.contract"),
    ("attnbench.analysis",),
    ("attnbench.report",),
    # migrations upgrade an old store with today's code: its config parser and registry
    ("attnbench.api", "attnbench.store.migrations"),
    ("attnbench.compare",),
    ("attnbench.cli", "attnbench"),
)  # fmt: skip
# What a stored run's report may read: the store, the analysis and the report stages,
# and the evaluation modules below them.
REPORT_STAGE = ("attnbench.store", "attnbench.analysis", "attnbench.report", *STAGES[0])
MAX_FUNCTION_LINES = 60


def in_package(module, package):
    return module == package or module.startswith(package + ".")


def stage(module):
    """The rank of a module's stage in STAGES (the longest matching package wins)."""
    matches = [
        (len(package), rank)
        for rank, packages in enumerate(STAGES)
        for package in packages
        if in_package(module, package) and (package != "attnbench" or module == "attnbench")
    ]
    assert matches, f"{module} belongs to no stage: add it to STAGES"
    return max(matches)[1]


def setuptools_config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def package_modules():
    """{module name: source path} of every module of the attnbench distribution."""
    config = setuptools_config()
    modules = {}
    for package, folder in config["package-dir"].items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join((package, *parts))
            modules.setdefault(name, path)  # a subpackage mapped on its own wins
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
    assert {"attnbench.sweep.workers", "attnbench.algorithms.calibration.cost"} <= set(edges)
    assert "attnbench.sweep.workers" in edges["attnbench.sweep.executor_dask"]
    # an import inside a function counts
    assert "attnbench.sweep.executor_dask" in edges["attnbench.sweep.executors"]


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle():
    assert find_cycle(graph()) is None


def test_every_module_belongs_to_a_stage():
    for name in graph():
        stage(name)


def test_imports_go_down_the_stages():
    wrong = [
        f"{name} (stage {stage(name)}) imports {target} (stage {stage(target)})"
        for name, targets in graph().items()
        for target in sorted(targets)
        if stage(target) > stage(name)
    ]
    assert not wrong, "\n".join(wrong)


def test_stage_check_sees_an_upward_import():
    assert stage("attnbench.algorithms.calibration.cost") < stage("attnbench.analysis.claims")
    assert stage("attnbench.report.tables") > stage("attnbench.store.sqlite")
    assert stage("attnbench") == stage("attnbench.cli")


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
    allowed = {
        m
        for m in edges
        if any(in_package(m, p) for p in REPORT_STAGE) and stage(m) <= stage("attnbench.report")
    }
    assert "attnbench.report.sections" in allowed and "attnbench.sweep.config" not in allowed
    for module in sorted(allowed):
        outside = sorted(edges[module] - allowed)
        assert not outside, f"{module} imports " + ", ".join(outside)


def test_no_function_in_the_harness_is_longer_than_60_lines():
    long = [
        f"{name}.{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for name, path in package_modules().items()
        if path.is_relative_to(ROOT / "harness")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, ", ".join(long)


MAX_MODULE_LINES = 600


def test_no_module_is_over_600_lines():
    """A module a newcomer can read: split by job before it grows past this."""
    long = [
        f"{path.relative_to(ROOT)} ({n} lines)"
        for path in package_modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, ", ".join(long)
