"""``attnbench new-reducer``: a commented one-class reducer file from a template.

The templates (package data, ``templates/<kind>.py.tmpl``) are working reducers, a
CountSketch-style projection and norm sampling, that pass ``attnbench check`` as
written; the author replaces the method and keeps the declarations true.
"""

from __future__ import annotations

import keyword
import re
from importlib import resources
from pathlib import Path
from string import Template

from attnbench import algorithms

KINDS = ("projection", "sampling")
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


def class_name(name):
    """The CamelCase class name of a registry name: ``my_sketch`` -> ``MySketch``."""
    return "".join(part.capitalize() for part in name.split("_") if part)


def check_name(name):
    """A new registry name: lower-case identifier, not taken by a registered reducer."""
    if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        raise ValueError(
            f"{name!r} is not a valid reducer name: use lower-case letters, digits and "
            "underscores, starting with a letter (e.g. 'my_sketch')."
        )
    if name in algorithms.list_reducers():
        raise ValueError(f"{name!r} is already a registered reducer; choose another name.")
    return name


def render_reducer(name, kind="projection", file=None):
    """The text of a one-class reducer file named ``name`` of the given kind."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    text = resources.files("attnbench").joinpath("templates", f"{kind}.py.tmpl").read_text()
    return Template(text).substitute(
        name=check_name(name), class_name=class_name(name), file=file or f"{name}.py"
    )


def write_reducer(name, kind="projection", output=None, *, force=False):
    """Write the reducer file (default ``NAME.py``); refuses to overwrite unless ``force``."""
    path = Path(output or f"{name}.py")
    text = render_reducer(name, kind, file=str(path))
    if path.exists() and not force:
        raise FileExistsError(f"{str(path)!r} already exists; pass --force to overwrite it.")
    path.write_text(text)
    return path
