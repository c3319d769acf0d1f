"""What a merge brought onto a long-lived line is what git counts: `git rev-list M^1..M^2`.

Lines that take the trunk back after their merges hold the trunk's commits as ranges of trunk
positions (`history.arrival`), not one by one; the counts, and the first-authored commit of
each merge, must not change for it. Random histories of several lines, built with git, each
merge checked against git itself.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import gitread, history
from advisor.model import History
from tests.builders import BOB, RepoBuilder

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
PEOPLE = (("Alice", "alice@example.com"), BOB, ("Ann", "ann@example.com"))


def grow(path: Path, seed: int, steps: int, cut_from_topic: bool = False) -> None:
    """Random work over long-lived lines: develop forked from main, staging from develop, stable
    from main later (and, `cut_from_topic`, integration cut from a topic main then merged); commits on
    any line, topics forked from any line merged into any other, lines merged into each other in every
    direction (back-merges of main included)."""
    rng = random.Random(seed)
    b = RepoBuilder(path)
    hour = 0.0
    for _ in range(3):
        hour += 1
        b.commit(at=hour)
    lines = ["main"]
    topics: list[str] = []
    numbers = iter(range(1, 10_000))
    for opening in ("develop", "staging", "stable"):
        lines.append(opening)
        b.branch(opening, rng.choice(lines[:-1]))
        hour += 1
        b.commit(branch=opening, at=hour)
    if cut_from_topic:  # its oldest commits are the topic's: its fork is on no line (lines._own_part)
        b.branch("topic-0", rng.choice(lines))
        for _ in range(2):
            hour += 1
            b.commit(branch="topic-0", at=hour)
        b.branch("integration", "topic-0")
        b.merge("topic-0", "main", at=hour + 1, delete=True)
        lines.append("integration")
    for _ in range(steps):
        hour += rng.choice((0.5, 1, 3, 12))
        roll = rng.random()
        who = rng.choice(PEOPLE)
        # Author times out of order now and then: the first-authored commit is not always the oldest merged.
        authored = hour - rng.choice((0, 0, 0, 5, 40))
        if roll < 0.3:
            b.commit(branch=rng.choice(lines), at=authored, committed_at=hour, author=who)
        elif roll < 0.5:
            name = f"topic-{next(numbers)}"
            b.branch(name, rng.choice(lines + topics))
            topics.append(name)
            b.commit(branch=name, at=authored, committed_at=hour, author=who)
        elif roll < 0.6 and topics:
            b.commit(branch=rng.choice(topics), at=authored, committed_at=hour, author=who)
        elif roll < 0.8 and topics:
            name = rng.choice(topics)
            b.merge(name, rng.choice(lines), at=hour)
            if rng.random() < 0.7:
                b.delete_branch(name)
                topics.remove(name)
        else:
            source, target = rng.sample(lines, 2)
            if rng.random() < 0.4:
                source = "main"  # the trunk taken back into a line, the shape that is held as ranges
                target = rng.choice(lines[1:])
            if b.tip(source) != b.tip(target):
                b.merge(source, target, at=hour)
    hour += 24 * 15  # every line's own commits span a fortnight and it took two merges: long-lived
    for line in lines:
        for _ in range(2 if line != "integration" else 5):  # a name that does not look like a line's needs five
            name = f"topic-{next(numbers)}"
            b.branch(name, line)
            b.commit(branch=name, at=hour)
            b.merge(name, line, at=hour + 1, delete=True)
            hour += 2


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=True).stdout


def brought(path: Path, merge: str, parent: int) -> tuple[int, int | None]:
    """How many commits merging the parent brought (git rev-list M^1..M^n), and the earliest author time."""
    times = [int(t) for t in git(path, "log", "--format=%at", f"{merge}^1..{merge}^{parent}").split()]
    return len(times), min(times) if times else None


def reconstruct(path: Path) -> History:
    return history.reconstruct(gitread.load(path), history.HistoryOptions(), NOW)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), steps=st.integers(10, 70), cut_from_topic=st.booleans())
def test_every_line_merge_counts_what_git_counts(seed: int, steps: int, cut_from_topic: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "repo"
        grow(path, seed, steps, cut_from_topic)
        result = reconstruct(path)
        assert {"main", "develop"} <= {line.name for line in result.long_lived}
        for line_merge in result.line_merges:
            count, first = brought(path, line_merge.commit, 2)
            assert line_merge.commits == count, line_merge
            at = line_merge.first_commit_at
            assert (int(at.timestamp()) if at is not None else None) == first, line_merge
        for episode in result.episodes:
            if episode.landed_commits is not None:
                merge, _, number = episode.id.partition(":")
                count, first = brought(path, merge, int(number or 1) + (0 if number else 1))
                assert episode.landed_commits == count, episode
                if episode.landed_first_commit_at is not None:
                    assert int(episode.landed_first_commit_at.timestamp()) == first, episode


def test_a_line_that_takes_the_trunk_back_after_each_merge_counts_each_round(repo_path: Path) -> None:
    """Two lines, each merged into main and main merged back, in turn. A back-merge brings what main got
    since the line last took it: at first stable's own merge (1), then develop's too with stable's
    commits (4); from then on the other line's two commits, its back-merge and both merges (5)."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("stable")
    b.branch("develop")
    backs = []
    for round_ in range(4):
        hour = 10 + round_ * 24 * 5  # the lines live three weeks: long-lived
        for line in ("stable", "develop"):
            b.commit(branch=line, at=hour)
            b.commit(branch=line, at=hour + 1)
            b.merge(line, "main", at=hour + 2)
            backs.append(b.merge("main", line, at=hour + 3))
    result = reconstruct(repo_path)
    counts = {m.commit: m.commits for m in result.line_merges}
    assert [counts[sha] for sha in backs] == [brought(repo_path, sha, 2)[0] for sha in backs]
    assert [counts[sha] for sha in backs] == [1, 4, 4, 5, 5, 5, 5, 5]


