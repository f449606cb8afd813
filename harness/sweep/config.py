"""Sweep configurations: TOML files or built-in presets, validated before anything runs.

A config is a list of experiments; each crosses a dataset grid with reducers and their
parameter grids::

    name = "my-sweep"
    [settings]                 # all optional; defaults in SETTINGS (the one table)
    repeats = 3
    [[experiment]]
    name = "error-vs-r"
    [experiment.datasets]      # each key an axis (a value or a list of values)
    family = ["gaussian", "coherent"]
    n = [64]
    d = [4096]
    r = [0.01, 0.1, 1.0]
    zipped = [["d", "density"]]    # axes that move together instead of crossing
    shared_seed = ["r"]            # the same X (one seed) scaled to every r
    [experiment.reducers.gaussian]
    n_components = [64, 256]   # each key a parameter axis
    [experiment.reducers.zero]

``all_reducers = true`` in an experiment adds every registered reducer not listed,
with its defaults; ``[experiment.settings]`` overrides the per-experiment settings
(repeats, timeout, replicates, draws, ...; the ``cell``, ``grid`` and ``keyed`` rows of
SETTINGS) for that experiment.  Errors name the file, the key and what was expected.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from attnbench.algorithms import UnknownReducerError, get_reducer_class, list_reducers
from attnbench.datasets import expand_grid
from attnbench.linalg import ATTENTION_MODES

INPUT_FORMATS = ("native", "dense", "csr", "csc")


@dataclass(frozen=True)
class Setting:
    """One sweep setting: its default, accepted type, check, the expectation an error
    names, and its scope: ``run`` (one value for the whole run), ``cell`` (an experiment
    may override it; not part of the cell key, since it does not change a finished
    result), ``grid`` (an experiment may override it; it decides how many cells the
    experiment has, each named by its own seed in its key, so the first replicate or
    draw keeps the key it has without the setting) or ``keyed`` (an experiment may
    override it, and it changes what a cell measures, so it is part of the cell key)."""

    default: object
    kind: type | tuple
    check: Callable[[object], bool]
    expected: str
    scope: str


# The one settings table: adding a setting is adding a row.  The timing protocol
# (attnbench.sweep.runner): warm-up runs, then timed rounds, at most ``repeats``, at least
# ``min_repeats`` where the cell's timeout affords them, and no more once the rounds
# have used ``time_budget`` seconds (asv's (min_repeat, max_repeat, max_time)).
SETTINGS = {
    "root_seed": Setting(0, int, lambda v: v >= 0, "an int >= 0", "run"),
    "replicates": Setting(
        1, int, lambda v: v >= 1, "an int >= 1 (dataset seeds per grid point)", "grid"
    ),
    "draws": Setting(
        1,
        int,
        lambda v: v >= 1,
        "an int >= 1 (independent random_state draws of each randomized reducer)",
        "grid",
    ),
    "max_dataset_bytes": Setting(2**31, int, lambda v: v > 0, "an int > 0 (bytes)", "run"),
    "timeout": Setting(120.0, (int, float), lambda v: v > 0, "seconds > 0", "cell"),
    "min_repeats": Setting(
        3, int, lambda v: v >= 1, "an int >= 1 (timed rounds where the timeout affords)", "cell"
    ),
    "time_budget": Setting(
        20.0, (int, float), lambda v: v > 0, "seconds > 0 (of timed rounds per cell)", "cell"
    ),
    "spectral": Setting(
        True,
        bool,
        lambda v: True,
        "true or false (false: no spectral_eps, which costs two n^3 eigensolvers)",
        "cell",
    ),
    "attend": Setting(
        True,
        bool,
        lambda v: True,
        "true or false (true: also time A(Y) from the reducer's Y and, once per dataset, "
        "the direct route A(X), for the end-to-end payoff)",
        "cell",
    ),
    "repeats": Setting(3, int, lambda v: v >= 1, "an int >= 1 (at most, per cell)", "keyed"),
    "warmup": Setting(1, int, lambda v: v >= 0, "an int >= 0", "keyed"),
    "threads": Setting(1, int, lambda v: v >= 1, "an int >= 1 (BLAS threads per cell)", "keyed"),
    "input_format": Setting(
        "native", str, lambda v: v in INPUT_FORMATS, f"one of {INPUT_FORMATS}", "keyed"
    ),
    "attention": Setting(
        "symmetric",
        str,
        lambda v: v in ATTENTION_MODES,
        "'symmetric' (Q = K = X) or 'asymmetric' (Q != K, one shared reducer)",
        "keyed",
    ),
    "qk_correlation": Setting(
        0.5,
        (int, float),
        lambda v: -1 <= v <= 1,
        "a number in [-1, 1] (mixing of K with Q)",
        "keyed",
    ),
}
# Settings an experiment may override, and those of them that are part of each cell's key.
CELL_SETTINGS = tuple(k for k, s in SETTINGS.items() if s.scope != "run")
KEYED_SETTINGS = tuple(k for k, s in SETTINGS.items() if s.scope == "keyed")
DATASET_AXES = {
    "family": (str,),
    "n": (int,),
    "d": (int,),
    "density": (int, float),
    "r": (int, float),
    "seed": (int,),
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
    shared_seed: tuple  # axes whose values share one dataset seed (e.g. r)
    reducers: tuple  # (reducer name, {param: list of values}) pairs
    settings: tuple = ()  # (name, value) overrides of the sweep's per-cell settings


@dataclass(frozen=True)
class SweepConfig:
    name: str
    source: str
    text: str
    settings: dict
    experiments: tuple = field(default_factory=tuple)

    def with_settings(self, **overrides):
        """A copy with settings replaced (from the command line), validated; they also
        replace the experiments' own overrides of the same settings."""
        given = {
            k: _check_setting(self.source, k, v) for k, v in overrides.items() if v is not None
        }
        experiments = tuple(
            replace(exp, settings=tuple((k, v) for k, v in exp.settings if k not in given))
            for exp in self.experiments
        )
        return SweepConfig(
            self.name, self.source, self.text, {**self.settings, **given}, experiments
        )


