"""The terminal fits: tables and lines no wider than COLUMNS, colour only when asked."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from advisor import cli
from advisor.report import layout
from tests import scenarios
from tests.builders import RepoBuilder

LONG = "dependabot/github_actions/development/github-actions-dependencies-9acab48073"
PATHS = [f"src/components/very/deeply/nested/module_{n}/implementation_details.py" for n in range(4)]
ANSI = re.compile(r"\x1b\[")


def wide_repository(path: Path) -> RepoBuilder:
    """A trunk with releases, and live branches whose names and conflicting paths are long."""
    b = scenarios.trunk_with_an_idle_branch(path, 60, name="old-idea-that-nobody-remembers/" + "x" * 40)
    for day in range(10, 60, 7):
        b.tag(f"v1.{day}.0", b.commit(f"release work {day}", branch="main", at=24 * day + 2))
    b.branch(LONG, "main")
    b.commit("bump", branch=LONG, at=24 * 60)
    b.branch("feature/conflicting-paths", "main")
    b.commit("ours", branch="main", files={p: "main\n" for p in PATHS}, at=24 * 60 + 1)
    b.commit("theirs", branch="feature/conflicting-paths", files={p: "branch\n" for p in PATHS}, at=24 * 60 + 2)
    return b


def run(args: list[str], columns: int | None) -> tuple[int, str, str]:
    env = {"COLUMNS": str(columns)} if columns else {}
    result = CliRunner().invoke(cli.app, args, env=env)
    return result.exit_code, result.stdout, result.stderr


def first_column(text: str, section: str) -> str:
    """The first column of the first table after `section`, its wrapped pieces joined."""
    lines = text.split(section, 1)[1].splitlines()
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("---"))
    width = len(lines[rule].strip().split()[0])
    cells = []
    for line in lines[rule + 1:]:
        if not line.strip():
            break
        cells.append(line[2:2 + width].strip())
    return "".join(cells)


def widest(text: str) -> int:
    return max(layout.visible_width(line) for line in text.splitlines())


@pytest.mark.parametrize("columns", [80, 60])
def test_scan_plan_and_progress_fit_the_terminal(repo_path: Path, tmp_path: Path, columns: int) -> None:
    wide_repository(repo_path)
    history = tmp_path / "history"
    common = ["--no-cache", "--history-dir", str(history)]
    code, unlimited, err = run(["scan", str(repo_path), *common], None)
    assert code == 0, err
    assert widest(unlimited) > 100  # the same scan, unfitted, is wide: the test measures something
    code, out, err = run(["scan", str(repo_path), *common], columns)
    assert code == 0, err
    assert widest(out) <= columns
    assert LONG in first_column(out, "Live branches")  # wrapped, not lost
    assert "4 conflicting" in out and "implementati" in out
    code, out, err = run(["plan", str(repo_path), "--no-cache", "--out", str(tmp_path / "plan")], columns)
    assert code == 0, err
    assert widest(out) <= columns
    code, out, err = run(["progress", str(repo_path), "--history-dir", str(history)], columns)
    assert code == 0, err
    assert widest(out) <= columns and "Trend" in out


def test_without_columns_a_pipe_gets_the_whole_table(repo_path: Path) -> None:
    wide_repository(repo_path)
    code, out, _ = run(["scan", str(repo_path), "--no-cache", "--no-history"], None)
    assert code == 0 and LONG in out  # on one line


def test_columns_are_dropped_in_the_documented_order() -> None:
    rows = [["a-very-long-branch-name-indeed", 1, 2, 3, "clean"]]
    headers = ["branch", "ahead", "behind", "age", "merge"]
    text = layout.table(rows, headers, width=40, wrap=(0,), drop=(3, 2))
    assert widest(text) <= 40
    first = text.splitlines()[0]
    assert "age" not in first and "ahead" in first and "merge" in first


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
                                 max_size=40), min_size=3, max_size=3), min_size=1, max_size=6),
       st.integers(min_value=20, max_value=120))
def test_a_table_is_never_wider_than_asked(rows: list[list[str]], width: int) -> None:
    text = layout.table(rows, ["one", "two words", "three"], width=width, wrap=(0,), drop=(2,))
    assert widest(text) <= width


def test_fit_wraps_prose_with_a_hanging_indent() -> None:
    text = layout.fit("  - " + "word " * 40, 50)
    lines = text.splitlines()
    assert len(lines) > 2 and all(len(line) <= 50 for line in lines)
    assert lines[1].startswith("      word")


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "90")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert cli.terminal_style() == layout.Style(width=90, color=True)
    assert cli.terminal_style(no_color=True).color is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.terminal_style().color is False
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.delenv("COLUMNS")
    assert cli.terminal_style() == layout.Style(width=None, color=False)


def test_tiers_failed_checks_and_worse_rows_are_coloured(repo_path: Path) -> None:
    from datetime import datetime, timezone

    from advisor import pipeline
    from advisor.history import HistoryOptions
    from advisor.report import terminal
    scenarios.gitflow(repo_path)
    result = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=datetime(2024, 3, 1, tzinfo=timezone.utc),
                                                    options=HistoryOptions(), merge_check_seconds=0))
    coloured = terminal.scan_text(result, layout.Style(color=True))
    assert "\x1b[31m[ ]\x1b[0m" in coloured  # a failed conformance check
    assert re.search(r"\x1b\[3[123]m(elite|high|medium|low)\x1b\[0m", coloured)
    assert not ANSI.search(terminal.scan_text(result))
    assert layout.paint("worse", "bad", layout.Style(color=True)) == "\x1b[31mworse\x1b[0m"


def test_no_colour_reaches_a_pipe(repo_path: Path) -> None:
    wide_repository(repo_path)
    code, out, _ = run(["scan", str(repo_path), "--no-cache", "--no-history"], 80)
    assert code == 0 and not ANSI.search(out)


def test_only_our_colour_codes_survive_the_last_escape() -> None:
    from advisor import escape
    text = layout.paint("low", "bad", layout.Style(color=True)) + " branch \x1b[2J\x1b]8;;http://x\x07 \x1b[38;5;1m"
    shown = layout.keep_colour(text, escape.terminal_lines)
    assert shown.startswith("\x1b[31mlow\x1b[0m branch ")
    assert shown.count("\x1b") == 2 and "\\x1b[2J" in shown and "\\x1b[38;5;1m" in shown


def latest_tags(text: str) -> list[str]:
    lines = text.split("latest tags", 1)[1].splitlines()
    return ["latest tags" + lines[0], *[line for line in itertools.takewhile(str.strip, lines[1:])]]


@pytest.mark.parametrize("columns", [None, 80])
def test_the_latest_tags_table_has_a_pre_release_column_only_when_a_tag_is_one(repo_path: Path,
                                                                               tmp_path: Path,
                                                                               columns: int | None) -> None:
    b = RepoBuilder(repo_path)
    for day, tag in enumerate(("v1.0.0", "v1.1.0", "v1.2.0")):
        b.tag(tag, b.commit(f"release {tag}", at=24 * day + 1))
    code, out, err = run(["scan", str(repo_path), "--no-cache", "--no-history"], columns)
    assert code == 0, err
    table = latest_tags(out)
    assert "pre-release" not in table[0] and len(table[1].split()) == 4  # no column of empty cells
    b.tag("v1.3.0-rc.1", b.commit("candidate", at=24 * 4 + 1))
    code, out, err = run(["scan", str(repo_path), "--no-cache", "--no-history"], columns)
    assert code == 0, err
    table = latest_tags(out)
    assert table[0].split()[-1] == "pre-release" and len(table[1].split()) == 5
    rows = {line.split()[0]: line.split()[-1] for line in table[2:]}
    assert rows["v1.3.0-rc.1"] == "yes" and rows["v1.2.0"] == "no"
    assert columns is None or widest(out) <= columns
