"""A re-scan after new commits reads only those commits, and gives what a scan from scratch gives.

The cached graph is extended (`gitread.extend`) from the refs the last scan saw; when history
was rewritten (a force-push, a reset, a deleted branch or tag) nothing cached is kept and the
scan says so in one line. Either way the result must equal a cold scan's.
"""

from __future__ import annotations

import dataclasses
import random
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import gitread, pipeline, scan
from advisor.history import HistoryOptions
from advisor.model import History
from tests import scenarios
from tests.builders import BOB, RepoBuilder

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def request(path: Path, cache: Path | None) -> pipeline.ScanRequest:
    return pipeline.ScanRequest(path=path, now=NOW, options=HistoryOptions(), cache_dir=cache,
                                since=datetime(2023, 1, 1, tzinfo=timezone.utc))


def cold(path: Path) -> tuple[scan.RepoFacts, History]:
    facts, reconstructed, _ = pipeline.load_history(request(path, None))
    return facts, reconstructed


def warm(path: Path, cache: Path) -> tuple[tuple[scan.RepoFacts, History], list[str]]:
    said: list[str] = []
    facts, reconstructed, _ = pipeline.load_history(request(path, cache), notice=said.append)
    return (facts, reconstructed), said


def graph_notices(said: list[str]) -> list[str]:
    """What was said about the graph, leaving out that the reconstruction started over (history.resume)."""
    return [line for line in said if not line.startswith(RESUME_NOTICE)]


RESUME_NOTICE = "the last scan's reconstruction cannot be extended"


def forbid_full_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reading(*_: object, **__: object) -> None:
        raise AssertionError("the whole history was read again")

    monkeypatch.setattr(gitread, "load", no_reading)


def test_new_commits_branches_tags_and_merges_extend_the_cached_graph(repo_path: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    scenarios.gitflow(repo_path)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    b = RepoBuilder(repo_path, trunk="master")
    b.when(datetime(2024, 3, 1, tzinfo=timezone.utc))
    b.branch("feature/new", "develop")
    b.commit(branch="feature/new")
    b.commit(branch="feature/new", author=BOB)
    b.merge("feature/new", "develop", delete=True)
    b.branch("release/1.4", "develop")
    b.commit(branch="release/1.4")
    b.merge("release/1.4", "master")
    b.tag("1.4.0", "master", annotated=True)
    b.branch("idea", "master")
    b.commit(branch="idea")
    expected = cold(repo_path)
    with monkeypatch.context() as patched:
        forbid_full_reads(patched)
        got, said = warm(repo_path, cache)
    assert graph_notices(said) == []
    assert got == expected
    assert got[0].commits == expected[0].commits > 41


@pytest.mark.parametrize("rewrite", ["force-push", "deleted branch", "deleted tag"])
def test_rewritten_history_is_read_again_and_said_so(repo_path: Path, tmp_path: Path, rewrite: str) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("topic")
    b.commit(branch="topic", at=1)
    b.commit(branch="topic", at=2)
    b.tag("v1.0", "topic")
    b.merge("topic", at=3)
    b.branch("spike")
    b.commit(branch="spike", at=4)
    b.tag("v1.1", "spike")
    b.commit(at=5)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    if rewrite == "force-push":  # spike reset to main and rebuilt: its old commit is unreachable
        b.branch("spike", "main")
        b.repo.references.delete("refs/tags/v1.1")
        b.commit(branch="spike", at=6)
    elif rewrite == "deleted branch":
        b.repo.references.delete("refs/tags/v1.1")
        b.delete_branch("spike")
    else:
        b.delete_branch("spike")
        b.repo.references.delete("refs/tags/v1.1")
    b.commit(at=7)
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path)
    assert len(said) == 1 and said[0].startswith("history was rewritten") and said[0].endswith("again.")


def test_a_commit_only_a_tag_of_a_tag_reaches_is_not_kept_by_an_extension(repo_path: Path) -> None:
    """git log lists what a tag of a tag reaches, the graph keeps no ref for it: the extension cannot
    show that commit is still reachable, so it reads the history again, as counting every commit did."""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=A", "-c", "user.email=a@example.com", "-c", "advice.nestedTag=false",
                        "-C", str(repo_path), *args], check=True, capture_output=True)

    b = RepoBuilder(repo_path)
    b.commit(at=0)
    previous = gitread.load(repo_path)
    b.branch("side")
    b.commit(branch="side", at=1)
    git("tag", "-a", "-m", "t1", "t1", "side")
    git("tag", "-a", "-m", "t2", "t2", "t1")
    git("tag", "-d", "t1")
    b.delete_branch("side")
    b.commit(at=2)
    extended = gitread.extend(repo_path, previous)
    assert isinstance(extended, str) and extended.startswith("history was rewritten")
    assert len(gitread.load(repo_path)) == 3  # the fresh read: the commit the nested tag reaches included