def _as_list(value):
    return list(value) if isinstance(value, list) else [value]


def _check_setting(source, key, value):
    if key not in SETTINGS:
        raise ConfigError(source, f"settings.{key}", f"unknown setting; known: {sorted(SETTINGS)}")
    setting = SETTINGS[key]
    wrong_bool = isinstance(value, bool) != (setting.kind is bool)  # True is an int too
    if wrong_bool or not isinstance(value, setting.kind) or not setting.check(value):
        raise ConfigError(source, f"settings.{key}", f"expected {setting.expected}, got {value!r}")
    return value


def _parse_datasets(source, where, table, settings):
    """Dataset axes: spec fields, family parameters, ``zipped`` and ``shared_seed``.

    The grid is expanded once here, so that every dataset error (an unknown family, a
    density for a dense family, a parameter no family takes) is reported before
    anything runs.
    """
    if not isinstance(table, dict):
        raise ConfigError(source, where, "expected a table of dataset axes")
    table = dict(table)
    zipped = table.pop("zipped", [])
    shared_seed = table.pop("shared_seed", [])
    axes = {}
    for key, value in table.items():
        values = _as_list(value)
        if not values:
            raise ConfigError(source, f"{where}.{key}", "expected at least one value")
        kinds = DATASET_AXES.get(key, PARAM_TYPES)
        for v in values:
            if isinstance(v, bool) and bool not in kinds or not isinstance(v, kinds):
                names = "/".join(t.__name__ for t in kinds)
                raise ConfigError(source, f"{where}.{key}", f"expected {names}, got {v!r}")
        axes[key] = values
    for key in ("family", "n", "d"):
        if key not in axes:
            raise ConfigError(source, f"{where}.{key}", "missing required dataset axis")
    groups = []
    for group in _as_list(zipped):
        if not isinstance(group, list) or not all(isinstance(g, str) for g in group):
            raise ConfigError(
                source, f"{where}.zipped", f"expected lists of axis names, got {group!r}"
            )
        groups.append(tuple(group))
    shared_seed = tuple(_as_list(shared_seed))
    try:
        expand_grid(
            axes,
            zipped=groups,
            shared_seed_axes=shared_seed,
            root_seed=settings["root_seed"],
            n_seeds=settings["replicates"],
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(source, where, str(exc)) from None
    return axes, tuple(groups), shared_seed


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
    settings = {key: setting.default for key, setting in SETTINGS.items()}
    for key, value in raw.get("settings", {}).items():
        settings[key] = _check_setting(source, key, value)
    experiments = []
    raw_experiments = raw.get("experiment")
    if not isinstance(raw_experiments, list) or not raw_experiments:
        raise ConfigError(source, "experiment", "expected at least one [[experiment]]")
    for i, exp in enumerate(raw_experiments):
        where = f"experiment.{exp.get('name', i)}"
        for key in exp:
            if key not in {"name", "datasets", "reducers", "all_reducers", "settings"}:
                raise ConfigError(
                    source,
                    f"{where}.{key}",
                    "unknown key; expected name, datasets, reducers, all_reducers, settings",
                )
        overrides = {}
        for key, value in exp.get("settings", {}).items():
            if key not in CELL_SETTINGS:
                raise ConfigError(
                    source,
                    f"{where}.settings.{key}",
                    f"not a per-experiment setting; expected one of {list(CELL_SETTINGS)}",
                )
            overrides[key] = _check_setting(source, key, value)
        if "datasets" not in exp:
            raise ConfigError(source, f"{where}.datasets", "missing [experiment.datasets]")
        axes, zipped, shared = _parse_datasets(
            source, f"{where}.datasets", exp["datasets"], {**settings, **overrides}
        )
        reducers = _parse_reducers(
            source, f"{where}.reducers", exp.get("reducers", {}), exp.get("all_reducers", False)
        )
        if not reducers:
            raise ConfigError(source, f"{where}.reducers", "no reducers given")
        experiments.append(
            Experiment(
                str(exp.get("name", i)),
                axes,
                zipped,
                shared,
                reducers,
                tuple(sorted(overrides.items())),
            )
        )
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
