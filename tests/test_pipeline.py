"""The stages run in order, and a re-scan with nothing new reuses the cached work."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from advisor import gitread, pipeline
from advisor.history import HistoryOptions
from tests import scenarios
from tests.builders import RepoBuilder

NOW = datetime(2024, 3, 1, tzinfo=timezone.utc)


def request(path: Path, cache: Path | None) -> pipeline.ScanRequest:
    return pipeline.ScanRequest(path=path, now=NOW, options=HistoryOptions(), cache_dir=cache,
                                since=datetime(2023, 1, 1, tzinfo=timezone.utc))


def test_rescan_with_nothing_new_reads_no_history(repo_path: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    scenarios.github_flow(repo_path)
    first = pipeline.run_scan(request(repo_path, tmp_path / "cache"))

    def no_reading(*_: object, **__: object) -> None:
        raise AssertionError("the graph was read again")

    monkeypatch.setattr(gitread, "load", no_reading)
    monkeypatch.setattr(gitread, "line_stats", no_reading)
    second = pipeline.run_scan(request(repo_path, tmp_path / "cache"))
    assert second == first


def test_a_new_commit_invalidates_the_cache(repo_path: Path, tmp_path: Path) -> None:
    scenarios.github_flow(repo_path)
    first = pipeline.run_scan(request(repo_path, tmp_path / "cache"))
    RepoBuilder(repo_path).commit(at=1000)
    second = pipeline.run_scan(request(repo_path, tmp_path / "cache"))
    assert second.repo.commits == first.repo.commits + 1


def test_line_counts_reach_the_summary(repo_path: Path) -> None:
    scenarios.github_flow(repo_path)
    result = pipeline.run_scan(request(repo_path, None))
    assert result.summary.size_lines.count == 8
    assert result.summary.size_lines.p50 == 3  # three one-line files per branch
    assert all(lines.added == 3 for key, lines in result.lines.items()
               if key in {e.id for e in result.history.episodes if e.method.value == "merge"})
