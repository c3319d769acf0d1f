"""Read a repository, never write to it: refs, the commit graph, line stats, trial merges.

This is the only module that touches git. Refs, objects and trial merges go
through pygit2; the bulk commit listing and line statistics are streamed from
`git log`, which is several times faster than walking commits one by one
through Python objects and applies `.mailmap` the way git users expect.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pygit2

from advisor.errors import (
    AdvisorError,
    CorruptObject,
    EmptyRepository,
    GitFailed,
    NotARepository,
    ShallowClone,
    UnbornHead,
    UnreadablePath,
)
from advisor.merges import TRAILER_PATTERN
from advisor.model import CommitGraph, MergeCheck, Ref, RefKind

Progress = Callable[[int], None]

_FIELDS = ("%H", "%P", "%at", "%ad", "%ct", "%cd", "%aN", "%aE", "%cN", "%cE", "%s", "%b")
_LOG_FORMAT = "%x1f".join(_FIELDS)
_PULL_REF = re.compile(r"^refs/(?:pull|merge-requests)/(\d+)/head$")
# Environment for every git subprocess: no pager, no locks taken, no prompts,
# and no system or user config that could make a read write or run something.
_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY")


@dataclass(frozen=True, slots=True)
class RepoLocation:
    git_dir: Path
    work_tree: Path | None


def locate(path: Path) -> RepoLocation:
    """Find the repository containing `path` (a worktree, a bare repo or a subfolder)."""
    if not path.exists():
        raise UnreadablePath(f"{path} does not exist.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise UnreadablePath(f"{path} cannot be read: permission denied.")
    try:
        found = pygit2.discover_repository(str(path))
    except pygit2.GitError as error:
        raise NotARepository(f"{path} is not inside a git repository ({error}).") from None
    if found is None:
        raise NotARepository(f"{path} is not inside a git repository.")
    repo = _open(Path(found))
    work_tree = None if repo.is_bare or repo.workdir is None else Path(repo.workdir)
    return RepoLocation(git_dir=Path(repo.path), work_tree=work_tree)


def _open(git_dir: Path) -> pygit2.Repository:
    if not os.access(git_dir, os.R_OK | os.X_OK):
        raise UnreadablePath(f"{git_dir} cannot be read: permission denied.")
    try:
        return pygit2.Repository(str(git_dir), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
    except pygit2.GitError as error:
        message = str(error)
        if "owner" in message:
            raise NotARepository(
                f"{git_dir} is owned by another user; if you trust it, run "
                f"`git config --global --add safe.directory {git_dir}`."
            ) from None
        raise NotARepository(f"{git_dir} cannot be opened as a git repository ({message}).") from None


RawRef = tuple[str, str, str | None, int | None, int | None]


def read_refs(repo: pygit2.Repository) -> tuple[list[RawRef], str | None, str | None]:
    """(full name, commit sha, remote, tag time, tag offset) for every ref that reaches a commit,
    then what HEAD and the remote's HEAD point at."""
    found: list[RawRef] = []
    remote_names = sorted((str(n) for n in repo.remotes.names() if n), key=len, reverse=True)
    remote_head: str | None = None
    for name in repo.references:
        if name.startswith(("refs/notes/", "refs/stash", "refs/original/", "refs/replace/")):
            continue
        try:
            ref = repo.references[name]
            if ref.type == pygit2.enums.ReferenceType.SYMBOLIC:
                if name.endswith("/HEAD") and name.startswith("refs/remotes/"):
                    if name == "refs/remotes/origin/HEAD" or remote_head is None:
                        remote_head = str(ref.target)
                continue
            obj = repo.get(ref.target)
            tag_time = tag_offset = None
            if isinstance(obj, pygit2.Tag):
                if obj.tagger is not None:
                    tag_time, tag_offset = obj.tagger.time, obj.tagger.offset
                commit = obj.peel(pygit2.Commit)
            elif isinstance(obj, pygit2.Commit):
                commit = obj
            else:
                continue
        except (pygit2.GitError, KeyError, ValueError, pygit2.InvalidSpecError):
            continue  # a tag of a tree or blob, or a ref to a missing object
        remote = None
        if name.startswith("refs/remotes/"):
            rest = name[len("refs/remotes/"):]
            remote = next((r for r in remote_names if rest.startswith(r + "/")), rest.split("/", 1)[0])
        found.append((name, str(commit.id), remote, tag_time, tag_offset))
    head_ref: str | None = None
    if not repo.head_is_detached:
        try:
            head_ref = str(repo.lookup_reference("HEAD").target)
        except (KeyError, pygit2.GitError):
            head_ref = None
    return found, head_ref, remote_head


