"""The staged plan to trunk-based development, from a Scan.

Each stage has checklist items with stable ids and measurable exit criteria
over the scan's metrics; the protection settings of each stage come from
`protection`. (What to do first, the scan's short advice, is `firststeps`.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import shlex
from urllib.parse import quote
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from advisor.ci import system_of
from advisor.ci.model import CiChecks
from advisor.classify import line_roles
from advisor.model import counted
from advisor import policies
from advisor.evidence import RECENT_DAYS, TeamFacts, team_facts
from advisor.risk import Risk
from advisor.policies import Wish
from advisor.protection import Policy
from advisor.scan import LiveBranchReport, Scan
from advisor.targets import quantity, step_down, step_up


class StageStatus(StrEnum):
    DONE = "done"  # every exit criterion holds
    CURRENT = "current"  # the first stage not done: the one to work on
    LATER = "later"


@dataclass(frozen=True, slots=True, kw_only=True)
class Criterion:
    """A measurable exit criterion: `metric` compared with `target` the way `direction` says."""

    id: str  # stable across scans: "<stage>.<what>"
    name: str  # for people: "stale branches"
    metric: str  # where the value comes from, e.g. "wip.stale_branches"
    direction: str  # "at-most" or "at-least"
    target: float  # the next step from the current value
    ideal: float  # where the step leads in the end
    current: float | None  # None when the scan cannot measure it
    unit: str  # "", "h", "days", "%", "per day"...
    met: bool | None  # None when not measurable
    source: str  # where the threshold comes from
    baseline: float | None = None  # the value the target was stepped from (None: not measured then)
    # What the baseline was measured over: the trunk commit and the window ("" when not known).
    measured_over: str = ""
    # The earlier baseline, when the same history (same trunk commit and window) now measures
    # differently (advisor's reading changed): the target was stepped again from today's value.
    restepped_from: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """A checklist item; the tool ticks it itself when `criterion` holds."""

    id: str  # stable across scans
    text: str  # plain text; "{0}", "{1}"... stand for the entries of `code`; the renderer escapes both
    criterion: str | None = None
    code: tuple[str, ...] = ()  # untrusted literal values (branch names, files) shown as code spans
    verify: str = ""  # for what no scan can see (a host setting): the command that shows it on GitHub
    verify_gitlab: str = ""  # the same on GitLab


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    id: str
    title: str
    goal: str
    why: str
    actions: tuple[Action, ...]
    criteria: tuple[Criterion, ...]
    risks: tuple[str, ...]
    rollback: str
    status: StageStatus
    policy: Policy


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedStage:
    id: str
    title: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    current_model: str
    confidence: str
    target_model: str  # "trunk-based" or "trunk-based with release branches"
    target_reason: str
    trunk: str
    trunk_tip: str
    scanned_at: datetime
    stages: tuple[Stage, ...]
    skipped: tuple[SkippedStage, ...]
    current_stage: str | None  # None when every stage is done
    maintenance_lines: tuple[str, ...] = ()  # release lines fed with fixes, as the history shows them
    environment_lines: tuple[str, ...] = ()  # lines the trunk's work is promoted into (staging, production...)
    dormant: str | None = None  # the repository is dormant: what the scan found, instead of stages of work
    facts: TeamFacts | None = None  # the measured facts the settings and the people section rest on
    library: bool = True  # releases are published versions (tags), not deployments of a running service
    release_train: str | None = None  # a steady release interval: the plan treats it as the team's choice


@dataclass(frozen=True, slots=True, kw_only=True)
class Prior:
    """What an earlier plan in the same folder fixed: its stages and its targets.

    Targets are set once, as a step from the value measured when a criterion
    first appeared; later scans measure against the same target, so meeting
    it is progress and missing it again is a regression.
    """

    stages: tuple[str, ...] = ()
    targets: Mapping[str, float] = field(default_factory=dict)
    # The value each target was stepped from; a target whose baseline is absent or was not measured
    # is stepped again from today's value instead of staying at the ideal it fell back to.
    baselines: Mapping[str, float | None] = field(default_factory=dict)
    # What each baseline was measured over (`Criterion.measured_over`), and what this scan measures over.
    baseline_over: Mapping[str, str] = field(default_factory=dict)
    measured_over: str = ""


def measured_over(scan: Scan) -> str:
    """The trunk commit and window a scan measured: two scans with the same read the same history."""
    return f"{scan.history.trunk.tip} {scan.window.since.isoformat()}/{scan.window.until.isoformat()}"


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


TARGET_TRUNK_BASED = "trunk-based"
TARGET_RELEASE_BRANCHES = "trunk-based with release branches"
RETIRED_AFTER_DAYS = 30  # a line without a commit for this long no longer carries work
LISTED = 15  # branches named one by one in a checklist; the rest are counted

SOURCE_ACTIVE = "dora.dev/capabilities/trunk-based-development (three or fewer active branches)"
SOURCE_STALE = "GitHub and GitLab stale-branch rule (3 months)"
SOURCE_LIFETIME = "dora.dev/capabilities/trunk-based-development (branches live less than a day)"
SOURCE_WITHIN_DAY = "dora.dev/capabilities/trunk-based-development; advisor defaults (>= 90 %)"
SOURCE_CI = "dora.dev/capabilities/continuous-integration"
SOURCE_DAILY = "dora.dev/capabilities/continuous-integration (merge into the trunk at least daily)"
SOURCE_SIZE = "LinearB benchmark, elite pull requests under 225 changed lines (vendor data, not research)"
SOURCE_TBD_MODELS = "trunkbaseddevelopment.com/alternative-branching-models"
SOURCE_RELEASE = "DORA 2023 deployment-frequency tiers (weekly: high; daily: elite)"
SOURCE_LEAD = "DORA 2023 lead-time tiers (under a day: elite)"
SOURCE_CFR = "DORA 2023 change-failure tiers (15 % or less: medium and better)"
SOURCE_FIXES = "trunkbaseddevelopment.com/branch-for-release"
SOURCE_SPIRAL = "FIELD-NOTES: the deployment death spiral (longer intervals, bigger releases, more failures)"


class _Criteria:
    """Builds criteria with targets kept from an earlier plan when it had them."""

    def __init__(self, stage: str, prior: Prior) -> None:
        self.stage, self.prior = stage, prior

    def make(self, what: str, name: str, metric: str, current: float | None, ideal: float, *,
             less_is_better: bool, unit: str, source: str, fixed: bool = False) -> Criterion:
        ident = f"{self.stage}.{what}"
        prior = self.prior
        baseline, over = prior.baselines.get(ident), prior.baseline_over.get(ident, "")
        # The same trunk commit and window measured differently: the baseline was a misreading, so
        # the steps are recomputed from what the history measures now.
        remeasured = (not fixed and ident in prior.targets and baseline is not None and current is not None
                      and bool(over) and over == prior.measured_over and not _same(baseline, current))
        restepped_from = baseline if remeasured else None
        if ident in prior.targets and (fixed or baseline is not None) and not remeasured:
            target = prior.targets[ident]
        elif current is None or fixed:
            target, baseline, over = ideal, current, prior.measured_over
        else:
            target = step_down(current, ideal, unit) if less_is_better else step_up(current, ideal)
            baseline, over = current, prior.measured_over
        met = None if current is None else (current <= target if less_is_better else current >= target)
        return Criterion(id=ident, name=name, metric=metric, direction="at-most" if less_is_better else "at-least",
                         target=target, ideal=ideal, current=current, unit=unit, met=met, source=source,
                         baseline=baseline, measured_over=over, restepped_from=restepped_from)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Evidence:
    """The facts of one scan the plan is tailored to."""

    scan: Scan
    ci: CiChecks
    trunk: str
    stale: tuple[LiveBranchReport, ...]  # short-lived branches idle past the stale limit
    merged_leftovers: tuple[LiveBranchReport, ...]  # fully merged but not deleted
    active: tuple[LiveBranchReport, ...]  # open, recently active short-lived branches
    lines_to_retire: tuple[str, ...]  # integration, production and environment lines
    maintenance: tuple[str, ...]
    environment: tuple[str, ...]
    release_branches: bool  # several release lines are maintained: keep short release branches
    facts: TeamFacts
    linear_stage: str  # the stage whose exit criterion is "no merge commit on the trunk": linear history after it
    risk: Risk = Risk()  # the paths the window's reverts and hotfixes concentrated in


_STAGE_ORDER = ("escape-death-spiral", "stop-adding-wip", "automate", "shrink-batches", "collapse-lines",
                "release-from-trunk", "continuous-delivery")


def _gather(scan: Scan, ci: CiChecks, prior: Prior, risk: Risk = Risk()) -> _Evidence:
    history, verdict = scan.history, scan.verdict
    short_lived = [r for r in scan.live if not r.branch.long_lived and r.branch.name != history.trunk.name]
    stale = sorted((r for r in short_lived if r.stale and not r.branch.merged), key=lambda r: (-r.idle_days, r.branch.name))
    merged = sorted((r for r in short_lived if r.branch.merged), key=lambda r: r.branch.name)
    active = sorted((r for r in short_lived if not r.stale and not r.branch.merged),
                    key=lambda r: (-r.branch.ahead, r.branch.name))
    roles = line_roles(history)
    retire = [name for name in (verdict.integration_line, verdict.production_line, *roles.environment)
              if name and name != history.trunk.name]
    lines_to_retire = tuple(dict.fromkeys(retire))
    return _Evidence(
        facts=team_facts(scan),
        linear_stage="collapse-lines" if lines_to_retire or "collapse-lines" in prior.stages else "shrink-batches",
        scan=scan, ci=ci, trunk=history.trunk.name, stale=tuple(stale), merged_leftovers=tuple(merged),
        active=tuple(active), lines_to_retire=lines_to_retire, maintenance=verdict.maintained_lines,
        environment=roles.environment,
        # Only release lines active in the window are maintained; a dormant one is a stale line.
        release_branches=verdict.model == "release-branching" or bool(verdict.maintained_lines),
        risk=risk,
    )


def _line_is_active(scan: Scan, name: str) -> bool:
    line = next((line for line in scan.history.long_lived if line.name == name), None)
    if line is None or not line.live:
        return False
    return (scan.scanned_at - line.last_commit_at).total_seconds() < RETIRED_AFTER_DAYS * 86_400


def _ids(*parts: str) -> str:
    """A stable checklist id from its parts (names in it go through `_name_key` first)."""
    return ".".join(parts)


def _name_key(name: str) -> str:
    """A branch or file name as a short id part: hashed, so any name gives a safe, stable id."""
    return hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def _branch_items(prefix: str, reports: Sequence[LiveBranchReport], text: str,
                  detail: Callable[[LiveBranchReport], str]) -> list[Action]:
    items = [Action(id=_ids(prefix, _name_key(r.branch.name)), text=f"{text} ({detail(r)})", code=(r.branch.name,))
             for r in reports[:LISTED]]
    if len(reports) > LISTED:
        items.append(Action(id=_ids(prefix, "rest"),
                            text=f"{text.format('the other')} {len(reports) - LISTED} branches (advisor scan lists them)"))
    return items


def _policy(stage: str, title: str, ev: _Evidence, wish: Wish) -> Policy:
    entry_after = _STAGE_ORDER.index(stage) > _STAGE_ORDER.index(ev.linear_stage)
    ok, reason = policies.linear_reason(ev.facts, ev.linear_stage, entry_after)
    ctx = policies.Context(trunk=ev.trunk, ci=ev.ci, facts=ev.facts, linear_ok=ok, linear_reason=reason,
                           release_branches=ev.release_branches, risk=ev.risk)
    if not wish.lock:  # not retired yet: the lines work still lands on are kept from deletion and force pushes
        lines = {line.name: line for line in ev.scan.history.long_lived if line.live}
        wish = dataclasses.replace(wish, keep=tuple(
            (name, f"{name} took its last commit on {lines[name].last_commit_at:%Y-%m-%d}")
            for name in ev.lines_to_retire if name in lines))
    return policies.policy(stage, title, ctx, wish)


def _stage_escape(ev: _Evidence, prior: Prior) -> Stage | None:
    metrics = ev.scan.metrics
    if not metrics.death_spiral.warning and "escape-death-spiral" not in prior.stages:
        return None
    c = _Criteria("escape-death-spiral", prior)
    unreleased = ev.scan.history.unreleased_trunk_commits
    criteria = (
        c.make("release-interval", "median days between releases", "releases.interval_days.p50",
               metrics.releases.interval_days.p50, 7, less_is_better=True, unit="days", source=SOURCE_SPIRAL),
        c.make("release-size", "median changes per release", "releases.size_changes.p50",
               metrics.releases.size_changes.p50, 10, less_is_better=True, unit="changes", source=SOURCE_SPIRAL),
    )
    actions = [
        Action(id="escape-death-spiral.ship-now",
               text="Ship what the trunk already has in a small release now"
                    + (f" ({unreleased} commits are waiting)" if unreleased else ""), criterion=criteria[1].id),
        Action(id="escape-death-spiral.fixed-cadence",
               text="Fix the next release dates on the calendar (every two weeks at most) and cut scope, not dates",
               criterion=criteria[0].id),
        Action(id="escape-death-spiral.no-stabilisation",
               text="Stop long stabilisation phases: fix forward on the trunk and release the fix"),
    ]
    return Stage(
        id="escape-death-spiral", title="Break the release death spiral",
        goal="Release smaller and sooner before anything else: the last releases grew further apart, bigger and "
             "more often needed fixes.",
        why=f"{metrics.death_spiral.reason}. Each late release carries more change, so it fails more, so the next "
            "one is delayed more: only shrinking the release breaks the loop.",
        actions=tuple(actions), criteria=criteria,
        risks=("A rushed release without its usual stabilisation: keep it small, and keep the previous version ready "
               "to redeploy.",),
        rollback="Redeploy the previous release; the calendar stays.",
        status=StageStatus.LATER, policy=_policy("escape-death-spiral", "Break the release death spiral", ev, Wish()),
    )


def _stage_wip(ev: _Evidence, prior: Prior) -> Stage:
    wip = ev.scan.metrics.wip
    tagged = {r.commit: r.tag for r in sorted(ev.scan.history.releases, key=lambda r: r.at)}
    shipped = {r.branch.name: tagged[r.branch.tip] if r.branch.tip in tagged else r.branch.tip_tags[0]
               for r in ev.stale if r.branch.tip in tagged or r.branch.tip_tags}
    c = _Criteria("stop-adding-wip", prior)
    criteria = (
        c.make("stale-branches", "stale branches (no commit in 90 days)", "wip.stale_branches",
               wip.stale_branches, 0, less_is_better=True, unit="", source=SOURCE_STALE, fixed=True),
        c.make("active-branches", "active branches", "wip.active_branches", wip.active_branches, 3,
               less_is_better=True, unit="", source=SOURCE_ACTIVE),
    )
    actions: list[Action] = [
        Action(id="stop-adding-wip.no-new-long-lived",
               text="Agree as a team: no new long-lived branches; every branch merges into "
                    "{0} or is closed within days", code=(ev.trunk,)),
        *_branch_items("stop-adding-wip.delete-stale", [r for r in ev.stale if r.branch.name not in shipped],
                       "Finish or delete {0}",
                       lambda r: f"no commit for {r.idle_days:.0f} days, {_count(r.branch.ahead, 'commit')} not on the trunk"),
        # A stale branch whose own commits carry a version tag was a release: the tag keeps what shipped.
        *_branch_items("stop-adding-wip.delete-released", [r for r in ev.stale if r.branch.name in shipped],
                       "Delete {0}",
                       lambda r: f"released as tag {shipped[r.branch.name]}, which keeps its "
                                 f"{_count(r.branch.ahead, 'commit')} not on the trunk; no commit for "
                                 f"{r.idle_days:.0f} days"),
        *_branch_items("stop-adding-wip.delete-merged", ev.merged_leftovers, "Delete {0}",
                       lambda r: "already merged"),
        *_branch_items("stop-adding-wip.land", ev.active, "Land or close {0}", _active_detail),
        Action(id="stop-adding-wip.delete-on-merge",
               text="Turn on deleting branches when they merge (settings in protection/stop-adding-wip)",
               verify="gh api repos/OWNER/NAME --jq .delete_branch_on_merge",
               verify_gitlab="glab api projects/:id | jq .remove_source_branch_after_merge"),
    ]
    return Stage(
        id="stop-adding-wip", title="Stop adding work in progress",
        goal="Finish what is open before starting more: delete dead branches, land or close the live ones, "
             "and start no new long-lived branch.",
        why=f"Work in progress is waste: {wip.active_branches} active and {wip.stale_branches} stale branches "
            f"hold {_count(sum(r.branch.ahead for r in (*ev.active, *ev.stale)), 'commit')} the trunk does not "
            "have. Every open branch drifts further from "
            "the trunk, and the merge gets bigger and riskier the longer it waits.",
        actions=tuple(actions), criteria=criteria,
        risks=("Deleting a branch someone still needs: announce the list a week ahead; a deleted branch can be "
               "restored from its last commit.",),
        rollback="Recreate a deleted branch from its last commit: git push origin COMMIT:refs/heads/NAME.",
        status=StageStatus.LATER,
        policy=_policy("stop-adding-wip", "Stop adding work in progress", ev, Wish()),
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _active_detail(report: LiveBranchReport) -> str:
    parts = [f"{_count(report.branch.ahead, 'commit')} ahead"]
    if report.age_days is not None:
        parts.append(f"forked {report.age_days:.0f} days ago")
    if report.merge is not None and report.merge.clean is False:
        parts.append(f"conflicts in {_count(len(report.merge.conflicts), 'file')}")
    return ", ".join(parts)


def _stage_automate(ev: _Evidence, prior: Prior) -> Stage:
    c = _Criteria("automate", prior)
    found = 1.0 if ev.ci.provider else 0.0
    criteria = (
        c.make("ci-configured", "CI configuration on the trunk", "ci.provider", found, 1, less_is_better=False,
               unit="", source=SOURCE_CI, fixed=True),
        c.make("pr-checks", "checks that report on every update of a pull request into the trunk", "ci.checks",
               float(len(ev.ci.checks) or ("gitlab-ci" in (ev.ci.provider or ""))), 1, less_is_better=False,
               unit="checks", source=SOURCE_CI, fixed=True),
    )
    actions: list[Action] = []
    if ev.ci.provider:
        actions.append(Action(id="automate.ci-on-every-push",
                              text="Run CI on every update of every pull request into the trunk, not only on "
                                   "long-lived branches (configuration: {0})", code=(", ".join(ev.ci.files),),
                              criterion=criteria[1].id))
    else:
        actions.append(Action(id="automate.add-ci",
                              text="Add a CI pipeline that builds and tests every push and every pull request",
                              criterion=criteria[0].id))
    if ev.ci.checks:
        actions.append(Action(id="automate.require-checks",
                              text="Make the checks {0} required on {1} (settings in protection/automate)",
                              code=(", ".join(ev.ci.checks), ev.trunk), verify=_ruleset_check(ev.trunk), verify_gitlab=_protected_check(ev.trunk)))
    else:
        actions.append(Action(id="automate.require-checks",
                              text="Make the CI result a required check on {0}: add your check names to the "
                                   "settings in protection/automate before applying them", code=(ev.trunk,),
                              verify=_ruleset_check(ev.trunk), verify_gitlab=_protected_check(ev.trunk)))
    actions += [
        Action(id="automate.fast-build", text="Keep the build and tests under 10 minutes (split or parallelise "
                                              "slow suites; DORA's continuous-integration guidance)"),
        Action(id="automate.revert-first", text="When the trunk breaks, revert first and fix after: nobody "
                                                "merges onto a red trunk"),
        Action(id="automate.review-rule", text="Require pull requests with one approval on the trunk",
               verify=_ruleset_check(ev.trunk), verify_gitlab=_protected_check(ev.trunk)),
    ]
    if ev.risk.paths:
        actions.append(Action(
            id="automate.code-owners",
            text="Commit protection/automate/github/CODEOWNERS as .github/CODEOWNERS (GitLab: gitlab/CODEOWNERS as "
                 ".gitlab/CODEOWNERS), with handles for the emails, before applying the settings: code owners then "
                 "review changes to {0}, where the window's reverts and hotfixes concentrated",
            code=(", ".join(r.pattern for r in ev.risk.paths),),
            verify="gh api repos/OWNER/NAME/codeowners/errors",
            verify_gitlab=_protected_check(ev.trunk) + " | jq .code_owner_approval_required"))
    return Stage(
        id="automate", title="Automate the tests and the pipeline",
        goal="Every push is built and tested in minutes, and nothing lands on the trunk unless the checks pass.",
        why="Small batches only work when each one is checked cheaply: fast automated checks replace the "
            "stabilisation an integration branch or a freeze gave, and make integrating many times a day safe.",
        actions=tuple(actions), criteria=criteria,
        risks=("A slow or flaky required check blocks everyone: fix or quarantine flaky tests first.",),
        rollback="Switch the ruleset's enforcement to evaluate (GitHub) or unprotect the branch (GitLab) "
                 "while the pipeline is fixed.",
        status=StageStatus.LATER,
        policy=_policy("automate", "Automate the tests and the pipeline", ev, Wish(pull_requests=True, checks=True)),
    )


SOURCE_LINEAR = "GitHub required_linear_history refuses every merge commit; advisor waits until none was made"


def _is_release_tool(path: str) -> bool:
    system = system_of(path)
    return system is not None and system.kind == "release"


def _ruleset_check(branch: str) -> str:
    """The call that shows which rules apply to a branch on GitHub (a host setting no scan can see)."""
    return f"gh api repos/OWNER/NAME/rules/branches/{quote(branch, safe='')}"


def _protected_check(branch: str) -> str:
    """The GitLab call that shows a branch's protection (glab fills in :id from the clone it runs in)."""
    return f"glab api projects/:id/protected_branches/{quote(branch, safe='')}"