def test_a_line_cut_from_a_merged_topic_counts_from_where_the_topic_left_the_trunk(repo_path: Path) -> None:
    """`integration` is cut from a topic that main then merged: its oldest commits are the topic's, not its
    own, so its fork commit is on no line. What its merges brought is still what git counts (the topic's
    commits were on it from the start), and the scan does not fail (it once recursed without end)."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.commit(at=1)
    b.branch("topic")
    b.commit(branch="topic", at=2)
    b.commit(branch="topic", at=3)
    b.branch("integration", "topic")
    b.merge("topic", "main", at=4, delete=True)
    hour = 5.0
    merges = []
    for number in range(6):
        b.branch(f"feature-{number}", "integration")
        b.commit(branch=f"feature-{number}", at=hour)
        b.merge(f"feature-{number}", "integration", at=hour + 1, delete=True)
        b.commit(at=hour + 2)
        if number % 2:
            merges.append(b.merge("main", "integration", at=hour + 3))
        hour += 24 * 4
    merges.append(b.merge("integration", "main", at=hour))
    result = reconstruct(repo_path)
    assert [line.name for line in result.long_lived] == ["main", "integration"]
    counts = {m.commit: m.commits for m in result.line_merges}
    assert [counts[sha] for sha in merges] == [brought(repo_path, sha, 2)[0] for sha in merges]
    # The first back-merge brings main's merge of the topic and main's two commits since, not the topic again.
    assert [counts[sha] for sha in merges] == [3, 2, 2, 15]


def test_the_trunk_order_holds_author_times_too_large_for_a_machine_integer() -> None:
    """Keys are author time x (commits + 1) + commit, kept as machine integers; a history dated absurdly far
    ahead (git stores what it is given) keeps them as Python integers, in the same order."""
    from types import SimpleNamespace

    from advisor.history.arrival import TrunkOrder

    arrival = [0, 0, 1, 2, 1, -1]
    for times in ([30, 10, 20, 5, 40, 0], [30, 10, 2**62, 5, 40, 0]):
        order = TrunkOrder(SimpleNamespace(author_time=times), arrival, 3)  # type: ignore[arg-type]
        assert list(order.start) == [0, 2, 4, 5]
        by_position = [[k % order.scale for k in order.keys[order.start[p]:order.start[p + 1]]] for p in range(3)]
        assert by_position == [[0, 1], [2, 4], [3]]
        assert min(order.keys[0:2]) % order.scale == 1 and min(order.keys[2:4]) % order.scale == (2 if times[2] < 40 else 4)
