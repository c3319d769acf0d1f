"""Which status checks a repository's own CI reports, read from its configuration files.

A required status check must name a context exactly as the CI system reports
it, or every pull request waits forever. This module reads the CI files that
`gitread.ci_files` hands it (path -> bytes, from one commit) and derives those
contexts where the file says them: GitHub Actions jobs (with static matrices
expanded), CircleCI workflow jobs, Jenkins, Travis CI and Drone's fixed names.
Where a name cannot be known from the file (a dynamic matrix, a pipeline named
on the server) it says so in `notes` instead of guessing.

Only checks that report on *every* update of a pull request into the trunk are
listed; the rest are left out with a note:

- GitHub Actions: a workflow counts through its `pull_request` /
  `pull_request_target` triggers when their `types` include both `opened` and
  `synchronize` (the default types do), their `branches` / `branches-ignore`
  (which filter the pull request's *base* branch) let the trunk through, and
  they have no `paths` filters. A workflow that names no pull request trigger
  counts when it runs on pushes to every branch. A job whose `if:` cannot be
  true on those events (`github.event_name == 'push'`, a tag or branch ref, ...)
  or that needs such a job is skipped: left out. A job that may be skipped is
  kept (a skipped job reports success), except a matrix job or a reusable
  workflow's jobs: skipped, those report one check under another name.
  Expressions are evaluated with unknowns; whatever is not certain to be false
  counts as possible.
- CircleCI: jobs of workflows that run on pushes (no schedule `triggers`, no
  `when` that is false), whose `filters.branches` let an arbitrary branch
  through (`only` matching every branch, `ignore` not), that are not approval
  jobs and require only such jobs.

Every provider found contributes its checks. `CiChecks.provider` names all of
them, comma-separated, in `PROVIDERS` order (e.g. "github-actions, circleci").

It also lists, per file, which of the given branch names the file's triggers
mention, so a team retiring `develop` knows which triggers to move.

Pure: bytes in, a `CiChecks` out, in time linear in the input. Files that do
not parse are skipped (and noted), never raised.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from advisor.protection import CiChecks

# Exact repository-relative paths of CI configuration files.
CI_PATHS: tuple[str, ...] = (
    ".gitlab-ci.yml",
    "Jenkinsfile",
    ".circleci/config.yml",
    ".travis.yml",
    "azure-pipelines.yml",
    ".azure-pipelines.yml",
    ".buildkite/pipeline.yml",
    ".buildkite/pipeline.yaml",
    ".drone.yml",
)
# Folders whose *.yml / *.yaml files (directly inside, not below) are CI configuration.
CI_DIRS: tuple[str, ...] = (".github/workflows",)
CI_SUFFIXES: tuple[str, ...] = (".yml", ".yaml")

# `CiChecks.provider` names every system configured, comma-separated, in this order.
PROVIDERS: tuple[str, ...] = ("github-actions", "gitlab-ci", "circleci", "travis", "jenkins",
                              "azure-pipelines", "buildkite", "drone")

JENKINS_CONTEXT = "continuous-integration/jenkins/pr-merge"  # GitHub Branch Source plugin, PR merged with its target
TRAVIS_CONTEXT = "Travis CI - Pull Request"  # the Travis CI GitHub App's check run for pull requests
DRONE_CONTEXT = "continuous-integration/drone/pr"
MAX_MATRIX = 256  # combinations beyond this are not listed one by one
_PR_EVENTS = ("pull_request", "pull_request_target")
_SCALAR = (str, int, float, bool)
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_MATRIX_REF = re.compile(r"^matrix\.([A-Za-z_][A-Za-z0-9_-]*)$")


def is_ci_path(path: str) -> bool:
    """Whether `path` (repository-relative, `/`-separated) is a CI file this module reads."""
    if path in CI_PATHS:
        return True
    folder, _, name = path.rpartition("/")
    return folder in CI_DIRS and name.endswith(CI_SUFFIXES) and not name.startswith(".")


def provider_of(path: str) -> str | None:
    if not is_ci_path(path):
        return None
    if path.startswith(".github/"):
        return "github-actions"
    return {
        ".gitlab-ci.yml": "gitlab-ci", "Jenkinsfile": "jenkins", ".circleci/config.yml": "circleci",
        ".travis.yml": "travis", "azure-pipelines.yml": "azure-pipelines", ".azure-pipelines.yml": "azure-pipelines",
        ".buildkite/pipeline.yml": "buildkite", ".buildkite/pipeline.yaml": "buildkite", ".drone.yml": "drone",
    }[path]


class _Found:
    """What reading the files turns up, collected as it goes."""

    def __init__(self) -> None:
        self.checks: set[str] = set()
        self.notes: list[str] = []
        self.providers: set[str] = set()
        self.files: list[str] = []
        self.triggers: dict[str, tuple[str, ...]] = {}


def find_checks(files: Mapping[str, bytes], branches: Iterable[str], trunk: str | None = None) -> CiChecks:
    """The status checks the CI files report on every pull request update and, per file, the given
    branches its triggers name.

    `trunk` is the branch pull requests go into: branch filters on pull request triggers are checked
    against it. Without it, those filters are taken to let the trunk through.
    """
    names = tuple(dict.fromkeys(b for b in branches if b))
    trunk = trunk or None
    found = _Found()
    for path in sorted(files):
        provider = provider_of(path)
        if provider is None:
            continue
        try:
            text = files[path].decode("utf-8")
        except UnicodeDecodeError:
            found.notes.append(f"{path} is not UTF-8 text and was skipped.")
            continue
        if provider == "jenkins":
            found.providers.add(provider)
            found.files.append(path)
            found.checks.add(JENKINS_CONTEXT)
            _record(found, path, _textual(text, names))
            continue
        document = _load_yaml(text)
        if document is None:
            found.notes.append(f"{path} is not valid YAML and was skipped.")
            continue
        found.providers.add(provider)
        found.files.append(path)
        if provider == "github-actions":
            _github_actions(found, path, document, files, names, trunk)
        elif provider == "gitlab-ci":
            _gitlab(found, path, document, names)
        elif provider == "circleci":
            _circleci(found, path, document, names)
        elif provider == "travis":
            found.checks.add(TRAVIS_CONTEXT)
            _record(found, path, _filter_mentions(_travis_filters(document), names))
        elif provider == "drone":
            found.checks.add(DRONE_CONTEXT)
            _record(found, path, _textual(text, names))
        else:  # azure-pipelines, buildkite: the check is named on the server, not in the file
            found.notes.append(f"{path}: {provider} reports its checks under the pipeline's name on the server; "
                               f"add that name by hand.")
            _record(found, path, _textual(text, names))
    provider = ", ".join(p for p in PROVIDERS if p in found.providers) or None
    return CiChecks(provider=provider, files=tuple(found.files), checks=tuple(sorted(found.checks)),
                    triggers=dict(sorted(found.triggers.items())), notes=tuple(found.notes))


def _record(found: _Found, path: str, mentioned: Iterable[str]) -> None:
    names = tuple(sorted(set(mentioned)))
    if names:
        found.triggers[path] = names


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with two changes.

    An anchor may be defined again, an alias naming the latest definition: YAML 1.2 allows it and
    CircleCI accepts it (large configurations do it), where PyYAML refuses the whole file. And
    `<<` merges have a budget: merges of merges of the same mapping could otherwise make work (and,
    in some PyYAML versions, lists) that grow exponentially with the number of lines.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.budget = 20 * len(text) + 10_000  # mapping entries the merges may handle in all

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if not self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor  # type: ignore[no-untyped-call]
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        super().flatten_mapping(node)
        seen: set[tuple[str, Any]] = set()
        kept: list[tuple[yaml.Node, yaml.Node]] = []
        for key, value in reversed(node.value):  # the last of equal keys is the one that counts
            if isinstance(key, yaml.ScalarNode):
                if (key.tag, key.value) in seen:
                    continue
                seen.add((key.tag, key.value))
            kept.append((key, value))
        kept.reverse()
        node.value = kept
        self.budget -= len(kept)
        if self.budget < 0:
            raise yaml.YAMLError("too much merging")


def _load_yaml(text: str) -> Any:
    """The document, or None when it is not YAML (or is YAML of nothing useful)."""
    try:
        loader = _Loader(text)
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _textual(text: str, names: Iterable[str]) -> list[str]:
    """Branch names the text mentions as a whole word (a fallback for files not parsed)."""
    return [name for name in names
            if re.search(r"(?<![\w./-])" + re.escape(name) + r"(?![\w./-])", text)]


def _strings(value: Any) -> Iterator[str]:
    """Every string in a YAML value, each shared node once (YAML aliases can make a list of lists
    of the same list: walked as a tree, a few lines would take forever)."""
    seen: set[int] = set()
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, (list, dict)) and id(item) not in seen:
            seen.add(id(item))
            todo.extend(reversed(list(item.values() if isinstance(item, dict) else item)))


# -- branch filters -----------------------------------------------------------

_ANY, _SEGMENT = object(), object()


def _glob_match(pattern: str, name: str) -> bool:
    """Whether a branch filter glob matches `name`: `**` any text, `*` any text but `/`, the rest literal.

    Matched by walking the pattern's states (linear in both lengths), not by a regex: the patterns
    come from the scanned repository, and a regex of many stars can backtrack for ages.
    """
    tokens: list[object] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            tokens.append(_ANY)
            i += 2
        else:
            tokens.append(_SEGMENT if pattern[i] == "*" else pattern[i])
            i += 1

    def closure(states: set[int]) -> set[int]:
        todo, seen = list(states), set(states)
        while todo:
            state = todo.pop()
            if state < len(tokens) and tokens[state] in (_ANY, _SEGMENT) and state + 1 not in seen:
                seen.add(state + 1)
                todo.append(state + 1)
        return seen

    states = closure({0})
    for char in name:
        following = set()
        for state in states:
            if state == len(tokens):
                continue
            token = tokens[state]
            if token is _ANY or (token is _SEGMENT and char != "/"):
                following.add(state)
            elif token == char:
                following.add(state + 1)
        states = closure(following)
        if not states:
            return False
    return len(tokens) in states


def _filter_mentions(patterns: Iterable[str], names: Iterable[str]) -> list[str]:
    """The branch names that a list of branch filter patterns names (equal, or matched by a narrow glob)."""
    result = []
    patterns = [p.removeprefix("!").removeprefix("refs/heads/") for p in patterns]
    for name in names:
        for pattern in patterns:
            if pattern == name:
                result.append(name)
                break
            if "*" in pattern and pattern.strip("*/") != "" and _glob_match(pattern, name):
                result.append(name)
                break
    return result


# -- GitHub Actions -------------------------------------------------------------

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

Tri = bool | None  # True, False, or not known from the file


@dataclass(frozen=True, slots=True)
class _Event:
    """One way a workflow runs when a pull request's head changes."""

    name: str  # "pull_request", "pull_request_target" or "push"
    action: str | None  # github.event.action ("opened", "synchronize"); None for a push
    trunk: str | None  # the pull request's base branch, when known
    ready_rerun: bool  # the workflow runs again when a draft is marked ready (types include ready_for_review)


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