def _merge_criterion(c: _Criteria, ev: _Evidence) -> Criterion:
    """Merge commits on the trunk have stopped: from the next stage, linear history can be required."""
    return c.make("no-merge-commits", f"merge commits on the trunk in the last {RECENT_DAYS} days",
                  "evidence.trunk-merge-commits", ev.facts.merge_commits.value, 0, less_is_better=True, unit="",
                  source=SOURCE_LINEAR, fixed=True)


def _stage_batches(ev: _Evidence, prior: Prior) -> Stage:
    integration = ev.scan.metrics.integration
    c = _Criteria("shrink-batches", prior)
    within = integration.merged_within_a_day
    criteria = (
        c.make("lifetime", "median branch lifetime", "integration.lifetime_hours.p50",
               integration.lifetime_hours.p50, 24, less_is_better=True, unit="h", source=SOURCE_LIFETIME),
        c.make("merged-within-a-day", "branches merged within a day", "integration.merged_within_a_day",
               None if within is None else round(within * 100, 1), 90, less_is_better=False, unit="%",
               source=SOURCE_WITHIN_DAY),
        c.make("size", "median lines changed per branch", "integration.batch_lines.p50",
               integration.batch_lines.p50, 225, less_is_better=True, unit="lines", source=SOURCE_SIZE),
        c.make("daily-integration", "integrations per working day", "integration.per_working_day",
               round(integration.per_working_day, 2), 1, less_is_better=False, unit="per day",
               source=SOURCE_DAILY),
    ) + ((_merge_criterion(c, ev),) if ev.linear_stage == "shrink-batches" else ())
    lifetime = criteria[0]
    actions: tuple[Action, ...] = (
        Action(id="shrink-batches.slice-work",
               text=f"Slice work so each branch merges within {quantity(lifetime.target, 'h')}"
                    + (", then within a day" if lifetime.target > lifetime.ideal else ""),
               criterion=lifetime.id),
        Action(id="shrink-batches.feature-flags",
               text="Hide unfinished features behind feature flags instead of keeping them on a branch"),
        Action(id="shrink-batches.branch-by-abstraction",
               text="Make large changes by branch by abstraction: small steps on the trunk behind an interface"),
        Action(id="shrink-batches.review-fast",
               text="Review pull requests within hours: small ones first, pair when a review would wait"),
        Action(id="shrink-batches.size-limit",
               text=f"Keep pull requests under {quantity(criteria[2].target, 'changed lines')}", criterion=criteria[2].id),
        Action(id="shrink-batches.linear-history",
               text="Merge by squash or rebase only, and let branches auto-merge when their checks pass",
               criterion=criteria[-1].id if ev.linear_stage == "shrink-batches" else None),
    )
    policy = _policy("shrink-batches", "Shrink the batches", ev,
                     Wish(pull_requests=True, checks=True, linear=True, auto_merge=True))
    queued = next((rule for rule in policy.rules if rule.is_trunk and rule.merge_queue), None)
    if queued is not None:
        actions += (_merge_queue_action(ev, queued.required_checks),)
    constraint = ev.scan.metrics.lead_time.constraint_sentence
    return Stage(
        id="shrink-batches", title="Shrink the batches",
        goal="Each change is small and reaches the trunk within a day.",
        why=f"Smaller batches mean faster feedback, less drift, easier review and smaller releases. {constraint}",
        actions=actions, criteria=criteria,
        risks=("Half-finished features reach the trunk: keep them dark behind flags, and test the flag in both "
               "positions.",),
        rollback="Flags turn a feature off without a deploy; a bad small change is reverted in one commit.",
        status=StageStatus.LATER,
        policy=policy,
    )