def classify_ref(name: str, remote: str | None) -> tuple[RefKind, str, int | None]:
    if name.startswith("refs/heads/"):
        return RefKind.LOCAL, name[len("refs/heads/"):], None
    if name.startswith("refs/remotes/") and remote is not None:
        return RefKind.REMOTE, name[len("refs/remotes/") + len(remote) + 1:], None
    if name.startswith("refs/tags/"):
        return RefKind.TAG, name[len("refs/tags/"):], None
    pull = _PULL_REF.match(name)
    if pull:
        return RefKind.PULL, name, int(pull.group(1))
    return RefKind.OTHER, name, None


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env.update(
        GIT_OPTIONAL_LOCKS="0",
        GIT_PAGER="cat",
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        LC_ALL="C",
    )
    return env


def _git(git_dir: Path, *args: str, work_tree: Path | None = None) -> list[str]:
    # The work tree only tells git where .mailmap is; nothing in it is read or written otherwise.
    tree = ["--work-tree", str(work_tree)] if work_tree is not None else []
    return [
        "git", "--git-dir", str(git_dir), *tree,
        "-c", "log.showSignature=false", "-c", "core.quotePath=false", "-c", "log.mailmap=true",
        *args,
    ]


def _offset_minutes(text: str) -> int:
    if len(text) != 5:
        return 0
    sign = -1 if text[0] == "-" else 1
    return sign * (int(text[1:3]) * 60 + int(text[3:5]))


def load(path: Path, *, allow_shallow: bool = False, progress: Progress | None = None) -> CommitGraph:
    """Every commit reachable from a ref, with the refs themselves."""
    location = locate(path)
    repo = _open(location.git_dir)
    if repo.is_empty:
        raise EmptyRepository(f"{path} has no commits yet: there is no history to scan.")
    raw_refs, head_ref, remote_head = read_refs(repo)
    head_target: str | None = None
    if repo.head_is_unborn:
        if not raw_refs:
            raise UnbornHead(f"{path} has no commits on any branch (HEAD is unborn).")
    else:
        try:
            head_target = str(repo.head.target)
        except pygit2.GitError:
            head_target = None
    shallow = bool(repo.is_shallow)
    if shallow and not allow_shallow:
        raise ShallowClone(
            f"{path} is a shallow clone: its older history is missing. Run "
            "`git fetch --unshallow` for a faithful scan, or pass --allow-shallow to scan what is there."
        )
    tips = sorted({sha for _, sha, _, _, _ in raw_refs} | ({head_target} if head_target else set()))
    if not tips:
        raise EmptyRepository(f"{path} has no branches or tags that point at commits.")
    graph = CommitGraph(shallow=shallow)
    _stream_commits(location, tips, graph, progress)
    index = {sha: i for i, sha in enumerate(graph.shas)}
    refs = []
    for name, sha, remote, tag_time, tag_offset in raw_refs:
        if sha not in index:
            continue
        kind, short, pr = classify_ref(name, remote)
        refs.append(Ref(name=name, kind=kind, short=short, target=index[sha], remote=remote,
                        tag_time=tag_time, tag_offset=tag_offset, pr=pr))
    graph.refs = tuple(sorted(refs, key=lambda r: r.name))
    graph.head_ref = head_ref
    graph.head_target = index.get(head_target) if head_target else None
    graph.remote_head = remote_head
    return graph


