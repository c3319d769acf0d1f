"""What the terminal and Markdown progress reports share: dates, trend labels, sections."""

from __future__ import annotations

from datetime import datetime

from advisor import progress as _progress


def day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def trend_labels(trend: tuple[_progress.Point, ...]) -> list[str]:
    """Dates, or date and time when two snapshots share a day."""
    days = [day(p.at) for p in trend]
    if len(set(days)) == len(days):
        return days
    return [f"{p.at:%Y-%m-%d %H:%M}" for p in trend]


def empty_message(where: str) -> str:
    return (f"No snapshots in {where} yet: `advisor scan` stores one each time it runs, and "
            "`advisor backfill` seeds the past.")


def progress_sections(report: _progress.Report) -> list[tuple[str, _progress.Comparison]]:
    if report.since_previous is None or report.since_baseline is None:
        return []
    if report.snapshots == 2:
        return [("Since the baseline, the previous scan", report.since_previous)]
    return [("Since the previous scan", report.since_previous), ("Since the baseline", report.since_baseline)]