def _merge_queue_action(ev: _Evidence, required: tuple[str, ...]) -> Action:
    text, code = policies.merge_queue_step(ev.ci, required, ev.trunk, ev.scan.history.trunk.tip, ev.facts.per_day.text)
    return Action(id="shrink-batches.merge-queue", text=text, code=code,
                  verify=_ruleset_check(ev.trunk), verify_gitlab="glab api projects/:id | jq .merge_trains_enabled")


def _stage_collapse(ev: _Evidence, prior: Prior) -> Stage | None:
    if not ev.lines_to_retire and "collapse-lines" not in prior.stages:
        return None
    scan = ev.scan
    c = _Criteria("collapse-lines", prior)
    still_active = [name for name in ev.lines_to_retire if _line_is_active(scan, name)]
    passed = next((check.passed for check in scan.verdict.conformance.checks if check.id == "no-integration-line"),
                  True)
    criteria = (
        c.make("lines-active", f"long-lived lines beside the trunk with a commit in {RETIRED_AFTER_DAYS} days",
               "history.long_lived", float(len(still_active)), 0, less_is_better=True, unit="",
               source=SOURCE_TBD_MODELS, fixed=True),
        c.make("no-integration-line", "work integrates on the trunk alone (conformance check)",
               "verdict.conformance.no-integration-line", 1.0 if passed else 0.0, 1, less_is_better=False,
               unit="", source=SOURCE_TBD_MODELS, fixed=True),
    ) + ((_merge_criterion(c, ev),) if ev.linear_stage == "collapse-lines" else ())
    actions: list[Action] = []
    for name in ev.lines_to_retire:
        key = _name_key(name)
        if name == scan.verdict.integration_line:
            actions.append(Action(id=_ids("collapse-lines.merge-last", key),
                                  text="Merge {0} into {1} one last time", code=(name, ev.trunk)))
            actions.append(Action(id=_ids("collapse-lines.retarget", key),
                                  text="Retarget open pull requests from {0} to {1} (list them with {2}; on "
                                       "GitLab, edit each merge request's target branch)",
                                  code=(name, ev.trunk, f"gh pr list --base {shlex.quote(name)}")))
        else:
            fed = scan.history.trunk.fast_forwarded
            moved = "fast-forwarding {0} to it" if fed is not None and fed.line == name else "merging into {0}"
            actions.append(Action(id=_ids("collapse-lines.release-from-trunk", key),
                                  text="Tag releases on {1} instead of " + moved, code=(name, ev.trunk)))
        for path, branches in sorted(ev.ci.triggers.items()):
            if name in branches:
                lines = [number for branch, number, _ in ev.ci.mentions.get(path, ()) if branch == name]
                where = (f" (line{'s' if len(lines) > 1 else ''} {', '.join(str(n) for n in lines[:8])})"
                         if lines else "")
                actions.append(Action(id=_ids("collapse-lines.ci-trigger", key, _name_key(path)),
                                      text="Change what {1} says about {0}" + where + ": "
                                           + ("its releases and versions come from {2} now"
                                              if _is_release_tool(path) else "move its triggers to {2}"),
                                      code=(name, path, ev.trunk)))
        actions.append(Action(id=_ids("collapse-lines.lock", key),
                              text="Once its last merge is done, make {0} read-only (the settings of the next "
                                   "stage lock it), then delete it after a month", code=(name,),
                              verify=_ruleset_check(name), verify_gitlab=_protected_check(name)))
    if scan.verdict.production_line and scan.verdict.production_line != ev.trunk and not scan.verdict.integration_line:
        actions.append(Action(id="collapse-lines.rename-trunk",
                              text="Consider renaming {0} to main once {1} is gone, so the trunk has the "
                                   "conventional name", code=(ev.trunk, scan.verdict.production_line)))
    names = ", ".join(ev.lines_to_retire) or "none left"
    return Stage(
        id="collapse-lines", title="Collapse the long-lived lines into the trunk",
        goal="One line of development: every change merges into the trunk, and releases come from it.",
        why=f"Each long-lived line beside the trunk ({names}) is a queue: work waits there to be integrated "
            "again and released, which adds a stage to the lead time and a merge to every change.",
        actions=tuple(actions), criteria=criteria,
        risks=("Open work based on a retired line: retarget it before locking; a release in flight finishes on "
               "its line first.",),
        rollback="Unlock the line (remove its ruleset); its commits are all on the trunk, so nothing is lost.",
        status=StageStatus.LATER,
        policy=_policy("collapse-lines", "Collapse the long-lived lines into the trunk", ev, Wish(pull_requests=True, checks=True, linear=True, auto_merge=True)),
    )


