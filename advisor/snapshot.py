"""One scan as a small, versioned JSON document: what the history store keeps.

A snapshot holds what progress needs to compare scans taken weeks apart:
the tool version, the scan time and window, the trunk and its tip commit,
the verdict, every metric, a flat set of *measures* with stable names (what
progress compares and `check` thresholds), and the status of the plan (each
stage's status, each exit criterion's `met` and `current`, and each checklist
item as the plan folder held it at scan time: ticked by the tool from a measured
fact, by a person, or unticked by a person over the tool). A stage is done only
under `recommend.stage_done`: its criteria hold and its checklist is done. A
snapshot without a checklist (written before checklists were recorded, or
backfilled: the ticks of a past date are not known) claims no stage done.

Versions (`version` in the document):

1. the scan document itself, as `advisor scan --format json` prints it (scan
   `schema_version` 1): what teams archived before the history store existed.
   It is read by `migrate_v1`; it has no plan status.
2. the snapshot document below (`"kind": "advisor-snapshot"`).

Pure: documents in, records out. Reading and writing the files is `store`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError
from advisor.scan import Scan

if TYPE_CHECKING:  # recommend (and the CI readers it brings) is imported where a plan is settled, not at start-up
    from advisor.recommend import Plan

KIND = "advisor-snapshot"
VERSION = 2


class SnapshotError(AdvisorError):
    """A file that is not a snapshot this version of advisor can read."""


# ---------------------------------------------------------------------------
# Measures: the numbers progress compares, each with the direction that is better


@dataclass(frozen=True, slots=True, kw_only=True)
class Measure:
    name: str  # stable: snapshots, JSON reports and `check` thresholds use it
    label: str  # for people
    unit: str  # "h", "d", "share" (0..1, shown as %), "count", "rate", "score" (0..1)
    better: str  # "lower" or "higher"
    read: Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], float | None]
    # (metrics, verdict, extra) -> value; extra holds facts from outside the metrics


def _at(*path: str) -> Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], float | None]:
    def read(metrics: Mapping[str, Any], _verdict: Mapping[str, Any], _extra: Mapping[str, Any]) -> float | None:
        value: Any = metrics
        for key in path:
            if not isinstance(value, Mapping) or key not in value:
                return None
            value = value[key]
        return _number(value)
    return read


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _lead_time(metrics: Mapping[str, Any], _verdict: Mapping[str, Any], _extra: Mapping[str, Any]) -> float | None:
    lead = metrics.get("lead_time")
    if not isinstance(lead, Mapping):
        return None
    basis = "to_release_hours" if str(lead.get("tier_basis", "")).endswith("release") else "to_trunk_hours"
    return _at("lead_time", basis, "p50")(metrics, _verdict, _extra)


def _conformance(_metrics: Mapping[str, Any], verdict: Mapping[str, Any], _extra: Mapping[str, Any]) -> float | None:
    conformance = verdict.get("conformance")
    return _number(conformance.get("score")) if isinstance(conformance, Mapping) else None


def _long_lived(_metrics: Mapping[str, Any], _verdict: Mapping[str, Any], extra: Mapping[str, Any]) -> float | None:
    return _number(extra.get("long_lived_lines"))


MEASURES: tuple[Measure, ...] = (
    Measure(name="release_interval_p50_days", label="release interval p50", unit="d", better="lower",
            read=_at("releases", "interval_days", "p50")),
    Measure(name="releases_per_week", label="releases per week", unit="rate", better="higher",
            read=_at("releases", "per_week")),
    Measure(name="release_size_p50_commits", label="release size p50 (commits)", unit="count", better="lower",
            read=_at("releases", "size_commits", "p50")),
    Measure(name="lead_time_p50_hours", label="lead time p50", unit="h", better="lower", read=_lead_time),
    Measure(name="lead_time_to_trunk_p50_hours", label="lead time to trunk p50", unit="h", better="lower",
            read=_at("lead_time", "to_trunk_hours", "p50")),
    Measure(name="branch_lifetime_p50_hours", label="branch lifetime p50", unit="h", better="lower",
            read=_at("integration", "lifetime_hours", "p50")),
    Measure(name="branch_lifetime_p90_hours", label="branch lifetime p90", unit="h", better="lower",
            read=_at("integration", "lifetime_hours", "p90")),
    Measure(name="merged_within_a_day", label="branches merged within a day", unit="share", better="higher",
            read=_at("integration", "merged_within_a_day")),
    Measure(name="integrations_per_working_day", label="integrations per working day", unit="rate",
            better="higher", read=_at("integration", "per_working_day")),
    Measure(name="batch_commits_p50", label="batch size p50 (commits per branch)", unit="count", better="lower",
            read=_at("integration", "batch_commits", "p50")),
    Measure(name="active_branches", label="active branches", unit="count", better="lower",
            read=_at("wip", "active_branches")),
    Measure(name="stale_branches", label="stale branches", unit="count", better="lower",
            read=_at("wip", "stale_branches")),
    Measure(name="unmerged_commits", label="commits on active branches", unit="count", better="lower",
            read=_at("wip", "unmerged_commits")),
    Measure(name="integration_line_commits", label="commits waiting on long-lived lines", unit="count",
            better="lower", read=_at("wip", "integration_line_commits")),
    Measure(name="unreleased_trunk_commits", label="unreleased commits on the trunk", unit="count",
            better="lower", read=_at("wip", "unreleased_trunk_commits")),
    Measure(name="long_lived_lines", label="long-lived lines beside the trunk", unit="count", better="lower",
            read=_long_lived),
    Measure(name="change_failure_rate", label="change failure rate (proxy)", unit="share", better="lower",
            read=_at("failures", "change_failure_rate")),
    Measure(name="restore_p50_hours", label="time to restore p50 (proxy)", unit="h", better="lower",
            read=_at("failures", "restore_hours", "p50")),
    Measure(name="conformance_score", label="trunk-based conformance", unit="score", better="higher",
            read=_conformance),
)
BY_NAME = {measure.name: measure for measure in MEASURES}


def measures_of(metrics: Mapping[str, Any], verdict: Mapping[str, Any],
                extra: Mapping[str, Any]) -> dict[str, float | None]:
    """Every measure read from the JSON form of Metrics and Verdict (None: not measured)."""
    return {measure.name: measure.read(metrics, verdict, extra) for measure in MEASURES}


def _live_lines(long_lived: Any, trunk: str) -> int | None:
    if not isinstance(long_lived, list):
        return None
    return sum(1 for line in long_lived if isinstance(line, Mapping) and line.get("live") and line.get("name") != trunk)


# ---------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True, kw_only=True)
class CriterionState:
    id: str
    name: str
    metric: str
    direction: str  # "at-most" or "at-least"
    target: float
    unit: str
    current: float | None
    met: bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemState:
    """One checklist item as the plan folder held it when the scan ran."""

    id: str
    ticked: bool
    by: str  # "tool" (a measured fact ticked it), "person", or "" when unticked
    override: bool = False  # a person unticked what the tool would tick


@dataclass(frozen=True, slots=True, kw_only=True)
class StageState:
    id: str
    title: str
    status: str  # a StageStatus value: done, current, later (done: `recommend.stage_done`)
    criteria: tuple[CriterionState, ...]
    checklist: tuple[ItemState, ...] | None = None  # None: not recorded (an older or a backfilled snapshot)

    @property
    def ticked(self) -> int | None:
        return None if self.checklist is None else sum(1 for item in self.checklist if item.ticked)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanState:
    target_model: str
    current_stage: str | None  # None when every stage is done
    stages: tuple[StageState, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    version: int  # of the document it was read from
    tool_version: str
    scanned_at: datetime
    since: datetime  # the measured window
    until: datetime  # the moment the numbers describe: what trends are plotted against
    repo: str
    trunk: str
    trunk_tip: str
    model: str
    confidence: str
    measures: dict[str, float | None]
    plan: PlanState | None
    metrics: dict[str, Any]
    verdict: dict[str, Any]
    source: str = ""  # the file it was read from; not part of the document
    window_note: str | None = None  # why the window is not the default (a dormant repository), when it is not


def plan_state(plan: Plan, checklists: Mapping[str, Sequence[ItemState]] | None = None) -> PlanState:
    """The plan's status; `checklists` (stage id -> items) is the checklist the plan folder held,
    None when it is not known. The statuses are settled again under the one rule."""
    stages = tuple(
        StageState(id=stage.id, title=stage.title, status=stage.status.value, criteria=tuple(
            CriterionState(id=c.id, name=c.name, metric=c.metric, direction=c.direction, target=c.target,
                           unit=c.unit, current=c.current, met=c.met)
            for c in stage.criteria),
            checklist=None if checklists is None else tuple(checklists.get(stage.id, ())))
        for stage in plan.stages)
    return settle_state(PlanState(target_model=plan.target_model, current_stage=plan.current_stage, stages=stages))


def settle_state(plan: PlanState) -> PlanState:
    """Each stage done (`recommend.stage_done`: criteria hold and the recorded checklist is done; an
    unrecorded checklist is not done), current (the first not done) or later."""
    from advisor.recommend import StageStatus, stage_done

    result, current = [], None
    for stage in plan.stages:
        if stage_done((c.met for c in stage.criteria), stage.checklist is not None and all(
                item.ticked for item in stage.checklist)):
            status = StageStatus.DONE.value
        elif current is None:
            status, current = StageStatus.CURRENT.value, stage.id
        else:
            status = StageStatus.LATER.value
        result.append(replace(stage, status=status))
    return replace(plan, stages=tuple(result), current_stage=current)


def from_scan(scan: Scan, plan: Plan | None = None,
              checklists: Mapping[str, Sequence[ItemState]] | None = None) -> Snapshot:
    metrics: dict[str, Any] = _plain(scan.metrics)
    verdict: dict[str, Any] = _plain(scan.verdict)
    trunk = scan.history.trunk
    extra = {"long_lived_lines": sum(1 for line in scan.history.long_lived if line.live and line.name != trunk.name)}
    return Snapshot(
        version=VERSION, tool_version=scan.tool_version, scanned_at=scan.scanned_at,
        since=scan.window.since, until=scan.window.until, repo=scan.repo.path, trunk=trunk.name,
        trunk_tip=trunk.tip, model=scan.verdict.model, confidence=scan.verdict.confidence,
        measures=measures_of(metrics, verdict, extra),
        plan=plan_state(plan, checklists) if plan is not None else None,
        metrics=metrics, verdict=verdict, window_note=scan.dormant.note if scan.dormant is not None else None,
    )


# ---------------------------------------------------------------------------
# Documents


def _plain(value: Any) -> Any:
    """Records as JSON data: dicts, lists, enum values, ISO 8601 times.

    Deliberately not the scan document's encoder: a snapshot's shape changes
    only with its version, not when the scan document changes its own.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def to_document(snapshot: Snapshot) -> dict[str, Any]:
    """The JSON-able document of the current version."""
    return {
        "kind": KIND,
        "version": VERSION,
        "tool_version": snapshot.tool_version,
        "scanned_at": snapshot.scanned_at.isoformat(),
        "window": {"since": snapshot.since.isoformat(), "until": snapshot.until.isoformat(),
                   **({"note": snapshot.window_note} if snapshot.window_note is not None else {})},
        "repo": {"path": snapshot.repo, "trunk": snapshot.trunk, "trunk_tip": snapshot.trunk_tip},
        "measures": dict(snapshot.measures),
        "plan": _plain(snapshot.plan),
        "verdict": snapshot.verdict,
        "metrics": snapshot.metrics,
    }


