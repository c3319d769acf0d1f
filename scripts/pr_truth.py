"""Reconstruction against the truth a host's pull-request refs keep, with and without those refs.

Usage: python scripts/pr_truth.py MIRROR [MIRROR ...]   (prints a Markdown table)
       python scripts/pr_truth.py --json MIRROR ...      (one JSON record per mirror)

A mirror of a GitHub (or GitLab) repository holds every pull request's head as
refs/pull/N/head (refs/merge-requests/N/head). From those heads and the trunk's
first-parent chain alone, without advisor's reconstruction, each PR merged into
the trunk gets a true method, commit count and lifetime:

* merge: the PR head is a non-first parent of a trunk first-parent merge M.
  Its commits are those M brought to the trunk reachable from the head
  (`git rev-list M^1..head`), its lifetime M's committer time minus their
  first author time.
* squash: the head is not in the trunk, and a single-parent trunk commit S
  names the PR ("Title (#N)", GitLab's "See merge request …!N"). Its commits
  are the head's commits the trunk does not have (`git rev-list head --not
  trunk`), its lifetime S's committer time minus their first author time.
* fast-forward: the head is itself a trunk first-parent commit and no merge
  or squash names it (commits and lifetime not judged: the run is ambiguous).

PRs merged elsewhere first (into a feature branch or another line), closed
unmerged, or rebase-merged (no PR number survives) are not in the truth.

Advisor is then run on the mirror, and on a copy without the pull-request
refs: a temporary bare repository whose object store is the mirror's (an
alternate, read-only) and which holds every ref but refs/pull/* and
refs/merge-requests/* — what a plain `git clone` has. Nothing is written to
the mirror. For each PR of the truth: recall (an episode on the trunk names
the PR or holds its head), method agreement, lifetime within 5 % (or 60 s),
commit-count agreement, and the share whose lifetime advisor reports as unknown.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from advisor import gitread, history
from advisor.model import CommitGraph, Episode, History, RefKind

_NONE = -1
_SQUASH_NUMBER = re.compile(r"\((?:#|!)([0-9]+)\)\s*$")
_MERGE_REQUEST = re.compile(r"See merge request \S*!([0-9]+)")
NOW = datetime(2100, 1, 1, tzinfo=timezone.utc)  # only dates anomalies


@dataclass(frozen=True, slots=True)
class TruePr:
    number: int
    head: str
    method: str  # merge, squash, fast-forward
    commits: int | None
    lifetime: int | None  # seconds
    landed: str  # the line commit that merged it
    line: str


def _reach(graph: CommitGraph, start: int, arrival: list[int], value: int) -> list[int]:
    """Commits reachable from `start` whose arrival equals `value`."""
    seen = {start}
    stack = [start]
    found = []
    while stack:
        commit = stack.pop()
        if arrival[commit] != value:
            continue
        found.append(commit)
        for parent in graph.parents[commit]:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return found


def _pr_number(graph: CommitGraph, commit: int) -> int | None:
    match = _SQUASH_NUMBER.search(graph.subject[commit])
    if match:
        return int(match.group(1))
    for line in graph.trailers.get(commit, ()):
        if found := _MERGE_REQUEST.search(line):
            return int(found.group(1))
    return None


def _chain(graph: CommitGraph, tip: int) -> list[int]:
    chain: list[int] = []
    commit: int | None = tip
    while commit is not None:
        chain.append(commit)
        commit = graph.parents[commit][0] if graph.parents[commit] else None
    chain.reverse()
    return chain


def truth(graph: CommitGraph, lines: dict[str, int]) -> list[TruePr]:
    """Every PR whose head ref shows how it reached one of `lines` (name -> tip), read from the graph
    alone; a PR that reached two lines counts on the one it reached first."""
    heads = {ref.pr: ref.target for ref in graph.refs if ref.kind is RefKind.PULL and ref.pr is not None}
    best: dict[int, TruePr] = {}
    when: dict[int, int] = {}
    for line, tip in lines.items():
        chain = _chain(graph, tip)
        position = {c: i for i, c in enumerate(chain)}
        arrival = history._trunk_arrival(graph, chain)  # commit -> trunk position at which it arrived
        merged_by: dict[int, int] = {}
        squash_of: dict[int, int] = {}
        for commit in chain:
            parents = graph.parents[commit]
            if len(parents) > 1:
                for parent in parents[1:]:
                    merged_by.setdefault(parent, commit)
            elif (number := _pr_number(graph, commit)) is not None:
                squash_of.setdefault(number, commit)
        for number, head in sorted(heads.items()):
            found = None
            landed = merged_by.get(head)
            if landed is not None:
                commits = _reach(graph, head, arrival, arrival[landed])
                first = min(graph.author_time[c] for c in commits)
                found = TruePr(number, graph.shas[head], "merge", len(commits),
                               graph.commit_time[landed] - first, graph.shas[landed], line)
            elif arrival[head] == _NONE and number in squash_of:
                landed = squash_of[number]
                commits = _reach(graph, head, arrival, _NONE)
                if commits:
                    first = min(graph.author_time[c] for c in commits)
                    found = TruePr(number, graph.shas[head], "squash", len(commits),
                                   graph.commit_time[landed] - first, graph.shas[landed], line)
            elif head in position and number not in squash_of:
                # The head became a commit of the line: a fast-forward, or (a merge commit made on the
                # branch, then fast-forwarded) a merge whose extent the refs do not tell.
                landed = head
                method = "fast-forward" if len(graph.parents[head]) <= 1 else "merge"
                found = TruePr(number, graph.shas[head], method, None, None, graph.shas[head], line)
            if found is not None and landed is not None and (
                    number not in when or graph.commit_time[landed] < when[number]):
                best[number], when[number] = found, graph.commit_time[landed]
    return [best[n] for n in sorted(best)]


@dataclass(frozen=True, slots=True)
class Agreement:
    prs: int
    recalled: int
    method: int
    lifetime_within_5pct: int
    lifetime_judged: int  # true PRs with a lifetime that advisor recalled
    lifetime_unknown: int  # of those, advisor says unknown
    commits: int
    commits_judged: int
    lifetime_error_p50_hours: float | None  # median |advisor - truth| over the recalled with a lifetime


def compare(prs: Sequence[TruePr], result: History, misses: list[str] | None = None) -> Agreement:
    """How many of `prs` `result` found and got right; `misses` collects one line per disagreement."""
    by_pr: dict[tuple[str, int], Episode] = {}
    by_commit: dict[tuple[str, str], Episode] = {}
    for episode in result.episodes:
        if episode.pr is not None:
            by_pr.setdefault((episode.target, episode.pr), episode)
        for sha in episode.commits:
            by_commit.setdefault((episode.target, sha), episode)
        by_commit.setdefault((episode.target, episode.id.split(":")[0]), episode)
    # A release PR (develop into master) is a line merge: a batch with its own size and age.
    line_merges = {(m.target, m.commit): m for m in result.line_merges}
    line_prs = {(m.target, m.pr): m for m in result.line_merges if m.pr is not None}
    recalled = method = within = judged = unknown = commits = commits_judged = 0
    errors = []
    for pr in prs:
        found = (by_pr.get((pr.line, pr.number)) or by_commit.get((pr.line, pr.head))
                 or by_commit.get((pr.line, pr.landed)))
        batch = line_prs.get((pr.line, pr.number)) or line_merges.get((pr.line, pr.landed))
        if found is None and batch is None:
            if misses is not None:
                misses.append(f"#{pr.number} {pr.method} into {pr.line} at {pr.landed[:10]}: not found")
            continue
        recalled += 1
        if found is None:
            assert batch is not None
            got_method, got_commits, unknown_lifetime, what = "merge", batch.commits, False, "line merge"
            seconds = (None if batch.first_commit_at is None
                       else int((batch.merged_at - batch.first_commit_at).total_seconds()))
        else:
            got_method, what = found.method.value, f"episode {found.id[:10]}"
            got_commits = found.landed_commits if found.landed_commits is not None else len(found.commits)
            seconds, unknown_lifetime = found.lifetime_seconds, found.lifetime_unknown
            if found.landed_first_commit_at is not None:  # a batch: its age from the first commit it carried
                seconds = int((found.merged_at - found.landed_first_commit_at).total_seconds())
        method += got_method == pr.method
        if misses is not None and (got_method != pr.method or (pr.commits is not None and got_commits != pr.commits)):
            misses.append(f"#{pr.number} {pr.method} into {pr.line} at {pr.landed[:10]}: truth {pr.commits} commits "
                          f"{(pr.lifetime or 0) / 3600:.1f} h; advisor {got_method} {got_commits} "
                          f"commits {(seconds or 0) / 3600:.1f} h ({what})")
        if pr.commits is not None:
            commits_judged += 1
            commits += got_commits == pr.commits
        if pr.lifetime is not None:
            judged += 1
            if seconds is None:
                unknown += unknown_lifetime
                continue
            within += abs(seconds - pr.lifetime) <= max(60, 0.05 * abs(pr.lifetime))
            errors.append(abs(seconds - pr.lifetime) / 3600)
    errors.sort()
    return Agreement(prs=len(prs), recalled=recalled, method=method, lifetime_within_5pct=within,
                     lifetime_judged=judged, lifetime_unknown=unknown, commits=commits, commits_judged=commits_judged,
                     lifetime_error_p50_hours=errors[(len(errors) + 1) // 2 - 1] if errors else None)


def _git(git_dir: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["git", "--git-dir", str(git_dir), *args], input=stdin, capture_output=True, text=True,
                          check=True)
    return done.stdout


def without_pull_refs(mirror: Path, scratch: Path) -> Path:
    """A bare repository borrowing the mirror's objects, with every ref but the pull-request ones."""
    git_dir = Path(gitread.locate(mirror).git_dir)
    copy = scratch / "plain.git"
    subprocess.run(["git", "init", "-q", "--bare", str(copy)], check=True)
    (copy / "objects" / "info" / "alternates").write_text(str((git_dir / "objects").resolve()) + "\n")
    refs = _git(git_dir, "for-each-ref", "--format=%(objectname) %(refname)")
    kept = [line.split(" ", 1) for line in refs.splitlines()
            if line and not line.split(" ", 1)[1].startswith(("refs/pull/", "refs/merge-requests/"))]
    (copy / "packed-refs").write_text("# pack-refs with: sorted\n"
                                      + "".join(f"{sha} {name}\n" for sha, name in sorted(kept, key=lambda k: k[1])))
    head = subprocess.run(["git", "--git-dir", str(git_dir), "symbolic-ref", "-q", "HEAD"], capture_output=True,
                          text=True, check=False).stdout.strip()
    if head:
        _git(copy, "symbolic-ref", "HEAD", head)
    return copy