def _cadence(ev: _Evidence, criteria: Sequence[Criterion]) -> Action:
    train = release_train(ev.scan)
    if train is None:
        interval = criteria[0]
        return Action(id="release-from-trunk.cadence", criterion=interval.id,
                      text=f"Release at least every {quantity(interval.target, 'days')}, then weekly"
                      if interval.target > interval.ideal else "Release at least weekly")
    metrics = ev.scan.metrics
    size = metrics.releases.size_changes.p50
    lead = metrics.lead_time.to_release_hours.p50
    return Action(id="release-from-trunk.cadence", text=(
        f"Keep the train if users rely on its dates ({train}), and shrink what each train carries: it costs "
        + (f"{quantity(size, 'changes')} per release" if size is not None else "a batch per release")
        + (f" and {quantity(lead, 'h')} from first commit to release at the median" if lead is not None else "")
        + "; merge each change to the trunk within a day and ship a patch release between trains when a fix waits"))


def _stage_release(ev: _Evidence, prior: Prior) -> Stage:
    metrics = ev.scan.metrics
    c = _Criteria("release-from-trunk", prior)
    fixes_ok = next((check.passed for check in ev.scan.verdict.conformance.checks if check.id == "fixes-from-trunk"),
                    True)
    criteria = [
        c.make("release-interval", "median days between releases", "releases.interval_days.p50",
               metrics.releases.interval_days.p50, 7, less_is_better=True, unit="days", source=SOURCE_RELEASE),
        c.make("release-size", "median changes per release", "releases.size_changes.p50",
               metrics.releases.size_changes.p50, 10, less_is_better=True, unit="changes", source=SOURCE_RELEASE),
    ]
    if ev.release_branches:
        criteria.append(c.make("fixes-from-trunk", "release lines fed only by cherry-picks from the trunk",
                               "verdict.conformance.fixes-from-trunk", 1.0 if fixes_ok else 0.0, 1,
                               less_is_better=False, unit="", source=SOURCE_FIXES, fixed=True))
    actions = [
        Action(id="release-from-trunk.tag-trunk", text="Cut every release from {0}: tag a trunk commit",
               code=(ev.trunk,)),
        _cadence(ev, criteria),
        Action(id="release-from-trunk.automate-release",
               text="Script the release (version, changelog, tag, publish) so it takes minutes"),
    ]
    if ev.release_branches:
        lines = ", ".join(ev.maintenance)
        actions += [
            Action(id="release-from-trunk.fix-on-trunk",
                   text="Fix on the trunk first, then cherry-pick the fix to release branches (git cherry-pick -x); "
                        "never merge a release branch back", criterion=criteria[-1].id),
            Action(id="release-from-trunk.short-release-branches",
                   text="Cut release branches from the trunk only when a release needs fixes, and keep the "
                        "supported ones few" + (" (maintained now: {0})" if lines else ""),
                   code=(lines,) if lines else ()),
        ]
    return Stage(
        id="release-from-trunk", title="Release from the trunk, more often",
        goal="Releases are tagged on the trunk, small, and frequent." + (
            " Release branches are short and take only cherry-picked fixes." if ev.release_branches else ""),
        why=f"Releases are the batch users see: {counted(metrics.releases.count, 'release')} in the window, "
            + (f"{quantity(metrics.releases.interval_days.p50, 'days')} apart at the median"
               if metrics.releases.interval_days.p50 is not None else "too few to measure the interval between them")
            + f" ({metrics.releases.tier or 'no'} DORA tier). Smaller, more frequent releases fail less and are "
            "easier to fix.",
        actions=tuple(actions), criteria=tuple(criteria),
        risks=("Users who cannot take frequent releases: keep publishing a slower channel from the same tags.",),
        rollback=("Releases are tags: a bad one is superseded by the next, or the previous tag is redeployed."
                  if ev.environment else  # a library or CLI publishes versions, it does not deploy them
                  "Releases are tags: a bad one is superseded by a patch release tagged on the trunk, and users "
                  "stay on the previous version meanwhile (yank or deprecate the bad one where the package "
                  "index allows it)."),
        status=StageStatus.LATER,
        policy=_policy("release-from-trunk", "Release from the trunk, more often", ev, Wish(pull_requests=True, checks=True, linear=True, release_lines=ev.release_branches, auto_merge=True, lock=tuple(ev.lines_to_retire))),
    )