def file_name(snapshot: Snapshot) -> str:
    """Unique per scan and sortable: the moment it describes (UTC, to the microsecond) and the trunk tip."""
    moment = snapshot.until.astimezone(timezone.utc)
    return f"{moment:%Y%m%dT%H%M%S%fZ}-{snapshot.trunk_tip[:12]}.json"


def version_of(document: Mapping[str, Any]) -> int:
    if document.get("kind") == KIND:
        version = document.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            return version
        raise SnapshotError(f"its version {version!r} is not a number")
    if document.get("schema_version") == 1 and "metrics" in document and "history" in document:
        return 1
    raise SnapshotError("it is neither an advisor snapshot nor an advisor scan document")


def migrate_v1(document: Mapping[str, Any]) -> dict[str, Any]:
    """A scan document (`advisor scan --format json`, scan schema 1) as a version 2 snapshot."""
    history = _mapping(document, "history")
    trunk = _mapping(history, "trunk")
    window = _mapping(document, "window")
    repo = _mapping(document, "repo")
    metrics = dict(_mapping(document, "metrics"))
    verdict = dict(_mapping(document, "verdict"))
    name = str(trunk.get("name", ""))
    extra = {"long_lived_lines": _live_lines(history.get("long_lived"), name)}
    return {
        "kind": KIND,
        "version": 2,
        "tool_version": document.get("tool_version", ""),
        "scanned_at": document.get("scanned_at"),
        "window": {"since": window.get("since"), "until": window.get("until")},
        "repo": {"path": repo.get("path", ""), "trunk": name, "trunk_tip": trunk.get("tip", "")},
        "measures": measures_of(metrics, verdict, extra),
        "plan": None,
        "verdict": verdict,
        "metrics": metrics,
    }


