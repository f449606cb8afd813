"""Grid expansion: a sweep over n, d, density, r, family, seed and family parameters.

The grid is the cartesian product of the axes, except that axes named together in a
``zipped`` group move in lockstep (e.g. d and density, so that nnz stays fixed).  An
axis that is a family parameter (any name besides the spec fields, e.g. ``k``) applies
to the families that take it; for the others it collapses, and repeated cells are
dropped.

Seeds: unless ``seed`` is itself an axis, replicate j of a cell gets the seed
SeedSequence(root_seed, spawn_key=(SHA-256 words of the cell's content, j)), so a
cell's data depends on its content and the root seed only, not on its position or on
which other cells the grid holds.  Axes named in ``shared_seed_axes`` are left out of
that content: cells that differ only along them share seeds (common random numbers,
e.g. the same X scaled to every r of a sweep).
"""

from __future__ import annotations

import hashlib
import itertools
import numbers
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from attnbench.datasets.registry import get_family
from attnbench.datasets.spec import MAX_SEED, DatasetSpec

SPEC_AXES = ("family", "n", "d", "density", "r", "seed")


def derive_seed(root_seed, content, replicate):
    """A seed in [0, 2^63) from the root seed, a cell's canonical content text and the
    replicate index, through numpy's SeedSequence."""
    words = np.frombuffer(hashlib.sha256(content.encode()).digest(), dtype=np.uint32)
    sequence = np.random.SeedSequence(root_seed, spawn_key=(*map(int, words), replicate))
    high, low = (int(w) for w in sequence.generate_state(2, dtype=np.uint32))
    return ((high << 32) | low) & MAX_SEED


def _axis_values(name, values):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        return [values]
    values = list(values)
    if not values:
        raise ValueError(f"axes[{name!r}] is empty; give at least one value.")
    return values


def _count(value, name, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    return int(value)


def _dimensions(axes, zipped):
    """[(names, rows)]: one dimension per lone axis or zipped group, in axis order."""
    group_of = {}
    for group in zipped:
        group = tuple(group)
        for name in group:
            if name not in axes:
                raise ValueError(f"zipped: {name!r} is not an axis; axes are {sorted(axes)}.")
            if name in group_of:
                raise ValueError(f"zipped: {name!r} appears in more than one group.")
            group_of[name] = group
        lengths = {name: len(axes[name]) for name in group}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"zipped: axes {group} must have equal lengths, got {lengths}.")
    dimensions, seen = [], set()
    for name in axes:
        group = group_of.get(name, (name,))
        if group[0] not in seen:
            seen.add(group[0])
            dimensions.append((group, list(zip(*(axes[g] for g in group)))))
    return dimensions


def expand_grid(axes, *, zipped=(), root_seed=0, n_seeds=1, shared_seed_axes=()):
    """The list of DatasetSpecs of a sweep, in product order (first axis slowest), with
    ``n_seeds`` replicates of each cell innermost.

    ``axes`` maps a spec field (family, n, d, density, r, seed) or a family parameter to
    its values (a scalar is one value); family, n and d are required.  ``zipped`` lists
    groups of axes that move together.  Every cell is validated as a DatasetSpec.
    """
    if not isinstance(axes, Mapping):
        raise TypeError(f"axes must be a dict of axis name -> values, got {axes!r}.")
    axes = {str(name): _axis_values(name, values) for name, values in axes.items()}
    for required in ("family", "n", "d"):
        if required not in axes:
            raise ValueError(f"axes: the {required!r} axis is required.")
    root_seed = _count(root_seed, "root_seed", 0)
    n_seeds = _count(n_seeds, "n_seeds", 1)
    if "seed" in axes and n_seeds != 1:
        raise ValueError("n_seeds: seeds come from the 'seed' axis; leave n_seeds at 1.")
    unknown = sorted(set(shared_seed_axes) - set(axes))
    if unknown:
        raise ValueError(f"shared_seed_axes: {unknown[0]!r} is not an axis.")

    families = {name: get_family(name) for name in axes["family"]}
    param_axes = [name for name in axes if name not in SPEC_AXES]
    for name in param_axes:
        if not any(name in family.params for family in families.values()):
            raise ValueError(
                f"axes: {name!r} is neither a spec field {SPEC_AXES} nor a parameter of "
                f"the families {sorted(families)}."
            )

    dimensions = _dimensions(axes, zipped)
    cells = {}  # spec without its seed -> None, in first-seen order (dict keeps order)
    for combination in itertools.product(*(rows for _, rows in dimensions)):
        cell = {name: value for (names, _), row in zip(dimensions, combination)
                for name, value in zip(names, row)}
        family = families[cell["family"]]
        params = {name: cell.pop(name) for name in param_axes}
        params = {name: value for name, value in params.items() if name in family.params}
        cells.setdefault(DatasetSpec(**cell, params=params), None)

    if "seed" in axes:
        return list(cells)
    excluded = ("seed", *shared_seed_axes)
    specs = []
    for spec in cells:
        content = spec.canonical_json(exclude=excluded)
        specs += [replace(spec, seed=derive_seed(root_seed, content, j)) for j in range(n_seeds)]
    return specs
