"""The dataset spec: (family, n, d, density, r, seed, family parameters), validated once.

Every bad field, a value of the wrong type included, raises a ValueError whose message
starts with the field's name, so a sweep can report which field of which cell is wrong.
A spec is frozen, hashable and canonical: family parameters are stored as sorted
(name, value) pairs with every default filled in, and numbers as Python int/float, so
two specs that generate the same data compare equal and share one content address
(:meth:`DatasetSpec.key`).
"""

from __future__ import annotations

import hashlib
import json
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from attnbench.datasets.registry import get_family

# Bump when the meaning of a spec field changes for every family at once.
SPEC_VERSION = 1
MAX_SEED = 2**63 - 1  # seeds fit a signed 64-bit integer (SQLite, Parquet)


def _integer(value, name, low, high=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")  # noqa: TRY004
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an int {bound}, got {value!r}.")
    return int(value)


def _real(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")  # noqa: TRY004
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return float(value)


def _params_items(params):
    if params is None:
        return {}
    if isinstance(params, Mapping):
        items = list(params.items())
    else:
        try:
            items = [tuple(pair) for pair in params]
        except TypeError:
            raise ValueError(
                f"params must be a dict or (name, value) pairs, got {params!r}."
            ) from None
        if any(len(pair) != 2 for pair in items):
            raise ValueError(f"params must be a dict or (name, value) pairs, got {params!r}.")
    names = [name for name, _ in items]
    if any(not isinstance(name, str) for name in names) or len(set(names)) != len(names):
        raise ValueError(f"params names must be distinct strings, got {names!r}.")
    return dict(items)


@dataclass(frozen=True)
class DatasetSpec:
    """What to generate: ``family``, n tokens, d features, ``density`` (fraction of
    nonzeros, sparse families only), ``r`` = ||XX^T||_inf of the scaled X, ``seed``, and
    the family's ``params`` (a dict or (name, value) pairs; stored sorted, defaults
    filled).  Every field is validated here; a bad one raises ValueError naming it.
    """

    family: str
    n: int
    d: int
    density: float = 1.0
    r: float = 0.05
    seed: int = 0
    params: tuple = ()

    def __post_init__(self):
        family = get_family(self.family)
        canonical = {
            "n": _integer(self.n, "n", 1),
            "d": _integer(self.d, "d", 1),
            "density": _real(self.density, "density"),
            "r": _real(self.r, "r"),
            "seed": _integer(self.seed, "seed", 0, MAX_SEED),
        }
        if not 0.0 < canonical["density"] <= 1.0:
            raise ValueError(f"density must lie in (0, 1], got {self.density!r}.")
        if not canonical["r"] > 0.0:
            raise ValueError(f"r must be > 0, got {self.r!r}.")
        given = _params_items(self.params)
        unknown = sorted(set(given) - set(family.params))
        if unknown:
            takes = ", ".join(sorted(family.params)) or "no parameters"
            raise ValueError(
                f"params: family {self.family!r} has no parameter {unknown[0]!r}; it takes "
                f"{takes}."
            )
        canonical["params"] = tuple(sorted(
            (name, param.coerce(given.get(name, param.default), f"params.{name}"))
            for name, param in family.params.items()
        ))
        for name, value in canonical.items():
            object.__setattr__(self, name, value)
        family.check(self)

    @classmethod
    def create(cls, family, n, d, *, density=1.0, r=0.05, seed=0, params=None, **family_params):
        """Build a spec with family parameters as a dict and/or keyword arguments."""
        merged = dict(_params_items(params))
        clash = sorted(set(merged) & set(family_params))
        if clash:
            raise ValueError(f"params: {clash[0]!r} given both in params and as a keyword.")
        merged.update(family_params)
        return cls(family, n, d, density=density, r=r, seed=seed, params=merged)

    @property
    def param_dict(self):
        """The family parameters as a dict."""
        return dict(self.params)

    def to_dict(self):
        """A JSON-safe dict; :meth:`from_dict` inverts it exactly."""
        return {
            "family": self.family, "n": self.n, "d": self.d, "density": self.density,
            "r": self.r, "seed": self.seed, "params": self.param_dict,
        }

    @classmethod
    def from_dict(cls, data):
        """The spec of a :meth:`to_dict` result (or of its JSON round trip)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a spec dict must be a mapping, got {type(data).__name__}.")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{unknown[0]}: not a DatasetSpec field; fields are {sorted(names)}.")
        missing = [name for name in ("family", "n", "d") if name not in data]
        if missing:
            raise ValueError(f"{missing[0]}: required DatasetSpec field is missing.")
        return cls(**data)

    def canonical_json(self, *, exclude=()):
        """The spec as canonical JSON text (sorted keys, no spaces), with the fields and
        family parameters named in ``exclude`` left out; what keys and seeds hash."""
        content = {k: v for k, v in self.to_dict().items() if k not in exclude}
        content["params"] = {k: v for k, v in self.params if k not in exclude}
        content["version"] = [SPEC_VERSION, get_family(self.family).version]
        return json.dumps(content, sort_keys=True, separators=(",", ":"))

    def key(self):
        """SHA-256 hex digest of the canonical JSON: a content address that is stable
        across processes and machines (unlike ``hash``)."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def __str__(self):
        shown = [f"n={self.n}", f"d={self.d}"]
        if self.density != 1.0:
            shown.append(f"density={self.density}")
        shown += [f"r={self.r}", f"seed={self.seed}"]
        shown += [f"{name}={value}" for name, value in self.params]
        return f"{self.family}({', '.join(shown)})"
