"""Report blocks and their rendering as Markdown and as one self-contained HTML page.

A report section returns blocks: :class:`Paragraph`, :class:`Alert` (a warning the reader
must not miss), :class:`Bullets`, :class:`Code`,
:class:`Table` (a table written under tables/, shown inline or only linked) and
:class:`Figure` (a PNG + SVG under figures/).  A :class:`Document` holds the sections;
:func:`render_markdown` and :func:`render_html` turn it into REPORT.md and index.html.
Every text is escaped (HTML entities; in Markdown also table pipes), so names and
parameters from a run never become markup.  The page has inline CSS, no scripts and
relative links only: it opens offline.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pandas as pd

from attnbench.report.tables import TABLE_FORMATS, markdown_table


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Alert:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple


@dataclass(frozen=True)
class Code:
    text: str
    language: str = "toml"


@dataclass(frozen=True)
class Table:
    """A table written to tables/NAME.{formats}; shown inline unless ``inline`` is False
    (then only linked)."""

    name: str
    caption: str
    display: pd.DataFrame  # strings, as shown
    numeric: tuple  # names of the columns that hold numbers (right-aligned)
    formats: tuple = TABLE_FORMATS
    inline: bool = True


@dataclass(frozen=True)
class Figure:
    name: str
    caption: str


@dataclass
class Document:
    title: str
    header: str
    sections: list = field(default_factory=list)  # (title, anchor, blocks)
    alert: str = ""  # shown above everything else when set

    def add(self, title, blocks):
        self.sections.append((title, anchor(title), blocks))


def anchor(title):
    """The id of a section heading: lower case, runs of other characters as '-'."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


# --- Markdown -----------------------------------------------------------------------------


def _md_text(text):
    return html.escape(text, quote=False)


def _md_block(block):
    if isinstance(block, Paragraph):
        return _md_text(block.text)
    if isinstance(block, Alert):
        return f"> **Warning.** {_md_text(block.text)}"
    if isinstance(block, Bullets):
        return "\n".join(f"- {_md_text(item)}" for item in block.items)
    if isinstance(block, Code):
        fence = "~~~~"
        return f"{fence}{block.language}\n{block.text.rstrip()}\n{fence}"
    if isinstance(block, Figure):
        return (
            f"![{_md_text(block.caption)}](figures/{block.name}.png)\n\n"
            f"*{_md_text(block.caption)}* ([SVG](figures/{block.name}.svg))"
        )
    links = ", ".join(f"[{fmt}](tables/{block.name}.{fmt})" for fmt in block.formats)
    caption = f"*{_md_text(block.caption)}* ({links})"
    if not block.inline:
        return caption
    return f"{caption}\n\n{markdown_table(block.display)}"


def render_markdown(doc):
    """REPORT.md: title, header, a list of section links, then the sections."""
    parts = [f"# {_md_text(doc.title)}"]
    parts += [_md_block(Alert(doc.alert))] if doc.alert else []
    parts.append(_md_text(doc.header))
    parts.append("\n".join(f"- [{_md_text(t)}](#{a})" for t, a, _ in doc.sections))
    for title, _, blocks in doc.sections:
        parts.append(f"## {_md_text(title)}")
        parts += [_md_block(b) for b in blocks]
    return "\n\n".join(parts) + "\n"


# --- HTML ---------------------------------------------------------------------------------


def html_table(display, numeric=()):
    """A <table> of strings; the ``numeric`` columns right-aligned."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in display.columns)
    body = []
    for row in display.to_numpy():
        cells = "".join(
            f'<td class="num">{html.escape(v)}</td>'
            if c in numeric
            else f"<td>{html.escape(v)}</td>"
            for c, v in zip(display.columns, row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _html_block(block):
    if isinstance(block, Paragraph):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Alert):
        return f'<p class="alert"><strong>Warning.</strong> {html.escape(block.text)}</p>'
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Code):
        return f"<pre>{html.escape(block.text)}</pre>"
    if isinstance(block, Figure):
        caption = html.escape(block.caption)
        return (
            f'<figure><img src="figures/{block.name}.png" alt="{caption}">'
            f'<figcaption>{caption} (<a href="figures/{block.name}.svg">SVG</a>)</figcaption>'
            "</figure>"
        )
    links = ", ".join(f'<a href="tables/{block.name}.{fmt}">{fmt}</a>' for fmt in block.formats)
    caption = f'<p class="caption">{html.escape(block.caption)} ({links})</p>'
    if not block.inline:
        return caption
    return f'{caption}<div class="scroll">{html_table(block.display, block.numeric)}</div>'


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1200px;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1.5em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}figure{margin:1em 0}img{max-width:100%;height:auto}
figcaption,.caption{font-size:.9em;color:#444}pre{background:#f6f6f6;padding:1em;overflow-x:auto}
nav ul{columns:2}.alert{background:#fde8e8;border:2px solid #c00;padding:.8em;font-size:1.1em}
"""


def render_html(doc):
    """index.html: one page, inline CSS, no scripts, figures and tables by relative path."""
    nav = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for t, a, _ in doc.sections)
    body = [f"<h1>{html.escape(doc.title)}</h1>"]
    body += [_html_block(Alert(doc.alert))] if doc.alert else []
    body.append(f"<p>{html.escape(doc.header)}</p>")
    body.append(f"<nav><ul>{nav}</ul></nav>")
    for title, anchor_id, blocks in doc.sections:
        body.append(f'<section id="{anchor_id}"><h2>{html.escape(title)}</h2>')
        body += [_html_block(b) for b in blocks]
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(doc.title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
