"""Fitting text to a terminal: tables no wider than the screen, long lines wrapped, colour when asked.

`table` renders with tabulate and, when the result is wider than `width`, tries in
this order until it fits (docs/scan.md, "The terminal"):

1. wrap the column headings at their spaces;
2. wrap the columns the caller marks `wrap` (free text: values, branch names,
   conflicting paths), the widest first, down to `COMFORTABLE` characters;
3. drop the columns the caller lists in `drop`, in that order (the least needed
   first), each time letting the wrapped columns widen again into the room left;
4. wrap the `wrap` columns further, down to `MIN_WRAP`, then every column;
5. cut each line at the width, ending it with "…".

So a table is never wider than `width`. `fit` wraps the other long lines (prose)
with a hanging indent. Colour is ANSI SGR, added only when the caller says the
output is a terminal that wants it (`color`); tabulate measures cells without it.

Pure: the width and whether to colour are parameters.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

COMFORTABLE = 20  # a wrapped column is narrowed to this before any column is dropped
MIN_WRAP = 10  # and to this before the other columns are wrapped
_SGR = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True, slots=True)
class Style:
    """How to lay text out: `width` None means no limit (a file or a pipe); `color` adds ANSI colour."""

    width: int | None = None
    color: bool = False


PLAIN = Style()

_COLOURS = {"good": "32", "fair": "33", "bad": "31", "bold": "1", "dim": "2"}
TIER_COLOUR = {"elite": "good", "high": "good", "medium": "fair", "low": "bad"}


def paint(text: str, colour: str | None, style: Style) -> str:
    """`text` in `colour` ("good", "fair", "bad", "bold", "dim") when the style has colour."""
    if not style.color or colour is None or not text:
        return text
    return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"


_OUR_SGR = re.compile("(\x1b\\[(?:" + "|".join(sorted(set(_COLOURS.values()) | {"0"})) + ")m)")


def keep_colour(text: str, escape: Callable[[str], str]) -> str:
    """`escape` applied to all of `text` but the colour codes `paint` writes (which only colour)."""
    parts = _OUR_SGR.split(text)
    return "".join(part if index % 2 else escape(part) for index, part in enumerate(parts))


def tier(text: str, style: Style) -> str:
    return paint(text, TIER_COLOUR.get(text), style)


def visible_width(line: str) -> int:
    """Terminal columns: colour codes take none, combining marks none, wide (East Asian) characters two."""
    plain = _SGR.sub("", line)
    if plain.isascii():
        return len(plain)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in plain)


def _widest(block: str) -> int:
    return max((visible_width(line) for line in block.splitlines()), default=0)


def _render(rows: Sequence[Sequence[Any]], headers: Sequence[str], keep: Sequence[int], widths: dict[int, int],
            header_wrap: bool, options: dict[str, Any]) -> str:
    kept_rows = [[row[i] for i in keep] for row in rows]
    kept_headers = [headers[i] for i in keep] if headers else []
    kwargs = dict(options)
    if widths:
        kwargs["maxcolwidths"] = [widths.get(i) for i in keep]
    if header_wrap and kept_headers:
        kwargs["maxheadercolwidths"] = [max((len(word) for word in str(h).split()), default=1) for h in kept_headers]
    from tabulate import tabulate  # 20-40 ms to import: only commands that print a table pay for it

    return str(tabulate(kept_rows, headers=kept_headers, **kwargs))


def _column_width(rows: Sequence[Sequence[Any]], column: int) -> int:
    return max((visible_width(part) for row in rows for part in str(row[column]).splitlines()), default=0)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str] = (), *, width: int | None = None,
          wrap: Sequence[int] = (), drop: Sequence[int] = (), tablefmt: str = "simple", **options: Any) -> str:
    """A tabulate table no wider than `width` (see the module's docstring for the order of the steps)."""
    options["tablefmt"] = tablefmt
    columns = len(headers) if headers else (len(rows[0]) if rows else 0)
    keep = list(range(columns))
    widths: dict[int, int] = {}
    text = _render(rows, headers, keep, widths, False, options)
    if width is None or _widest(text) <= width or not rows:
        return text
    text = _render(rows, headers, keep, widths, True, options)

    def shrink(candidates: Sequence[int], floor: int) -> None:
        """Narrow the widest of `candidates` step by step (levelling them), none below `floor`."""
        nonlocal text
        while _widest(text) > width:
            sizes = {i: widths.get(i, _column_width(rows, i)) for i in candidates if i in keep}
            sizes = {i: size for i, size in sizes.items() if size > floor}
            if not sizes:
                return
            top = max(sizes.values())
            tied = [i for i, size in sizes.items() if size == top]
            lower = max([size for size in sizes.values() if size < top] + [floor])
            excess = _widest(text) - width
            step = max(1, min(-(-excess // len(tied)), top - lower))
            for column in tied:  # the widest columns narrow together, down to the next widest
                widths[column] = top - step
            text = _render(rows, headers, keep, widths, True, options)

    shrink(wrap, COMFORTABLE)
    for column in drop:
        if _widest(text) <= width:
            break
        keep.remove(column)
        widths.clear()  # the columns wrapped so far may take back the room the dropped one leaves
        text = _render(rows, headers, keep, widths, True, options)
        shrink(wrap, COMFORTABLE)
    shrink(wrap, MIN_WRAP)
    shrink(keep, MIN_WRAP)
    if _widest(text) > width:
        text = "\n".join(cut(line, width) for line in text.splitlines())
    return text


def cut(line: str, width: int) -> str:
    """`line` cut to `width` columns, ending in "…" when it was longer."""
    if visible_width(line) <= width:
        return line
    plain = _SGR.sub("", line)
    while plain and visible_width(plain) > width - 1:
        plain = plain[:-1]
    return plain + "…"


def fit(text: str, width: int | None) -> str:
    """Every line of `text` no wider than `width`: long lines wrapped at spaces with a hanging indent."""
    if width is None:
        return text
    out = []
    for line in text.split("\n"):
        if visible_width(line) <= width or line.lstrip(" ").startswith("$ "):  # a command stays pasteable
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip(" "))]
        hang = lead + "    " if len(lead) + 4 < width // 2 else lead
        wrapped = textwrap.wrap(line.strip(" "), width=width, initial_indent=lead, subsequent_indent=hang,
                                break_long_words=True, break_on_hyphens=False)
        out.extend(cut(part, width) for part in wrapped)
    return "\n".join(out)
