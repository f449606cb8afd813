import textwrap

import pytest

from attnbench.algorithms import (
    BrokenPluginError,
    UnknownReducerError,
    broken_plugins,
    get_reducer,
    list_reducers,
    load_plugin,
    load_plugins,
    register,
    resolve,
)
from attnbench.algorithms.registry import _REDUCERS

BUILTINS = {
    "zero",
    "identity",
    "svd",
    "gaussian",
    "sparse_sign",
    "countsketch",
    "osnap",
    "srht",
    "uniform",
    "norm_sampling",
    "leverage_exact",
    "bss",
    "bss_hybrid",
    "leverage_fast",
    "peer_sklearn_gaussian",
    "peer_sklearn_sparse",
    "peer_scipy_cwt",
}


def test_builtins_registered():
    assert BUILTINS <= set(list_reducers())


def test_unknown_name_lists_close_matches():
    with pytest.raises(UnknownReducerError, match="Did you mean: gaussian"):
        get_reducer("gausian")
    with pytest.raises(UnknownReducerError, match="unknown reducer 'zzzz'"):
        get_reducer("zzzz")


def test_unknown_parameter_is_named():
    with pytest.raises(TypeError, match=r"no parameter\(s\) \['epsilon'\]"):
        get_reducer("gaussian", epsilon=0.1)


def test_get_reducer_passes_parameters():
    assert get_reducer("gaussian", n_components=3, eps=0.2).get_params()["eps"] == 0.2


PLUGIN = '''
import numpy as np
from attnbench.algorithms import ProjectionReducer

class FirstColumns(ProjectionReducer):
    """Keeps the first m columns: Y = X[:, :m]."""
    name = "{name}"
    family = "sampling"
    deterministic = True
    cost_model = "sampling"

    def __init__(self, n_components=2):
        self.n_components = n_components

    def _make_components(self, X, rng):
        return np.eye(X.shape[1], self.n_components)
'''


@pytest.fixture
def plugin_dir(tmp_path):
    yield tmp_path
    for name in ("first_columns_test",):
        _REDUCERS.pop(name, None)


def test_plugin_file_is_one_class(plugin_dir):
    path = plugin_dir / "first_columns.py"
    path.write_text(textwrap.dedent(PLUGIN.format(name="first_columns_test")))
    assert load_plugin(path) == ["first_columns_test"]
    import numpy as np

    X = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(get_reducer("first_columns_test").fit_transform(X), X[:, :2])


def test_broken_plugin_is_reported_and_registry_still_works(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import not_a_module_that_exists\n")
    with pytest.raises(BrokenPluginError, match="not_a_module_that_exists"):
        load_plugin(path)
    assert "not_a_module_that_exists" in broken_plugins()[str(path)]
    assert BUILTINS <= set(list_reducers())
    assert get_reducer("zero").fit_transform([[1.0, 2.0]]).shape == (1, 0)


def test_missing_plugin_file():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_plugin("/nonexistent/reducer.py")


def test_register_rejects_non_reducers_and_bad_family():
    with pytest.raises(TypeError, match="needs a Reducer subclass"):
        register("x")(object)
    from attnbench.algorithms import Reducer

    class Bad(Reducer):
        family = "magic"

    with pytest.raises(ValueError, match="family 'magic'"):
        register("bad")(Bad)


def test_resolve_names_files_and_file_colon_name(plugin_dir):
    assert resolve("gaussian") == ("gaussian", [])
    path = plugin_dir / "first_columns.py"
    path.write_text(textwrap.dedent(PLUGIN.format(name="first_columns_test")))
    assert resolve(str(path)) == ("first_columns_test", [str(path)])
    assert resolve(f"{path}:first_columns_test") == ("first_columns_test", [str(path)])
    with pytest.raises(ValueError, match="not 'other'"):
        resolve(f"{path}:other")
    with pytest.raises(UnknownReducerError, match="Did you mean: gaussian"):
        resolve("gausian")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve("no_such_file.py")


def test_a_file_with_two_reducers_needs_a_name(plugin_dir):
    path = plugin_dir / "two.py"
    text = PLUGIN.format(name="first_columns_test")
    path.write_text(text + text.split("\n\n", 1)[1].replace("FirstColumns", "Other").replace(
        '"first_columns_test"', '"first_columns_other"'))  # fmt: skip
    try:
        with pytest.raises(ValueError, match=r"defines 2 reducers .*; name one as"):
            resolve(str(path))
        assert resolve(f"{path}:first_columns_other")[0] == "first_columns_other"
    finally:
        _REDUCERS.pop("first_columns_other", None)


def test_builtin_listing_leaves_plugins_out(plugin_dir):
    path = plugin_dir / "first_columns.py"
    path.write_text(textwrap.dedent(PLUGIN.format(name="first_columns_test")))
    load_plugins([path])
    assert "first_columns_test" in list_reducers()
    assert "first_columns_test" not in list_reducers(builtin=True)
    assert set(list_reducers(builtin=True)) == BUILTINS
    assert {"calibration_cost", "calibration_error", "calibration_size"} == set(
        list_reducers(calibration=True, builtin=True)
    ) - BUILTINS


def test_load_plugins_collects_errors_unless_strict(tmp_path):
    path = tmp_path / "raises.py"
    path.write_text("raise RuntimeError('boom')\n")
    [error] = load_plugins([path], strict=False)
    assert isinstance(error, BrokenPluginError) and "boom" in str(error)
    with pytest.raises(BrokenPluginError, match="boom"):
        load_plugins([path])
