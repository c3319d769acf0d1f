"""CSV: a header row, the documented columns, values a spreadsheet reads as they are."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from advisor.report import csvout
from tests import evolving, scenarios
from tests.builders import RepoBuilder
from tests.test_cli_progress import run, weekly_scan

ROOT = Path(__file__).resolve().parent.parent


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(("table", "columns"), [("episodes", csvout.EPISODE_COLUMNS), ("live", csvout.LIVE_COLUMNS),
                                                ("releases", csvout.RELEASE_COLUMNS)])
def test_scan_tables_match_the_json(repo_path: Path, table: str, columns: tuple[str, ...]) -> None:
    scenarios.gitflow(repo_path)
    common = ["--no-cache", "--no-history", "--since", "2023-01-01", "--until", "2024-03-01"]
    code, out, err = run("scan", str(repo_path), *common, "--format", "csv", "--table", table)
    assert code == 0, err
    assert out.splitlines()[0] == ",".join(columns)
    rows = rows_of(out)
    code, out, _ = run("scan", str(repo_path), *common, "--format", "json")
    document = json.loads(out)
    if table == "episodes":
        episodes = document["history"]["episodes"]
        assert [r["id"] for r in rows] == [e["id"] for e in episodes] and rows
        first = next(r for r in rows if r["kind"] == "feature")
        match = next(e for e in episodes if e["id"] == first["id"])
        assert float(first["lifetime_hours"]) == pytest.approx(match["lifetime_seconds"] / 3600)
        assert first["deleted"] in ("true", "false") and first["commits"] == str(match["commit_count"])
    elif table == "releases":
        assert [r["tag"] for r in rows] == [r["tag"] for r in document["history"]["releases"]] == [
            "1.1.0", "1.2.0", "1.2.1", "1.3.0"]
    else:
        assert [r["branch"] for r in rows] == [r["branch"]["name"] for r in document["live"]]


def test_formula_like_names_are_defused(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit("root")
    b.branch("=HYPERLINK(evil)")
    b.commit("x", branch="=HYPERLINK(evil)")
    b.branch("-plain-dash")
    b.commit("y", branch="-plain-dash")
    code, out, err = run("scan", str(repo_path), "--no-cache", "--no-history", "--format", "csv", "--table", "live")
    assert code == 0, err
    names = {r["branch"] for r in rows_of(out)}
    assert names == {"'=HYPERLINK(evil)", "'-plain-dash"}


def test_progress_trend_as_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    team = evolving.Team(tmp_path / "repo")
    history = tmp_path / "history"
    for phase in ("A", "B"):
        team.phase(phase)
        weekly_scan(monkeypatch, team.b.path, history, evolving.SCANS[phase])
    code, out, err = run("progress", str(team.b.path), "--history-dir", str(history), "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == ",".join(csvout.TREND_COLUMNS)
    rows = rows_of(out)
    code, out, _ = run("progress", str(team.b.path), "--history-dir", str(history), "--format", "json")
    trend = json.loads(out)["trend"]
    assert [r["trunk_tip"] for r in rows] == [p["trunk_tip"] for p in trend]
    assert [r["model"] for r in rows] == ["gitflow", "trunk-based"]
    lifetime = [float(r["branch_lifetime_p50_hours"]) for r in rows]
    assert lifetime == [p["measures"]["branch_lifetime_p50_hours"] for p in trend]
    target = tmp_path / "trend.csv"
    code, _, _ = run("progress", str(team.b.path), "--history-dir", str(history), "--format", "csv", "--out",
                     str(target))
    assert code == 0 and rows_of(target.read_text()) == rows


def test_every_csv_column_is_documented() -> None:
    docs = (ROOT / "docs" / "scan.md").read_text() + (ROOT / "docs" / "progress.md").read_text()
    for column in (*csvout.EPISODE_COLUMNS, *csvout.LIVE_COLUMNS, *csvout.RELEASE_COLUMNS, *csvout.TREND_COLUMNS[:7]):
        assert f"`{column}`" in docs, column
