"""Where on a long-lived line each commit arrived: what a merge into the line brought (`git rev-list M^1..M^2`).

The trunk's arrival is a list over every commit (`releases._trunk_arrival`). Another line's is
`LineArrival`, built only for the lines a merge count needs, from the line's own part of history:

* what the line's fork commit reached is read from the fork line's arrival (on git/git, 20 lines
  each re-flooded most of the 200k commits);
* on a line forked from the trunk (or from no line), what a merge of the trunk (or of a branch cut
  from it) brought is a range of trunk positions, not a set of commits: everything that arrived on
  the trunk up to the trunk commit it reached. A line that takes the trunk back after every merge
  would otherwise hold the whole trunk once more for each line (100 such lines of 160 commits each:
  1.6M entries; 300 lines: 14M, 8 s and 800 MB where a range per merge is a few thousand entries).
  Counting what each range brought still reads the range's trunk commits, one slice each, at the
  speed of C; a line forked from another line holds its trunk commits one by one, as before.
"""

from __future__ import annotations

import itertools
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, MutableSequence, Sequence
from itertools import accumulate

from advisor.history.lines import _NONE
from advisor.model import CommitGraph


def tally(arrivals: Iterable[tuple[int, int]], chain: Sequence[int],
          author_time: Sequence[int]) -> tuple[list[int], list[int]]:
    """From (commit, position where it arrived) pairs: for each position on the chain, how many commits
    arrived there besides the chain's own commit, and the first authored of them (`_NONE` when none)."""
    counts, firsts = [0] * len(chain), [_NONE] * len(chain)
    for commit, position in arrivals:
        if position <= 0 or chain[position] == commit:
            continue
        counts[position] += 1
        first = firsts[position]
        if first == _NONE or (author_time[commit], commit) < (author_time[first], first):
            firsts[position] = commit
    return counts, firsts


class TrunkOrder:
    """The commits the trunk reaches, in order of the trunk position at which they arrived, each as a
    key that orders by (author time, commit): a range of positions is a slice (what a merge of the
    trunk brought), and its first-authored commit the slice's minimum."""

    __slots__ = ("start", "keys", "scale")

    def __init__(self, graph: CommitGraph, arrival: Sequence[int], length: int) -> None:
        counts = Counter(arrival)
        # position -> index of the first commit that arrived there; [length]: the end. Machine integers:
        # at 1M commits a list of them held ~50 MB at the scan's peak.
        self.start = array("q", accumulate((counts.get(position, 0) for position in range(length)), initial=0))
        self.scale = len(arrival) + 1  # key = author_time * scale + commit: (author time, commit) order in one int
        author_time, scale, slot = graph.author_time, self.scale, self.start[:-1]
        keys: array[int] | list[int] = array("q", bytes(8 * self.start[-1]))
        try:
            self.keys = self._fill(keys, arrival, author_time, scale, slot)
        except OverflowError:  # author times beyond a machine integer once scaled: Python's integers
            self.keys = self._fill([0] * self.start[-1], arrival, author_time, scale, self.start[:-1])

    @staticmethod
    def _fill(keys: MutableSequence[int], arrival: Sequence[int], author_time: Sequence[int], scale: int,
              slot: MutableSequence[int]) -> MutableSequence[int]:
        for commit, position in enumerate(arrival):
            if position != _NONE:
                keys[slot[position]] = author_time[commit] * scale + commit
                slot[position] += 1
        return keys

    def span(self, after: int, upto: int) -> tuple[int, int]:
        """The slice of `keys` of the commits that arrived after trunk position `after`, up to `upto`."""
        return self.start[after + 1], self.start[upto + 1]