def _stage_delivery(ev: _Evidence, prior: Prior) -> Stage:
    metrics = ev.scan.metrics
    c = _Criteria("continuous-delivery", prior)
    cfr = metrics.failures.change_failure_rate
    criteria = (
        c.make("release-interval", "median days between releases", "releases.interval_days.p50",
               metrics.releases.interval_days.p50, 1, less_is_better=True, unit="days", source=SOURCE_RELEASE),
        c.make("lead-time", "median hours from first commit to release", "lead_time.to_release_hours.p50",
               metrics.lead_time.to_release_hours.p50, 24, less_is_better=True, unit="h", source=SOURCE_LEAD),
        c.make("change-failure", "releases followed by a fix within a week (proxy)",
               "failures.change_failure_rate", None if cfr is None else round(cfr * 100, 1), 15,
               less_is_better=True, unit="%", source=SOURCE_CFR),
    )
    actions = (
        Action(id="continuous-delivery.every-merge-deployable",
               text="Keep every trunk commit releasable: the pipeline builds the release artefact on each merge"),
        Action(id="continuous-delivery.deploy-on-merge",
               text=("Publish a release automatically from the trunk (tag, package, changelog), daily or on every "
                     "merge" if not ev.environment else
                     "Deploy automatically from the trunk, daily or on every merge"),
               criterion=criteria[0].id),
        Action(id="continuous-delivery.up-to-date-checks",
               text="Require branches to be up to date with the trunk before merging, or use a merge queue",
               verify=_ruleset_check(ev.trunk), verify_gitlab=_protected_check(ev.trunk)),
        Action(id="continuous-delivery.watch-failures",
               text="Watch the failure signals (reverts, quick fix releases) on every release"),
    )
    return Stage(
        id="continuous-delivery", title="Deliver continuously",
        goal="Every change that passes the pipeline can reach users the same day.",
        why="With the trunk always releasable, the lead time is the time to write and review a change: the "
            f"queues are gone. {metrics.lead_time.constraint_sentence}",
        actions=actions, criteria=criteria,
        risks=(("Publishing more often gives users more versions to choose from: keep one changelog entry per "
                "change and semantic versions, so a user can tell a fix from a break."
                if not ev.environment else
                "Deploying more often exposes gaps in monitoring: add the alerts before raising the cadence."),),
        rollback="Turn automatic releases back into a manual button; the pipeline stays.",
        status=StageStatus.LATER,
        policy=_policy("continuous-delivery", "Deliver continuously", ev, Wish(pull_requests=True, checks=True, linear=True, release_lines=ev.release_branches, auto_merge=True, lock=tuple(ev.lines_to_retire))),
    )


