"""The pure composition: windows, distributions, summaries, from hand-built records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor import scan
from advisor.metrics import episodes_in_window
from advisor.model import (
    Anomalies,
    Distribution,
    EpisodeLines,
    Window,
    Episode,
    EpisodeKind,
    History,
    LiveBranch,
    MergeCheck,
    MergeMethod,
    NameOrigin,
    Trunk,
    TrunkRule,
)

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)


def episode(ident: str, *, hours: float, merged_day: int, method: MergeMethod = MergeMethod.MERGE,
            commits: int = 2, deleted: bool = True, kind: EpisodeKind = EpisodeKind.FEATURE,
            target: str = "main", skew: bool = False, repeat_of: str | None = None, bot: bool = False) -> Episode:
    merged = T0 + timedelta(days=merged_day)
    return Episode(
        id=ident, target=target, source=f"b-{ident}", name_origin=NameOrigin.MERGE_SUBJECT, pr=None, host="git",
        method=method, kind=kind, commits=tuple(f"{ident}{i:039d}"[:40] for i in range(commits)), sync_merges=0,
        authors=("Alice",), author="Alice", fork_point=None, forked_from=None, first_commit_at=merged - timedelta(hours=hours),
        last_commit_at=merged, merged_at=merged, behind=1, deleted=deleted, bot=bot, clock_skew=skew,
        exact_lifetime=True, repeat_of=repeat_of,
    )


def make_history(episodes: list[Episode], live: tuple[LiveBranch, ...] = ()) -> History:
    return History(
        trunk=Trunk(name="main", ref="refs/heads/main", rule=TrunkRule.HEAD, tip="f" * 40),
        long_lived=(), episodes=tuple(sorted(episodes, key=lambda e: (e.merged_at, e.id))), line_merges=(), cherry_picks=(), reverts=(), releases=(),
        live_branches=live,
        anomalies=Anomalies(committer_before_author=0, commit_before_parent=0, future_dated=0, epoch_dated=0,
                            missing_parents=0),
        commit_count=10, trunk_commits=5, unreleased_trunk_commits=0,
    )


@pytest.mark.parametrize(("values", "p50", "p90", "top"), [
    ([1], 1, 1, 1),
    ([1, 2], 1, 2, 2),
    ([5, 1, 4, 2, 3], 3, 5, 5),
    (list(range(1, 11)), 5, 9, 10),
])
def test_nearest_rank_percentiles(values: list[float], p50: float, p90: float, top: float) -> None:
    dist = Distribution.of(values)
    assert (dist.count, dist.p50, dist.p90, dist.max) == (len(values), p50, p90, top)


def test_empty_distribution() -> None:
    assert Distribution.of([]) == Distribution(count=0, p50=None, p90=None, max=None)


@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1))
def test_percentiles_are_ordered_members(values: list[float]) -> None:
    dist = Distribution.of(values)
    assert dist.p50 in values and dist.p90 in values
    assert min(values) <= dist.p50 <= dist.p90 <= dist.max == max(values)  # type: ignore[operator]


def test_window_is_half_open_and_defaults_to_a_year() -> None:
    window = scan.default_window(NOW)
    assert window.until == NOW and window.since == NOW - timedelta(days=365)
    assert window.contains(window.since) and not window.contains(window.until)


def test_summary_counts_trunk_episodes_in_the_window() -> None:
    episodes = [
        episode("a", hours=2, merged_day=10),
        episode("b", hours=30, merged_day=20, method=MergeMethod.SQUASH, commits=1, deleted=False),
        episode("c", hours=0, merged_day=30, method=MergeMethod.DIRECT, commits=1, kind=EpisodeKind.DIRECT),
        episode("d", hours=5, merged_day=40, target="develop"),
        episode("e", hours=5, merged_day=400),  # outside the window
        episode("f", hours=-1, merged_day=50, skew=True),
        episode("g", hours=1, merged_day=60, repeat_of="a"),
        episode("h", hours=90, merged_day=70, bot=True),  # a bot's branch: not the team's work
    ]
    window = Window(since=T0, until=T0 + timedelta(days=365))
    lines = scan.episode_lines(episodes_in_window(make_history(episodes), window),
                               {"a" + "0" * 39: (10, 2), "a" + "0" * 38 + "1": (0, 0)})
    summary = scan.summarise(make_history(episodes), window, lines, ())
    assert summary.episodes_in_window == 5
    assert summary.methods["merge"] == 3 and summary.methods["squash"] == 1 and summary.methods["direct"] == 1
    assert summary.lifetime_hours.count == 2  # a and b; f is skewed, c is direct
    assert summary.lifetime_hours.max == 30
    assert summary.from_deleted_branches == 1  # of the work rows (a): f's clock and h's bot leave them out
    assert summary.clock_skewed_episodes == 1
    assert lines["a"] == EpisodeLines(added=10, deleted=2)


def test_commits_needing_stats_are_those_of_window_episodes() -> None:
    history = make_history([episode("a", hours=1, merged_day=1, commits=2), episode("e", hours=1, merged_day=400)])
    window = Window(since=T0, until=T0 + timedelta(days=100))
    assert scan.commits_needing_stats(history, window) == sorted(history.episodes[0].commits)


def test_live_branches_are_stale_after_90_days() -> None:
    live = (
        LiveBranch(name="old", ref="refs/heads/old", tip="a" * 40, ahead=3, behind=9, forked_at=NOW - timedelta(days=200),
                   last_commit_at=NOW - timedelta(days=91), authors=("A",), merged=False, pr=None),
        LiveBranch(name="new", ref="refs/heads/new", tip="b" * 40, ahead=1, behind=0, forked_at=NOW - timedelta(days=2),
                   last_commit_at=NOW - timedelta(days=1), authors=("A",), merged=False, pr=None),
    )
    result = scan.scan(history=make_history([], live), repo=scan.RepoFacts(
        path=".", bare=False, commits=10, branches=3, tags=0, pull_refs=0, shallow=False),
        stats={}, checks=(MergeCheck(branch="new", clean=True, conflicts=()),),
        window=scan.default_window(NOW), now=NOW)
    by_name = {r.branch.name: r for r in result.live}
    assert by_name["old"].stale and not by_name["new"].stale
    assert by_name["old"].age_days == pytest.approx(200)
    assert by_name["new"].merge == MergeCheck(branch="new", clean=True, conflicts=())
    assert by_name["old"].merge is None


def line(name: str, last: datetime) -> "LongLivedBranch":
    from advisor.model import LongLivedBranch
    return LongLivedBranch(name=name, live=True, tip="a" * 40, first_commit_at=last - timedelta(days=900),
                           last_commit_at=last, mainline_commits=10, merges_received=0, merged_into_trunk=0, tags=0,
                           reasons=())


def with_lines(*lines: "LongLivedBranch") -> History:
    import dataclasses
    return dataclasses.replace(make_history([]), long_lived=lines)


def test_a_dormant_repository_is_measured_over_the_year_before_its_newest_commit() -> None:
    # develop's tip (2023-11-11 15:00 +02:00) is newer than main's; both are over a year before NOW.
    newest = datetime(2023, 11, 11, 15, 0, tzinfo=timezone(timedelta(hours=2)))
    history = with_lines(line("main", datetime(2023, 10, 1, tzinfo=timezone.utc)), line("develop", newest))
    window, dormant = scan.choose_window(history, NOW)
    assert window == Window(since=datetime(2022, 11, 12, tzinfo=timezone.utc),
                            until=datetime(2023, 11, 12, tzinfo=timezone.utc))
    assert dormant is not None and (dormant.line, dormant.newest, dormant.idle_days) == ("develop", newest, 567)
    assert dormant.note == ("no commit in the last 365 days; the newest is 2023-11-11 (on develop, 567 days ago): "
                            "measuring the year before it; pass --until to choose")


def test_a_dormant_window_of_other_length_says_its_days() -> None:
    history = with_lines(line("main", datetime(2025, 1, 10, tzinfo=timezone.utc)))
    window, dormant = scan.choose_window(history, NOW, days=90)
    assert window == Window(since=datetime(2024, 10, 13, tzinfo=timezone.utc),
                            until=datetime(2025, 1, 11, tzinfo=timezone.utc))
    assert dormant is not None and "no commit in the last 90 days" in dormant.note
    assert "measuring the 90 days before it" in dormant.note


def test_a_thin_default_window_whose_newest_commit_is_over_90_days_old_moves_back() -> None:
    # main's tip is 91 days before NOW and the default window holds no integration: a trickle.
    newest = NOW - timedelta(days=91)
    history = with_lines(line("main", newest))
    window, dormant = scan.choose_window(history, NOW)
    end = datetime.combine(newest.date() + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc)
    assert window == Window(since=end - timedelta(days=365), until=end)
    assert dormant is not None and (dormant.line, dormant.idle_days) == ("main", 91)
    assert dormant.note == (f"only 0 integrations in the last 365 days and no commit in the last 90; the newest is "
                            f"{newest:%Y-%m-%d} (on main, 91 days ago): measuring the year before it; "
                            "pass --until to choose")


@pytest.mark.parametrize("given", [
    {"since": datetime(2023, 1, 1, tzinfo=timezone.utc)},
    {"until": datetime(2025, 1, 1, tzinfo=timezone.utc)},
    {"explicit": True},
])
def test_dates_the_user_gave_are_obeyed_even_when_dormant(given: dict) -> None:
    history = with_lines(line("main", datetime(2023, 1, 1, tzinfo=timezone.utc)))
    window, dormant = scan.choose_window(history, NOW, **given)
    assert dormant is None
    assert window == scan.default_window(NOW, given.get("since"), given.get("until"))


def test_a_commit_inside_the_default_window_keeps_it() -> None:
    # No integration at all, but main's newest commit is 89 days old: the repository is quiet, not dormant.
    history = with_lines(line("main", NOW - timedelta(days=89)), line("old", datetime(2020, 1, 1, tzinfo=timezone.utc)))
    assert scan.choose_window(history, NOW) == (scan.default_window(NOW), None)
    assert scan.choose_window(with_lines(), NOW) == (scan.default_window(NOW), None)  # no lines: nothing to move to


def test_a_branch_touched_after_a_dormant_windows_end_is_not_idle_a_negative_time() -> None:
    import dataclasses
    from advisor.model import LiveBranch
    end = datetime(2025, 11, 18, tzinfo=timezone.utc)
    later = LiveBranch(name="tweak", ref="refs/heads/tweak", tip="b" * 40, ahead=2, behind=0,
                       forked_at=end + timedelta(days=2), last_commit_at=end + timedelta(days=4),
                       authors=("a",), merged=False, pr=None)
    older = dataclasses.replace(later, name="old", ref="refs/heads/old", forked_at=end - timedelta(days=10),
                                last_commit_at=end - timedelta(days=3))
    history = dataclasses.replace(make_history([]), live_branches=(later, older))
    reports = {r.branch.name: r for r in scan._live_reports(history, (), end)}
    assert (reports["tweak"].idle_days, reports["tweak"].age_days, reports["tweak"].stale) == (0.0, 0.0, False)
    assert (reports["old"].idle_days, reports["old"].age_days) == (3.0, 10.0)
