"""Which paths a few commits changed, and who most often changes a path: read from git, never written.

The plan asks code owners to review only the paths the failure fixes (reverts, hotfixes) changed.
The scan names those few commits; this module reads what each changed against its first parent
(pygit2, tree against tree, no file content), and who authored the commits that touched a path
in the window (`git log -- PATH`, which uses the commit-graph's path filters when there are some).
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pygit2

from advisor.errors import AdvisorError
from advisor.gitread import _git_env, open_repository

AUTHORS_TIMEOUT_SECONDS = 30


def changed_paths(git_dir: Path, commits: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Commit -> the paths it changed against its first parent (a root commit: all its files).

    A commit git cannot read (gone, shallow) is left out, never an error. What a commit changed is
    fixed by its id, in any repository: it is remembered (backfill asks about the same fixes at every date).
    """
    wanted = list(dict.fromkeys(commits))
    missing = [sha for sha in wanted if sha not in _CHANGED]
    if missing:
        _CHANGED.update(_read_changed_paths(git_dir, missing))
    return {sha: _CHANGED[sha] for sha in wanted if sha in _CHANGED}


_CHANGED: dict[str, tuple[str, ...]] = {}  # commit -> the paths it changed (commits git could read)


def _read_changed_paths(git_dir: Path, commits: Sequence[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    try:
        repo = open_repository(git_dir)
    except AdvisorError:
        return {}
    for sha in commits:
        try:
            commit = repo[pygit2.Oid(hex=sha)].peel(pygit2.Commit)
            if commit.parents:
                diff = commit.parents[0].tree.diff_to_tree(commit.tree)
            else:
                diff = commit.tree.diff_to_tree(swap=True)
        except (KeyError, ValueError, TypeError, pygit2.GitError):
            continue
        paths = set()
        for delta in diff.deltas:
            for path in (delta.old_file.path, delta.new_file.path):
                if path:
                    paths.add(path)
        found[sha] = tuple(sorted(paths))
    return found


def frequent_authors(git_dir: Path, tip: str, since: datetime, until: datetime,
                     places: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
    """Place -> (name, email, commits) of the people who authored non-merge commits changing it in
    [since, until) reachable from `tip`, most first; names and emails as .mailmap maps them.

    A place is a file ("lib/url.c") or a directory ("lib/"). One `git log`, whatever their number.
    """
    if not places:
        return {}
    pathspecs = [place.rstrip("/") for place in places]
    command = ["git", "--git-dir", str(git_dir), "--literal-pathspecs", "-c", "log.mailmap=true",
               "-c", "log.showSignature=false", "-c", "core.quotePath=false", "log", "--no-merges", "-z",
               "--name-only", "--format=%x01%aN%x00%aE", f"--since=@{int(since.timestamp())}",
               f"--until=@{int(until.timestamp())}", tip, "--", *pathspecs]
    try:
        done = subprocess.run(command, capture_output=True, env=_git_env(), check=False,
                              timeout=AUTHORS_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if done.returncode != 0:
        return {}
    counts: dict[str, Counter[tuple[str, str]]] = {place: Counter() for place in places}
    for record in done.stdout.decode("utf-8", "surrogateescape").split("\x01")[1:]:
        fields = [f.strip("\n") for f in record.split("\0")]
        if len(fields) < 2:
            continue
        who = (fields[0], fields[1])
        files = [f for f in fields[2:] if f]
        for place in places:
            if any(f.startswith(place) if place.endswith("/") else f == place for f in files):
                counts[place][who] += 1
    return {place: [(name, email, n) for (name, email), n in sorted(found.items(), key=lambda i: (-i[1], i[0]))]
            for place, found in counts.items()}