def settle(plan: Plan, checklist_done: Mapping[str, bool]) -> Plan:
    """The plan with a stage done only when its exit criteria hold and its checklist is done too."""
    stages, current = _with_status(plan.stages, lambda stage: stage_done(
        (c.met for c in stage.criteria), checklist_done.get(stage.id, True)))
    return dataclasses.replace(plan, stages=stages, current_stage=current)


def stage_done(met: Iterable[bool | None], checklist_done: bool) -> bool:
    """The one rule for a done stage (plan, plan.json, progress and check): every measured exit
    criterion holds, at least one is measured, and its checklist is done."""
    measured = [m for m in met if m is not None]
    return bool(measured) and all(measured) and checklist_done


def _with_status(stages: Iterable[Stage], done: Callable[[Stage], bool]) -> tuple[tuple[Stage, ...], str | None]:
    """Each stage done, current (the first not done) or later, and the current stage's id."""
    result, current = [], None
    for stage in stages:
        if done(stage):
            status = StageStatus.DONE
        elif current is None:
            status, current = StageStatus.CURRENT, stage.id
        else:
            status = StageStatus.LATER
        result.append(dataclasses.replace(stage, status=status))
    return tuple(result), current


def _done(stage: Stage) -> bool:
    """Its criteria hold (the checklist is read later, by `settle`)."""
    return stage_done((criterion.met for criterion in stage.criteria), True)


