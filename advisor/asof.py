"""The repository as it was on a past date, from its history alone: CommitGraph -> CommitGraph.

`truncate` answers "what would `gitread.load` have returned on `as_of`?" as well as
history can tell (reflogs are not in clones, so where a branch pointed in the past is
inferred from its first-parent chain). The rule, also implemented against real git
repositories by the tests' `truncated_copy` helper:

1. Commits. A commit is kept when its committer time is at or before `as_of` and all
   of its parents are kept. A commit cannot exist before its parents, so a parent
   dated after `as_of` (a skewed clock) hides its descendants too; skew is tolerated
   (the result is always a closed, consistent graph) but never used to pull a commit
   earlier than its own date or its parents'.
2. Branches (local, remote-tracking, pull-request and other non-tag refs) are rewound
   along their first-parent chain to the newest kept commit: that is where the branch
   pointed on `as_of` as far as history can tell. A branch with no kept commit on its
   chain did not exist yet and is dropped. So is a branch that had to be rewound and
   lands on the trunk's first-parent chain (the trunk chosen as `history` chooses it):
   all its own commits are later, so as far as history can tell it was created later
   (a branch that existed but was still empty is indistinguishable, and dropped too).
   A branch rewound onto another non-trunk branch is kept (git cannot tell which of
   the two existed).
3. Tags are kept when their target commit is kept and, for annotated tags, their
   tagger time is at or before `as_of` (a lightweight tag has no date of its own).
4. HEAD and the remote's HEAD keep naming the same branch; when that branch was
   dropped they resolve to nothing, and the trunk falls back the way it does in a
   repository whose HEAD is unborn. A detached HEAD is rewound like a branch.
5. The result holds only the commits reachable from what is left (as `load` lists
   only reachable commits), re-indexed compactly in the input's order (the order of
   `git log`), with every per-commit column, the trailers and the refs remapped.
   `cut` may be asked to number some commits first (an earlier date's, as that date's
   graph numbered them): any numbering gives the same History, and a reconstruction
   resumed from that date's then finds its commits where it left them.

Everything is linear in the number of commits: one pass for the kept set (a second
only when clock skew listed a parent before its child), memoised first-parent walks
for the refs, one flood for reachability, one comprehension per column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from advisor import history
from advisor.errors import TrunkNotFound
from advisor.model import CommitGraph, Numbers, Ref, RefKind, picked_numbers, picker

Every = Literal["week", "month"]
_GONE = -1


def _limit(as_of: datetime) -> int:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    # Commit times are whole seconds: t <= as_of exactly when t <= floor(as_of).
    return int(as_of.timestamp() // 1)


def kept_commits(graph: CommitGraph, as_of: datetime) -> list[bool]:
    """Commit -> committed at or before `as_of` with every parent kept (rule 1)."""
    limit = _limit(as_of)
    parents = graph.parents
    keep = [t <= limit for t in graph.commit_time]
    while True:
        changed = pending = False
        # git log lists children before parents (unless clock skew reorders the walk):
        # walking from the end sees every parent's final answer before its children.
        for commit in range(len(keep) - 1, -1, -1):
            if keep[commit]:
                for parent in parents[commit]:
                    if not keep[parent]:
                        keep[commit] = False
                        changed = True
                        break
                    if parent < commit:
                        pending = True  # this parent's answer may still change in this pass
        if not (changed and pending):
            return keep


def _rewind(commit: int, graph: CommitGraph, keep: list[bool], memo: dict[int, int]) -> int:
    """The newest kept commit on `commit`'s first-parent chain, or _GONE; memoised so that
    many refs sharing a long run of later commits walk it once."""
    path: list[int] = []
    current = commit
    parents = graph.parents
    while True:
        if keep[current]:
            found = current
            break
        known = memo.get(current)
        if known is not None:
            found = known
            break
        path.append(current)
        first = parents[current]
        if not first:
            found = _GONE
            break
        current = first[0]
    for visited in path:
        memo[visited] = found
    return found


_BRANCH_KINDS = (RefKind.LOCAL, RefKind.REMOTE)


def _retarget(ref: Ref, target: int) -> Ref:
    """`replace(ref, target=target)`, several times faster (a mirror has thousands of refs per date)."""
    return Ref(name=ref.name, kind=ref.kind, short=ref.short, target=target, remote=ref.remote,
               tag_time=ref.tag_time, tag_offset=ref.tag_offset, pr=ref.pr)


def truncate(graph: CommitGraph, as_of: datetime, *, trunk: str | None = None) -> CommitGraph:
    """The graph as it was on `as_of` (see the module docstring for the rule).

    `trunk` is the `--trunk` option, if any: the trunk whose chain decides which rewound
    branches were created later. The result may share unchanged lists with `graph`;
    neither is modified.
    """
    return cut(graph, as_of, trunk=trunk).graph


@dataclass(frozen=True, slots=True, eq=False)
class Cut:
    """A graph as it was on a date, and where it sits in the graph it was cut from: what the next
    date's cut builds on (`cut(..., after=...)`)."""

    graph: CommitGraph  # as it was on the date
    source: CommitGraph  # what it was cut from
    limit: int  # the date, in whole epoch seconds
    order: list[int]  # each commit of `graph`: its index in `source`
    position: list[int]  # each commit of `source`: its index in `graph`, _GONE when left out
    # Derivable from `position`, but kept: the next date's cut starts from a copy of it, made in C.
    reached: bytearray  # each commit of `source`: 1 when in `graph`


