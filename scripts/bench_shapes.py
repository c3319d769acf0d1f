#!/usr/bin/env python3
"""Synthetic repositories that stress one dimension each, for scripts/bench.py.

    python scripts/bench_shapes.py tags 20000 /tmp/bench/tags-20000

Every shape is a function of its size alone (fixed names, fixed dates ending on
END, fixed contents), written with one `git fast-import`, then packed:

* tags N: 20k trunk commits, N annotated version tags spread over them;
* pulls N: N pull requests, each a one-commit branch with its refs/pull/N/head,
  two in three merged by a GitHub merge commit, one direct trunk commit per PR;
* lines N: N long-lived lines (stable-i) over 40 rounds: two commits on each line,
  a merge of the line into main, a back-merge of main into the line;
* branches N: N live branches of two recent commits each, forked from a 5k-commit trunk;
* stale N: the same a year earlier, every branch stale, then 100 days of trunk commits;
* trailers N: 20 squash commits, each body N "fixes #j" lines and N/2 cherry-pick trailers;
* octopus N: N octopus merges of 3 to 8 one-commit topic branches each;
* monorepo N: 2k small commits and 10 commits that each add a file of N lines.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

END = 1_793_000_000  # 2026-10-26: the last commit of every shape, inside a default window for a while
HOUR = 3600


class FastImport:
    """A `git fast-import` stream: commits by mark, refs, annotated tags."""

    def __init__(self, path: Path) -> None:
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        self.path = path
        self.proc = subprocess.Popen(["git", "-C", str(path), "fast-import", "--quiet", "--force"],
                                     stdin=subprocess.PIPE, bufsize=1 << 20)
        assert self.proc.stdin is not None
        self.out = self.proc.stdin
        self.mark = 0

    def commit(self, ref: str, when: int, message: str, parents: list[int], files: dict[str, bytes] | None = None,
               who: str = "Dev One <dev1@example.com>") -> int:
        self.mark += 1
        body = message.encode() + b"\n"
        lines = [f"commit {ref}\nmark :{self.mark}\nauthor {who} {when} +0000\ncommitter {who} {when} +0000\n"
                 f"data {len(body)}\n".encode() + body]
        if parents:
            lines.append(f"from :{parents[0]}\n".encode())
            lines.extend(f"merge :{p}\n".encode() for p in parents[1:])
        for name, data in (files if files is not None else {f"f/{self.mark % 97}.txt": b"%d\n" % self.mark}).items():
            lines.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")
        self.out.write(b"".join(lines) + b"\n")
        return self.mark

    def ref(self, ref: str, mark: int) -> None:
        self.out.write(f"reset {ref}\nfrom :{mark}\n\n".encode())

    def tag(self, name: str, mark: int, when: int) -> None:
        body = f"Release {name}\n".encode()
        self.out.write(f"tag {name}\nfrom :{mark}\ntagger Rel <rel@example.com> {when} +0000\n"
                       f"data {len(body)}\n".encode() + body + b"\n")

    def finish(self) -> None:
        self.out.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")
        for args in (["symbolic-ref", "HEAD", "refs/heads/main"], ["pack-refs", "--all", "--prune"],
                     ["repack", "-adq"], ["commit-graph", "write", "--reachable", "--no-progress"]):
            subprocess.run(["git", "-C", str(self.path), *args], check=True)


def tags(f: FastImport, n: int) -> None:
    commits = 20_000
    start = END - commits * HOUR
    mark = 0
    every = max(1, commits // n)
    tagged = 0
    for i in range(commits):
        mark = f.commit("refs/heads/main", start + i * HOUR, f"Change {i}", [mark] if mark else [])
        if i % every == every - 1 and tagged < n:
            f.tag(f"v{1 + tagged // 1000}.{tagged // 10 % 100}.{tagged % 10}", mark, start + i * HOUR + 60)
            tagged += 1


def pulls(f: FastImport, n: int) -> None:
    start = END - n * 2 * HOUR
    trunk = f.commit("refs/heads/main", start, "Initial", [])
    for pr in range(1, n + 1):
        at = start + pr * 2 * HOUR
        head = f.commit(f"refs/heads/topic-{pr}", at - HOUR, f"Work for #{pr}", [trunk],
                        who=f"Dev {pr % 40} <dev{pr % 40}@example.com>")
        f.ref(f"refs/pull/{pr}/head", head)
        f.out.write(f"reset refs/heads/topic-{pr}\n\n".encode())  # the branch itself is deleted
        trunk = f.commit("refs/heads/main", at - 1800, f"Direct change {pr}", [trunk])
        if pr % 3:
            trunk = f.commit("refs/heads/main", at, f"Merge pull request #{pr} from acme/topic-{pr}\n\nWork",
                             [trunk, head], files={}, who="GitHub <noreply@github.com>")


def lines(f: FastImport, n: int) -> None:
    rounds = 40
    start = END - rounds * n * 6 * HOUR
    at = start
    trunk = f.commit("refs/heads/main", at, "Initial", [])
    tips = {}
    for i in range(n):
        at += 60
        tips[i] = f.commit(f"refs/heads/stable-{i}", at, f"Open stable-{i}", [trunk])
    for r in range(rounds):
        for i in range(n):
            for c in range(2):
                at += HOUR
                tips[i] = f.commit(f"refs/heads/stable-{i}", at, f"Fix {r}.{c} on stable-{i}", [tips[i]])
            at += HOUR
            trunk = f.commit("refs/heads/main", at, f"Merge branch 'stable-{i}'", [trunk, tips[i]], files={})
            at += HOUR
            tips[i] = f.commit(f"refs/heads/stable-{i}", at, f"Merge branch 'main' into stable-{i}", [tips[i], trunk],
                               files={})


def branches(f: FastImport, n: int, end: int = END) -> int:
    base = 5000
    start = end - (base + 2 * n) * 600
    marks = []
    mark = 0
    for i in range(base):
        mark = f.commit("refs/heads/main", start + i * 600, f"Change {i}", [mark] if mark else [])
        marks.append(mark)
    at = start + base * 600
    for b in range(n):
        fork = marks[-1 - (b * 7) % 1000]
        at += 300
        first = f.commit(f"refs/heads/work-{b}", at, f"Start work {b}", [fork], files={f"w/{b}.txt": b"a\n"})
        at += 300
        f.commit(f"refs/heads/work-{b}", at, f"More work {b}", [first], files={f"w/{b}.txt": b"a\nb\n"})
    return marks[-1]


def stale(f: FastImport, n: int) -> None:
    """`branches`, a year older: every branch stale (no commit for 90 days), then 100 days of trunk commits."""
    trunk = branches(f, n, end=END - 365 * 24 * HOUR)
    for day in range(100):
        trunk = f.commit("refs/heads/main", END - (99 - day) * 24 * HOUR, f"Later change {day}", [trunk])


def trailers(f: FastImport, n: int) -> None:
    """20 squash commits whose bodies hold n squashed-commit lines closing an issue each and n/2
    cherry-pick trailers (a backport branch squashed): a list searched for each line once made 18k cost 75 s."""
    at = END - 100 * HOUR
    trunk = f.commit("refs/heads/main", at, "Initial", [])
    for k in range(20):
        at += HOUR
        body = "\n".join(f"* commit {j} fixes #{j + 1}" for j in range(n))
        body += "\n" + "\n".join(f"(cherry picked from commit {k * n + j:040x})" for j in range(n // 2))
        trunk = f.commit("refs/heads/main", at, f"Squash {k} (#{k + 1})\n\n{body}", [trunk])


def octopus(f: FastImport, n: int) -> None:
    start = END - n * 10 * HOUR
    at = start
    trunk = f.commit("refs/heads/main", at, "Initial", [])
    for m in range(n):
        heads = []
        for t in range(3 + m % 6):
            at += 600
            heads.append(f.commit(f"refs/heads/topic-{m}-{t}", at, f"Topic {m}.{t}", [trunk],
                                  files={f"t/{m}-{t}.txt": b"x\n"}))
        at += HOUR
        names = ", ".join(f"'topic-{m}-{t}'" for t in range(len(heads)))
        trunk = f.commit("refs/heads/main", at, f"Merge branches {names}", [trunk, *heads], files={})
        for t in range(len(heads)):
            f.out.write(f"reset refs/heads/topic-{m}-{t}\n\n".encode())
        at += HOUR
        trunk = f.commit("refs/heads/main", at, f"Change {m}", [trunk])


def monorepo(f: FastImport, n: int) -> None:
    small = 2000
    start = END - (small + 10) * HOUR
    mark = 0
    for i in range(small + 10):
        files = None
        if i % (small // 10) == 0 and i // (small // 10) < 10:
            k = i // (small // 10)
            files = {f"vendor/drop-{k}.txt": b"".join(b"vendored line %d of drop %d\n" % (j, k) for j in range(n))}
        mark = f.commit("refs/heads/main", start + i * HOUR, f"Change {i}", [mark] if mark else [], files=files)


SHAPES: dict[str, Callable[[FastImport, int], None]] = {
    "tags": tags, "pulls": pulls, "lines": lines, "branches": branches, "stale": stale, "trailers": trailers, "octopus": octopus, "monorepo": monorepo,
}


def build(shape: str, size: int, path: Path) -> None:
    f = FastImport(path)
    SHAPES[shape](f, size)
    f.finish()


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in SHAPES:
        print(__doc__, file=sys.stderr)
        return 2
    build(argv[0], int(argv[1]), Path(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
