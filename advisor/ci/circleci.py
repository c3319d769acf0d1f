"""CircleCI: jobs of the workflows that run on every push, named as CircleCI's GitHub status checks.

A job counts when its workflow runs on pushes (no schedule `triggers`, no `when` that is false), its
`filters.branches` let an arbitrary branch through (`only` matching every branch, `ignore` not), it is
not an approval job, and every job it `requires` counts too.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.ci.branches import filter_mentions
from advisor.ci.logic import UNKNOWN, Tri, Unknown, all3, topological
from advisor.ci.model import Found, Source, System, record
from advisor.ci.yamlread import strings

CIRCLECI_FORKS_NOTE = ("CircleCI reports on pull requests from forks only when the project's \"Build forked "
                       "pull requests\" setting is on; otherwise these checks never arrive on them.")
_UNIVERSAL_REGEX = re.compile(r"/\^?\.[*+]\$?/")
_PIPELINE_VALUE = re.compile(r"<<\s*pipeline\.([A-Za-z0-9_.-]+)\s*>>")


def read(found: Found, source: Source) -> None:
    """Jobs of the workflows that run on every push, named as CircleCI's GitHub status checks.

    A job counts when its `filters.branches` let any branch through (`only` a pattern matching every
    branch, `ignore` not), it is not an approval, and every job it `requires` counts too.
    """
    path, document, names = source.path, source.yaml, source.names
    workflows = document.get("workflows")
    if not isinstance(workflows, dict):
        return
    parameters = document.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    filters: list[str] = []
    before = len(found.checks)
    for workflow_name, workflow in workflows.items():
        if workflow_name == "version" or not isinstance(workflow, dict):
            continue
        triggers = workflow.get("triggers")
        for trigger in triggers if isinstance(triggers, list) else []:
            schedule = trigger.get("schedule") if isinstance(trigger, dict) else None
            filters.extend(_branch_filters(schedule))
        jobs = workflow.get("jobs")
        entries = _entries(jobs) if isinstance(jobs, list) else []
        for _, _, config in entries:
            filters.extend(_branch_filters(config))
        skipped = _workflow_skipped(workflow, parameters)
        if skipped:
            found.notes.append(f"{path}: workflow {workflow_name} {skipped}: its jobs are not required.")
            continue
        for name, config, runs in _runs(found, path, entries):
            if not runs:
                continue
            if "matrix" in config:
                found.notes.append(f"{path}: job {name} uses a matrix; CircleCI names each run "
                                   f"\"ci/circleci: {name}-<parameters>\": add them by name.")
            elif "<<" in name:
                found.notes.append(f"{path}: job {name} is named by a parameter: add its check by name.")
            else:
                found.checks.add(f"ci/circleci: {name}")
    record(found, path, filter_mentions(filters, names))
    if len(found.checks) > before:
        found.notes.append(f"{path}: {CIRCLECI_FORKS_NOTE}")


def _entries(jobs: list[Any]) -> list[tuple[str, str, dict[Any, Any]]]:
    """(job, name, config) for each job of a workflow; name is what its status check and `requires` use."""
    entries: list[tuple[str, str, dict[Any, Any]]] = []
    for entry in jobs:
        if isinstance(entry, str):
            entries.append((entry, entry, {}))
        elif isinstance(entry, dict) and len(entry) == 1:
            job, config = next(iter(entry.items()))
            config = config if isinstance(config, dict) else {}
            name = config.get("name")
            entries.append((str(job), name if isinstance(name, str) and name else str(job), config))
    return entries


def _branch_filters(config: Any) -> list[str]:
    filters = config.get("filters") if isinstance(config, dict) else None
    branches = filters.get("branches") if isinstance(filters, dict) else None
    if not isinstance(branches, dict):
        return []
    return [*strings(branches.get("only")), *strings(branches.get("ignore"))]


def _any_branch(config: dict[Any, Any]) -> bool:
    """Whether a job's filters let it run on a branch of any name (tag filters do not stop branches)."""
    filters = config.get("filters")
    branches = filters.get("branches") if isinstance(filters, dict) else None
    if not isinstance(branches, dict):
        return True
    only = list(strings(branches.get("only")))
    if only and not any(_UNIVERSAL_REGEX.fullmatch(p.strip()) for p in only):
        return False
    return not any(_UNIVERSAL_REGEX.fullmatch(p.strip()) for p in strings(branches.get("ignore")))


