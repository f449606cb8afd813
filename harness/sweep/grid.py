"""Config -> grid of cells.  A cell is one (dataset, reducer, parameters, seed) run.

The cell key hashes everything that determines the cell's result (dataset spec,
reducer, parameters, reducer seed, and the harness settings that change what is
measured), so "already done?" is a lookup in the store (ann-benchmarks' idea).  Seeds
come from the root seed through numpy's SeedSequence, keyed by the cell's content, so
a cell's data and randomness do not depend on the order cells run in.

Draws.  With ``draws = k`` (a per-experiment setting), each randomized reducer
(``deterministic = False``) runs k times on every dataset, draw j with its own
random_state from (root seed, dataset, reducer, parameters, j): k independent draws
over which "with probability 1 - delta" can be counted.  Draw 0 has the seed a cell
has without the setting, so adding draws keeps the stored cells.  A deterministic
reducer gives the same Y for every seed: it runs once.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import zlib
from dataclasses import dataclass, replace

import numpy as np

from attnbench.algorithms import get_reducer_class
from attnbench.datasets import DatasetSpec, expand_grid
from attnbench.sweep.config import KEYED_SETTINGS, SETTINGS, SweepConfig, reducer_grid


@dataclass(frozen=True)
class Cell:
    experiment: str
    dataset: DatasetSpec
    reducer: str
    params: tuple  # sorted (name, value) pairs
    seed: int  # the reducer's random_state
    settings: tuple  # sorted (name, value) pairs of KEYED_SETTINGS
    timeout: float  # seconds; not part of the key (it does not change a finished result)
    protocol: tuple = ()  # sorted (name, value) pairs of the other UNKEYED settings
    draw: int = 0  # which of the experiment's draws (0 without the ``draws`` setting)
    # every experiment whose grid holds this cell, ``experiment`` first: a cell that two
    # experiments share (one dataset, reducer and setting) runs once and counts for both
    experiments: tuple = ()

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


# Cell-scope settings other than the timeout (the timing protocol's min_repeats and
# time_budget): the runner reads them, the key leaves them out.
UNKEYED = tuple(k for k, s in SETTINGS.items() if s.scope == "cell" and k != "timeout")


def reducer_seed(root_seed, dataset_key, reducer, params, draw=0):
    """A 32-bit seed for the reducer, fixed by the root seed, the cell's content and the
    draw (draw 0: the seed of a cell without draws)."""
    content = zlib.crc32(json.dumps([reducer, list(map(list, params))]).encode())
    key = (int(dataset_key[:15], 16), content) + ((draw,) if draw else ())
    sequence = np.random.SeedSequence(root_seed, spawn_key=key)
    return int(sequence.generate_state(1)[0])


def make_cells(config: SweepConfig, only=None):
    """Every cell of the config, grouped by dataset (so A(X) is computed once per dataset)."""
    cells = {}
    root_seed = config.settings["root_seed"]
    for exp in config.experiments:
        merged = {**config.settings, **dict(exp.settings)}
        settings = tuple(sorted((k, merged[k]) for k in KEYED_SETTINGS))
        protocol = tuple(sorted((k, merged[k]) for k in UNKEYED))
        specs = expand_grid(
            exp.datasets,
            zipped=list(exp.zipped),
            shared_seed_axes=exp.shared_seed,
            root_seed=root_seed,
            n_seeds=merged["replicates"],
        )
        reducers = [(name, grid) for name, grid in exp.reducers if not only or name in only]
        for spec in specs:
            dataset_key = spec.key()
            for name, grid in reducers:
                draws = 1 if get_reducer_class(name).deterministic else merged["draws"]
                for params, draw in itertools.product(reducer_grid(grid), range(draws)):
                    params = tuple(sorted(params.items()))
                    seed = reducer_seed(root_seed, dataset_key, name, params, draw)
                    cell = Cell(
                        exp.name, spec, name, params, seed, settings, merged["timeout"],
                        protocol, draw, (exp.name,),
                    )  # fmt: skip
                    first = cells.setdefault(cell.key, cell)
                    if exp.name not in first.experiments:
                        cells[cell.key] = replace(first, experiments=(*first.experiments, exp.name))
    return sorted(cells.values(), key=lambda c: (c.dataset.key(), c.reducer, c.params, c.draw))
