"""Simulators of each branching model, each returning its repository and ground truth.

A simulator records every integration as it performs it, so the truth is what
really happened, not what the reader is expected to infer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tests.builders import ALICE, BOB, CAROL, GITHUB, START, RepoBuilder

DEVELOPERS = (ALICE, BOB, CAROL)


@dataclass(frozen=True)
class Expected:
    target: str
    source: str | None
    pr: int | None
    method: str
    commits: int
    first_commit_at: datetime
    merged_at: datetime
    kind: str = "feature"
    deleted: bool = True


@dataclass
class Truth:
    trunk: str
    long_lived: set[str]
    episodes: list[Expected] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    line_merges: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, kind)
    cherry_picks: list[str] = field(default_factory=list)  # direction per pick
    reverts: int = 0

    def branch_episodes(self) -> list[Expected]:
        return [e for e in self.episodes if e.method != "direct"]


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


class Simulator:
    """Wraps a builder and writes the truth down as history is made."""

    def __init__(self, path: Path, trunk: str = "main", long_lived: set[str] | None = None) -> None:
        self.b = RepoBuilder(path, trunk=trunk)
        self.truth = Truth(trunk=trunk, long_lived=long_lived or {trunk})
        self.pr = 0

    def direct(self, line: str, hours: float, who: tuple[str, str] = ALICE, message: str | None = None) -> str:
        sha = self.b.commit(message, branch=line, at=at(hours), author=who)
        self.truth.episodes.append(Expected(line, None, None, "direct", 1, at(hours), at(hours), "direct", False))
        return sha

    def work(self, name: str, start: str, first: float, count: int, who: tuple[str, str] = ALICE,
             spacing: float = 1.0) -> list[str]:
        """A branch from `start` with `count` commits, the first at hour `first`."""
        self.b.branch(name, start)
        return [self.b.commit(branch=name, at=at(first + i * spacing), author=who) for i in range(count)]

    def merge(self, name: str, into: str, hours: float, *, commits: int, first: float, method: str = "merge",
              pr: bool = False, message: str | None = None, delete: bool = True, kind: str = "feature",
              who: tuple[str, str] = ALICE, deleted_later: bool = False, pull_ref: bool = False) -> str:
        """`pull_ref`: keep the branch's head as refs/pull/N/head, as a mirror of the host has it."""
        number = None
        if pr:
            self.pr += 1
            number = self.pr
            if pull_ref:
                self.b.set_ref(f"refs/pull/{number}/head", self.b.tip(name))
        if message is None and pr and method == "merge":
            message = f"Merge pull request #{number} from team/{name}"
        if message is None and pr and method == "squash":
            message = f"Add {name} (#{number})"
        if message is None and method in ("merge", "squash") and into != self.truth.trunk:
            message = f"Merge branch '{name}' into {into}"
        committer = GITHUB if method == "rebase" else None
        sha = self.b.merge(name, into, method=method, message=message, at=at(hours), who=who,
                           committer=committer, delete=delete)
        source = name if method in ("merge",) or (method == "squash" and not pr) else None
        self.truth.episodes.append(Expected(
            into, source, number, method, commits, at(first), at(hours), kind, delete or deleted_later,
        ))
        return sha