def _branch_match(pattern: str, name: str) -> Tri:
    """Whether a GitHub branch filter pattern matches `name`; None for syntax not matched here (`?`, `+`, `[]`)."""
    pattern = pattern.removeprefix("refs/heads/")
    if any(char in pattern for char in "?+[]\\"):
        return None
    return _glob_match(pattern, name)


def _base_allowed(config: dict[Any, Any], trunk: str) -> bool:
    """Whether a pull request trigger's `branches` / `branches-ignore` (base branch filters) let the trunk through.

    `branches` patterns are read in order, the last that matches deciding (`!` excludes). Patterns not
    understood count in the trunk's favour.
    """
    if config.get("branches") is not None:
        allowed, any_pattern = False, False
        for pattern in _strings(config.get("branches")):
            any_pattern = True
            negated = pattern.startswith("!")
            matched = _branch_match(pattern[1:] if negated else pattern, trunk)
            if matched is None:
                matched = not negated
            if matched:
                allowed = not negated
        return allowed or not any_pattern
    return not any(_branch_match(p, trunk) is True for p in _strings(config.get("branches-ignore")))


def _update_events(found: _Found, path: str, events: dict[str, Any], trunk: str | None) -> tuple[_Event, ...]:
    """The events on which the workflow runs for every new head of a pull request into the trunk (none: it does not).

    When the workflow names pull request triggers, they decide; otherwise pushes to every branch count.
    """
    named = [event for event in _PR_EVENTS if event in events]
    if not named:
        if _pushes_everywhere(events):
            return (_Event("push", None, trunk, False),)
        if "push" in events and isinstance(events["push"], dict) and (
                "paths" in events["push"] or "paths-ignore" in events["push"]):
            found.notes.append(f"{path} runs only when certain paths change: its checks are not required, because "
                               f"a pull request that skips them would wait forever.")
        return ()
    result: list[_Event] = []
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
        result.extend(_Event(event, action, trunk, "ready_for_review" in types) for action in _UPDATE_ACTIONS)
    return tuple(result)


