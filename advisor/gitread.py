"""Read a repository, never write to it: refs, the commit graph, line stats, CI files.

With `trialmerge` (which merges in memory), the only module that touches git. Refs and objects go
through pygit2; the bulk commit listing and line statistics are streamed from
`git log`, which is several times faster than walking commits one by one
through Python objects and applies `.mailmap` the way git users expect.
"""

from __future__ import annotations

import contextlib
import fcntl
import fnmatch
import itertools
import os
import queue
import re
import stat
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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
from advisor.merges import request_number, trailer_lines
from advisor.model import CommitGraph, Ref, RefKind

Progress = Callable[[int], None]

# --date=raw makes %ad/%cd "epoch +zone": both halves of an aware time, with no date formatting.
_FIELDS = ("%H", "%P", "%ad", "%cd", "%aN%x1e%aE", "%cN%x1e%cE", "%s", "%b")
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
    if not path.is_dir():
        raise NotARepository(f"{path} is a file, not a repository; give the folder of a clone, a bare "
                             "repository or a mirror.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise UnreadablePath(f"{path} cannot be read: permission denied.")
    try:
        found = pygit2.discover_repository(str(path))
    except pygit2.GitError as error:
        raise NotARepository(f"{path} is not inside a git repository ({error}).") from None
    if found is None:
        raise NotARepository(f"{path} is not inside a git repository.")
    repo = open_repository(Path(found))
    work_tree = None if _is_bare(repo) or repo.workdir is None else Path(repo.workdir)
    return RepoLocation(git_dir=Path(repo.path), work_tree=work_tree)


def _is_bare(repo: pygit2.Repository) -> bool:
    """Bare as git reads it. A git directory with no core.bare (a mirror snapshot copied without its
    `config` file) is taken by libgit2 for a work tree's, with its parent folder as the work tree;
    git, pointed at it, reads it as bare. Unless it is a work tree's `.git`, a linked worktree's
    folder (its `gitdir` file) or names its work tree (core.worktree), it is bare: nothing is
    written into it to say so."""
    if repo.is_bare:
        return True
    git_dir = Path(repo.path)
    if git_dir.name == ".git" or (git_dir / "gitdir").is_file():
        return False
    config = git_dir / "config"
    if config.is_file():
        settings = pygit2.Config(str(config))
        if "core.bare" in settings or "core.worktree" in settings:
            return False
    return True


def open_repository(git_dir: Path) -> pygit2.Repository:
    if not os.access(git_dir, os.R_OK | os.X_OK):
        raise UnreadablePath(f"{git_dir} cannot be read: permission denied.")
    try:
        return pygit2.Repository(str(git_dir), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
    except pygit2.GitError as error:
        message = str(error)
        if "owned" in message or "owner" in message:  # libgit2: "repository path '...' is not owned by current user"
            # git (and libgit2) match safe.directory against the work tree, or the git directory when bare.
            where = git_dir.parent if git_dir.name == ".git" else git_dir
            raise NotARepository(
                f"{where} is owned by another user; if you trust it, run "
                f"`git config --global --add safe.directory {where}`."
            ) from None
        raise NotARepository(f"{git_dir} cannot be opened as a git repository ({message}).") from None


RawRef = tuple[str, str, str | None, int | None, int | None]
# Refs that are no one's branch: forge test merges, notes, stashes, backups, keep-alives, Gerrit patch sets.
_IGNORED_REFS = ("refs/pull/*/merge", "refs/merge-requests/*/merge", "refs/notes/*", "refs/stash",
                 "refs/original/*", "refs/replace/*", "refs/keep-around/*", "refs/changes/*", "refs/prefetch/*")
_FOR_EACH_REF_FORMAT = "%00".join((
    "%(refname)", "%(objectname)", "%(objecttype)", "%(*objectname)", "%(*objecttype)", "%(taggerdate:raw)",
    "%(symref)",
))


_IGNORED_REF = re.compile("|".join(fnmatch.translate(pattern) for pattern in _IGNORED_REFS))


def _ignored(name: str) -> bool:
    return _IGNORED_REF.match(name) is not None


def _for_each_ref(location: RepoLocation) -> str:
    command = _git(location.git_dir, "for-each-ref", f"--format={_FOR_EACH_REF_FORMAT}")
    try:
        done = subprocess.run(command, capture_output=True, env=_git_env(), check=False, cwd=location.git_dir)
    except FileNotFoundError:
        raise GitFailed("git is not installed or not on PATH; advisor needs it to read history.") from None
    if done.returncode != 0:
        raise _git_error(location.git_dir, done.stderr.decode(errors="replace"))
    return done.stdout.decode("utf-8", errors="replace")


def read_refs(repo: pygit2.Repository, listing: str) -> tuple[list[RawRef], str | None, str | None]:
    """(full name, commit sha, remote, tag time, tag offset) for every ref that reaches a commit,
    then what HEAD and the remote's HEAD point at. `listing` is `git for-each-ref` output."""
    found: list[RawRef] = []
    remote_names = sorted((str(n) for n in repo.remotes.names() if n), key=len, reverse=True)
    remote_head: str | None = None
    for line in listing.splitlines():
        fields = line.split("\0")
        if len(fields) != 7:
            continue
        name, sha, kind, peeled, peeled_kind, tag_date, symref = fields
        if symref:
            if name.startswith("refs/remotes/") and name.endswith("/HEAD"):
                if name == "refs/remotes/origin/HEAD" or remote_head is None:
                    remote_head = symref
            continue
        if _ignored(name):
            continue
        tag_time = tag_offset = None
        if kind == "tag":
            if peeled_kind != "commit":
                continue  # a tag of a tree, a blob or another tag
            sha = peeled
            epoch, _, zone = tag_date.partition(" ")
            if epoch.isdigit():
                tag_time, tag_offset = _epoch(epoch), _offset_minutes(zone)
        elif kind != "commit":
            continue
        remote = None
        if name.startswith("refs/remotes/"):
            rest = name[len("refs/remotes/"):]
            remote = next((r for r in remote_names if rest.startswith(r + "/")), rest.split("/", 1)[0])
        found.append((name, sha, remote, tag_time, tag_offset))
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
    # A number no host hands out (zero, or more digits than int() reads) names no pull request.
    if pull and (number := request_number(pull.group(1))) is not None:
        return RefKind.PULL, name, number
    return RefKind.OTHER, name, None


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env.update(
        GIT_OPTIONAL_LOCKS="0",
        GIT_NO_REPLACE_OBJECTS="1",
        # info/grafts rewrites parents as replace refs do, and may close a cycle no commit can (a root grafted
        # onto its own descendant): git lists each commit once, but every walk of the graph would never end.
        GIT_GRAFT_FILE=os.devnull,
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
        "-c", "i18n.logOutputEncoding=UTF-8",  # read as UTF-8; the repository's config may ask for UTF-16
        *args,
    ]


def _offset_minutes(text: str) -> int:
    """'+0130' -> 90; anything else (no zone, garbage, a day or more) -> 0, UTC."""
    if len(text) != 5 or text[0] not in "+-" or not text[1:].isdigit():
        return 0
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    if minutes >= 24 * 60:
        return 0
    return -minutes if text[0] == "-" else minutes


# The latest time every zone can show before year 9999 ends (datetime's limit): 9999-12-30 UTC.
LATEST_EPOCH = 253_402_128_000
_RAW_STAMP = re.compile(r"(\d+) ([+-]\d{4})")


def _epoch(text: str) -> int:
    """A commit or tag time as git prints it raw, held inside what a datetime can show."""
    return min(int(text), LATEST_EPOCH)


def _stamps(authored: list[str], committed: list[str],
            offsets: dict[str, int]) -> tuple[list[int], list[int], list[int], list[int]]:
    """(author times, author offsets, commit times, commit offsets) of `--date=raw` stamps.

    git prints an empty stamp for a date it cannot read (negative, garbage, no zone,
    overflowing); such a commit takes its other date, else 1970 (counted as an
    epoch-dated anomaly). Times past year 9999 are held at its end.
    """
    try:
        times = [list(map(int, [stamp[:-6] for stamp in stamps])) for stamps in (authored, committed)]
        if all(not t or (min(t) >= 0 and max(t) <= LATEST_EPOCH) for t in times) and all(
                len(stamp) > 6 and stamp[-6] == " " for stamps in (authored, committed) for stamp in stamps):
            return (times[0], list(map(offsets.__getitem__, [stamp[-5:] for stamp in authored])),
                    times[1], list(map(offsets.__getitem__, [stamp[-5:] for stamp in committed])))
    except ValueError:
        pass
    result: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    for author, committer in zip(authored, committed):
        parsed = [_RAW_STAMP.fullmatch(stamp) for stamp in (author, committer)]
        pairs = [(_epoch(m.group(1)), offsets[m.group(2)]) if m else None for m in parsed]
        first, second = pairs[0] or pairs[1] or (0, 0), pairs[1] or pairs[0] or (0, 0)
        for column, value in zip(result, (*first, *second)):
            column.append(value)
    return result


def _opened(path: Path, allow_shallow: bool) -> tuple[RepoLocation, pygit2.Repository, str | None]:
    """The repository, refused when empty or (unless allowed) shallow, and the commit HEAD names."""
    location = locate(path)
    repo = open_repository(location.git_dir)
    if repo.is_empty:
        raise EmptyRepository(f"{path} has no commits yet: there is no history to scan.")
    if repo.is_shallow and not allow_shallow:
        raise ShallowClone(
            f"{path} is a shallow clone: its older history is missing. Run "
            "`git fetch --unshallow` for a faithful scan, or pass --allow-shallow to scan what is there."
        )
    _refuse_endless_mailmap(location, repo)
    head_target: str | None = None
    if not repo.head_is_unborn:
        try:
            head_target = str(repo.head.target)
        except pygit2.GitError:
            head_target = None
    return location, repo, head_target


def _refuse_endless_mailmap(location: RepoLocation, repo: pygit2.Repository) -> None:
    """git log reads the work tree's `.mailmap` and the file `mailmap.file` names, whatever they are: a FIFO
    waits for a writer forever, /dev/zero never ends. Such a file is refused in one sentence, before git runs."""
    # (file, what to call it, git's remedy, whether git reads it through a symlink)
    candidates = [(location.work_tree / ".mailmap", "the work tree's .mailmap", "remove it", False)] \
        if location.work_tree else []
    configured = _setting(repo, "mailmap.file")
    if configured:
        candidates.append((_mailmap_file(location, configured), f"mailmap.file ({configured})",
                           "unset it (git config --unset mailmap.file) or point it at a file", True))
    for file, what, fix, followed in candidates:
        try:
            if not followed and file.is_symlink():
                continue  # git does not follow an in-tree .mailmap that is a symlink
            mode = file.stat().st_mode
        except (OSError, ValueError):
            continue  # absent or unreadable: git warns and reads on without it
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnreadablePath(f"{what} is {_kind_of(mode)}, not a file: git log would never finish reading "
                                 f"it; {fix} to scan this repository.")


def _setting(repo: pygit2.Repository, name: str) -> str | None:
    try:
        return repo.config[name] or None
    except (KeyError, ValueError, pygit2.GitError):  # unset, or not text
        return None


def _mailmap_file(location: RepoLocation, configured: str) -> Path:
    """The file `mailmap.file` names: `~` expanded, a relative path from where git log runs (the work tree)."""
    named = Path(configured).expanduser()
    return named if named.is_absolute() else (location.work_tree or location.git_dir) / named


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def load(path: Path, *, allow_shallow: bool = False, progress: Progress | None = None) -> CommitGraph:
    """Every commit reachable from a ref, with the refs themselves."""
    location, repo, head_target = _opened(path, allow_shallow)
    graph = CommitGraph(shallow=bool(repo.is_shallow))
    # The two logs start first; the refs are read while they run.
    (raw_refs, head_ref, remote_head), index = _stream_commits(location, repo, graph, progress)
    if repo.head_is_unborn and not raw_refs:
        raise UnbornHead(f"{path} has no commits on any branch (HEAD is unborn).")
    return _with_refs(graph, raw_refs, head_ref, head_target, remote_head, index)


def extend(path: Path, previous: CommitGraph, *, allow_shallow: bool = False,
           progress: Progress | None = None) -> CommitGraph | str:
    """`previous` (a graph `load` read earlier, updated in place) with the commits made since, and today's refs.

    Only the new commits are read: `git log` over every ref, stopped at the refs `previous` saw.
    The result equals a fresh `load` as a set of commits; the new ones come after the old
    ones. When history was rewritten (a ref force-pushed, reset or deleted, so some commit
    of `previous` is no longer reachable), nothing is kept: the answer is a sentence saying
    why, and the caller reads the history again with `load`.
    """
    location, repo, head_target = _opened(path, allow_shallow)
    if repo.is_shallow or previous.shallow:
        return "the repository is shallow, so its history cannot be extended"
    known = len(previous)
    seen = {previous.shas[ref.target] for ref in previous.refs}
    if previous.head_target is not None:
        seen.add(previous.shas[previous.head_target])
    if any(sha not in repo for sha in seen):
        return "commits the last scan saw are gone from the repository (history was rewritten)"
    try:
        (raw_refs, head_ref, remote_head), index = _stream_commits(location, repo, previous, progress,
                                                                   stop_at=sorted(seen))
    except GitFailed:
        return "git could not list the new commits"
    graph = _with_refs(previous, raw_refs, head_ref, head_target, remote_head, index)
    starts = [ref.target for ref in graph.refs]
    if graph.head_target is not None:
        starts.append(graph.head_target)
    if not _all_reached(graph, starts, known):
        return "history was rewritten since the last scan (a branch or tag was force-pushed, reset or deleted)"
    return graph


def _all_reached(graph: CommitGraph, starts: Iterable[int], known: int) -> bool:
    """Whether every commit can be reached from `starts`, when the first `known` commits are a graph
    read earlier and the rest were appended since (no old commit has a new parent).

    Every commit is an ancestor of a commit no other commit names as a parent, so all are reachable
    when those are. The walk from `starts` covers the new commits and stops at the old ones they lead
    to; the old commits no commit names as a parent (the old refs' targets that did not move, or a
    deleted branch's tip) are most often among those, so the old history is walked only as far as
    it takes to find the rest: counting every reachable commit walked all of it (0.3 s on git/git).
    """
    parents = graph.parents
    seen = bytearray(len(graph))
    stack = list(starts)
    frontier = []  # old commits the new ones (or the refs) lead to
    while stack:
        commit = stack.pop()
        if seen[commit]:
            continue
        seen[commit] = 1
        if commit < known:
            frontier.append(commit)
        else:
            stack.extend(parents[commit])
    if seen.find(0, known) != -1:
        return False  # a new commit no ref leads to (listed through a ref the graph does not keep)
    named = set(itertools.chain.from_iterable(parents))
    missing = set(itertools.filterfalse(named.__contains__, range(known))).difference(frontier)
    stack = frontier
    while missing and stack:  # the rest, in the old history: stopped once all are found
        for parent in parents[stack.pop()]:
            if not seen[parent]:
                seen[parent] = 1
                missing.discard(parent)
                stack.append(parent)
    return not missing


class _ShaIndex:
    """sha -> commit index, as `{sha: i for i, sha in enumerate(graph.shas)}` gives it. When the graph was
    extended, only the new commits and the old refs' targets are indexed at first (what a week's new commits
    and refs point at): the whole graph is indexed on the first sha they do not hold (0.07 s at 100k commits)."""

    def __init__(self, graph: CommitGraph, start: int, known: Iterable[int]) -> None:
        self.graph = graph
        shas = graph.shas
        self.complete = start == 0
        self.map = {shas[i]: i for i in known} if start else {}
        self.map.update(zip(shas[start:], range(start, len(shas))))

    def get(self, sha: str) -> int | None:
        found = self.map.get(sha)
        if found is None and not self.complete:
            self.map = dict(zip(self.graph.shas, range(len(self.graph.shas))))
            self.complete = True
            found = self.map.get(sha)
        return found


def _with_refs(graph: CommitGraph, raw_refs: list[RawRef], head_ref: str | None, head_target: str | None,
               remote_head: str | None, index: _ShaIndex) -> CommitGraph:
    refs = []
    for name, sha, remote, tag_time, tag_offset in raw_refs:
        target = index.get(sha)
        if target is None:
            continue
        kind, short, pr = classify_ref(name, remote)
        refs.append(Ref(name=name, kind=kind, short=short, target=target, remote=remote,
                        tag_time=tag_time, tag_offset=tag_offset, pr=pr))
    graph.refs = tuple(sorted(refs, key=lambda r: r.name))
    graph.head_ref = head_ref
    graph.head_target = index.get(head_target) if head_target else None
    graph.remote_head = remote_head
    return graph


def _spawn(location: RepoLocation, args: Sequence[str], stop_at: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """`git log` over every ref but the ignored ones (and HEAD), not below the commits `stop_at`."""
    excludes = [f"--exclude={pattern}" for pattern in _IGNORED_REFS]
    stdin = ["--stdin"] if stop_at else []
    command = _git(location.git_dir, *args, *excludes, "--all", *stdin, work_tree=location.work_tree)
    try:
        # git looks for .mailmap relative to where it runs.
        proc = subprocess.Popen(command, stdin=subprocess.PIPE if stop_at else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_git_env(), cwd=location.work_tree or location.git_dir)
    except FileNotFoundError:
        raise GitFailed("git is not installed or not on PATH; advisor needs it to read history.") from None
    if stop_at:
        assert proc.stdin is not None
        # git reads all of its standard input before it writes anything, so this cannot block on us.
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write("".join(f"^{sha}\n" for sha in stop_at).encode())
            proc.stdin.close()
    return proc


def _finish(proc: subprocess.Popen[bytes], git_dir: Path) -> None:
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0:
        raise _git_error(git_dir, stderr)


class _Interned(dict[str, int]):
    """value -> small integer id, handing out the next id to a value not seen before."""

    def __missing__(self, key: str) -> int:
        value = self[key] = len(self)
        return value


class _Offsets(dict[str, int]):
    """'+0200' -> 120, computed once per distinct zone."""

    def __missing__(self, key: str) -> int:
        value = self[key] = _offset_minutes(key)
        return value


_WIDTH = len(_FIELDS)


def _stream_commits(location: RepoLocation, repo: pygit2.Repository, graph: CommitGraph,
                    progress: Progress | None,
                    stop_at: Sequence[str] = ()) -> tuple[tuple[list[RawRef], str | None, str | None], _ShaIndex]:
    """Parse `git log` while it runs, so git and Python each get a core; the refs
    are listed while git starts. Bodies are only kept in the lines later stages read.
    The commits are appended to `graph` (with `stop_at`, those not reachable from it); with the refs, an
    index of the shas that resolves the refs' targets.

    Each megabyte of output is split into fields in one C call and the fields are
    taken column by column (every 8th), so the per-commit Python work is small.
    """
    proc = _spawn(location, ["log", "--no-color", "-z", "--date=raw", f"--format={_LOG_FORMAT}"], stop_at)
    raw_refs = read_refs(repo, _for_each_ref(location))
    assert proc.stdout is not None
    parent_text: list[str] = []
    people = _Interned({f"{name}\x1e{email}": i for i, (name, email) in enumerate(graph.people)})  # ids given so far
    offsets = _Offsets()
    for text in _chunks(proc.stdout):
        fields = text.replace("\0", "\x1f").split("\x1f")
        if len(fields) % _WIDTH or not set(map(len, fields[0::_WIDTH])) <= {40, 64}:
            fields = _fields_record_by_record(text)  # a subject or body held a \x1f: split the slow way
        first = len(graph.shas)
        graph.shas.extend(fields[0::_WIDTH])
        parent_text.extend(fields[1::_WIDTH])
        author_time, author_offset, commit_time, commit_offset = _stamps(fields[2::_WIDTH], fields[3::_WIDTH],
                                                                         offsets)
        graph.author_time.extend(author_time)
        graph.author_offset.extend(author_offset)
        graph.commit_time.extend(commit_time)
        graph.commit_offset.extend(commit_offset)
        graph.author.extend(map(people.__getitem__, fields[4::_WIDTH]))
        graph.committer.extend(map(people.__getitem__, fields[5::_WIDTH]))
        graph.subject.extend(fields[6::_WIDTH])
        for offset, body in enumerate(fields[7::_WIDTH]):
            if body and (lines := trailer_lines(body)):
                graph.trailers[first + offset] = lines
        if progress is not None:
            progress(len(graph.shas))
    _finish(proc, location.git_dir)
    graph.people = [(name, email) for name, _, email in (key.partition("\x1e") for key in people)]
    # Extended: the old commits a new one names as parent are nearly always the old refs' targets.
    start = len(graph.parents)
    heads = [graph.head_target] if graph.head_target is not None else []
    index = _ShaIndex(graph, start, [r.target for r in graph.refs] + heads if start else ())
    missing = 0
    parents_of = graph.parents
    lookup = index.get
    for text in parent_text:
        if not text:
            parents_of.append(())
        elif " " not in text and (found := lookup(text)) is not None:
            parents_of.append((found,))
        else:
            ids = []
            for parent in text.split():
                found = lookup(parent)
                if found is None:
                    missing += 1
                else:
                    ids.append(found)
            parents_of.append(tuple(ids))
    graph.missing_parents += missing
    return raw_refs, index


def _fields_record_by_record(text: str) -> list[str]:
    fields: list[str] = []
    for record in text.split("\0"):
        parts = record.split("\x1f", _WIDTH - 1)
        if len(parts) == _WIDTH:
            fields.extend(parts)
    return fields


def _chunks(stream: IO[bytes]) -> Iterator[str]:
    """Whole NUL-terminated records, decoded about a megabyte at a time (the final NUL dropped).

    A thread drains the pipe while the caller parses, so git never waits on a full
    pipe: git and Python really do run side by side.
    """
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    pending: queue.Queue[bytes] = queue.Queue()

    def drain() -> None:
        while True:
            chunk = stream.read1(1 << 20) if hasattr(stream, "read1") else stream.read(1 << 20)
            pending.put(chunk)
            if not chunk:
                return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    tail = b""
    while True:
        first = pending.get()
        if not first:
            break
        # Take what is already read, up to about 8 MB, joined once: appending to one
        # bytes object here copied it over and over (quadratic when git ran ahead).
        pieces, size = [tail, first], len(first)
        while size < (8 << 20) and not pending.empty():
            more = pending.get()
            if not more:
                pending.put(more)
                break
            pieces.append(more)
            size += len(more)
        chunk = b"".join(pieces)
        cut = chunk.rfind(b"\0")
        if cut < 0:
            tail = chunk
            continue
        tail = chunk[cut + 1:]
        yield chunk[:cut].decode("utf-8", errors="replace")
    reader.join()
    if tail.strip(b"\n\0"):
        yield tail.rstrip(b"\0").decode("utf-8", errors="replace")


def _git_error(git_dir: Path, stderr: str) -> AdvisorError:
    first = next((line for line in stderr.splitlines() if line.strip()), "unknown error")
    if "dubious ownership" in stderr:
        return NotARepository(
            f"git refuses to read {git_dir} because another user owns it; if you trust it, run "
            f"`git config --global --add safe.directory {git_dir}`."
        )
    bad_ref = re.search(r"bad object (refs/\S+)", stderr)
    if bad_ref:
        return GitFailed(f"git cannot read the ref {bad_ref.group(1)} in {git_dir}: its name is not one git accepts "
                         "or its commit is missing; rename or delete it (git update-ref -d).")
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
    command = _git(git_dir, "log", "--no-walk=unsorted", "--stdin", "--no-color", "--no-ext-diff", "--no-textconv",
                   "--no-renames", "--format=%x00%H", "--shortstat")
    done = subprocess.run(command, input=("\n".join(shas) + "\n").encode(), capture_output=True,
                          env=_git_env(), check=False)
    if done.returncode != 0:
        error = _git_error(git_dir, done.stderr.decode(errors="replace"))
        if not isinstance(error, CorruptObject):
            raise error
        # A blob is missing (a snapshot without large files, a damaged pack): halve the
        # batch until the commits that cannot be diffed are alone, and leave them out.
        if len(shas) == 1:
            return {}
        middle = len(shas) // 2
        return {**_stats_chunk(git_dir, shas[:middle]), **_stats_chunk(git_dir, shas[middle:])}
    result: dict[str, tuple[int, int]] = {}
    for block in done.stdout.decode("utf-8", errors="replace").split("\0")[1:]:
        lines = block.strip().splitlines()
        if not lines:
            continue
        result[lines[0]] = _parse_shortstat(lines[-1]) if len(lines) > 1 else (0, 0)
    return result


def is_partial_clone(git_dir: Path) -> bool:
    """A partial clone (--filter) fetches missing blobs on demand: diffing it would write to it."""
    config = open_repository(git_dir).config
    if "extensions.partialclone" in config:
        return True
    try:
        return any(entry.name.startswith("remote.") and entry.name.endswith(".promisor") and entry.value == "true"
                   for entry in config)
    except UnicodeDecodeError:  # a name that is not UTF-8 ([remote "r\xe9"]): pygit2 cannot list the entries
        return _promisor_by_git(git_dir)


def _promisor_by_git(git_dir: Path) -> bool:
    """Whether any remote is a promisor, as git reads the configuration (its bytes, whatever their encoding)."""
    done = subprocess.run(_git(git_dir, "config", "--local", "-z", "--get-regexp", r"^remote\..*\.promisor$"),
                          capture_output=True, env=_git_env(), check=False)
    entries = done.stdout.split(b"\0")
    return any(entry.partition(b"\n")[2].strip().lower() in (b"true", b"yes", b"on", b"1") for entry in entries)


def remote_url(git_dir: Path) -> str | None:
    """The URL of `origin`, else of the only remote; None when there is none."""
    remotes = open_repository(git_dir).remotes
    names = list(remotes.names())  # a name in another encoding comes with its bytes escaped, never raises
    name = "origin" if "origin" in names else names[0] if len(names) == 1 else None
    try:
        return remotes[name].url if name is not None else None
    except (KeyError, ValueError, pygit2.GitError):  # that escaped name, or a URL that is not UTF-8
        return None


def line_stats(git_dir: Path, shas: Sequence[str], workers: int = 2) -> dict[str, tuple[int, int]]:
    """Lines (added, deleted) of each commit against its first parent; merges count zero.

    Commits whose diff cannot be read (missing blobs) are left out of the result.
    """
    if not shas:
        return {}
    size = max(1, -(-len(shas) // workers))
    chunks = [shas[i:i + size] for i in range(0, len(shas), size)]
    result: dict[str, tuple[int, int]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(lambda chunk: _stats_chunk(git_dir, chunk), chunks):
            result.update(part)
    return result


def fingerprint(path: Path, *, allow_shallow: bool = False) -> str:
    """A digest of everything `load` reads: refs, HEAD, shallowness and .mailmap.

    Equal fingerprints mean an equal graph, so a cached reconstruction can be reused.
    """
    import hashlib

    location = locate(path)
    repo = open_repository(location.git_dir)
    if repo.is_empty:
        raise EmptyRepository(f"{path} has no commits yet: there is no history to scan.")
    raw_refs, head_ref, remote_head = read_refs(repo, _for_each_ref(location))
    digest = hashlib.sha256()
    for name, sha, remote, tag_time, _ in sorted(raw_refs):
        digest.update(f"{name}\0{sha}\0{remote}\0{tag_time}\n".encode())
    head = None if repo.head_is_unborn else str(repo.head.target)
    digest.update(f"HEAD\0{head_ref}\0{head}\0{remote_head}\0{repo.is_shallow}\0{allow_shallow}\n".encode())
    digest.update(_mailmap(location, repo, head))
    return digest.hexdigest()


def reading_key(path: Path, *, allow_shallow: bool = False) -> str:
    """A digest of what shapes each commit as `load` reads it, refs aside: the `.mailmap` (names
    and emails) and the options. Graphs read under one key can be extended (`extend`)."""
    import hashlib

    location = locate(path)
    repo = open_repository(location.git_dir)
    head = None if repo.is_empty or repo.head_is_unborn else str(repo.head.target)
    return hashlib.sha256(b"%s\0%d\0%s" % (_mailmap(location, repo, head), allow_shallow,
                                            str(location.git_dir.resolve()).encode())).hexdigest()


def _mailmap(location: RepoLocation, repo: pygit2.Repository, head: str | None) -> bytes:
    """What names the authors git log shows: the work tree's `.mailmap` (else, bare, HEAD's blob id), and the
    file `mailmap.file` and the blob `mailmap.blob` name, when set."""
    _refuse_endless_mailmap(location, repo)  # the cache key comes before git runs: /dev/zero is refused here too
    extra = b""
    configured = _setting(repo, "mailmap.file")
    if configured:
        try:
            extra += b"\0file\0" + _mailmap_file(location, configured).read_bytes()
        except OSError:
            extra += b"\0file\0unreadable"
    blob = _setting(repo, "mailmap.blob")
    if blob:
        try:
            extra += b"\0blob\0" + str(repo.revparse_single(blob).id).encode()
        except (KeyError, pygit2.GitError, ValueError):
            extra += b"\0blob\0missing"
    return _tree_mailmap(location, repo, head) + extra


def _tree_mailmap(location: RepoLocation, repo: pygit2.Repository, head: str | None) -> bytes:
    """The `.mailmap` git log applies: the work tree's file, else (bare) HEAD's blob id."""
    mailmap = location.work_tree / ".mailmap" if location.work_tree else None
    # As git reads it: not through a symlink (git refuses to follow one), and an unreadable file as none.
    if mailmap is not None and mailmap.is_file() and not mailmap.is_symlink():
        try:
            return mailmap.read_bytes()
        except OSError:
            return b"unreadable"
    if head is not None:
        try:
            return str(repo.revparse_single("HEAD:.mailmap").id).encode()
        except (KeyError, pygit2.GitError, ValueError):
            pass
    return b""


CI_FILE_LIMIT = 1 << 20  # bytes; a CI file larger than this is not configuration anyone reads


def ci_files(git_dir: Path, commit: str) -> dict[str, bytes]:
    """The CI configuration blobs (`ci.is_ci_path`) in the tree of `commit`; {} when there is none.

    Reads objects only. Missing commits, odd trees and oversized blobs give fewer files, never an error.
    """
    from advisor.ci import CI_DIRS, CI_PATHS, is_ci_path

    try:
        repo = open_repository(git_dir)
        tree = repo.revparse_single(commit).peel(pygit2.Tree)
    except (AdvisorError, pygit2.GitError, KeyError, ValueError, TypeError):
        return {}
    candidates: list[tuple[str, pygit2.Object]] = []
    for path in CI_PATHS:
        with contextlib.suppress(KeyError, ValueError, pygit2.GitError):
            candidates.append((path, tree[path]))
    for folder in CI_DIRS:
        try:
            entry = tree[folder]
        except (KeyError, ValueError, pygit2.GitError):
            continue
        if isinstance(entry, pygit2.Tree):
            candidates.extend((f"{folder}/{item.name}", item) for item in entry if item.name is not None)
    found: dict[str, bytes] = {}
    for path, item in candidates:
        try:
            if (not is_ci_path(path) or item.type != pygit2.enums.ObjectType.BLOB
                    or item.filemode == pygit2.enums.FileMode.LINK):
                continue
            blob = repo[item.id]
            if isinstance(blob, pygit2.Blob) and blob.size <= CI_FILE_LIMIT:
                found[path] = blob.data
        except (KeyError, ValueError, pygit2.GitError):
            continue
    return found


def read_file_at(path: Path, revision: str, name: str) -> bytes | None:
    """The content of file `name` (repository-relative) at `revision`, or None when it is not there.

    Reads objects only: for settings files of a bare repository or a mirror,
    which has no working tree to read them from.
    """
    repo = open_repository(locate(path).git_dir)
    try:
        commit = repo.revparse_single(revision).peel(pygit2.Commit)
        entry = commit.tree[name]
        blob = repo[entry.id]
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        return None
    return blob.data if isinstance(blob, pygit2.Blob) else None