def cut(graph: CommitGraph, as_of: datetime, *, trunk: str | None = None, after: Cut | None = None) -> Cut:
    """`truncate`, numbering first the commits of `after` (an earlier date's cut of the same `graph`) that it
    keeps, in `after`'s order, then the others in `graph`'s order.

    A backfill passes each date's cut as the next date's `after`: the earlier graph's commits keep their
    numbers, so resuming its reconstruction need not renumber the later graph; and when the later date keeps
    all of them (every earlier ref is still there: each then points at or past where it did), the earlier
    graph's columns are extended with the new commits instead of being copied again."""
    keep = kept_commits(graph, as_of)
    limit = _limit(as_of)
    memo: dict[int, int] = {}
    candidates: list[tuple[Ref, bool]] = []  # (ref at as_of, had to be rewound)
    for ref in graph.refs:
        if ref.kind is RefKind.TAG:
            if keep[ref.target] and (ref.tag_time is None or ref.tag_time <= limit):
                candidates.append((ref, False))
            continue
        if keep[ref.target]:
            candidates.append((ref, False))
            continue
        landing = _rewind(ref.target, graph, keep, memo)
        if landing != _GONE:
            candidates.append((_retarget(ref, landing), True))
    refs = _drop_created_later(graph, candidates, trunk)
    head_target: int | None = None
    if graph.head_ref is not None:
        head_target = next((r.target for r in refs if r.name == graph.head_ref), None)
    elif graph.head_target is not None:
        landing = _rewind(graph.head_target, graph, keep, memo)
        head_target = None if landing == _GONE else landing
    roots = [r.target for r in refs] + ([head_target] if head_target is not None else [])
    if after is not None and after.source is not graph:
        after = None
    if after is not None and _keeps_all_of(after, limit, refs, head_target):
        return _extend(after, limit, roots, refs, head_target)
    return _compact(graph, limit, roots, refs, head_target, after.order if after is not None else ())


def _keeps_all_of(after: Cut, limit: int, refs: list[Ref], head_target: int | None) -> bool:
    """Whether every commit of the earlier cut `after` is reached on this later date: a kept commit stays kept
    as the date grows, so each ref still there points at its earlier target or at a first-parent descendant of it
    (the newest kept commit of the same chain), and so does a detached HEAD still there."""
    if limit < after.limit:
        return False
    names = {ref.name for ref in refs}
    return (all(ref.name in names for ref in after.graph.refs)
            and (after.graph.head_target is None or head_target is not None))