def gitflow(path: Path) -> Truth:
    """master + develop, feature branches into develop, release and hotfix branches
    merged into both, tags on master, back-merges."""
    sim = Simulator(path, trunk="master", long_lived={"master", "develop"})
    b = sim.b
    sim.direct("master", 0)
    b.branch("develop", "master")
    sim.direct("develop", 1)
    hour = 2.0
    for release in range(1, 4):
        for feature in range(1, 4):
            name = f"feature/r{release}-f{feature}"
            sim.work(name, "develop", hour, 2, who=DEVELOPERS[feature % 3])
            sim.merge(name, "develop", hour + 30, commits=2, first=hour, kind="feature")
            hour += 40
        name = f"release/1.{release}"
        sim.work(name, "develop", hour, 1)
        sim.merge(name, "master", hour + 20, commits=1, first=hour, delete=False, deleted_later=True, kind="release",
                  message=f"Merge branch '{name}'")
        b.tag(f"1.{release}.0", "master", annotated=True, at=at(hour + 20.5))
        sim.truth.tags.append(f"1.{release}.0")
        # the back-merge of the release branch into develop: same branch, second line
        b.merge(name, "develop", message=f"Merge branch '{name}' into develop", at=at(hour + 21))
        b.delete_branch(name)
        hour += 30
        if release == 2:
            name = "hotfix/1.2.1"
            sim.work(name, "master", hour, 1, who=BOB)
            sim.merge(name, "master", hour + 3, commits=1, first=hour, delete=False, deleted_later=True, kind="hotfix",
                      message=f"Merge branch '{name}'")
            b.tag("1.2.1", "master", annotated=True, at=at(hour + 3.5))
            sim.truth.tags.append("1.2.1")
            b.merge(name, "develop", message=f"Merge branch '{name}' into develop", at=at(hour + 4))
            b.delete_branch(name)
            hour += 10
    return sim.truth


def gitflow_develop_default(path: Path) -> Truth:
    """Gitflow with `develop` as the default branch (pi-hole's and many .NET projects' shape):
    features merge into develop; at each release develop is merged into master, which is tagged;
    two fix branches forked from master are merged into master and tagged, and master is merged
    back into develop; a support/1.x line is cut from master for an old release and fed two fixes.
    Master takes more branch merges than merges from develop, the shape once read as a
    maintenance line merged forward (release-branching)."""
    sim = Simulator(path, trunk="develop", long_lived={"develop", "master", "support/1.x"})
    b = sim.b
    sim.direct("develop", 0)
    b.branch("master", "develop")
    hour = 2.0
    for release in range(1, 5):
        for feature in range(1, 4):
            name = f"feature/r{release}-f{feature}"
            sim.work(name, "develop", hour, 2, who=DEVELOPERS[feature % 3])
            sim.merge(name, "develop", hour + 30, commits=2, first=hour, pr=True)
            hour += 40
        b.merge("develop", "master", message="Merge branch 'develop'", at=at(hour))
        sim.truth.line_merges.append(("develop", "master", "release"))
        b.tag(f"v1.{release}.0", "master", annotated=True, at=at(hour + 0.5))
        sim.truth.tags.append(f"v1.{release}.0")
        hour += 10
        for fix in (1, 2):  # fixes of the release, named like any branch, merged into master by pull request
            name = f"fix/crash-{release}-{fix}"
            sim.work(name, "master", hour, 1, who=BOB)
            sim.merge(name, "master", hour + 3, commits=1, first=hour, pr=True)
            b.tag(f"v1.{release}.{fix}", "master", annotated=True, at=at(hour + 3.5))
            sim.truth.tags.append(f"v1.{release}.{fix}")
            hour += 5
        b.merge("master", "develop", message="Merge branch 'master' into develop", at=at(hour))
        sim.truth.line_merges.append(("master", "develop", "back-merge"))
        hour += 20
        if release == 2:
            b.branch("support/1.x", "master")  # the old release is maintained for a while
    for patch in (3, 4):  # fixes for the old release, made on its own line
        hour += 24 * 20
        sim.direct("support/1.x", hour, who=CAROL, message=f"Fix a crash on old configurations ({patch})")
        b.tag(f"v1.2.{patch}", "support/1.x", annotated=True, at=at(hour + 1))
        sim.truth.tags.append(f"v1.2.{patch}")
    return sim.truth


