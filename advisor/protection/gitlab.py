"""A policy in GitLab's formats: protected branches and project merge settings (API payloads), and
apply.sh, the `glab api` calls that apply them."""

from __future__ import annotations

import shlex
from typing import Any

from advisor.protection.model import BranchRule, Policy, branch_name, requires_pull_request
from advisor.protection.text import one_line


NO_ACCESS, DEVELOPER, MAINTAINER = 0, 30, 40


def _maintainers_bypass(rule: BranchRule) -> bool:
    return any(b.actor in ("admin", "maintain") for b in rule.bypass)


def gitlab_protected_branch(rule: BranchRule, trunk: str) -> dict[str, Any]:
    """The body of `POST /projects/:id/protected_branches`."""
    body: dict[str, Any] = {
        "name": branch_name(rule, trunk),
        "push_access_level": (NO_ACCESS if rule.lock else
                              (MAINTAINER if _maintainers_bypass(rule) else NO_ACCESS) if requires_pull_request(rule)
                              else DEVELOPER),
        "merge_access_level": NO_ACCESS if rule.lock else DEVELOPER,
        "unprotect_access_level": MAINTAINER,
        "allow_force_push": not rule.block_force_push and not rule.lock,
    }
    if rule.require_code_owner_review:
        body["code_owner_approval_required"] = True  # Premium and Ultimate
    return body


def gitlab_project(policy: Policy) -> dict[str, Any]:
    """The merge settings part of `PUT /projects/:id`."""
    merge = policy.merge
    trunk = [rule for rule in policy.rules if rule.is_trunk]
    linear = any(rule.linear_history for rule in trunk) or not merge.allow_merge_commit
    if linear:
        method = "ff"  # no merge commits at all
    elif any(rule.strict_checks for rule in trunk):
        method = "rebase_merge"  # merge commits, but only from branches up to date with the trunk
    else:
        method = "merge"
    methods = (merge.allow_merge_commit, merge.allow_squash_merge, merge.allow_rebase_merge)
    if not merge.allow_squash_merge:
        squash = "never"
    elif methods == (False, True, False):
        squash = "always"
    else:
        squash = "default_off"
    body: dict[str, Any] = {
        "merge_method": method,
        "squash_option": squash,
        "only_allow_merge_if_pipeline_succeeds": merge.pipeline_must_succeed,
        "only_allow_merge_if_all_discussions_are_resolved": any(r.require_conversation_resolution for r in trunk),
        "remove_source_branch_after_merge": merge.delete_branch_on_merge,
    }
    if any(rule.merge_queue for rule in trunk):
        # A merge train runs each merge request's pipeline on the trunk plus the ones ahead of it
        # (merged results pipelines), GitLab's merge queue. Premium and Ultimate.
        body["merge_pipelines_enabled"] = True
        body["merge_trains_enabled"] = True
    return body



def gitlab_script(policy: Policy, repo: str | None, branches: list[tuple[str, str]]) -> str:
    """apply.sh: `glab api` calls for the merge settings and the protected branches."""
    default = shlex.quote(repo) if repo else "''"
    lines = [
        "#!/usr/bin/env bash",
        f"# Apply advisor's protection settings for stage {one_line(policy.stage)} to a GitLab project.",
        "# Usage: apply.sh [GROUP/PROJECT]",
        "# Needs the GitLab CLI (glab), signed in as a Maintainer of the project.",
        "# GitLab cannot change a protected branch's access levels in place: each one is unprotected,",
        "# then protected again (for a moment in between, the branch is unprotected).",
        "set -euo pipefail",
        "",
        f"DEFAULT_PROJECT={default}",
        'PROJECT="${1:-$DEFAULT_PROJECT}"',
        'if [[ "$PROJECT" != */* ]]; then',
        '  echo "usage: $0 GROUP/PROJECT" >&2',
        "  exit 2",
        "fi",
        'ID="${PROJECT//\\//%2F}"  # the URL-encoded path is the project id',
        'HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
        "JSON=(--header 'Content-Type: application/json')",
        "",
        "protect() {  # NAME (URL-encoded) FILE",
        '  glab api --method DELETE "projects/$ID/protected_branches/$1" >/dev/null 2>&1 || true',
        '  glab api --method POST "projects/$ID/protected_branches" "${JSON[@]}" --input "$HERE/$2" >/dev/null',
        '  echo "protected branch from $2: applied"',
        "}",
        "",
        'glab api --method PUT "projects/$ID" "${JSON[@]}" --input "$HERE/project.json" >/dev/null',
        'echo "merge settings: applied"',
    ]
    lines += [f"protect {shlex.quote(branch)} {shlex.quote(file)}" for branch, file in branches]
    return "\n".join(lines) + "\n"


