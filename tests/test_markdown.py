"""Untrusted text in Markdown stays text: checked by rendering it with a CommonMark parser (GitHub's extensions on)."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from advisor.markdown import cell, code, code_cell, md, mermaid, mermaid_id

PARSER = MarkdownIt("gfm-like")  # tables, strikethrough, linkify: what GitHub renders
# GitHub links www., scheme:// and e-mail addresses, not bare domains ("example.com").
PARSER.linkify.set({"fuzzy_link": False, "fuzzy_ip": False, "fuzzy_email": True})


def rendered(markdown: str) -> str:
    return PARSER.render(markdown)


def as_paragraph(inner: str) -> str:
    return f"<p>{inner}</p>\n"


HOSTILE = [
    "<script>alert(1)</script>", "[click](https://evil.example)", "https://evil.example", "www.evil.example",
    "me@evil.example", "# heading", "- item", "1. item", "> quote", "**bold**", "_em_", "~~gone~~", "a|b",
    "`tick`", "``double``", "&amp;", "&#x3C;", "line\nbreak", "\u202eevil", "$x$", "![img](x.png)", "---",
    "<!-- comment -->", "feature/ok-1.2_x", "mailto:me@x.example", "xmpp:me@x.example", "=====", "+ plus",
    "1) first", "HTTPS://EVIL.EXAMPLE/x",
]


# What a document shows in place of text it cannot show raw, written out here rather than taken from the code
# under test: line breaks and tabs become a space; C0 and C1 controls, bidi overrides, isolates and marks, and
# line and paragraph separators become U+FFFD.
HIDDEN = ("".join(map(chr, range(0x00, 0x20))) + "".join(map(chr, range(0x7f, 0xa0)))
          + "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def shown(value: str) -> str:
    """The text a reader must see for `value` (the test's own statement of the rule)."""
    flat = value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return "".join("\ufffd" if char in HIDDEN else char for char in flat)


def text_of(value: str) -> str:
    return html.escape(shown(value).strip(), quote=True)


def test_bidi_and_control_characters_never_reach_a_document() -> None:
    for char in BIDI + "\x1b\x9b\x07\x00\x7f\x85":
        assert md(f"a{char}b") == "a\ufffdb", hex(ord(char))
        assert code(f"a{char}b") == "`a\ufffdb`", hex(ord(char))
        assert cell(f"a{char}b") == "a\ufffdb", hex(ord(char))
        assert mermaid(f"a{char}b") == '"a\ufffdb"', hex(ord(char))
    assert md("line\nbreak\ttab") == "line break tab"


def test_hostile_names_stay_literal_prose() -> None:
    for name in HOSTILE:
        output = rendered(f"Branch {md(name)} here")
        assert output == as_paragraph(f"Branch {text_of(name)} here"), (name, output)
        assert rendered(f"- [ ] Land {code(name)} first") .count("<li>") == 1


@settings(max_examples=400)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_text_renders_as_itself_and_nothing_else(name: str) -> None:
    output = rendered(f"x {md(name)} y")
    assert re.fullmatch(r"<p>.*</p>\n", output, flags=re.DOTALL), output
    inner = output[3:-5]
    assert "<" not in inner.replace("&lt;", ""), output  # no tag of any kind
    assert html.unescape(inner) == f"x {shown(name)} y".strip()


@settings(max_examples=400)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_any_text_in_a_code_span_renders_as_itself(name: str) -> None:
    output = rendered(f"x {code(name)} y")
    match = re.fullmatch(r"<p>x <code>(.*)</code> y</p>\n", output, flags=re.DOTALL)
    assert match, output
    assert html.unescape(match.group(1)).strip() == shown(name).strip() or not shown(name).strip()


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_table_cells_keep_their_columns(name: str) -> None:
    """Each cell holds exactly its own text: a `|` that split a cell would move text into the next column
    (or, past the header's width, drop it), which counting cells alone would not see."""
    table = f"| a | b | c |\n|---|---|---|\n| {cell(name)} | {code_cell(name or 'x')} | z |\n"
    output = rendered(table)
    body = output.split("<tbody>")[1]
    assert "<a" not in body and "<script" not in body
    cells = re.findall(r"<td>(.*?)</td>", body, flags=re.DOTALL)
    assert len(cells) == 3, output
    prose, code_text, last = (html.unescape(re.sub(r"</?code>", "", c)) for c in cells)
    assert prose == shown(name).strip(), output
    assert code_text.strip() == shown(name or "x").strip() or not shown(name or "x").strip(), output
    assert last == "z", output


def test_a_pipe_in_a_cell_stays_in_its_cell() -> None:
    table = f"| a | b | c |\n|---|---|---|\n| {cell('x|y')} | {code_cell('p|q')} | z |\n"
    assert "<td>x|y</td><td><code>p|q</code></td><td>z</td>" in rendered(table).replace("\n", "")


def test_mermaid_labels_cannot_close_their_quotes() -> None:
    assert mermaid('a"] --> evil["b') == '"a&quot;] --&gt; evil[&quot;b"'
    assert mermaid_id("release/1.0 ü") == "n_release_1_0__"
