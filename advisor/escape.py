"""Untrusted text made safe for whoever reads it: one list of dangerous characters, and how each
kind of output shows them.

Branch and tag names, commit subjects, authors, file paths, snapshot fields and
error messages that quote any of them come from whoever wrote the repository or
the history folder. The characters below can rewrite a terminal (C0 and C1
controls: ESC, the 8-bit CSI U+009B, OSC 8 links, BEL, carriage return), or make
text read differently from what it is (bidi overrides, isolates and marks: the
"Trojan Source" characters, and line and paragraph separators). Every output
escapes the same list:

- `terminal`: each shown as a Python escape (`\\x1b`, `\\u202e`), so it is visible;
- `json`: each written as a JSON `\\u` escape (the decoded string is unchanged);
- `one_line`: each replaced by U+FFFD, and line breaks and tabs by a space (Markdown).
"""

from __future__ import annotations

import re

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n|[\n\r\t]")


def terminal(text: object) -> str:
    """Text safe to print: every unsafe character as a visible escape."""
    return UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), str(text))


def json(encoded: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with every unsafe character as a `\\u` escape.

    JSON's own syntax is ASCII, so such a character can only sit inside a string,
    where `\\uXXXX` means the same character.
    """
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", encoded)


def json_text(encoded: str) -> str:
    """`json` for a whole document laid out on lines: its line breaks are kept. JSON's encoder writes
    every control character inside a string as an escape, so a raw line break is layout."""
    return _UNSAFE_BUT_NEWLINE.sub(_json_escape, encoded)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group(0)):04x}"


def one_line(text: object) -> str:
    """One line of text for a document: line breaks and tabs as spaces, other unsafe characters as U+FFFD."""
    return UNSAFE.sub("\N{REPLACEMENT CHARACTER}", _LINE_BREAKS.sub(" ", str(text)))


_UNSAFE_BUT_NEWLINE = re.compile(UNSAFE.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))


def terminal_lines(text: str) -> str:
    """A whole report for the terminal: line breaks kept, every other unsafe character as a visible escape.

    Applied to everything advisor prints, after the renderers escaped each value: a
    value a renderer forgot still cannot reach the terminal raw.
    """
    return _UNSAFE_BUT_NEWLINE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