def squash_with_sync_merges(path: Path) -> Truth:
    """Squash-merged pull requests; one feature branch merges the trunk into itself six times
    over ten weeks to catch up (more merges than commits of its own), then is squash-merged like
    the others: a feature, not an environment line receiving promotions."""
    sim = Simulator(path)
    b = sim.b
    sim.direct("main", 0)
    b.branch("feature/big-rewrite", "main")
    hour = 1.0
    for number in range(1, 13):
        name = f"short-{number}"
        sim.work(name, "main", hour, 2, who=DEVELOPERS[number % 3], spacing=0.5)
        sim.merge(name, "main", hour + 3, commits=1, first=hour + 3, method="squash", pr=True)
        if number <= 4:
            b.commit(branch="feature/big-rewrite", at=at(hour + 4), author=CAROL)
        if number % 2 == 0:
            # A sync merge into a work branch: no line merge (a branch named feature/* is no line).
            b.merge("main", "feature/big-rewrite", message="Merge branch 'main' into feature/big-rewrite",
                    at=at(hour + 5))
        hour += 24 * 6
    sim.merge("feature/big-rewrite", "main", hour, commits=1, first=hour, method="squash", pr=True, delete=False)
    return sim.truth


def dormant_release_line(path: Path) -> Truth:
    """A trunk of direct commits, with a release-1.0 line cut, cherry-picked into and tagged two
    years before the window and never touched since: a stale line, not a maintained one."""
    sim = Simulator(path, long_lived={"main", "release-1.0"})
    b = sim.b
    old = -24 * 365 * 2  # two years before START
    sim.direct("main", old)
    b.branch("release-1.0", "main")
    b.tag("v1.0.0", "release-1.0", annotated=True, at=at(old + 1))
    for patch in range(1, 3):
        fix = sim.direct("main", old + 24 * 10 * patch, message=f"Fix bug {patch}")
        b.commit(f"Fix bug {patch}\n\n(cherry picked from commit {fix})", branch="release-1.0",
                 at=at(old + 24 * 10 * patch + 2))
        sim.truth.cherry_picks.append("trunk-to-branch")
        b.tag(f"v1.0.{patch}", "release-1.0", annotated=True, at=at(old + 24 * 10 * patch + 3))
    for number in range(40):
        sim.direct("main", 24.0 * number - 24 * 120, who=DEVELOPERS[number % 3])
    return sim.truth


def github_flow(path: Path) -> Truth:
    """One trunk, feature branches living days, merged through pull requests with merge commits."""
    sim = Simulator(path)
    sim.direct("main", 0)
    hour = 1.0
    for number in range(1, 9):
        name = f"feature-{number}"
        sim.work(name, "main", hour, 3, who=DEVELOPERS[number % 3], spacing=8)
        sim.merge(name, "main", hour + 60, commits=3, first=hour, pr=True)
        hour += 30
    return sim.truth


def trunk_squash(path: Path, pull_refs: bool = False) -> Truth:
    """Trunk-based with short branches squash-merged through pull requests, each living 3 hours.

    As a plain clone has it (no refs/pull/*), each squash is one commit dated at its merge;
    with `pull_refs`, as a mirror of the host has it, each PR's head keeps its two commits."""
    sim = Simulator(path)
    sim.direct("main", 0)
    hour = 1.0
    for number in range(1, 11):
        name = f"short-{number}"
        sim.work(name, "main", hour, 2, who=DEVELOPERS[number % 3], spacing=0.5)
        sim.merge(name, "main", hour + 3, commits=2 if pull_refs else 1, first=hour if pull_refs else hour + 3,
                  method="squash", pr=True, pull_ref=pull_refs)
        hour += 6
    return sim.truth


def trunk_squash_pull_refs(path: Path) -> Truth:
    """trunk_squash as a mirror of the host has it: every PR's head kept as refs/pull/N/head."""
    return trunk_squash(path, pull_refs=True)


