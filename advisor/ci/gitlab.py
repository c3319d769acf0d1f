"""GitLab CI: which branches a pipeline's rules name (GitLab reports the pipeline as a whole, not per job)."""

from __future__ import annotations

from typing import Any

from advisor.ci.branches import textual
from advisor.ci.model import Found, Source, System, record
from advisor.ci.yamlread import strings

_GITLAB_KEYWORDS = {"stages", "variables", "default", "include", "workflow", "image", "services", "cache",
                    "before_script", "after_script", "types"}


def read(found: Found, source: Source) -> None:
    """GitLab reports a pipeline, not per-job checks: the project setting makes it required."""
    path, document, names = source.path, source.yaml, source.names
    texts: list[str] = []
    workflow = document.get("workflow")
    if isinstance(workflow, dict):
        texts.extend(_rule_conditions(workflow.get("rules")))
    for key, job in document.items():
        if key in _GITLAB_KEYWORDS or not isinstance(job, dict):
            continue
        for field in ("only", "except"):
            texts.extend(_gitlab_refs(job.get(field)))
        texts.extend(_rule_conditions(job.get("rules")))
    mentioned = [name for name in names if any(textual(text, (name,)) for text in texts)]
    record(found, path, mentioned)
    found.notes.append(f"{path}: GitLab CI reports the pipeline as a whole; require it with "
                       f"\"Pipelines must succeed\" rather than named checks.")


def _gitlab_refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("refs")
    return list(strings(value))


def _rule_conditions(rules: Any) -> list[str]:
    if not isinstance(rules, list):
        return []
    return [rule["if"] for rule in rules if isinstance(rule, dict) and isinstance(rule.get("if"), str)]


SYSTEM = System(name="gitlab-ci", paths=(".gitlab-ci.yml",), read=read)
