"""The stages run in order, and a re-scan with nothing new reuses the cached work."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import asof, gitread, pipeline, scan, trialmerge
from advisor.errors import BadOption
from advisor.history import HistoryOptions
from advisor.model import CommitGraph, aware
from advisor.report import jsonout
from tests import scenarios
from tests.builders import START, RepoBuilder
from tests.test_asof import random_history, truncated_copy

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


# ---------------------------------------------------------------------------
# Scanning the past: --as-of and backfill


SCENARIOS = {
    "gitflow": scenarios.gitflow, "github_flow": scenarios.github_flow, "trunk_squash": scenarios.trunk_squash,
    "trunk_rebase": scenarios.trunk_rebase, "trunk_direct": scenarios.trunk_direct,
    "release_branching": scenarios.release_branching, "environment_branches": scenarios.environment_branches,
}


def comparable(result: scan.Scan) -> dict[str, Any]:
    """A scan's JSON document without what legitimately differs between a repository and
    its truncated mirror (where it lives, whether it is bare), plus every episode's commits."""
    document = json.loads(jsonout.scan_json(result))
    del document["repo"]["path"], document["repo"]["bare"]
    document["episode_commits"] = {e.id: sorted(e.commits) for e in result.history.episodes}
    return document


def past_request(path: Path, now: datetime, as_of: datetime | None, **extra: Any) -> pipeline.ScanRequest:
    return pipeline.ScanRequest(path=path, now=now, options=HistoryOptions(), as_of=as_of, merge_check_seconds=0,
                                **extra)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, datetime, datetime]]:
    """Each scenario built once: (path, first commit, last commit)."""
    repos = {}
    for name, simulate in SCENARIOS.items():
        path = tmp_path_factory.mktemp("scenarios") / name
        simulate(path)
        graph = gitread.load(path)
        repos[name] = (path, aware(min(graph.commit_time), 0), aware(max(graph.commit_time), 0))
    return repos


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_scan_as_of_a_date_equals_a_scan_of_the_repository_cut_at_that_date(
        built: dict[str, tuple[Path, datetime, datetime]], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if data.draw(st.booleans(), label="random history"):
            seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
            moments = random_history(root / "repo", seed)
            path, first, last = root / "repo", START, moments[-1]  # the root commit is at START
        else:
            path, first, last = built[data.draw(st.sampled_from(sorted(SCENARIOS)), label="scenario")]
        share = data.draw(st.floats(0.02, 1.0), label="share of the history")
        date = first + (last - first + timedelta(hours=1)) * share
        copy = truncated_copy(path, date, root / "copy.git")
        past = pipeline.run_scan(past_request(path, NOW, date))
        expected = pipeline.run_scan(past_request(copy, date, None))
        assert comparable(past) == comparable(expected)
        assert past.scanned_at == date and past.window.until == date


def test_backfill_reads_the_history_once_and_equals_scans_as_of_each_date(
        built: dict[str, tuple[Path, datetime, datetime]], monkeypatch: pytest.MonkeyPatch) -> None:
    path, first, last = built["gitflow"]
    dates = [first + (last - first) * k / 6 for k in range(1, 7)]
    separate = [pipeline.run_scan(past_request(path, NOW, date)) for date in dates]
    loads, counted = [], []
    real_load, real_stats = gitread.load, gitread.line_stats

    def counting_load(*args: Any, **kwargs: Any) -> CommitGraph:
        loads.append(args)
        return real_load(*args, **kwargs)

    def counting_stats(git_dir: Path, shas: Sequence[str], workers: int = 2) -> dict[str, tuple[int, int]]:
        counted.extend(shas)
        return real_stats(git_dir, shas, workers)

    monkeypatch.setattr(gitread, "load", counting_load)
    monkeypatch.setattr(gitread, "line_stats", counting_stats)
    together = list(pipeline.backfill(past_request(path, NOW, None), dates))
    assert len(loads) == 1
    assert len(counted) == len(set(counted))  # no commit's lines are counted twice
    assert [comparable(s) for s in together] == [comparable(s) for s in separate]
    assert [s.scanned_at for s in together] == dates
    assert together[0].repo.commits < together[-1].repo.commits


def test_backfill_uses_and_fills_the_line_cache(built: dict[str, tuple[Path, datetime, datetime]],
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, first, last = built["github_flow"]
    dates = asof.dates_between(first, last, "week")
    request = past_request(path, NOW, None, cache_dir=tmp_path / "cache")
    first_run = list(pipeline.backfill(request, dates))

    def no_counting(*_: object, **__: object) -> None:
        raise AssertionError("lines were counted again")

    monkeypatch.setattr(gitread, "line_stats", no_counting)
    assert list(pipeline.backfill(request, dates)) == first_run


def test_the_history_cache_is_keyed_by_the_date(built: dict[str, tuple[Path, datetime, datetime]],
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, first, last = built["github_flow"]
    early, late = first + (last - first) / 3, last
    cache = tmp_path / "cache"
    at_early = pipeline.run_scan(past_request(path, NOW, early, cache_dir=cache))
    at_late = pipeline.run_scan(past_request(path, NOW, late, cache_dir=cache))
    now = pipeline.run_scan(past_request(path, NOW, None, cache_dir=cache))
    assert at_early.repo.commits < at_late.repo.commits == now.repo.commits
    assert at_early.history.episodes != at_late.history.episodes

    def no_reading(*_: object, **__: object) -> None:
        raise AssertionError("the graph was read again")

    assert pipeline.run_scan(past_request(path, NOW, early, cache_dir=cache)) == at_early  # the cache holds one
    monkeypatch.setattr(gitread, "load", no_reading)
    assert pipeline.run_scan(past_request(path, NOW, early, cache_dir=cache)) == at_early
    # ... and a scan of the past does not evict today's history: both come from the cache now.
    assert pipeline.run_scan(past_request(path, NOW, None, cache_dir=cache)) == now


def test_a_date_before_the_first_commit_is_one_sentence(built: dict[str, tuple[Path, datetime, datetime]]) -> None:
    path, first, _ = built["trunk_direct"]
    with pytest.raises(BadOption, match="no commits yet on 2023-12-31.*first commit is dated 2024-01-01 09:00"):
        pipeline.run_scan(past_request(path, NOW, first - timedelta(days=1)))
    with pytest.raises(BadOption):
        list(pipeline.backfill(past_request(path, NOW, None), [first - timedelta(days=1)]))


def test_the_window_never_reaches_past_the_date(built: dict[str, tuple[Path, datetime, datetime]]) -> None:
    path, first, last = built["trunk_direct"]
    middle = first + (last - first) / 2
    result = pipeline.run_scan(past_request(path, NOW, middle, until=NOW, since=first))
    assert result.window.until == middle and result.window.since == first
    assert result.metrics == pipeline.run_scan(past_request(path, NOW, middle, since=first)).metrics


def test_a_dormant_repository_is_measured_over_its_last_active_year(repo_path: Path) -> None:
    # GitHub flow over twelve days of January 2024 (the last merge at 2024-01-12 16:00 UTC), scanned
    # two years later with the default window, which alone would hold nothing.
    scenarios.github_flow(repo_path)
    later = datetime(2026, 1, 5, tzinfo=timezone.utc)
    result = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=later, options=HistoryOptions(),
                                                    merge_check_seconds=0))
    assert result.window == scan.Window(since=datetime(2023, 1, 13, tzinfo=timezone.utc),
                                        until=datetime(2024, 1, 13, tzinfo=timezone.utc))
    assert result.dormant is not None
    assert (result.dormant.line, result.dormant.idle_days) == ("main", 723)
    assert result.metrics.integration.integrations == 9  # the first commit and eight merged pull requests
    assert result.verdict.model == "github-flow"
    assert result.scanned_at == later and result.measured_at == result.window.until
    explicit = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=later, options=HistoryOptions(),
                                                      merge_check_seconds=0, until=later))
    assert explicit.dormant is None and explicit.metrics.integration.integrations == 0
    past = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=later, options=HistoryOptions(), as_of=later))
    assert past.dormant is None and past.window.until == later