def trunk_rebase(path: Path) -> Truth:
    """Trunk-based with branches rebase-merged by the forge (committer GitHub)."""
    sim = Simulator(path)
    sim.direct("main", 0)
    hour = 1.0
    for number in range(1, 7):
        name = f"topic-{number}"
        sim.work(name, "main", hour, 2, who=DEVELOPERS[number % 3], spacing=0.5)
        sim.merge(name, "main", hour + 4, commits=2, first=hour, method="rebase")
        hour += 8
    return sim.truth


def trunk_direct(path: Path) -> Truth:
    """Everyone commits straight to the trunk."""
    sim = Simulator(path)
    for number in range(12):
        sim.direct("main", number * 3, who=DEVELOPERS[number % 3])
    return sim.truth


RENOVATE = ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com")


def prs_landed_as_commits(path: Path) -> Truth:
    """Maintainers land most pull requests as plain commits on the trunk that end "Closes #N"
    (curl) or carry "PR-URL: .../pull/N" (Node.js); a few go through merged or squashed branches.
    Counted: 4 merged pull requests and 1 squash (5 branches through a PR), 7 commits citing their
    PR (6 "Closes #N", 1 "PR-URL"), 1 "Fixes #40" (an issue, not the request) and 2 plain direct
    commits; a bot's "Closes #N" commit is not counted (bots are not the team)."""
    sim = Simulator(path)
    sim.direct("main", 0)
    hour = 1.0
    for number in range(1, 5):
        name = f"feature-{number}"
        sim.work(name, "main", hour, 2, who=DEVELOPERS[number % 3], spacing=2)
        sim.merge(name, "main", hour + 10, commits=2, first=hour, pr=True)
        hour += 12
        for closes in range(2 if number < 4 else 0):
            hour += 3
            sim.direct("main", hour, who=DEVELOPERS[(number + closes) % 3],
                       message=f"lib: change {number}.{closes}\n\nA longer explanation.\n\n"
                               f"Closes #{20 + 2 * number + closes}")
    sim.direct("main", hour + 1, message="http: parse trailers\n\nPR-URL: https://github.com/o/r/pull/31\n"
                                         "Reviewed-By: Someone <s@example.com>")
    sim.direct("main", hour + 2, message="docs: typo\n\nFixes #40")
    sim.direct("main", hour + 3, message="build: tidy")
    sim.b.commit("GHA: update dependency x to v2\n\nCloses #41", at=at(hour + 4), author=RENOVATE)
    sim.work("short-1", "main", hour + 5, 1)
    sim.merge("short-1", "main", hour + 6, commits=1, first=hour + 6, method="squash", pr=True,
              message="Add short-1 (#42)\n\nCloses #42")
    return sim.truth


def release_branching(path: Path) -> Truth:
    """Trunk plus maintained release lines; fixes land on the trunk and are
    cherry-picked (-x) to the release lines, which carry the patch tags."""
    sim = Simulator(path, long_lived={"main", "release-1.0", "release-1.1"})
    b = sim.b
    hour = 0.0
    sim.direct("main", hour)
    for line in ("1.0", "1.1"):
        for _ in range(5):
            hour += 24
            sim.direct("main", hour, who=DEVELOPERS[int(hour) % 3])
        name = f"release-{line}"
        b.branch(name, "main")
        b.tag(f"v{line}.0", name, annotated=True, at=at(hour + 1))
        sim.truth.tags.append(f"v{line}.0")
        for patch in range(1, 3):
            hour += 24 * 10
            fix = sim.direct("main", hour, message=f"Fix bug {line}.{patch}")
            message = f"Fix bug {line}.{patch}\n\n(cherry picked from commit {fix})"
            files = {f"work/{b.counter:05d}.txt": f"change {b.counter}\n"}
            b.commit(message, branch=name, files=files, at=at(hour + 2), author=ALICE)
            sim.truth.episodes.append(Expected(name, None, None, "direct", 1, at(hour + 2), at(hour + 2),
                                               "direct", False))
            sim.truth.cherry_picks.append("trunk-to-branch")
            b.tag(f"v{line}.{patch}", name, annotated=True, at=at(hour + 3))
            sim.truth.tags.append(f"v{line}.{patch}")
    return sim.truth