def _drop_created_later(graph: CommitGraph, candidates: list[tuple[Ref, bool]],
                        trunk: str | None) -> list[Ref]:
    """Rule 2's second half: rewound branches landing on the trunk's chain are dropped."""
    if not any(moved for _, moved in candidates):
        return [ref for ref, _ in candidates]
    provisional = CommitGraph(shas=graph.shas, parents=graph.parents, commit_time=graph.commit_time,
                              commit_offset=graph.commit_offset, subject=graph.subject, trailers=graph.trailers,
                              refs=tuple(ref for ref, _ in candidates), head_ref=graph.head_ref,
                              remote_head=graph.remote_head)
    try:
        trunk_ref, _, _ = history.choose_trunk(provisional, history.branch_refs(provisional), trunk)
    except TrunkNotFound:
        return [ref for ref, _ in candidates]  # reconstruct will say so; nothing to measure against
    on_trunk: set[int] = set()
    commit: int | None = trunk_ref.target
    parents = graph.parents
    while commit is not None:
        on_trunk.add(commit)
        commit = parents[commit][0] if parents[commit] else None
    kept = []
    for ref, moved in candidates:
        is_trunk = ref.name == trunk_ref.name or (ref.kind in _BRANCH_KINDS and ref.short == trunk_ref.short
                                                 and trunk_ref.kind in _BRANCH_KINDS)
        if moved and not is_trunk and ref.target in on_trunk:
            continue
        kept.append(ref)
    return kept


def _compact(graph: CommitGraph, limit: int, roots: list[int], refs: list[Ref], head_target: int | None,
             first: Sequence[int]) -> Cut:
    """Only what `roots` reach, re-indexed: those of `first` first, in its order, then in the input's order."""
    size = len(graph)
    parents = graph.parents
    reached = bytearray(size)
    for root in roots:
        reached[root] = 1
    again = True
    while again:  # one pass in git log order (children first); another only after clock skew
        again = False
        for commit in range(size):
            if reached[commit]:
                for parent in parents[commit]:
                    if not reached[parent]:
                        reached[parent] = 1
                        if parent < commit:
                            again = True
    if first:
        placed = bytearray(size)
        order = []
        for commit in first:
            if reached[commit] and not placed[commit]:
                placed[commit] = 1
                order.append(commit)
        order += [commit for commit in range(size) if reached[commit] and not placed[commit]]
    else:
        order = [commit for commit in range(size) if reached[commit]]
    if len(order) == size and order == list(range(size)):  # all kept, in order: the columns are shared as they are
        return Cut(graph=CommitGraph(
            shas=graph.shas, parents=graph.parents, author_time=graph.author_time,
            author_offset=graph.author_offset, commit_time=graph.commit_time, commit_offset=graph.commit_offset,
            author=graph.author, committer=graph.committer, people=graph.people, subject=graph.subject,
            trailers=graph.trailers, refs=tuple(refs), head_ref=graph.head_ref, head_target=head_target,
            remote_head=graph.remote_head, shallow=graph.shallow, missing_parents=graph.missing_parents,
        ), source=graph, limit=limit, order=order, position=order.copy(), reached=reached)
    new = [_GONE] * size
    for position, commit in enumerate(order):
        new[commit] = position
    renumber = new.__getitem__
    pick = picker(order)

    def column(values: Numbers) -> Numbers:
        return picked_numbers(values, pick)

    return Cut(graph=CommitGraph(
        shas=list(pick(graph.shas)),
        parents=[(renumber(ps[0]),) if len(ps) == 1 else tuple(map(renumber, ps)) for ps in pick(parents)],
        author_time=column(graph.author_time),
        author_offset=column(graph.author_offset),
        commit_time=column(graph.commit_time),
        commit_offset=column(graph.commit_offset),
        author=column(graph.author),
        committer=column(graph.committer),
        people=graph.people,
        subject=list(pick(graph.subject)),
        trailers={new[c]: lines for c, lines in graph.trailers.items() if new[c] != _GONE},
        refs=tuple(_retarget(ref, new[ref.target]) for ref in refs),
        head_ref=graph.head_ref,
        head_target=new[head_target] if head_target is not None else None,
        remote_head=graph.remote_head,
        shallow=graph.shallow,
        # Which commits lost a parent is not recorded: the count stays an upper bound.
        missing_parents=graph.missing_parents,
    ), source=graph, limit=limit, order=order, position=new, reached=reached)


