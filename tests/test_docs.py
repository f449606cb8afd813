"""The repository stands alone: no file refers to a design document that is not in it,
and every relative link of its hand-written Markdown (README.md, docs/, the other
READMEs) leads to a file that exists and, where it names one, to a heading of that file
(GitHub's anchors).  Reads the files git tracks, or every file when git is missing."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Documents that lived outside the repository; spelled in pieces so this file does not
# match itself.
OUTSIDE = re.compile(rb"\b(?:" + b"|".join((b"DESIGN", b"MISSION", b"STYLE")) + rb")\.md\b|"
                     + re.escape(b".." + b"/shared"))  # fmt: skip
SKIPPED_DIRS = {".git", ".venv", "results", ".asv", "__pycache__", "node_modules"}
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def tracked_files():
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
        ).stdout
        paths = [ROOT / p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        paths = [
            p for p in ROOT.rglob("*") if not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts)
        ]
    return [p for p in paths if p.is_file()]


def markdown_files():
    """README.md, docs/*.md and every other README.md (generated reports aside)."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += [
        p
        for p in tracked_files()
        if p.name == "README.md" and p not in files and "reports" not in p.relative_to(ROOT).parts
    ]
    return files


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    seen, out = {}, set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def links(text):
    """The relative link targets of Markdown text, code blocks and code spans aside."""
    text = INLINE_CODE.sub("", FENCE.sub("", text))
    return [
        target
        for target in LINK.findall(text)
        if not re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)  # http:, mailto:, ...
    ]


def broken(path, target):
    """Why ``target`` (a link in ``path``) leads nowhere, or None."""
    file_part, _, anchor = target.partition("#")
    destination = (path.parent / file_part).resolve() if file_part else path
    if not destination.exists():
        return f"{target}: no such file"
    if not destination.is_relative_to(ROOT):
        return f"{target}: outside the repository"
    if anchor and destination.suffix == ".md" and anchor not in anchors(destination):
        return f"{target}: no heading '#{anchor}' in {destination.relative_to(ROOT)}"
    return None


def test_no_file_refers_to_a_document_outside_the_repository():
    offenders = []
    for path in tracked_files():
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, "refers to a document outside the repository: " + ", ".join(offenders)


def test_the_docs_exist():
    names = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert {"README.md", "architecture.md", "metrics.md", "timing.md", "claims.md",
            "where-to-change-what.md"} <= names  # fmt: skip


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    targets = links(path.read_text(encoding="utf-8"))
    problems = [problem for target in targets if (problem := broken(path, target))]
    assert not problems, "\n".join(problems)


def test_the_checks_see_what_they_must():
    assert OUTSIDE.search(b"see " + b"DESIGN" + b".md") and OUTSIDE.search(b".." + b"/shared/x")
    assert not OUTSIDE.search(b"docs/design.md")
    assert (
        slug("Asymmetric attention and the output A·V") == "asymmetric-attention-and-the-output-av"
    )
    assert slug("The `paper` preset") == "the-paper-preset"
    text = "[a](docs/x.md#y) `[b](no.md)` [c](https://e.org) ![d](f.png)\n```\n[e](g.md)\n```\n"
    assert links(text) == ["docs/x.md#y", "f.png"]
    assert broken(ROOT / "README.md", "docs/nothing.md") == "docs/nothing.md: no such file"
    assert "no heading" in broken(ROOT / "README.md", "#no-such-heading")
