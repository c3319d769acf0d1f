"""Dates as people write them on the command line: one parser for every option that takes one.

Accepted, case-insensitive, surrounding spaces ignored:

- an ISO 8601 date or time: `2026-03-01`, `2026-03-01T12:00`, `2026-03-01 12:00+02:00`
  (a time without a zone is UTC);
- a month or a quarter: `2026-03`, `2026-Q1`;
- relative to now: `today`, `yesterday`, `now`, `90 days ago`, `2 weeks ago`,
  `6 months ago`, `1 year ago` (also `90d`, `2w`, `6m`, `1y` without "ago").

A month or a quarter names a span: an option that starts a span (`--since`) takes
its first moment, one that ends a span (`--until`, `--as-of`) its end (the first
moment after it), so `--since 2026-Q1 --until 2026-Q1` is the first quarter.
"today" is midnight UTC at the start of today for a start and now for an end.

Pure: `now` is a parameter.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_RELATIVE = re.compile(r"^(?P<n>\d+)\s*(?P<unit>d|days?|w|weeks?|m|months?|y|years?)(?:\s+ago)?$")
_QUARTER = re.compile(r"^(?P<year>\d{4})-?q(?P<q>[1-4])$")
_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")

FORMS = "YYYY-MM-DD, an ISO 8601 time, YYYY-MM, YYYY-Qn, today, or 'N days|weeks|months|years ago'"


class NotADate(ValueError):
    """The text is none of the accepted forms; the message is one sentence naming the option."""


def _months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    # The same day of the month, or the month's last day when it is shorter (31 March - 1 month = 28/29 Feb).
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=moment.tzinfo)
    last_day = (following - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _span(start: datetime, months: int, end: bool) -> datetime:
    if not end:
        return start
    index = start.year * 12 + start.month - 1 + months
    return start.replace(year=index // 12, month=index % 12 + 1)


def parse(value: str, option: str, now: datetime, *, end: bool = False) -> datetime:
    """`value` as an aware datetime; `end` when the option ends a span (see the module's docstring)."""
    text = value.strip().lower()
    midnight = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if text == "now":
        return now
    if text == "today":
        return now if end else midnight
    if text == "yesterday":
        return midnight if end else midnight - timedelta(days=1)
    if match := _RELATIVE.match(text):
        count, unit = int(match["n"]), match["unit"][0]
        if unit == "d":
            return now - timedelta(days=count)
        if unit == "w":
            return now - timedelta(weeks=count)
        return _months_before(now, count * (12 if unit == "y" else 1))
    if match := _QUARTER.match(text):
        start = datetime(int(match["year"]), 3 * int(match["q"]) - 2, 1, tzinfo=timezone.utc)
        return _span(start, 3, end)
    if (match := _MONTH.match(text)) and 1 <= int(match["month"]) <= 12:
        return _span(datetime(int(match["year"]), int(match["month"]), 1, tzinfo=timezone.utc), 1, end)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise NotADate(f"{option} {value!r} is not a date; use {FORMS}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