def _github_actions(found: _Found, path: str, document: dict[Any, Any], files: Mapping[str, bytes],
                    names: tuple[str, ...], trunk: str | None) -> None:
    events = _events(document)
    filters = [p for event in ("push", *_PR_EVENTS) if isinstance(events.get(event), dict)
               for key in ("branches", "branches-ignore") for p in _strings(events[event].get(key))]
    _record(found, path, _filter_mentions(filters, names))
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


def _note_skipped(found: _Found, path: str, name: str) -> None:
    found.notes.append(f"{path}: job {name} is skipped on pull requests (by its `if:` or the jobs it needs): "
                       f"it is not required.")


def _reported_names(found: _Found, path: str, job_id: str, job: dict[Any, Any], state: str) -> list[str]:
    """The checks a job that runs on pull requests reports every time (a skipped matrix job reports
    one check under its unexpanded name instead of one per combination)."""
    strategy = job.get("strategy")
    if state == "maybe" and isinstance(strategy, dict) and strategy.get("matrix") is not None:
        found.notes.append(f"{path}: job {_job_display_name(job_id, job)} may be skipped on a pull request, and a "
                           f"skipped matrix job reports one check under its unexpanded name: its checks are not "
                           f"required.")
        return []
    return _job_contexts(found, path, job_id, job)


