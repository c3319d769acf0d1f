"""Branch protection as a host-neutral policy, and that policy in each host's own format.

`recommend` decides *what* each stage of the plan protects (a `Policy`); this
module only translates it: GitHub ruleset / classic protection / repository
merge settings (REST bodies), GitLab protected-branch and project merge
settings (API payloads), scripts of `gh api` / `glab api` calls, Terraform HCL
and safe-settings YAML. Pure: policies in, file texts out.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    linear_history: bool = False
    allowed_merge_methods: tuple[str, ...] = ("merge", "squash", "rebase")
    lock: bool = False  # read-only: nobody pushes or merges (a retired integration branch)
    require_code_owner_review: bool = False  # Scorecard Tier 4 asks for it (with >= 2 approvals)
    why: str = ""  # one sentence people read beside the settings


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
class CiChecks:
    """The status checks the repository's own CI configuration reports, when it can be found."""

    provider: str | None  # "github-actions", "gitlab-ci", "jenkins", "circleci", "travis", ... or None
    files: tuple[str, ...]  # the configuration files read, repository-relative
    checks: tuple[str, ...]  # status check contexts, e.g. "test (3.12)" or "ci/circleci: build"
    triggers: dict[str, tuple[str, ...]]  # file -> branch names it names in its triggers (to move when retiring)
    notes: tuple[str, ...] = ()  # what could not be read or named (skipped files, computed matrices, ...)


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


def scorecard_tier(rules: tuple[BranchRule, ...]) -> int:
    """The OpenSSF Scorecard Branch-Protection tier the trunk's rule reaches (ossf/scorecard docs/checks.md).

    Tier 1: force pushes and deletion blocked; tier 2: pull requests with at
    least one approval; tier 3: at least one required status check; tier 4:
    two approvals; tier 5: stale reviews dismissed and last-push approval.
    """
    trunk = next((rule for rule in rules if rule.is_trunk), None)
    if trunk is None or not (trunk.block_force_push and trunk.block_deletion):
        return 0
    steps = (
        trunk.require_pull_request and trunk.required_approvals >= 1,
        bool(trunk.required_checks),
        trunk.required_approvals >= 2,
        trunk.dismiss_stale_reviews and trunk.require_last_push_approval,
    )
    tier = 1
    for reached in steps:
        if not reached:
            break
        tier += 1
    return tier
