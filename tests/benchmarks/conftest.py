"""Fixtures for the tests of the asv suite and the pytest-benchmark microbenchmarks."""

import importlib
import importlib.util
import inspect
import pkgutil
import sys
from pathlib import Path

import pytest

SUITE_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
SUITE_PACKAGE = "attnbench_asv_suite"


def load_suite():
    """The asv suite (benchmarks/) as a package, with every module imported.

    Imported under a private name from its path: putting the repository root on
    sys.path would also expose harness/, algorithms/ and datasets/ as top-level names.
    The suite's modules use relative imports, so the package name does not matter.
    """
    if SUITE_PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            SUITE_PACKAGE, SUITE_DIR / "__init__.py", submodule_search_locations=[str(SUITE_DIR)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[SUITE_PACKAGE] = package
        spec.loader.exec_module(package)
    package = sys.modules[SUITE_PACKAGE]
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{SUITE_PACKAGE}.{module.name}")
    return package


@pytest.fixture(scope="session", autouse=True)
def dataset_cache(tmp_path_factory):
    """Benchmark inputs are cached in a temporary folder, not in the user's cache."""
    from attnbench.datasets.cache import CACHE_DIR_ENV

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(tmp_path_factory.mktemp("datasets")))
        yield


@pytest.fixture(scope="session")
def suite():
    return load_suite()


@pytest.fixture(scope="session")
def make_input(suite):
    """The suite's input generator: the one source of benchmark data."""
    return suite.common.make_input


@pytest.fixture(
    params=[("gaussian", "dense"), ("sparse", "dense"), ("sparse", "csr")], ids="-".join
)
def input_kind(request):
    """Each (data, format) the suite benchmarks (a Gaussian X in CSR is skipped there)."""
    return request.param


@pytest.fixture(autouse=True)
def no_test_plugins(monkeypatch):
    """The registry without reducers defined under tests/: plug-in files that other tests
    in this process loaded (tests/harness's session run loads misbehaving.py, whose
    ``test_exits`` ends the process) would be fitted by every benchmark on the grid."""
    from attnbench.algorithms import registry

    tests = Path(__file__).resolve().parents[1]
    for name, cls in list(registry._REDUCERS.items()):
        if Path(inspect.getfile(cls)).resolve().is_relative_to(tests):
            monkeypatch.delitem(registry._REDUCERS, name)