def environment_branches(path: Path) -> Truth:
    """GitLab flow: main is promoted into production by merges, every two weeks for three months;
    features merge into main."""
    sim = Simulator(path, long_lived={"main", "production"})
    b = sim.b
    sim.direct("main", 0)
    b.branch("production", "main")
    hour = 1.0
    for number in range(1, 7):
        name = f"feature-{number}"
        sim.work(name, "main", hour, 2, who=DEVELOPERS[number % 3])
        sim.merge(name, "main", hour + 20, commits=2, first=hour, pr=True)
        hour += 24 * 14
        b.merge("main", "production", message="Merge branch 'main' into production", at=at(hour))
        sim.truth.line_merges.append(("main", "production", "promotion"))
        hour += 1
    return sim.truth


def trunk_with_an_idle_branch(path: Path, days: int, name: str = "old-idea") -> RepoBuilder:
    """A trunk with a commit a day for `days` days, and `name` forked at the start and never touched again."""
    b = RepoBuilder(path)
    b.commit("root", branch="main", at=0)
    b.branch(name, "main")
    b.commit("idea", branch=name, at=1)
    for day in range(1, days):
        b.commit(f"work {day}", branch="main", at=24 * day)
    return b


def gitflow_late_hotfixes(path: Path) -> Truth:
    """Gitflow where hotfixes come days after a release, whatever the tags say.

    Four releases three weeks apart, calendar-versioned (2024.1 ... 2024.4), each cut
    from develop as release/2024.N (one commit, merged into master 48 h after it was cut)
    after two feature branches into develop (two commits each, merged 10 h after their
    first). Ten days after 2024.1 and after 2024.3 a hotfix branch (one commit, merged
    into master 4 h after it) fixes the release: the first is never tagged, the second
    is tagged 2024.3.1. Both are merged back into develop. So: 5 final releases,
    2 of them followed by a hotfix (2024.1 and 2024.3), 8 work branches of 10 h,
    4 release branches of 48 h and 2 hotfix branches of 4 h.
    """
    sim = Simulator(path, trunk="master", long_lived={"master", "develop"})
    b = sim.b
    sim.direct("master", 0)
    b.branch("develop", "master")
    sim.direct("develop", 1)
    for number in range(1, 5):
        hour = 2.0 + (number - 1) * 21 * 24
        for feature in (1, 2):
            name = f"feature/{number}-{feature}"
            sim.work(name, "develop", hour, 2, who=DEVELOPERS[feature % 3])
            sim.merge(name, "develop", hour + 10, commits=2, first=hour)
            hour += 12
        name = f"release/2024.{number}"
        sim.work(name, "develop", hour, 1)
        sim.merge(name, "master", hour + 48, commits=1, first=hour, delete=False, deleted_later=True,
                  kind="release", message=f"Merge branch '{name}'")
        b.tag(f"2024.{number}", "master", annotated=True, at=at(hour + 48.5))
        sim.truth.tags.append(f"2024.{number}")
        b.merge(name, "develop", message=f"Merge branch '{name}' into develop", at=at(hour + 49))
        b.delete_branch(name)
        if number in (1, 3):
            hour += 48.5 + 24 * 10
            name = f"hotfix/2024.{number}.1"
            sim.work(name, "master", hour, 1, who=BOB)
            sim.merge(name, "master", hour + 4, commits=1, first=hour, delete=False, deleted_later=True,
                      kind="hotfix", message=f"Merge branch '{name}'")
            if number == 3:
                b.tag("2024.3.1", "master", annotated=True, at=at(hour + 4.5))
                sim.truth.tags.append("2024.3.1")
            b.merge(name, "develop", message=f"Merge branch '{name}' into develop", at=at(hour + 5))
            b.delete_branch(name)
    return sim.truth
