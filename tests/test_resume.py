"""A re-scan after new commits resumes the last reconstruction (history.resume) and gives exactly what a
cold reconstruction gives; when it cannot (the trunk changed, a line appeared, a run reaches back),
it reconstructs the whole history and says why in one line.

Each simulator's history is replayed in steps: its refs are wound back to a past moment, scanned with a
cache, then moved forward again (the commits were there all along, so every step only adds commits
and moves refs forward, as a week of work does).
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pygit2
import pytest

from advisor import codec, gitread, pipeline, store
from advisor.history import resume
from tests import scenarios
from tests.builders import BOB, RepoBuilder, git_cli
from tests.test_incremental import RESUME_NOTICE, Grower, cold, graph_notices, warm

SIMULATORS: list[Callable[[Path], Any]] = [
    scenarios.gitflow, scenarios.gitflow_develop_default, scenarios.squash_with_sync_merges,
    scenarios.dormant_release_line, scenarios.github_flow, scenarios.trunk_squash, scenarios.trunk_squash_pull_refs,
    scenarios.trunk_rebase, scenarios.trunk_direct, scenarios.prs_landed_as_commits, scenarios.release_branching,
    scenarios.environment_branches, scenarios.gitflow_late_hotfixes,
]


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> Iterator[collections.Counter[str]]:
    """What each resume attempt answered: 'resumed', 'not of this graph', or the reason given."""
    seen: collections.Counter[str] = collections.Counter()
    real = resume.resume

    def spy(*args: Any, **kwargs: Any) -> Any:
        answer = real(*args, **kwargs)
        seen["not of this graph" if answer is None else answer if isinstance(answer, str) else "resumed"] += 1
        return answer

    monkeypatch.setattr(resume, "resume", spy)
    yield seen


def wind_back(path: Path, until: int) -> dict[str, pygit2.Oid]:
    """Every branch moved back along its first parents to its last commit made by `until` (deleted when it
    has none), tags made later deleted; the refs as they were, to put back."""
    repo = pygit2.Repository(str(path))
    head = repo.references["HEAD"].target if not repo.head_is_unborn else None
    saved: dict[str, pygit2.Oid] = {}
    for name in list(repo.references):
        ref = repo.references[name]
        if not isinstance(ref.target, pygit2.Oid):
            continue
        saved[name] = ref.target
        commit: pygit2.Commit | None = repo[ref.target].peel(pygit2.Commit)
        if name.startswith("refs/tags/"):
            if commit is not None and commit.commit_time > until:
                ref.delete()
            continue
        while commit is not None and commit.commit_time > until:
            commit = commit.parents[0] if commit.parents else None
        if commit is None:
            if name == head:
                raise ValueError("the trunk had no commit yet")
            ref.delete()
        else:
            ref.set_target(commit.id)
    return saved


def put_back(path: Path, saved: dict[str, pygit2.Oid]) -> None:
    repo = pygit2.Repository(str(path))
    for name, target in saved.items():
        repo.references.create(name, target, force=True)


def commit_times(path: Path) -> list[int]:
    out = git_cli(path, "log", "--all", "--format=%ct")
    return sorted(int(t) for t in out.split())


@pytest.mark.parametrize("simulate", SIMULATORS, ids=lambda f: f.__name__)
def test_every_simulator_replayed_in_steps_resumes_to_what_a_cold_scan_gives(
        simulate: Callable[[Path], Any], repo_path: Path, tmp_path: Path,
        outcomes: collections.Counter[str]) -> None:
    simulate(repo_path)
    times = commit_times(repo_path)
    cache = tmp_path / "cache"
    cuts = sorted({times[len(times) * share // 100] for share in (35, 55, 70, 85, 95)})
    full = wind_back(repo_path, times[-1] + 1)
    try:
        first = wind_back(repo_path, cuts[0])
    except ValueError:
        pytest.skip("the trunk starts later")
    warm(repo_path, cache)
    put_back(repo_path, first)
    for cut in [*cuts[1:], None]:
        step = wind_back(repo_path, cut) if cut is not None else None
        got, said = warm(repo_path, cache)
        assert got == cold(repo_path), (cut, said)
        assert graph_notices(said) == [] and len(said) <= 1
        if step is not None:
            put_back(repo_path, step)
    put_back(repo_path, full)
    assert "not of this graph" not in outcomes, outcomes


def test_the_simulators_mostly_resume(repo_path: Path, tmp_path: Path, outcomes: collections.Counter[str]) -> None:
    """Trunk-based work resumes at every step (a simulator where a line appears starts over, saying so)."""
    for simulate in (scenarios.trunk_squash, scenarios.trunk_rebase, scenarios.github_flow):
        path = tmp_path / simulate.__name__
        simulate(path)
        times = commit_times(path)
        cache = tmp_path / f"cache-{simulate.__name__}"
        full = wind_back(path, times[-1] + 1)
        wind_back(path, times[len(times) // 2])
        warm(path, cache)
        put_back(path, full)
        got, said = warm(path, cache)
        assert got == cold(path) and said == []
    assert outcomes == {"resumed": 3}


def test_histories_grown_many_times_resume_to_what_a_cold_scan_gives(tmp_path: Path,
                                                                      outcomes: collections.Counter[str]) -> None:
    for seed in range(6):
        root = tmp_path / str(seed)
        grower = Grower(root / "repo", seed)
        grower.grow(25, rewrite=False)
        warm(root / "repo", root / "cache")
        for step in range(4):
            grower.grow(6 + step, rewrite=step == 2)
            got, said = warm(root / "repo", root / "cache")
            assert got == cold(root / "repo"), (seed, step, said)
    assert outcomes["resumed"] >= 18, outcomes


def test_request_numbers_past_2_31_are_kept_and_resumed_from(repo_path: Path, tmp_path: Path,
                                                            outcomes: collections.Counter[str]) -> None:
    """A squash merge naming pull request 999,999,999,999 and a pull ref of that number: the state holds
    them (an int32 column crashed the cached scan), and the next scan resumes from it."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.commit(at=1, message="Add the parser (#999999999999)")
    head = b.commit(branch="reader", at=1, message="Read it")
    b.repo.references.create("refs/pull/999999999997/head", pygit2.Oid(hex=head))
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    b.commit(at=2, message="Add the writer (#999999999998)")
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path) and said == []
    assert outcomes == {"resumed": 1}


