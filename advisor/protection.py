"""Branch protection as a host-neutral policy, and that policy in each host's own format.

`recommend` decides *what* each stage of the plan protects (a `Policy`); this
module only translates it: GitHub ruleset / classic protection / repository
merge settings (REST bodies), GitLab protected-branch and project merge
settings (API payloads), scripts of `gh api` / `glab api` calls, Terraform HCL
and safe-settings YAML. Pure: policies in, file texts out.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import yaml

from advisor import codeowners
from advisor.ci.model import CiChecks as CiChecks  # re-exported: policies carry the checks found
from advisor.codeowners import CodeOwner
from advisor.markdown import code, code_cell, md


@dataclass(frozen=True, slots=True, kw_only=True)
class Bypass:
    """Who may bypass a rule, and why the history says they need to."""

    actor: str  # "admin" or "maintain" (repository roles), "deploy-key"
    reason: str


# GitHub ruleset bypass actors: built-in repository role ids (admin 5, maintain 2) and deploy keys.
_GITHUB_BYPASS: dict[str, dict[str, Any]] = {
    "admin": {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"},
    "maintain": {"actor_id": 2, "actor_type": "RepositoryRole", "bypass_mode": "always"},
    "deploy-key": {"actor_id": None, "actor_type": "DeployKey", "bypass_mode": "always"},
}
_BYPASS_NAMES = {"admin": "repository admins", "maintain": "maintainers", "deploy-key": "deploy keys"}


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


def _requires_pull_request(rule: BranchRule) -> bool:
    return rule.require_pull_request or rule.required_approvals > 0


def _rule_tier(rule: BranchRule) -> int:
    tiers = (
        rule.block_force_push and rule.block_deletion,
        _requires_pull_request(rule) and rule.required_approvals >= 1 and rule.strict_checks
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


def _scored(rule: BranchRule) -> bool:
    """Scorecard checks the default branch and release branches; a locked branch takes no changes."""
    return rule.is_trunk or ("release" in rule.pattern.lower() and not rule.lock)


def scorecard_tier(rules: Iterable[BranchRule]) -> int:
    """The Scorecard Branch-Protection tier (0-5) the rules reach: the weakest scored branch decides.

    Tier 1: force pushes and deletion blocked. Tier 2: a pull request with >= 1 approval, up to date
    before merging, the last push approved. Tier 3: >= 1 required status check. Tier 4: >= 2 approvals
    and code-owner review. Tier 5: stale approvals dismissed (and administrators included). Without a
    rule for the trunk nothing is protected: 0.
    """
    scored = [rule for rule in rules if _scored(rule)]
    if not any(rule.is_trunk for rule in scored):
        return 0
    return min(_rule_tier(rule) for rule in scored)


# -- names ------------------------------------------------------------------------

_MERGE_METHODS = ("merge", "squash", "rebase")
_WILDCARD = re.compile(r"[*?\[\]]")


def slug(pattern: str) -> str:
    """A file- and shell-safe name for a branch pattern: [a-z0-9-], distinct patterns stay distinct."""
    base = re.sub(r"[^a-z0-9]+", "-", pattern.lower()).strip("-")[:40].strip("-") or "branch"
    if base != pattern:
        base += "-" + hashlib.sha256(pattern.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return base


def _slugs(rules: tuple[BranchRule, ...]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for rule in rules:
        name = slug(rule.pattern)
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return result


def _ruleset_name(rule_slug: str) -> str:
    return f"advisor-{rule_slug}"


def _merge_methods(rule: BranchRule) -> list[str]:
    methods = [m for m in _MERGE_METHODS if m in rule.allowed_merge_methods] or list(_MERGE_METHODS)
    if rule.linear_history and methods != ["merge"]:
        methods = [m for m in methods if m != "merge"]  # a merge commit breaks linear history
    return methods


def _branch_name(rule: BranchRule, trunk: str) -> str:
    return trunk if rule.is_trunk else rule.pattern


# -- GitHub -----------------------------------------------------------------------

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
    if not rule.lock and _requires_pull_request(rule):
        rules.append({"type": "pull_request", "parameters": {
            "required_approving_review_count": max(0, min(rule.required_approvals, 10)),
            "dismiss_stale_reviews_on_push": rule.dismiss_stale_reviews,
            "require_code_owner_review": rule.require_code_owner_review,
            "require_last_push_approval": rule.require_last_push_approval,
            "required_review_thread_resolution": rule.require_conversation_resolution,
            "allowed_merge_methods": _merge_methods(rule),
        }})
    if not rule.lock and rule.required_checks:
        rules.append({"type": "required_status_checks", "parameters": {
            "strict_required_status_checks_policy": rule.strict_checks,
            "required_status_checks": [{"context": c} for c in dict.fromkeys(rule.required_checks)],
        }})
    if _queued(rule):
        rules.append({"type": "merge_queue", "parameters": merge_queue_parameters(rule)})
    return {
        "name": _ruleset_name(rule_slug),
        "target": "branch",
        "enforcement": "active",
        "bypass_actors": [dict(_GITHUB_BYPASS[b.actor]) for b in rule.bypass if b.actor in _GITHUB_BYPASS],
        "conditions": {"ref_name": {"include": include, "exclude": []}},
        "rules": rules,
    }


def _queued(rule: BranchRule) -> bool:
    # GitHub refuses a merge queue on a pattern with wildcards, and a queue needs checks to wait for.
    return rule.merge_queue and not rule.lock and not _is_wildcard(rule) and bool(rule.required_checks)


def merge_queue_parameters(rule: BranchRule) -> dict[str, Any]:
    """The `merge_queue` rule's parameters: GitHub's own defaults in the web form, the merge method the rule allows."""
    methods = _merge_methods(rule)
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
    if _requires_pull_request(rule) and not rule.lock:
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


# -- GitLab -----------------------------------------------------------------------

NO_ACCESS, DEVELOPER, MAINTAINER = 0, 30, 40


def _maintainers_bypass(rule: BranchRule) -> bool:
    return any(b.actor in ("admin", "maintain") for b in rule.bypass)


def gitlab_protected_branch(rule: BranchRule, trunk: str) -> dict[str, Any]:
    """The body of `POST /projects/:id/protected_branches`."""
    body: dict[str, Any] = {
        "name": _branch_name(rule, trunk),
        "push_access_level": (NO_ACCESS if rule.lock else
                              (MAINTAINER if _maintainers_bypass(rule) else NO_ACCESS) if _requires_pull_request(rule)
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


# -- text helpers -----------------------------------------------------------------

def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _one_line(text: str) -> str:
    """Text safe inside a one-line comment (shell, YAML, HCL): no line breaks or control characters."""
    return "".join(c if c.isprintable() else " " for c in text)


def hcl_string(text: str) -> str:
    """A quoted HCL string literal showing `text` literally (no template sequence can form)."""
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif not c.isprintable() or 0xD800 <= ord(c) <= 0xDFFF:
            out.append(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        else:
            out.append(c)
    escaped = "".join(out)

    def template_start(match: re.Match[str]) -> str:
        # `$${` / `%%{` is HCL's escape; python-hcl2 reads it only up to a closing `}`, so without
        # one later in the string the sign goes as `\u0024` / `\u0025` (also literal in HCL).
        if "}" in escaped[match.end():]:
            return match.group(1) * 2 + "{"
        return f"\\u{ord(match.group(1)):04x}{{"

    return '"' + re.sub(r"([$%])\{", template_start, escaped) + '"'


def _hcl_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(hcl_string(i) for i in items) + "]"


def _hcl_bool(value: bool) -> str:
    return "true" if value else "false"


def _url_segment(text: str) -> str:
    """One URL path segment: only [A-Za-z0-9_.~%-] remain, so it is also a safe shell word."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _split_repo(repo: str | None) -> tuple[str | None, str | None]:
    if repo is None or repo.count("/") != 1 or not all(repo.split("/")):
        return None, None
    owner, name = repo.split("/")
    return owner, name


