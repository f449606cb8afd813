"""The asv suite cannot rot: every benchmark runs (setup, one call, teardown) on the
smoke grid for every registered reducer, and its numbers obey what they measure.

This runs without asv; scripts/ci-benchmarks adds ``asv check`` and a dry asv run.
"""

import inspect
import itertools
import math
import pkgutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import attnbench.algorithms
from attnbench.algorithms import get_reducer_class, list_reducers
from attnbench.metrics import METRICS

BENCHMARK_PREFIXES = ("time_", "timeraw_", "mem_", "peakmem_", "track_")


def _benchmark_classes(suite):
    """{class: [benchmark method names]} of every suite module, as asv discovers them."""
    found = {}
    for module_info in pkgutil.iter_modules(suite.__path__):
        module = sys.modules[f"{suite.__name__}.{module_info.name}"]
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            methods = [name for name in dir(cls) if name.startswith(BENCHMARK_PREFIXES)]
            if methods:
                found[cls] = methods
    return found


@pytest.fixture
def smoke_grid(monkeypatch, suite):
    monkeypatch.setenv(suite.common.GRID_VARIABLE, "smoke")


def test_importing_the_suite_imports_no_attnbench():
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from conftest import SUITE_PACKAGE, load_suite\n"
        "load_suite()\n"
        "print(sorted(m for m in sys.modules if m.startswith(SUITE_PACKAGE + '.')))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('attnbench', 'sklearn', 'threadpoolctl')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules, imported = out.stdout.splitlines()
    assert "common" in modules and "bench_reducers" in modules and "bench_accuracy" in modules
    assert imported == "[]"


def test_reducer_axis_is_read_from_the_registry_when_params_is_read(suite, monkeypatch):
    benchmark = suite.common.ReducerBenchmark
    assert benchmark.params[0] == list_reducers()
    monkeypatch.setattr(attnbench.algorithms, "list_reducers", lambda: ["new_reducer"])
    assert benchmark.params[0] == ["new_reducer"]
    assert len(benchmark.params) == len(benchmark.param_names)


def test_grid_variable_selects_shapes(suite, monkeypatch):
    common = suite.common
    monkeypatch.delenv(common.GRID_VARIABLE, raising=False)
    assert common.shapes() == common.SHAPES["default"]
    monkeypatch.setenv(common.GRID_VARIABLE, "large")
    assert set(common.SHAPES["default"]) < set(common.shapes())
    monkeypatch.setenv(common.GRID_VARIABLE, "huge")
    with pytest.raises(ValueError, match=common.GRID_VARIABLE):
        common.shapes()
    for n, d in itertools.chain(*common.SHAPES.values()):
        assert d >= 32 * n  # the paper's regime: d >> n


def test_grid_axis_follows_the_grid_variable(suite, monkeypatch):
    common = suite.common
    benchmark = type("Benchmark", (), {"params": common.GridAxis(smoke=[1], default=[2, 3])})
    monkeypatch.delenv(common.GRID_VARIABLE, raising=False)
    assert (common.grid_name(), benchmark.params) == ("default", [[2, 3]])
    monkeypatch.setenv(common.GRID_VARIABLE, "smoke")
    assert (common.grid_name(), benchmark.params) == ("smoke", [[1]])
    monkeypatch.setenv(common.GRID_VARIABLE, "huge")
    with pytest.raises(ValueError, match=common.GRID_VARIABLE):
        common.grid_name()


def test_cpu_ratio_is_work_over_floor(suite):
    def spin(k):  # CPU time proportional to k
        return lambda: sum(range(k * 200_000))

    ratio = suite.common.cpu_ratio(spin(4), spin(1), rounds=3)
    assert 2.0 < ratio < 8.0
    assert 1 / 8 < suite.common.cpu_ratio(spin(1), spin(4), rounds=3) < 1 / 2


def test_every_benchmark_has_a_pinned_version(suite):
    classes = _benchmark_classes(suite)
    assert {m.split("_")[0] for methods in classes.values() for m in methods} >= {
        "time",
        "peakmem",
        "track",
    }
    for cls in classes:
        assert cls.version.startswith(f"data{suite.common.DATA_VERSION}."), cls


def test_track_units_agree_with_the_metrics_registry(suite):
    for cls, methods in _benchmark_classes(suite).items():
        for name in methods:
            if name.startswith("track_"):
                metric = METRICS.get(name.removeprefix("track_"))
                unit = getattr(cls, name).unit
                assert unit, name
                if metric is not None and metric.unit:
                    assert unit == metric.unit, name


