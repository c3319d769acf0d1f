"""Plans built by hand from a scan, so the snapshot tests control every stage and criterion.

Three stages, each with exit criteria measured on the scan, ticked the way the
planner ticks them: a stage is done when all its criteria hold, the first one
not done is current. `NO_CI` is a repository without CI configuration, for the
tests that build real plans.
"""

from __future__ import annotations

from advisor.protection import CiChecks, MergeSettings, Policy
from advisor.recommend import Criterion, Plan, Stage, StageStatus
from advisor.scan import Scan

NO_CI = CiChecks(provider=None, files=(), checks=(), triggers={})

# (stage id, title, [(criterion id, name, metric, direction, target, unit, read)])
STAGES = (
    ("stop-adding-wip", "Stop adding work in progress", (
        ("stop-adding-wip.stale-branches", "stale branches", "wip.stale_branches", "at-most", 0.0, ""),
        ("stop-adding-wip.active-branches", "active branches", "wip.active_branches", "at-most", 3.0, ""),
    )),
    ("shrink-batches", "Shrink batches", (
        ("shrink-batches.lifetime", "branch lifetime p90", "integration.lifetime_hours.p90", "at-most", 48.0, "h"),
    )),
    ("retire-integration-line", "Retire the integration branch", (
        ("retire-integration-line.lines", "long-lived lines beside the trunk", "history.long_lived", "at-most", 0.0,
         ""),
    )),
)


def measured(scan: Scan, metric: str) -> float | None:
    m = scan.metrics
    if metric == "wip.stale_branches":
        return float(m.wip.stale_branches)
    if metric == "wip.active_branches":
        return float(m.wip.active_branches)
    if metric == "integration.lifetime_hours.p90":
        return m.integration.lifetime_hours.p90
    if metric == "history.long_lived":
        trunk = scan.history.trunk.name
        return float(sum(1 for line in scan.history.long_lived if line.live and line.name != trunk))
    raise KeyError(metric)


def policy(stage: str, trunk: str) -> Policy:
    return Policy(
        stage=stage, title=stage, trunk=trunk, rules=(),
        merge=MergeSettings(allow_merge_commit=True, allow_squash_merge=True, allow_rebase_merge=True,
                            allow_auto_merge=False, delete_branch_on_merge=True, pipeline_must_succeed=False),
        scorecard_tier=0, checks=NO_CI,
    )


def plan_for(scan: Scan) -> Plan:
    trunk = scan.history.trunk.name
    stages = []
    current = None
    for ident, title, specs in STAGES:
        criteria = []
        for cid, name, metric, direction, target, unit in specs:
            value = measured(scan, metric)
            met = None if value is None else (value <= target if direction == "at-most" else value >= target)
            criteria.append(Criterion(id=cid, name=name, metric=metric, direction=direction, target=target,
                                      ideal=target, current=value, unit=unit, met=met, source="tests"))
        done = all(c.met for c in criteria)
        if done:
            status = StageStatus.DONE
        elif current is None:
            status, current = StageStatus.CURRENT, ident
        else:
            status = StageStatus.LATER
        stages.append(Stage(id=ident, title=title, goal=title, why="", actions=(), criteria=tuple(criteria),
                            risks=(), rollback="", status=status, policy=policy(ident, trunk)))
    return Plan(current_model=scan.verdict.model, confidence=scan.verdict.confidence,
                target_model="trunk-based", target_reason="", trunk=trunk, trunk_tip=scan.history.trunk.tip,
                scanned_at=scan.scanned_at, stages=tuple(stages), skipped=(), current_stage=current)
