"""Sweep configurations: TOML files or built-in presets, validated before anything runs.

A config is a list of experiments; each crosses a dataset grid with reducers and their
parameter grids::

    name = "my-sweep"
    [settings]                 # all optional; defaults in SETTINGS
    repeats = 3
    [[experiment]]
    name = "error-vs-r"
    [experiment.datasets]      # each key an axis (a value or a list of values)
    family = ["gaussian", "coherent"]
    n = [64]
    d = [4096]
    r = [0.01, 0.1, 1.0]
    zipped = [["d", "density"]]    # axes that move together instead of crossing
    [experiment.reducers.gaussian]
    n_components = [64, 256]   # each key a parameter axis
    [experiment.reducers.zero]

``all_reducers = true`` in an experiment adds every registered reducer not listed,
with its defaults.  Errors name the file, the key and what was expected.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from attnbench.algorithms import UnknownReducerError, get_reducer_class, list_reducers

INPUT_FORMATS = ("native", "dense", "csr", "csc")
SETTINGS = {  # name: (default, type, check, expected)
    "root_seed": (0, int, lambda v: v >= 0, "an int >= 0"),
    "replicates": (1, int, lambda v: v >= 1, "an int >= 1"),
    "repeats": (3, int, lambda v: v >= 1, "an int >= 1"),
    "warmup": (1, int, lambda v: v >= 0, "an int >= 0"),
    "timeout": (120.0, (int, float), lambda v: v > 0, "seconds > 0"),
    "threads": (1, int, lambda v: v >= 1, "an int >= 1 (BLAS threads per cell)"),
    "input_format": ("native", str, lambda v: v in INPUT_FORMATS, f"one of {INPUT_FORMATS}"),
    "max_dataset_bytes": (2**31, int, lambda v: v > 0, "an int > 0 (bytes)"),
}
DATASET_AXES = {
    "family": (str,),
    "n": (int,),
    "d": (int,),
    "density": (int, float),
    "r": (int, float),
}
PARAM_TYPES = (bool, int, float, str)


class ConfigError(ValueError):
    """A config problem, reported with the file and the key before anything runs."""

    def __init__(self, source, key, problem):
        super().__init__(f"{source}: [{key}] {problem}")
        self.source, self.key, self.problem = source, key, problem


@dataclass(frozen=True)
class Experiment:
    name: str
    datasets: dict  # axis -> list of values
    zipped: tuple  # tuples of axis names that move together
    reducers: tuple  # (reducer name, {param: list of values}) pairs


@dataclass(frozen=True)
class SweepConfig:
    name: str
    source: str
    text: str
    settings: dict
    experiments: tuple = field(default_factory=tuple)

    def with_settings(self, **overrides):
        """A copy with some settings replaced (from the command line), validated."""
        settings = dict(self.settings)
        for key, value in overrides.items():
            if value is not None:
                settings[key] = _check_setting(self.source, key, value)
        return SweepConfig(self.name, self.source, self.text, settings, self.experiments)


def _as_list(value):
    return list(value) if isinstance(value, list) else [value]


def _check_setting(source, key, value):
    if key not in SETTINGS:
        raise ConfigError(source, f"settings.{key}", f"unknown setting; known: {sorted(SETTINGS)}")
    _, kind, check, expected = SETTINGS[key]
    if isinstance(value, bool) or not isinstance(value, kind) or not check(value):
        raise ConfigError(source, f"settings.{key}", f"expected {expected}, got {value!r}")
    return value


def _parse_datasets(source, where, table):
    if not isinstance(table, dict):
        raise ConfigError(source, where, "expected a table of dataset axes")
    table = dict(table)
    zipped = table.pop("zipped", [])
    params = table.pop("params", {})
    axes = {}
    for key, value in table.items():
        if key not in DATASET_AXES:
            raise ConfigError(
                source,
                f"{where}.{key}",
                f"unknown dataset axis; expected one of {sorted(DATASET_AXES)}, zipped, params",
            )
        values = _as_list(value)
        if not values:
            raise ConfigError(source, f"{where}.{key}", "expected at least one value")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, DATASET_AXES[key]):
                names = "/".join(t.__name__ for t in DATASET_AXES[key])
                raise ConfigError(source, f"{where}.{key}", f"expected {names}, got {v!r}")
        axes[key] = values
    for key in ("family", "n", "d"):
        if key not in axes:
            raise ConfigError(source, f"{where}.{key}", "missing required dataset axis")
    if not isinstance(params, dict):
        raise ConfigError(source, f"{where}.params", "expected a table of family parameters")
    axes["params"] = [tuple(sorted(params.items()))]
    groups = []
    for group in _as_list(zipped):
        if not isinstance(group, list) or not all(g in axes for g in group):
            raise ConfigError(
                source, f"{where}.zipped", f"expected lists of axis names, got {group!r}"
            )
        lengths = {len(axes[g]) for g in group}
        if len(lengths) != 1:
            raise ConfigError(source, f"{where}.zipped", f"axes {group} have different lengths")
        groups.append(tuple(group))
    return axes, tuple(groups)


def _parse_reducers(source, where, table, all_reducers):
    if not isinstance(table, dict):
        raise ConfigError(source, where, "expected a table of reducers")
    reducers = []
    for name, grid in table.items():
        try:
            cls = get_reducer_class(name)
        except UnknownReducerError as exc:
            raise ConfigError(source, f"{where}.{name}", str(exc)) from None
        if not isinstance(grid, dict):
            raise ConfigError(source, f"{where}.{name}", "expected a table of parameter values")
        accepted = set(cls._get_param_names()) - {"random_state"}
        params = {}
        for key, value in grid.items():
            if key not in accepted:
                raise ConfigError(
                    source,
                    f"{where}.{name}.{key}",
                    f"unknown parameter; {name} accepts {sorted(accepted) or 'none'}",
                )
            values = _as_list(value)
            if not values or not all(isinstance(v, PARAM_TYPES) for v in values):
                raise ConfigError(
                    source,
                    f"{where}.{name}.{key}",
                    f"expected a number, a string or a list of them, got {value!r}",
                )
            params[key] = values
        reducers.append((name, params))
    if all_reducers:
        listed = {name for name, _ in reducers}
        reducers += [(name, {}) for name in list_reducers() if name not in listed]
    return tuple(reducers)


def parse_config(text, source="<config>"):
    """Parse and validate TOML text into a SweepConfig."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "toml", f"not valid TOML: {exc}") from None
    known = {"name", "description", "settings", "experiment"}
    for key in raw:
        if key not in known:
            raise ConfigError(
                source, key, f"unknown top-level key; expected one of {sorted(known)}"
            )
    settings = {key: spec[0] for key, spec in SETTINGS.items()}
    for key, value in raw.get("settings", {}).items():
        settings[key] = _check_setting(source, key, value)
    experiments = []
    raw_experiments = raw.get("experiment")
    if not isinstance(raw_experiments, list) or not raw_experiments:
        raise ConfigError(source, "experiment", "expected at least one [[experiment]]")
    for i, exp in enumerate(raw_experiments):
        where = f"experiment.{exp.get('name', i)}"
        for key in exp:
            if key not in {"name", "datasets", "reducers", "all_reducers"}:
                raise ConfigError(
                    source,
                    f"{where}.{key}",
                    "unknown key; expected name, datasets, reducers, all_reducers",
                )
        if "datasets" not in exp:
            raise ConfigError(source, f"{where}.datasets", "missing [experiment.datasets]")
        axes, zipped = _parse_datasets(source, f"{where}.datasets", exp["datasets"])
        reducers = _parse_reducers(
            source, f"{where}.reducers", exp.get("reducers", {}), exp.get("all_reducers", False)
        )
        if not reducers:
            raise ConfigError(source, f"{where}.reducers", "no reducers given")
        experiments.append(Experiment(str(exp.get("name", i)), axes, zipped, reducers))
    name = raw.get("name", Path(source).stem)
    return SweepConfig(str(name), source, text, settings, tuple(experiments))


def _presets():
    return resources.files("attnbench") / "presets"


def list_presets():
    """{preset name: its description line} for the built-in presets."""
    out = {}
    for entry in sorted(_presets().iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            out[entry.name[:-5]] = tomllib.loads(entry.read_text()).get("description", "")
    return out


def preset_text(name):
    """The TOML text of a built-in preset."""
    entry = _presets() / f"{name}.toml"
    if not entry.is_file():
        raise ConfigError(name, "preset", f"unknown preset; available: {sorted(list_presets())}")
    return entry.read_text()


def load_config(preset_or_path):
    """A preset name or a path to a TOML file -> SweepConfig."""
    path = Path(preset_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ConfigError(str(path), "file", "no such config file")
        return parse_config(path.read_text(), str(path))
    return parse_config(preset_text(preset_or_path), f"preset:{preset_or_path}")


def reducer_grid(params):
    """Expand {param: [values]} into a list of {param: value} dicts (cartesian)."""
    keys = sorted(params)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(params[k] for k in keys))]
