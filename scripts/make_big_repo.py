#!/usr/bin/env python3
"""Build a reproducible synthetic git repository that branches like a real team.

    python scripts/make_big_repo.py --commits 200000 /tmp/bench/repo-200000

Everything is a function of --commits and --seed: fixed identities, fixed
dates (the history starts on 2015-01-05), fixed file contents, so two builds
give the same commit ids.

The history, in two halves:

* Gitflow (first half): feature branches fork from `develop` and come back as
  "Merge branch 'feature/x' into develop" or GitHub "Merge pull request #N
  from acme/feature/x"; every ~200 commits a `release/X.Y.0` branch is merged
  into `main` ("Merge branch 'release/X.Y.0'"), tagged vX.Y.0 (annotated) and
  merged back into develop; hotfixes fork from main, are merged and tagged
  vX.Y.Z, and reach develop by a merge or by a cherry-pick.
* Trunk-based (second half): `develop` is left behind (a stale, live branch);
  feature branches fork from `main` and land as GitHub merge commits, squash
  merges "Title (#N)" (committer GitHub), rebase-merged runs (committer GitHub,
  committer time = merge time, author times older), a few fast-forwards, and
  direct commits; dependabot sends small PRs; a tag every ~200 commits;
  maintenance lines `release/X.Y` receive cherry-picks of trunk fixes
  ("(cherry picked from commit <sha>)") and patch tags; now and then a commit
  is reverted ("This reverts commit <sha>.").
* Throughout: ~30 authors in several time zones; some feature branches sync
  with their target ("Merge branch 'main' into feature/x"); ~35 abandoned
  branches stay behind (stale), ~15 are still open at the end, ~20 merged
  branches were never deleted.

Each commit changes 1-3 small files of a ~400-file tree, so `git log
--shortstat` has real numbers. The result looks like a fresh clone: branches
under refs/remotes/origin/, a local `main`, origin/HEAD -> origin/main,
packed refs, one pack (`git repack -ad`) and a commit-graph file.

The fast-import stream is written straight into `git fast-import`'s stdin; the
ids that cherry-pick and revert messages quote are asked back with `get-mark`.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

# Bump when a change alters the generated history: bench.py rebuilds cached repositories then.
GENERATOR_VERSION = 1
START = 1420444800  # 2015-01-05T08:00:00Z, a Monday
ORG = "acme"
GITHUB = (b"GitHub <noreply@github.com>", b"+0000")
DEPENDABOT = (b"dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>", b"+0000")

FIRST_NAMES = [
    "Alice", "Bruno", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kavya", "Lars", "Maya", "Nikolai", "Olga", "Pablo", "Qiu", "Rosa", "Sanjay", "Tomas",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amir", "Beatriz", "Carlos", "Daria",
]
LAST_NAMES = [
    "Anders", "Barros", "Chen", "Dubois", "Erdogan", "Farahani", "Green", "Hayashi", "Iglesias", "Jansen",
    "Kumar", "Larsen", "Meyer", "Novak", "Orlova", "Perez", "Qiao", "Rossi", "Sharma", "Tanaka",
    "Ueda", "Vargas", "Wang", "Xu", "Yilmaz", "Zimmer", "Ahmadi", "Bianchi", "Castro", "Duda",
]
ZONES = [b"+0100", b"+0200", b"-0500", b"-0800", b"+0530", b"+0900", b"+0000", b"-0300", b"+0100", b"+0800"]
VERBS = ["Add", "Fix", "Refactor", "Improve", "Remove", "Update", "Support", "Speed up", "Simplify", "Document"]
NOUNS = ["cache", "parser", "retry logic", "login flow", "exporter", "config loader", "scheduler", "search index",
         "rate limiter", "billing job", "audit log", "webhook handler", "CSV import", "dark mode", "session store",
         "metrics endpoint", "upload queue", "permissions check", "email templates", "API client"]
PLACES = ["in the worker", "for large accounts", "on startup", "in the admin UI", "for the v2 API", "under load",
          "when offline", "for EU customers", "in tests", "behind a flag"]
PACKAGES = ["lodash", "requests", "urllib3", "pytest", "django", "express", "axios", "jinja2", "numpy", "webpack"]
DIRS = ["api", "auth", "billing", "core", "db", "export", "jobs", "search", "ui", "util",
        "web", "worker", "mail", "audit", "cache", "config", "cli", "events", "files", "metrics"]


@dataclass(frozen=True, slots=True)
class Person:
    ident: bytes  # b"Name <email>"
    zone: bytes
    handle: str


def people() -> list[Person]:
    result = []
    for i, (first, last) in enumerate(zip(FIRST_NAMES, LAST_NAMES)):
        handle = f"{first.lower()}{last[0].lower()}"
        result.append(Person(f"{first} {last} <{first.lower()}.{last.lower()}@acme.example>".encode(),
                             ZONES[i % len(ZONES)], handle))
    return result


class Files:
    """~400 small text files; a new version of a file rewrites a few of its lines."""

    def __init__(self, rng: random.Random) -> None:
        self.paths: list[bytes] = []
        self.base: list[list[str]] = []
        for d in DIRS:
            for k in range(18):
                self._add(f"src/{d}/module_{k:02d}.py", rng)
            for k in range(2):
                self._add(f"tests/{d}/test_module_{k:02d}.py", rng)
        for k in range(10):
            self._add(f"docs/page_{k:02d}.md", rng)
        self.version_path = self._add("VERSION", rng, lines=1)
        self.deps_path = self._add("requirements.txt", rng, lines=25)

    def _add(self, path: str, rng: random.Random, lines: int | None = None) -> int:
        count = lines or rng.randint(12, 45)
        stem = path.rsplit("/", 1)[-1].split(".")[0]
        body = [f"def {stem}_{i}(value):" if i % 4 == 0 else f"    value = value * {i} + {rng.randrange(997)}"
                for i in range(count)]
        self.paths.append(path.encode())
        self.base.append(body)
        return len(self.paths) - 1

    def initial(self) -> list[tuple[bytes, bytes]]:
        return [(p, ("\n".join(b) + "\n").encode()) for p, b in zip(self.paths, self.base)]

    def version(self, index: int, rng: random.Random) -> tuple[bytes, bytes]:
        lines = self.base[index][:]
        for _ in range(rng.randint(1, 5)):
            j = rng.randrange(len(lines))
            lines[j] = f"    value = compute_{j}(value, {rng.randrange(1 << 30)})"
        for _ in range(rng.randint(0, 4)):
            lines.append(f"# TODO({rng.randrange(1 << 20):05x}) revisit")
        return self.paths[index], ("\n".join(lines) + "\n").encode()

    def text(self, index: int, text: str) -> tuple[bytes, bytes]:
        return self.paths[index], text.encode()


class Stream:
    """Writes the fast-import stream; one mark per commit."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        self.proc = proc
        self.out = proc.stdin
        self.answers = proc.stdout
        self.mark = 0
        self.commits = 0
        # get-mark answers come back in request order; a thread collects them so
        # asking never stalls the stream unless the answer is needed right away.
        self._asked: deque[int] = deque()
        self._asked_set: set[int] = set()
        self._answers: dict[int, str] = {}
        self._ready = threading.Condition()
        self._reader = threading.Thread(target=self._read_answers, daemon=True)
        self._reader.start()

    def _read_answers(self) -> None:
        for line in self.answers:
            with self._ready:
                self._answers[self._asked.popleft()] = line.decode().strip()
                self._ready.notify_all()

    def commit(self, ref: bytes, author: tuple[bytes, bytes], atime: int, committer: tuple[bytes, bytes],
               ctime: int, message: str, parents: list[int], files: list[tuple[bytes, bytes]]) -> int:
        self.mark += 1
        self.commits += 1
        msg = message.encode()
        parts = [b"commit %s\nmark :%d\nauthor %s %d %s\ncommitter %s %d %s\ndata %d\n" % (
            ref, self.mark, author[0], atime, author[1], committer[0], ctime, committer[1], len(msg)), msg, b"\n"]
        if parents:
            parts.append(b"from :%d\n" % parents[0])
            parts.extend(b"merge :%d\n" % p for p in parents[1:])
        for path, content in files:
            parts.append(b"M 100644 inline %s\ndata %d\n" % (path, len(content)))
            parts.append(content)
            parts.append(b"\n")
        parts.append(b"\n")
        self.out.write(b"".join(parts))
        return self.mark

    def tag(self, name: str, mark: int, tagger: tuple[bytes, bytes], when: int, message: str) -> None:
        msg = message.encode()
        self.out.write(b"tag %s\nfrom :%d\ntagger %s %d %s\ndata %d\n%s\n" % (
            name.encode(), mark, tagger[0], when, tagger[1], len(msg), msg))

    def reset(self, ref: str, mark: int) -> None:
        self.out.write(b"reset %s\nfrom :%d\n\n" % (ref.encode(), mark))

    def ask(self, mark: int) -> None:
        """Ask for a commit's id without waiting for the answer."""
        if mark not in self._asked_set:
            self._asked_set.add(mark)
            self._asked.append(mark)
            self.out.write(b"get-mark :%d\n" % mark)

    def sha(self, mark: int) -> str:
        """A commit's id, waiting for git fast-import to catch up if need be."""
        self.ask(mark)
        if mark not in self._answers:
            self.out.flush()
            with self._ready:
                while mark not in self._answers:
                    if not self._ready.wait(timeout=60):
                        raise RuntimeError(f"git fast-import did not answer get-mark :{mark}")
        answer = self._answers[mark]
        if len(answer) != 40:
            raise RuntimeError(f"git fast-import answered {answer!r} to get-mark :{mark}")
        return answer

    def finish(self) -> None:
        self.out.write(b"done\n")
        self.out.close()
        self._reader.join(timeout=60)


