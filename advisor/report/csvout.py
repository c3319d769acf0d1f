"""CSV for spreadsheets and dashboards: the progress trend, and a scan's episodes, live branches, releases.

One header row, then one row per record; RFC 4180 quoting (lines end in a line feed); times ISO 8601;
numbers as plain numbers (hours and days unrounded), empty when not measured;
booleans `true`/`false`. docs/scan.md and docs/progress.md list every column.

Branch names, tags and paths are untrusted. A text cell that a spreadsheet would
read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return)
gets a leading `'`, the OWASP rule against CSV injection; control and bidi
characters become U+FFFD (`escape.one_line`), so a cell is what it looks like.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from advisor import escape
from advisor import progress as _progress
from advisor.metrics import episodes_in_window
from advisor.scan import Scan
from advisor.snapshot import MEASURES

TABLES = ("episodes", "live", "releases")

Cell = str | int | float | bool | datetime | None

EPISODE_COLUMNS = ("id", "source", "target", "kind", "method", "pr", "author", "first_commit_at", "merged_at",
                   "lifetime_hours", "commits", "lines_added", "lines_deleted", "behind", "deleted", "bot",
                   "reached_trunk_at", "released_at", "release")
LIVE_COLUMNS = ("branch", "long_lived", "merged", "ahead", "behind", "forked_at", "last_commit_at", "age_days",
                "idle_days", "stale", "merge", "conflicts", "pr")
RELEASE_COLUMNS = ("tag", "commit", "at", "line", "branch", "prerelease", "annotated", "new_commits", "shipped",
                   "in_window")
TREND_COLUMNS = ("at", "scanned_at", "trunk", "trunk_tip", "model", "confidence", "stage") + tuple(
    m.name for m in MEASURES)


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = escape.one_line(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def scan_csv(scan: Scan, table: str) -> str:
    """One of the scan's tables (`TABLES`) as CSV."""
    if table == "episodes":
        return _write(EPISODE_COLUMNS, (
            [e.id, e.source, e.target, e.kind.value, e.method.value, e.pr, e.author, e.first_commit_at, e.merged_at,
             None if e.lifetime_seconds is None else e.lifetime_seconds / 3600, len(e.commits),
             scan.lines[e.id].added if e.id in scan.lines else None,
             scan.lines[e.id].deleted if e.id in scan.lines else None, e.behind, e.deleted, e.bot,
             e.reached_trunk_at, e.released_at, e.release]
            for e in episodes_in_window(scan.history, scan.window)))
    if table == "live":
        rows: list[list[Cell]] = []
        for report in scan.live:
            branch, merge = report.branch, report.merge
            state = ("not checked" if merge is None or merge.clean is None else
                     "clean" if merge.clean else "conflicts")
            rows.append([branch.name, branch.long_lived, branch.merged, branch.ahead, branch.behind, branch.forked_at,
                         branch.last_commit_at, report.age_days, report.idle_days, report.stale, state,
                         "; ".join(merge.conflicts) if merge is not None else "", branch.pr])
        return _write(LIVE_COLUMNS, rows)
    if table == "releases":
        return _write(RELEASE_COLUMNS, (
            [r.tag, r.commit, r.at, r.line, r.branch, r.prerelease, r.annotated, r.new_commits, r.shipped,
             scan.window.contains(r.at)] for r in scan.history.releases))
    raise ValueError(f"unknown table {table!r}")


def trend_csv(report: _progress.Report) -> str:
    """The progress trend: one row per snapshot, oldest first, every measure in its own column."""
    rows: list[list[Cell]] = []
    for p in report.trend:
        rows.append([p.at, p.scanned_at, p.trunk, p.trunk_tip, p.model, p.confidence, p.stage])
        rows[-1].extend(p.measures.get(m.name) for m in MEASURES)
    return _write(TREND_COLUMNS, rows)
