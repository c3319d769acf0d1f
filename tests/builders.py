"""Build real git repositories with controlled authors and dates.

`RepoBuilder` writes objects and refs through pygit2, so every sha is
reproducible: the same calls give the same history. `git_cli` runs the real
`git` command with pinned dates, for the scenarios that cross-check the
builder against git itself.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pygit2

START = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
ALICE = ("Alice", "alice@example.com")
BOB = ("Bob", "bob@example.com")
CAROL = ("Carol", "carol@example.com")
GITHUB = ("GitHub", "noreply@github.com")

When = datetime | float | int | None


class RepoBuilder:
    """A repository grown commit by commit; times default to one hour apart."""

    def __init__(self, path: Path, *, trunk: str = "main", bare: bool = False) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), bare=bare, initial_head=trunk)
        self.trunk = trunk
        self.clock = START
        self.counter = 0

    # -- time and identity -------------------------------------------------

    def when(self, at: When) -> datetime:
        """An absolute datetime, or hours after START; None: one hour after the last."""
        if at is None:
            self.clock = self.clock + timedelta(hours=1)
        elif isinstance(at, datetime):
            self.clock = at
        else:
            self.clock = START + timedelta(hours=at)
        return self.clock

    @staticmethod
    def signature(who: tuple[str, str], at: datetime) -> pygit2.Signature:
        offset = int(at.utcoffset().total_seconds() // 60) if at.utcoffset() else 0
        return pygit2.Signature(who[0], who[1], int(at.timestamp()), offset)

    # -- refs ----------------------------------------------------------------

    def tip(self, branch: str) -> str:
        return str(self.repo.references[f"refs/heads/{branch}"].target)

    def has_branch(self, branch: str) -> bool:
        return f"refs/heads/{branch}" in self.repo.references

    def branch(self, name: str, start: str | None = None) -> str:
        """Create branch `name` at branch or sha `start` (default: the trunk)."""
        sha = self.resolve(start or self.trunk)
        self.repo.references.create(f"refs/heads/{name}", pygit2.Oid(hex=sha), force=True)
        return sha

    def resolve(self, what: str) -> str:
        return self.tip(what) if self.has_branch(what) else what

    def delete_branch(self, name: str) -> None:
        self.repo.references.delete(f"refs/heads/{name}")

    def set_ref(self, name: str, sha: str) -> None:
        self.repo.references.create(name, pygit2.Oid(hex=sha), force=True)

    def tag(self, name: str, target: str | None = None, *, annotated: bool = False, at: When = None,
            who: tuple[str, str] = ALICE) -> str:
        sha = self.resolve(target or self.trunk)
        if annotated:
            moment = self.when(at)
            self.repo.create_tag(name, pygit2.Oid(hex=sha), pygit2.enums.ObjectType.COMMIT,
                                 self.signature(who, moment), f"Release {name}\n")
        else:
            self.repo.references.create(f"refs/tags/{name}", pygit2.Oid(hex=sha))
        return sha

    # -- commits -------------------------------------------------------------

    def _tree(self, base: str | None, files: dict[str, str | None]) -> pygit2.Oid:
        index = pygit2.Index()
        if base is not None:
            index.read_tree(self.repo[pygit2.Oid(hex=base)].peel(pygit2.Tree))
        for path, content in files.items():
            if content is None:
                index.remove(path)
            else:
                blob = self.repo.create_blob(content.encode())
                index.add(pygit2.IndexEntry(path, blob, pygit2.enums.FileMode.BLOB))
        return index.write_tree(self.repo)

    def commit(self, message: str | None = None, *, branch: str | None = None,
               files: dict[str, str | None] | None = None, author: tuple[str, str] = ALICE,
               committer: tuple[str, str] | None = None, at: When = None, committed_at: When = None,
               parents: list[str] | None = None, tree_from: str | None = None) -> str:
        """A commit on `branch` (default the trunk); creates the branch if it has no commits yet."""
        branch = branch or self.trunk
        self.counter += 1
        if parents is None:
            parents = [self.tip(branch)] if self.has_branch(branch) else []
        if files is None:
            files = {f"work/{self.counter:05d}.txt": f"change {self.counter}\n"}
        base = tree_from or (parents[0] if parents else None)
        tree = self._tree(base, files)
        authored = self.when(at)
        committed = authored if committed_at is None else self.when(committed_at)
        message = message if message is not None else f"Change {self.counter}"
        oid = self.repo.create_commit(
            None, self.signature(author, authored), self.signature(committer or author, committed),
            message if message.endswith("\n") else message + "\n", tree,
            [pygit2.Oid(hex=p) for p in parents],
        )
        self.repo.references.create(f"refs/heads/{branch}", oid, force=True)
        return str(oid)

    def revert(self, sha: str, *, branch: str | None = None, at: When = None, author: tuple[str, str] = ALICE) -> str:
        """What `git revert` of a non-merge commit writes: its parent's version of the files it changed."""
        commit = self.repo[pygit2.Oid(hex=sha)].peel(pygit2.Commit)
        parent = commit.parents[0]
        files: dict[str, str | None] = {}
        for delta in parent.tree.diff_to_tree(commit.tree).deltas:
            path = delta.new_file.path
            try:
                files[path] = self.repo[parent.tree[path].id].peel(pygit2.Blob).data.decode()
            except KeyError:
                files[path] = None
        subject = commit.message.splitlines()[0]
        return self.commit(f'Revert "{subject}"\n\nThis reverts commit {sha}.', branch=branch, files=files, at=at,
                           author=author)

    def merged_tree(self, ours: str, theirs: str) -> pygit2.Oid:
        index = self.repo.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
        if index.conflicts is not None:
            raise AssertionError(f"builder merge of {theirs} into {ours} conflicts")
        return index.write_tree(self.repo)

    def merge(self, source: str, into: str | None = None, *, method: str = "merge", message: str | None = None,
              at: When = None, who: tuple[str, str] = ALICE, committer: tuple[str, str] | None = None,
              delete: bool = False) -> str:
        """Integrate branch (or sha) `source` into branch `into` the way a host would.

        method: merge (two parents), squash (one parent, branch changes), rebase
        (replay each commit, authors and author dates kept), ff (move the ref).
        """
        into = into or self.trunk
        target = self.tip(into)
        source_sha = self.resolve(source)
        if method == "ff":
            self.repo.references.create(f"refs/heads/{into}", pygit2.Oid(hex=source_sha), force=True)
            result = source_sha
        elif method == "rebase":
            result = self._rebase_onto(source_sha, target, into, at=at, committer=committer or who)
        else:
            moment = self.when(at)
            tree = self.merged_tree(target, source_sha)
            default = f"Merge branch '{source}'" + ("" if into == self.trunk else f" into {into}")
            parents = [target, source_sha] if method == "merge" else [target]
            oid = self.repo.create_commit(
                None, self.signature(who, moment), self.signature(committer or who, moment),
                (message or default) + "\n", tree, [pygit2.Oid(hex=p) for p in parents],
            )
            self.repo.references.create(f"refs/heads/{into}", oid, force=True)
            result = str(oid)
        if delete and self.has_branch(source):
            self.delete_branch(source)
        return result

    def branch_commits(self, source: str, base: str) -> list[str]:
        """Commits of `source` not in `base`, oldest first (first-parent only)."""
        stop = self.merge_base(source, base)
        commits = []
        current = self.repo[pygit2.Oid(hex=source)]
        while str(current.id) != stop:
            commits.append(str(current.id))
            current = current.parents[0]
        return commits[::-1]

    def merge_base(self, a: str, b: str) -> str:
        return str(self.repo.merge_base(pygit2.Oid(hex=a), pygit2.Oid(hex=b)))

    def _rebase_onto(self, source: str, target: str, into: str, *, at: When,
                     committer: tuple[str, str]) -> str:
        moment = self.when(at)
        head = target
        for sha in self.branch_commits(source, target):
            original = self.repo[pygit2.Oid(hex=sha)]
            index = self.repo.merge_trees(original.parents[0].tree, self.repo[pygit2.Oid(hex=head)].tree,
                                          original.tree)
            tree = index.write_tree(self.repo)
            oid = self.repo.create_commit(
                None, original.author, self.signature(committer, moment), original.message, tree,
                [pygit2.Oid(hex=head)],
            )
            head = str(oid)
        self.repo.references.create(f"refs/heads/{into}", pygit2.Oid(hex=head), force=True)
        return head


def git_cli(cwd: Path, *args: str, at: datetime | None = None, who: tuple[str, str] = ALICE) -> str:
    """Run git with pinned identity and dates; returns stdout."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": who[0],
        "GIT_AUTHOR_EMAIL": who[1],
        "GIT_COMMITTER_NAME": who[0],
        "GIT_COMMITTER_EMAIL": who[1],
    }
    if at is not None:
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S%z")
        env["GIT_AUTHOR_DATE"] = stamp
        env["GIT_COMMITTER_DATE"] = stamp
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout
