"""What reports, fits, claims and ``rerun`` know about a run besides its cells.

Collected from the config and the reducer registry when the run starts, written to the
store with it (:mod:`attnbench.store`), and read back from there only: a report of a
stored run does not change with the code or plug-ins installed later, and still renders
when a plug-in used in the run is gone.

``plan``           the sweep as run: name, settings and experiments (dataset axes,
                   ``zipped`` and ``shared_seed`` axes, reducer grids, per-experiment
                   settings), the fields of :class:`attnbench.sweep.config.Experiment`
``reducers``       per reducer of the plan: family, cost model, ``deterministic``,
                   ``input_sparsity_time``, constructor defaults (sizes, eps, delta, ...)
                   and the module that defined it
``plugins``        the plug-in files loaded for the run (``rerun`` loads them again)
``rules_version``  the claim rules' stamp: version and hash of parameters and source
                   (:data:`attnbench.analysis.claims.RULES_STAMP`)
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ReducerFacts:
    family: str
    cost_model: str
    deterministic: bool
    input_sparsity_time: bool
    defaults: dict  # constructor parameter -> default value
    module: str

    @classmethod
    def of(cls, reducer_class):
        """The facts a reducer class declares (attnbench.algorithms.base); its defaults are
        read from the constructor's signature (nothing is constructed) and made JSON-safe."""
        signature = inspect.signature(reducer_class.__init__).parameters
        defaults = {
            name: signature[name].default
            for name in reducer_class._get_param_names()
            if signature[name].default is not inspect.Parameter.empty
        }
        return cls(
            family=reducer_class.family,
            cost_model=reducer_class.cost_model,
            deterministic=bool(reducer_class.deterministic),
            input_sparsity_time=bool(reducer_class.input_sparsity_time),
            defaults=json.loads(json.dumps(defaults, default=repr)),
            module=reducer_class.__module__,
        )


@dataclass(frozen=True)
class RunFacts:
    plan: dict
    reducers: dict = field(default_factory=dict)  # name -> ReducerFacts
    plugins: tuple = ()
    rules_version: str = ""

    @classmethod
    def collect(cls, config, reducer_class, plugins=(), rules_version=""):
        """The facts of a run of ``config`` (a SweepConfig); ``reducer_class(name)`` looks a
        reducer up in the registry, once, now."""
        names = sorted({name for exp in config.experiments for name, _ in exp.reducers})
        plan = {
            "name": config.name,
            "settings": dict(config.settings),
            "experiments": [dataclasses.asdict(exp) for exp in config.experiments],
        }
        return cls(
            plan=json.loads(json.dumps(plan)),  # lists for tuples: as stored, as read back
            reducers={name: ReducerFacts.of(reducer_class(name)) for name in names},
            plugins=tuple(str(Path(p).resolve()) for p in plugins),
            rules_version=str(rules_version),
        )

    def plan_json(self):
        """The plan as stored: experiments and axes in their configured order."""
        return json.dumps(self.plan)

    def experiment_fields(self):
        """One dict per experiment: the fields of attnbench.sweep.config.Experiment."""
        return [
            {
                "name": exp["name"],
                "datasets": exp["datasets"],
                "zipped": tuple(tuple(group) for group in exp["zipped"]),
                "shared_seed": tuple(exp["shared_seed"]),
                "reducers": tuple((name, grid) for name, grid in exp["reducers"]),
                "settings": tuple((key, value) for key, value in exp["settings"]),
            }
            for exp in self.plan["experiments"]
        ]

    def zipped_axes(self):
        """{experiment name: [tuples of axis names that move together]}."""
        return {exp["name"]: exp["zipped"] for exp in self.experiment_fields()}

    def cost_model(self, reducer):
        """The reducer's declared cost model; None for a reducer the run does not know."""
        facts = self.reducers.get(reducer)
        return facts.cost_model or None if facts else None

    def default(self, reducer, param):
        """The reducer's default value of ``param``; None when it has no such parameter."""
        facts = self.reducers.get(reducer)
        return facts.defaults.get(param) if facts else None
