"""Trial merges: conflicts listed, the time budget kept, nothing written to the repository."""

from __future__ import annotations

from pathlib import Path

import pygit2

from advisor import gitread, trialmerge
from tests.builders import RepoBuilder


def test_trial_merges_list_conflicts_and_write_nothing(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(files={"f.txt": "base\n"})
    b.branch("clash")
    b.branch("fine")
    b.commit(branch="clash", files={"f.txt": "theirs\n"})
    b.commit(branch="fine", files={"g.txt": "new\n"})
    b.commit(files={"f.txt": "ours\n"})
    objects_before = sorted(p.name for p in (repo_path / ".git" / "objects").rglob("*"))
    checks = trialmerge.trial_merges(gitread.locate(repo_path).git_dir, b.tip("main"),
                                    [("clash", b.tip("clash"), b.merge_base(b.tip("clash"), b.tip("main"))), ("fine", b.tip("fine"), b.merge_base(b.tip("fine"), b.tip("main")))])
    assert [(c.branch, c.clean, c.conflicts) for c in checks] == [("clash", False, ("f.txt",)), ("fine", True, ())]
    assert sorted(p.name for p in (repo_path / ".git" / "objects").rglob("*")) == objects_before
    timed_out = trialmerge.trial_merges(gitread.locate(repo_path).git_dir, b.tip("main"),
                                       [("fine", b.tip("fine"), None)], budget_seconds=-1)
    assert timed_out[0].clean is None


def test_a_branch_with_no_common_history_merges_against_the_empty_tree(repo_path: Path) -> None:
    """What libgit2's merge of unrelated histories gives, without its walk of all history to find no base."""
    b = RepoBuilder(repo_path)
    b.commit(files={"same.txt": "one\n", "f.txt": "ours\n"})
    b.commit(branch="pages", parents=[], files={"same.txt": "one\n", "f.txt": "theirs\n", "index.html": "x\n"})
    expected = b.repo.merge_commits(pygit2.Oid(hex=b.tip("main")), pygit2.Oid(hex=b.tip("pages")))
    assert sorted({e.path for entries in expected.conflicts for e in entries if e is not None}) == ["f.txt"]
    objects_before = sorted(p.name for p in (repo_path / ".git" / "objects").rglob("*"))
    checks = trialmerge.trial_merges(gitread.locate(repo_path).git_dir, b.tip("main"), [("pages", b.tip("pages"), trialmerge.NO_COMMON_HISTORY)])
    assert [(c.clean, c.conflicts) for c in checks] == [(False, ("f.txt",))]
    assert sorted(p.name for p in (repo_path / ".git" / "objects").rglob("*")) == objects_before
