"""Which protection each stage of the plan asks for, and the measured fact that allows each rule.

A stage says what it would like (pull requests, required checks, linear history, ...); this module
grants each wish only where the history shows the team can already live with it, and writes down
why in the rule's `allowed_by`:

- linear history only once merge commits on the trunk have stopped: from the stage after the one
  whose exit criterion is "no merge commit on the trunk in 30 days", or at once when there are none;
- a pull-request or required-check rule always carries a bypass for the repository's admin and
  maintain roles (their direct pushes keep working while the team moves to pull requests), and for
  deploy keys when release automation commits on the trunk;
- up to date before merging only when integrations per working day are few (`STRICT_MAX_PER_DAY`);
  above that, a merge queue (GitHub) or merge train (GitLab) from the stage that asks for a straight
  line, where the queue is how a busy trunk gets one without everyone rebasing by hand;
- one approval; the last push approved by someone else only where more than one person merges;
  code owners' review (CODEOWNERS; on GitLab, 2 approvals) only on the paths the window's reverts
  and hotfixes concentrated in (`risk`);
- maintained lines (those with activity in the window) protected under their own patterns;
- the integration, production and environment lines kept from deletion and force pushes while work
  still lands on them, until the stage that makes them read-only.

Pure: facts in, a `Policy` out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from advisor.ci.model import CiChecks, Workflow, queue_triggers
from advisor.codeowners import GITLAB_APPROVALS, CodeOwner
from advisor.evidence import RECENT_DAYS, STRICT_MAX_PER_DAY, TeamFacts
from advisor.protection import BranchRule, Bypass, MergeSettings, Policy, scorecard_tier
from advisor.risk import Risk

FALLBACK_RELEASE_PATTERN = "release/*"


@dataclass(frozen=True, slots=True, kw_only=True)
class Wish:
    """What a stage would like its settings to ask for."""

    pull_requests: bool = False
    checks: bool = False
    linear: bool = False
    release_lines: bool = False  # pull requests on the maintained release lines too
    lock: tuple[str, ...] = ()  # retired lines made read-only
    keep: tuple[tuple[str, str], ...] = ()  # (line, fact): lines still in use until retired, kept from loss
    auto_merge: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    trunk: str
    ci: CiChecks
    facts: TeamFacts
    linear_ok: bool  # the history at this stage's entry point has no merge commit on the trunk
    linear_reason: str  # the measured fact (or the exit criterion) that says so
    release_branches: bool  # the target keeps release branches
    risk: Risk = Risk()  # the paths the window's failure fixes concentrated in


def linear_reason(facts: TeamFacts, criterion_stage: str | None, entry_after: bool) -> tuple[bool, str]:
    """Whether linear history may be required at a stage, and the fact that allows it (or forbids it)."""
    if facts.merge_commits.value == 0:
        return True, f"linear history: {facts.merge_commits.text}"
    if entry_after and criterion_stage:
        return True, (f"linear history: the stage is entered once stage {criterion_stage}'s exit criterion holds "
                      f"(no merge commit on {facts.trunk} in {RECENT_DAYS} days; now: {facts.merge_commits.text})")
    return False, (f"no linear history yet: {facts.merge_commits.text}, and a required linear history would "
                   "refuse the next one")


def _bypass(ctx: Context) -> tuple[Bypass, ...]:
    facts = ctx.facts
    pushing = (f"{facts.direct.text}: admins and maintainers keep pushing directly while the team moves to pull "
               "requests" if facts.direct_changes else
               "admins and maintainers can still land an emergency fix or a release commit")
    actors = [Bypass(actor="admin", reason=pushing), Bypass(actor="maintain", reason=pushing)]
    if facts.automation_fact is not None:
        actors.append(Bypass(actor="deploy-key", reason=(
            f"{facts.automation_fact.text}: if it pushes with a deploy key, this lets it; if it signs in as a user "
            "or an app, replace this entry with that actor (gh api users/LOGIN --jq .id)")))
    return tuple(actors)


def rules(ctx: Context, wish: Wish) -> tuple[BranchRule, ...]:
    facts, ci = ctx.facts, ctx.ci
    linear = wish.linear and ctx.linear_ok
    checks = ci.checks if wish.checks else ()
    strict = bool(checks) and facts.cheap_rebases
    queue = wish.checks and wish.linear and bool(checks or ci.provider) and not facts.cheap_rebases
    several_merge = len(facts.mergers) >= 2
    allowed: list[str] = []
    if wish.linear:
        allowed.append(ctx.linear_reason)
    if wish.pull_requests:
        allowed.append(f"pull requests with a bypass for admins and maintainers: {facts.direct.text}")
        risky = ctx.risk.paths
        allowed.append(
            (f"1 approval, and code owners review changes to the {len(risky)} risky path(s) ({GITLAB_APPROVALS} "
             "code-owner approvals there on GitLab): " + "; ".join(f"{r.pattern} {r.reason}" for r in risky)) if risky else
            f"1 approval, no code-owner review: {ctx.risk.none_reason}")
        allowed.append(("last push approved by someone else: " if several_merge else
                        "no last-push approval (one person or nobody recorded merges, who could not approve "
                        "their own push): ") + facts.merging.text)
    if checks or queue:
        busy = f"{facts.per_day.text}, more than {STRICT_MAX_PER_DAY:g}"
        if strict:
            allowed.append(f"up to date before merging: {facts.per_day.text} (at most {STRICT_MAX_PER_DAY:g})")
        elif queue:
            allowed.append(f"a merge queue instead of up to date before merging: {busy}, so each pull request "
                           "would be rebased several times a day before it could merge; the queue tests it on top "
                           "of the trunk instead")
        else:
            allowed.append(f"not up to date before merging: {busy}; a merge queue comes with the stage that asks "
                           "for a straight line")
    bypass = _bypass(ctx) if (wish.pull_requests or checks) else ()
    trunk = BranchRule(
        pattern=ctx.trunk, is_trunk=True,
        require_pull_request=wish.pull_requests, required_approvals=1 if wish.pull_requests else 0,
        dismiss_stale_reviews=wish.pull_requests and linear,
        require_last_push_approval=wish.pull_requests and several_merge,
        require_code_owner_review=wish.pull_requests and bool(ctx.risk.paths),
        require_conversation_resolution=wish.pull_requests and linear,
        required_checks=checks, strict_checks=strict, merge_queue=queue,
        linear_history=linear, allowed_merge_methods=("squash", "rebase") if linear else ("merge", "squash", "rebase"),
        bypass=bypass, allowed_by=tuple(allowed),
        why=("The trunk is where everyone integrates: it is never deleted or rewritten"
             + (", changes arrive through reviewed pull requests" if wish.pull_requests else "")
             + (" whose checks pass" if checks else "")
             + (", as one commit or a straight line" if linear else "") + "."),
    )
    result = [trunk]
    lines = [(line.pattern, line.fact.text) for line in facts.maintained]
    if not lines and wish.release_lines and ctx.release_branches:
        lines = [(FALLBACK_RELEASE_PATTERN, "no release line had activity in the window; the plan cuts release "
                                            f"branches as {FALLBACK_RELEASE_PATTERN}")]
    for pattern, fact in lines:
        if pattern == ctx.trunk or pattern in wish.lock:
            continue
        reviewed = wish.release_lines
        result.append(BranchRule(
            pattern=pattern, is_trunk=False, require_pull_request=reviewed, required_approvals=1 if reviewed else 0,
            required_checks=checks if reviewed else (), bypass=_bypass(ctx) if reviewed else (),
            allowed_by=(f"maintained: {fact}",),
            why=("A maintained release line: never deleted or rewritten"
                 + (", and it takes fixes cherry-picked from the trunk through a pull request." if reviewed
                    else "."))))
    for name, fact in wish.keep:
        if name != ctx.trunk and name not in wish.lock:
            result.append(BranchRule(pattern=name, is_trunk=False, allowed_by=(f"in use: {fact}",),
                                     why=f"Work still integrates on {name} until the plan retires it: never "
                                         "deleted or rewritten meanwhile."))
    for name in wish.lock:
        result.append(BranchRule(pattern=name, is_trunk=False, lock=True,
                                 why=f"Retired: {name} is read-only while open work moves to {ctx.trunk}."))
    return tuple(result)


def policy(stage: str, title: str, ctx: Context, wish: Wish) -> Policy:
    branch_rules = rules(ctx, wish)
    linear = any(rule.linear_history for rule in branch_rules if rule.is_trunk)
    return Policy(
        stage=stage, title=title, trunk=ctx.trunk, rules=branch_rules, checks=ctx.ci,
        merge=MergeSettings(allow_merge_commit=not linear, allow_squash_merge=True, allow_rebase_merge=True,
                            allow_auto_merge=wish.auto_merge, delete_branch_on_merge=True,
                            pipeline_must_succeed=bool(ctx.ci.provider)),
        scorecard_tier=scorecard_tier(branch_rules),
        code_owners=tuple(CodeOwner(pattern=r.pattern, owners=tuple(email for _, email, _ in r.owners),
                                    reason=r.reason, commands=tuple(f.command for f in r.fixes[:4]),
                                    owners_command=r.owners_command)
                          for r in ctx.risk.paths),
        no_code_owners=ctx.risk.none_reason,
    )


def merge_queue_step(ci: CiChecks, required: tuple[str, ...], trunk: str, tip: str,
                     per_day: str) -> tuple[str, tuple[str, ...]]:
    """The checklist item that turns the merge queue on (text with {n} for each code span, and the spans):
    first the trigger each workflow the queue waits for still lacks, as the CI files at the trunk's
    tip say; a workflow that has it is named as such, with the commit it was read at."""
    ready, lacking = queue_triggers(ci, required)
    code: list[str] = [trunk, tip[:12], "merge_group:", "on:", 'if: $CI_PIPELINE_SOURCE == "merge_request_event"']

    def spans(workflows: Iterable[Workflow]) -> str:
        start = len(code)
        code.extend(w.path for w in workflows)
        return ", ".join(f"{{{i}}}" for i in range(start, len(code)))

    systems = {w.system for w in ci.workflows}
    github = [w for w in lacking if w.system == "github-actions"]
    gitlab = [w for w in lacking if w.system == "gitlab-ci"]
    steps = []
    if github:
        steps.append(f"add {{2}} to the {{3}} of {spans(github)}")
    elif not any(w.system == "github-actions" for w in ready) and "gitlab-ci" not in systems:
        steps.append("add {2} to the {3} of the workflows of the required checks")
    if gitlab:
        steps.append(f"add the rule {{4}} to {spans(gitlab)} (GitLab)")
    elif "gitlab-ci" not in systems and "github-actions" not in systems:
        steps.append("run merge request pipelines (GitLab)")
    text = (f"Merge through a merge queue on {{0}} ({per_day}: rebasing each pull request by hand would be "
            "costly): " + (f"first {' and '.join(steps)}, then " if steps else "")
            + "apply the settings in protection/shrink-batches")
    if ready:
        text += f" ({spans(ready)} already run for the queue at trunk commit {{1}})"
    return text, tuple(code)
