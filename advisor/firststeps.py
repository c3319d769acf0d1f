"""What to do first, from the verdict and the metrics.

Each rule is one question about the evidence with the advice it gives and
the source of its threshold; the first three that apply, in the order of the
way out that Lean and DevOps practice describes (stop adding work in
progress, automate, shrink batches, collapse the integration branch, release
more often), are what the summary shows. The scan carries them
(`Scan.first_steps`); the staged plan is `recommend`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from advisor.classify import Verdict
from advisor.metrics import Metrics
from advisor.model import STALE_DAYS


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    id: str
    text: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str
    applies: Callable[[Verdict, Metrics], bool]
    advice: Callable[[Verdict, Metrics], str]
    source: str


def _collapse(verdict: Verdict) -> str:
    if verdict.integration_line:
        return (f"Collapse the integration branch: merge into the trunk directly instead of through "
                f"{verdict.integration_line}, retarget its open branches, and release from the trunk.")
    if verdict.production_line:
        return (f"Release from the trunk: tag releases on it instead of merging into {verdict.production_line}, "
                f"then retire {verdict.production_line}.")
    # Only a next-release line beside the trunk (netbox's feature, git's next) failed the check.
    lines = _lines(verdict, "no-integration-line")
    return (f"Land the next release's work on the trunk behind feature flags instead of collecting it on {lines}, "
            f"then retire {'it' if ',' not in lines else 'them'}.")


def _lines(verdict: Verdict, check: str) -> str:
    return next((c.value for c in verdict.conformance.checks if c.id == check), "")


RULES: tuple[Rule, ...] = (
    Rule(
        id="close-stale-branches",
        applies=lambda v, m: m.wip.stale_branches > 0,
        advice=lambda v, m: (f"Stop adding work in progress: finish or delete the {m.wip.stale_branches} stale "
                             f"branch{'' if m.wip.stale_branches == 1 else 'es'} (no commit in {STALE_DAYS} days) "
                             "and keep new ones to a day or two."),
        source="GitHub and GitLab stale-branch rule (3 months); trunkbaseddevelopment.com",
    ),
    Rule(
        id="limit-active-branches",
        applies=lambda v, m: m.wip.active_branches > 3,
        advice=lambda v, m: (f"Limit work in progress: {m.wip.active_branches} branches are active; land or close "
                             "them until three or fewer are open at a time."),
        source="dora.dev/capabilities/trunk-based-development (three or fewer active branches)",
    ),
    Rule(
        id="shrink-branches",
        applies=lambda v, m: (m.integration.lifetime_hours.p50 or 0) > 24,
        advice=lambda v, m: (f"Shrink batches: branches live {m.integration.lifetime_hours.p50 or 0:.0f} h at the "
                             "median; slice work so each branch merges within a day (feature flags, branch by "
                             "abstraction)."),
        source="dora.dev/capabilities/working-in-small-batches; trunkbaseddevelopment.com",
    ),
    Rule(
        id="retire-integration-branch",
        applies=lambda v, m: not next(c.passed for c in v.conformance.checks if c.id == "no-integration-line"),
        advice=lambda v, m: _collapse(v),
        source="trunkbaseddevelopment.com/alternative-branching-models (Gitflow is incompatible with TBD)",
    ),
    Rule(
        id="release-more-often",
        applies=lambda v, m: m.releases.tier in ("medium", "low"),
        advice=lambda v, m: (f"Release more often to shrink releases: the median interval is "
                             f"{m.releases.interval_days.p50 or 0:.0f} days ({m.releases.tier} in DORA's tiers); "
                             "aim for weekly, then daily."),
        source="DORA 2023 deployment-frequency tiers",
    ),
    Rule(
        id="fix-on-trunk",
        applies=lambda v, m: not next(c.passed for c in v.conformance.checks if c.id == "fixes-from-trunk"),
        advice=lambda v, m: ("Fix on the trunk and cherry-pick to release lines, never the reverse: "
                             f"{_lines(v, 'fixes-from-trunk')}."),
        source="trunkbaseddevelopment.com/branch-for-release",
    ),
    Rule(
        id="integrate-daily",
        applies=lambda v, m: m.integration.per_working_day < 1 and m.integration.integrations > 0,
        advice=lambda v, m: (f"Integrate daily: the trunk takes {m.integration.per_working_day:.2f} integrations "
                             "per working day; everyone should merge into it at least once a day."),
        source="dora.dev/capabilities/continuous-integration",
    ),
)


def first_steps(verdict: Verdict, metrics: Metrics, limit: int = 3) -> tuple[Step, ...]:
    steps = [Step(id=rule.id, text=rule.advice(verdict, metrics), source=rule.source)
             for rule in RULES if rule.applies(verdict, metrics)]
    return tuple(steps[:limit])
