"""GitHub Actions: the checks a workflow's jobs report on every update of a pull request into the trunk.

A workflow counts through its `pull_request` / `pull_request_target` triggers when their `types`
include both `opened` and `synchronize` (the default types do), their `branches` / `branches-ignore`
(which filter the pull request's *base* branch) let the trunk through, and they have no `paths`
filters. A workflow that names no pull request trigger counts when it runs on pushes to every branch.
A job whose `if:` cannot be true on those events (`github.event_name == 'push'`, a tag or branch ref,
...) or that needs such a job is skipped: left out. A job that may be skipped is kept (a skipped job
reports success), except a matrix job or a reusable workflow's jobs: skipped, those report one check
under another name. Expressions are evaluated with unknowns (`expressions`); whatever is not certain
to be false counts as possible. Static matrices are expanded into GitHub's check names.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from advisor.ci.branches import branch_match, filter_mentions
from advisor.ci.expressions import PR_EVENTS, Event, condition_value, parse_condition
from advisor.ci.logic import Tri, all3, and3, topological
from advisor.ci.model import SCALAR, Found, Source, System, record
from advisor.ci.yamlread import load_yaml, strings

MAX_MATRIX = 256  # combinations beyond this are not listed one by one
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_MATRIX_REF = re.compile(r"^matrix\.([A-Za-z_][A-Za-z0-9_-]*)$")


def _events(document: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    on = document.get("on", document.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {event: None for event in on if isinstance(event, str)}
    if isinstance(on, dict):
        return {str(event): config for event, config in on.items()}
    return {}


_DEFAULT_PR_TYPES = ("opened", "synchronize", "reopened")
_UPDATE_ACTIONS = ("opened", "synchronize")  # a pull request's head is new: a required check must report on both

def _pushes_everywhere(events: dict[str, Any]) -> bool:
    """Whether the workflow runs on a push to any branch (so on a pull request's head, from the same repository)."""
    if "push" not in events:
        return False
    push = events["push"]
    if not isinstance(push, dict):
        return True
    if "paths" in push or "paths-ignore" in push:
        return False
    return "branches" not in push and not ("tags" in push and "branches-ignore" not in push)


def _pr_types(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value:
        return tuple(t for t in value if isinstance(t, str))
    return _DEFAULT_PR_TYPES



def _base_allowed(config: dict[Any, Any], trunk: str) -> bool:
    """Whether a pull request trigger's `branches` / `branches-ignore` (base branch filters) let the trunk through.

    `branches` patterns are read in order, the last that matches deciding (`!` excludes). Patterns not
    understood count in the trunk's favour.
    """
    if config.get("branches") is not None:
        allowed, any_pattern = False, False
        for pattern in strings(config.get("branches")):
            any_pattern = True
            negated = pattern.startswith("!")
            matched = branch_match(pattern[1:] if negated else pattern, trunk)
            if matched is None:
                matched = not negated
            if matched:
                allowed = not negated
        return allowed or not any_pattern
    return not any(branch_match(p, trunk) is True for p in strings(config.get("branches-ignore")))


def _update_events(found: Found, path: str, events: dict[str, Any], trunk: str | None) -> tuple[Event, ...]:
    """The events on which the workflow runs for every new head of a pull request into the trunk (none: it does not).

    When the workflow names pull request triggers, they decide; otherwise pushes to every branch count.
    """
    # pull_request_target runs the base branch's workflow (to label, comment, or triage): its checks do
    # not test the pull request's code, so they are never required.
    if "pull_request_target" in events and "pull_request" not in events:
        found.notes.append(f"{path} runs for pull requests on pull_request_target only, with the base branch's code "
                           f"(to label or comment): its checks do not test the pull request and are not required.")
        return ()
    named = [event for event in ("pull_request",) if event in events]
    if not named:
        if _pushes_everywhere(events):
            return (Event("push", None, trunk, False),)
        if "push" in events and isinstance(events["push"], dict) and (
                "paths" in events["push"] or "paths-ignore" in events["push"]):
            found.notes.append(f"{path} runs only when certain paths change: its checks are not required, because "
                               f"a pull request that skips them would wait forever.")
        elif events:
            shown = ", ".join(sorted(events))
            found.notes.append(f"{path} runs only on {shown}, never for a pull request's new commits: its checks "
                               f"are not required.")
        return ()
    result: list[Event] = []
    for event in named:
        config = events[event] if isinstance(events[event], dict) else {}
        types = _pr_types(config.get("types"))
        if not all(action in types for action in _UPDATE_ACTIONS):
            found.notes.append(f"{path} runs on {event} only for activity types {', '.join(types)}, not for every "
                               f"new commit (opened and synchronize): its checks are not required, because "
                               f"commits would wait for them forever.")
            continue
        if "paths" in config or "paths-ignore" in config:
            found.notes.append(f"{path} runs only when certain paths change: its checks are not required, because "
                               f"a pull request that skips them would wait forever.")
            continue
        if trunk is not None and not _base_allowed(config, trunk):
            found.notes.append(f"{path} runs on {event} only for pull requests into other branches than {trunk}: "
                               f"its checks are not required.")
            continue
        result.extend(Event(event, action, trunk, "ready_for_review" in types) for action in _UPDATE_ACTIONS)
    return tuple(result)


def read(found: Found, source: Source) -> None:
    """The checks of one workflow file, and the branches its triggers name."""
    path, document, files, names, trunk = source.path, source.yaml, source.files, source.names, source.trunk
    events = _events(document)
    found.events[path] = tuple(events)
    name = document.get("name")
    if isinstance(name, SCALAR) and str(name).strip():
        found.names[path] = str(name)
    filters = [p for event in ("push", *PR_EVENTS) if isinstance(events.get(event), dict)
               for key in ("branches", "branches-ignore") for p in strings(events[event].get(key))]
    record(found, path, filter_mentions(filters, names))
    contexts = _update_events(found, path, events, trunk)
    if not contexts:
        return
    jobs = document.get("jobs")
    if not isinstance(jobs, dict):
        return
    states = _job_states(jobs, contexts)
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        caller = _job_display_name(str(job_id), job)
        purpose = _job_purpose(str(job_id), job)
        if purpose is not None:
            found.notes.append(f"{path}: job {caller} {purpose}: it is not required.")
            continue
        state = _overall(states[str(job_id)])
        if state == "never":
            _note_skipped(found, path, caller)
            continue
        uses = job.get("uses")
        if isinstance(uses, str):
            callee = _local_workflow(uses, files)
            if callee is None:
                found.notes.append(f"{path}: job {caller} calls {uses}; its checks report as "
                                   f"\"{caller} / <job>\": add them by name.")
                continue
            if state == "maybe":
                found.notes.append(f"{path}: job {caller} may be skipped on a pull request, and then its "
                                   f"\"{caller} / <job>\" checks never report: they are not required.")
                continue
            for name in _workflow_job_names(found, uses.removeprefix("./"), callee, contexts,
                                            states[str(job_id)]):
                found.checks.add(f"{caller} / {name}")
            continue
        for name in _reported_names(found, path, str(job_id), job, state):
            found.checks.add(name)


# Steps whose work is to reach other sites (a link checker fails when someone else's server is down)
# or to label the pull request: never a required check.
_NETWORK = re.compile(r"lychee|markdown-link-check|linkinator|link-?check|linkcheck|htmlproofer|muffet|broken-link",
                      re.IGNORECASE)
_LABELER = re.compile(r"actions/labeler|labeler|label-?sync|auto-?label", re.IGNORECASE)


def _job_purpose(job_id: str, job: dict[Any, Any]) -> str | None:
    """Why a job's check should not be required (it reaches the network, it labels), or None."""
    steps = job.get("steps")
    texts = [job_id, str(job.get("name", ""))]
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict):
            texts += [str(step.get(key, "")) for key in ("uses", "run", "name")]
    if isinstance(job.get("uses"), str):
        texts.append(job["uses"])
    text = "\n".join(texts)
    if _NETWORK.search(text):
        return "checks links on other sites, so it fails when they are down, not when the change is wrong"
    if _LABELER.search(text):
        return "labels the pull request; it tests nothing"
    return None


def _note_skipped(found: Found, path: str, name: str) -> None:
    found.notes.append(f"{path}: job {name} is skipped on pull requests (by its `if:` or the jobs it needs): "
                       f"it is not required.")


def _reported_names(found: Found, path: str, job_id: str, job: dict[Any, Any], state: str) -> list[str]:
    """The checks a job that runs on pull requests reports every time (a skipped matrix job reports
    one check under its unexpanded name instead of one per combination)."""
    strategy = job.get("strategy")
    if state == "maybe" and isinstance(strategy, dict) and strategy.get("matrix") is not None:
        found.notes.append(f"{path}: job {_job_display_name(job_id, job)} may be skipped on a pull request, and a "
                           f"skipped matrix job reports one check under its unexpanded name: its checks are not "
                           f"required.")
        return []
    return _job_contexts(found, path, job_id, job)


def _job_states(jobs: dict[Any, Any], contexts: tuple[Event, ...],
                base: dict[Event, Tri] | None = None) -> dict[str, dict[Event, Tri]]:
    """Per job id, per event: whether the job runs (its `if:`, with `success()` meaning the jobs it
    needs all ran). `base` says whether the calling job ran, for a reusable workflow's jobs."""
    ids = [str(job_id) for job_id, job in jobs.items() if isinstance(job, dict)]
    bodies = [job for job in jobs.values() if isinstance(job, dict)]
    index = {job_id: i for i, job_id in enumerate(ids)}
    needs = [_needs(body) for body in bodies]
    order, stuck = topological(len(ids), [[index[n] for n in ns if n in index] for ns in needs])
    runs: list[dict[Event, Tri]] = [{} for _ in ids]
    for i in order:
        condition = parse_condition(bodies[i].get("if")) if "if" in bodies[i] else None
        for context in contexts:
            success = all3(runs[index[n]].get(context) if n in index else None for n in needs[i])
            value = condition_value(condition, context, success)
            runs[i][context] = value if base is None else and3(base.get(context), value)
    for i in stuck:
        runs[i] = {context: None for context in contexts}
    return dict(zip(ids, runs))


def _needs(job: dict[Any, Any]) -> list[str]:
    needs = job.get("needs")
    if isinstance(needs, str):
        return [needs]
    return [str(n) for n in needs if isinstance(n, SCALAR)] if isinstance(needs, list) else []



def _overall(runs: dict[Event, Tri]) -> str:
    """"always" when the job runs on every new head of a pull request, "never" when on none, else "maybe"."""
    by_action: dict[str | None, list[Tri]] = {}
    for context, value in runs.items():
        by_action.setdefault(context.action, []).append(value)
    verdicts = [True if True in values else False if all(v is False for v in values) else None
                for values in by_action.values()]
    if all(v is True for v in verdicts):
        return "always"
    return "never" if all(v is False for v in verdicts) else "maybe"


def _job_display_name(job_id: str, job: dict[Any, Any]) -> str:
    name = job.get("name")
    return str(name) if isinstance(name, SCALAR) and str(name).strip() else job_id


def _local_workflow(uses: str, files: Mapping[str, bytes]) -> dict[Any, Any] | None:
    if not uses.startswith("./"):
        return None
    raw = files.get(uses.removeprefix("./"))
    if raw is None:
        return None
    try:
        document = load_yaml(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return document if isinstance(document, dict) else None


def _workflow_job_names(found: Found, path: str, document: dict[Any, Any], contexts: tuple[Event, ...],
                        base: dict[Event, Tri]) -> list[str]:
    jobs = document.get("jobs")
    if not isinstance(jobs, dict):
        return []
    states = _job_states(jobs, contexts, base)
    names: list[str] = []
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        state = _overall(states[str(job_id)])
        if state == "never":
            _note_skipped(found, path, _job_display_name(str(job_id), job))
            continue
        names.extend(_reported_names(found, path, str(job_id), job, state))
    return names


def _job_contexts(found: Found, path: str, job_id: str, job: dict[Any, Any]) -> list[str]:
    """The check names one job reports: its name, once per static matrix combination.

    A name that cannot be worked out from the file (a computed matrix, an expression other than
    `matrix.*`) is noted and left out: a required check that never reports blocks every merge.
    """
    name = _job_display_name(job_id, job)
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    combinations = [] if matrix is None else _expand_matrix(matrix)
    if combinations is None:
        found.notes.append(f"{path}: job {name} has a matrix that is computed or too large to list; "
                           f"add its checks by name.")
        return []
    if not combinations:
        names = [name]
    elif "${{" in name:
        names = [_substitute(name, combination) for combination in combinations]
    else:
        names = [f"{name} ({', '.join(_show(v) for v in combination.values())})" for combination in combinations]
    if any("${{" in n for n in names):
        found.notes.append(f"{path}: job {name} is named by an expression that cannot be worked out from the file; "
                           f"add its checks by name.")
    return [n for n in names if "${{" not in n]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _substitute(name: str, combination: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = _MATRIX_REF.match(match.group(1))
        if ref and ref.group(1) in combination:
            return _show(combination[ref.group(1)])
        return match.group(0)
    return _EXPRESSION.sub(replace, name)


def _expand_matrix(matrix: Any) -> list[dict[str, Any]] | None:
    """The matrix's combinations in GitHub's order, or None when they cannot be known from the file."""
    if not isinstance(matrix, dict):
        return None
    axes: dict[str, list[Any]] = {}
    for key, values in matrix.items():
        if key in ("include", "exclude"):
            continue
        if not isinstance(values, list) or not all(isinstance(v, SCALAR) for v in values):
            return None
        axes[str(key)] = values
    if any(not isinstance(matrix.get(k, []), list) for k in ("include", "exclude")):
        return None
    includes = matrix.get("include", []) or []
    excludes = matrix.get("exclude", []) or []
    if not all(isinstance(e, dict) and all(isinstance(v, SCALAR) for v in e.values()) for e in includes + excludes):
        return None
    size = 1
    for values in axes.values():
        size *= len(values)
    if size > MAX_MATRIX:
        return None
    combos: list[dict[str, Any]] = []
    if axes and all(axes.values()):
        combos = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    combos = [c for c in combos
              if not any(all(c.get(str(k)) == v for k, v in e.items()) for e in excludes)]
    originals = [dict(c) for c in combos]  # only these can be extended; added combinations cannot
    for include in includes:
        entry = {str(k): v for k, v in include.items()}
        extended = False
        for original, combo in zip(originals, combos):
            # An include extends every combination whose original values it does not overwrite.
            if all(original.get(k, v) == v for k, v in entry.items() if k in axes):
                combo.update({k: v for k, v in entry.items() if k not in original})
                extended = True
        if not extended:
            combos.append(entry)
    return combos if len(combos) <= MAX_MATRIX else None


SYSTEM = System(name="github-actions", dirs=(".github/workflows",), read=read)
