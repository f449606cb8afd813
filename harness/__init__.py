"""attnbench: a benchmarking and reproducibility harness for attention sparsification.

Given X in R^{n x d} (n tokens, d features, d >> n), a reducer returns Y in R^{n x m},
m << d, such that A(Y) = D(Y)^{-1} exp(YY^T) stays close to A(X).  The harness measures
how close (``attnbench.metrics``), how fast, and how runtime scales against the cost
models of Deng, Mahadevan and Song (arXiv 2304.04397).

The public API, importable from here (loaded on first use, so that importing a
subpackage such as ``attnbench.algorithms`` stays light):

- reducers: ``get_reducer``, ``list_reducers``, ``register``
- metrics: ``evaluate``
- sweeps: ``run`` (a preset or config into a store), ``load_cells``, ``rerun``
- store: ``Store``, ``read_run``
- reports: ``write_report`` (a stored run's report: ``attnbench.report.report``),
  ``run_comparison`` (a candidate against baselines: ``attnbench.compare.compare``)
- the reducer contract: ``check_reducer``, ``parametrize_with_checks``

The stages live in subpackages, bottom first: ``algorithms`` and ``datasets``, ``store``,
``sweep``, ``analysis``, ``report``, then ``api``, ``compare`` and ``cli``.
"""

import importlib

__version__ = "0.1.0"

# public name -> (module, name there); report and compare are also subpackages' names
_PUBLIC = {
    "get_reducer": ("attnbench.algorithms", "get_reducer"),
    "list_reducers": ("attnbench.algorithms", "list_reducers"),
    "register": ("attnbench.algorithms", "register"),
    "evaluate": ("attnbench.metrics", "evaluate"),
    "run": ("attnbench.api", "run"),
    "load_cells": ("attnbench.api", "load_cells"),
    "rerun": ("attnbench.api", "rerun"),
    "Store": ("attnbench.store", "Store"),
    "read_run": ("attnbench.store", "read_run"),
    "write_report": ("attnbench.report", "report"),
    "run_comparison": ("attnbench.compare", "compare"),
    "check_reducer": ("attnbench.contract", "check_reducer"),
    "parametrize_with_checks": ("attnbench.contract", "parametrize_with_checks"),
}
__all__ = list(_PUBLIC)


def __getattr__(name):
    """Load a public name from its stage on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'attnbench' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__})