def test_a_year_old_mirror_with_a_trickle_in_the_window_is_measured_over_its_last_active_year(
        repo_path: Path) -> None:
    # GitHub flow whose last merge is 2024-01-12 16:00 UTC, scanned 361 days later: the default
    # window (from 2024-01-09) holds only the last 3 integrations, too few for a verdict, and
    # nothing in the last 90 days, so it ends at the newest commit as for a dormant repository.
    scenarios.github_flow(repo_path)
    later = datetime(2025, 1, 8, tzinfo=timezone.utc)
    thin = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=later, options=HistoryOptions(),
                                                  merge_check_seconds=0, until=later))
    assert thin.dormant is None and thin.metrics.integration.integrations == 3 and thin.verdict.model == "unknown"
    result = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=later, options=HistoryOptions(),
                                                    merge_check_seconds=0))
    assert result.window == scan.Window(since=datetime(2023, 1, 13, tzinfo=timezone.utc),
                                        until=datetime(2024, 1, 13, tzinfo=timezone.utc))
    assert result.dormant is not None and (result.dormant.line, result.dormant.idle_days) == ("main", 361)
    assert result.dormant.note == ("only 3 integrations in the last 365 days and no commit in the last 90; the newest "
                                   "is 2024-01-12 (on main, 361 days ago): measuring the year before it; "
                                   "pass --until to choose")
    assert result.metrics.integration.integrations == 9 and result.verdict.model == "github-flow"
    # Scanned while the last merge is under 90 days old, the default window is kept.
    recent = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=datetime(2024, 4, 1, tzinfo=timezone.utc),
                                                    options=HistoryOptions(), merge_check_seconds=0))
    assert recent.dormant is None and recent.window == scan.default_window(datetime(2024, 4, 1, tzinfo=timezone.utc))


