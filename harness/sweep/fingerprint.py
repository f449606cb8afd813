"""The machine fingerprint stored with every run (after benchopt's sys_info)."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from threadpoolctl import threadpool_info

CHECKOUT = Path(__file__).resolve().parent.parent


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _git(*args):
    try:
        out = subprocess.run(
            ["git", "-C", str(CHECKOUT), *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def diff_hash():
    """sha256 (16 hex digits) of what the working tree adds to HEAD: ``git diff HEAD
    --binary`` (staged and unstaged changes of tracked files) and, for every untracked
    file that git does not ignore, its path and bytes; None outside a checkout, "" for
    a clean tree.  Untracked files count: an uncommitted module or plug-in runs too."""
    diff = _git("diff", "HEAD", "--binary")
    untracked = _git("ls-files", "--others", "--exclude-standard", "-z")
    if diff is None or untracked is None:
        return None
    names = sorted(name for name in untracked.split("\0") if name)
    if not diff and not names:
        return ""
    digest = hashlib.sha256(diff.encode())
    for name in names:
        digest.update(f"\0{name}\0".encode())
        try:
            digest.update((CHECKOUT / name).read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()[:16]


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def fingerprint():
    """CPU, cores, memory, OS, library versions, BLAS and threads, and the checkout: git
    commit, dirty flag (tracked changes or untracked files git does not ignore) and the
    hash of that difference (:func:`diff_hash`)."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=normal") if commit else None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "versions": {
            name: _version(name)
            for name in ("attnbench", "numpy", "scipy", "scikit-learn", "pandas", "threadpoolctl")
        },
        "blas": [
            {k: info.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for info in threadpool_info()
        ],
        "git_commit": commit,
        "git_dirty": bool(status) if commit else None,
        "git_diff_hash": diff_hash() if commit else None,
    }
