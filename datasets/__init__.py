"""Dataset generators and their cache (``attnbench.datasets``).

A :class:`DatasetSpec` names what to generate (family, n, d, density, r, seed and the
family's parameters); :func:`make_dataset` generates it, scaled so that
||XX^T||_inf = r exactly, with its statistics; :func:`make_qkv` gives the real
(Q, K, V) of a family of real attention; :func:`load_dataset` goes through a
content-addressed on-disk cache; :func:`attention_inputs` assembles a cell's X, or its
Q, K and V for asymmetric attention; :func:`expand_grid` turns sweep axes into specs.
Every module here that is not infrastructure holds one family and is imported below,
so adding a family is adding one file.
"""

import importlib
import pkgutil

from attnbench.datasets.cache import (
    CacheWarning,
    cache_path,
    default_cache_dir,
    load_dataset,
)
from attnbench.datasets.generate import (
    Dataset,
    estimate_bytes,
    make_dataset,
    make_qkv,
    scale_pair_to_r,
    scale_to_r,
)
from attnbench.datasets.grid import derive_seed, expand_grid
from attnbench.datasets.qkv import attention_inputs, partner_seed, qk_pair
from attnbench.datasets.registry import Family, Param, get_family, list_families, register_family
from attnbench.datasets.spec import DatasetSpec
from attnbench.datasets.stats import compute_stats

_INFRASTRUCTURE = {"cache", "generate", "grid", "qkv", "registry", "spec", "stats"}

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_") and _module.name not in _INFRASTRUCTURE:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "CacheWarning",
    "Dataset",
    "DatasetSpec",
    "Family",
    "Param",
    "attention_inputs",
    "cache_path",
    "compute_stats",
    "default_cache_dir",
    "derive_seed",
    "estimate_bytes",
    "expand_grid",
    "get_family",
    "list_families",
    "load_dataset",
    "make_dataset",
    "make_qkv",
    "partner_seed",
    "qk_pair",
    "register_family",
    "scale_pair_to_r",
    "scale_to_r",
]