MIGRATIONS: dict[int, Callable[[Mapping[str, Any]], dict[str, Any]]] = {1: migrate_v1}


def migrate(document: Mapping[str, Any]) -> dict[str, Any]:
    """Any readable version, step by step, up to the current one."""
    version = version_of(document)
    if version > VERSION:
        raise SnapshotError(f"it was written by a newer advisor (snapshot version {version}; this one reads up to "
                            f"{VERSION})")
    current = dict(document)
    while version < VERSION:
        if version not in MIGRATIONS:
            raise SnapshotError(f"snapshot version {version} is not known")
        current = MIGRATIONS[version](current)
        version = version_of(current)
    return current


def from_document(document: Any) -> Snapshot:
    """A snapshot from a document of any version; SnapshotError says what is wrong with it."""
    if not isinstance(document, Mapping):
        raise SnapshotError("it is not a JSON object")
    original = version_of(document)
    current = migrate(document)
    try:
        window = _mapping(current, "window")
        repo = _mapping(current, "repo")
        verdict = dict(_mapping(current, "verdict"))
        measures_doc = _mapping(current, "measures")
        measures = {m.name: _number(measures_doc.get(m.name)) for m in MEASURES}
        plan = current.get("plan")
        return Snapshot(
            version=original, tool_version=str(current.get("tool_version", "")),
            scanned_at=_time(current.get("scanned_at")), since=_time(window.get("since")),
            until=_time(window.get("until")), repo=str(repo.get("path", "")), trunk=str(repo.get("trunk", "")),
            trunk_tip=str(repo.get("trunk_tip", "")), model=str(verdict.get("model", "unknown")),
            confidence=str(verdict.get("confidence", "")), measures=measures,
            plan=None if plan is None else _plan(plan), metrics=dict(_mapping(current, "metrics")), verdict=verdict,
            window_note=window["note"] if isinstance(window.get("note"), str) else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise SnapshotError(f"a field is missing or malformed ({error})") from None


def _mapping(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key)
    if not isinstance(value, Mapping):
        raise SnapshotError(f"its {key!r} is missing or not an object")
    return value


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise SnapshotError(f"the time {value!r} is not an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SnapshotError(f"the time {value!r} is not an ISO 8601 string") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _plan(value: Any) -> PlanState:
    if not isinstance(value, Mapping):
        raise SnapshotError("its 'plan' is not an object")
    stages = []
    for stage in value["stages"]:
        criteria = tuple(
            CriterionState(id=str(c["id"]), name=str(c["name"]), metric=str(c["metric"]),
                           direction=str(c["direction"]), target=float(c["target"]), unit=str(c["unit"]),
                           current=_number(c.get("current")),
                           met=c.get("met") if isinstance(c.get("met"), bool) else None)
            for c in stage["criteria"])
        checklist = stage.get("checklist")
        items = None if checklist is None else tuple(
            ItemState(id=str(i["id"]), ticked=bool(i["ticked"]), by=str(i.get("by", "")),
                      override=bool(i.get("override", False))) for i in checklist)
        stages.append(StageState(id=str(stage["id"]), title=str(stage["title"]), status=str(stage["status"]),
                                 criteria=criteria, checklist=items))
    current = value.get("current_stage")
    # Settled again on reading: a snapshot written before checklists were recorded claims no stage done.
    return settle_state(PlanState(target_model=str(value.get("target_model", "")),
                                  current_stage=None if current is None else str(current), stages=tuple(stages)))


def with_source(snapshot: Snapshot, source: str) -> Snapshot:
    return replace(snapshot, source=source)
