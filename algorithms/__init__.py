"""Reducer plug-ins and their registry.

Every module in this package except the private ones (``_*``), ``base`` and
``registry`` holds one built-in reducer and is imported here, so adding a reducer is
adding one file.
"""

import importlib
import pkgutil

from attnbench.algorithms.base import (
    AutoSizeWarning,
    ProjectionReducer,
    Reducer,
    SamplingReducer,
    SizedReducer,
)
from attnbench.algorithms.registry import (
    BrokenPluginError,
    UnknownReducerError,
    broken_plugins,
    get_reducer,
    get_reducer_class,
    is_builtin,
    list_reducers,
    load_plugin,
    load_plugins,
    register,
    resolve,
)

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name not in ("base", "registry"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "AutoSizeWarning",
    "BrokenPluginError",
    "ProjectionReducer",
    "Reducer",
    "SamplingReducer",
    "SizedReducer",
    "UnknownReducerError",
    "broken_plugins",
    "get_reducer",
    "get_reducer_class",
    "is_builtin",
    "list_reducers",
    "load_plugin",
    "load_plugins",
    "register",
    "resolve",
]