def test_a_new_trunk_starts_over_and_says_so(repo_path: Path, tmp_path: Path, outcomes: collections.Counter[str]) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("develop")
    b.commit(branch="develop", at=1)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    b.repo.set_head("refs/heads/develop")
    b.commit(branch="develop", at=2)
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path)
    assert said == [f"{RESUME_NOTICE} (the trunk is develop now); reconstructing the whole history."]


def test_a_new_long_lived_line_starts_over_and_says_so(repo_path: Path, tmp_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("develop")
    b.commit(branch="develop", at=1)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    for hour in range(2, 8):  # develop now takes feature merges for weeks: a line
        b.branch(f"topic-{hour}", "develop")
        b.commit(branch=f"topic-{hour}", at=hour * 100)
        b.merge(f"topic-{hour}", "develop", at=hour * 100 + 1, delete=True)
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path)
    assert said == [f"{RESUME_NOTICE} (develop is a long-lived line now); reconstructing the whole history."]


def test_a_merge_dated_before_the_last_scans_merges_starts_over(repo_path: Path, tmp_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("late")
    b.commit(branch="late", at=1)
    b.branch("early")
    b.commit(branch="early", at=1)
    b.merge("early", at=10)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    b.merge("late", at=5)  # committed before the merge the last scan saw (a clock behind)
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path)
    assert said == [f"{RESUME_NOTICE} (new merges are dated before merges the last scan labelled); "
                    "reconstructing the whole history."]


def test_a_branch_moved_off_a_labelled_commit_starts_over(repo_path: Path, tmp_path: Path) -> None:
    """The branch named the episode its commit belongs to; a cold scan names it otherwise now."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("topic")
    b.commit(branch="topic", at=1)
    b.merge("topic", at=2)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    b.commit(branch="topic", at=3, author=BOB)
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path)
    assert said == [f"{RESUME_NOTICE} (a branch moved off a commit the last scan labelled); "
                    "reconstructing the whole history."]


@pytest.mark.parametrize("damage", ["episode out of range", "short column", "commit out of range"])
def test_a_damaged_state_is_a_miss(repo_path: Path, tmp_path: Path, damage: str,
                                   outcomes: collections.Counter[str]) -> None:
    """Well-typed but inconsistent (planted, or written by a bug): reconstructed whole, never a crash."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("topic")
    b.commit(branch="topic", at=1)
    b.merge("topic", at=2)
    cache = tmp_path / "cache"
    warm(repo_path, cache)
    entries = store.Cache(cache, gitread.locate(repo_path).git_dir)
    facts, history, saved = entries.latest("history", pipeline._CACHED_HISTORY)
    assert saved is not None
    damaged = {"episode out of range": {"episode_of": resume._column([5] * saved.commits)},  # more than there are
               "short column": {"episode_of": resume._column([-1])},
               "commit out of range": {"anchors": resume._column([saved.commits] * len(saved.anchors))}}[damage]
    planted = codec.dumps((facts, history, _with(saved, **damaged)), pipeline._CACHED_HISTORY)
    path = next((cache / "repos").rglob("history.v2.json"))
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    entries._write("history", header["key"], codec.loads(planted, pipeline._CACHED_HISTORY), pipeline._CACHED_HISTORY)
    b.commit(at=3)
    got, said = warm(repo_path, cache)
    assert got == cold(repo_path) and said == []
    assert outcomes == {"not of this graph": 1}


