"""Snapshots -> progress: what changed since the previous scan and since the baseline.

For each measure (snapshot.MEASURES) the change and whether it is better,
worse or the same, by the direction the measure defines (lead time: lower is
better; release frequency: higher); which exit criteria of the plan became
true or regressed; the stage to work on now; one trend row per snapshot.
`check` turns the latest change into the reasons a CI job should fail.

Pure: snapshots (oldest first) in, records out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from advisor.model import human_days, human_hours
from advisor.snapshot import BY_NAME, MEASURES, CriterionState, Measure, Snapshot

# Changes smaller than this are "the same": a p50 that moved in the 4th decimal did not move.
EPSILON = 1e-6


class Direction(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    SAME = "same"
    UNKNOWN = "unknown"  # measured on one side only


class CriterionChange(StrEnum):
    MET = "met"  # did not hold before, holds now
    REGRESSED = "regressed"  # held before, does not now


@dataclass(frozen=True, slots=True, kw_only=True)
class Delta:
    measure: str
    label: str
    unit: str
    better: str  # "lower" or "higher"
    before: float | None
    after: float | None
    change: float | None  # after - before, when both are measured
    direction: Direction


@dataclass(frozen=True, slots=True, kw_only=True)
class CriterionDelta:
    stage: str
    id: str
    name: str
    change: CriterionChange
    before: float | None
    current: float | None
    direction: str  # "at-most" or "at-least"
    target: float
    unit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StageDelta:
    id: str
    title: str
    before: str | None  # None: the stage was not in the earlier plan
    after: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    """One snapshot in the trend."""

    at: datetime  # the end of its window: the moment its numbers describe
    scanned_at: datetime
    trunk: str
    trunk_tip: str
    model: str
    confidence: str
    stage: str | None  # the current stage of its plan
    measures: dict[str, float | None]
    source: str
    window_note: str | None = None  # why its window is not the default (a dormant repository)


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    since: Point
    to: Point
    model_changed: bool
    deltas: tuple[Delta, ...]
    criteria: tuple[CriterionDelta, ...]
    stages: tuple[StageDelta, ...]

    @property
    def better(self) -> int:
        return sum(1 for d in self.deltas if d.direction is Direction.BETTER)

    @property
    def worse(self) -> int:
        return sum(1 for d in self.deltas if d.direction is Direction.WORSE)


@dataclass(frozen=True, slots=True, kw_only=True)
class CurrentStage:
    id: str
    title: str
    met: int
    total: int
    open: tuple[CriterionState, ...]  # its criteria that do not hold yet
    ticked: int | None = None  # checklist items ticked; None: the snapshot recorded no checklist
    items: int | None = None  # checklist items in all; None: not recorded

    @property
    def checklist(self) -> str:
        """"checklist 1 of 5 ticked", or why it is not known."""
        if self.ticked is None or self.items is None:
            return "checklist not recorded (a snapshot from before checklists were kept, or backfilled)"
        return f"checklist {self.ticked} of {self.items} ticked"


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    snapshots: int
    baseline: Point | None
    latest: Point | None
    since_previous: Comparison | None
    since_baseline: Comparison | None  # the same as since_previous when there are two snapshots
    has_plan: bool
    plan_done: bool  # the latest plan has every stage done
    current_stage: CurrentStage | None
    trend: tuple[Point, ...]


def point(snapshot: Snapshot) -> Point:
    return Point(at=snapshot.until, scanned_at=snapshot.scanned_at, trunk=snapshot.trunk, trunk_tip=snapshot.trunk_tip,
                 model=snapshot.model, confidence=snapshot.confidence,
                 stage=snapshot.plan.current_stage if snapshot.plan else None, measures=dict(snapshot.measures),
                 source=snapshot.source, window_note=snapshot.window_note)


def direction(measure: Measure, before: float | None, after: float | None) -> Direction:
    if before is None or after is None:
        return Direction.SAME if before is None and after is None else Direction.UNKNOWN
    change = after - before
    if abs(change) <= EPSILON * max(1.0, abs(before), abs(after)):  # symmetric: swapping the two swaps the answer
        return Direction.SAME
    lower_is_better = measure.better == "lower"
    return Direction.BETTER if (change < 0) == lower_is_better else Direction.WORSE


def deltas(before: Snapshot, after: Snapshot) -> tuple[Delta, ...]:
    result = []
    for measure in MEASURES:
        old, new = before.measures.get(measure.name), after.measures.get(measure.name)
        result.append(Delta(measure=measure.name, label=measure.label, unit=measure.unit, better=measure.better,
                            before=old, after=new, change=None if old is None or new is None else new - old,
                            direction=direction(measure, old, new)))
    return tuple(result)


def _criteria(snapshot: Snapshot) -> dict[str, tuple[str, CriterionState]]:
    if snapshot.plan is None:
        return {}
    return {c.id: (stage.id, c) for stage in snapshot.plan.stages for c in stage.criteria}


def criterion_changes(before: Snapshot, after: Snapshot) -> tuple[CriterionDelta, ...]:
    """Criteria (matched by their stable id) that became true, or that held and no longer do.

    A criterion that held and can no longer be measured is not called regressed.
    """
    old = _criteria(before)
    result = []
    for ident, (stage, now) in _criteria(after).items():
        if ident not in old:
            continue
        was = old[ident][1]
        if was.met is not True and now.met is True:
            change = CriterionChange.MET
        elif was.met is True and now.met is False:
            change = CriterionChange.REGRESSED
        else:
            continue
        result.append(CriterionDelta(stage=stage, id=ident, name=now.name, change=change, before=was.current,
                                     current=now.current, direction=now.direction, target=now.target, unit=now.unit))
    return tuple(result)


def stage_changes(before: Snapshot, after: Snapshot) -> tuple[StageDelta, ...]:
    if after.plan is None:
        return ()
    old = {stage.id: stage.status for stage in before.plan.stages} if before.plan else {}
    return tuple(StageDelta(id=stage.id, title=stage.title, before=old.get(stage.id), after=stage.status)
                 for stage in after.plan.stages if old.get(stage.id) != stage.status)


def compare(before: Snapshot, after: Snapshot) -> Comparison:
    return Comparison(since=point(before), to=point(after), model_changed=before.model != after.model,
                      deltas=deltas(before, after), criteria=criterion_changes(before, after),
                      stages=stage_changes(before, after))


def current_stage(snapshot: Snapshot) -> CurrentStage | None:
    plan = snapshot.plan
    if plan is None or plan.current_stage is None:
        return None
    stage = next((s for s in plan.stages if s.id == plan.current_stage), None)
    if stage is None:
        return None
    return CurrentStage(id=stage.id, title=stage.title, met=sum(1 for c in stage.criteria if c.met is True),
                        total=len(stage.criteria), open=tuple(c for c in stage.criteria if c.met is not True),
                        ticked=stage.ticked, items=None if stage.checklist is None else len(stage.checklist))


def report(snapshots: Sequence[Snapshot]) -> Report:
    """The progress report of snapshots sorted oldest first (store.read_snapshots' order)."""
    if not snapshots:
        return Report(snapshots=0, baseline=None, latest=None, since_previous=None, since_baseline=None,
                      has_plan=False, plan_done=False, current_stage=None, trend=())
    first, last = snapshots[0], snapshots[-1]
    previous = compare(snapshots[-2], last) if len(snapshots) > 1 else None
    baseline = compare(first, last) if len(snapshots) > 1 else None
    return Report(
        snapshots=len(snapshots), baseline=point(first), latest=point(last), since_previous=previous,
        since_baseline=baseline, has_plan=last.plan is not None,
        plan_done=last.plan is not None and bool(last.plan.stages) and last.plan.current_stage is None,
        current_stage=current_stage(last), trend=tuple(point(s) for s in snapshots),
    )


# ---------------------------------------------------------------------------
# check: why a CI job should fail


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    key: str  # the configuration key, e.g. "max_active_branches"
    measure: str  # snapshot measure name
    bound: str  # "max" or "min"
    limit: float
    source: str  # the file that set it
    line: int | None = None  # the line of that file that sets it (1-based), when it can be found


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    kind: str  # "window" (a note on the latest snapshot's window), "stage", "regressed", "threshold" or "unmeasured"
    failed: bool  # whether it fails the check
    text: str
    subject: str = ""  # what it is about: the criterion id, or the threshold's configuration key
    evidence: tuple[tuple[str, str], ...] = ()  # (name, value shown to people), in order


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "not measured"
    if unit in ("share", "score"):
        return f"{value:.0%}"
    if unit == "h":
        return human_hours(value)
    if unit == "d":
        return human_days(value)
    if unit == "rate":
        return f"{value:.2f}"
    return f"{value:g}"


def criterion_value(value: float | None, unit: str) -> str:
    """A criterion's value with the plan's own unit ("", "h", "days", "%", "per day"...)."""
    if value is None:
        return "not measured"
    shown = f"{round(value, 1 if abs(value) >= 10 else 2):g}"  # 41.6 h, 0.55 per day: not 41.5925 h
    if unit == "%":
        return f"{shown}%"
    if unit in ("h", "days"):  # durations in the one style of every output
        return human_hours(value) if unit == "h" else human_days(value)
    return shown + (f" {unit}" if unit else "")


def check(snapshots: Sequence[Snapshot], thresholds: Sequence[Threshold], *,
          fail_on_regression: bool = True) -> tuple[Finding, ...]:
    """The latest snapshot against the previous one (criteria) and against the thresholds."""
    if not snapshots:
        return ()
    latest = snapshots[-1]
    findings = []
    if latest.window_note is not None:
        findings.append(Finding(kind="window", failed=False, text=f"window: {latest.window_note}"))
    stage = current_stage(latest)
    if stage is not None and stage.total and stage.met == stage.total:
        # The criteria alone do not make a stage done (recommend.stage_done): say what holds it back.
        findings.append(Finding(kind="stage", failed=False, subject=stage.id, text=(
            f"stage: {stage.id} ({stage.title}) is not done: its {stage.total} exit criteria hold, "
            f"{stage.checklist}"), evidence=(("stage", stage.title), ("criteria", f"{stage.met} of {stage.total}"),
                                             ("checklist", stage.checklist))))
    if len(snapshots) > 1:
        before = snapshots[-2]
        for change in criterion_changes(before, latest):
            if change.change is not CriterionChange.REGRESSED:
                continue
            bound = "at most" if change.direction == "at-most" else "at least"
            findings.append(Finding(kind="regressed", failed=fail_on_regression, text=(
                f"regressed: {change.id} ({change.name}) held on {before.until:%Y-%m-%d} "
                f"({criterion_value(change.before, change.unit)}) and does not now "
                f"({criterion_value(change.current, change.unit)}; the target is {bound} "
                f"{criterion_value(change.target, change.unit)})"), subject=change.id, evidence=(
                ("criterion", change.name), ("stage", change.stage),
                ("held on", f"{before.until:%Y-%m-%d}"), ("then", criterion_value(change.before, change.unit)),
                ("now", criterion_value(change.current, change.unit)), ("snapshot", f"{latest.until:%Y-%m-%d}"),
                ("target", f"{bound} {criterion_value(change.target, change.unit)}"))))
    for threshold in thresholds:
        measure = BY_NAME[threshold.measure]
        value = latest.measures.get(threshold.measure)
        shown = f"{threshold.key} = {_value(threshold.limit, measure.unit)} in {threshold.source}"
        if value is None:
            findings.append(Finding(kind="unmeasured", failed=False, text=(
                f"not checked: {measure.label} is not measured in the latest scan ({shown})"),
                subject=threshold.key, evidence=(("measure", measure.label), ("set in", threshold.source))))
            continue
        crossed = value > threshold.limit + EPSILON if threshold.bound == "max" else value < threshold.limit - EPSILON
        if crossed:
            side = "above" if threshold.bound == "max" else "below"
            findings.append(Finding(kind="threshold", failed=True, text=(
                f"threshold: {measure.label} is {_value(value, measure.unit)}, {side} {shown}"),
                subject=threshold.key, evidence=(
                    ("measure", measure.label), ("value", _value(value, measure.unit)),
                    ("limit", f"{threshold.bound} {_value(threshold.limit, measure.unit)}"),
                    ("set in", threshold.source), ("snapshot", f"{latest.until:%Y-%m-%d}"))))
    return tuple(findings)


def format_value(value: float | None, unit: str) -> str:
    """A measure's value for people: hours, days, percentages, rates, counts."""
    return "-" if value is None else _value(value, unit)


def format_change(delta: Delta) -> str:
    """The change with its sign: "+2.5 h", "-10 pp" for shares."""
    if delta.change is None:
        return "-"
    if delta.direction is Direction.SAME:
        return "0"
    sign = "+" if delta.change > 0 else "-"
    size = abs(delta.change)
    if delta.unit in ("share", "score"):
        return f"{sign}{_shown(size * 100, 0)} pp"
    if delta.unit in ("h", "d"):
        hours = size if delta.unit == "h" else size * 24
        return sign + (human_hours(hours) if hours >= 0.05 else f"{_shown(hours, 1)} h")
    if delta.unit == "rate":
        return f"{sign}{_shown(size, 2)}"
    return f"{sign}{size:g}"


def _shown(size: float, decimals: int) -> str:
    """`size` (positive) to `decimals` places, or to its first significant digit where that reads 0: the
    direction says it moved ("3.93 -> 3.93, -0.00, worse" read as a mistake; it is -0.003)."""
    text = f"{size:.{decimals}f}"
    if float(text) == 0 and size > 0:
        first = float(f"{size:.1g}")  # rounded to that digit first: 0.00999... is 0.01, not 0.010
        text = f"{first:.{max(decimals, -math.floor(math.log10(first)))}f}"
    return text


# The trend table's columns: (measure, short column heading).
TREND_MEASURES = (("branch_lifetime_p50_hours", "lifetime p50"), ("release_interval_p50_days", "release interval"),
                  ("lead_time_p50_hours", "lead time p50"), ("active_branches", "active"),
                  ("stale_branches", "stale"), ("long_lived_lines", "long-lived lines"),
                  ("conformance_score", "conformance"))
CHART_MEASURES = ("branch_lifetime_p50_hours", "release_interval_p50_days", "lead_time_p50_hours",
                  "active_branches")


def series(trend: Sequence[Point], measure: str) -> list[tuple[datetime, float]]:
    """The measured points of one measure over the trend (unmeasured snapshots left out)."""
    return [(p.at, value) for p in trend if (value := p.measures.get(measure)) is not None]


def measure_of(name: str) -> Measure:
    return BY_NAME[name]
