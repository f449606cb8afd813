"""Dataset families: the contract every generator follows, and their registry.

A family turns a validated :class:`~attnbench.datasets.spec.DatasetSpec` and a seeded
``numpy.random.Generator`` into an unscaled X in R^{n x d} (dense float64, or CSR for
sparse families); :func:`attnbench.datasets.make_dataset` then scales it to the exact
r and computes its statistics.  A family declares its parameters (:class:`Param`, with
defaults, so that a spec is canonical), whether it takes ``density``, and an estimate
of its peak memory for the size guard.  A new family is one file in ``datasets/``
with one ``@register_family`` class.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

_FAMILIES: dict[str, Family] = {}

FLOAT64_BYTES = 8


@dataclass(frozen=True)
class Param:
    """One family parameter: its default, meaning, accepted types and constraint.

    ``kinds`` lists the accepted Python types (int, float, str); ``check`` returns True
    for an allowed value and ``requirement`` says in words what it allows.
    """

    default: Any
    doc: str
    kinds: tuple = (float,)
    check: Callable[[Any], bool] | None = None
    requirement: str = ""

    def coerce(self, value, name):
        """The canonical value (int, float or str), or a ValueError naming ``name``."""
        canonical = _canonical(value, self.kinds)
        if canonical is None or (self.check is not None and not self.check(canonical)):
            wanted = " or ".join([k.__name__ for k in self.kinds])
            if self.requirement:
                wanted += f" {self.requirement}"
            raise ValueError(f"{name} must be {wanted}, got {value!r}.")
        return canonical


def _canonical(value, kinds):
    if isinstance(value, (bool, np.bool_)):
        return None
    if int in kinds and isinstance(value, numbers.Integral):
        return int(value)
    if float in kinds and isinstance(value, numbers.Real) and np.isfinite(value):
        return float(value)
    if str in kinds and isinstance(value, str):
        return value
    return None


class Family:
    """Base class of a dataset family.

    Subclasses set ``summary`` (one line for listings), ``params`` and, where they
    differ from the defaults, ``takes_density``, ``sparse`` and ``working_copies``
    (how many n x d float64 arrays are alive at once while generating).  They implement
    ``generate(spec, rng)`` and may extend ``check(spec)`` with constraints between
    fields.  ``version`` enters every spec's content address: bump it whenever the
    same spec would generate different data, so that stale cache entries are not read.
    """

    name: str = ""
    summary: str = ""
    version: int = 1
    params: ClassVar[dict[str, Param]] = {}
    takes_density: bool = False
    sparse: bool = False
    working_copies: int = 1

    def check(self, spec):
        """Raise ValueError (naming the field) for a combination of fields this family rejects."""
        if not self.takes_density and spec.density != 1.0:
            raise ValueError(
                f"density: family {self.name!r} is dense and takes only density=1.0, got "
                f"{spec.density!r}; use family 'sparse' for sparse data."
            )

    def generate(self, spec, rng):
        """The unscaled X (n x d) of ``spec``, drawn from ``rng``."""
        raise NotImplementedError

    def estimate_bytes(self, spec):
        """Peak bytes of generating X (before statistics)."""
        return self.working_copies * FLOAT64_BYTES * spec.n * spec.d

    def max_features(self, spec):
        """The largest d this family can produce for ``spec`` (None: unbounded)."""
        return


def register_family(name):
    """Class decorator: register a Family subclass (an instance of it) under ``name``."""

    def decorate(cls):
        if not (isinstance(cls, type) and issubclass(cls, Family)):
            raise TypeError(f"@register_family({name!r}) needs a Family subclass, got {cls!r}.")
        if not cls.summary:
            raise ValueError(f"dataset family {name!r} needs a one-line summary.")
        previous = _FAMILIES.get(name)
        if previous is not None and type(previous).__qualname__ != cls.__qualname__:
            raise ValueError(f"dataset family name {name!r} is already taken by {previous!r}.")
        cls.name = name
        _FAMILIES[name] = cls()
        return cls

    return decorate


def get_family(name):
    """The registered family ``name``; a ValueError naming the field ``family`` otherwise."""
    if not isinstance(name, str):
        raise ValueError(f"family must be a str, got {name!r}.")  # noqa: TRY004 (a spec field)
    try:
        return _FAMILIES[name]
    except KeyError:
        raise ValueError(
            f"family: unknown dataset family {name!r}; known: {', '.join(sorted(_FAMILIES))}."
        ) from None


def list_families():
    """{name: one-line description} of every registered family, sorted by name."""
    return {name: _FAMILIES[name].summary for name in sorted(_FAMILIES)}
