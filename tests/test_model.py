"""Times are aware; lifetimes refuse to lie when clocks do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from advisor.model import Episode, EpisodeKind, MergeMethod, NameOrigin, aware


def test_aware_keeps_the_committers_zone() -> None:
    moment = aware(1_700_000_000, 120)
    assert moment.utcoffset() == timedelta(hours=2)
    assert moment == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert aware(0, -330).utcoffset() == timedelta(minutes=-330)


def make(first: datetime, merged: datetime, skew: bool) -> Episode:
    return Episode(
        id="x", target="main", source=None, name_origin=NameOrigin.UNKNOWN, pr=None, host="git",
        method=MergeMethod.MERGE, kind=EpisodeKind.FEATURE, commits=("a" * 40,), sync_merges=0, authors=(),
        author="A", fork_point=None, forked_from=None, first_commit_at=first, last_commit_at=first, merged_at=merged, behind=None,
        deleted=True, bot=False, clock_skew=skew, exact_lifetime=True,
    )


def test_lifetime_in_seconds_or_none_under_skew() -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert make(start, start + timedelta(hours=3), False).lifetime_seconds == 3 * 3600
    assert make(start + timedelta(hours=3), start, True).lifetime_seconds is None
