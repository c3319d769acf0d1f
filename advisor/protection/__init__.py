"""Branch protection as a host-neutral policy, and that policy in each host's own format.

`recommend` decides *what* each stage of the plan protects (a `Policy`, in `model`); the other
modules only translate it: GitHub ruleset / classic protection / repository merge settings
(`github`), GitLab protected-branch and project merge settings (`gitlab`), Terraform HCL
(`terraform`), safe-settings YAML (`safe_settings`) and the folder's README (`readme`). Pure:
policies in, file texts out.
"""

from __future__ import annotations

from typing import Any

from advisor import codeowners
from advisor.protection.github import github_branch_protection, github_repository, github_ruleset, github_script
from advisor.protection.gitlab import gitlab_project, gitlab_protected_branch, gitlab_script
from advisor.protection.model import (
    BranchRule as BranchRule,
    Bypass as Bypass,
    CiChecks as CiChecks,
    MergeSettings as MergeSettings,
    Policy as Policy,
    branch_name,
    is_wildcard,
    owned_paths,
    rule_slugs,
    scorecard_tier as scorecard_tier,
)
from advisor.protection.readme import readme
from advisor.protection.safe_settings import safe_settings
from advisor.protection.terraform import hcl_string as hcl_string, terraform
from advisor.protection.text import to_json, url_segment


def render_policy(policy: Policy, repo: str | None) -> dict[str, str]:
    """Every file for one stage's protection: relative path -> text (`repo` is OWNER/NAME when known)."""
    rules = policy.rules
    slugs = rule_slugs(rules)
    files: dict[str, str] = {}
    rulesets: list[dict[str, Any]] = []
    ruleset_files: list[tuple[str, str]] = []
    classic_files: list[tuple[str, str]] = []
    gitlab_files: list[tuple[str, str]] = []
    for rule, rule_slug in zip(rules, slugs):
        body = github_ruleset(rule, rule_slug)
        rulesets.append(body)
        name = "ruleset.json" if len(rules) == 1 else f"ruleset-{rule_slug}.json"
        files[f"github/{name}"] = to_json(body)
        ruleset_files.append((body["name"], name))
        if not is_wildcard(rule):
            classic = f"branch-protection-{rule_slug}.json"
            files[f"github/{classic}"] = to_json(github_branch_protection(rule))
            classic_files.append((url_segment(branch_name(rule, policy.trunk)), classic))
        protected = f"protected-branch-{rule_slug}.json"
        files[f"gitlab/{protected}"] = to_json(gitlab_protected_branch(rule, policy.trunk))
        gitlab_files.append((url_segment(branch_name(rule, policy.trunk)), protected))
    files["github/repository.json"] = to_json(github_repository(policy))
    files["github/apply.sh"] = github_script(policy, repo, ruleset_files, classic_files)
    files["gitlab/project.json"] = to_json(gitlab_project(policy))
    files["gitlab/apply.sh"] = gitlab_script(policy, repo, gitlab_files)
    files["terraform/ruleset.tf"] = terraform(policy, repo, slugs)
    files["safe-settings.yml"] = safe_settings(policy, rulesets, repo)
    owned = owned_paths(policy)
    if owned:
        files["github/CODEOWNERS"] = codeowners.github(owned, policy.stage)
        files["gitlab/CODEOWNERS"] = codeowners.gitlab(owned, policy.stage)
    files["README.md"] = readme(policy, repo, files, slugs)
    return dict(sorted(files.items()))
