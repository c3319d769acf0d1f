"""The README of a stage's protection folder: the rules in words, the checks found, the Scorecard
requirements met, the files and how to apply them on each host."""

from __future__ import annotations

from advisor import codeowners
from advisor.markdown import code, code_cell, md
from advisor.protection.model import (
    SCORECARD_POINTS,
    SCORECARD_SOURCE,
    BranchRule,
    Policy,
    is_scored,
    is_wildcard,
    merge_methods,
    owned_paths,
    queued,
    requires_pull_request,
    rule_tier,
    ruleset_name,
    scorecard_tier,
)

_BYPASS_NAMES = {"admin": "repository admins", "maintain": "maintainers", "deploy-key": "deploy keys"}


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
    if not rule.lock and requires_pull_request(rule):
        said.append(f"changes through a pull request with {rule.required_approvals} approval(s)")
        if rule.dismiss_stale_reviews:
            said.append("new commits dismiss earlier approvals")
        if rule.require_last_push_approval:
            said.append("the last push is approved by someone else")
        if rule.require_code_owner_review:
            said.append("code owners review")
        if rule.require_conversation_resolution:
            said.append("conversations resolved")
        said.append("merge methods: " + ", ".join(merge_methods(rule)))
    if not rule.lock and rule.required_checks:
        said.append(f"{len(rule.required_checks)} required status check(s)")
        if rule.strict_checks:
            said.append("branch up to date before merging")
        if queued(rule):
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
     requires_pull_request),
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
        what = "the default branch" if rule.is_trunk else "branches matching" if is_wildcard(rule) else "branch"
        shown = policy.trunk if rule.is_trunk else rule.pattern
        out.append(f"### {md(what)} {code(shown)} (ruleset {code(ruleset_name(rule_slug))})")
        out.append("")
        if rule.why:
            out += [f"Why: {md(rule.why)}", ""]
        out += [f"- {item}" for item in _requirements(rule)]
        for bypass in rule.bypass:
            out.append(f"- bypass: {_BYPASS_NAMES.get(bypass.actor, md(bypass.actor))}, because {md(bypass.reason)}")
        for fact in rule.allowed_by:
            out.append(f"- measured: {md(fact)}")
        out.append(f"- Scorecard tier of this rule alone: {rule_tier(rule)}"
                   + ("" if is_scored(rule) else " (not scored: Scorecard checks the default and release branches)"))
        if not rule.lock and rule.required_checks:
            out.append("- required checks: " + ", ".join(code(c) for c in dict.fromkeys(rule.required_checks)))
        out.append("")
    if any(requires_pull_request(r) and not r.lock for r in policy.rules):
        out += codeowners.readme(owned_paths(policy), policy.no_code_owners)
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
    scored = [r for r in policy.rules if is_scored(r)]
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
    wildcards = [r.pattern for r in policy.rules if is_wildcard(r)]
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
    if any(queued(r) for r in policy.rules):
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
