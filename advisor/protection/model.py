"""The host-neutral protection policy: branch rules, merge settings, the Scorecard tier they reach.

`recommend` decides *what* each stage of the plan protects; this module holds that decision
and the names every host format shares (rule slugs, ruleset names, merge methods).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from advisor.ci.model import CiChecks as CiChecks  # re-exported: policies carry the checks found
from advisor.codeowners import CodeOwner


@dataclass(frozen=True, slots=True, kw_only=True)
class Bypass:
    """Who may bypass a rule, and why the history says they need to."""

    actor: str  # "admin" or "maintain" (repository roles), "deploy-key"
    reason: str




@dataclass(frozen=True, slots=True, kw_only=True)
class BranchRule:
    """What one branch (or pattern of branches) requires before a change lands on it."""

    pattern: str  # a branch name ("main") or an fnmatch pattern ("release/*")
    is_trunk: bool  # the repository's default branch (GitHub rulesets can say ~DEFAULT_BRANCH)
    block_deletion: bool = True
    block_force_push: bool = True
    require_pull_request: bool = False
    required_approvals: int = 0
    dismiss_stale_reviews: bool = False
    require_last_push_approval: bool = False
    require_conversation_resolution: bool = False
    required_checks: tuple[str, ...] = ()  # status check contexts, as the CI system reports them
    strict_checks: bool = False  # the branch must be up to date with its target before merging
    merge_queue: bool = False  # changes merge through the host's queue (GitHub merge queue, GitLab merge train)
    linear_history: bool = False
    allowed_merge_methods: tuple[str, ...] = ("merge", "squash", "rebase")
    lock: bool = False  # read-only: nobody pushes or merges (a retired integration branch)
    require_code_owner_review: bool = False  # Scorecard Tier 4 asks for it (with >= 2 approvals)
    why: str = ""  # one sentence people read beside the settings
    bypass: tuple[Bypass, ...] = ()  # who may push past the rule (admins, maintainers, release automation)
    allowed_by: tuple[str, ...] = ()  # the measured facts that make each requirement safe now


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeSettings:
    """Repository-wide merge settings (GitHub `PATCH /repos`, GitLab `PUT /projects/:id`)."""

    allow_merge_commit: bool
    allow_squash_merge: bool
    allow_rebase_merge: bool
    allow_auto_merge: bool
    delete_branch_on_merge: bool
    pipeline_must_succeed: bool  # GitLab: only_allow_merge_if_pipeline_succeeds


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The protection one stage of the plan asks for."""

    stage: str  # the stage id
    title: str
    trunk: str
    rules: tuple[BranchRule, ...]
    merge: MergeSettings
    scorecard_tier: int  # the OpenSSF Scorecard Branch-Protection tier these settings reach (0-5)
    checks: CiChecks
    code_owners: tuple[CodeOwner, ...] = ()  # the risky paths code owners review (CODEOWNERS files)
    no_code_owners: str = ""  # why no path is risky, when the stage asks for reviews and none is


# -- Scorecard ------------------------------------------------------------------

# OpenSSF Scorecard, Branch-Protection check (ossf/scorecard docs/checks/internal/checks.yaml): each tier
# counts only when every branch it checks (the default branch and release branches) meets all of it and
# every tier below it.
SCORECARD_SOURCE = "OpenSSF Scorecard Branch-Protection check (ossf/scorecard docs/checks.md)"
SCORECARD_POINTS = {0: 0, 1: 3, 2: 6, 3: 8, 4: 9, 5: 10}


def requires_pull_request(rule: BranchRule) -> bool:
    return rule.require_pull_request or rule.required_approvals > 0


def rule_tier(rule: BranchRule) -> int:
    tiers = (
        rule.block_force_push and rule.block_deletion,
        requires_pull_request(rule) and rule.required_approvals >= 1 and rule.strict_checks
        and rule.require_last_push_approval,
        bool(rule.required_checks),
        rule.required_approvals >= 2 and rule.require_code_owner_review,
        # "Include administrators": no bypass actors, enforce_admins.
        rule.dismiss_stale_reviews and not rule.bypass,
    )
    reached = 0
    for met in tiers:
        if not met:
            break
        reached += 1
    return reached


def is_scored(rule: BranchRule) -> bool:
    """Scorecard checks the default branch and release branches; a locked branch takes no changes."""
    return rule.is_trunk or ("release" in rule.pattern.lower() and not rule.lock)


def scorecard_tier(rules: Iterable[BranchRule]) -> int:
    """The Scorecard Branch-Protection tier (0-5) the rules reach: the weakest scored branch decides.

    Tier 1: force pushes and deletion blocked. Tier 2: a pull request with >= 1 approval, up to date
    before merging, the last push approved. Tier 3: >= 1 required status check. Tier 4: >= 2 approvals
    and code-owner review. Tier 5: stale approvals dismissed (and administrators included). Without a
    rule for the trunk nothing is protected: 0.
    """
    scored = [rule for rule in rules if is_scored(rule)]
    if not any(rule.is_trunk for rule in scored):
        return 0
    return min(rule_tier(rule) for rule in scored)


# -- names ------------------------------------------------------------------------

_MERGE_METHODS = ("merge", "squash", "rebase")
_WILDCARD = re.compile(r"[*?\[\]]")


def slug(pattern: str) -> str:
    """A file- and shell-safe name for a branch pattern: [a-z0-9-], distinct patterns stay distinct."""
    base = re.sub(r"[^a-z0-9]+", "-", pattern.lower()).strip("-")[:40].strip("-") or "branch"
    if base != pattern:
        base += "-" + hashlib.sha256(pattern.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return base


def rule_slugs(rules: tuple[BranchRule, ...]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for rule in rules:
        name = slug(rule.pattern)
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return result


def ruleset_name(rule_slug: str) -> str:
    return f"advisor-{rule_slug}"


def merge_methods(rule: BranchRule) -> list[str]:
    methods = [m for m in _MERGE_METHODS if m in rule.allowed_merge_methods] or list(_MERGE_METHODS)
    if rule.linear_history and methods != ["merge"]:
        methods = [m for m in methods if m != "merge"]  # a merge commit breaks linear history
    return methods


def branch_name(rule: BranchRule, trunk: str) -> str:
    return trunk if rule.is_trunk else rule.pattern


def is_wildcard(rule: BranchRule) -> bool:
    return not rule.is_trunk and _WILDCARD.search(rule.pattern) is not None


def queued(rule: BranchRule) -> bool:
    # GitHub refuses a merge queue on a pattern with wildcards, and a queue needs checks to wait for.
    return rule.merge_queue and not rule.lock and not is_wildcard(rule) and bool(rule.required_checks)


def owned_paths(policy: Policy) -> tuple[CodeOwner, ...]:
    """The code owners' paths, when a rule asks for their review."""
    return policy.code_owners if any(r.require_code_owner_review and not r.lock for r in policy.rules) else ()