def _stream_commits(location: RepoLocation, tips: Sequence[str], graph: CommitGraph,
                    progress: Progress | None) -> None:
    """Parse `git log` while it runs: git and Python each get a core."""
    git_dir = location.git_dir
    command = _git(git_dir, "log", "--stdin", "--no-color", "-z", "--date=format:%z",
                   f"--format={_LOG_FORMAT}", work_tree=location.work_tree)
    parent_text: list[str] = []
    people: dict[tuple[str, str], int] = {}
    try:
        # git looks for .mailmap relative to where it runs.
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_git_env(), cwd=location.work_tree or git_dir)
    except FileNotFoundError:
        raise GitFailed("git is not installed or not on PATH; advisor needs it to read history.") from None
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(("\n".join(tips) + "\n").encode())
    proc.stdin.close()
    for record in _records(proc.stdout):
        fields = record.split("\x1f", 11)
        if len(fields) != 12:
            continue
        sha, parents, at, ad, ct, cd, an, ae, cn, ce, subject, body = fields
        graph.shas.append(sha)
        parent_text.append(parents)
        graph.author_time.append(int(at))
        graph.author_offset.append(_offset_minutes(ad))
        graph.commit_time.append(int(ct))
        graph.commit_offset.append(_offset_minutes(cd))
        graph.author.append(people.setdefault((an, ae), len(people)))
        graph.committer.append(people.setdefault((cn, ce), len(people)))
        graph.subject.append(subject)
        if body:
            lines = tuple(m.group(0).strip() for m in TRAILER_PATTERN.finditer(body))
            if lines:
                graph.trailers[len(graph.shas) - 1] = lines
        if progress is not None and len(graph.shas) % 5000 == 0:
            progress(len(graph.shas))
    stderr = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        raise _git_error(git_dir, stderr)
    graph.people = list(people)
    index = {sha: i for i, sha in enumerate(graph.shas)}
    missing = 0
    for text in parent_text:
        ids = []
        for parent in text.split():
            found = index.get(parent)
            if found is None:
                missing += 1
            else:
                ids.append(found)
        graph.parents.append(tuple(ids))
    graph.missing_parents = missing


def _records(stream: Iterable[bytes]) -> Iterator[str]:
    tail = b""
    read = getattr(stream, "read")
    while True:
        chunk = read(1 << 20)
        if not chunk:
            break
        parts = (tail + chunk).split(b"\0")
        tail = parts.pop()
        for part in parts:
            yield part.decode("utf-8", errors="replace").lstrip("\n")
    if tail.strip():
        yield tail.decode("utf-8", errors="replace").lstrip("\n")


def _git_error(git_dir: Path, stderr: str) -> AdvisorError:
    first = next((line for line in stderr.splitlines() if line.strip()), "unknown error")
    if "dubious ownership" in stderr:
        return NotARepository(
            f"git refuses to read {git_dir} because another user owns it; if you trust it, run "
            f"`git config --global --add safe.directory {git_dir}`."
        )
    if any(word in stderr.lower() for word in ("bad object", "corrupt", "missing", "unable to read", "could not read",
                                               "invalid", "inflate", "unknown object")):
        return CorruptObject(f"The repository at {git_dir} has a corrupt or missing object: {first}")
    return GitFailed(f"git could not read {git_dir}: {first}")


def _parse_shortstat(line: str) -> tuple[int, int]:
    added = deleted = 0
    for part in line.split(","):
        words = part.split()
        if len(words) >= 2 and words[1].startswith("insertion"):
            added = int(words[0])
        elif len(words) >= 2 and words[1].startswith("deletion"):
            deleted = int(words[0])
    return added, deleted


