"""The repository as it was on a past date: `asof.truncate` against the same cut made with git.

`truncated_copy` is the specification: it makes the cut on a real repository with git
alone (mirror, rewind or delete every ref, drop late tags, prune what is no longer
reachable), written independently of `advisor.asof`, so that loading the copy must
give the graph `truncate` computes in memory.
"""

from __future__ import annotations

import random
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import asof, gitread
from advisor.model import CommitGraph
from tests.builders import START, RepoBuilder, git_cli

UTC = timezone.utc
CONVENTIONAL = ("main", "master", "trunk")


def truncated_copy(source: Path, as_of: datetime, dest: Path) -> Path:
    """A bare mirror of `source` as it was on `as_of`, made with git; returns `dest`.

    1. Commits: kept when committed at or before `as_of` and all their parents are kept.
    2. Every branch (any ref but a tag) is moved with `git update-ref` to the newest kept
       commit of its first-parent chain, or deleted when there is none. The trunk is
       HEAD's branch if it survives, else main/master/trunk; a branch that had to move
       and lands on the trunk's first-parent chain is deleted (created later).
    3. Tags whose commit is not kept, or annotated after `as_of`, are deleted.
    4. `git gc --prune=now` removes every object no ref reaches any more.
    """
    limit = int(as_of.timestamp())
    git_cli(dest.parent, "clone", "-q", "--mirror", str(source), str(dest))
    kept: dict[str, bool] = {}
    first_parent: dict[str, str | None] = {}
    for line in git_cli(dest, "log", "--all", "--topo-order", "--reverse", "--format=%H %ct %P").splitlines():
        sha, committed, *parents = line.split()
        first_parent[sha] = parents[0] if parents else None
        kept[sha] = int(committed) <= limit and all(kept[p] for p in parents)

    def landing(sha: str | None) -> str | None:
        while sha is not None and not kept[sha]:
            sha = first_parent[sha]
        return sha

    branches: dict[str, tuple[str | None, bool]] = {}  # ref -> (where it lands, had to move)
    for line in git_cli(dest, "for-each-ref", "--format=%(refname)|%(objecttype)|%(objectname)|%(*objectname)|"
                                              "%(taggerdate:unix)").splitlines():
        name, kind, sha, peeled, tagged = line.split("|")
        if kind == "tag":
            if not kept.get(peeled, False) or int(tagged) > limit:
                git_cli(dest, "update-ref", "-d", name)
        elif name.startswith("refs/tags/"):
            if not kept[sha]:
                git_cli(dest, "update-ref", "-d", name)
        else:
            branches[name] = (landing(sha), not kept[sha])
    head = git_cli(dest, "symbolic-ref", "-q", "HEAD").strip()
    candidates = [head] + [f"refs/heads/{n}" for n in CONVENTIONAL]
    trunk = next((n for n in candidates if branches.get(n, (None, False))[0] is not None), None)
    chain: set[str] = set()
    at = branches[trunk][0] if trunk is not None else None
    while at is not None:
        chain.add(at)
        at = first_parent[at]
    for name, (target, moved) in branches.items():
        if target is None or (moved and name != trunk and target in chain):
            git_cli(dest, "update-ref", "-d", name)
        elif moved:
            git_cli(dest, "update-ref", name, target)
    git_cli(dest, "reflog", "expire", "--expire=now", "--all")
    git_cli(dest, "gc", "-q", "--prune=now")
    return dest


def hours(h: float) -> datetime:
    return START + timedelta(hours=h)


def by_sha(graph: CommitGraph) -> tuple[dict[str, tuple[str, ...]], dict[str, str], dict[str, object]]:
    """The graph without its indices: parents, refs and every per-commit column by sha."""
    parents = {sha: tuple(graph.shas[p] for p in ps) for sha, ps in zip(graph.shas, graph.parents)}
    refs = {r.name: graph.shas[r.target] for r in graph.refs}
    columns = {
        sha: (graph.author_time[i], graph.author_offset[i], graph.commit_time[i], graph.commit_offset[i],
              graph.people[graph.author[i]], graph.people[graph.committer[i]], graph.subject[i],
              graph.trailers.get(i))
        for i, sha in enumerate(graph.shas)
    }
    return parents, refs, columns


