"""Every metric on hand-built records with known answers, plus invariants on simulated and random histories."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import metrics, pipeline
from advisor.history import HistoryOptions
from advisor.model import (
    Anomalies,
    Episode,
    EpisodeKind,
    EpisodeLines,
    History,
    LiveBranch,
    MergeMethod,
    NameOrigin,
    Release,
    Revert,
    Trunk,
    TrunkRule,
    Window,
)
from tests import scenarios
from tests.builders import RepoBuilder

T0 = datetime(2025, 1, 6, tzinfo=timezone.utc)  # a Monday
WINDOW = Window(since=T0, until=T0 + timedelta(days=28))
NOW = WINDOW.until


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def episode(ident: str, *, first: float, last: float, merged: float, reached: float | None = None,
            released: float | None = None, release: str | None = None, target: str = "main",
            kind: EpisodeKind = EpisodeKind.FEATURE, commits: int = 2, behind: int | None = 0) -> Episode:
    return Episode(
        id=ident, target=target, source=ident, name_origin=NameOrigin.MERGE_SUBJECT, pr=None, host="git",
        method=MergeMethod.DIRECT if kind is EpisodeKind.DIRECT else MergeMethod.MERGE, kind=kind,
        commits=tuple(f"{ident}-{i}" for i in range(commits)), sync_merges=0, authors=("Alice",), author="Alice", fork_point=None,
        forked_from=None, first_commit_at=at(first), last_commit_at=at(last), merged_at=at(merged), behind=behind,
        deleted=True, bot=False, clock_skew=False, exact_lifetime=True,
        reached_trunk_at=at(reached if reached is not None else merged) if target == "main" or reached else None,
        released_at=at(released) if released is not None else None, release=release,
    )


def release(tag: str, hours: float, shipped: int, version: tuple[int, ...]) -> Release:
    return Release(tag=tag, commit="c" * 40, at=at(hours), line="main", branch=None, version=version,
                   prerelease=False, annotated=True, new_commits=shipped, shipped=shipped)


def history(episodes: list[Episode], releases: list[Release] = (), reverts: int = 0,  # type: ignore[assignment]
            live: tuple[LiveBranch, ...] = ()) -> History:
    return History(
        trunk=Trunk(name="main", ref="refs/heads/main", rule=TrunkRule.HEAD, tip="f" * 40), long_lived=(),
        episodes=tuple(sorted(episodes, key=lambda e: (e.merged_at, e.id))), line_merges=(), cherry_picks=(),
        reverts=tuple(Revert(commit=f"r{i}", reverted="x", line="main", at=at(10 + i), reverted_found=True)
                      for i in range(reverts)),
        releases=tuple(releases), live_branches=live,
        anomalies=Anomalies(committer_before_author=0, commit_before_parent=0, future_dated=0, epoch_dated=0,
                            missing_parents=0),
        commit_count=100, trunk_commits=50, unreleased_trunk_commits=7,
    )


def test_lead_time_stages_and_the_constraint() -> None:
    h = history([
        # coding 10 h, waiting for merge 2 h, waiting in develop 20 h, waiting for release 40 h
        episode("a", first=0, last=10, merged=12, reached=32, released=72, release="v1.1", target="develop"),
        # coding 4 h, waiting for merge 4 h, on the trunk directly, released 100 h later
        episode("b", first=100, last=104, merged=108, released=208, release="v1.2"),
    ], [release("v1.0", 1, 50, (1, 0)), release("v1.1", 72, 5, (1, 1)), release("v1.2", 208, 3, (1, 2))])
    lead = metrics.lead_time(h, WINDOW)
    stages = {s.name: s for s in lead.stages}
    assert stages["coding"].total_hours == 14
    assert stages["waiting for merge"].total_hours == 6
    assert stages["waiting in an integration branch"].total_hours == 20
    assert stages["waiting for release"].total_hours == 140
    assert lead.constraint == "waiting for release"
    assert stages["waiting for release"].share == pytest.approx(140 / 180)
    assert lead.to_release_hours.p50 == 72 and lead.to_release_hours.max == 108
    assert lead.to_trunk_hours.p50 == 8 and lead.to_trunk_hours.max == 32
    assert lead.tier == "high"  # median 72 h: between a day and a week
    assert "The constraint is waiting for release: 78%" in lead.constraint_sentence


def test_release_frequency_size_and_tier() -> None:
    h = history([episode("a", first=0, last=1, merged=2, released=30, release="v1.1")],
                [release("v1.0", 5, 80, (1, 0)), release("v1.1", 30, 6, (1, 1)), release("v1.2", 30 + 24 * 5, 4, (1, 2)),
                 release("v1.3", 30 + 24 * 12, 2, (1, 3))])
    result = metrics.release_metrics(h, WINDOW, {"a": EpisodeLines(added=10, deleted=2)})
    assert result.count == 4 and result.source == "tags"
    assert result.per_week == pytest.approx(4 / ((28 * 24 - 2) / (7 * 24)))  # from the first change on
    assert result.interval_days.p50 == pytest.approx(5)
    assert result.size_commits.count == 3  # the first release ever is left out
    assert result.size_commits.p50 == 4
    assert result.size_changes.max == 1 and result.size_lines.p50 == 12
    assert result.tier == "high"


def test_release_tiers() -> None:
    assert [metrics.deploy_frequency_tier(d) for d in (0.5, 3, 20, 90, None)] == [
        "elite", "high", "medium", "low", None]
    assert [metrics.lead_time_tier(h) for h in (2, 30, 24 * 10, 24 * 40)] == ["elite", "high", "medium", "low"]
    assert [metrics.change_failure_tier(r) for r in (0.05, 0.1, 0.15, 0.5)] == ["elite", "high", "medium", "low"]
    assert [metrics.restore_tier(h) for h in (0.5, 5, 50, 500)] == ["elite", "high", "medium", "low"]


def test_failure_proxies() -> None:
    h = history([episode("hf", first=40, last=41, merged=42, kind=EpisodeKind.HOTFIX)],
                [release("v1.0", 1, 10, (1, 0, 0)), release("v1.1.0", 24, 5, (1, 1, 0)),
                 release("v1.1.1", 30, 1, (1, 1, 1)), release("v1.2.0", 300, 5, (1, 2, 0))], reverts=2)
    result = metrics.failures(h, WINDOW)
    assert result.reverts == 2 and result.hotfixes == 1 and result.quick_patch_releases == 1
    # v1.1.0 was patched 6 h later; the hotfix at 42 h fixes the latest release before it, v1.1.1
    assert result.change_failure_rate == pytest.approx(2 / 4)
    assert (result.restore_hours.count, result.restore_hours.max) == (2, 12)


def test_integration_frequency_counts_working_days() -> None:
    h = history([episode(str(i), first=24 * i, last=24 * i + 2, merged=24 * i + 3) for i in range(20)]
                + [episode("long", first=0, last=40, merged=50)])
    result = metrics.integration(h, WINDOW, {})
    assert result.integrations == 21
    assert result.per_working_day == pytest.approx(21 / 20)
    assert result.merged_within_a_day == pytest.approx(20 / 21)
    assert result.lifetime_hours.max == 50


def test_work_in_progress() -> None:
    live = (
        LiveBranch(name="a", ref="refs/heads/a", tip="a" * 40, ahead=3, behind=1, forked_at=at(0),
                   last_commit_at=NOW - timedelta(days=1), authors=("A",), merged=False, pr=None),
        LiveBranch(name="old", ref="refs/heads/old", tip="b" * 40, ahead=9, behind=100, forked_at=at(0),
                   last_commit_at=NOW - timedelta(days=200), authors=("A",), merged=False, pr=None),
        LiveBranch(name="develop", ref="refs/heads/develop", tip="c" * 40, ahead=12, behind=0, forked_at=at(0),
                   last_commit_at=NOW, authors=("A",), merged=False, pr=None, long_lived=True),
    )
    overlapping = [episode("x", first=0, last=5, merged=10), episode("y", first=2, last=6, merged=12)]
    result = metrics.work_in_progress(history(overlapping, live=live), WINDOW, NOW, 90)
    assert (result.open_branches, result.active_branches, result.stale_branches) == (2, 1, 1)
    assert result.unmerged_commits == 3 and result.integration_line_commits == 12
    assert result.unreleased_trunk_commits == 7
    assert result.authors_juggling == 1 and result.parallel_branches_per_author.max == 2


def test_freeze_is_a_dip_before_releases() -> None:
    busy = [episode(f"e{i}", first=i * 6, last=i * 6, merged=i * 6 + 1) for i in range(100)]
    quiet_before = [e for e in busy if not any(0 <= (r - e.merged_at).total_seconds() < 7 * 86_400
                                               for r in (at(24 * 14), at(24 * 21), at(24 * 27)))]
    releases = [release("v1", 24 * 14, 5, (1,)), release("v2", 24 * 21, 5, (2,)), release("v3", 24 * 27, 5, (3,))]
    assert metrics.freeze(history(quiet_before, releases), WINDOW).suspected
    assert not metrics.freeze(history(busy, releases), WINDOW).suspected


def test_months_cover_the_window() -> None:
    window = Window(since=datetime(2024, 11, 15, tzinfo=timezone.utc), until=datetime(2025, 2, 1, tzinfo=timezone.utc))
    assert metrics.months_of(window) == ["2024-11", "2024-12", "2025-01"]


def test_death_spiral_needs_growth_in_all_three() -> None:
    window = Window(since=T0, until=T0 + timedelta(days=60))
    days = [2, 4, 6, 8, 10, 32, 40, 48, 56]
    releases = [release("v0", -24, 10, (0,))] + [
        release(f"v{n}", 24 * day, 5 if day < 30 else 40, (n + 1,)) for n, day in enumerate(days)]
    calm = history([], releases)
    assert not metrics.death_spiral(calm, window).warning  # bigger and slower, but no failure signals
    stormy = history([episode("hf", first=24 * 50, last=24 * 50, merged=24 * 50 + 1, kind=EpisodeKind.HOTFIX)],
                     releases)
    result = metrics.death_spiral(stormy, window)
    assert result.warning, result.reason
    assert "release interval 2 -> 8 days, size 5 -> 40 commits, failure signals 0 -> 1" in result.reason


@pytest.mark.parametrize("simulate", [scenarios.gitflow, scenarios.github_flow, scenarios.trunk_squash,
                                      scenarios.release_branching])
def test_no_negative_durations_and_every_change_counted_once(simulate: object, repo_path: Path) -> None:
    simulate(repo_path)  # type: ignore[operator]
    result = pipeline.run_scan(pipeline.ScanRequest(
        path=repo_path, now=datetime(2024, 6, 1, tzinfo=timezone.utc), options=HistoryOptions(),
        since=datetime(2023, 6, 1, tzinfo=timezone.utc)))
    m = result.metrics
    for stage in m.lead_time.stages:
        assert stage.total_hours >= 0 and (stage.hours.count == 0 or stage.hours.p50 >= 0)  # type: ignore[operator]
    counted = metrics.changes(result.history, result.window)
    assert len({e.id for e in counted}) == len(counted) == m.integration.integrations
    commits = [sha for e in result.history.episodes for sha in e.commits]
    assert len(commits) == len(set(commits))  # no commit belongs to two episodes


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["commit", "branch", "merge", "squash"]), st.integers(1, 48)),
                min_size=1, max_size=25))
def test_random_histories_keep_the_invariants(tmp_path_factory: pytest.TempPathFactory,
                                              steps: list[tuple[str, int]]) -> None:
    path = tmp_path_factory.mktemp("random")
    b = RepoBuilder(path)
    b.commit(at=0)
    hour, open_branches = 1.0, []
    for number, (action, gap) in enumerate(steps):
        hour += gap
        if action == "branch" or not open_branches and action in ("merge", "squash"):
            name = f"b{number}"
            b.branch(name)
            b.commit(branch=name, at=hour)
            open_branches.append(name)
        elif action in ("merge", "squash"):
            name = open_branches.pop(0)
            b.commit(branch=name, at=hour - gap / 2)
            b.merge(name, method="merge" if action == "merge" else "squash", at=hour, delete=True,
                    message=None if action == "merge" else f"{name} (#{number + 1})")
        else:
            b.commit(at=hour)
    result = pipeline.run_scan(pipeline.ScanRequest(
        path=path, now=scenarios.START + timedelta(days=60), options=HistoryOptions(),
        since=scenarios.START - timedelta(days=1)))
    for e in result.history.episodes:
        assert e.lifetime_seconds is None or e.lifetime_seconds >= 0
        assert e.first_commit_at <= e.merged_at
    commits = [sha for e in result.history.episodes for sha in e.commits]
    assert len(commits) == len(set(commits))
    trunk_commits = {sha for e in result.history.episodes for sha in e.commits}
    assert len(trunk_commits) <= result.repo.commits
    assert all(s.total_hours >= 0 for s in result.metrics.lead_time.stages)


@pytest.mark.parametrize(("pull_refs", "dated", "unknown", "within", "lead_changes"), [
    (False, 0, 10, None, 1),  # a plain clone: ten squash merges git cannot date, one direct commit
    (True, 10, 0, 1.0, 11),  # a mirror with refs/pull/*: each PR lived 3 hours
])
def test_squash_merges_without_pull_request_refs_are_left_out_not_zero(
        pull_refs: bool, dated: int, unknown: int, within: float | None, lead_changes: int, repo_path: Path) -> None:
    scenarios.trunk_squash(repo_path, pull_refs=pull_refs)
    result = pipeline.run_scan(pipeline.ScanRequest(
        path=repo_path, now=datetime(2024, 6, 1, tzinfo=timezone.utc), options=HistoryOptions(),
        since=datetime(2023, 6, 1, tzinfo=timezone.utc)))
    flow, lead = result.metrics.integration, result.metrics.lead_time
    assert flow.integrations == 11
    assert (flow.lifetime_hours.count, flow.lifetime_unknown, flow.merged_within_a_day) == (dated, unknown, within)
    assert (lead.changes, lead.unknown_start) == (lead_changes, unknown)
    assert lead.tier == (None if unknown else "elite")  # one direct commit is no sample of ten squashes
    assert flow.lifetime_hours.p50 == (3.0 if pull_refs else None)
    assert (result.summary.lifetime_unknown, result.summary.squashes_from_pull_refs) == (unknown, dated)


def test_no_constraint_when_no_stage_holds_a_measurable_wait() -> None:
    # Three direct commits, one committed five hours after it was written (an amend): 5 change-hours
    # "waiting for merge", but the median change waited 0 h in every stage, and nothing was released.
    h = history([episode(f"d{i}", first=10 * i, last=10 * i, merged=10 * i + (5 if i == 1 else 0), commits=1,
                         kind=EpisodeKind.DIRECT) for i in range(3)])
    lead = metrics.lead_time(h, WINDOW)
    assert {s.name: s.total_hours for s in lead.stages}["waiting for merge"] == 5
    assert lead.constraint is None
    assert lead.constraint_sentence == (
        "No stage holds measurable waiting time: changes land directly and no release was tagged "
        "(no stage's median reaches 0.1 h per change, over 3 changes).")


def test_direct_commits_on_a_real_trunk_have_no_constraint(tmp_path: Path) -> None:
    scenarios.trunk_direct(tmp_path / "repo")
    result = pipeline.run_scan(pipeline.ScanRequest(path=tmp_path / "repo", now=scenarios.at(24 * 30),
                                                    options=HistoryOptions(), merge_check_seconds=0))
    assert result.metrics.lead_time.changes == 12 and result.metrics.lead_time.constraint is None
    assert result.metrics.lead_time.constraint_sentence.startswith(
        "No stage holds measurable waiting time: changes land directly and no release was tagged")


def test_a_hotfix_fails_the_release_before_it_however_late_and_whatever_tag_follows() -> None:
    releases = [release("2024.1", 0, 10, (2024, 1)), release("2024.2", 24 * 20, 8, (2024, 2)),
                release("2024.3", 24 * 27, 6, (2024, 3))]
    h = history([
        episode("late", first=24 * 10, last=24 * 10, merged=24 * 10 + 4, kind=EpisodeKind.HOTFIX, target="main"),
        episode("off-line", first=24 * 21, last=24 * 21, merged=24 * 21 + 1, kind=EpisodeKind.HOTFIX,
                target="develop", reached=24 * 21 + 1),  # merged into develop only: not into production
    ], releases)
    result = metrics.failures(h, WINDOW)
    assert result.hotfixes == 2 and result.quick_patch_releases == 0
    assert result.change_failure_rate == pytest.approx(1 / 3)  # 2024.1, fixed 10 days later, untagged
    assert (result.restore_hours.count, result.restore_hours.p50) == (1, 24 * 10 + 4)


def test_late_hotfixes_in_a_gitflow_history(tmp_path: Path) -> None:
    scenarios.gitflow_late_hotfixes(tmp_path / "repo")
    result = pipeline.run_scan(pipeline.ScanRequest(path=tmp_path / "repo", now=scenarios.at(24 * 100),
                                                    options=HistoryOptions(), merge_check_seconds=0))
    failures = result.metrics.failures
    assert failures.hotfixes == 2 and failures.hotfixes_unnamed == 0 and result.metrics.releases.count == 5
    assert failures.change_failure_rate == pytest.approx(2 / 5)  # 2024.1 (never re-tagged) and 2024.3
    # each hotfix merged 10 days 4 h after its release's tag (at hour + 48.5)
    assert failures.restore_hours.count == 2 and failures.restore_hours.p50 == pytest.approx(24 * 10 + 4)


def test_work_merged_straight_into_the_production_line_is_a_hotfix(tmp_path: Path) -> None:
    # Gitflow beside develop: a branch named fix-login merged into master (not through develop)
    # three days after 2024.4 is a hotfix of 2024.4, whatever its name.
    path = tmp_path / "repo"
    scenarios.gitflow_late_hotfixes(path)
    b = RepoBuilder(path, trunk="master")
    last = scenarios.at(2 + 3 * 21 * 24 + 24 + 48.5)  # 2024.4's tag
    b.branch("fix-login", "master")
    b.commit(branch="fix-login", at=last + timedelta(days=3))
    b.merge("fix-login", "master", message="Merge branch 'fix-login'", at=last + timedelta(days=3, hours=2))
    result = pipeline.run_scan(pipeline.ScanRequest(path=path, now=scenarios.at(24 * 100), options=HistoryOptions(),
                                                    merge_check_seconds=0))
    assert metrics.integration_line(result.history, result.window) == "develop"
    failures = result.metrics.failures
    assert (failures.hotfixes, failures.hotfixes_unnamed) == (3, 1)
    assert failures.change_failure_rate == pytest.approx(3 / 5)
    # restored 244 h after 2024.1 and 2024.3 (the named hotfixes), 74 h after 2024.4 (fix-login)
    assert (failures.restore_hours.count, failures.restore_hours.p50) == (3, pytest.approx(24 * 10 + 4))
    assert failures.restore_hours.max == pytest.approx(24 * 10 + 4)
    assert metrics.hotfix_failures(result.history, metrics.final_releases(result.history), [
        e for e in result.history.episodes if e.source == "fix-login"]) == {"2024.4": last + timedelta(days=3, hours=2)}


def test_work_branches_are_measured_apart_from_release_and_hotfix_branches(tmp_path: Path) -> None:
    # gitflow_late_hotfixes: 8 work branches of 10 h into develop; 4 release branches of 48 h and
    # 2 hotfixes of 4 h into master. Mixed, the lifetime median would be 10 h of 14 and p90 48 h.
    path = tmp_path / "repo"
    scenarios.gitflow_late_hotfixes(path)
    # a branch cut from develop and merged straight into master, named like work: a release batch by its role
    b = RepoBuilder(path, trunk="master")
    b.branch("ship-it", "develop")
    b.commit(branch="ship-it", at=scenarios.at(24 * 80))
    b.merge("ship-it", "master", message="Merge branch 'ship-it'", at=scenarios.at(24 * 80 + 30))
    result = pipeline.run_scan(pipeline.ScanRequest(path=path, now=scenarios.at(24 * 100), options=HistoryOptions(),
                                                    merge_check_seconds=0))
    flow = result.metrics.integration
    assert (flow.work_line, flow.work_branches, flow.release_branches) == ("develop", 8, 7)
    assert (flow.lifetime_hours.count, flow.lifetime_hours.p50, flow.lifetime_hours.p90) == (8, 10.0, 10.0)
    assert flow.merged_within_a_day == 1.0
    assert (flow.release_lifetime_hours.count, flow.release_lifetime_hours.p50) == (7, 48.0)  # 4, 4, 30, 48 x 4
    assert flow.batch_commits.max == 2  # work branches' commits only
    summary = result.summary
    assert (summary.work_line, summary.work_branches, summary.release_branches) == ("develop", 8, 7)
    assert summary.lifetime_hours.p50 == 10.0 and summary.size_commits.p50 == 2
    assert summary.release_size_commits.count == 7 and summary.release_lifetime_hours.p90 == 48.0
    assert summary.hotfix_branches == 2
    assert result.metrics.failures.hotfixes == 2  # ship-it, cut from develop, is no hotfix
