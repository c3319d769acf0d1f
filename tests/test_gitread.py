"""Reading git: refs, the compact graph, .mailmap and line stats."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from advisor import gitread, history
from advisor.errors import NotARepository
from advisor.model import RefKind
from tests.builders import ALICE, BOB, RepoBuilder, git_cli


def test_graph_holds_every_reachable_commit(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    first = b.commit("first\n\nbody\n(cherry picked from commit " + "a" * 40 + ")", at=0)
    b.branch("topic")
    second = b.commit(branch="topic", at=1, author=BOB)
    b.tag("v1.0", "topic", annotated=True, at=2)
    b.tag("light", "main")
    b.set_ref("refs/pull/4/head", second)
    graph = gitread.load(repo_path)
    assert sorted(graph.shas) == sorted([first, second])
    index = {sha: i for i, sha in enumerate(graph.shas)}
    assert graph.parents[index[second]] == (index[first],)
    assert graph.subject[index[first]] == "first"
    assert graph.trailers[index[first]] == ("(cherry picked from commit " + "a" * 40 + ")",)
    assert graph.people[graph.author[index[second]]] == BOB
    kinds = {ref.name: (ref.kind, ref.short, ref.pr) for ref in graph.refs}
    assert kinds["refs/heads/topic"] == (RefKind.LOCAL, "topic", None)
    assert kinds["refs/tags/v1.0"] == (RefKind.TAG, "v1.0", None)
    assert kinds["refs/pull/4/head"] == (RefKind.PULL, "refs/pull/4/head", 4)
    tag = next(ref for ref in graph.refs if ref.short == "v1.0")
    assert tag.tag_time is not None and tag.target == index[second]
    assert graph.head_ref == "refs/heads/main"


def test_every_kind_of_kept_body_line_is_read(repo_path: Path) -> None:
    """The reader's cheap look at a body lets through every body holding a line the parsers read:
    "cherry-picked from" (hyphenated) and a squash body whose bullets hold no "#" were missed."""
    b = RepoBuilder(repo_path)
    fix = b.commit("Fix the parser", at=0)
    b.branch("release-1", "main")
    picked = b.commit(f"Fix the parser\n\n(cherry-picked from commit {fix})", branch="release-1", at=1)
    squash = b.commit("Add login (squashed)\n\n* Add login page\n\n* Fix tests\n", at=2)
    bullets_first = b.commit("Add logout\n\n* Add logout button", at=3)
    merged = b.commit("Merge branch 'topic'\n\n* topic:\n  Add a thing", at=4)
    graph = gitread.load(repo_path)
    index = {sha: i for i, sha in enumerate(graph.shas)}
    assert graph.trailers[index[picked]] == (f"(cherry-picked from commit {fix})",)
    assert graph.trailers[index[squash]] == ("* Add login page", "* Fix tests")
    assert graph.trailers[index[bullets_first]] == ("* Add logout button",)
    assert index[merged] not in graph.trailers  # git's merge.log summary headers are no squashed commits
    result = history.reconstruct(graph, history.HistoryOptions(), datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert [(p.commit, p.picked_from) for p in result.cherry_picks] == [(picked, fix)]


def test_mailmap_is_applied(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(author=("alice", "alice@old.example"), files={".mailmap": "Alice <alice@example.com> <alice@old.example>\n"})
    git_cli(repo_path, "checkout", "-q", "main")
    graph = gitread.load(repo_path)
    assert graph.people[graph.author[0]] == ALICE


def test_remote_refs_name_their_remote(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    b = RepoBuilder(origin)
    b.commit()
    b.branch("feature/x")
    clone = tmp_path / "clone"
    git_cli(tmp_path, "clone", "-q", str(origin), str(clone))
    graph = gitread.load(clone)
    remote = {ref.short: ref for ref in graph.refs if ref.kind is RefKind.REMOTE}
    assert set(remote) == {"main", "feature/x"}
    assert remote["feature/x"].remote == "origin"
    assert graph.remote_head == "refs/remotes/origin/main"


def test_line_stats_use_both_workers_and_cover_every_commit(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    shas = [b.commit(files={"f.txt": "a\n" * n}) for n in range(1, 6)]
    merge_base = b.tip("main")
    b.branch("x")
    b.commit(branch="x", files={"g.txt": "x\n"})
    merge = b.merge("x")
    stats = gitread.line_stats(gitread.locate(repo_path).git_dir, [*shas, merge], workers=2)
    assert [stats[s] for s in shas] == [(1, 0), (1, 0), (1, 0), (1, 0), (1, 0)]
    assert stats[merge] == (0, 0)  # a merge brings nothing of its own
    assert merge_base


def test_fingerprint_changes_with_refs(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit()
    before = gitread.fingerprint(repo_path)
    assert gitread.fingerprint(repo_path) == before
    b.branch("new")
    assert gitread.fingerprint(repo_path) != before


def test_locate_rejects_plain_folders(tmp_path: Path) -> None:
    with pytest.raises(NotARepository):
        gitread.locate(tmp_path)


class _Trickle:
    """A pipe that hands out its bytes a few at a time, as git's stdout does."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.at = data, step, 0

    def read1(self, size: int) -> bytes:
        piece = self.data[self.at:self.at + min(size, self.step)]
        self.at += len(piece)
        return piece

    read = read1

    def fileno(self) -> int:
        raise OSError("not a pipe")