def random_history(path: Path, seed: int) -> list[datetime]:
    """A random history: branches from the trunk and from each other, merges, squashes,
    rebases, deletions, light and annotated tags, and a few skewed clocks. Returns
    every date it used (commit and tag times)."""
    rng = random.Random(seed)
    b = RepoBuilder(path)
    moments = [hours(0)]
    b.commit(at=0)
    branches: list[str] = []
    hour = 0.0
    numbers = iter(range(1, 1000))
    for _ in range(rng.randint(8, 30)):
        hour += rng.choice((0.5, 1, 3, 12, 30))
        roll = rng.random()
        skew = rng.random() < 0.1
        committed = hour - rng.choice((-40, 20, 200)) if skew else None
        if roll < 0.25 or (not branches and 0.4 <= roll < 0.8):
            b.commit(at=hour, committed_at=committed)
        elif roll < 0.4:
            name = f"topic-{next(numbers)}"
            start = rng.choice(["main", *branches])
            b.branch(name, start)
            branches.append(name)
            if rng.random() < 0.8:
                b.commit(branch=name, at=hour, committed_at=committed)
        elif roll < 0.6:
            b.commit(branch=rng.choice(branches), at=hour, committed_at=committed)
        elif roll < 0.8:
            name = rng.choice(branches)
            method = rng.choice(("merge", "merge", "squash", "rebase"))
            message = f"Add {name} (#{next(numbers)})" if method == "squash" else None
            b.merge(name, "main", method=method, message=message, at=hour)
            if rng.random() < 0.6:
                b.delete_branch(name)
                branches.remove(name)
        elif roll < 0.9:
            annotated = rng.random() < 0.6
            late = rng.choice((0, 0, 5, 100))
            b.tag(f"v1.{next(numbers)}", rng.choice(["main", *branches]), annotated=annotated, at=hour + late)
            if annotated:
                moments.append(hours(hour + late))
        elif branches:
            name = rng.choice(branches)
            b.delete_branch(name)
            branches.remove(name)
        moments.append(hours(hour))
        if committed is not None:
            moments.append(hours(committed))
    return sorted(moments)


# ---------------------------------------------------------------------------
# truncate on built repositories


def graph_of(path: Path) -> CommitGraph:
    return gitread.load(path)


