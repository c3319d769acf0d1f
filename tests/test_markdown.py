"""Untrusted text in Markdown stays text: checked by rendering it with a CommonMark parser (GitHub's extensions on)."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from advisor.markdown import _clean, code, code_cell, md, mermaid, mermaid_id

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


def text_of(value: str) -> str:
    return html.escape(_clean(value).strip(), quote=True)


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
    assert html.unescape(inner) == html.unescape(html.escape(f"x {_clean(name)} y".strip()))


@settings(max_examples=400)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_any_text_in_a_code_span_renders_as_itself(name: str) -> None:
    output = rendered(f"x {code(name)} y")
    match = re.fullmatch(r"<p>x <code>(.*)</code> y</p>\n", output, flags=re.DOTALL)
    assert match, output
    assert html.unescape(match.group(1)).strip() == _clean(name).strip() or not _clean(name).strip()


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_table_cells_keep_their_columns(name: str) -> None:
    table = f"| a | b | c |\n|---|---|---|\n| {md(name)} | {code_cell(name or 'x')} | z |\n"
    output = rendered(table)
    body = output.split("<tbody>")[1]
    assert body.count("<td>") == 3, output
    assert "<a" not in body and "<script" not in body


def test_mermaid_labels_cannot_close_their_quotes() -> None:
    assert mermaid('a"] --> evil["b') == '"a&quot;] --&gt; evil[&quot;b"'
    assert mermaid_id("release/1.0 ü") == "n_release_1_0__"