def _stats_chunk(git_dir: Path, shas: Sequence[str]) -> dict[str, tuple[int, int]]:
    command = _git(git_dir, "log", "--no-walk=unsorted", "--stdin", "--no-color", "--no-ext-diff",
                   "--no-renames", "--format=%x00%H", "--shortstat")
    done = subprocess.run(command, input=("\n".join(shas) + "\n").encode(), capture_output=True,
                          env=_git_env(), check=False)
    if done.returncode != 0:
        raise _git_error(git_dir, done.stderr.decode(errors="replace"))
    result: dict[str, tuple[int, int]] = {}
    for block in done.stdout.decode("utf-8", errors="replace").split("\0")[1:]:
        lines = block.strip().splitlines()
        if not lines:
            continue
        result[lines[0]] = _parse_shortstat(lines[-1]) if len(lines) > 1 else (0, 0)
    return result


def line_stats(git_dir: Path, shas: Sequence[str], workers: int = 2) -> dict[str, tuple[int, int]]:
    """Lines (added, deleted) of each commit against its first parent; merges count zero."""
    if not shas:
        return {}
    size = max(1, -(-len(shas) // workers))
    chunks = [shas[i:i + size] for i in range(0, len(shas), size)]
    result: dict[str, tuple[int, int]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(lambda chunk: _stats_chunk(git_dir, chunk), chunks):
            result.update(part)
    for sha in shas:
        result.setdefault(sha, (0, 0))
    return result


def trial_merges(git_dir: Path, trunk: str, branches: Sequence[tuple[str, str]],
                 budget_seconds: float = 10.0) -> tuple[MergeCheck, ...]:
    """Merge each (name, tip) into the trunk in memory; nothing is written.

    Checks stop when the time budget runs out; the rest are reported unchecked.
    """
    repo = _open(git_dir)
    deadline = time.monotonic() + budget_seconds
    checks = []
    for name, tip in branches:
        if time.monotonic() > deadline:
            checks.append(MergeCheck(branch=name, clean=None, conflicts=()))
            continue
        try:
            index = repo.merge_commits(trunk, tip, flags=pygit2.enums.MergeFlag(0))
        except (pygit2.GitError, KeyError, ValueError):
            checks.append(MergeCheck(branch=name, clean=None, conflicts=()))
            continue
        conflicts = sorted({
            entry.path
            for entries in (index.conflicts or ())
            for entry in entries
            if entry is not None
        })
        checks.append(MergeCheck(branch=name, clean=not conflicts, conflicts=tuple(conflicts)))
    return tuple(checks)


def fingerprint(path: Path, *, allow_shallow: bool = False) -> str:
    """A digest of everything `load` reads: refs, HEAD, shallowness and .mailmap.

    Equal fingerprints mean an equal graph, so a cached reconstruction can be reused.
    """
    import hashlib

    location = locate(path)
    repo = _open(location.git_dir)
    if repo.is_empty:
        raise EmptyRepository(f"{path} has no commits yet: there is no history to scan.")
    raw_refs, head_ref, remote_head = read_refs(repo)
    digest = hashlib.sha256()
    for name, sha, remote, tag_time, _ in sorted(raw_refs):
        digest.update(f"{name}\0{sha}\0{remote}\0{tag_time}\n".encode())
    head = None if repo.head_is_unborn else str(repo.head.target)
    digest.update(f"HEAD\0{head_ref}\0{head}\0{remote_head}\0{repo.is_shallow}\0{allow_shallow}\n".encode())
    mailmap = location.work_tree / ".mailmap" if location.work_tree else None
    if mailmap is not None and mailmap.is_file():
        digest.update(mailmap.read_bytes())
    elif head is not None:
        try:
            entry = repo.revparse_single("HEAD:.mailmap")
            digest.update(str(entry.id).encode())
        except (KeyError, pygit2.GitError, ValueError):
            pass
    return digest.hexdigest()