def _extend(after: Cut, limit: int, roots: list[int], refs: list[Ref], head_target: int | None) -> Cut:
    """`_compact` when every commit of `after` is reached: its graph, the commits reached since appended (in the
    input's order), found by a walk that stops at the earlier commits; refs that still point where they did
    are the earlier graph's own."""
    graph, earlier = after.source, after.graph
    parents = graph.parents
    reached = bytearray(after.reached)
    fresh = []
    stack = []
    for root in roots:
        if not reached[root]:
            reached[root] = 1
            stack.append(root)
    while stack:
        commit = stack.pop()
        fresh.append(commit)
        for parent in parents[commit]:
            if not reached[parent]:
                reached[parent] = 1
                stack.append(parent)
    fresh.sort()
    position = after.position.copy()
    for number, commit in enumerate(fresh, start=len(after.order)):
        position[commit] = number
    renumber = position.__getitem__
    before = {ref.name: ref for ref in earlier.refs}
    order = after.order + fresh

    def moved(ref: Ref) -> Ref:
        same = before.get(ref.name)
        if same is not None and after.order[same.target] == ref.target:
            return same
        return _retarget(ref, position[ref.target])

    if not fresh:
        columns = earlier
    else:
        pick = picker(fresh)

        def column(values: Numbers, old: Numbers) -> Numbers:
            return old + picked_numbers(values, pick)

        columns = dataclasses.replace(
            earlier,
            shas=earlier.shas + list(pick(graph.shas)),
            parents=earlier.parents + [tuple(map(renumber, ps)) for ps in pick(parents)],
            author_time=column(graph.author_time, earlier.author_time),
            author_offset=column(graph.author_offset, earlier.author_offset),
            commit_time=column(graph.commit_time, earlier.commit_time),
            commit_offset=column(graph.commit_offset, earlier.commit_offset),
            author=column(graph.author, earlier.author),
            committer=column(graph.committer, earlier.committer),
            subject=earlier.subject + list(pick(graph.subject)),
            trailers=earlier.trailers | {position[c]: graph.trailers[c] for c in fresh if c in graph.trailers},
        )
    return Cut(graph=dataclasses.replace(
        columns, refs=tuple(map(moved, refs)),
        head_target=position[head_target] if head_target is not None else None,
    ), source=graph, limit=limit, order=order, position=position, reached=reached)


def first_commit_time(graph: CommitGraph) -> int | None:
    """The earliest committer time in the graph (epoch seconds), None when empty."""
    return min(graph.commit_time) if graph.commit_time else None


def dates_between(since: datetime, until: datetime, every: Every) -> list[datetime]:
    """Snapshot dates from `since` to `until`, both inclusive, oldest first.

    week: `until`, then every 7 days back from it while not before `since`: every date
    falls on `until`'s weekday and time of day, and the newest snapshot is `until` itself.
    month: the end of every month that ends within [since, until], as midnight at the
    start of the next month in `until`'s time zone (a snapshot there covers the whole
    month: windows end exclusively), followed by `until` when it is not itself such a
    midnight. Empty when `since` is after `until`.
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    if since > until:
        return []
    if every == "week":
        dates = []
        moment = until
        while moment >= since:
            dates.append(moment)
            moment -= timedelta(days=7)
        return dates[::-1]
    if every != "month":
        raise ValueError(f"every must be 'week' or 'month', not {every!r}")
    zone = until.tzinfo
    local_since = since.astimezone(zone)
    year, month = local_since.year, local_since.month
    result: list[datetime] = []
    while True:
        end = datetime(year, month, 1, tzinfo=zone)  # the end of the month before
        if end > until:
            break
        if end >= since:
            result.append(end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not result or result[-1] != until:
        result.append(until)
    return result