@dataclass(slots=True)
class Feature:
    merge_at: int
    pr: int
    name: str
    title: str
    author: int  # index into people; -1 is dependabot
    opened: int
    target: str
    fork: int
    commits: int
    method: str  # merge | local | squash | rebase | ff
    keep_ref: bool = False

    def __lt__(self, other: Feature) -> bool:
        return (self.merge_at, self.pr) < (other.merge_at, other.pr)


@dataclass(slots=True)
class Line:
    ref: bytes
    tip: int
    marks: list[int] = field(default_factory=list)
    times: list[int] = field(default_factory=list)

    def add(self, mark: int, when: int) -> None:
        self.tip = mark
        self.marks.append(mark)
        self.times.append(when)


@dataclass(slots=True)
class Maintenance:
    name: str
    tip: int
    major: int
    minor: int
    patch: int = 0
    picks: int = 0
    last_time: int = 0  # committer time of the line's newest commit


class Builder:
    def __init__(self, stream: Stream, commits: int, seed: int) -> None:
        self.s = stream
        self.rng = random.Random(seed)
        self.target_commits = commits
        self.team = people()
        self.files = Files(random.Random(seed + 1))
        self.ndev_files = len(self.files.paths) - 2
        span_days = min(3650, max(730, commits // 25))
        self.dt = span_days * 86_400 / commits / 1.15  # seconds of history per commit (merges wait, too)
        self.clock = START
        self.pr = 100
        self.pending: list[Feature] = []
        self.live_refs: dict[str, int] = {}
        self.lines: dict[str, Line] = {}
        self.recent: deque[tuple[int, str, int, int]] = deque(maxlen=60)  # main: (mark, subject, author, atime)
        self.maintenance: list[Maintenance] = []
        self.deferred: list[tuple[int, Callable[[str], None]]] = []
        self.version = [1, 0, 0]
        self.since_release = 0
        self.since_maintenance = 0
        expected_features = commits / 3.75
        self.p_abandon = 35 / expected_features  # ~35 abandoned branches, whatever the size
        self.p_keep = 20 / expected_features  # ~20 merged branches nobody deleted
        self.p_ff = 20 / expected_features  # ~10 fast-forwards (trunk half only; kept, or they would look direct)
        self.maintenance_every = max(2500, commits // 40)
        self.release_manager = 7

    # -- helpers ---------------------------------------------------------

    def person(self, index: int) -> tuple[bytes, bytes]:
        if index < 0:
            return DEPENDABOT
        p = self.team[index]
        return p.ident, p.zone

    def dev(self) -> int:
        # A few people write most of the code, as in real teams.
        return min(int(self.rng.paretovariate(1.2)) - 1, len(self.team) - 1) if self.rng.random() < 0.5 \
            else self.rng.randrange(len(self.team))

    def subject(self) -> str:
        r = self.rng
        return f"{r.choice(VERBS)} {r.choice(NOUNS)} {r.choice(PLACES)}"

    def change(self, focus: list[int] | None = None) -> list[tuple[bytes, bytes]]:
        r = self.rng
        if focus:
            picked = r.sample(focus, min(len(focus), r.randint(1, 3)))
        else:
            picked = r.sample(range(self.ndev_files), r.randint(1, 3))
        return [self.files.version(i, r) for i in picked]

    def tick(self, produced: int) -> None:
        self.clock += max(1, int(max(1, produced) * self.dt * self.rng.uniform(0.3, 1.7)))

    def on_line(self, name: str, author: tuple[bytes, bytes], atime: int, committer: tuple[bytes, bytes],
                ctime: int, message: str, parents: list[int], files: list[tuple[bytes, bytes]]) -> int:
        line = self.lines[name]
        mark = self.s.commit(line.ref, author, atime, committer, ctime, message, [line.tip, *parents], files)
        line.add(mark, ctime)
        return mark

    # -- the history -----------------------------------------------------

    def build(self) -> None:
        r = self.rng
        rm = self.person(self.release_manager)
        first = self.s.commit(b"refs/remotes/origin/main", rm, self.clock, rm, self.clock, "Initial commit", [],
                              self.files.initial())
        self.lines["main"] = Line(b"refs/remotes/origin/main", first, [first], [self.clock])
        self.clock += 3600
        mark = self.s.commit(b"refs/remotes/origin/develop", rm, self.clock, rm, self.clock,
                             "Start develop", [first], [self.files.text(self.files.version_path, "0.1.0\n")])
        self.lines["develop"] = Line(b"refs/remotes/origin/develop", mark, [mark], [self.clock])
        budget = self.target_commits - 120  # room for the branches still open at the end
        half = self.target_commits // 2
        gitflow = True
        while self.s.commits < budget:
            self.run_deferred()
            if gitflow and self.s.commits >= half:
                self.run_deferred(force=True)
                self.release()  # the last Gitflow release; develop is left behind from here on
                gitflow = False
                self.live_refs["develop"] = self.lines["develop"].tip
            produced = self.s.commits
            while self.pending and self.pending[0].merge_at <= self.clock:
                self.merge(heapq.heappop(self.pending), gitflow)
            roll = r.random()
            if roll < 0.62:
                self.open_feature("develop" if gitflow else "main", gitflow)
            elif gitflow and roll < 0.64:
                self.hotfix()
            elif not gitflow and roll < 0.63:
                self.revert()
            else:
                self.direct("develop" if gitflow else "main", gitflow)
            produced = self.s.commits - produced
            self.since_release += produced
            self.since_maintenance += produced
            if self.since_release >= 200 + r.randint(-40, 40):
                if gitflow:
                    self.release()
                else:
                    self.tag_trunk()
            self.tick(produced)
        self.run_deferred(force=True)
        self.finish_open_branches()

    def open_feature(self, target: str, gitflow: bool) -> None:
        r = self.rng
        self.pr += 1
        bot = not gitflow and r.random() < 0.06
        author = -1 if bot else self.dev()
        if bot:
            package = r.choice(PACKAGES)
            new = f"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 20)}"
            name = f"dependabot/pip/{package}-{new}"
            title = f"Bump {package} from {new[:-1]}0 to {new}"
            commits = 1
        else:
            title = self.subject()
            slug = "-".join(title.lower().split()[:3]).replace(",", "")
            kind = r.random()
            if kind < 0.6:
                name = f"feature/{slug}-{self.pr}"
            elif kind < 0.8:
                name = f"fix/{slug}-{self.pr}"
            else:
                name = f"{self.team[author].handle}/{slug}"
            commits = min(10, max(1, int(r.lognormvariate(0.9, 0.7))))
        median_hours = 60 if gitflow else 20
        lifetime = int(min(60 * 86_400, max(1800, r.lognormvariate(0, 1.1) * median_hours * 3600)))
        if gitflow:
            method = "local" if r.random() < 0.6 else "merge"
        else:
            roll = r.random()
            method = ("ff" if roll < self.p_ff else "merge" if roll < 0.45 else "squash" if roll < 0.80
                      else "rebase")
        feature = Feature(merge_at=self.clock + lifetime, pr=self.pr, name=name, title=title, author=author,
                          opened=self.clock, target=target, fork=self.lines[target].tip, commits=commits,
                          method=method, keep_ref=method == "ff" or r.random() < self.p_keep)
        if not bot and r.random() < self.p_abandon:
            # Abandoned: pushed, never merged, never deleted.
            tip, _, _ = self.branch_commits(feature, feature.merge_at)
            self.live_refs[name] = tip
            return
        heapq.heappush(self.pending, feature)

    def branch_commits(self, f: Feature, until: int) -> tuple[int, dict[bytes, bytes], list[tuple[str, int]]]:
        """Emit the feature's own commits (and maybe one sync merge); return its tip, files and subjects."""
        r = self.rng
        person = self.person(f.author)
        focus = [self.files.deps_path] if f.author < 0 else r.sample(range(self.ndev_files), r.randint(2, 5))
        latest = max(f.opened + 60, until - 60)
        times = sorted(r.randint(f.opened + 30, latest) for _ in range(f.commits))
        changed: dict[bytes, bytes] = {}
        subjects: list[tuple[str, int]] = []
        parent = f.fork
        sync_at = r.randrange(1, f.commits) if f.commits >= 3 and r.random() < 0.15 else -1
        for k, when in enumerate(times):
            if k == sync_at:
                line = self.lines[f.target]
                at = bisect.bisect_left(line.times, when) - 1
                if at >= 0 and line.times[at] > f.opened and line.marks[at] != f.fork:
                    parent = self.s.commit(b"refs/heads/_scratch", person, when - 10, person, when - 10,
                                           f"Merge branch '{f.target}' into {f.name}", [parent, line.marks[at]], [])
            files = self.change(focus)
            changed.update(files)
            subject = f.title if k == 0 else self.subject()
            subjects.append((subject, when))
            parent = self.s.commit(b"refs/heads/_scratch", person, when, person, when, subject, [parent], files)
        return parent, changed, subjects

    def merge(self, f: Feature, gitflow: bool) -> None:
        r = self.rng
        if f.target == "develop" and not gitflow:
            f.target = "main"  # Gitflow ended while the branch was open
        now = max(self.clock, f.merge_at)
        self.clock = now
        person = self.person(f.author)
        merger = self.person(f.author if f.author >= 0 else self.dev())
        if f.method in ("merge", "local"):
            tip, changed, _ = self.branch_commits(f, now)
            if f.method == "local":
                message, committer = f"Merge branch '{f.name}' into {f.target}", merger
            else:
                message, committer = f"Merge pull request #{f.pr} from {ORG}/{f.name}\n\n{f.title}", GITHUB
            self.on_line(f.target, merger, now, committer, now, message, [tip], sorted(changed.items()))
            if f.keep_ref:
                self.live_refs[f.name] = tip
        elif f.method == "squash":
            changed: dict[bytes, bytes] = {}
            focus = [self.files.deps_path] if f.author < 0 else r.sample(range(self.ndev_files), r.randint(1, 4))
            for _ in range(f.commits):
                changed.update(self.change(focus))
            body = "\n\n".join(f"* {self.subject()}" for _ in range(f.commits - 1))
            message = f"{f.title} (#{f.pr})" + (f"\n\n{body}" if body else "")
            mark = self.on_line(f.target, person, now, GITHUB, now, message, [], sorted(changed.items()))
            self.remember(mark, f.title, f.author, now)
        elif f.method == "rebase":
            focus = r.sample(range(self.ndev_files), r.randint(2, 5))
            times = sorted(r.randint(f.opened + 30, max(f.opened + 60, now - 120)) for _ in range(f.commits))
            for k, when in enumerate(times):
                subject = f.title if k == 0 else self.subject()
                mark = self.on_line(f.target, person, when, GITHUB, now + k, subject, [], self.change(focus))
                self.remember(mark, subject, f.author, when)
            self.clock = now + f.commits
        else:  # fast-forward: rebased by its author onto the line, pushed there; the branch is kept
            focus = r.sample(range(self.ndev_files), r.randint(2, 5))
            times = sorted(r.randint(f.opened + 30, max(f.opened + 60, now - 60)) for _ in range(f.commits))
            for k, when in enumerate(times):
                subject = f.title if k == 0 else self.subject()
                self.on_line(f.target, person, when, person, now + k, subject, [], self.change(focus))
            self.clock = now + f.commits
            self.live_refs[f.name] = self.lines[f.target].tip

    def remember(self, mark: int, subject: str, author: int, atime: int) -> None:
        """A trunk fix: it may be reverted later, or cherry-picked to the newest maintenance line."""
        if subject.startswith("Fix") or self.rng.random() < 0.1:
            self.recent.append((mark, subject, author, atime))
            if self.maintenance and self.rng.random() < 0.35:
                line = self.maintenance[-1]
                when = self.clock + self.rng.randint(600, 3 * 86_400)
                self.later(mark, lambda sha: self.cherry_pick(line, sha, subject, author, atime, when))

    def later(self, mark: int, emit: Callable[[str], None]) -> None:
        """Emit something that quotes `mark`'s id once git fast-import has told us the id."""
        self.s.ask(mark)
        self.deferred.append((mark, emit))

    def run_deferred(self, force: bool = False) -> None:
        """Emit the deferred commits in batches of 30: one wait for git per batch, and the
        batch points depend only on the history, so the output does not depend on timing."""
        if self.deferred and (force or len(self.deferred) >= 30):
            batch, self.deferred = self.deferred, []
            for mark, emit in batch:
                emit(self.s.sha(mark))

    def direct(self, target: str, gitflow: bool) -> None:
        author = self.dev()
        subject = self.subject()
        mark = self.on_line(target, self.person(author), self.clock, self.person(author), self.clock, subject, [],
                            self.change())
        if not gitflow:
            self.remember(mark, subject, author, self.clock)

    def revert(self) -> None:
        if not self.recent:
            return self.direct("main", False)
        mark, subject, _, _ = self.recent[self.rng.randrange(len(self.recent))]
        author = self.person(self.dev())
        files = self.change()
        self.later(mark, lambda sha: self.on_line(
            "main", author, self.clock, author, self.clock, f'Revert "{subject}"\n\nThis reverts commit {sha}.',
            [], files))

    def cherry_pick(self, line: Maintenance, sha: str, subject: str, author: int, atime: int, when: int) -> None:
        rm = self.person(self.release_manager)
        when = max(when, line.last_time + 60)
        line.last_time = when
        line.tip = self.s.commit(b"refs/heads/_scratch", self.person(author), atime, rm, when,
                                 f"{subject}\n\n(cherry picked from commit {sha})", [line.tip], self.change())
        self.live_refs[line.name] = line.tip
        line.picks += 1
        if line.picks % 4 == 0:
            line.patch += 1
            self.s.tag(f"v{line.major}.{line.minor}.{line.patch}", line.tip, rm, when + 300,
                       f"Release {line.major}.{line.minor}.{line.patch}")

    def release(self) -> None:
        """Gitflow: release/X.Y.0 off develop, merged into main (tagged) and back into develop."""
        self.since_release = 0
        major, minor = self.version[0], self.version[1] + 1
        if minor > 20:
            major, minor = major + 1, 0
        self.version = [major, minor, 0]
        name = f"release/{major}.{minor}.0"
        rm = self.person(self.release_manager)
        self.clock += 600
        bump = self.s.commit(b"refs/heads/_scratch", rm, self.clock, rm, self.clock, f"Bump version to {major}.{minor}.0",
                             [self.lines["develop"].tip], [self.files.text(self.files.version_path, f"{major}.{minor}.0\n")])
        self.clock += 1800
        merged = self.on_line("main", rm, self.clock, rm, self.clock, f"Merge branch '{name}'", [bump],
                              [self.files.text(self.files.version_path, f"{major}.{minor}.0\n")])
        self.s.tag(f"v{major}.{minor}.0", merged, rm, self.clock + 60, f"Release {major}.{minor}.0")
        self.clock += 120
        self.on_line("develop", rm, self.clock, rm, self.clock, f"Merge branch '{name}' into develop", [bump], [])

    def hotfix(self) -> None:
        """Gitflow: hotfix/X.Y.Z off main, merged and tagged; develop gets it by merge or cherry-pick."""
        r = self.rng
        major, minor, patch = self.version
        patch += 1
        self.version = [major, minor, patch]
        name = f"hotfix/{major}.{minor}.{patch}"
        author = self.dev()
        person, rm = self.person(author), self.person(self.release_manager)
        subject = f"Fix {r.choice(NOUNS)} {r.choice(PLACES)}"
        files = self.change()
        fix = self.s.commit(b"refs/heads/_scratch", person, self.clock, person, self.clock, subject,
                            [self.lines["main"].tip], files)
        self.clock += 900
        merged = self.on_line("main", rm, self.clock, rm, self.clock, f"Merge branch '{name}'", [fix], files)
        self.s.tag(f"v{major}.{minor}.{patch}", merged, rm, self.clock + 60, f"Hotfix {major}.{minor}.{patch}")
        self.clock += 300
        if r.random() < 0.5:
            self.on_line("develop", rm, self.clock, rm, self.clock, f"Merge branch '{name}' into develop", [fix], files)
        else:
            when = self.clock
            self.later(fix, lambda sha: self.on_line(
                "develop", person, when - 1200, rm, max(when, self.lines["develop"].times[-1] + 60),
                f"{subject}\n\n(cherry picked from commit {sha})", [], files))

    def tag_trunk(self) -> None:
        """Trunk-based: tag main every ~200 commits; now and then start a maintenance line there."""
        self.since_release = 0
        major, minor = self.version[0], self.version[1] + 1
        if minor > 20:
            major, minor = major + 1, 0
        self.version = [major, minor, 0]
        rm = self.person(self.release_manager)
        tip = self.lines["main"].tip
        self.s.tag(f"v{major}.{minor}.0", tip, rm, self.clock, f"Release {major}.{minor}.0")
        if self.since_maintenance >= self.maintenance_every:
            self.since_maintenance = 0
            line = Maintenance(name=f"release/{major}.{minor}", tip=tip, major=major, minor=minor, last_time=self.clock)
            self.maintenance.append(line)
            self.live_refs[line.name] = tip

    def finish_open_branches(self) -> None:
        """Branches still open at the end: the 15 most recent are pushed; the rest were never pushed."""
        still_open = sorted(self.pending, key=lambda f: -f.opened)[:15]
        main = self.lines["main"]
        while len(still_open) < 15:  # small histories: top up with branches from the last two weeks
            r = self.rng
            self.pr += 1
            opened = self.clock - r.randint(3600, 14 * 86_400)
            fork = main.marks[max(0, bisect.bisect_right(main.times, opened) - 1)]
            author = self.dev()
            title = self.subject()
            still_open.append(Feature(
                merge_at=self.clock, pr=self.pr, name=f"feature/{'-'.join(title.lower().split()[:3])}-{self.pr}",
                title=title, author=author, opened=opened, target="main", fork=fork, commits=r.randint(1, 6),
                method="merge"))
        for f in still_open:
            f.target = "main"
            until = min(f.merge_at, self.clock)
            tip, _, _ = self.branch_commits(f, until)
            self.live_refs[f.name] = tip
        for name, tip in sorted(self.live_refs.items()):
            self.s.reset(f"refs/remotes/origin/{name}", tip)
        self.s.reset("refs/remotes/origin/main", self.lines["main"].tip)
        self.s.reset("refs/heads/main", self.lines["main"].tip)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True)


def build(path: Path, commits: int, seed: int = 7, quiet: bool = False) -> dict[str, float]:
    """Build the repository at `path` (replacing it) and return timings in seconds."""
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    timings = {}
    started = time.perf_counter()
    # fast-import allocates and frees a zlib stream per object; without these glibc
    # hands memory back to the kernel every time and the import spends most of its time in brk().
    fast_env = {**env, "GLIBC_TUNABLES": "glibc.malloc.top_pad=268435456:glibc.malloc.trim_threshold=536870912:"
                                         "glibc.malloc.mmap_threshold=33554432"}
    proc = subprocess.Popen(["git", "-C", str(path), "fast-import", "--quiet", "--done", "--force"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 20, env=fast_env)
    stream = Stream(proc)
    builder = Builder(stream, commits, seed)
    try:
        builder.build()
        stream.finish()
    except BrokenPipeError:
        pass
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    timings["fast_import"] = time.perf_counter() - started
    say(f"fast-import: {stream.commits} commits in {timings['fast_import']:.1f}s")
    for args in (
        ["update-ref", "-d", "refs/heads/_scratch"],
        ["config", "remote.origin.url", f"https://git.example/{ORG}/big-{commits}.git"],
        ["config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"],
        ["config", "branch.main.remote", "origin"],
        ["config", "branch.main.merge", "refs/heads/main"],
        ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
        ["symbolic-ref", "HEAD", "refs/heads/main"],
        ["reset", "-q", "--hard", "main"],
        ["pack-refs", "--all", "--prune"],
    ):
        subprocess.run(["git", "-C", str(path), *args], check=True, env=env)
    started = time.perf_counter()
    subprocess.run(["git", "-C", str(path), "repack", "-adq"], check=True, env=env)
    timings["repack"] = time.perf_counter() - started
    say(f"repack -ad: {timings['repack']:.1f}s")
    started = time.perf_counter()
    subprocess.run(["git", "-C", str(path), "commit-graph", "write", "--reachable", "--no-progress"], check=True,
                   env=env)
    timings["commit_graph"] = time.perf_counter() - started
    say(f"commit-graph: {timings['commit_graph']:.1f}s")
    timings["commits"] = stream.commits
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, nargs="?", help="where to build (default: /tmp/bench/repo-N)")
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.commits < 1000:
        parser.error("--commits must be at least 1000")
    path = args.path or Path(f"/tmp/bench/repo-{args.commits}")
    timings = build(path, args.commits, args.seed, args.quiet)
    print(f"{path}: {int(timings['commits'])} commits; fast-import {timings['fast_import']:.1f}s, "
          f"repack {timings['repack']:.1f}s, commit-graph {timings['commit_graph']:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
