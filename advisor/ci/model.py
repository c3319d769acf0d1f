"""The common model of CI and release tooling: what runs on which branch, and what it is called.

Each system or tool has one module in this package with a `SYSTEM` record: the files it reads and
a `read` function that adds what one file says to a `Found`. `find_checks` (the package's entry
point) turns what was found into a `CiChecks`, which the plan reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCALAR = (str, int, float, bool)


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflow:
    """One pipeline definition (a workflow file, a CI configuration): when it runs and what it reports."""

    path: str  # repository-relative file
    system: str  # the SYSTEM name that read it, e.g. "github-actions"
    name: str  # its own name (a workflow's `name:`), else the file
    events: tuple[str, ...]  # what triggers it: "push", "pull_request", "schedule", ... (as the file says)
    branches: tuple[str, ...]  # the scanned long-lived branches its triggers name
    checks: tuple[str, ...]  # the checks it reports on every update of a pull request into the trunk
    left_out: tuple[str, ...] = ()  # why some or all of its checks cannot be required


@dataclass(frozen=True, slots=True, kw_only=True)
class CiChecks:
    """The status checks the repository's own CI configuration reports, when it can be found."""

    provider: str | None  # "github-actions", "gitlab-ci", "jenkins", "circleci", "travis", ... or None
    files: tuple[str, ...]  # the configuration files read, repository-relative
    checks: tuple[str, ...]  # status check contexts, e.g. "test (3.12)" or "ci/circleci: build"
    triggers: dict[str, tuple[str, ...]]  # file -> branch names it names in its triggers (to move when retiring)
    notes: tuple[str, ...] = ()  # what could not be read or named (skipped files, computed matrices, ...)
    workflows: tuple[Workflow, ...] = ()  # per file: when it runs, what it reports, what was left out
    # file -> (branch, line number, the line) for each line naming a branch its triggers or settings name
    mentions: dict[str, tuple[tuple[str, int, str], ...]] = field(default_factory=dict)
    release_tools: tuple[str, ...] = ()  # release tooling configured (gitversion, release-please, ...)


class Found:
    """What reading the files turns up, collected as it goes."""

    def __init__(self) -> None:
        self.checks: set[str] = set()
        self.notes: list[str] = []
        self.providers: set[str] = set()
        self.files: list[str] = []
        self.triggers: dict[str, tuple[str, ...]] = {}
        self.events: dict[str, tuple[str, ...]] = {}  # file -> the events that trigger it
        self.names: dict[str, str] = {}  # file -> its own name, when it has one


def record(found: Found, path: str, mentioned: Iterable[str]) -> None:
    """Note the branch names a file's triggers name."""
    names = tuple(sorted(set(mentioned)))
    if names:
        found.triggers[path] = names


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """One file as a system's `read` sees it."""

    path: str
    text: str
    yaml: Any  # the parsed YAML document (a mapping) for systems whose files are YAML, else None
    files: Mapping[str, bytes]  # every file read (a workflow may call another)
    names: tuple[str, ...]  # branch names whose mentions are recorded
    trunk: str | None  # the branch pull requests go into, when known


@dataclass(frozen=True, slots=True, kw_only=True)
class System:
    """A CI system or release tool: the files it is configured by, and how one is read."""

    name: str
    read: Callable[[Found, Source], None]
    paths: tuple[str, ...] = ()  # exact repository-relative paths
    dirs: tuple[str, ...] = ()  # folders whose *.yml / *.yaml files (directly inside) are its configuration
    yaml: bool = True  # whether its files are YAML (parsed before `read`; a file that is not is skipped)
    kind: str = "ci"  # "ci" (runs checks) or "release" (versioning and release tooling)
    suffixes: tuple[str, ...] = field(default=(".yml", ".yaml"))


# The trigger a merge queue needs in each CI system: GitHub's queue runs the required checks on its own
# merge commit (a `merge_group` event); a GitLab merge train runs merge request pipelines.
QUEUE_EVENTS = {"github-actions": "merge_group", "gitlab-ci": "merge_request_event"}


def queue_triggers(checks: CiChecks, required: Iterable[str]) -> tuple[tuple[Workflow, ...], tuple[Workflow, ...]]:
    """The workflows a merge queue waits for, as (those that already run for it, those that do not):
    GitHub Actions workflows reporting a required check, and GitLab's pipeline."""
    wanted = set(required)
    waited = [w for w in checks.workflows
              if w.system == "gitlab-ci" or (w.system == "github-actions" and wanted & set(w.checks))]
    ready = tuple(w for w in waited if QUEUE_EVENTS[w.system] in w.events)
    return ready, tuple(w for w in waited if w not in ready)
