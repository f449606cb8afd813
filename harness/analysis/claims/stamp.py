"""The stamp of the claim rules: their version and a hash of their parameters and of the
source of every module that decides a verdict.

SOURCES lists those modules: the claims package (but :mod:`.simulation`, which decides
no verdict), attnbench.paper (the regime, the constants, which cells are time cells),
the fits (find_sweeps, fit_model, model_stats), the cost models and the intervals.  The
source is read as text from the installed files (nothing is imported for it): a change
of a rule function, not only of a constant, changes the stamp.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

SOURCES = (
    "attnbench.analysis.claims",
    "attnbench.analysis.claims.core",
    "attnbench.analysis.claims.error",
    "attnbench.analysis.claims.feasible",
    "attnbench.analysis.claims.judge",
    "attnbench.analysis.claims.size",
    "attnbench.analysis.claims.stamp",
    "attnbench.analysis.claims.time",
    "attnbench.analysis.fits",
    "attnbench.cost_models",
    "attnbench.intervals",
    "attnbench.paper",
)


def _path(module):
    """The file of ``module`` without importing it (a package's __init__.py)."""
    here = Path(__file__).resolve().parent
    if module.startswith("attnbench.analysis.claims"):
        tail = module.removeprefix("attnbench.analysis.claims").lstrip(".")
        return here / f"{tail or '__init__'}.py"
    return Path(importlib.util.find_spec(module).origin)


def source_texts():
    """{module: its source text} of every module in SOURCES."""
    return {module: _path(module).read_text(encoding="utf-8") for module in SOURCES}


def rules_stamp(version, parameters, sources):
    """'version:hash', the hash (12 hex digits) over the parameters (JSON, sorted keys)
    and the source texts (``{module: text}``, in module order)."""
    digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode())
    for module in sorted(sources):
        digest.update(f"\0{module}\0".encode())
        digest.update(sources[module].encode())
    return f"{version}:{digest.hexdigest()[:12]}"