def test_later_commits_branches_and_tags_disappear(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    root = b.commit(at=0)
    b.branch("old")  # exists on the date with its own commit, gets more later
    kept = b.commit(branch="old", at=2)
    trunk_then = b.commit(at=3)
    b.tag("v1.0", annotated=True, at=4)
    b.tag("v1.1-late", annotated=True, at=40)  # tagged after the date on an older commit
    b.tag("light")
    b.commit(branch="old", at=20)
    b.branch("new", "main")  # created after the date from the trunk
    b.commit(branch="new", at=21)
    merge = b.merge("old", at=22)
    full = graph_of(repo_path)
    past = asof.truncate(full, hours(10))
    parents, refs, _ = by_sha(past)
    assert len(past) == 3 and merge not in parents
    assert refs["refs/heads/old"] == kept
    assert refs["refs/heads/main"] == trunk_then and parents[trunk_then] == (root,)
    assert "refs/heads/new" not in refs
    assert {"refs/tags/v1.0", "refs/tags/light"} <= set(refs) and "refs/tags/v1.1-late" not in refs
    assert past.head_ref == "refs/heads/main" and past.head_target == past.shas.index(refs["refs/heads/main"])
    assert all(p < len(past) for ps in past.parents for p in ps)


def test_a_merge_keeps_both_sides_and_the_branch_rewound_onto_another_branch(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("develop")
    d1 = b.commit(branch="develop", at=1)
    b.branch("feature", "develop")
    f1 = b.commit(branch="feature", at=2)
    m = b.merge("feature", "develop", at=3)
    b.branch("later", "develop")  # created after the date from develop: git cannot tell, it stays
    b.commit(branch="later", at=30)
    b.commit(branch="develop", at=31)
    past = asof.truncate(graph_of(repo_path), hours(5))
    parents, refs, _ = by_sha(past)
    assert parents[m] == (d1, f1)
    assert refs["refs/heads/develop"] == m and refs["refs/heads/feature"] == f1 and refs["refs/heads/later"] == m


def test_a_parent_dated_later_hides_its_children(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    root = b.commit(at=0)
    b.commit(at=1, committed_at=100)  # a clock far ahead
    b.commit(at=2)  # a correct clock, but its parent cannot have existed yet
    b.commit(at=3, committed_at=-5)  # a clock behind: dated before its parents
    past = asof.truncate(graph_of(repo_path), hours(10))
    assert past.shas == [root]
    everything = asof.truncate(graph_of(repo_path), hours(200))
    assert len(everything) == 4


def test_nothing_before_the_first_commit_and_everything_after_the_last(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.commit(at=1)
    b.tag("v1", annotated=True, at=2)
    full = graph_of(repo_path)
    assert len(asof.truncate(full, hours(-1))) == 0
    same = asof.truncate(full, hours(2))
    assert by_sha(same) == by_sha(full) and same.refs == full.refs
    assert len(asof.truncate(full, hours(1.5)).refs) == 1  # the tag is not there yet
    with pytest.raises(ValueError):
        asof.truncate(full, datetime(2024, 1, 1))


def test_a_commit_exactly_at_the_date_is_kept(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    last = b.commit(at=1)
    assert asof.truncate(graph_of(repo_path), hours(1) + timedelta(microseconds=500)).shas[0] == last
    assert last not in asof.truncate(graph_of(repo_path), hours(1) - timedelta(seconds=1)).shas


def test_the_trunk_named_by_option_decides_which_branches_came_later(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("develop")
    b.commit(branch="develop", at=1)
    b.branch("feature", "develop")
    b.commit(branch="feature", at=20)
    full = graph_of(repo_path)
    assert "refs/heads/feature" in by_sha(asof.truncate(full, hours(5)))[1]
    assert "refs/heads/feature" not in by_sha(asof.truncate(full, hours(5), trunk="develop"))[1]


# ---------------------------------------------------------------------------
# the property: truncate in memory == truncate with git


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), pick=st.floats(0, 1), exact=st.booleans())
def test_truncate_equals_the_git_truncated_copy(seed: int, pick: float, exact: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        moments = random_history(root / "repo", seed)
        if exact:
            date = moments[int(pick * (len(moments) - 1))]
        else:
            date = moments[0] - timedelta(hours=2) + (moments[-1] - moments[0] + timedelta(hours=4)) * pick
        past = asof.truncate(graph_of(root / "repo"), date)
        copy = truncated_copy(root / "repo", date, root / "copy.git")
        if len(past) == 0:
            assert git_cli(copy, "for-each-ref").strip() == ""
            return
        expected = gitread.load(copy)
        assert by_sha(past) == by_sha(expected)
        assert past.head_ref == expected.head_ref
        head = past.shas[past.head_target] if past.head_target is not None else None
        assert head == (expected.shas[expected.head_target] if expected.head_target is not None else None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), picks=st.lists(st.floats(0, 1), min_size=2, max_size=5))
def test_a_chain_of_cuts_numbers_each_earlier_dates_commits_first_and_is_the_same_graph(
        seed: int, picks: list[float]) -> None:
    """A backfill's chain of cuts, each built on the last (dates in any order): each numbers the earlier cut's
    commits as it did, the rest after in git log's order, and is otherwise the graph `truncate` gives (which
    the git copy checks above), whether it extended the earlier graph or cut the whole one again."""
    with tempfile.TemporaryDirectory() as folder:
        moments = random_history(Path(folder) / "repo", seed)
        full = graph_of(Path(folder) / "repo")
        earlier: asof.Cut | None = None
        for pick in picks:
            date = moments[0] + (moments[-1] - moments[0] + timedelta(hours=1)) * pick
            past = asof.cut(full, date, after=earlier)
            plain = asof.truncate(full, date)
            assert by_sha(past.graph) == by_sha(plain) and past.graph.head_ref == plain.head_ref
            assert head_sha(past.graph) == head_sha(plain)
            assert [full.shas[i] for i in past.order] == past.graph.shas
            assert all(past.position[i] == n for n, i in enumerate(past.order))
            assert past.reached.count(1) == len(past.order)
            if earlier is not None:
                kept = set(past.graph.shas)
                still = [sha for sha in earlier.graph.shas if sha in kept]
                assert past.graph.shas[:len(still)] == still  # the earlier date's commits first, in its order
                rest = past.graph.shas[len(still):]
                assert rest == [sha for sha in plain.shas if sha in set(rest)]  # then in git log's order
            earlier = past


def head_sha(graph: CommitGraph) -> str | None:
    return graph.shas[graph.head_target] if graph.head_target is not None else None


def test_a_later_cut_extends_the_earlier_graph_and_keeps_its_unmoved_refs(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    for hour in range(4):
        b.commit(at=hour)
    b.branch("topic", "main")
    b.commit(branch="topic", at=5)
    b.tag("v1", "main", annotated=True, at=6)
    b.commit(at=7)
    full = graph_of(repo_path)
    earlier = asof.cut(full, hours(6))
    later = asof.cut(full, hours(8), after=earlier)
    assert later.graph.shas[:len(earlier.graph)] == earlier.graph.shas and len(later.graph) == len(earlier.graph) + 1
    assert by_sha(later.graph) == by_sha(asof.truncate(full, hours(8)))
    unmoved = {r.name: r for r in earlier.graph.refs}
    assert {r.name for r in later.graph.refs if r is unmoved.get(r.name)} == {"refs/heads/topic", "refs/tags/v1"}
    same = asof.cut(full, hours(9), after=later)
    assert same.graph.shas is later.graph.shas  # nothing new: the earlier columns as they are


def test_a_cut_with_every_commit_in_order_shares_the_columns(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    for hour in range(4):
        b.commit(at=hour)
    full = graph_of(repo_path)
    same = asof.cut(full, hours(10))
    assert same.graph.shas is full.shas and same.order == list(range(len(full)))


# ---------------------------------------------------------------------------
# dates_between


def test_weekly_dates_end_at_until_on_its_weekday() -> None:
    until = datetime(2024, 3, 6, 12, 30, tzinfo=UTC)  # a Wednesday
    dates = asof.dates_between(datetime(2024, 2, 7, 12, 30, tzinfo=UTC), until, "week")
    assert dates == [until - timedelta(days=7 * k) for k in (4, 3, 2, 1, 0)]
    assert {d.weekday() for d in dates} == {2}
    assert asof.dates_between(until, until, "week") == [until]
    assert asof.dates_between(until + timedelta(days=1), until, "week") == []
    assert len(asof.dates_between(until - timedelta(days=365), until, "week")) == 53


def test_monthly_dates_are_month_ends_then_until() -> None:
    zone = timezone(timedelta(hours=2))
    dates = asof.dates_between(datetime(2023, 11, 15, tzinfo=UTC), datetime(2024, 2, 10, tzinfo=zone), "month")
    assert dates == [datetime(2023, 12, 1, tzinfo=zone), datetime(2024, 1, 1, tzinfo=zone),
                     datetime(2024, 2, 1, tzinfo=zone), datetime(2024, 2, 10, tzinfo=zone)]
    edge = asof.dates_between(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC), "month")
    assert edge == [datetime(2024, m, 1, tzinfo=UTC) for m in (1, 2, 3)]
    with pytest.raises(ValueError):
        asof.dates_between(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC), "day")  # type: ignore[arg-type]


@given(since=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
       days=st.integers(0, 800), every=st.sampled_from(["week", "month"]))
def test_dates_are_sorted_inside_the_range_and_end_at_until(since: datetime, days: int, every: str) -> None:
    until = since + timedelta(days=days, hours=5)
    dates = asof.dates_between(since, until, every)  # type: ignore[arg-type]
    assert dates == sorted(set(dates)) and dates[-1] == until
    assert all(since <= d <= until for d in dates)
    gaps = [(b - a).days for a, b in zip(dates, dates[1:])]
    assert all(g == 7 for g in gaps) if every == "week" else all(g <= 31 for g in gaps)
