"""Markdown that embeds untrusted text safely, and the templates that produce it.

Branch names, tag names, file names and commit subjects come from whoever
pushed them: in a document they must stay literal text. They cannot open a
link, an HTML tag, a heading, a list item, a table cell or a Mermaid node.
Every template renders through `environment()`, whose filters are the only
way a value reaches the page: `md` for prose, `code` for code spans, `cell`
for table cells, `mermaid` for diagram labels.
"""

from __future__ import annotations

import html
import re
from importlib import resources
from typing import Any

import jinja2

from advisor import escape

_INLINE = re.compile(r"([\\`*_\[\]|~$@])")  # emphasis, code, links, tables, strikeout, math, email autolinks
_SCHEME = re.compile(r"(?i)(:)(?=/)|(?<=mailto)(:)|(?<=xmpp)(:)")  # what GitHub turns into a link: scheme://, mailto:
_LINE_START = re.compile(r"^(\s*)(#|>|[+-](?=\s|$)|\d+[.)](?=\s|$)|=+\s*$)")  # a heading, quote, list or rule
_WWW = re.compile(r"(?i)\bwww\.")


def _clean(text: object) -> str:
    """One line of text without control or bidi characters (they can hide or reorder what is shown)."""
    return escape.one_line(text)


def md(text: object) -> str:
    """Text shown as itself in Markdown prose (GitHub's dialect included).

    Only what could become markup is escaped, so the raw file stays readable:
    inline markup by a backslash, `<`, `>` and `&` as entities (no HTML tag
    or entity can form), `@`, `www.` and the colon of `scheme:/` so no
    autolink forms, and a leading marker that would open a block.
    """
    value = _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _INLINE.sub(r"\\\1", value)
    value = _SCHEME.sub(r"\\:", value)
    value = _WWW.sub(lambda m: m.group(0)[:3] + "\\.", value)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if not m.group(2)[0].isdigit()
                           else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], value)


def code(text: object, in_table: bool = False) -> str:
    """A code span that shows `text` literally, whatever backticks it holds."""
    value = _clean(text)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or (value.startswith(" ") and value.strip()) else ""
    if in_table:  # a `|` ends a table cell even inside a code span (GitHub); there `\|` shows as `|`
        value = value.replace("|", "\\|")
    return f"{fence}{pad}{value}{pad}{fence}" if value else "` `"


def code_cell(text: object) -> str:
    return code(text, in_table=True)


def cell(text: object) -> str:
    """Prose for a table cell: `md` already escapes `|`, so the row keeps its columns."""
    return md(text)


def mermaid(text: object) -> str:
    """A Mermaid node or edge label: quoted, with quotes and markup as HTML entities."""
    return '"' + html.escape(_clean(text), quote=True).replace("#", "&#35;").replace("`", "&#96;") + '"'


def mermaid_id(text: object) -> str:
    """A Mermaid node id made only of letters, digits and underscores."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", str(text))
    return f"n_{ident}"


def environment() -> jinja2.Environment:
    """The templates under `templates/` (installed as the package `advisor.templates`)."""
    folder = resources.files("advisor.templates")

    def load(name: str) -> str | None:
        item = folder.joinpath(name)
        return item.read_text(encoding="utf-8") if item.is_file() else None

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=False,  # Markdown, not HTML: the filters below do the escaping
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Any] = {"md": md, "code": code, "code_cell": code_cell, "cell": cell, "mermaid": mermaid, "mermaid_id": mermaid_id}
    env.filters.update(filters)
    return env
