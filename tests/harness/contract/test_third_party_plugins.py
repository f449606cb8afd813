"""The project's tests test the project: a broken third-party reducer installed through
the ``attnbench.reducers`` entry point leaves the built-in suites as they are, and
``attnbench check`` names the rules it breaks.

The plug-in is installed for real, in a temporary folder on PYTHONPATH holding the module
and a ``.dist-info`` with its ``entry_points.txt`` (what pip writes), and the suites and
the command run in fresh interpreters that see it."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from _support import BROKEN_PLUGINS, ROOT, isolated_registry
from attnbench.algorithms import list_reducers, registry

BROKEN = BROKEN_PLUGINS / "mutates_x.py"
NAME = "third_party_mutates_x"
# The suites that loop over reducers: they must run over the built-ins only.
SUITES = [
    "tests/algorithms/test_contract.py",
    "tests/algorithms/test_auto_sizes.py",
    "tests/algorithms/test_sklearn_checks.py",
    "tests/harness/sweep/test_asymmetric.py",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder that, on PYTHONPATH, installs the broken plug-in as entry point NAME."""
    folder = tmp_path_factory.mktemp("site")
    shutil.copy(BROKEN, folder / "third_party_reducer.py")
    info = folder / "third_party_reducer-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: third-party-reducer\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        f"[{registry.ENTRY_POINT_GROUP}]\n{NAME} = third_party_reducer:MutatesX\n"
    )
    return folder


def run(site, *args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
           "COLUMNS": "400"}  # fmt: skip
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_the_registry_lists_the_plugin_but_not_as_a_builtin(site):
    code = (
        "from attnbench.algorithms import list_reducers as l; "
        f"print({NAME!r} in l(), {NAME!r} in l(builtin=True))"
    )
    result = run(site, "-c", code)
    assert result.stdout.split() == ["True", "False"], result.stderr


def test_the_builtin_suites_do_not_collect_the_plugin(site):
    result = run(site, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *SUITES)
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert any("zero-no_mutation" in line for line in ids)  # the built-ins are there
    assert not [line for line in ids if NAME in line]


def test_the_builtin_contract_passes_beside_the_plugin(site):
    """The rule the plug-in breaks, over every built-in, with the plug-in installed."""
    result = run(
        site, "-m", "pytest", "-q", "-p", "no:cacheprovider", SUITES[0], "-k", "no_mutation"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b1\d passed", result.stdout), result.stdout


def test_check_names_the_broken_rule_of_the_entry_point_plugin(site):
    result = run(site, "-m", "attnbench.cli", "check", NAME)
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.rstrip().splitlines()[-1]
    assert last.startswith("FAILED ") and "no_mutation" in last, last
    rows = [line for line in result.stdout.splitlines() if " no_mutation " in line]
    assert len(rows) == 1 and "changed the dense input X in place" in rows[0]


def test_builtin_listing_ignores_a_monkeypatched_entry_point(monkeypatch, site):
    """In this process: an entry point loaded late joins list_reducers() only."""
    monkeypatch.syspath_prepend(str(site))
    before = list_reducers(builtin=True)
    entry = registry.importlib.metadata.EntryPoint(
        NAME, "third_party_reducer:MutatesX", registry.ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(registry.importlib.metadata, "entry_points", lambda group: [entry])
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    with isolated_registry():
        assert NAME in list_reducers()
        assert list_reducers(builtin=True) == before