@pytest.mark.parametrize("step", [1, 7, 4096, 1 << 22])
def test_chunks_reassemble_records_split_anywhere(step: int) -> None:
    records = [f"{i:040x}\x1fsubject é {i}" for i in range(3000)]
    stream = _Trickle(("\0".join(records) + "\0").encode(), step)
    text = "\0".join(gitread._chunks(stream))  # type: ignore[arg-type]
    assert text.split("\0") == records


def test_ci_files_reads_ci_configuration_from_a_commit_and_nothing_else(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    first = b.commit(files={
        ".github/workflows/ci.yml": "on: pull_request\n",
        ".github/workflows/nested/skip.yml": "on: push\n",
        ".github/workflows/notes.md": "not a workflow\n",
        ".gitlab-ci.yml": "test: {script: make}\n",
        "Jenkinsfile": "pipeline {}\n",
        "src/app.py": "print('hi')\n",
        ".travis.yml": "x" * (gitread.CI_FILE_LIMIT + 1),
    })
    second = b.commit(files={".github/workflows/ci.yml": None, ".circleci/config.yml": "version: 2.1\n"})
    refs_before = sorted(b.repo.references)
    assert gitread.ci_files(repo_path / ".git", first) == {
        ".github/workflows/ci.yml": b"on: pull_request\n",
        ".gitlab-ci.yml": b"test: {script: make}\n",
        "Jenkinsfile": b"pipeline {}\n",
    }
    assert set(gitread.ci_files(repo_path / ".git", second)) == {".gitlab-ci.yml", "Jenkinsfile", ".circleci/config.yml"}
    assert gitread.ci_files(repo_path / ".git", "main") == gitread.ci_files(repo_path / ".git", second)
    assert sorted(b.repo.references) == refs_before


def test_ci_files_never_raises(repo_path: Path, tmp_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(files={"README.md": "no ci\n"})
    assert gitread.ci_files(repo_path / ".git", "main") == {}
    assert gitread.ci_files(repo_path / ".git", "0" * 40) == {}
    assert gitread.ci_files(repo_path / ".git", "no-such-branch") == {}
    assert gitread.ci_files(tmp_path / "missing", "main") == {}


def test_read_file_at_a_revision(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(files={".advisor.toml": "max_active_branches = 3\n", "sub/x.txt": "x\n"})
    b.commit(files={".advisor.toml": "max_active_branches = 2\n"})
    assert gitread.read_file_at(repo_path, "HEAD", ".advisor.toml") == b"max_active_branches = 2\n"
    assert gitread.read_file_at(repo_path, "main~1", ".advisor.toml") == b"max_active_branches = 3\n"
    assert gitread.read_file_at(repo_path, "HEAD", "pyproject.toml") is None
    assert gitread.read_file_at(repo_path, "HEAD", "sub") is None  # a folder, not a file
    assert gitread.read_file_at(repo_path, "no-such-branch", ".advisor.toml") is None


def test_commit_dates_git_cannot_print_or_datetime_cannot_hold_are_tolerated() -> None:
    offsets = gitread._Offsets()
    authored = ["1700000000 +0100", "", "253402300800 +0000", "garbage", "1700000000 +9999", "-5 +0000"]
    committed = ["1700000060 +0100", "1700000000 -0130", "", "", "1700000000 +0545", "7 +0000"]
    author_time, author_offset, commit_time, commit_offset = gitread._stamps(authored, committed, offsets)
    assert author_time == [1700000000, 1700000000, gitread.LATEST_EPOCH, 0, 1700000000, 7]
    assert author_offset == [60, -90, 0, 0, 0, 0]  # an empty date takes the other one; +9999 is no zone
    assert commit_time == [1700000060, 1700000000, gitread.LATEST_EPOCH, 0, 1700000000, 7]
    assert commit_offset == [60, -90, 0, 0, 345, 0]
    from advisor.model import aware
    assert aware(gitread.LATEST_EPOCH, 14 * 60).year == 9999  # every zone can show the latest time
