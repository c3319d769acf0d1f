"""Dates as people write them: ISO, months, quarters, and relative to now."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from advisor import dates

NOW = datetime(2026, 3, 31, 15, 30, tzinfo=timezone.utc)
UTC = timezone.utc


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
    ("2026-03-01T12:00+02:00", datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-02", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
    ("2025-12", datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ("2026-Q1", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
    ("2025-q4", datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ("90 days ago", NOW - timedelta(days=90), NOW - timedelta(days=90)),
    ("90 days", NOW - timedelta(days=90), NOW - timedelta(days=90)),
    ("2 weeks ago", NOW - timedelta(weeks=2), NOW - timedelta(weeks=2)),
    ("1 month ago", datetime(2026, 2, 28, 15, 30, tzinfo=UTC), datetime(2026, 2, 28, 15, 30, tzinfo=UTC)),
    ("13 months ago", datetime(2025, 2, 28, 15, 30, tzinfo=UTC), datetime(2025, 2, 28, 15, 30, tzinfo=UTC)),
    ("1 year ago", datetime(2025, 3, 31, 15, 30, tzinfo=UTC), datetime(2025, 3, 31, 15, 30, tzinfo=UTC)),
    ("6m", datetime(2025, 9, 30, 15, 30, tzinfo=UTC), datetime(2025, 9, 30, 15, 30, tzinfo=UTC)),
    (" Today ", datetime(2026, 3, 31, tzinfo=UTC), NOW),
    ("yesterday", datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC)),
    ("now", NOW, NOW),
])
def test_forms(text: str, start: datetime, end: datetime) -> None:
    assert dates.parse(text, "--since", NOW) == start
    assert dates.parse(text, "--until", NOW, end=True) == end


@pytest.mark.parametrize("text", ["soon", "2026-13", "2026-Q5", "days ago", "2026-02-30", "-3 days ago", ""])
def test_anything_else_is_one_sentence_naming_the_option(text: str) -> None:
    with pytest.raises(dates.NotADate) as raised:
        dates.parse(text, "--since", NOW)
    message = str(raised.value)
    assert message.startswith(f"--since {text!r} is not a date; use ") and message.endswith(".")
    assert "\n" not in message