def cli_run(*args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from advisor import cli
    result = CliRunner().invoke(cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_only_real_branches_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A mirror (bare) with a leftover remote-tracking ref and a docs line with a root of its own.
    path = tmp_path / "mirror.git"
    b = RepoBuilder(path, bare=True)
    b.commit(at=0)
    b.branch("idea", "main")
    idea = b.commit(branch="idea", at=1)
    b.commit(at=2)
    b.set_ref("refs/remotes/origin/old-topic", idea)  # pushed to the host by a mirror of a clone, long ago
    b.commit("site", branch="gh-pages", at=3)  # no parent: shares no history with main
    result = pipeline.run_scan(pipeline.ScanRequest(path=path, now=scenarios.at(24 * 200), options=HistoryOptions(),
                                                    merge_check_seconds=0))
    assert [(r.ref, r.reason) for r in result.left_out] == [
        ("refs/remotes/origin/old-topic", scan.REMOTE_IN_BARE),
        ("refs/heads/gh-pages", "shares no history with main (its own root commit)"),
    ]
    assert [b.name for b in result.history.live_branches] == ["idea"]
    assert result.metrics.wip.open_branches == 1 and result.repo.branches == 3  # main, idea, gh-pages
    code, out, err = cli_run("scan", str(path), "--no-cache", "--merge-check-seconds", "0", "--no-history",
                             "--since", "2023-06-01")
    assert code == 0, err
    assert ("  Not named as branches (2): refs/remotes/origin/old-topic (a remote-tracking ref kept in a bare "
            "repository or mirror: no branch of that name exists on the host); refs/heads/gh-pages (shares no "
            "history with main (its own root commit))\n") in out
    assert "gh-pages" not in out.split("Not named as branches")[0] and "old-topic" not in out.split("Not named")[0]
    code, out, err = cli_run("scan", str(path), "--no-cache", "--merge-check-seconds", "0", "--no-history",
                             "--since", "2023-06-01", "--format", "json")
    assert [r["ref"] for r in json.loads(out)["left_out"]] == ["refs/remotes/origin/old-topic", "refs/heads/gh-pages"]
    tried: list[str] = []
    real = trialmerge.trial_merges
    monkeypatch.setattr(trialmerge, "trial_merges", lambda git_dir, tip, candidates, seconds: (
        tried.extend(name for name, *_ in candidates), real(git_dir, tip, candidates, seconds))[1])
    with_merges = pipeline.run_scan(pipeline.ScanRequest(path=path, now=scenarios.at(24 * 200),
                                                         options=HistoryOptions()))
    assert tried == ["idea"]  # gh-pages is left out of the report, so its trial merge would be shown nowhere
    assert [r.merge is not None and r.merge.clean for r in with_merges.live] == [True]


def test_a_clone_names_origin_branches_and_leaves_other_remotes_out() -> None:
    from advisor.model import Ref, RefKind
    refs = (Ref(name="refs/heads/main", kind=RefKind.LOCAL, short="main", target=0),
            Ref(name="refs/remotes/origin/topic", kind=RefKind.REMOTE, short="topic", target=1, remote="origin"),
            Ref(name="refs/remotes/fork/wip", kind=RefKind.REMOTE, short="wip", target=2, remote="fork"))
    kept, left = scan.host_branch_refs(refs, bare=False)
    assert [r.short for r in kept] == ["main", "topic"]
    assert [(r.ref, r.reason) for r in left] == [("refs/remotes/fork/wip", scan.OTHER_REMOTE)]
    assert scan.host_branch_refs(refs[2:], bare=False) == (refs[2:], ())  # no origin: the remote there is


def test_the_long_release_trend_warns_of_the_death_spiral(tmp_path: Path) -> None:
    # 30 releases over 2019-2024: 10, 8, 4, 3, 3, 2 a year, each shipping more commits (2, 2, 4, 6, 6, 8).
    b = RepoBuilder(tmp_path / "repo")
    b.commit(at=datetime(2018, 12, 1, tzinfo=timezone.utc))
    plan = {2019: (10, 2), 2020: (8, 2), 2021: (4, 4), 2022: (3, 6), 2023: (3, 6), 2024: (2, 8)}
    number = 0
    for year, (count, size) in plan.items():
        for i in range(count):
            day = datetime(year, 1, 10, tzinfo=timezone.utc) + timedelta(days=i * (340 // count))
            for c in range(size):
                b.commit(at=day + timedelta(hours=c))
            number += 1
            b.tag(f"v1.{number}.0", annotated=True, at=day + timedelta(hours=size))
    result = pipeline.run_scan(pipeline.ScanRequest(path=tmp_path / "repo", now=datetime(2025, 3, 1, tzinfo=timezone.utc),
                                                    options=HistoryOptions(), merge_check_seconds=0))
    years = result.metrics.release_years
    assert [(y.year, y.releases) for y in years] == [(2019, 10), (2020, 8), (2021, 4), (2022, 3), (2023, 3),
                                                     (2024, 2), (2025, 0)]
    assert [y.size_commits_p50 for y in years[1:6]] == [2, 4, 6, 6, 8]
    spiral = result.metrics.death_spiral
    assert spiral.warning and spiral.long_trend
    assert spiral.reason == ("releases per year 10 -> 8 -> 4 -> 3 -> 3 -> 2 (2019-2024, all time), median release "
                             "2 -> 6 commits (earlier half of those years -> later half)")
    assert result.metrics.releases.count == 1  # the window (2024-03-01 to 2025-03-01) alone holds one release
    code, out, err = cli_run("scan", str(tmp_path / "repo"), "--no-cache", "--no-history", "--merge-check-seconds",
                             "0", "--until", "2025-03-01")
    assert code == 0, err
    assert "  final releases per year (all time): 2019 10, 2020 8, 2021 4, 2022 3, 2023 3, 2024 2, 2025 0\n" in out
    assert "  Death-spiral warning: releases per year 10 -> 8 -> 4 -> 3 -> 3 -> 2 (2019-2024, all time)" in out


def test_a_cached_history_is_trusted_only_in_time_order_of_instants(repo_path: Path) -> None:
    """The window's bisections need episodes in (merged_at, id) order: instants, whatever their zones."""
    import dataclasses

    from advisor import history

    scenarios.gitflow(repo_path)
    reconstructed = history.reconstruct(gitread.load(repo_path), HistoryOptions(), datetime(2025, 6, 1, tzinfo=timezone.utc))
    assert pipeline._in_time_order(reconstructed)
    episodes = reconstructed.episodes
    assert not pipeline._in_time_order(dataclasses.replace(reconstructed, episodes=episodes[::-1]))
    # The same instant written in two zones, ids in order: in order. A later id first at that instant: not.
    first, second = sorted(episodes[:2], key=lambda e: e.id)
    at = first.merged_at
    east = at.astimezone(timezone(timedelta(hours=9)))
    same_instant = (dataclasses.replace(first, merged_at=east), dataclasses.replace(second, merged_at=at))
    assert pipeline._in_time_order(dataclasses.replace(reconstructed, episodes=same_instant))
    assert not pipeline._in_time_order(dataclasses.replace(reconstructed, episodes=same_instant[::-1]))
