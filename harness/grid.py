"""Config -> grid of cells.  A cell is one (dataset, reducer, parameters, seed) run.

The cell key hashes everything that determines the cell's result (dataset spec,
reducer, parameters, reducer seed, and the harness settings that change what is
measured), so "already done?" is a lookup in the store (ann-benchmarks' idea).  Seeds
come from the root seed through numpy's SeedSequence, keyed by the cell's content, so
a cell's data and randomness do not depend on the order cells run in.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass

import numpy as np

from attnbench.config import KEYED_SETTINGS, SweepConfig, reducer_grid
from attnbench.datasets import DatasetSpec, expand_grid


@dataclass(frozen=True)
class Cell:
    experiment: str
    dataset: DatasetSpec
    reducer: str
    params: tuple  # sorted (name, value) pairs
    seed: int  # the reducer's random_state
    settings: tuple  # sorted (name, value) pairs of KEYED_SETTINGS
    timeout: float  # seconds; not part of the key (it does not change a finished result)

    @property
    def key(self):
        payload = json.dumps(
            {
                "dataset": self.dataset.to_dict(),
                "reducer": self.reducer,
                "params": list(map(list, self.params)),
                "seed": self.seed,
                "settings": list(map(list, self.settings)),
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    @property
    def label(self):
        params = ",".join(f"{k}={v}" for k, v in self.params)
        spec = self.dataset
        return f"{self.reducer}({params}) on {spec.family} n={spec.n} d={spec.d} r={spec.r:g}"


def reducer_seed(root_seed, dataset_key, reducer, params):
    """A 32-bit seed for the reducer, fixed by the root seed and the cell's content."""
    content = zlib.crc32(json.dumps([reducer, list(map(list, params))]).encode())
    sequence = np.random.SeedSequence(root_seed, spawn_key=(int(dataset_key[:15], 16), content))
    return int(sequence.generate_state(1)[0])


def make_cells(config: SweepConfig, only=None):
    """Every cell of the config, grouped by dataset (so A(X) is computed once per dataset)."""
    cells = {}
    for exp in config.experiments:
        merged = {**config.settings, **dict(exp.settings)}
        settings = tuple(sorted((k, merged[k]) for k in KEYED_SETTINGS))
        timeout = merged["timeout"]
        specs = expand_grid(
            exp.datasets,
            zipped=list(exp.zipped),
            shared_seed_axes=exp.shared_seed,
            root_seed=config.settings["root_seed"],
            n_seeds=config.settings["replicates"],
        )
        for spec in specs:
            dataset_key = spec.key()
            for name, grid in exp.reducers:
                if only and name not in only:
                    continue
                for params in reducer_grid(grid):
                    params = tuple(sorted(params.items()))
                    seed = reducer_seed(config.settings["root_seed"], dataset_key, name, params)
                    cell = Cell(exp.name, spec, name, params, seed, settings, timeout)
                    cells.setdefault(cell.key, cell)
    return sorted(cells.values(), key=lambda c: (c.dataset.key(), c.reducer, c.params))