def _job_states(jobs: dict[Any, Any], contexts: tuple[_Event, ...],
                base: dict[_Event, Tri] | None = None) -> dict[str, dict[_Event, Tri]]:
    """Per job id, per event: whether the job runs (its `if:`, with `success()` meaning the jobs it
    needs all ran). `base` says whether the calling job ran, for a reusable workflow's jobs."""
    ids = [str(job_id) for job_id, job in jobs.items() if isinstance(job, dict)]
    bodies = [job for job in jobs.values() if isinstance(job, dict)]
    index = {job_id: i for i, job_id in enumerate(ids)}
    needs = [_needs(body) for body in bodies]
    order, stuck = _topological(len(ids), [[index[n] for n in ns if n in index] for ns in needs])
    runs: list[dict[_Event, Tri]] = [{} for _ in ids]
    for i in order:
        condition = _parse_condition(bodies[i].get("if")) if "if" in bodies[i] else None
        for context in contexts:
            success = _all3(runs[index[n]].get(context) if n in index else None for n in needs[i])
            value = _condition_value(condition, context, success)
            runs[i][context] = value if base is None else _and3(base.get(context), value)
    for i in stuck:
        runs[i] = {context: None for context in contexts}
    return dict(zip(ids, runs))


def _needs(job: dict[Any, Any]) -> list[str]:
    needs = job.get("needs")
    if isinstance(needs, str):
        return [needs]
    return [str(n) for n in needs if isinstance(n, _SCALAR)] if isinstance(needs, list) else []


def _topological(count: int, deps: list[list[int]]) -> tuple[list[int], list[int]]:
    """Nodes 0..count-1 in an order where each follows what it depends on; and those caught in cycles."""
    waiting = [len(set(d)) for d in deps]
    dependents: list[list[int]] = [[] for _ in range(count)]
    for node, ds in enumerate(deps):
        for dep in set(ds):
            dependents[dep].append(node)
    ready = [node for node in range(count) if waiting[node] == 0]
    order: list[int] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for dependent in dependents[node]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
    done = set(order)
    return order, [node for node in range(count) if node not in done]