def _with(saved: resume.Resume, **changes: Any) -> resume.Resume:
    import dataclasses

    return dataclasses.replace(saved, **changes)


def test_the_cli_resumes_and_prints_what_a_scan_without_cache_prints(repo_path: Path, tmp_path: Path,
                                                                     outcomes: collections.Counter[str]) -> None:
    from tests.test_cli import run

    start = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)
    git_cli(repo_path.parent, "init", "-q", "-b", "main", str(repo_path))
    for day in range(12):
        git_cli(repo_path, "commit", "-q", "--allow-empty", "-m", f"Work {day}", at=start + timedelta(days=day))
    cache = tmp_path / "cache"
    first = run("scan", str(repo_path), "--format", "json", "--no-history", cache=cache)
    assert first[0] == 0, first[2]
    later = start + timedelta(days=20)
    git_cli(repo_path, "switch", "-q", "-c", "topic", at=later)
    git_cli(repo_path, "commit", "-q", "--allow-empty", "-m", "Topic work", at=later)
    git_cli(repo_path, "switch", "-q", "main", at=later)
    git_cli(repo_path, "merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic", at=later + timedelta(hours=1))
    git_cli(repo_path, "commit", "-q", "--allow-empty", "-m", "Fix (#12)", at=later + timedelta(hours=2))
    git_cli(repo_path, "tag", "v1.0", at=later + timedelta(hours=3))
    code, out, err = run("scan", str(repo_path), "--format", "json", "--no-history", cache=cache)
    fresh = run("scan", str(repo_path), "--format", "json", "--no-history")
    drop = ("scanned_at", "idle_days", "age_days")

    def stable(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if not any(k in line for k in drop))

    assert code == fresh[0] == 0 and err == ""
    assert stable(out) == stable(fresh[1]) and '"commits": 15' in out
    assert outcomes == {"resumed": 1}


@pytest.mark.parametrize("simulate", SIMULATORS, ids=lambda f: f.__name__)
def test_a_backfill_resumes_each_date_from_the_last_and_equals_scans_as_of_each_date(
        simulate: Callable[[Path], Any], repo_path: Path, outcomes: collections.Counter[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_pipeline import NOW, comparable, past_request

    simulate(repo_path)
    times = commit_times(repo_path)
    first, last = (datetime.fromtimestamp(t, timezone.utc) for t in (times[0], times[-1]))
    dates = [first + (last - first) * k / 8 + timedelta(hours=1) for k in range(1, 9)]
    renumbered = []
    real_align = resume.align

    def align(graph: Any, saved: Any) -> Any:
        aligned = real_align(graph, saved)
        renumbered.append(aligned is not graph)
        return aligned

    monkeypatch.setattr(resume, "align", align)
    together = list(pipeline.backfill(past_request(repo_path, NOW, None), dates))
    separate = [pipeline.run_scan(past_request(repo_path, NOW, date)) for date in dates]
    assert [comparable(s) for s in together] == [comparable(s) for s in separate]
    assert outcomes["resumed"] >= 1 and "not of this graph" not in outcomes, outcomes
    # Each date's cut numbers the previous date's commits as it did (asof.cut): nothing is renumbered.
    assert renumbered and not any(renumbered)


def test_align_copies_every_field_of_a_ref() -> None:
    """resume.align builds each Ref field by field (for speed): a field added to Ref must be copied there."""
    import dataclasses
    import inspect

    from advisor.model import Ref

    source = inspect.getsource(resume.align)
    assert all(f"{field.name}=" in source for field in dataclasses.fields(Ref))