def test_a_rewrite_the_repository_forgot_is_read_again(repo_path: Path, tmp_path: Path) -> None:
    """The commits the last scan saw are gone from the object store (a force-push, then gc)."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    old = b.tip("main")
    b.commit(at=1, parents=[])  # main now starts over
    loose = repo_path / ".git" / "objects" / old[:2] / old[2:]
    loose.unlink()
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path)
    assert said and "gone from the repository" in said[0]


def test_a_new_mailmap_starts_the_graph_over(repo_path: Path, tmp_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    (repo_path / ".mailmap").write_text("Alice Liddell <alice@example.com>\n")
    b.commit(at=1, author=BOB)
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path)
    assert said == []  # not a rewrite: another reading of the same commits, under another key
    assert "Alice Liddell" in {e.author for e in got[1].episodes}


@pytest.mark.parametrize("commits_between", [0, 1])
def test_an_edited_mailmap_file_setting_starts_the_graph_over(repo_path: Path, tmp_path: Path,
                                                              commits_between: int) -> None:
    """`mailmap.file` names a file outside the work tree: editing it renames authors as much as editing
    `.mailmap` does, with or without a new commit (the cached graph held the old names)."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    names = tmp_path / "names.mailmap"
    names.write_text("Alice Liddell <alice@example.com>\n")
    b.repo.config["mailmap.file"] = str(names)
    cache = tmp_path / "cache"
    first, _ = warm(repo_path, cache)
    assert "Alice Liddell" in {e.author for e in first[1].episodes}
    names.write_text("Alice Pleasance <alice@example.com>\n")
    for step in range(commits_between):
        b.commit(at=1 + step, author=BOB)
    got, _ = warm(repo_path, cache)
    assert got == cold(repo_path)
    assert "Alice Pleasance" in {e.author for e in got[1].episodes}


# ---------------------------------------------------------------------------
# Random histories, grown in two steps


class Grower:
    """Random work on a repository, in as many steps as asked: commits on the trunk and on
    branches forked from anything, merges (merge, squash, rebase, fast-forward), tags, and
    (when `rewrite`) force-pushes and deletions of unmerged branches and tags."""

    def __init__(self, path: Path, seed: int) -> None:
        self.b = RepoBuilder(path)
        self.rng = random.Random(seed)
        self.hour = 0.0
        self.numbers = iter(range(1, 10_000))
        self.branches: list[str] = []
        self.b.commit(at=0)

    def grow(self, steps: int, rewrite: bool) -> None:
        b, rng = self.b, self.rng
        for _ in range(steps):
            self.hour += rng.choice((0.5, 1, 3, 12, 30))
            roll = rng.random()
            if roll < 0.25 or not self.branches and roll < 0.75:
                b.commit(at=self.hour)
            elif roll < 0.4:
                name = f"topic-{next(self.numbers)}"
                b.branch(name, rng.choice(["main", *self.branches]))
                self.branches.append(name)
                b.commit(branch=name, at=self.hour, author=rng.choice((BOB, ("Ann", "ann@example.com"))))
            elif roll < 0.55:
                b.commit(branch=rng.choice(self.branches), at=self.hour)
            elif roll < 0.75:
                name = rng.choice(self.branches)
                method = rng.choice(("merge", "merge", "squash", "rebase"))
                message = f"Add {name} (#{next(self.numbers)})" if method == "squash" else None
                b.merge(name, "main", method=method, message=message, at=self.hour)
                if rng.random() < 0.6:
                    b.delete_branch(name)
                    self.branches.remove(name)
            elif roll < 0.88:
                b.tag(f"v1.{next(self.numbers)}", rng.choice(["main", *self.branches]),
                      annotated=rng.random() < 0.5, at=self.hour)
            elif rewrite and self.branches:
                name = rng.choice(self.branches)
                if rng.random() < 0.5:
                    b.delete_branch(name)
                    self.branches.remove(name)
                else:
                    b.branch(name, "main")  # force-pushed over
                    b.commit(branch=name, at=self.hour)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), before=st.integers(3, 25), after=st.integers(1, 15), rewrite=st.booleans())
