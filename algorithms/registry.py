"""The reducer registry: built-ins, entry points and plug-in files.

``@register("name")`` adds a class; third-party reducers come from the entry-point
group ``attnbench.reducers`` or from a file (``load_plugin("path/to/file.py")``), where
every :class:`~attnbench.algorithms.base.Reducer` subclass with a ``name`` is
registered.  A plug-in that fails to import is kept as a broken entry that reports its
error (benchopt's placeholder idea), and the rest of the registry keeps working.

:func:`resolve` is the one resolver of a reducer given by the user (a built-in or
entry-point name, ``file.py`` or ``file.py:name``), and :func:`load_plugins` the one
loop over plug-in files; every command, the workers and the contract use them.
Built-in reducers are those defined in the ``attnbench.algorithms`` package
(``list_reducers(builtin=True)``).
"""

from __future__ import annotations

import difflib
import importlib.metadata
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path

from attnbench.validation import Constraint

ENTRY_POINT_GROUP = "attnbench.reducers"
_PACKAGE = __name__.rpartition(".")[0]  # attnbench.algorithms

_REDUCERS: dict[str, type] = {}
_BROKEN: dict[str, str] = {}
_entry_points_loaded = False


class UnknownReducerError(KeyError):
    """Raised for a reducer name that is not registered; lists close matches."""

    def __str__(self):
        return str(self.args[0])


class BrokenPluginError(ImportError):
    """Raised when asking for a reducer whose plug-in failed to import."""


def register(name):
    """Class decorator: register a Reducer subclass under ``name``."""

    def decorate(cls):
        from attnbench.algorithms.base import FAMILIES, Reducer

        if not (inspect.isclass(cls) and issubclass(cls, Reducer)):
            raise TypeError(f"@register({name!r}) needs a Reducer subclass, got {cls!r}.")
        if cls.family not in FAMILIES:
            raise ValueError(f"reducer {name!r} has family {cls.family!r}; use one of {FAMILIES}.")
        previous = _REDUCERS.get(name)
        if previous is not None and previous.__qualname__ != cls.__qualname__:
            raise ValueError(f"reducer name {name!r} is already taken by {previous!r}.")
        cls.name = name
        _REDUCERS[name] = cls
        return cls

    return decorate


def _load_entry_points():
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
            if ep.name not in _REDUCERS:
                register(ep.name)(cls)
        except Exception:  # noqa: BLE001 -- a broken plug-in must not break the registry
            _BROKEN[ep.name] = traceback.format_exc()


class ReducerName(Constraint):
    """A parameter constraint: the name of a registered reducer whose class is a subclass
    of ``base`` (for instance the first stage of a composite reducer)."""

    def __init__(self, base, example):
        self.base, self.example = base, example

    def same_kind(self, value):
        return isinstance(value, str)

    def accepts(self, value):
        if not isinstance(value, str):
            return False
        try:
            cls = get_reducer_class(value)
        except (UnknownReducerError, BrokenPluginError):
            return False
        return issubclass(cls, self.base)

    def __str__(self):
        return f"the name of a registered {self.base.__name__} (e.g. {self.example!r})"

    def near_misses(self):
        other = next((name for name in list_reducers() if not self.accepts(name)), None)
        return ["not_a_reducer"] + ([other] if other else [])


def load_plugin(path):
    """Import a reducer file and register the Reducer subclasses it defines.

    Returns the registered names.  On an import error the file is recorded as broken
    (see :func:`broken_plugins`) and the error is re-raised as BrokenPluginError.
    """
    from attnbench.algorithms.base import Reducer

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"plug-in file {str(path)!r} does not exist.")
    module_name = f"attnbench_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        _BROKEN[str(path)] = traceback.format_exc()
        raise BrokenPluginError(f"plug-in {str(path)!r} failed to import: {exc!r}") from exc
    defined = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Reducer)
        and obj.__module__ == module_name
        and obj.name
    ]
    for cls in defined:
        if _REDUCERS.get(cls.name) is not cls:
            register(cls.name)(cls)
    return sorted(cls.name for cls in defined)


def load_plugins(paths, *, strict=True):
    """Import each reducer file in ``paths`` and register its reducers.

    ``strict``: a file that fails to import raises BrokenPluginError; otherwise it is
    listed as broken (:func:`broken_plugins`) and its error returned, so listing still
    works.  Returns the errors of the files that failed (empty when strict).
    """
    errors = []
    for path in paths:
        try:
            load_plugin(path)
        except BrokenPluginError as exc:
            if strict:
                raise
            errors.append(exc)
    return errors


def resolve(spec):
    """(registered name, plug-in files loaded) for a reducer given as a built-in or
    entry-point name, ``path.py`` (a file defining one reducer) or ``path.py:name``.

    Unknown names raise UnknownReducerError (with close matches), a missing file
    FileNotFoundError, a file that fails to import BrokenPluginError, and a file without
    the named reducer (or with several and none named) ValueError.
    """
    path, _, name = spec.partition(":") if ".py:" in spec else (spec, "", "")
    if path.endswith(".py") or Path(path).is_file():
        names = load_plugin(path)
        if name:
            if name not in names:
                raise ValueError(f"{path} defines {names}, not {name!r}.")
        elif len(names) != 1:
            raise ValueError(
                f"{path} defines {len(names)} reducers {names}; name one as {path}:NAME."
            )
        return name or names[0], [path]
    get_reducer_class(spec)  # unknown names raise with close matches
    return spec, []


def is_builtin(cls):
    """True for a reducer class defined in the attnbench.algorithms package."""
    return cls.__module__.startswith(f"{_PACKAGE}.")


def list_reducers(calibration=False, *, builtin=False):
    """Sorted names of the registered reducers: built-ins, entry points and plug-in files,
    or the built-ins only with ``builtin=True``; the calibration reducers (planted faults,
    family ``calibration``) only when asked."""
    _load_entry_points()
    return sorted(
        name
        for name, cls in _REDUCERS.items()
        if (calibration or cls.family != "calibration") and (not builtin or is_builtin(cls))
    )


def broken_plugins():
    """Plug-ins that failed to import: {entry-point name or file: traceback text}."""
    _load_entry_points()
    return dict(_BROKEN)


def get_reducer_class(name):
    """The class registered under ``name``; unknown names list close matches."""
    _load_entry_points()
    if name in _REDUCERS:
        return _REDUCERS[name]
    if name in _BROKEN:
        raise BrokenPluginError(f"reducer {name!r} failed to import:\n{_BROKEN[name]}")
    close = difflib.get_close_matches(name, list(_REDUCERS), n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise UnknownReducerError(
        f"unknown reducer {name!r}.{hint} Registered: {', '.join(sorted(_REDUCERS))}."
    )


def get_reducer(name, **params):
    """An instance of the reducer ``name`` with the given constructor parameters."""
    cls = get_reducer_class(name)
    accepted = set(cls._get_param_names())
    unknown = set(params) - accepted
    if unknown:
        raise TypeError(
            f"reducer {name!r} has no parameter(s) {sorted(unknown)}; it accepts "
            f"{sorted(accepted) or 'none'}."
        )
    return cls(**params)
