"""Rendering: untrusted text is escaped, JSON is deterministic and complete."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta, timezone
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


SINGULAR_NOUNS = ("commit", "branch", "tag", "release", "hotfix", "revert", "quick patch", "check", "integration",
                  "snapshot", "file", "active branch", "unreleased commit", "work branch", "direct commit",
                  "version tag", "first-parent commit", "repository")


def test_one_of_anything_is_said_in_the_singular(tmp_path: Path) -> None:
    """A repository of one commit, one branch and one tag: its scan, terminal and HTML, says '1 commit,
    1 branch, 1 tag' and never '1 <noun>s' (the README's self-scan once read '1 branches')."""
    from advisor.report import html
    from tests.builders import RepoBuilder
    builder = RepoBuilder(tmp_path / "one")
    builder.commit("start", files={"a.txt": "a"}, at=NOW - timedelta(days=3))
    builder.tag("v1.0.0", at=NOW - timedelta(days=3))
    result = pipeline.run_scan(pipeline.ScanRequest(path=builder.path, now=NOW, options=HistoryOptions()))
    text = terminal.scan_text(result)
    page = html.report_html(result)
    assert "1 commit, 1 branch, 1 tag" in text and "1 commit, 1 branch, 1 tag" in page
    for shown in (text, page):
        for noun in SINGULAR_NOUNS:
            plural = "repositories" if noun == "repository" else noun + ("es" if noun.endswith(("ch", "x")) else "s")
            assert not re.search(rf"(?<![\d.]){re.escape('1 ' + plural)}\b", shown), f"'1 {plural}' in output"


def test_records_left_to_the_encoder_give_the_json_of_records_turned_first() -> None:
    """`jsonout` hands lists of records to json's C encoder with their times, enums and nested records as
    they are; the text is what encoding the fully converted values gives, escapes included."""
    from advisor.model import Episode, EpisodeKind, MergeMethod, NameOrigin, Release
    from advisor.report import jsonout

    when = datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    episode = Episode(
        id="x", target="main", source="topic\u202e\x85", name_origin=NameOrigin.LIVE_REF, pr=7, host="github",
        method=MergeMethod.SQUASH, kind=EpisodeKind.FEATURE, commits=("a" * 40,), sync_merges=1, authors=("Ann é",),
        author="Ann é", fork_point=None, forked_from="main", first_commit_at=when, last_commit_at=when,
        merged_at=when + timedelta(hours=2), behind=None, deleted=True, bot=False, clock_skew=False, exact_lifetime=True)
    releases = [Release(tag=f"v1.{i}", commit="b" * 40, at=when, line="main", branch=None, version=(1, i),
                        prerelease=i == 1, annotated=True, new_commits=i, shipped=i) for i in range(3)]
    document = {"episodes": jsonout.jsonable((episode, episode)), "releases": jsonout.jsonable(releases),
                "ratio": 0.1 + 0.2, "none": None}
    turned = json.loads(json.dumps(document, default=jsonout._late))
    assert jsonout.encode(document, 0) == jsonout.encode(turned, 0)
    assert turned["episodes"][0]["merged_at"] == "2024-03-01T01:59:59-03:30" and turned["episodes"][0]["commit_count"] == 1
    assert "\u202e" not in jsonout.encode(document, 0) and "\\u202e" in jsonout.encode(document, 0)


@dataclasses.dataclass(frozen=True, slots=True)
class _Counts:
    name: str
    by_key: dict[int, int]
    nested: tuple[dict[bool, str], ...]


def test_a_dict_inside_a_list_of_records_has_its_keys_turned_and_sorted_as_before() -> None:
    from advisor.report import jsonout

    records = [_Counts(name="a", by_key={10: 1, 9: 2}, nested=({True: "y", False: "n"},))] * 2
    text = jsonout.encode({"records": jsonout.jsonable(records)}, 0)
    assert '"by_key": {"10": 1, "9": 2}' in text and '"nested": [{"False": "n", "True": "y"}]' in text
