import pytest

from attnbench.sweep.config import (
    CELL_SETTINGS,
    KEYED_SETTINGS,
    SETTINGS,
    ConfigError,
    list_presets,
    load_config,
    parse_config,
    reducer_grid,
)
from attnbench.sweep.grid import make_cells

GOOD = """
name = "t"
[settings]
repeats = 2
[[experiment]]
name = "e"
[experiment.datasets]
family = "gaussian"
n = [8, 16]
d = 64
[experiment.reducers.gaussian]
n_components = [4, 8]
eps = 0.5
[experiment.reducers.zero]
"""


def test_parse_good_config():
    config = parse_config(GOOD, "t.toml")
    assert config.name == "t" and config.settings["repeats"] == 2
    assert config.settings["timeout"] == 120.0  # default
    (exp,) = config.experiments
    assert exp.datasets["n"] == [8, 16] and exp.datasets["family"] == ["gaussian"]
    assert dict(exp.reducers)["gaussian"] == {"n_components": [4, 8], "eps": [0.5]}
    assert reducer_grid({"n_components": [4, 8], "eps": [0.5]}) == [
        {"eps": 0.5, "n_components": 4},
        {"eps": 0.5, "n_components": 8},
    ]


@pytest.mark.parametrize(
    "old, new, key, message",
    [
        (
            'name = "e"\n[experiment.datasets]',
            'name = "e"\ncolour = 1\n[experiment.datasets]',
            "experiment.e.colour",
            "unknown key",
        ),
        (
            "[experiment.reducers.zero]",
            "[experiment.reducers.gausian]",
            "experiment.e.reducers.gausian",
            "Did you mean: gaussian",
        ),
        (
            "eps = 0.5",
            "epsilon = 0.5",
            "experiment.e.reducers.gaussian.epsilon",
            "unknown parameter",
        ),
        ("repeats = 2", "repeats = 0", "settings.repeats", "expected an int >= 1"),
        ("repeats = 2", 'repeats = "3"', "settings.repeats", "expected an int >= 1"),
        ("repeats = 2", "speed = 2", "settings.speed", "unknown setting"),
        ("n = [8, 16]", 'n = ["8"]', "experiment.e.datasets.n", "expected int"),
        ("d = 64", "d = 64\nwidth = 3", "experiment.e.datasets", "neither a spec field"),
        ("d = 64", "d = 64\ndensity = 0.5", "experiment.e.datasets", "takes only density=1.0"),
        ('family = "gaussian"', 'family = "gaus"', "experiment.e.datasets", "gaus"),
        ("d = 64", "", "experiment.e.datasets.d", "missing required dataset axis"),
        ("eps = 0.5", "eps = []", "experiment.e.reducers.gaussian.eps", "expected a number"),
    ],
)
def test_config_errors_name_file_key_and_expectation(old, new, key, message):
    assert old in GOOD
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD.replace(old, new), "bad.toml")
    assert info.value.key == key
    assert message in str(info.value)
    assert str(info.value).startswith("bad.toml: [")


def test_invalid_toml_and_missing_experiment():
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("name = ", "x.toml")
    with pytest.raises(ConfigError, match="at least one"):
        parse_config('name = "x"', "x.toml")


def test_presets_are_listed_and_valid():
    presets = list_presets()
    assert {"quick", "paper", "scaling"} <= set(presets)
    for name in presets:
        assert load_config(name).name == name


def test_unknown_preset_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="unknown preset"):
        load_config("nope")
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(str(tmp_path / "missing.toml"))


def test_experiment_settings_override_and_command_line_wins():
    text = GOOD.replace('name = "e"\n', 'name = "e"\nsettings = { repeats = 7, timeout = 9 }\n')
    config = parse_config(text)
    (exp,) = config.experiments
    assert dict(exp.settings) == {"repeats": 7, "timeout": 9}
    (exp,) = config.with_settings(repeats=1).experiments
    assert dict(exp.settings) == {"timeout": 9}
    with pytest.raises(ConfigError, match="not a per-experiment setting"):
        parse_config(GOOD.replace('name = "e"\n', 'name = "e"\nsettings = { root_seed = 1 }\n'))


def test_with_settings_validates_overrides():
    config = parse_config(GOOD)
    assert config.with_settings(timeout=5, repeats=None).settings["timeout"] == 5
    with pytest.raises(ConfigError, match="settings.threads"):
        config.with_settings(threads=0)


def _keys(text):
    return {cell.key for cell in make_cells(parse_config(text))}


def test_a_settings_scope_decides_override_and_key():
    """One table: ``run`` settings cannot be overridden per experiment, ``cell`` ones can
    but leave the cell key alone, ``grid`` ones add cells and keep the keys of those
    there were, ``keyed`` ones change them."""
    assert {s.scope for s in SETTINGS.values()} == {"run", "cell", "grid", "keyed"}
    assert set(KEYED_SETTINGS) < set(CELL_SETTINGS) < set(SETTINGS)
    base = _keys(GOOD)
    value = {"timeout": 9, "repeats": 7, "warmup": 0, "threads": 2, "qk_correlation": 0.1}
    value |= {"input_format": '"csr"', "attention": '"asymmetric"', "replicates": 2}
    value |= {"draws": 3, "min_repeats": 1, "time_budget": 0.5, "spectral": "false"}
    value |= {"attend": "false"}
    assert set(value) == set(CELL_SETTINGS)
    for name in CELL_SETTINGS:
        text = GOOD.replace(
            'name = "e"\n', f'name = "e"\nsettings = {{ {name} = {value[name]} }}\n'
        )
        keys = _keys(text)
        scope = SETTINGS[name].scope
        assert (keys == base) == (scope == "cell"), name
        assert (base < keys) == (scope == "grid"), name
    for name in set(SETTINGS) - set(CELL_SETTINGS):
        text = GOOD.replace('name = "e"\n', f'name = "e"\nsettings = {{ {name} = 1 }}\n')
        with pytest.raises(ConfigError, match="not a per-experiment setting"):
            parse_config(text)
