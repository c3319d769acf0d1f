"""Control and bidi characters never reach a person raw: terminal, error lines, progress text
read from snapshots, Markdown; JSON writes them as \\u escapes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, escape
from tests.builders import RepoBuilder

runner = CliRunner()
# Every kind the issue names: ESC (CSI and OSC 8), the 8-bit CSI, BEL, CR, bidi overrides, isolates and marks.
HOSTILE = ("a\x1b[2Jb\x1b]8;;https://evil.example\x07link\x1b]8;;\x07c\x9b31md\re\u202eevil\u202c"
           "\u2066iso\u2069\u200e\u200f\u061c\u2028f\x7fg\x85h\x00i")
EVERY_UNSAFE = [chr(c) for c in (*range(0x00, 0x20), *range(0x7f, 0xa0))] + [
    "\u061c", "\u200e", "\u200f", "\u2028", "\u2029", *map(chr, range(0x202a, 0x202f)), *map(chr, range(0x2066, 0x206a))]
RAW = re.compile("[" + "".join(re.escape(c) for c in EVERY_UNSAFE if c != "\n") + "]")


def test_the_list_is_the_issue_list() -> None:
    for char in EVERY_UNSAFE:
        assert escape.UNSAFE.fullmatch(char), f"U+{ord(char):04X} is not escaped"
    for char in ("é", "🚀", "\u200d", " ", "|", "<"):  # letters, emoji joiners and markup are someone else's job
        assert not escape.UNSAFE.fullmatch(char)


def test_terminal_shows_each_as_a_visible_escape() -> None:
    assert escape.terminal("a\x1b[31mb\x9bc\u202ed\ne") == "a\\x1b[31mb\\x9bc\\u202ed\\ne"
    assert escape.terminal_lines("a\x1b\nb\u2066") == "a\\x1b\nb\\u2066"
    assert RAW.search(escape.terminal(HOSTILE)) is None and "\n" not in escape.terminal(HOSTILE + "\n")


def test_json_writes_u_escapes_that_decode_to_the_same_text() -> None:
    encoded = escape.json(json.dumps({"name": HOSTILE}, ensure_ascii=False))
    assert RAW.search(encoded) is None
    assert "\\u009b" in encoded and "\\u202e" in encoded and "\\u061c" in encoded
    assert json.loads(encoded) == {"name": HOSTILE}


def test_json_documents_are_escaped_the_same_in_pieces_of_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The document encoder escapes each piece of the laid-out text at once: the same text as
    escaping every value alone, whatever the pieces' size."""
    from advisor.report import jsonout

    document = {HOSTILE: [{"name": HOSTILE, "n": 1}, {"name": "plain", HOSTILE: None}],
                "values": [HOSTILE, 2, [HOSTILE], {}, []], "one": {"nested": HOSTILE}, "empty": {}}
    whole = jsonout.encode(document, 0)
    assert RAW.search(whole) is None and json.loads(whole) == document
    for size in (1, 7, 100):
        monkeypatch.setattr(jsonout, "_CHUNK", size)
        chunks = list(jsonout.encode_chunks(document, 0))
        assert len(chunks) > 1 and "".join(chunks) == whole
    assert escape.json_text("a\u202e\nb\x1b") == "a\\u202e\nb\\u001b"


def test_one_line_replaces_them_for_documents() -> None:
    assert escape.one_line("a\r\nb\tc\u202ed\x9be") == "a b c\ufffdd\ufffde"


@pytest.fixture
def hostile_repo(repo_path: Path) -> Path:
    b = RepoBuilder(repo_path)
    b.commit(message=f"subject {HOSTILE}", author=(f"Mallory {HOSTILE}", "m@example.com"))
    name = "feat/\u202eevil\u202c-\x9b31m"  # git refuses ESC in a ref name, not the 8-bit CSI or bidi
    b.branch(name)
    b.commit(branch=name, message="wip")
    return repo_path


def _clean(text: str) -> None:
    assert RAW.search(text) is None, repr(RAW.search(text))


def test_scan_and_error_lines_show_no_raw_control(hostile_repo: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["scan", str(hostile_repo), "--no-cache", "--no-history"])
    assert result.exit_code == 0, result.stderr
    _clean(result.stdout)
    assert "\\u202eevil" in result.stdout
    result = runner.invoke(cli.app, ["scan", str(hostile_repo), "--no-cache", "--no-history", "--format", "json"])
    _clean(result.stdout)
    assert any("\u202eevil" in branch["name"] for branch in json.loads(result.stdout)["history"]["live_branches"])
    for args in (["scan", str(hostile_repo), "--trunk", HOSTILE], ["scan", str(tmp_path / HOSTILE)],
                 ["scan", str(hostile_repo), "--bot", "(" + HOSTILE]):
        result = runner.invoke(cli.app, [*args, "--no-cache", "--no-history"])
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("advisor: ")
        _clean(result.stderr)
        assert "\\x9b31m" in result.stderr


def test_progress_read_from_a_planted_snapshot_is_escaped_everywhere(hostile_repo: Path, tmp_path: Path) -> None:
    history = tmp_path / "history"
    assert runner.invoke(cli.app, ["scan", str(hostile_repo), "--no-cache", "--history-dir", str(history)]).exit_code == 0
    # Someone who can edit the committed snapshots puts escape sequences in every text they hold.
    (path,) = history.glob("*.json")
    document = json.loads(path.read_text())
    document["repo"]["trunk"] = HOSTILE
    for stage in document["plan"]["stages"]:
        stage["title"] = HOSTILE
        for criterion in stage["criteria"]:
            criterion["name"] = HOSTILE
    document["verdict"]["evidence"] = [{"id": "x", "supports": [], "text": HOSTILE}]
    path.write_text(json.dumps(document, ensure_ascii=False))
    for output in ("text", "markdown", "json"):
        result = runner.invoke(cli.app, ["progress", str(hostile_repo), "--history-dir", str(history),
                                         "--format", output])
        assert result.exit_code == 0, result.stderr
        _clean(result.stdout)
        _clean(result.stderr)
        out = tmp_path / f"progress.{output}"
        result = runner.invoke(cli.app, ["progress", str(hostile_repo), "--history-dir", str(history),
                                         "--format", output, "--out", str(out)])
        assert result.exit_code == 0, result.stderr
        _clean(out.read_text())
    result = runner.invoke(cli.app, ["check", str(hostile_repo), "--history-dir", str(history)])
    _clean(result.stdout + result.stderr)
