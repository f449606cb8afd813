"""The public-domain English text shipped in ``datasets/texts/`` (sources and licences in
texts/README.md), read as paragraphs: blocks separated by blank lines, lines that start
with '#' (notes) dropped, the remaining lines of a block joined by single spaces."""

from __future__ import annotations

import importlib.resources

TEXT_DIR = "texts"


def text_files():
    """The names of the shipped ``*.txt`` files, sorted."""
    folder = importlib.resources.files(__package__).joinpath(TEXT_DIR)
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".txt"))


def paragraphs(name):
    """The paragraphs of the shipped file ``name``, in file order."""
    text = importlib.resources.files(__package__).joinpath(TEXT_DIR, name).read_text(
        encoding="utf-8")
    blocks = (" ".join(line.strip() for line in block.splitlines() if not line.startswith("#"))
              for block in text.split("\n\n"))
    return [block.strip() for block in blocks if block.strip()]
