"""A policy in GitHub's formats: ruleset, classic branch protection and repository merge settings
(REST bodies), and apply.sh, the `gh api` calls that apply them."""

from __future__ import annotations

import shlex
from typing import Any

from advisor.protection.model import (
    BranchRule,
    Policy,
    merge_methods,
    queued,
    requires_pull_request,
    ruleset_name,
)
from advisor.protection.text import one_line

# GitHub ruleset bypass actors: built-in repository role ids (admin 5, maintain 2) and deploy keys.
_GITHUB_BYPASS: dict[str, dict[str, Any]] = {
    "admin": {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"},
    "maintain": {"actor_id": 2, "actor_type": "RepositoryRole", "bypass_mode": "always"},
    "deploy-key": {"actor_id": None, "actor_type": "DeployKey", "bypass_mode": "always"},
}


def github_ruleset(rule: BranchRule, rule_slug: str) -> dict[str, Any]:
    """The body of `POST /repos/{owner}/{repo}/rulesets` (also what Settings > Rules > Import takes)."""
    include = ["~DEFAULT_BRANCH"] if rule.is_trunk else [f"refs/heads/{rule.pattern}"]
    rules: list[dict[str, Any]] = []
    if rule.lock:
        rules += [{"type": "creation"}, {"type": "update"}]
    if rule.block_deletion:
        rules.append({"type": "deletion"})
    if rule.block_force_push:
        rules.append({"type": "non_fast_forward"})
    if rule.linear_history:
        rules.append({"type": "required_linear_history"})
    if not rule.lock and requires_pull_request(rule):
        rules.append({"type": "pull_request", "parameters": {
            "required_approving_review_count": max(0, min(rule.required_approvals, 10)),
            "dismiss_stale_reviews_on_push": rule.dismiss_stale_reviews,
            "require_code_owner_review": rule.require_code_owner_review,
            "require_last_push_approval": rule.require_last_push_approval,
            "required_review_thread_resolution": rule.require_conversation_resolution,
            "allowed_merge_methods": merge_methods(rule),
        }})
    if not rule.lock and rule.required_checks:
        rules.append({"type": "required_status_checks", "parameters": {
            "strict_required_status_checks_policy": rule.strict_checks,
            "required_status_checks": [{"context": c} for c in dict.fromkeys(rule.required_checks)],
        }})
    if queued(rule):
        rules.append({"type": "merge_queue", "parameters": merge_queue_parameters(rule)})
    return {
        "name": ruleset_name(rule_slug),
        "target": "branch",
        "enforcement": "active",
        "bypass_actors": [dict(_GITHUB_BYPASS[b.actor]) for b in rule.bypass if b.actor in _GITHUB_BYPASS],
        "conditions": {"ref_name": {"include": include, "exclude": []}},
        "rules": rules,
    }



def merge_queue_parameters(rule: BranchRule) -> dict[str, Any]:
    """The `merge_queue` rule's parameters: GitHub's own defaults in the web form, the merge method the rule allows."""
    methods = merge_methods(rule)
    return {
        "check_response_timeout_minutes": 60,
        "grouping_strategy": "ALLGREEN",  # every queued change's own merge commit passes the checks
        "max_entries_to_build": 5,
        "max_entries_to_merge": 5,
        "merge_method": "MERGE" if "merge" in methods else methods[0].upper(),
        "min_entries_to_merge": 1,
        "min_entries_to_merge_wait_minutes": 5,
    }


def github_branch_protection(rule: BranchRule) -> dict[str, Any]:
    """The body of classic `PUT /repos/{owner}/{repo}/branches/{branch}/protection` (all four keys required)."""
    checks = list(dict.fromkeys(rule.required_checks))
    reviews = None
    if requires_pull_request(rule) and not rule.lock:
        reviews = {
            "dismiss_stale_reviews": rule.dismiss_stale_reviews,
            "require_code_owner_reviews": rule.require_code_owner_review,
            "required_approving_review_count": max(0, min(rule.required_approvals, 6)),
            "require_last_push_approval": rule.require_last_push_approval,
        }
    return {
        "required_status_checks": ({"strict": rule.strict_checks, "contexts": [],
                                    "checks": [{"context": c} for c in checks]}
                                   if checks and not rule.lock else None),
        "enforce_admins": not any(b.actor == "admin" for b in rule.bypass),
        "required_pull_request_reviews": reviews,
        "restrictions": None,
        "required_linear_history": rule.linear_history,
        "allow_force_pushes": not rule.block_force_push,
        "allow_deletions": not rule.block_deletion,
        "required_conversation_resolution": rule.require_conversation_resolution and not rule.lock,
        "lock_branch": rule.lock,
    }


def github_repository(policy: Policy) -> dict[str, Any]:
    """The merge settings part of `PATCH /repos/{owner}/{repo}`."""
    merge = policy.merge
    return {
        "allow_squash_merge": merge.allow_squash_merge,
        "allow_merge_commit": merge.allow_merge_commit,
        "allow_rebase_merge": merge.allow_rebase_merge,
        "allow_auto_merge": merge.allow_auto_merge,
        "delete_branch_on_merge": merge.delete_branch_on_merge,
        "allow_update_branch": any(rule.strict_checks for rule in policy.rules),
    }



def github_script(policy: Policy, repo: str | None, rulesets: list[tuple[str, str]],
                  classic: list[tuple[str, str]]) -> str:
    """apply.sh: `gh api` calls for the merge settings and the rulesets (or classic protection)."""
    default = shlex.quote(repo) if repo else "''"
    lines = [
        "#!/usr/bin/env bash",
        f"# Apply advisor's protection settings for stage {one_line(policy.stage)} to a GitHub repository.",
        "# Usage: apply.sh [OWNER/NAME] [rulesets|classic]",
        "#   rulesets (default): merge settings, then one ruleset per branch rule. A ruleset of the same name",
        "#     (an earlier stage's) is updated in place with PUT repos/OWNER/NAME/rulesets/{id}.",
        "#   classic: merge settings, then classic branch protection (for servers without rulesets).",
        "# Needs the GitHub CLI (gh), signed in as an administrator of the repository.",
        "set -euo pipefail",
        "",
        f"DEFAULT_REPO={default}",
        'REPO="${1:-$DEFAULT_REPO}"',
        'MODE="${2:-rulesets}"',
        'if [[ "$REPO" != */* ]]; then',
        '  echo "usage: $0 OWNER/NAME [rulesets|classic]" >&2',
        "  exit 2",
        "fi",
        'HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
        "",
        "ruleset() {  # NAME FILE: update the ruleset of that name, or create it",
        '  local name="$1" file="$2" id',
        '  id="$(gh api --paginate "repos/$REPO/rulesets" --jq ".[] | select(.name == \\"$name\\") | .id")"',
        "  id=\"${id%%$'\\n'*}\"",
        '  if [[ -n "$id" ]]; then',
        '    gh api --method PUT "repos/$REPO/rulesets/$id" --input "$HERE/$file" >/dev/null',
        "  else",
        '    gh api --method POST "repos/$REPO/rulesets" --input "$HERE/$file" >/dev/null',
        "  fi",
        '  echo "ruleset $name: applied"',
        "}",
        "",
        "classic() {  # BRANCH (URL-encoded) FILE",
        '  gh api --method PUT "repos/$REPO/branches/$1/protection" --input "$HERE/$2" >/dev/null',
        '  echo "classic protection from $2: applied"',
        "}",
        "",
        'gh api --method PATCH "repos/$REPO" --input "$HERE/repository.json" >/dev/null',
        'echo "merge settings: applied"',
        'case "$MODE" in',
        "  rulesets)",
    ]
    lines += [f"    ruleset {shlex.quote(name)} {shlex.quote(file)}" for name, file in rulesets] or ["    :"]
    lines += ["    ;;", "  classic)"]
    lines += [f"    classic {shlex.quote(branch)} {shlex.quote(file)}" for branch, file in classic] or ["    :"]
    lines += ["    ;;",
              "  *)",
              '    echo "unknown mode: $MODE (use rulesets or classic)" >&2',
              "    exit 2",
              "    ;;",
              "esac",
              ""]
    return "\n".join(lines)