# -- Terraform ----------------------------------------------------------------------

def terraform(policy: Policy, repo: str | None, slugs: list[str]) -> str:
    """`github_repository_ruleset` resources (integrations/github provider), one per rule."""
    owner, name = _split_repo(repo)
    lines = [
        f"# Branch protection for stage {_one_line(policy.stage)}, generated by advisor.",
        "# Provider: integrations/github (https://registry.terraform.io/providers/integrations/github).",
    ]
    if owner is not None:
        lines.append(f"# provider \"github\" {{ owner = {hcl_string(owner)} }}")
    lines += ["", 'variable "repository" {', "  type        = string",
              '  description = "The repository\'s name (without the owner)."']
    if name is not None:
        lines.append(f"  default     = {hcl_string(name)}")
    lines += ["}", ""]
    for rule, rule_slug in zip(policy.rules, slugs):
        body = github_ruleset(rule, rule_slug)
        lines += [f'resource "github_repository_ruleset" "advisor_{rule_slug.replace("-", "_")}" {{',
                  f"  name        = {hcl_string(body['name'])}",
                  "  repository  = var.repository",
                  '  target      = "branch"',
                  '  enforcement = "active"',
                  ""]
        for actor in body["bypass_actors"]:
            lines.append("  bypass_actors {")
            if actor["actor_id"] is not None:
                lines.append(f"    actor_id    = {actor['actor_id']}")
            lines += [f"    actor_type  = {hcl_string(actor['actor_type'])}",
                      f"    bypass_mode = {hcl_string(actor['bypass_mode'])}", "  }", ""]
        lines += ["  conditions {",
                  "    ref_name {",
                  f"      include = {_hcl_list(body['conditions']['ref_name']['include'])}",
                  "      exclude = []",
                  "    }",
                  "  }",
                  "",
                  "  rules {"]
        for item in body["rules"]:
            kind = item["type"]
            params = item.get("parameters")
            if kind == "pull_request":
                lines.append("    pull_request {")
                for key in ("allowed_merge_methods", "dismiss_stale_reviews_on_push", "require_code_owner_review",
                            "require_last_push_approval", "required_approving_review_count",
                            "required_review_thread_resolution"):
                    value = params[key]
                    shown = (_hcl_list(value) if isinstance(value, list) else
                             _hcl_bool(value) if isinstance(value, bool) else str(value))
                    lines.append(f"      {key} = {shown}")
                lines.append("    }")
            elif kind == "required_status_checks":
                lines.append("    required_status_checks {")
                for check in params["required_status_checks"]:
                    lines += ["      required_check {", f"        context = {hcl_string(check['context'])}", "      }"]
                lines.append("      strict_required_status_checks_policy = "
                             + _hcl_bool(params["strict_required_status_checks_policy"]))
                lines.append("    }")
            elif kind == "merge_queue":
                lines.append("    merge_queue {")
                for key, value in params.items():
                    lines.append(f"      {key} = " + (hcl_string(value) if isinstance(value, str) else str(value)))
                lines.append("    }")
            else:
                lines.append(f"    {kind} = true")
        lines += ["  }", "}", ""]
    merge = github_repository(policy)
    lines += ["# Merge settings live on the github_repository resource, which manages the whole repository",
              "# (name, visibility, features...). If Terraform already manages it, set there:"]
    lines += [f"#   {key} = {_hcl_bool(value)}" for key, value in merge.items()]
    return "\n".join(lines) + "\n"


