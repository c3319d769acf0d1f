"""Times are aware; lifetimes refuse to lie when clocks do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from advisor.model import Episode, EpisodeKind, MergeMethod, NameOrigin, aware, instant


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


@given(st.lists(st.tuples(st.integers(-2_000_000_000, 4_000_000_000), st.integers(-1439, 1439),
                          st.integers(0, 999_999), st.integers(0, 9)), max_size=60))
def test_instant_orders_aware_times_as_comparing_them_does(stamps: list[tuple[int, int, int, int]]) -> None:
    """A sort by `instant` keeps equal instants in their order, as a sort of the datetimes does."""
    times = [(aware(epoch, zone).replace(microsecond=micro), tag) for epoch, zone, micro, tag in stamps]
    def shown(pairs: list[tuple[datetime, int]]) -> list[tuple[str, int]]:
        return [(moment.isoformat(), tag) for moment, tag in pairs]  # the zone too: equal instants differ

    assert shown(sorted(times, key=lambda pair: instant(pair[0]))) == shown(sorted(times, key=lambda pair: pair[0]))