def test_make_input_is_scaled_seeded_and_in_its_format(make_input, suite, input_kind):
    data, fmt = input_kind
    common = suite.common
    n, d = common.SHAPES["smoke"][0]
    X = make_input(data, n, d, fmt)
    assert X.shape == (n, d)
    assert sp.issparse(X) == (fmt == "csr")
    dense = X.toarray() if sp.issparse(X) else X
    np.testing.assert_allclose(np.abs(dense @ dense.T).max(), common.R, rtol=1e-12)
    if data == "sparse":  # nnz ~ Binomial(nd, density): within 5 standard deviations
        p = common.SPARSE_DENSITY
        assert abs(np.count_nonzero(dense) - p * n * d) <= 5 * np.sqrt(n * d * p * (1 - p))
    again = make_input(data, n, d, fmt)
    assert np.array_equal(dense, again.toarray() if sp.issparse(again) else again)
    if fmt == "csr":  # same X in both formats
        assert np.array_equal(dense, make_input(data, n, d, "dense"))


def test_make_input_skips_dense_families_in_csr_and_rejects_unknown_names(make_input):
    for family in ("gaussian", "coherent"):
        with pytest.raises(NotImplementedError):
            make_input(family, 16, 512, "csr")
    with pytest.raises(ValueError, match="family"):
        make_input("no_such_family", 16, 512, "dense")
    with pytest.raises(ValueError, match="fmt"):
        make_input("sparse", 16, 512, "coo")


def test_make_reducer_pins_absurd_auto_sizes(suite):
    common = suite.common
    for name, per_token in common.N_COMPONENTS_PER_TOKEN.items():
        if name in list_reducers():
            assert common.make_reducer(name, 16).get_params()["n_components"] == per_token * 16
    assert common.make_reducer("gaussian", 16).get_params()["random_state"] == common.REDUCER_SEED


def test_every_benchmark_runs_once_on_the_smoke_grid(suite, smoke_grid):
    """As asv runs them: setup_cache once per class, then setup, each benchmark method
    and teardown for every combination of the smoke grid."""
    floor = suite.bench_accuracy.ROUNDOFF_FLOOR
    ran, skipped = set(), []
    for cls, methods in _benchmark_classes(suite).items():
        cache = (cls().setup_cache(),) if hasattr(cls, "setup_cache") else ()
        for params in itertools.product(*getattr(cls, "params", [])):
            benchmark, args = cls(), (*cache, *params)
            try:
                getattr(benchmark, "setup", lambda *a: None)(*args)
            except NotImplementedError:
                skipped.append((cls.__name__, params))
                continue
            try:
                values = {name: getattr(benchmark, name)(*args) for name in methods}
            finally:
                getattr(benchmark, "teardown", lambda *a: None)(*args)
            ran.add(cls.__name__)
            for name, value in values.items():
                if name.startswith("track_"):
                    assert isinstance(value, float) and math.isfinite(value), (name, params)
                    assert value >= (0.0 if name == "track_m" else floor), (name, params)
            if "track_m" in values:
                _check_known_values(get_reducer_class(params[0]), values, floor, params)
    assert ran == {cls.__name__ for cls in _benchmark_classes(suite)}
    # The only combination that makes no sense: a Gaussian (dense) X stored as CSR, on
    # the (reducer, shape, data, format) grid.
    assert {p[2:] for _, p in skipped} == {("gaussian", "csr")}


def _check_known_values(reducer_class, values, floor, params):
    if reducer_class.name == "zero":  # A(Y) = 11^T/n: skill 0, YY^T = 0 so eps = 1
        assert values["track_m"] == 0.0
        np.testing.assert_allclose(values["track_skill_deficit"], 1.0, rtol=1e-12)
        np.testing.assert_allclose(values["track_spectral_eps"], 1.0, rtol=1e-12)
    if reducer_class.family == "exact":  # YY^T = XX^T up to round-off
        assert values["track_attn_err_over_r"] == floor, params
        assert values["track_skill_deficit"] == floor, params
        assert values["track_spectral_eps"] == floor, params


def test_accuracy_cache_isolates_a_failing_reducer(suite, smoke_grid, monkeypatch):
    monkeypatch.setattr(attnbench.algorithms, "list_reducers", lambda: ["zero", "not_registered"])
    accuracy = suite.bench_accuracy.Accuracy
    outcomes = accuracy().setup_cache()
    assert len(outcomes) == np.prod([len(axis) for axis in accuracy.params])
    for (reducer, shape, data, fmt), outcome in outcomes.items():
        if (data, fmt) == ("gaussian", "csr"):
            assert isinstance(outcome, NotImplementedError)
        elif reducer == "zero":
            assert outcome["m"] == 0.0
        else:
            assert isinstance(outcome, RuntimeError) and "not_registered" in str(outcome)
            with pytest.raises(RuntimeError, match="not_registered"):
                accuracy().setup(outcomes, reducer, shape, data, fmt)