# -- safe-settings ------------------------------------------------------------------

def safe_settings(policy: Policy, rulesets: list[dict[str, Any]], repo: str | None) -> str:
    """A github-community-projects/safe-settings repository file: merge settings and rulesets."""
    _, name = _split_repo(repo)
    where = f".github/repos/{name}.yml" if name else ".github/repos/<repository>.yml"
    header = (f"# safe-settings for stage {_one_line(policy.stage)}, generated by advisor.\n"
              f"# Put it in your safe-settings admin repository as {_one_line(where)}.\n"
              "# Rulesets are matched by name: advisor's own start with \"advisor-\".\n")
    document = {"repository": github_repository(policy), "rulesets": rulesets}
    # allow_unicode=False: non-ASCII is written as escapes, so a name holding U+0085 or U+2028
    # (line breaks to YAML) reads back as itself.
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=False, default_flow_style=False)


# -- scripts --------------------------------------------------------------------------

def _is_wildcard(rule: BranchRule) -> bool:
    return not rule.is_trunk and _WILDCARD.search(rule.pattern) is not None


def github_script(policy: Policy, repo: str | None, rulesets: list[tuple[str, str]],
                  classic: list[tuple[str, str]]) -> str:
    """apply.sh: `gh api` calls for the merge settings and the rulesets (or classic protection)."""
    default = shlex.quote(repo) if repo else "''"
    lines = [
        "#!/usr/bin/env bash",
        f"# Apply advisor's protection settings for stage {_one_line(policy.stage)} to a GitHub repository.",
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


def gitlab_script(policy: Policy, repo: str | None, branches: list[tuple[str, str]]) -> str:
    """apply.sh: `glab api` calls for the merge settings and the protected branches."""
    default = shlex.quote(repo) if repo else "''"
    lines = [
        "#!/usr/bin/env bash",
        f"# Apply advisor's protection settings for stage {_one_line(policy.stage)} to a GitLab project.",
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


# -- README -----------------------------------------------------------------------------

def _requirements(rule: BranchRule) -> list[str]:
    said = []
    if rule.lock:
        said.append("read-only: nobody pushes, merges into or re-creates it")
    if rule.block_deletion:
        said.append("cannot be deleted")
    if rule.block_force_push:
        said.append("no force pushes")
    if rule.linear_history:
        said.append("linear history (no merge commits)")
    if not rule.lock and _requires_pull_request(rule):
        said.append(f"changes through a pull request with {rule.required_approvals} approval(s)")
        if rule.dismiss_stale_reviews:
            said.append("new commits dismiss earlier approvals")
        if rule.require_last_push_approval:
            said.append("the last push is approved by someone else")
        if rule.require_code_owner_review:
            said.append("code owners review")
        if rule.require_conversation_resolution:
            said.append("conversations resolved")
        said.append("merge methods: " + ", ".join(_merge_methods(rule)))
    if not rule.lock and rule.required_checks:
        said.append(f"{len(rule.required_checks)} required status check(s)")
        if rule.strict_checks:
            said.append("branch up to date before merging")
        if _queued(rule):
            said.append("changes merge through a merge queue, which tests each one on top of the trunk and the "
                        "changes queued ahead of it (GitLab: a merge train)")
    elif not rule.lock and rule.strict_checks:
        said.append("branch up to date before merging: takes effect once a required check is added")
    return said


_SCORECARD_ROWS = (
    (1, "Prevent force push", "`non_fast_forward` rule / `allow_force_pushes: false`",
     lambda r: r.block_force_push),
    (1, "Prevent branch deletion", "`deletion` rule / `allow_deletions: false`", lambda r: r.block_deletion),
    (2, "Require at least 1 reviewer for approval", "`required_approving_review_count` >= 1",
     lambda r: r.required_approvals >= 1),
    (2, "Require PRs prior to make any code changes", "`pull_request` rule / `required_pull_request_reviews`",
     _requires_pull_request),
    (2, "Require branch to be up to date before merging", "`strict_required_status_checks_policy` / `strict`",
     lambda r: r.strict_checks and bool(r.required_checks)),
    (2, "Require approval of the most recent reviewable push", "`require_last_push_approval`",
     lambda r: r.require_last_push_approval),
    (3, "Require branch to pass at least 1 status check", "`required_status_checks` rule",
     lambda r: bool(r.required_checks)),
    (4, "Require at least 2 reviewers", "`required_approving_review_count` >= 2",
     lambda r: r.required_approvals >= 2),
    (4, "Require review from code owners", "`require_code_owner_review`", lambda r: r.require_code_owner_review),
    (5, "Dismiss stale reviews when new commits are pushed", "`dismiss_stale_reviews_on_push`",
     lambda r: r.dismiss_stale_reviews),
    (5, "Include administrators", "no bypass actors / `enforce_admins: true`", lambda r: not r.bypass),
)


def readme(policy: Policy, repo: str | None, files: dict[str, str], slugs: list[str]) -> str:
    tier = scorecard_tier(policy.rules)
    out = [f"# Protection settings: {md(policy.title)}", "",
           f"Stage {code(policy.stage)}, trunk {code(policy.trunk)}"
           + (f", repository {code(repo)}." if repo else "."), "",
           f"These settings reach **OpenSSF Scorecard Branch-Protection tier {tier}** "
           f"({SCORECARD_POINTS[tier]}/10; {SCORECARD_SOURCE}). Each tier counts only when every scored "
           "branch meets it and every tier below it, so the weakest scored rule decides.", "",
           "## Rules", ""]
    for rule, rule_slug in zip(policy.rules, slugs):
        what = "the default branch" if rule.is_trunk else "branches matching" if _is_wildcard(rule) else "branch"
        shown = policy.trunk if rule.is_trunk else rule.pattern
        out.append(f"### {md(what)} {code(shown)} (ruleset {code(_ruleset_name(rule_slug))})")
        out.append("")
        if rule.why:
            out += [f"Why: {md(rule.why)}", ""]
        out += [f"- {item}" for item in _requirements(rule)]
        for bypass in rule.bypass:
            out.append(f"- bypass: {_BYPASS_NAMES.get(bypass.actor, md(bypass.actor))}, because {md(bypass.reason)}")
        for fact in rule.allowed_by:
            out.append(f"- measured: {md(fact)}")
        out.append(f"- Scorecard tier of this rule alone: {_rule_tier(rule)}"
                   + ("" if _scored(rule) else " (not scored: Scorecard checks the default and release branches)"))
        if not rule.lock and rule.required_checks:
            out.append("- required checks: " + ", ".join(code(c) for c in dict.fromkeys(rule.required_checks)))
        out.append("")
    if any(_requires_pull_request(r) and not r.lock for r in policy.rules):
        out += codeowners.readme(_owned(policy), policy.no_code_owners)
    out += ["## Required status checks", ""]
    checks = policy.checks
    if checks.files:
        out.append(f"Found by reading {', '.join(code(f) for f in checks.files)}"
                   + (f" ({md(checks.provider)})." if checks.provider else "."))
        if checks.checks:
            out.append("They report: " + ", ".join(code(c) for c in checks.checks) + ".")
    else:
        out.append("No CI configuration found: add your checks' names before applying "
                   "(`required_status_checks` in the JSON files, `required_check` in Terraform).")
    out += [f"- {md(note)}" for note in checks.notes]
    moves = [(path, names) for path, names in sorted(checks.triggers.items()) if names]
    if moves:
        out += ["", "CI triggers that name branches (move them when a branch is retired):", ""]
        out += [f"- {code(path)}: {', '.join(code(n) for n in names)}" for path, names in moves]
    out += ["", "## Scorecard requirements", "",
            f"Scored branches: the default branch and release branches. {md(SCORECARD_SOURCE)}.", "",
            "| tier | requirement | setting | met |", "|---|---|---|---|"]
    scored = [r for r in policy.rules if _scored(r)]
    for level, requirement, setting, met in _SCORECARD_ROWS:
        ok = bool(scored) and all(met(r) for r in scored)
        out.append(f"| {level} | {requirement} | {setting} | {'yes' if ok else 'no'} |")
    out += ["", "Not scored by Scorecard: linear history, conversation resolution, locking a retired branch, "
            "merge methods and deleting merged branches.", ""]
    out += ["## Files", "", "| file | what it is |", "|---|---|"]
    for path in sorted(files):
        out.append(f"| {code_cell(path)} | {_describe(path)} |")
    out += ["| `README.md` | this file |", ""]
    out += _how_to(policy, repo, slugs)
    return "\n".join(out).rstrip("\n") + "\n"


def _describe(path: str) -> str:
    if path.startswith("github/ruleset"):
        return "GitHub repository ruleset: the REST body of `POST /repos/OWNER/NAME/rulesets`, importable in the UI"
    if path.startswith("github/branch-protection-"):
        return "GitHub classic branch protection: the body of `PUT /repos/OWNER/NAME/branches/BRANCH/protection`"
    if path == "github/repository.json":
        return "GitHub merge settings: the body of `PATCH /repos/OWNER/NAME`"
    if path == "github/apply.sh":
        return "applies the GitHub files with `gh api`"
    if path.startswith("gitlab/protected-branch-"):
        return "GitLab protected branch: the body of `POST /projects/:id/protected_branches`"
    if path == "gitlab/project.json":
        return "GitLab merge settings: the body of `PUT /projects/:id`"
    if path == "gitlab/apply.sh":
        return "applies the GitLab files with `glab api`"
    if path == "terraform/ruleset.tf":
        return "the rulesets as Terraform `github_repository_ruleset` resources"
    if path == "safe-settings.yml":
        return "the merge settings and rulesets for the safe-settings app"
    if path == "github/CODEOWNERS":
        return f"the risky paths and their owners: commit it as `{codeowners.GITHUB_PLACE}`"
    if path == "gitlab/CODEOWNERS":
        return (f"the risky paths and their owners, {codeowners.GITLAB_APPROVALS} approvals there: commit it as "
                f"`{codeowners.GITLAB_PLACE}`")
    return ""


def _how_to(policy: Policy, repo: str | None, slugs: list[str]) -> list[str]:
    target = repo or "OWNER/NAME"
    wildcards = [r.pattern for r in policy.rules if _is_wildcard(r)]
    out = [
        "## Apply on GitHub", "",
        "Choose one way; rulesets and classic protection add up, so use one of them, not both.", "",
        "- **Web UI**: Settings > Rules > Rulesets > New ruleset > Import a ruleset, and pick each "
        "`github/ruleset*.json`. Set the merge options of `github/repository.json` under Settings > General "
        "> Pull Requests.",
        f"- **gh**: {code('bash github/apply.sh ' + target)} (add `classic` as a second argument for classic branch "
        "protection). Rulesets are named `advisor-...`; running a later stage's script updates them in place.",
        "- **Terraform**: copy `terraform/ruleset.tf` into your configuration (integrations/github provider), "
        "then `terraform plan`.",
        "- **safe-settings**: put `safe-settings.yml` in the admin repository as `.github/repos/NAME.yml`.",
    ]
    if wildcards:
        out.append("- Classic branch protection takes one branch name per call, so there is no classic file for "
                   + ", ".join(code(p) for p in wildcards) + "; use the rulesets for those.")
    if any(_queued(r) for r in policy.rules):
        out.append("- The merge queue is a ruleset rule only: classic protection has none, so use the rulesets. "
                   "GitHub offers it in organisation-owned repositories (public ones, and private ones on "
                   "Enterprise Cloud). Before turning it on, add `merge_group:` to the `on:` of each workflow "
                   "whose jobs are required checks: the queue waits for them on its own merge commit, and without "
                   "that trigger they never run there and every queued change times out.")
    approvals = max((r.required_approvals for r in policy.rules), default=0)
    if approvals > 6:
        out.append("- Classic branch protection allows at most 6 approvals; its files ask for 6.")
    out += ["", "## Apply on GitLab", "",
            f"- {code('bash gitlab/apply.sh ' + (repo or 'GROUP/PROJECT'))} with the GitLab CLI (`glab`). Each protected "
            "branch is unprotected, then protected again: GitLab cannot change access levels in place.",
            "- Required approvals live in GitLab's merge request approval rules (Premium), "
            "not in protected branches: set "
            + (f"{max(approvals, 1)} approval(s) " if approvals else "them ")
            + "under Settings > Merge requests > Merge request approvals.",
            "- GitLab never lets a push delete a protected branch, and has no per-branch linear-history switch: "
            "`merge_method` in `gitlab/project.json` covers the whole project.",
            *(["- Merge trains (`merge_trains_enabled`, with merged results pipelines) need GitLab Premium and "
               "pipelines that run for merge requests (`rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"`)."]
              if any(r.merge_queue for r in policy.rules if r.is_trunk) else []),
            "- GitLab CI reports the pipeline as a whole: \"Pipelines must succeed\" "
            "(`only_allow_merge_if_pipeline_succeeds`) takes the place of named checks.", ""]
    return out


# -- all files for one stage ---------------------------------------------------------------

def _owned(policy: Policy) -> tuple[CodeOwner, ...]:
    """The code owners' paths, when a rule asks for their review."""
    return policy.code_owners if any(r.require_code_owner_review and not r.lock for r in policy.rules) else ()


def render_policy(policy: Policy, repo: str | None) -> dict[str, str]:
    """Every file for one stage's protection: relative path -> text (`repo` is OWNER/NAME when known)."""
    rules = policy.rules
    slugs = _slugs(rules)
    files: dict[str, str] = {}
    rulesets: list[dict[str, Any]] = []
    ruleset_files: list[tuple[str, str]] = []
    classic_files: list[tuple[str, str]] = []
    gitlab_files: list[tuple[str, str]] = []
    for rule, rule_slug in zip(rules, slugs):
        body = github_ruleset(rule, rule_slug)
        rulesets.append(body)
        name = "ruleset.json" if len(rules) == 1 else f"ruleset-{rule_slug}.json"
        files[f"github/{name}"] = _json(body)
        ruleset_files.append((body["name"], name))
        if not _is_wildcard(rule):
            classic = f"branch-protection-{rule_slug}.json"
            files[f"github/{classic}"] = _json(github_branch_protection(rule))
            classic_files.append((_url_segment(_branch_name(rule, policy.trunk)), classic))
        protected = f"protected-branch-{rule_slug}.json"
        files[f"gitlab/{protected}"] = _json(gitlab_protected_branch(rule, policy.trunk))
        gitlab_files.append((_url_segment(_branch_name(rule, policy.trunk)), protected))
    files["github/repository.json"] = _json(github_repository(policy))
    files["github/apply.sh"] = github_script(policy, repo, ruleset_files, classic_files)
    files["gitlab/project.json"] = _json(gitlab_project(policy))
    files["gitlab/apply.sh"] = gitlab_script(policy, repo, gitlab_files)
    files["terraform/ruleset.tf"] = terraform(policy, repo, slugs)
    files["safe-settings.yml"] = safe_settings(policy, rulesets, repo)
    owned = _owned(policy)
    if owned:
        files["github/CODEOWNERS"] = codeowners.github(owned, policy.stage)
        files["gitlab/CODEOWNERS"] = codeowners.gitlab(owned, policy.stage)
    files["README.md"] = readme(policy, repo, files, slugs)
    return dict(sorted(files.items()))
