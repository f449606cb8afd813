"""A content-addressed on-disk cache of generated datasets.

One file per spec, ``<cache_dir>/<family>-<spec.key()>.npz``, holding X (dense, or the
CSR arrays), the statistics and the spec as JSON, and a SHA-256 checksum over all of
them.  Files are written to a temporary name in the same folder and renamed, so a
reader never sees a half-written file and concurrent writers of one spec leave one
whole file.  They are read with ``allow_pickle=False``; a file that cannot be read, or
whose checksum or spec does not match, is reported once (a :class:`CacheWarning`) and
regenerated in place.

The folder is the argument ``cache_dir``, else $ATTNBENCH_CACHE_DIR, else
``<user cache dir>/attnbench/datasets`` (platformdirs).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import platformdirs
import scipy.sparse as sp

from attnbench.datasets.generate import Dataset, check_size, make_dataset
from attnbench.datasets.spec import DatasetSpec

CACHE_DIR_ENV = "ATTNBENCH_CACHE_DIR"


class CacheWarning(UserWarning):
    """A cache file was unreadable or corrupt (and was regenerated), or not writable."""


class CorruptCacheFile(Exception):
    """Raised inside the cache when a file fails its checks."""


def default_cache_dir():
    """$ATTNBENCH_CACHE_DIR, else the user's cache directory for attnbench datasets."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("attnbench")) / "datasets"


def cache_path(spec, cache_dir=None):
    """Where ``spec`` is (or would be) cached."""
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return directory / f"{spec.family}-{spec.key()}.npz"


def _arrays(dataset):
    X = dataset.X
    if sp.issparse(X):
        arrays = {"data": X.data, "indices": X.indices, "indptr": X.indptr,
                  "shape": np.array(X.shape, dtype=np.int64)}
    else:
        arrays = {"X": np.ascontiguousarray(X)}
    arrays["spec"] = np.array(json.dumps(dataset.spec.to_dict(), sort_keys=True))
    arrays["stats"] = np.array(json.dumps(dataset.stats, sort_keys=True))
    return arrays


def _checksum(arrays):
    """SHA-256 over every array's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def write_dataset(path, dataset):
    """Write ``dataset`` to ``path`` atomically (temporary file in the folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = _arrays(dataset)
    arrays["sha256"] = np.array(_checksum(arrays))
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_dataset(path, spec):
    """The dataset stored at ``path`` for ``spec``; CorruptCacheFile if it fails a check."""
    try:
        # Our own handle: np.load leaks the one it opens when the zip is damaged.
        with open(path, "rb") as stream, np.load(stream, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except Exception as error:  # zipfile and numpy fail in many ways on damaged bytes
        raise CorruptCacheFile(f"unreadable ({type(error).__name__}: {error})") from error
    expected = arrays.pop("sha256", None)
    if expected is None or str(expected) != _checksum(arrays):
        raise CorruptCacheFile("checksum mismatch")
    try:
        stored_spec = DatasetSpec.from_dict(json.loads(str(arrays["spec"])))
        stats = json.loads(str(arrays["stats"]))
        if "X" in arrays:
            X = arrays["X"]
        else:
            X = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]),
                              shape=tuple(int(s) for s in arrays["shape"]))
    except (KeyError, ValueError, TypeError) as error:
        raise CorruptCacheFile(f"malformed ({type(error).__name__}: {error})") from error
    if stored_spec != spec:
        raise CorruptCacheFile(f"holds {stored_spec}, not {spec}")
    return Dataset(spec, X, stats)


def load_dataset(spec, cache_dir=None, max_bytes=None):
    """The dataset of ``spec`` from the cache, generated and stored on a miss.

    Bitwise the same as :func:`~attnbench.datasets.make_dataset` (npz stores float64
    exactly).  The size guard applies before reading or generating.  A corrupt file
    warns once (CacheWarning) and is replaced; an unwritable folder warns and returns
    the generated dataset uncached.
    """
    if not isinstance(spec, DatasetSpec):
        spec = DatasetSpec.from_dict(spec)
    check_size(spec, max_bytes)
    path = cache_path(spec, cache_dir)
    if path.exists():
        try:
            return read_dataset(path, spec)
        except CorruptCacheFile as problem:
            warnings.warn(f"dataset cache file {path} is corrupt ({problem}); regenerating it.",
                          CacheWarning, stacklevel=2)
    dataset = make_dataset(spec, max_bytes)
    try:
        write_dataset(path, dataset)
    except OSError as error:
        warnings.warn(f"cannot write the dataset cache file {path} ({error}); continuing "
                      "without caching it.", CacheWarning, stacklevel=2)
    return dataset