class LineArrival:
    """For every commit a line (not the trunk) contains, the position on its chain at which it arrived.

    The line's chain is flooded position by position, over what the line did not have yet. The flood
    stops at a commit of the trunk's chain: that merge brought every commit that arrived on the trunk
    up to there, kept as one range (`_at`, `_upto`); a commit in an earlier range or in what the fork
    reached is not flooded again. `_own` holds what arrived otherwise. A line forked from a line that
    is not the trunk floods everything after its fork, as it always did (release lines cut from develop
    are short)."""

    __slots__ = ("_own", "_base", "_forked_at", "_beyond", "_trunk_arrival", "_at", "_upto")

    def __init__(self, graph: CommitGraph, chain: Sequence[int], base: LineArrival | list[int] | None,
                 forked_at: int, trunk_arrival: list[int], trunk_line: Sequence[int],
                 beyond: frozenset[int] = frozenset()) -> None:
        # What the fork commit reached: what `base` had at `forked_at`, and `beyond` (`_Labeller._fork_base`).
        self._base, self._forked_at, self._beyond = base, forked_at, beyond
        self._trunk_arrival = trunk_arrival
        self._at: list[int] = []  # chain position of each range
        self._upto: list[int] = []  # the trunk position each range reaches, increasing
        own: dict[int, int] = {}
        self._own = own
        parents = graph.parents
        if not (base is None or base is trunk_arrival):  # ranges only where the fork is on the trunk (or there is none)
            # The chain's own commits are never reached by the fork commit (they descend from it), so
            # only the parents pushed are checked against it.
            for position, commit in enumerate(chain):
                stack = [commit]
                while stack:
                    current = stack.pop()
                    if current in own:
                        continue
                    own[current] = position
                    for parent in parents[current]:
                        if parent not in own and parent not in beyond:
                            at = base[parent] if base is not None else _NONE
                            if at == _NONE or at > forked_at:
                                stack.append(parent)
            return
        had = forked_at if base is not None else _NONE  # the trunk position up to which the line has it all
        for position, commit in enumerate(chain):
            reached = had
            added = []
            stack = [commit]
            while stack:
                current = stack.pop()
                if current in own or current in beyond:
                    continue
                at = trunk_arrival[current]
                if at != _NONE and at <= had:
                    continue
                if trunk_line[current] == 0:  # the trunk's own commit at position `at`: all it reaches is a range
                    reached = max(reached, at)
                    continue
                own[current] = position
                added.append(current)
                stack.extend(parents[current])
            if reached > had:
                for current in added:  # in the new range: counted there, not twice
                    at = trunk_arrival[current]
                    if at != _NONE and at <= reached:
                        del own[current]
                self._at.append(position)
                self._upto.append(reached)
                had = reached

    def _forked(self, commit: int) -> bool:
        """Reached by the fork commit: the line had it when it forked."""
        if commit in self._beyond:
            return True
        if self._base is None:
            return False
        at = self._base[commit]
        return at != _NONE and at <= self._forked_at

    def __getitem__(self, commit: int) -> int:
        position = self.after_fork(commit)
        if position != _NONE:
            return position
        return 0 if self._forked(commit) else _NONE

    def after_fork(self, commit: int) -> int:
        """The position where `commit` arrived after the fork, or `_NONE` (the fork had it, or never)."""
        position = self._own.get(commit, _NONE)
        if position != _NONE or not self._upto:
            return position
        at = self._trunk_arrival[commit]
        if at == _NONE or self._forked(commit):  # with ranges, the base is the trunk's arrival or none
            return _NONE
        index = bisect_left(self._upto, at)
        return self._at[index] if index < len(self._at) else _NONE

    def arrived_with(self, chain: Sequence[int], author_time: Sequence[int],
                     order: TrunkOrder | None) -> tuple[list[int], list[int]]:
        """For each position on the chain, how many commits arrived there besides the chain's own
        commit, and the first authored of them (`_NONE` when none). `order` is needed when the line
        has ranges (`has_ranges`)."""
        counts, firsts = tally(self._own.items(), chain, author_time)
        if not self._at:
            return counts, firsts
        assert order is not None
        # What arrived earlier on the line by its own way, or with its fork, is in a later range too: not
        # counted twice.
        earlier: list[set[int]] = [set() for _ in self._at]
        lowest = self._forked_at if self._base is not None else _NONE
        for commit in itertools.chain(self._own, self._beyond):
            at = self._trunk_arrival[commit]
            if at != _NONE and at > lowest:
                index = bisect_left(self._upto, at)
                if index < len(self._at):
                    earlier[index].add(commit)
        scale, keys = order.scale, order.keys
        after = lowest
        for index, (position, upto) in enumerate(zip(self._at, self._upto)):
            start, end = order.span(after, upto)
            after = upto
            if position <= 0:
                continue
            left_out = earlier[index]
            counts[position] += end - start - len(left_out)
            # Never empty once those are left out: the range holds the trunk's own commit at `upto`, which no
            # flood takes (it stops there) and the fork did not reach (it is past `forked_at`).
            span = keys[start:end]
            key = min(span)
            if key % scale in left_out:
                key = min(k for k in span if k % scale not in left_out)
            commit, first = key % scale, firsts[position]
            if first == _NONE or (author_time[commit], commit) < (author_time[first], first):
                firsts[position] = commit
        return counts, firsts

    @property
    def has_ranges(self) -> bool:
        return bool(self._at)