def _all3(values: Iterable[Tri]) -> Tri:
    result: Tri = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def _and3(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    return True if a is True and b is True else None


def _overall(runs: dict[_Event, Tri]) -> str:
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
    return str(name) if isinstance(name, _SCALAR) and str(name).strip() else job_id


def _local_workflow(uses: str, files: Mapping[str, bytes]) -> dict[Any, Any] | None:
    if not uses.startswith("./"):
        return None
    raw = files.get(uses.removeprefix("./"))
    if raw is None:
        return None
    try:
        document = _load_yaml(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return document if isinstance(document, dict) else None


def _workflow_job_names(found: _Found, path: str, document: dict[Any, Any], contexts: tuple[_Event, ...],
                        base: dict[_Event, Tri]) -> list[str]:
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


def _job_contexts(found: _Found, path: str, job_id: str, job: dict[Any, Any]) -> list[str]:
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
        if not isinstance(values, list) or not all(isinstance(v, _SCALAR) for v in values):
            return None
        axes[str(key)] = values
    if any(not isinstance(matrix.get(k, []), list) for k in ("include", "exclude")):
        return None
    includes = matrix.get("include", []) or []
    excludes = matrix.get("exclude", []) or []
    if not all(isinstance(e, dict) and all(isinstance(v, _SCALAR) for v in e.values()) for e in includes + excludes):
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


# -- GitHub Actions expressions (job `if:`) -------------------------------------------
#
# A job's `if:` is evaluated for each event of `_update_events` with what is known of a pull request
# event: the event's name and action, `github.ref` (refs/pull/N/merge, or the base branch for
# pull_request_target), the base branch, and that the pull request is open and not merged. Everything
# else (needs.*.outputs, inputs, vars, labels, ...) is unknown, and an expression that depends on an
# unknown is taken to be possibly true. Anything not parsed is unknown too.

MAX_EXPRESSION_TOKENS = 400
MAX_EXPRESSION_LENGTH = 4000


class _Unknown:
    """A value the file does not tell."""


class _Object:
    """An object (not null) whose properties are not known."""


@dataclass(frozen=True, slots=True)
class _Prefix:
    """A string known only to start with `text` (lower case)."""

    text: str


_UNKNOWN, _OBJECT = _Unknown(), _Object()
_STATUS_FUNCTIONS = ("success", "always", "failure", "cancelled")
_SPACE = re.compile(r"\s*")
_TOKEN = re.compile(r"""\s*(?:
    (?P<number>0x[0-9a-fA-F]+|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<operator>&&|\|\||==|!=|<=|>=|[<>!()\[\].,*])
)""", re.VERBOSE)


class _BadExpression(Exception):
    pass


class _Parser:
    """Recursive descent over GitHub's expression grammar, into tuples:
    ("literal", v), ("path", names), ("unknown",), ("not", x), ("and"/"or", a, b), ("compare", op, a, b),
    ("call", name, args)."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, Any]] = []
        position = 0
        while _SPACE.match(text, position).end() < len(text):  # type: ignore[union-attr]
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise _BadExpression(text)
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
            if len(self.tokens) > MAX_EXPRESSION_TOKENS:
                raise _BadExpression(text)
        self.at = 0
        self.depth = 0
        self.status = False  # whether a status function (success(), always(), ...) is called

    def parse(self) -> Any:
        node = self.or_()
        if self.at != len(self.tokens):
            raise _BadExpression("trailing tokens")
        return node

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, operator: str) -> bool:
        if self.peek() == ("operator", operator):
            self.at += 1
            return True
        return False

    def expect(self, operator: str) -> None:
        if not self.take(operator):
            raise _BadExpression(f"expected {operator}")

    def descend(self) -> None:
        self.depth += 1
        if self.depth > 64:
            raise _BadExpression("too deep")

    def or_(self) -> Any:
        node = self.and_()
        while self.take("||"):
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Any:
        node = self.equality()
        while self.take("&&"):
            node = ("and", node, self.equality())
        return node

    def equality(self) -> Any:
        node = self.relation()
        while self.peek()[0] == "operator" and self.peek()[1] in ("==", "!="):
            operator = self.tokens[self.at][1]
            self.at += 1
            node = ("compare", operator, node, self.relation())
        return node

    def relation(self) -> Any:
        node = self.unary()
        while self.peek()[0] == "operator" and self.peek()[1] in ("<", "<=", ">", ">="):
            operator = self.tokens[self.at][1]
            self.at += 1
            node = ("compare", operator, node, self.unary())
        return node

    def unary(self) -> Any:
        if self.take("!"):
            self.descend()
            node = ("not", self.unary())
            self.depth -= 1
            return node
        return self.postfix()

    def postfix(self) -> Any:
        node = self.primary()
        while True:
            if self.take("."):
                kind, value = self.peek()
                self.at += 1
                if kind == "name" and node[0] == "path":
                    node = ("path", (*node[1], value.lower()))
                elif kind == "name" or (kind, value) == ("operator", "*"):
                    node = ("unknown",)
                else:
                    raise _BadExpression("expected a property")
            elif self.take("["):
                self.descend()
                index: Any = ("unknown",) if self.take("*") else self.or_()
                self.depth -= 1
                self.expect("]")
                if node[0] == "path" and index[0] == "literal" and isinstance(index[1], str):
                    node = ("path", (*node[1], index[1].lower()))
                else:
                    node = ("unknown",)
            else:
                return node

    def primary(self) -> Any:
        kind, value = self.peek()
        self.at += 1
        if kind == "number":
            try:
                return ("literal", float(int(value, 16)) if value.lower().startswith("0x") else float(value))
            except ValueError:
                raise _BadExpression(value) from None
        if kind == "string":
            return ("literal", value[1:-1].replace("''", "'"))
        if kind == "name":
            literals = {"true": True, "false": False, "null": None, "nan": math.nan, "infinity": math.inf}
            if value.lower() in literals and self.peek() != ("operator", "("):
                return ("literal", literals[value.lower()])
            if self.take("("):
                self.descend()
                args = []
                if not self.take(")"):
                    args.append(self.or_())
                    while self.take(","):
                        args.append(self.or_())
                    self.expect(")")
                self.depth -= 1
                name = value.lower()
                self.status = self.status or name in _STATUS_FUNCTIONS
                return ("call", name, tuple(args))
            return ("path", (value.lower(),))
        if (kind, value) == ("operator", "("):
            self.descend()
            node = self.or_()
            self.depth -= 1
            self.expect(")")
            return node
        raise _BadExpression(f"unexpected {value!r}")


def _parse_condition(value: Any) -> tuple[Any, bool]:
    """A job's `if:` as (expression tree, whether it calls a status function)."""
    if value is None or isinstance(value, (bool, int, float)):
        return ("literal", value if value is not None else True), False
    if not isinstance(value, str):
        return ("unknown",), False
    text = value.strip()
    if text.startswith("${{") and text.endswith("}}") and text.count("${{") == 1 and text.count("}}") == 1:
        text = text[3:-2]
    elif "${{" in text:
        return ("unknown",), False  # text around an expression: a string, not a condition
    if not text.strip():
        return ("literal", True), False
    if len(text) > MAX_EXPRESSION_LENGTH:
        return ("unknown",), False
    try:
        parser = _Parser(text)
        return parser.parse(), parser.status
    except (_BadExpression, RecursionError):
        return ("unknown",), False


def _condition_value(condition: tuple[Any, bool] | None, context: _Event, success: Tri) -> Tri:
    """Whether a job with this `if:` runs: without a status function, only when the jobs it needs succeeded."""
    if condition is None:
        return success
    node, status = condition
    try:
        value = _truthy(_evaluate(node, context, success))
    except RecursionError:
        value = None
    return value if status else _and3(success, value)


def _truthy(value: Any) -> Tri:
    if isinstance(value, _Unknown):
        return None
    if isinstance(value, _Object):
        return True
    if isinstance(value, _Prefix):
        return True if value.text else None
    if value is None:
        return False
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return bool(value)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _equal(a: Any, b: Any) -> Tri:
    if isinstance(a, (_Unknown, _Object)) or isinstance(b, (_Unknown, _Object)):
        return None
    if isinstance(a, _Prefix) or isinstance(b, _Prefix):
        prefix, other = (a, b) if isinstance(a, _Prefix) else (b, a)
        if isinstance(other, str):
            return None if other.lower().startswith(prefix.text) else False
        return None if isinstance(other, _Prefix) else False
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if a is None and b is None:
        return True
    return _number(a) == _number(b)


def _order(operator: str, a: Any, b: Any) -> Tri:
    if any(isinstance(v, (_Unknown, _Object, _Prefix)) for v in (a, b)):
        return None
    if isinstance(a, str) and isinstance(b, str):
        x: Any = a.lower()
        y: Any = b.lower()
    else:
        x, y = _number(a), _number(b)
        if math.isnan(x) or math.isnan(y):
            return False
    return bool({"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[operator])


def _known(value: Tri) -> Any:
    return _UNKNOWN if value is None else value


def _evaluate(node: Any, context: _Event, success: Tri) -> Any:
    kind = node[0]
    if kind == "literal":
        return node[1]
    if kind == "path":
        return _lookup(node[1], context)
    if kind == "not":
        value = _truthy(_evaluate(node[1], context, success))
        return _known(None if value is None else not value)
    if kind in ("and", "or"):
        left = _evaluate(node[1], context, success)
        decided = _truthy(left)
        if decided is (kind == "or"):  # true || x, false && x: the left value
            return left
        right = _evaluate(node[2], context, success)
        if decided is not None:
            return right
        right_truth = _truthy(right)  # unknown left: the result is known only when both sides agree
        if kind == "and":
            return False if right_truth is False else _UNKNOWN
        return _OBJECT if right_truth is True else _UNKNOWN
    if kind == "compare":
        a, b = _evaluate(node[2], context, success), _evaluate(node[3], context, success)
        if node[1] in ("==", "!="):
            equal = _equal(a, b)
            return _known(equal if node[1] == "==" or equal is None else not equal)
        return _known(_order(node[1], a, b))
    if kind == "call":
        args = [_evaluate(arg, context, success) for arg in node[2]]
        return _call(node[1], args, success)
    return _UNKNOWN


def _call(name: str, args: list[Any], success: Tri) -> Any:
    if name in ("success", "always", "failure", "cancelled") and not args:
        # On a pull request whose jobs pass: failure() and cancelled() are false.
        return {"success": _known(success), "always": True}.get(name, False)
    if name in ("contains", "startswith", "endswith") and len(args) == 2:
        haystack, needle = args
        if not isinstance(needle, str):
            return _UNKNOWN
        needle = needle.lower()
        if isinstance(haystack, str):
            text = haystack.lower()
            return (needle in text if name == "contains" else
                    text.startswith(needle) if name == "startswith" else text.endswith(needle))
        if isinstance(haystack, _Prefix):
            if name == "contains":
                return True if needle in haystack.text else _UNKNOWN
            if name == "startswith":
                if haystack.text.startswith(needle):
                    return True
                return _UNKNOWN if needle.startswith(haystack.text) else False
    return _UNKNOWN


def _lookup(names: tuple[str, ...], context: _Event) -> Any:
    """What a context property is on `context`'s event, as far as a pull request event tells."""
    if not names or names[0] != "github":
        return _UNKNOWN
    rest = names[1:]
    pull_request = context.name in _PR_EVENTS
    trunk: Any = context.trunk if context.trunk is not None else _UNKNOWN
    if rest == ("event_name",):
        return context.name
    if rest == ("ref",):
        if context.name == "pull_request":
            return _Prefix("refs/pull/")
        if context.name == "pull_request_target" and context.trunk is not None:
            return f"refs/heads/{context.trunk}"
        return _Prefix("refs/heads/")
    if rest == ("ref_type",):
        return "branch" if context.name != "pull_request" else _UNKNOWN
    if rest == ("base_ref",):
        return trunk if pull_request else ""
    if rest == ("head_ref",):
        return _UNKNOWN if pull_request else ""
    if rest == ("event", "action"):
        return context.action
    if rest[:2] == ("event", "pull_request"):
        if not pull_request:
            return None
        field = rest[2:]
        if not field:
            return _OBJECT
        if field == ("draft",):
            return False if context.ready_rerun else _UNKNOWN
        return {("merged",): False, ("state",): "open", ("base", "ref"): trunk}.get(field, _UNKNOWN)
    return _UNKNOWN


# -- GitLab CI ------------------------------------------------------------------

_GITLAB_KEYWORDS = {"stages", "variables", "default", "include", "workflow", "image", "services", "cache",
                    "before_script", "after_script", "types"}


def _gitlab(found: _Found, path: str, document: dict[Any, Any], names: tuple[str, ...]) -> None:
    """GitLab reports a pipeline, not per-job checks: the project setting makes it required."""
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
    mentioned = [name for name in names if any(_textual(text, (name,)) for text in texts)]
    _record(found, path, mentioned)
    found.notes.append(f"{path}: GitLab CI reports the pipeline as a whole; require it with "
                       f"\"Pipelines must succeed\" rather than named checks.")


def _gitlab_refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("refs")
    return list(_strings(value))


def _rule_conditions(rules: Any) -> list[str]:
    if not isinstance(rules, list):
        return []
    return [rule["if"] for rule in rules if isinstance(rule, dict) and isinstance(rule.get("if"), str)]


# -- CircleCI ---------------------------------------------------------------------

CIRCLECI_FORKS_NOTE = ("CircleCI reports on pull requests from forks only when the project's \"Build forked "
                       "pull requests\" setting is on; otherwise these checks never arrive on them.")
_UNIVERSAL_REGEX = re.compile(r"/\^?\.[*+]\$?/")
_PIPELINE_VALUE = re.compile(r"<<\s*pipeline\.([A-Za-z0-9_.-]+)\s*>>")


def _circleci(found: _Found, path: str, document: dict[Any, Any], names: tuple[str, ...]) -> None:
    """Jobs of the workflows that run on every push, named as CircleCI's GitHub status checks.

    A job counts when its `filters.branches` let any branch through (`only` a pattern matching every
    branch, `ignore` not), it is not an approval, and every job it `requires` counts too.
    """
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
            filters.extend(_circleci_branch_filters(schedule))
        jobs = workflow.get("jobs")
        entries = _circleci_entries(jobs) if isinstance(jobs, list) else []
        for _, _, config in entries:
            filters.extend(_circleci_branch_filters(config))
        skipped = _circleci_workflow_skipped(workflow, parameters)
        if skipped:
            found.notes.append(f"{path}: workflow {workflow_name} {skipped}: its jobs are not required.")
            continue
        for name, config, runs in _circleci_runs(found, path, entries):
            if not runs:
                continue
            if "matrix" in config:
                found.notes.append(f"{path}: job {name} uses a matrix; CircleCI names each run "
                                   f"\"ci/circleci: {name}-<parameters>\": add them by name.")
            elif "<<" in name:
                found.notes.append(f"{path}: job {name} is named by a parameter: add its check by name.")
            else:
                found.checks.add(f"ci/circleci: {name}")
    _record(found, path, _filter_mentions(filters, names))
    if len(found.checks) > before:
        found.notes.append(f"{path}: {CIRCLECI_FORKS_NOTE}")


def _circleci_entries(jobs: list[Any]) -> list[tuple[str, str, dict[Any, Any]]]:
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


def _circleci_branch_filters(config: Any) -> list[str]:
    filters = config.get("filters") if isinstance(config, dict) else None
    branches = filters.get("branches") if isinstance(filters, dict) else None
    if not isinstance(branches, dict):
        return []
    return [*_strings(branches.get("only")), *_strings(branches.get("ignore"))]


def _circleci_any_branch(config: dict[Any, Any]) -> bool:
    """Whether a job's filters let it run on a branch of any name (tag filters do not stop branches)."""
    filters = config.get("filters")
    branches = filters.get("branches") if isinstance(filters, dict) else None
    if not isinstance(branches, dict):
        return True
    only = list(_strings(branches.get("only")))
    if only and not any(_UNIVERSAL_REGEX.fullmatch(p.strip()) for p in only):
        return False
    return not any(_UNIVERSAL_REGEX.fullmatch(p.strip()) for p in _strings(branches.get("ignore")))


def _circleci_runs(found: _Found, path: str,
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
    order, stuck = _topological(len(entries), deps)
    runs = [False] * len(entries)
    for i in order:
        job, name, config = entries[i]
        if config.get("type") == "approval":
            found.notes.append(f"{path}: job {name} waits for a manual approval; it and the jobs that require it "
                               f"are not required.")
        elif not _circleci_any_branch(config):
            found.notes.append(f"{path}: job {name} runs only on some branches or tags: it is not required.")
        else:
            runs[i] = all(runs[j] for j in deps[i])
    for i in stuck:
        runs[i] = False
    return [(name, config, runs[i]) for i, (_, name, config) in enumerate(entries)]


def _circleci_workflow_skipped(workflow: dict[Any, Any], parameters: dict[Any, Any]) -> str | None:
    """Why a workflow does not run on every pushed branch, or None."""
    triggers = workflow.get("triggers")
    if isinstance(triggers, list) and triggers and all(isinstance(t, dict) and "schedule" in t for t in triggers):
        return "runs only on a schedule"
    if "when" in workflow and _circleci_logic(workflow["when"], parameters, 0) is False:
        return "runs only when its `when:` condition holds, which it does not on every branch"
    if "unless" in workflow and _circleci_logic(workflow["unless"], parameters, 0) is True:
        return "is turned off by its `unless:` condition on every branch"
    return None


def _circleci_logic(value: Any, parameters: dict[Any, Any], depth: int) -> Tri:
    """A CircleCI logic statement's value on a push to an arbitrary branch with the parameters' defaults."""
    if depth > 32:
        return None
    value = _circleci_value(value, parameters)
    if isinstance(value, _Unknown):
        return None
    if isinstance(value, dict) and len(value) == 1:
        operator, operand = next(iter(value.items()))
        if operator in ("and", "or") and isinstance(operand, list):
            values = [_circleci_logic(v, parameters, depth + 1) for v in operand]
            if operator == "and":
                return _all3(values)
            return True if True in values else False if all(v is False for v in values) else None
        if operator == "not":
            result = _circleci_logic(operand, parameters, depth + 1)
            return None if result is None else not result
        if operator == "equal" and isinstance(operand, list):
            items = [_circleci_value(v, parameters) for v in operand]
            if any(isinstance(v, _Branch) for v in items):
                literal = [v for v in items if not isinstance(v, _Branch)]
                # an arbitrary branch is not a named one
                return None if any(isinstance(v, _Unknown) for v in literal) or not literal else False
            if any(isinstance(v, (_Unknown, dict, list)) for v in items):
                return None
            return all(v == items[0] for v in items)
        if operator == "matches" and isinstance(operand, dict):
            pattern, subject = operand.get("pattern"), _circleci_value(operand.get("value"), parameters)
            if isinstance(subject, _Branch) and isinstance(pattern, str):
                return pattern.strip() in (".*", "^.*$", ".+", "^.+$", "^.*", ".*$")
            return None
        return None
    if isinstance(value, (dict, list)):
        return None
    return bool(value) and value != "false"


class _Branch:
    """The pushed branch's name, which may be anything."""


def _circleci_value(value: Any, parameters: dict[Any, Any]) -> Any:
    """A value with `<< pipeline.parameters.x >>` (its default) and `<< pipeline.git.* >>` put in."""
    if not isinstance(value, str) or "<<" not in value:
        return value
    match = _PIPELINE_VALUE.fullmatch(value.strip())
    if match is None:
        return _UNKNOWN
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
    return _UNKNOWN


# -- Travis CI --------------------------------------------------------------------

def _travis_filters(document: dict[Any, Any]) -> list[str]:
    branches = document.get("branches")
    if isinstance(branches, dict):
        return [*_strings(branches.get("only")), *_strings(branches.get("except"))]
    return list(_strings(branches))
