"""Rendering: untrusted text is escaped, JSON is deterministic and complete."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from advisor import pipeline
from advisor.history import HistoryOptions
from advisor.report import jsonout, terminal
from tests import scenarios

NOW = datetime(2024, 3, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain/name", "plain/name"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("bell\x07", "bell\\x07"),
    ("rtl\u202eevil", "rtl\\u202eevil"),
    ("line\nbreak", "line\\nbreak"),
    ("émoji 🚀 <script>", "émoji 🚀 <script>"),
])
def test_terminal_escapes_control_characters(raw: str, shown: str) -> None:
    assert terminal.term(raw) == shown


def scan_of(path: Path) -> object:
    scenarios.gitflow(path)
    return pipeline.run_scan(pipeline.ScanRequest(
        path=path, now=NOW, options=HistoryOptions(), since=datetime(2023, 1, 1, tzinfo=timezone.utc)))


def test_json_is_deterministic_and_sorted(repo_path: Path) -> None:
    result = scan_of(repo_path)
    text = jsonout.scan_json(result)  # type: ignore[arg-type]
    assert text == jsonout.scan_json(result)  # type: ignore[arg-type]
    document = json.loads(text)
    assert list(document) == sorted(document)
    assert document["summary"]["methods"]["merge"] == 4
    assert document["history"]["trunk"]["rule"] == "the repository's HEAD"


def test_text_has_every_section(repo_path: Path) -> None:
    text = terminal.scan_text(scan_of(repo_path))  # type: ignore[arg-type]
    for heading in ("Trunk: master", "Long-lived branches", "How changes reached master", "Episodes rebuilt",
                    "Patterns in the window", "Live branches:", "Releases (version tags): 4 in all"):
        assert heading in text
    assert "release / hotfix branches merged                      3 / 1" in text
