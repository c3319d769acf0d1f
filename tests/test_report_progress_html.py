"""`advisor progress --format html`: the history store's trend as one self-contained page, tested as the report is."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, progress, snapshot, store
from advisor.report import html
from tests import evolving
from tests.test_report_html import CHROMIUM, HOSTILE, assert_rendered_at_phone_width, parse


def hostile(snaps: list[snapshot.Snapshot]) -> list[snapshot.Snapshot]:
    """The team's snapshots with the trunk, the stages and their criteria named by an attacker."""
    last = snaps[-1]
    assert last.plan is not None
    stages = tuple(dataclasses.replace(stage, id=HOSTILE, title=HOSTILE, criteria=tuple(
        dataclasses.replace(c, name=HOSTILE) for c in stage.criteria)) for stage in last.plan.stages)
    plan = dataclasses.replace(last.plan, stages=stages, current_stage=HOSTILE if last.plan.current_stage else None)
    return [*snaps[:-1], dataclasses.replace(last, trunk=HOSTILE, plan=plan)]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history store of four weekly snapshots of a team leaving Gitflow, the latest with hostile names."""
    root = tmp_path_factory.mktemp("progress")
    folder = root / "history"
    for snap in hostile(evolving.snapshots(root / "repo")):
        store.save_snapshot(folder, snap)
    return folder


@pytest.fixture(scope="module")
def page(history: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("page") / "progress.html"
    result = CliRunner().invoke(cli.app, ["progress", "--history-dir", str(history), "--format", "html",
                                          "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    return out


def test_the_page_has_no_script_fetches_nothing_and_shows_hostile_names_as_text(page: Path) -> None:
    document = page.read_text(encoding="utf-8")
    parsed = parse(document)
    tags = [tag for tag, _ in parsed.elements]
    assert "script" not in tags and "img" not in tags and "iframe" not in tags and "link" not in tags
    for tag, attrs in parsed.elements:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").lower().startswith(("http:", "https:", "javascript:", "//")) or name == "xmlns"
    text = "".join(parsed.text)
    assert HOSTILE in text and "<script>" not in document.replace("&lt;script&gt;", "")
    assert "default-src 'none'" in document  # the browser would refuse anything fetched
    for heading in ("Branching progress", "4 snapshots", "Since the previous scan", "Since the baseline", "Trend"):
        assert heading in text, heading
    assert tags.count("svg") == len(progress.CHART_MEASURES)  # one line chart per trend measure


def test_the_same_history_gives_the_same_page(history: Path) -> None:
    snaps, _ = store.read_snapshots(history)
    report = progress.report(snaps)
    assert html.progress_html(report, "h", "team") == html.progress_html(report, "h", "team")
    assert html.progress_html(report, "h", "team").count("<h2>Since") == 2
    empty = html.progress_html(progress.report([]), "nowhere/history", "team")
    assert "No snapshots in nowhere/history yet" in "".join(parse(empty).text)


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (.ci/run installs it; in CI its absence fails)")
def test_a_real_browser_renders_the_trend_and_shows_the_hostile_names_as_text(page: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None, "CI must render the page in a browser: .ci/run installs chromium"
    assert_rendered_at_phone_width(page, tmp_path, "progress.png")
