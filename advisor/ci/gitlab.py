"""GitLab CI: which branches a pipeline's rules name (GitLab reports the pipeline as a whole, not per job)."""

from __future__ import annotations

import re
from typing import Any

from advisor.ci.branches import textual
from advisor.ci.model import Found, Source, System, record
from advisor.ci.yamlread import strings

# A rule that runs a pipeline for merge requests (what merge trains and merged results pipelines need):
# `$CI_PIPELINE_SOURCE == "merge_request_event"`, or a test of a merge request variable.
_MERGE_REQUEST_RULE = re.compile(r"""\$CI_PIPELINE_SOURCE\s*==\s*["']merge_request_event["']"""
                                 r"|\$CI_MERGE_REQUEST_I?ID\b(?!\s*==\s*null)")
_MERGE_REQUEST_TEMPLATE = "MergeRequest-Pipelines"  # include: template: Workflows/MergeRequest-Pipelines.gitlab-ci.yml
MERGE_REQUEST_EVENT = "merge_request_event"

_GITLAB_KEYWORDS = {"stages", "variables", "default", "include", "workflow", "image", "services", "cache",
                    "before_script", "after_script", "types"}


def read(found: Found, source: Source) -> None:
    """GitLab reports a pipeline, not per-job checks: the project setting makes it required."""
    path, document, names = source.path, source.yaml, source.names
    texts: list[str] = []
    rules: list[Any] = []
    only: list[str] = []
    workflow = document.get("workflow")
    if isinstance(workflow, dict):
        rules.append(workflow.get("rules"))
    for key, job in document.items():
        if key in _GITLAB_KEYWORDS or not isinstance(job, dict):
            continue
        for field in ("only", "except"):
            texts.extend(_gitlab_refs(job.get(field)))
        only.extend(_gitlab_refs(job.get("only")))
        rules.append(job.get("rules"))
    texts.extend(condition for r in rules for condition in _rule_conditions(r))
    if (any(_for_merge_requests(r) for r in rules) or "merge_requests" in only
            or _MERGE_REQUEST_TEMPLATE in str(document.get("include", ""))):
        found.events[path] = (MERGE_REQUEST_EVENT,)
    mentioned = [name for name in names if any(textual(text, (name,)) for text in texts)]
    record(found, path, mentioned)
    found.notes.append(f"{path}: GitLab CI reports the pipeline as a whole; require it with "
                       f"\"Pipelines must succeed\" rather than named checks.")


def _gitlab_refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("refs")
    return list(strings(value))


def _for_merge_requests(rules: Any) -> bool:
    """Whether a `rules:` list runs a pipeline (or job) for merge requests (a `when: never` rule excludes them)."""
    return isinstance(rules, list) and any(
        isinstance(rule, dict) and isinstance(rule.get("if"), str) and rule.get("when") != "never"
        and _MERGE_REQUEST_RULE.search(rule["if"]) is not None for rule in rules)


def _rule_conditions(rules: Any) -> list[str]:
    if not isinstance(rules, list):
        return []
    return [rule["if"] for rule in rules if isinstance(rule, dict) and isinstance(rule.get("if"), str)]


SYSTEM = System(name="gitlab-ci", paths=(".gitlab-ci.yml",), read=read)
