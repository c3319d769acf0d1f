"""The progress shown on stderr while a command works: only when enabled, always escaped."""

from __future__ import annotations

import pytest

from advisor.console import Bar, Status


def test_a_status_line_replaces_itself_escapes_what_it_shows_and_clears(capsys: pytest.CaptureFixture[str]) -> None:
    status = Status(enabled=True)
    status("reading feature/\x1b]8;;evil\x07x\u202e")
    status("reconstructing 12 commits")
    status.clear()
    shown = capsys.readouterr().err
    assert shown.count("\r\x1b[K") == 3  # each message overwrites the last; clear wipes the line
    assert "reconstructing 12 commits…" in shown
    assert "\x07" not in shown and "\u202e" not in shown and "\x1b]" not in shown


def test_a_disabled_status_and_bar_show_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    status = Status(enabled=False)
    status("reading commits")
    status.clear()
    with Bar(False, 3, "fleet") as bar:
        bar("scanning one")
        bar.advance("one")
    assert capsys.readouterr().err == ""


def test_a_bar_counts_its_steps() -> None:
    with Bar(False, 3, "backfill") as bar:
        bar.advance("2026-01-05")
        bar.advance()
        task = bar.progress.tasks[0]
        assert (task.completed, task.total) == (2, 3)
        assert task.description == "backfill"