def test_an_extended_scan_equals_a_scan_from_scratch(seed: int, before: int, after: int, rewrite: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        grower = Grower(root / "repo", seed)
        grower.grow(before, rewrite=False)
        warm(root / "repo", root / "cache")
        grower.grow(after, rewrite=rewrite)
        got, said = warm(root / "repo", root / "cache")
        assert got == cold(root / "repo")
        if not rewrite:
            assert graph_notices(said) == []
        assert len(graph_notices(said)) <= 1
        grower.grow(after, rewrite=False)  # extended again, from the graph cached before (not rewritten since)
        got, said = warm(root / "repo", root / "cache")
        assert got == cold(root / "repo") and graph_notices(said) == []


def test_the_extension_reads_only_the_new_commits(repo_path: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    grower = Grower(repo_path, 7)
    grower.grow(30, rewrite=False)
    warm(repo_path, tmp_path / "cache")
    before = cold(repo_path)[0].commits
    grower.grow(5, rewrite=False)
    listed: list[int] = []
    real = gitread._stream_commits

    def counting(*args: object, **kwargs: object) -> object:
        graph = args[2]
        known = len(graph)  # type: ignore[arg-type]
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        listed.append(len(graph) - known)  # type: ignore[arg-type]
        return found

    monkeypatch.setattr(gitread, "_stream_commits", counting)
    got, _ = warm(repo_path, tmp_path / "cache")
    assert listed == [got[0].commits - before] and 0 < listed[0] <= 12
    assert got == cold(repo_path)


@pytest.mark.parametrize("damage", ["parent out of range", "ref out of range", "person out of range",
                                    "columns of different lengths", "duplicate commit"])
def test_a_cached_graph_pointing_outside_itself_is_a_miss(repo_path: Path, tmp_path: Path, damage: str) -> None:
    """Well-typed but inconsistent (planted, or written by a bug): read again, never a crash."""
    from advisor import store
    from advisor.model import CommitGraph

    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.commit(at=1)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    entries = store.Cache(cache, gitread.locate(repo_path).git_dir)
    key = pipeline.Cache.key("graph", gitread.reading_key(repo_path))
    graph = entries.get("graph", key, CommitGraph)
    assert graph is not None and pipeline._consistent(graph)
    if damage == "parent out of range":
        graph.parents[0] = (99,)
    elif damage == "ref out of range":
        graph.refs = (dataclasses.replace(graph.refs[0], target=-1),)
    elif damage == "person out of range":
        graph.author[0] = 5
    elif damage == "columns of different lengths":
        graph.subject.pop()
    else:
        graph.shas[1] = graph.shas[0]
    entries.put("graph", key, graph, CommitGraph)
    b.commit(at=2)
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path) and said == []


def test_the_cli_says_in_one_line_that_a_rewritten_history_is_read_again(repo_path: Path, tmp_path: Path) -> None:
    from tests.test_cli import run

    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("spike")
    b.commit(branch="spike", at=1)
    cache = tmp_path / "cache"
    first = run("scan", str(repo_path), "--format", "json", "--no-history", cache=cache)
    b.delete_branch("spike")
    b.commit(at=2)
    code, out, err = run("scan", str(repo_path), "--format", "json", "--no-history", cache=cache)
    assert first[0] == code == 0 and first[2] == ""
    assert err.splitlines() == ["advisor: history was rewritten since the last scan (a branch or tag was "
                                "force-pushed, reset or deleted); reading the whole history again."]
    assert '"commits": 2' in out
    b.branch("spike-2")
    b.commit(branch="spike-2", at=3)
    run("scan", str(repo_path), "--format", "json", "--no-history", cache=cache)
    b.delete_branch("spike-2")
    quiet = run("scan", str(repo_path), "--format", "json", "--no-history", "--quiet", cache=cache)
    assert quiet[0] == 0 and quiet[2] == ""  # --quiet: not even this line


def test_new_commits_and_refs_on_old_commits_no_ref_pointed_at(repo_path: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A new commit's parent, or a new ref's target, deep in the cached graph (not the last scan's tip of any ref):
    the extension resolves it as a whole read would (gitread indexes the old commits only for such a sha)."""
    b = RepoBuilder(repo_path)
    old = [b.commit(at=day) for day in range(6)]
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    b.branch("fix", old[2])
    b.commit(branch="fix", at=7)
    b.merge("fix", at=8)
    b.tag("v0.1", old[1])
    b.set_ref("refs/heads/pointer", old[3])
    expected = cold(repo_path)
    with monkeypatch.context() as patched:
        forbid_full_reads(patched)
        got, said = warm(repo_path, cache)
    assert graph_notices(said) == []
    assert got == expected and got[0].commits == 8


def test_a_cached_history_out_of_time_order_is_a_miss(repo_path: Path, tmp_path: Path) -> None:
    """The window's episodes and release tags are found by bisection: a cached history whose release
    tags are out of time order (planted, or written by a bug) is reconstructed again, never trusted."""
    from advisor import store

    b = RepoBuilder(repo_path)
    for day in range(3):
        b.commit(at=day)
        b.tag(f"v1.{day}.0", annotated=True, at=day)
    cache = tmp_path / "cache"
    (facts, first), _ = warm(repo_path, cache)
    assert [r.tag for r in first.releases] == ["v1.0.0", "v1.1.0", "v1.2.0"]
    scanning = request(repo_path, cache)
    key = pipeline.Cache.key(gitread.fingerprint(repo_path), scanning.options, scanning.moment.date().isoformat(),
                             str(repo_path), None)
    entries = store.Cache(cache, gitread.locate(repo_path).git_dir)
    cached = entries.get("history", key, pipeline._CACHED_HISTORY)
    assert cached is not None and cached[1] == first  # the key is the scan's own
    shuffled = dataclasses.replace(first, releases=tuple(reversed(first.releases)))
    entries.put("history", key, (cached[0], shuffled, cached[2]), pipeline._CACHED_HISTORY)
    got, _ = warm(repo_path, cache)
    assert got == cold(repo_path) and got[1].releases == first.releases
