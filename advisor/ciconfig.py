"""Which status checks a repository's own CI reports, read from its configuration files.

A required status check must name a context exactly as the CI system reports
it, or every pull request waits forever. This module reads the CI files that
`gitread.ci_files` hands it (path -> bytes, from one commit) and derives those
contexts where the file says them: GitHub Actions jobs (with static matrices
expanded), CircleCI workflow jobs, Jenkins, Travis CI and Drone's fixed names.
Where a name cannot be known from the file (a dynamic matrix, a pipeline named
on the server) it says so in `notes` instead of guessing.

It also lists, per file, which of the given branch names the file's triggers
mention, so a team retiring `develop` knows which triggers to move.

Pure: bytes in, a `CiChecks` out. Files that do not parse are skipped (and
noted), never raised.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
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

# When several systems are configured, `CiChecks.provider` names the first of these found.
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


def find_checks(files: Mapping[str, bytes], branches: Iterable[str]) -> CiChecks:
    """The status checks the CI files report and, per file, the given branches its triggers name."""
    names = tuple(dict.fromkeys(b for b in branches if b))
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
            _github_actions(found, path, document, files, names)
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
    provider = next((p for p in PROVIDERS if p in found.providers), None)
    return CiChecks(provider=provider, files=tuple(found.files), checks=tuple(sorted(found.checks)),
                    triggers=dict(sorted(found.triggers.items())), notes=tuple(found.notes))


def _record(found: _Found, path: str, mentioned: Iterable[str]) -> None:
    names = tuple(sorted(set(mentioned)))
    if names:
        found.triggers[path] = names


def _load_yaml(text: str) -> Any:
    """The document, or None when it is not YAML (or is YAML of nothing useful)."""
    try:
        document = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError):
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


def _runs_on_pull_requests(events: dict[str, Any]) -> bool:
    """Whether a workflow reports checks on a pull request's head: PR events, or pushes to any branch."""
    if any(event in events for event in _PR_EVENTS):
        return True
    if "push" not in events:
        return False
    push = events["push"]
    if not isinstance(push, dict):
        return True
    return "branches" not in push and not ("tags" in push and "branches-ignore" not in push)


def _github_actions(found: _Found, path: str, document: dict[Any, Any], files: Mapping[str, bytes],
                    names: tuple[str, ...]) -> None:
    events = _events(document)
    filters = [p for event in ("push", *_PR_EVENTS) if isinstance(events.get(event), dict)
               for key in ("branches", "branches-ignore") for p in _strings(events[event].get(key))]
    _record(found, path, _filter_mentions(filters, names))
    if not _runs_on_pull_requests(events):
        return
    pr_config = [events[e] for e in _PR_EVENTS if isinstance(events.get(e), dict)]
    if any("paths" in c or "paths-ignore" in c for c in pr_config):
        found.notes.append(f"{path} runs only when certain paths change: its checks are not required, because a "
                           f"pull request that skips them would wait forever.")
        return
    jobs = document.get("jobs")
    if not isinstance(jobs, dict):
        return
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        caller = _job_display_name(str(job_id), job)
        uses = job.get("uses")
        if isinstance(uses, str):
            callee = _local_workflow(uses, files)
            if callee is None:
                found.notes.append(f"{path}: job {caller} calls {uses}; its checks report as "
                                   f"\"{caller} / <job>\": add them by name.")
                continue
            for name in _workflow_job_names(found, uses.removeprefix("./"), callee):
                found.checks.add(f"{caller} / {name}")
            continue
        for name in _job_contexts(found, path, str(job_id), job):
            found.checks.add(name)


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


def _workflow_job_names(found: _Found, path: str, document: dict[Any, Any]) -> list[str]:
    jobs = document.get("jobs")
    if not isinstance(jobs, dict):
        return []
    return [name for job_id, job in jobs.items() if isinstance(job, dict)
            for name in _job_contexts(found, path, str(job_id), job)]


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

def _circleci(found: _Found, path: str, document: dict[Any, Any], names: tuple[str, ...]) -> None:
    workflows = document.get("workflows")
    if not isinstance(workflows, dict):
        return
    filters: list[str] = []
    for workflow_name, workflow in workflows.items():
        if workflow_name == "version" or not isinstance(workflow, dict):
            continue
        jobs = workflow.get("jobs")
        if not isinstance(jobs, list):
            continue
        for entry in jobs:
            if isinstance(entry, str):
                found.checks.add(f"ci/circleci: {entry}")
                continue
            if not isinstance(entry, dict) or len(entry) != 1:
                continue
            job, config = next(iter(entry.items()))
            config = config if isinstance(config, dict) else {}
            branches = config.get("filters", {}).get("branches") if isinstance(config.get("filters"), dict) else None
            only = list(_strings(branches.get("only"))) if isinstance(branches, dict) else []
            filters.extend(only)
            filters.extend(_strings(branches.get("ignore")) if isinstance(branches, dict) else [])
            if only:
                continue  # runs on named branches only, never on a pull request's branch
            if "matrix" in config:
                found.notes.append(f"{path}: job {job} uses a matrix; CircleCI names each run "
                                   f"\"ci/circleci: {job}-<parameters>\": add them by name.")
                continue
            name = config.get("name")
            found.checks.add(f"ci/circleci: {name if isinstance(name, str) and name else job}")
    _record(found, path, _filter_mentions(filters, names))


# -- Travis CI --------------------------------------------------------------------

def _travis_filters(document: dict[Any, Any]) -> list[str]:
    branches = document.get("branches")
    if isinstance(branches, dict):
        return [*_strings(branches.get("only")), *_strings(branches.get("except"))]
    return list(_strings(branches))