def measure(mirror: Path, extra_lines: Sequence[str] = (), misses: list[str] | None = None) -> dict[str, object]:
    """`extra_lines`: branches besides the trunk that PRs target (a Gitflow project's develop)."""
    started = time.perf_counter()
    graph = gitread.load(mirror)
    options = history.HistoryOptions()
    with_refs = history.reconstruct(graph, options, NOW)
    tips = {ref.short: ref.target for ref in graph.refs if ref.kind is RefKind.LOCAL}
    lines = {with_refs.trunk.name: graph.shas.index(with_refs.trunk.tip)}
    lines.update({name: tips[name] for name in extra_lines if name in tips})
    prs = truth(graph, lines)
    with tempfile.TemporaryDirectory(prefix="pr-truth-") as scratch:
        plain = without_pull_refs(mirror, Path(scratch))
        plain_graph = gitread.load(plain)
        without = history.reconstruct(plain_graph, options, NOW)
    methods: dict[str, int] = {}
    for pr in prs:
        methods[pr.method] = methods.get(pr.method, 0) + 1
    return {
        "mirror": str(mirror), "lines": sorted(lines), "pull_refs": sum(1 for r in graph.refs
                                                                              if r.kind is RefKind.PULL),
        "truth_prs": len(prs), "truth_methods": methods,
        "with_refs": asdict(compare(prs, with_refs, misses)), "without_refs": asdict(compare(prs, without)),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _share(part: int, whole: int) -> str:
    return "-" if not whole else f"{100 * part / whole:.1f}%"


HEADERS = ["mirror", "lines", "truth PRs (merge/squash/ff)", "refs", "recall", "method", "lifetime ±5%", "lifetime unknown",
           "median error", "commits"]


def rows(record: dict[str, object]) -> list[list[str]]:
    methods = record["truth_methods"]
    assert isinstance(methods, dict)
    mix = "/".join(str(methods.get(m, 0)) for m in ("merge", "squash", "fast-forward"))
    out = []
    for label in ("with_refs", "without_refs"):
        a = record[label]
        assert isinstance(a, dict)
        error = a["lifetime_error_p50_hours"]
        out.append([
            Path(str(record["mirror"])).parent.name.replace("+", "/") if label == "with_refs" else "",
            ", ".join(str(n) for n in record["lines"]) if label == "with_refs" else "",  # type: ignore[attr-defined]
            f"{record['truth_prs']} ({mix})" if label == "with_refs" else "",
            "with" if label == "with_refs" else "without",
            _share(a["recalled"], a["prs"]), _share(a["method"], a["recalled"]),
            _share(a["lifetime_within_5pct"], a["lifetime_judged"]), _share(a["lifetime_unknown"], a["lifetime_judged"]),
            "-" if error is None else f"{error:.1f} h", _share(a["commits"], a["commits_judged"]),
        ])
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mirrors", nargs="+", metavar="MIRROR[:LINE,...]",
                        help="a mirror, optionally with the branches besides the trunk that PRs target")
    parser.add_argument("--json", action="store_true", help="one JSON record per mirror instead of the table")
    parser.add_argument("--misses", type=int, default=0, metavar="N",
                        help="print up to N PRs advisor (with the refs) misses or gets wrong, to stderr")
    args = parser.parse_args(argv)
    records = []
    for spec in args.mirrors:
        path, _, extra = spec.partition(":")
        mirror = Path(path)
        misses: list[str] = []
        record = measure(mirror, [name for name in extra.split(",") if name], misses)
        for line in misses[:args.misses]:
            print(f"  {line}", file=sys.stderr)
        records.append(record)
        if args.json:
            print(json.dumps(record, sort_keys=True), flush=True)
        else:
            print(f"measured {mirror} in {record['seconds']} s", file=sys.stderr, flush=True)
    if not args.json:
        print("| " + " | ".join(HEADERS) + " |")
        print("|" + "---|" * len(HEADERS))
        for record in records:
            for cells in rows(record):
                print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
