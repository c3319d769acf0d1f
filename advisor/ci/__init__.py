"""Which status checks a repository's own CI reports, read from its configuration files.

A required status check must name a context exactly as the CI system reports
it, or every pull request waits forever. This package reads the CI files that
`gitread.ci_files` hands it (path -> bytes, from one commit) and derives those
contexts where the file says them: GitHub Actions jobs (with static matrices
expanded), CircleCI workflow jobs, Jenkins, Travis CI and Drone's fixed names.
Where a name cannot be known from the file (a dynamic matrix, a pipeline named
on the server) it says so in `notes` instead of guessing.

Only checks that report on *every* update of a pull request into the trunk are
listed; the rest are left out with a note (each system's module says how it
decides). Every system found contributes its checks. `CiChecks.provider` names
all of them, comma-separated, in `SYSTEMS` order (e.g. "github-actions, circleci").

It also lists, per file, which of the given branch names the file's triggers
mention, so a team retiring `develop` knows which triggers to move.

One module per system, each with a `SYSTEM` record (`model.System`); adding a
system is adding its module and naming it in `SYSTEMS`.

Pure: bytes in, a `CiChecks` out, in time linear in the input. Files that do
not parse are skipped (and noted), never raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from advisor.ci import (
    appveyor,
    azure_pipelines,
    buildkite,
    changesets,
    circleci,
    drone,
    github_actions,
    gitlab,
    gitreleasemanager,
    gitversion,
    goreleaser,
    jenkins,
    release_please,
    semantic_release,
    teamcity,
    travis,
)
from advisor.ci.branches import mention_lines
from advisor.ci.model import CiChecks, Found, Source, System, Workflow
from advisor.ci.yamlread import load_yaml

SYSTEMS: tuple[System, ...] = (
    github_actions.SYSTEM, gitlab.SYSTEM, circleci.SYSTEM, travis.SYSTEM, jenkins.SYSTEM,
    azure_pipelines.SYSTEM, buildkite.SYSTEM, drone.SYSTEM, appveyor.SYSTEM, teamcity.SYSTEM,
    # Release tooling: read for the branches it names, never for checks.
    gitversion.SYSTEM, gitreleasemanager.SYSTEM, release_please.SYSTEM, semantic_release.SYSTEM,
    goreleaser.SYSTEM, changesets.SYSTEM,
)
# `CiChecks.provider` names every CI system configured, comma-separated, in this order.
PROVIDERS: tuple[str, ...] = tuple(system.name for system in SYSTEMS if system.kind == "ci")
RELEASE_TOOLS: tuple[str, ...] = tuple(system.name for system in SYSTEMS if system.kind == "release")
# Exact repository-relative paths of CI configuration files.
CI_PATHS: tuple[str, ...] = tuple(path for system in SYSTEMS for path in system.paths)
# Folders whose *.yml / *.yaml files (directly inside, not below) are CI configuration.
CI_DIRS: tuple[str, ...] = tuple(folder for system in SYSTEMS for folder in system.dirs)

JENKINS_CONTEXT = jenkins.JENKINS_CONTEXT
TRAVIS_CONTEXT = travis.TRAVIS_CONTEXT
DRONE_CONTEXT = drone.DRONE_CONTEXT

__all__ = ["CI_DIRS", "CI_PATHS", "DRONE_CONTEXT", "JENKINS_CONTEXT", "PROVIDERS", "SYSTEMS", "TRAVIS_CONTEXT",
           "CiChecks", "Workflow", "find_checks", "is_ci_path", "provider_of"]


def system_of(path: str) -> System | None:
    """The system whose configuration `path` (repository-relative, `/`-separated) is, or None."""
    folder, _, name = path.rpartition("/")
    for system in SYSTEMS:
        if path in system.paths:
            return system
        if folder in system.dirs and name.endswith(system.suffixes) and not name.startswith("."):
            return system
    return None


def is_ci_path(path: str) -> bool:
    """Whether `path` (repository-relative, `/`-separated) is a CI file this package reads."""
    return system_of(path) is not None


def provider_of(path: str) -> str | None:
    system = system_of(path)
    return system.name if system else None


def find_checks(files: Mapping[str, bytes], branches: Iterable[str], trunk: str | None = None) -> CiChecks:
    """The status checks the CI files report on every pull request update and, per file, the given
    branches its triggers name.

    `trunk` is the branch pull requests go into: branch filters on pull request triggers are checked
    against it. Without it, those filters are taken to let the trunk through.
    """
    names = tuple(dict.fromkeys(b for b in branches if b))
    found = Found()
    workflows: list[Workflow] = []
    mentions: dict[str, tuple[tuple[str, int, str], ...]] = {}
    for path in sorted(files):
        system = system_of(path)
        if system is None:
            continue
        try:
            text = files[path].decode("utf-8")
        except UnicodeDecodeError:
            found.notes.append(f"{path} is not UTF-8 text and was skipped.")
            continue
        document = load_yaml(text) if system.yaml else None
        if system.yaml and document is None:
            found.notes.append(f"{path} is not valid YAML and was skipped.")
            continue
        found.providers.add(system.name)
        found.files.append(path)
        checks_before, notes_before = set(found.checks), len(found.notes)
        system.read(found, Source(path=path, text=text, yaml=document, files=files, names=names, trunk=trunk or None))
        workflows.append(Workflow(
            path=path, system=system.name, name=found.names.get(path, path), events=found.events.get(path, ()),
            branches=found.triggers.get(path, ()), checks=tuple(sorted(found.checks - checks_before)),
            left_out=tuple(found.notes[notes_before:])))
        lines = mention_lines(text, found.triggers.get(path, ()))
        if lines:
            mentions[path] = tuple(lines)
    provider = ", ".join(p for p in PROVIDERS if p in found.providers) or None
    return CiChecks(provider=provider, files=tuple(found.files), checks=tuple(sorted(found.checks)),
                    triggers=dict(sorted(found.triggers.items())), notes=tuple(found.notes),
                    workflows=tuple(workflows), mentions=mentions,
                    release_tools=tuple(p for p in RELEASE_TOOLS if p in found.providers))