def _runs(found: Found, path: str,
                   entries: list[tuple[str, str, dict[Any, Any]]]) -> list[tuple[str, dict[Any, Any], bool]]:
    """Each entry's name, config and whether it runs on every pushed branch: its own filters, and
    every job it requires (by name, or a matrix job's job or alias) runs too."""
    by_name: dict[str, list[int]] = {}
    for i, (job, name, config) in enumerate(entries):
        keys = {name}
        matrix = config.get("matrix")
        if isinstance(matrix, dict):
            alias = matrix.get("alias")
            keys.add(alias if isinstance(alias, str) else job)
        for key in keys:
            by_name.setdefault(key, []).append(i)
    deps: list[list[int]] = []
    for _, _, config in entries:
        requires = config.get("requires")
        required = [str(r) if not isinstance(r, dict) else str(next(iter(r), "")) for r in requires
                    if isinstance(r, (str, dict))] if isinstance(requires, list) else []
        deps.append([j for r in required for j in by_name.get(r, [])])
    order, stuck = topological(len(entries), deps)
    runs = [False] * len(entries)
    for i in order:
        job, name, config = entries[i]
        if config.get("type") == "approval":
            found.notes.append(f"{path}: job {name} waits for a manual approval; it and the jobs that require it "
                               f"are not required.")
        elif not _any_branch(config):
            found.notes.append(f"{path}: job {name} runs only on some branches or tags: it is not required.")
        else:
            runs[i] = all(runs[j] for j in deps[i])
    for i in stuck:
        runs[i] = False
    return [(name, config, runs[i]) for i, (_, name, config) in enumerate(entries)]


def _workflow_skipped(workflow: dict[Any, Any], parameters: dict[Any, Any]) -> str | None:
    """Why a workflow does not run on every pushed branch, or None."""
    triggers = workflow.get("triggers")
    if isinstance(triggers, list) and triggers and all(isinstance(t, dict) and "schedule" in t for t in triggers):
        return "runs only on a schedule"
    if "when" in workflow and _logic(workflow["when"], parameters, 0) is False:
        return "runs only when its `when:` condition holds, which it does not on every branch"
    if "unless" in workflow and _logic(workflow["unless"], parameters, 0) is True:
        return "is turned off by its `unless:` condition on every branch"
    return None


def _logic(value: Any, parameters: dict[Any, Any], depth: int) -> Tri:
    """A CircleCI logic statement's value on a push to an arbitrary branch with the parameters' defaults."""
    if depth > 32:
        return None
    value = _value(value, parameters)
    if isinstance(value, Unknown):
        return None
    if isinstance(value, dict) and len(value) == 1:
        operator, operand = next(iter(value.items()))
        if operator in ("and", "or") and isinstance(operand, list):
            values = [_logic(v, parameters, depth + 1) for v in operand]
            if operator == "and":
                return all3(values)
            return True if True in values else False if all(v is False for v in values) else None
        if operator == "not":
            result = _logic(operand, parameters, depth + 1)
            return None if result is None else not result
        if operator == "equal" and isinstance(operand, list):
            items = [_value(v, parameters) for v in operand]
            if any(isinstance(v, _Branch) for v in items):
                literal = [v for v in items if not isinstance(v, _Branch)]
                # an arbitrary branch is not a named one
                return None if any(isinstance(v, Unknown) for v in literal) or not literal else False
            if any(isinstance(v, (Unknown, dict, list)) for v in items):
                return None
            return all(v == items[0] for v in items)
        if operator == "matches" and isinstance(operand, dict):
            pattern, subject = operand.get("pattern"), _value(operand.get("value"), parameters)
            if isinstance(subject, _Branch) and isinstance(pattern, str):
                return pattern.strip() in (".*", "^.*$", ".+", "^.+$", "^.*", ".*$")
            return None
        return None
    if isinstance(value, (dict, list)):
        return None
    return bool(value) and value != "false"


class _Branch:
    """The pushed branch's name, which may be anything."""


def _value(value: Any, parameters: dict[Any, Any]) -> Any:
    """A value with `<< pipeline.parameters.x >>` (its default) and `<< pipeline.git.* >>` put in."""
    if not isinstance(value, str) or "<<" not in value:
        return value
    match = _PIPELINE_VALUE.fullmatch(value.strip())
    if match is None:
        return UNKNOWN
    ref = match.group(1)
    if ref == "git.branch":
        return _Branch()
    if ref == "git.tag":
        return ""
    if ref.startswith("parameters."):
        parameter = parameters.get(ref.removeprefix("parameters."))
        if isinstance(parameter, dict) and "default" in parameter and not (
                isinstance(parameter["default"], str) and "<<" in parameter["default"]):
            return parameter["default"]
    return UNKNOWN


SYSTEM = System(name="circleci", paths=(".circleci/config.yml",), read=read)
