"""The fleet portfolio: one row per repository, sorted by what needs attention first.

A row comes from a snapshot (`advisor.snapshot.Snapshot`: what `advisor scan` stores and
what `advisor scan --format json` prints, read back), or is a repository whose scan
failed, with its one-sentence error. The order (docs/fleet.md):

1. repositories whose scan failed (someone has to fix the input before anything else);
2. then by the number of headline measures in DORA's `low` tier, most first;
3. then by the number in `medium`, most first;
4. then by trunk-based conformance, lowest first; then by name.

Formats: terminal table (fitted like every table, `layout`), JSON (`kind`
"advisor-fleet"), CSV, and one HTML page. Pure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from typing_extensions import TypedDict  # pydantic reads the schema of this one on Python 3.11

from advisor import __version__, escape
from advisor.model import counted, human_hours
from advisor.report.layout import PLAIN, Style, fit, paint, table, tier
from advisor.snapshot import Snapshot

FLEET_FORMAT: Final = 1  # `version` of the fleet JSON document
TIERS = ("release_tier", "lead_time_tier", "change_failure_tier", "restore_tier")


class FleetRow(TypedDict):
    """One row of the fleet JSON (`advisor/schemas/fleet.schema.json` is generated from this)."""

    name: str
    path: str
    error: str | None
    model: str | None
    confidence: str | None
    releases_per_week: float | None
    release_tier: str | None
    lead_time_p50_hours: float | None
    lead_time_tier: str | None
    change_failure_rate: float | None
    change_failure_tier: str | None
    restore_p50_hours: float | None
    restore_tier: str | None
    branch_lifetime_p50_hours: float | None
    active_branches: float | None
    stale_branches: float | None
    conformance_score: float | None
    constraint: str | None
    plan_stage: str | None
    scanned_at: str | None
    seconds: float | None


class FleetDocument(TypedDict):
    """`advisor fleet --format json`."""

    kind: Literal["advisor-fleet"]
    version: Literal[1]
    tool_version: str
    repositories: int
    failed: int
    rows: list[FleetRow]


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    name: str  # how people call the repository: owner/name from its remote, else its folder
    path: str
    error: str | None = None  # the scan failed: its one sentence
    model: str = ""
    confidence: str = ""
    releases_per_week: float | None = None
    release_tier: str | None = None
    lead_time_hours: float | None = None
    lead_time_tier: str | None = None
    change_failure_rate: float | None = None
    change_failure_tier: str | None = None
    restore_hours: float | None = None
    restore_tier: str | None = None
    branch_lifetime_hours: float | None = None
    active_branches: float | None = None
    stale_branches: float | None = None
    conformance: float | None = None
    constraint: str | None = None
    stage: str | None = None  # the current stage of the plan, None when done or no plan
    scanned_at: datetime | None = None
    seconds: float | None = None  # how long the scan took


def _dig(tree: Any, *path: str) -> Any:
    for key in path:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


def _tier(value: Any) -> str | None:
    return value if value in ("elite", "high", "medium", "low") else None


def row_of(snap: Snapshot, name: str, path: str, seconds: float | None = None) -> Row:
    metrics, measures = snap.metrics, snap.measures
    plan = snap.plan
    return Row(
        name=name, path=path, model=snap.model, confidence=snap.confidence,
        releases_per_week=measures.get("releases_per_week"), release_tier=_tier(_dig(metrics, "releases", "tier")),
        lead_time_hours=measures.get("lead_time_p50_hours"), lead_time_tier=_tier(_dig(metrics, "lead_time", "tier")),
        change_failure_rate=measures.get("change_failure_rate"),
        change_failure_tier=_tier(_dig(metrics, "failures", "change_failure_tier")),
        restore_hours=measures.get("restore_p50_hours"), restore_tier=_tier(_dig(metrics, "failures", "restore_tier")),
        branch_lifetime_hours=measures.get("branch_lifetime_p50_hours"),
        active_branches=measures.get("active_branches"), stale_branches=measures.get("stale_branches"),
        conformance=measures.get("conformance_score"),
        constraint=_dig(metrics, "lead_time", "constraint") if isinstance(_dig(metrics, "lead_time", "constraint"),
                                                                          str) else None,
        stage=None if plan is None else plan.current_stage, scanned_at=snap.scanned_at, seconds=seconds)


def failed(name: str, path: str, error: str, seconds: float | None = None) -> Row:
    return Row(name=name, path=path, error=error, seconds=seconds)


def attention(row: Row) -> tuple[int, int, int, float, str]:
    """The sort key: failed scans, then most `low` tiers, most `medium`, lowest conformance, name."""
    tiers = [getattr(row, key) for key in TIERS]
    return (0 if row.error else 1, -tiers.count("low"), -tiers.count("medium"),
            row.conformance if row.conformance is not None else 2.0, row.name)


def ordered(rows: Sequence[Row]) -> list[Row]:
    return sorted(rows, key=attention)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _count(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _with_tier(value: str, level: str | None, style: Style) -> str:
    return value if level is None else f"{value} {tier(level, style)}"


def text(rows: Sequence[Row], style: Style = PLAIN) -> str:
    """The portfolio as a terminal table, then one line per failed repository with its error."""
    shown = ordered(rows)
    body = []
    for row in shown:
        if row.error:
            body.append([escape.terminal(row.name), paint("scan failed", "bad", style), "", "", "", "", "", "", ""])
            continue
        body.append([
            escape.terminal(row.name), f"{row.model} ({row.confidence})",
            _with_tier(f"{row.releases_per_week:.2f}/wk" if row.releases_per_week is not None else "-",
                       row.release_tier, style),
            _with_tier(human_hours(row.lead_time_hours), row.lead_time_tier, style),
            _with_tier(_share(row.change_failure_rate), row.change_failure_tier, style),
            human_hours(row.branch_lifetime_hours),
            f"{_count(row.active_branches)} / {_count(row.stale_branches)}",
            escape.terminal(row.constraint or "-"), escape.terminal(row.stage or "-"),
        ])
    headers = ["repository", "model", "releases", "lead time p50", "change failure", "lifetime p50",
               "active / stale", "constraint", "plan stage"]
    ok = sum(1 for row in rows if not row.error)
    lines = [f"advisor fleet: {counted(len(rows), 'repository', 'repositories')}, {ok} scanned, "
             f"{len(rows) - ok} failed (most in need of attention first)", ""]
    lines.append(table(body, headers, width=style.width, wrap=(0, 7, 8, 1), drop=(5, 6, 7)))
    errors = [row for row in shown if row.error]
    if errors:
        lines.append("")
        lines += [f"{escape.terminal(row.name)}: {escape.terminal(row.error)}" for row in errors]
    return fit("\n".join(lines), style.width) + "\n"


def _plain_row(row: Row) -> FleetRow:
    return {
        "name": row.name, "path": row.path, "error": row.error, "model": row.model or None,
        "confidence": row.confidence or None, "releases_per_week": row.releases_per_week,
        "release_tier": row.release_tier, "lead_time_p50_hours": row.lead_time_hours,
        "lead_time_tier": row.lead_time_tier, "change_failure_rate": row.change_failure_rate,
        "change_failure_tier": row.change_failure_tier, "restore_p50_hours": row.restore_hours,
        "restore_tier": row.restore_tier, "branch_lifetime_p50_hours": row.branch_lifetime_hours,
        "active_branches": row.active_branches, "stale_branches": row.stale_branches,
        "conformance_score": row.conformance, "constraint": row.constraint, "plan_stage": row.stage,
        "scanned_at": None if row.scanned_at is None else row.scanned_at.isoformat(), "seconds": row.seconds,
    }


COLUMNS = tuple(_plain_row(Row(name="", path="")))
_TEXTS = ("error", "model", "confidence", "release_tier", "lead_time_tier", "change_failure_tier", "restore_tier",
          "constraint", "plan_stage", "scanned_at")


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    raise ValueError(f"a number was expected, not {value!r}")


def row_from_plain(plain: object) -> Row:
    """A row of a fleet JSON read back (`advisor fleet --merge fleet.json`); ValueError when it is not one."""
    if not isinstance(plain, dict) or not isinstance(plain.get("name"), str) or not isinstance(plain.get("path"), str):
        raise ValueError("a row has no name or path")
    if set(plain) != set(COLUMNS):
        raise ValueError(f"a row's fields are not the fleet JSON's ({', '.join(sorted(set(plain) ^ set(COLUMNS)))})")
    texts = {key: plain[key] for key in _TEXTS}
    if any(value is not None and not isinstance(value, str) for value in texts.values()):
        raise ValueError("a row's text field holds something else")
    scanned_at = None if texts["scanned_at"] is None else datetime.fromisoformat(texts["scanned_at"])
    return Row(
        name=plain["name"], path=plain["path"], error=texts["error"], model=texts["model"] or "",
        confidence=texts["confidence"] or "", releases_per_week=_number(plain["releases_per_week"]),
        release_tier=_tier(texts["release_tier"]), lead_time_hours=_number(plain["lead_time_p50_hours"]),
        lead_time_tier=_tier(texts["lead_time_tier"]), change_failure_rate=_number(plain["change_failure_rate"]),
        change_failure_tier=_tier(texts["change_failure_tier"]), restore_hours=_number(plain["restore_p50_hours"]),
        restore_tier=_tier(texts["restore_tier"]), branch_lifetime_hours=_number(plain["branch_lifetime_p50_hours"]),
        active_branches=_number(plain["active_branches"]), stale_branches=_number(plain["stale_branches"]),
        conformance=_number(plain["conformance_score"]), constraint=texts["constraint"], stage=texts["plan_stage"],
        scanned_at=scanned_at, seconds=_number(plain["seconds"]))


def rows_of_document(document: object) -> list[Row]:
    """Every row of a fleet JSON (`advisor fleet --format json`); ValueError when it is not one this
    version reads."""
    if not isinstance(document, dict) or document.get("kind") != "advisor-fleet":
        raise ValueError("it is not a fleet JSON")
    if document.get("version") != FLEET_FORMAT:
        raise ValueError(f"it is a fleet JSON of version {document.get('version')!r}; this advisor reads version "
                         f"{FLEET_FORMAT}")
    rows = document.get("rows")
    if not isinstance(rows, list):
        raise ValueError("it has no list of rows")
    return [row_from_plain(row) for row in rows]


def document(rows: Sequence[Row]) -> FleetDocument:
    return {"kind": "advisor-fleet", "version": FLEET_FORMAT, "tool_version": __version__,
            "repositories": len(rows), "failed": sum(1 for row in rows if row.error),
            "rows": [_plain_row(row) for row in ordered(rows)]}


def to_csv(rows: Sequence[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in ordered(rows):
        values = []
        for value in _plain_row(row).values():
            cell = "" if value is None else f"{value:g}" if isinstance(value, float) else escape.one_line(value)
            values.append("'" + cell if cell[:1] in ("=", "+", "-", "@") and not isinstance(value, float) else cell)
        writer.writerow(values)
    return buffer.getvalue()


def context(rows: Sequence[Row]) -> dict[str, Any]:
    """What the HTML template (templates/fleet.html.j2) shows: plain strings, escaped there."""
    shown = []
    for row in ordered(rows):
        shown.append({
            "name": row.name, "path": row.path, "error": row.error, "model": row.model,
            "confidence": row.confidence,
            "releases": "-" if row.releases_per_week is None else f"{row.releases_per_week:.2f}/wk",
            "release_tier": row.release_tier, "lead": human_hours(row.lead_time_hours),
            "lead_tier": row.lead_time_tier, "failure": _share(row.change_failure_rate),
            "failure_tier": row.change_failure_tier, "restore": human_hours(row.restore_hours),
            "restore_tier": row.restore_tier, "lifetime": human_hours(row.branch_lifetime_hours),
            "wip": f"{_count(row.active_branches)} / {_count(row.stale_branches)}",
            "conformance": _share(row.conformance), "constraint": row.constraint or "-",
            "stage": row.stage or "-",
        })
    return {"rows": shown, "total": len(rows), "failed": sum(1 for row in rows if row.error),
            "version": __version__}
