"""Trial merges: each live branch merged into the trunk in memory, to see whether it still merges cleanly.

Read-only like `gitread`, whose repository opening it shares: the merges run in a
repository with no folder, whose object store reads the scanned repository's objects
and keeps every object the merge writes in memory (`_ReadThrough`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pygit2

from advisor.gitread import open_repository
from advisor.model import MergeCheck


class _ReadThrough(pygit2.OdbBackend):
    """An object store that reads the repository's objects and keeps every object written in memory.

    libgit2's merge writes each merged file as a blob, and before writing any object it
    "freshens" the copy it already has (touching the loose file or the whole pack). A
    repository opened from disk would take both writes. A repository built on this
    backend alone has nowhere on disk to write: reads go to the source's object
    database (which only reads), writes stay in `written`, and the backend has no
    freshen, so libgit2 asks `exists_cb` instead. The callbacks run with the GIL held.
    """

    def __init__(self, source: pygit2.Odb) -> None:
        super().__init__()
        self.source = source
        self.written: dict[pygit2.Oid, tuple[int, bytes]] = {}

    def read_cb(self, oid: pygit2.Oid) -> tuple[int, bytes]:
        kept = self.written.get(oid)
        if kept is not None:
            return kept
        kind, data = self.source.read(oid)
        return int(kind), data

    def read_header_cb(self, oid: pygit2.Oid) -> tuple[int, int]:
        kept = self.written.get(oid)
        if kept is not None:
            return kept[0], len(kept[1])
        kind, size = self.source.read_header(oid)
        return int(kind), size

    def read_prefix_cb(self, oid: str) -> tuple[int, bytes, pygit2.Oid]:
        raise KeyError(oid)  # merges name objects by full id only

    def exists_cb(self, oid: pygit2.Oid) -> bool:
        return oid in self.written or self.source.exists(oid)

    def exists_prefix_cb(self, oid: str) -> pygit2.Oid:
        raise KeyError(oid)

    def write_cb(self, oid: pygit2.Oid, data: bytes, kind: int) -> None:
        self.written[oid] = (int(kind), bytes(data))

    def refresh_cb(self) -> None:
        return None


def _scratch_repository(source: pygit2.Repository) -> pygit2.Repository:
    """A repository with no folder, no config and no refs, whose objects are `source`'s, read-only.

    Merging in it can write nothing to `source`: not an object, not a pack's mtime.
    """
    odb = pygit2.Odb()
    odb.add_backend(_ReadThrough(source.odb), 1)
    scratch = pygit2.Repository()
    scratch.set_odb(odb)
    return scratch


NO_COMMON_HISTORY = ""  # the base of a trial merge whose branch shares no commit with the trunk

# libgit2 maps packs in windows of 1 GB and keeps up to 8 GB mapped, so every page a trial
# merge touches stays resident: +130 MB at the peak on a 200k-commit history (a 200 MB pack).
# Windows of 4 MB, at most 16 MB mapped, hold that to ~40 MB for the same CPU time (32/64 MB
# windows still left +55 MB at 200k commits).
_PACK_WINDOW = 4 << 20
_PACK_WINDOWS_MAPPED = 16 << 20


def trial_merges(git_dir: Path, trunk: str, branches: Sequence[tuple[str, str, str | None]],
                 budget_seconds: float = 10.0) -> tuple[MergeCheck, ...]:
    """Merge each (name, tip, base) into the trunk in memory; nothing is written to the repository
    (the merges run in `_scratch_repository`, whose writes stay in memory).

    With the base already known from the reconstruction, the merge is a three-way
    tree merge and no merge-base walk is needed (that walk dominates on large
    histories). A base of NO_COMMON_HISTORY says the branch shares no commit with the
    trunk: it is merged against the empty tree, as git merges unrelated histories; a
    base of None is looked for by libgit2. Checks stop when the time budget runs out;
    the rest are reported unchecked.
    """
    pygit2.settings.mwindow_size = _PACK_WINDOW
    pygit2.settings.mwindow_mapped_limit = _PACK_WINDOWS_MAPPED
    repo = _scratch_repository(open_repository(git_dir))
    deadline = time.monotonic() + budget_seconds
    checks = []
    ours = repo.get(trunk)
    for name, tip, base in branches:
        if time.monotonic() > deadline:
            checks.append(MergeCheck(branch=name, clean=None, conflicts=()))
            continue
        try:
            theirs = repo.get(tip)
            if base is not None and isinstance(ours, pygit2.Commit) and isinstance(theirs, pygit2.Commit):
                if base != NO_COMMON_HISTORY:
                    ancestor = repo.get(base)
                    assert isinstance(ancestor, pygit2.Commit)
                    ancestor_tree = ancestor.tree
                else:
                    # The branch shares no commit with the trunk. libgit2 would walk all of
                    # history to learn that, then merge against nothing: the empty tree.
                    ancestor_tree = repo[repo.TreeBuilder().write()]
                index = repo.merge_trees(ancestor_tree, ours.tree, theirs.tree, flags=pygit2.enums.MergeFlag(0))
            else:
                index = repo.merge_commits(trunk, tip, flags=pygit2.enums.MergeFlag(0))
        except (pygit2.GitError, KeyError, ValueError, AssertionError):
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