def build_plan(scan: Scan, ci: CiChecks, prior: Prior = Prior(), risk: Risk = Risk()) -> Plan:
    """The staged way out, tailored to one scan (and to the plan already in the folder, if any), with
    code owners on the paths `risk` found where the window's failure fixes concentrated."""
    prior = dataclasses.replace(prior, measured_over=measured_over(scan))
    ev = _gather(scan, ci, prior, risk)
    candidates = (_stage_escape(ev, prior), _stage_wip(ev, prior), _stage_automate(ev, prior),
                  _stage_batches(ev, prior), _stage_collapse(ev, prior), _stage_release(ev, prior),
                  _stage_delivery(ev, prior))
    skipped = []
    if candidates[0] is None:
        skipped.append(SkippedStage(id="escape-death-spiral", title="Break the release death spiral",
                                    reason=f"No death-spiral warning: {scan.metrics.death_spiral.reason}."))
    if candidates[4] is None:
        skipped.append(SkippedStage(id="collapse-lines", title="Collapse the long-lived lines into the trunk",
                                    reason="No integration, production or environment line beside the trunk."))
    stages, current = _with_status((stage for stage in candidates if stage is not None), _done)
    release_branches = ev.release_branches
    target = TARGET_RELEASE_BRANCHES if release_branches else TARGET_TRUNK_BASED
    if release_branches:
        reason = ("The history shows several release lines maintained side by side"
                  + (f" ({', '.join(ev.maintenance)})" if ev.maintenance else "")
                  + ": keep short release branches cut from the trunk and fed only by cherry-picked fixes.")
    else:
        reason = ("One version is released at a time (no maintained release lines in the history): "
                  "the trunk alone carries the work, and releases are tags on it.")
    dormant = None
    if scan.dormant is not None and not scan.dormant.behind:  # a clone behind its remote is a busy team's plan
        dormant = (f"{scan.dormant.note}. Nobody is changing this repository, so there is no branching habit to "
                   "migrate, and the plan has no stages (advisor plan --until DATE shows the ones its last active year "
                   "would call for). If work resumes, run advisor plan again; if it will not, archive the repository (gh repo archive "
                   "OWNER/NAME) so nobody mistakes it for a maintained one.")
        stages, current = (), None
    return Plan(current_model=scan.verdict.model, confidence=scan.verdict.confidence, target_model=target,
                target_reason=reason, trunk=ev.trunk, trunk_tip=scan.history.trunk.tip, scanned_at=scan.scanned_at,
                stages=stages, skipped=tuple(skipped), current_stage=current,
                maintenance_lines=ev.maintenance, environment_lines=ev.environment, dormant=dormant,
                facts=ev.facts, library=not ev.environment, release_train=release_train(scan))


TRAIN_MIN_RELEASES = 4
TRAIN_MAX_SPREAD = 0.35  # (p90 - p50) / p50 of the release interval: steady enough to be a calendar


def release_train(scan: Scan) -> str | None:
    """A fixed release train, when the releases come at a steady interval (a choice, not a drift)."""
    releases = scan.metrics.releases
    interval = releases.interval_days
    if releases.count < TRAIN_MIN_RELEASES or not interval.p50 or interval.p90 is None or interval.p50 < 7:
        return None
    if (interval.p90 - interval.p50) / interval.p50 > TRAIN_MAX_SPREAD:
        return None
    weeks = round(interval.p50 / 7)
    return (f"a release train: {releases.count} releases in the window, every {weeks} weeks at the median "
            f"(90th percentile {interval.p90:.0f} days)")
