"""Step 3 of the reconstruction: integrations, each commit labelled once.

Every merge on a long-lived line floods its branch over the commits nobody has
claimed yet, in order of arrival; single-parent commits on a line are squash
merges, rebase runs, fast-forwards or direct commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any

from advisor import merges
from advisor.history.arrival import LineArrival, TrunkOrder, tally
from advisor.history.lines import _LONG_LIVED_NAME, _NONE, HistoryOptions, Texts, _flood_until, _Lines
from advisor.model import (
    CLOCK_SKEW_SECONDS,
    CommitGraph,
    Episode,
    EpisodeKind,
    LineMerge,
    LineMergeKind,
    MergeMethod,
    NameOrigin,
    aware,
)

_SKEW = timedelta(seconds=CLOCK_SKEW_SECONDS)
_GIT_HOST = merges.Host.GIT.value
# release/1.2, release-2.0.1, rel_3: a release branch names the version it prepares.
_RELEASE_NAME = re.compile(r"^(release|releases|rel)[/_-]v?\d|^release$", re.IGNORECASE)
_HOTFIX_NAME = re.compile(r"^(hotfix|hot-fix|hf)[/_-]|^hotfix$", re.IGNORECASE)
FORGE_COMMITTER = re.compile(r"(noreply@github\.com|^GitHub$|gitlab|bitbucket|azure|web-flow)", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shape:
    commits: tuple[str, ...]
    sync_merges: int
    authors: tuple[str, ...]
    author: str
    fork_point: str | None
    forked_from: str | None
    first_commit_at: datetime
    last_commit_at: datetime
    behind: int | None
    bot: bool


@dataclass(slots=True)
class _Labeller:
    graph: CommitGraph
    lines: _Lines
    options: HistoryOptions
    live_tips: dict[int, list[str]]  # commit -> live branch names pointing at it
    pull_tips: dict[int, list[int]]  # commit -> PR numbers whose head ref points at it
    pull_heads: dict[int, int]  # PR number -> head commit
    pull_hosts: dict[int, str]  # PR number -> host whose ref it is (refs/pull: GitHub, refs/merge-requests: GitLab)
    branch_names: frozenset[str]  # every live branch name
    bot_people: list[bool]  # person index -> matches a bot pattern
    forge_people: list[bool]  # person index -> a forge (GitHub's web-flow, GitLab) rather than a person
    arrival: list[int]  # commit -> trunk position where it arrived, or _NONE
    first_final: list[int]  # commit -> index of the first final release tag containing it, or _NONE
    final_tags: list[tuple[str, datetime] | None]  # tag index -> (name, time) for final releases
    texts: Texts
    episode_of: list[int] = field(default_factory=list)  # commit -> episode index or _NONE
    episodes: list[Episode] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)  # episode index -> commit that integrated it
    line_merges: list[LineMerge] = field(default_factory=list)
    arrivals: dict[int, LineArrival | list[int]] = field(default_factory=dict)  # line id -> commit -> position it arrived at
    trunk_order: TrunkOrder | None = None  # made once a line's arrival has ranges of the trunk (`arrived_with`)
    arrived: dict[int, tuple[list[int], list[int]]] = field(default_factory=dict)  # line id -> arrived_with
    line_merged: set[int] = field(default_factory=set)  # line commits another line merged (release PR heads)
    asked: dict[int, int] = field(default_factory=dict)  # PR number a squash merge named -> its head (_NONE: none)
    singles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # author -> (author,): see `alone`

    def alone(self, name: str) -> tuple[str, ...]:
        """`(name,)`, one tuple per person however many episodes they authored alone."""
        single = self.singles.get(name)
        if single is None:
            single = self.singles[name] = (name,)
        return single

    def time(self, commit: int) -> datetime:
        return aware(self.graph.commit_time[commit], self.graph.commit_offset[commit])

    def author_time(self, commit: int) -> datetime:
        return aware(self.graph.author_time[commit], self.graph.author_offset[commit])

    def landed(self, line_id: int, merge: int, parent: int) -> tuple[int, int | None]:
        """What merging `parent` at `merge` brought onto line `line_id` (git rev-list M^1..parent):
        how many commits, and the one first authored. Each line's arrival order is computed once,
        only for lines that need it."""
        line_arrival = self.line_arrival(line_id)
        # What the fork commit reached was on the line before its first commit: a line whose
        # first commit is a merge brought only what its fork did not have (git/git's jk/colors
        # starts with a merge of 3 commits, not of the 37k the fork reaches).
        arrival = line_arrival.after_fork if isinstance(line_arrival, LineArrival) else line_arrival.__getitem__
        position = self.lines.pos[merge]
        if arrival(parent) != position:
            return 0, None
        if position > 0 and len(self.graph.parents[merge]) == 2:
            # What a two-parent merge brought is everything that arrived with it but itself: its
            # first parent is the line's previous commit, which reaches all that arrived before.
            counts, firsts = self.arrived_with(line_id)
            return counts[position], firsts[position]
        author_time = self.graph.author_time
        seen = {parent}
        stack = [parent]
        first = parent
        while stack:
            commit = stack.pop()
            if (author_time[commit], commit) < (author_time[first], first):
                first = commit
            for p in self.graph.parents[commit]:
                if p not in seen and arrival(p) == position:
                    seen.add(p)
                    stack.append(p)
        return len(seen), first

    def arrived_with(self, line_id: int) -> tuple[list[int], list[int]]:
        """For each position on a line's chain, how many commits arrived there besides the chain's
        own commit, and the first authored of them (`_NONE` when none): one pass per line."""
        known = self.arrived.get(line_id)
        if known is not None:
            return known
        chain = self.lines.chains[line_id]
        arrival = self.line_arrival(line_id)
        author_time = self.graph.author_time
        if isinstance(arrival, LineArrival):
            if arrival.has_ranges and self.trunk_order is None:
                self.trunk_order = TrunkOrder(self.graph, self.arrival, len(self.lines.chains[0]))
            known = arrival.arrived_with(chain, author_time, self.trunk_order)
        else:
            known = tally(enumerate(arrival), chain, author_time)
        self.arrived[line_id] = known
        return known

    def line_arrival(self, line_id: int) -> LineArrival | list[int]:
        """For every commit a line contains, the position on its chain at which it arrived (the trunk's is
        `arrival`), computed once, only for lines that need it."""
        arrival = self.arrivals.get(line_id)
        if arrival is None:
            if line_id == 0:
                arrival = self.arrival
            else:
                chain = self.lines.chains[line_id]
                fork = self.graph.parents[chain[0]][0] if self.graph.parents[chain[0]] else _NONE
                base, forked_at, beyond = self._fork_base(fork)
                arrival = LineArrival(self.graph, chain, base, forked_at, self.arrival, self.lines.line_of, beyond)
            self.arrivals[line_id] = arrival
        return arrival

    def _fork_base(self, fork: int) -> tuple[LineArrival | list[int] | None, int, frozenset[int]]:
        """What a line's fork commit reached, for `LineArrival`: the arrival of the line it forked from and the
        position there, and the commits it reached beyond that line's. The fork is on no line when the line's
        oldest commits were another branch's and are not its own (`lines._own_part`: a branch cut from a topic
        that was merged): then the line it came from is the first one down its first parents, and the
        topic's commits are what it reached beyond."""
        graph, line_of = self.graph, self.lines.line_of
        anchor = fork
        while anchor != _NONE and line_of[anchor] == _NONE:
            anchor = graph.parents[anchor][0] if graph.parents[anchor] else _NONE
        base = self.line_arrival(line_of[anchor]) if anchor != _NONE else None
        forked_at = self.lines.pos[anchor] if anchor != _NONE else _NONE
        if anchor == fork:
            return base, forked_at, frozenset()

        def had(commit: int) -> bool:  # the line it came from had it at the fork's position
            at = base[commit] if base is not None else _NONE
            return at != _NONE and at <= forked_at

        return base, forked_at, frozenset(_flood_until(graph, fork, had)[0])

    def flood(self, start: int) -> tuple[list[int], list[int]]:
        """Unclaimed commits reachable from `start`, and the claimed commits at its edge."""
        line_of, episode_of = self.lines.line_of, self.episode_of
        if line_of[start] != _NONE or episode_of[start] != _NONE:
            return [], [start]
        return _flood_until(self.graph, start, lambda c: line_of[c] != _NONE or episode_of[c] != _NONE)

    def flow(self, anchor: int, anchor_time: datetime | None = None,
             merged_at: datetime | None = None) -> dict[str, Any]:
        """When the commit that integrated an episode reached the trunk, and its first final release.
        `anchor_time`, when given, is `time(anchor)`, made already; `merged_at` is the episode's."""
        position = self.arrival[anchor]
        release = self.first_final[anchor]
        shipped = self.final_tags[release] if release != _NONE else None
        reached = None
        if position != _NONE:
            on_trunk = self.lines.chains[0][position]
            reached = anchor_time if on_trunk == anchor and anchor_time is not None else self.time(on_trunk)
            if (merged_at is not None and reached is not merged_at and reached == merged_at
                    and reached.utcoffset() == merged_at.utcoffset()):
                reached = merged_at  # the same instant in the same zone: one datetime, not two
        return {
            "reached_trunk_at": reached,
            "released_at": shipped[1] if shipped else None,
            "release": shipped[0] if shipped else None,
        }

    def add_episode(self, shape: _Shape, *, id: str, target: str, source: str | None, origin: NameOrigin,
                    pr: int | None, host: str, method: MergeMethod, merged_at: datetime, deleted: bool, exact: bool,
                    members: Iterable[int], anchor: int, kind: EpisodeKind | None = None,
                    lifetime_unknown: bool = False) -> int:
        graph = self.graph
        members = list(members)

        def cites(commit: int) -> int | None:
            if len(graph.parents[commit]) > 1:
                return None
            return self.texts.cited(graph, commit)

        run = set(shape.commits) if method in (MergeMethod.REBASE, MergeMethod.FAST_FORWARD) else set()
        also = tuple(graph.shas[m] for m in members
                     if m != anchor and graph.shas[m] in run and cites(m) is not None) if run else ()
        return self.add(Episode(
            id=id, target=target, source=source, name_origin=origin, pr=pr, host=host, method=method,
            kind=kind or _kind_of(source), commits=shape.commits, sync_merges=shape.sync_merges,
            authors=shape.authors, author=shape.author, fork_point=shape.fork_point, forked_from=shape.forked_from,
            first_commit_at=shape.first_commit_at, last_commit_at=shape.last_commit_at, merged_at=merged_at,
            # A branch still carrying its name (it went on after the merge) is not deleted.
            behind=shape.behind, deleted=deleted and source not in self.branch_names, bot=shape.bot,
            clock_skew=shape.first_commit_at > merged_at + _SKEW,
            exact_lifetime=exact, lifetime_unknown=lifetime_unknown, merged_by=self.merger(anchor),
            cites_pr=cites(anchor), also_citing=also, **self.flow(anchor, merged_at=merged_at),
        ), members, anchor)

    def merger(self, commit: int) -> str | None:
        """Who put `commit` on its line (see `Episode.merged_by`)."""
        graph = self.graph
        if len(graph.parents[commit]) > 1:
            return graph.people[graph.author[commit]][0]
        committer = graph.committer[commit]
        return None if self.forge_people[committer] else graph.people[committer][0]

    def add(self, episode: Episode, commits: Iterable[int], anchor: int) -> int:
        """Record an episode; `anchor` is the commit that brought it onto its line."""
        index = len(self.episodes)
        self.episodes.append(episode)
        self.anchors.append(anchor)
        for commit in commits:
            self.episode_of[commit] = index
        return index

    def shape(self, commits: Sequence[int], edge: Sequence[int], target_line: int,
              merge_parent: int) -> _Shape:
        """What every branch episode reports, from its commits and the claimed commits at its edge."""
        graph, lines = self.graph, self.lines
        if len(commits) == 1 and not edge:  # most episodes on busy trunks: one direct commit
            only = commits[0]
            parents = graph.parents[only]
            return _Shape(
                commits=(graph.shas[only],), sync_merges=0, authors=self.alone(graph.people[graph.author[only]][0]),
                author=graph.people[graph.author[only]][0],
                fork_point=graph.shas[parents[0]] if parents else None,
                forked_from=self.line_name(parents[0]) if parents else None, first_commit_at=self.author_time(only),
                last_commit_at=self.time(only), behind=None, bot=self.bot_people[graph.author[only]],
            )
        members = set(commits)
        roots = [c for c in commits if not graph.parents[c] or graph.parents[c][0] not in members]
        root = min(roots, key=lambda c: (graph.author_time[c], c)) if roots else None
        fork = graph.parents[root][0] if root is not None and graph.parents[root] else None
        base_positions = [lines.pos[c] for c in edge if lines.line_of[c] == target_line]
        behind = None
        if base_positions and merge_parent != _NONE and lines.line_of[merge_parent] == target_line:
            behind = max(0, lines.pos[merge_parent] - max(base_positions))
        sync = sum(
            1 for c in commits
            if len(graph.parents[c]) > 1 and any(lines.line_of[p] != _NONE for p in graph.parents[c][1:])
        )
        authors = tuple(sorted({graph.people[graph.author[c]][0] for c in commits}))
        if len(authors) == 1:
            authors = self.alone(authors[0])
        earliest = min(commits, key=lambda c: (graph.author_time[c], c))
        ordered = sorted(commits, key=graph.commit_time.__getitem__)
        return _Shape(
            commits=tuple(graph.shas[c] for c in ordered),
            sync_merges=sync,
            authors=authors,
            fork_point=graph.shas[fork] if fork is not None else None,
            forked_from=self.line_name(fork) if fork is not None else None,
            first_commit_at=self.author_time(earliest),
            author=graph.people[graph.author[earliest]][0],
            last_commit_at=self.time(max(commits, key=lambda c: (graph.commit_time[c], c))),
            behind=behind,
            bot=all(self.bot_people[graph.author[c]] for c in commits),
        )

    def line_name(self, commit: int) -> str | None:
        """The long-lived line a commit is on, or the line its episode landed on."""
        if self.lines.line_of[commit] != _NONE:
            return self.lines.names[self.lines.line_of[commit]]
        if self.episode_of[commit] != _NONE:
            return self.episodes[self.episode_of[commit]].target
        return None

    def live_name(self, commits: Iterable[int]) -> str | None:
        names = sorted({name for c in commits for name in self.live_tips.get(c, ())})
        return names[0] if names else None

    def pull_number(self, commits: Iterable[int]) -> int | None:
        numbers = sorted({n for c in commits for n in self.pull_tips.get(c, ())})
        return numbers[0] if numbers else None


@lru_cache(maxsize=4096)
def _kind_of(name: str | None) -> EpisodeKind:
    if name and _RELEASE_NAME.match(name):
        return EpisodeKind.RELEASE
    if name and _HOTFIX_NAME.match(name):
        return EpisodeKind.HOTFIX
    return EpisodeKind.FEATURE


def integration_events(lab: _Labeller, starts: Sequence[int] | None = None) -> list[int]:
    """The merges and squash merges on every line, in the order they are labelled; with `starts`
    (resuming), only those after each line's chain's first `starts[line]` commits."""
    graph, lines = lab.graph, lab.lines
    events = [commit for line_id, chain in enumerate(lines.chains)
              for commit in (chain[starts[line_id]:] if starts is not None else chain)
              if len(graph.parents[commit]) > 1 or lab.texts.may_name_a_request(graph, commit)]
    events.sort(key=lambda c: event_key(lab, c))
    return events


def _label_integrations(lab: _Labeller, events: Sequence[int]) -> None:
    """Merges and squash merges (`integration_events`), in order of arrival.

    First arrival wins: a change belongs to the first long-lived line it reached, and a squash
    merge claims its PR's original commits before a later merge that also contains them does.
    """
    graph, lines = lab.graph, lab.lines
    for commit in events:
        if len(graph.parents[commit]) > 1:
            _label_merge(lab, commit)
        else:
            _label_squash(lab, lines.line_of[commit], commit)


def event_key(lab: _Labeller, commit: int) -> tuple[int, int, int]:
    """The order in which integrations are labelled."""
    return lab.graph.commit_time[commit], lab.lines.line_of[commit], lab.lines.pos[commit]


def _label_merge(lab: _Labeller, merge: int) -> None:
    graph, lines = lab.graph, lab.lines
    target_line = lines.line_of[merge]
    info = lab.texts.merge(graph, merge)
    for number, parent in enumerate(graph.parents[merge][1:], start=1):
        source_line = lines.line_of[parent]
        if source_line != _NONE:
            if source_line != target_line:
                lab.line_merged.add(parent)
                count, first = lab.landed(target_line, merge, parent)
                lab.line_merges.append(LineMerge(
                    commit=graph.shas[merge], source=lines.names[source_line],
                    target=lines.names[target_line],
                    kind=LineMergeKind.SYNC,  # named by roles.name_merges once every line's role is known
                    merged_at=lab.time(merge),
                    pr=info.pr if info is not None and info.pr is not None else lab.pull_number([parent]),
                    commits=count, first_commit_at=lab.author_time(first) if first is not None else None,
                ))
            continue
        commits, edge = lab.flood(parent)
        episode_id = graph.shas[merge] if number == 1 else f"{graph.shas[merge]}:{number}"
        source, origin = _episode_name(lab, info, commits or [parent], number)
        pr = info.pr if info is not None else None
        if pr is None:
            pr = lab.pull_number(commits or [parent])
        if not commits:
            # Merged again into another line (a hotfix into master, then develop): no new work,
            # but its size and age on this line are those of the commits it brought here.
            earlier = lab.episodes[lab.episode_of[parent]] if lab.episode_of[parent] != _NONE else None
            count, first = lab.landed(target_line, merge, parent)
            started = lab.author_time(first) if first is not None else lab.time(merge)
            lab.add(Episode(
                id=episode_id, target=lines.names[target_line], source=source or (earlier.source if earlier else None),
                name_origin=origin if source else (earlier.name_origin if earlier else NameOrigin.UNKNOWN),
                pr=pr, host=info.host.value if info else merges.Host.UNKNOWN.value,
                method=MergeMethod.MERGE, kind=_kind_of(source or (earlier.source if earlier else None)),
                commits=(), sync_merges=0, authors=(), author=earlier.author if earlier else "",
                fork_point=None, forked_from=None,
                first_commit_at=min(started, lab.time(merge)), last_commit_at=lab.time(merge),
                merged_at=lab.time(merge), behind=None, deleted=False, bot=False, clock_skew=False,
                exact_lifetime=False, repeat_of=earlier.id if earlier else None, landed_commits=count,
                merged_by=lab.merger(merge),
                **lab.flow(merge),
            ), (), merge)
            continue
        shape = lab.shape(commits, edge, target_line, graph.parents[merge][0])
        index = lab.add_episode(
            shape, id=episode_id, target=lines.names[target_line], source=source, origin=origin, pr=pr,
            host=info.host.value if info else merges.Host.UNKNOWN.value, method=MergeMethod.MERGE,
            merged_at=lab.time(merge), deleted=lab.live_name(commits) is None, exact=True, members=commits, anchor=merge)
        if any(lines.line_of[c] not in (_NONE, target_line) or (
                lines.line_of[c] == _NONE and lab.episodes[lab.episode_of[c]].target != lines.names[target_line])
               for c in edge):
            # Part of the branch was on another line first (a fix merged into master, then this branch
            # into develop; a release branch cut from develop merged into master): what it brought
            # here is more than its own new commits.
            count, first = lab.landed(target_line, merge, parent)
            if count != len(commits):
                lab.episodes[index] = replace(
                    lab.episodes[index], landed_commits=count,
                    landed_first_commit_at=lab.author_time(first) if first is not None else None)


def _episode_name(lab: _Labeller, info: merges.MergeInfo | None, commits: Sequence[int],
                  number: int) -> tuple[str | None, NameOrigin]:
    live = lab.live_name(commits)
    if live is not None:
        return live, NameOrigin.LIVE_REF
    if info is not None:
        sources = getattr(info, "sources", ()) or ((info.source,) if info.source else ())
        if len(sources) >= number and sources[number - 1]:
            return sources[number - 1], NameOrigin.MERGE_SUBJECT
    if lab.pull_number(commits) is not None:
        return None, NameOrigin.PULL_REF
    return None, NameOrigin.UNKNOWN


def _label_single_parent_commits(lab: _Labeller, starts: Sequence[int] | None = None) -> str | None:
    """Commits made on a line itself that no squash merge took: fast-forwards, rebase runs, direct commits.
    With `starts` (resuming: each line's chain up to there is labelled already), only the rest; the answer
    is then why that part cannot be labelled alone (a run that reaches back into the labelled part), else None."""
    for line_id, chain in enumerate(lab.lines.chains):
        start = starts[line_id] if starts is not None else 0
        if start >= len(chain):
            continue
        singles = [c for c in chain[start:] if len(lab.graph.parents[c]) <= 1]
        why = _label_fast_forwards(lab, line_id, chain, start)
        why = why or _label_rebase_runs(lab, line_id, chain, start)
        if why:
            return why
        _label_direct(lab, line_id, singles)
    return None


def _label_squash(lab: _Labeller, line_id: int, commit: int) -> None:
    """A single-parent line commit naming a pull or merge request: a squash merge (Gerrit: a rebase)."""
    graph = lab.graph
    if lab.episode_of[commit] != _NONE:
        return
    info = lab.texts.request(graph, commit)
    if info is None or (info.pr is None and info.host is not merges.Host.GERRIT):
        return
    branch: list[int] = []
    edge: list[int] = []
    head = lab.pull_heads.get(info.pr) if info.pr is not None else None
    if info.pr is not None:
        lab.asked[info.pr] = _NONE if head is None else head  # what a resumed reconstruction must find again
    if head is not None:
        branch, edge = lab.flood(head)
    members = [commit, *branch]
    shape = lab.shape(branch or [commit], edge, line_id, graph.parents[commit][0] if graph.parents[commit] else _NONE)
    source = info.source or lab.live_name(branch)
    origin = NameOrigin.LIVE_REF if lab.live_name(branch) and not info.source else (
        NameOrigin.MERGE_SUBJECT if info.source else (NameOrigin.PULL_REF if head is not None else NameOrigin.UNKNOWN))
    method = MergeMethod.SQUASH if info.host is not merges.Host.GERRIT else MergeMethod.REBASE
    lab.add_episode(
        shape, id=graph.shas[commit], target=lab.lines.names[line_id], source=source, origin=origin,
        pr=info.pr, host=info.host.value, method=method, merged_at=lab.time(commit),
        deleted=lab.live_name(branch) is None, exact=bool(branch), members=members, anchor=commit,
        # Without the branch (no PR ref) the squash commit's own dates say when it was merged,
        # not when the work started: the lifetime is unknown, not 0.
        lifetime_unknown=not branch and method is MergeMethod.SQUASH)


def _label_fast_forwards(lab: _Labeller, line_id: int, chain: Sequence[int], start: int = 0) -> str | None:
    """A pull-request head or a branch ref resting on a line commit: merged by fast-forward. From `start`
    (resuming), a run that would take commits labelled later in the earlier pass is the answer's reason."""
    graph = lab.graph
    if start and _fast_forward_head(lab, chain[start - 1]):
        return f"the last commit {lab.lines.names[line_id]} had is now a fast-forward merge's head"
    for index in range(start, len(chain)):
        commit = chain[index]
        if lab.episode_of[commit] != _NONE or len(graph.parents[commit]) > 1 or index == len(chain) - 1:
            continue
        pr = lab.pull_number([commit])
        if commit in lab.line_merged:
            pr = None  # a release PR's head (develop merged into master): that PR is the line merge
        name = next((n for n in lab.live_tips.get(commit, ()) if not _LONG_LIVED_NAME.match(n)), None)
        if pr is None and name is None:
            continue
        run = [commit]
        author = graph.author[commit]
        for back in range(index - 1, -1, -1):
            earlier = chain[back]
            if (len(graph.parents[earlier]) > 1 or graph.author[earlier] != author
                    or earlier in lab.pull_tips or earlier in lab.live_tips):
                break
            if lab.episode_of[earlier] != _NONE:
                if back < start and lab.episodes[lab.episode_of[earlier]].method in _LATER_PASSES:
                    return f"a fast-forward on {lab.lines.names[line_id]} reaches back into commits labelled before"
                break
            run.append(earlier)
        shape = lab.shape(run, [], line_id, _NONE)
        lab.add_episode(
            shape, id=graph.shas[commit], target=lab.lines.names[line_id], source=name,
            origin=NameOrigin.LIVE_REF if name else NameOrigin.PULL_REF, pr=pr,
            host=lab.pull_hosts.get(pr, _GIT_HOST) if pr is not None else _GIT_HOST,
            method=MergeMethod.FAST_FORWARD, merged_at=lab.time(commit), deleted=name is None, exact=False, members=run, anchor=commit)
    return None


# What the passes after the fast-forwards label (a squash merge by Gerrit is a rebase too: taken as one, to be safe).
_LATER_PASSES = (MergeMethod.REBASE, MergeMethod.DIRECT)


def _fast_forward_head(lab: _Labeller, commit: int) -> bool:
    """A single-parent line commit a branch or pull request rests on: a fast-forward's head, unless it is
    a line's last commit (conservative: whether a squash merge took it first is not asked)."""
    return len(lab.graph.parents[commit]) <= 1 and (
        commit in lab.pull_tips or any(not _LONG_LIVED_NAME.match(n) for n in lab.live_tips.get(commit, ())))


def _label_rebase_runs(lab: _Labeller, line_id: int, chain: Sequence[int], start: int = 0) -> str | None:
    """Runs of commits re-committed together long after they were written. From `start` (resuming), a run
    that would go on from the labelled part is the answer's reason."""
    graph, options = lab.graph, lab.options

    def lagging(commit: int) -> bool:
        return (lab.episode_of[commit] == _NONE and len(graph.parents[commit]) == 1
                and graph.commit_time[commit] - graph.author_time[commit] >= options.rebase_author_lag_seconds)

    def joins(commit: int, last: int) -> bool:
        return (graph.committer[commit] == graph.committer[last]
                and abs(graph.commit_time[commit] - graph.commit_time[last]) <= options.rebase_run_gap_seconds)

    if start:
        last, first = chain[start - 1], chain[start]
        labelled_late = lab.episode_of[last] != _NONE and lab.episodes[lab.episode_of[last]].method in _LATER_PASSES
        if (labelled_late and len(graph.parents[last]) == 1 and lagging(first) and joins(first, last)
                and graph.commit_time[last] - graph.author_time[last] >= options.rebase_author_lag_seconds):
            return f"a rebase run on {lab.lines.names[line_id]} goes on from commits labelled before"
    run: list[int] = []
    for commit in [*chain[start:], _NONE]:
        if commit != _NONE and lagging(commit) and bool(run) and joins(commit, run[-1]):
            run.append(commit)
            continue
        if run and _is_rebase_merge(lab, run):
            shape = lab.shape(run, [], line_id, _NONE)
            lab.add_episode(
                shape, id=graph.shas[run[-1]], target=lab.lines.names[line_id], source=None,
                origin=NameOrigin.UNKNOWN, pr=None, host=_host_of_committer(graph, run[-1]),
                method=MergeMethod.REBASE, merged_at=lab.time(run[-1]), deleted=True, exact=True, members=run, anchor=run[-1])
        run = [commit] if commit != _NONE and lagging(commit) else []
    return None


def _is_rebase_merge(lab: _Labeller, run: Sequence[int]) -> bool:
    """Someone other than the author (a forge or a maintainer) re-committed the run."""
    graph = lab.graph
    committer = graph.people[graph.committer[run[-1]]]
    by_forge = lab.forge_people[graph.committer[run[-1]]]
    by_other = any(graph.people[graph.author[c]] != committer for c in run)
    return by_forge or (by_other and (len(run) >= 2 or graph.people[graph.author[run[0]]][1] != committer[1]))


def _host_of_committer(graph: CommitGraph, commit: int) -> str:
    name, email = graph.people[graph.committer[commit]]
    text = f"{name} {email}".lower()
    for host in (merges.Host.GITHUB, merges.Host.GITLAB, merges.Host.BITBUCKET):
        if host.value in text:
            return host.value
    return _GIT_HOST


def _label_direct(lab: _Labeller, line_id: int, singles: Sequence[int]) -> None:
    """Each commit left on a line is an episode of its own: most of a busy trunk's episodes, so
    their record is built here in one step (`shape` and `add_episode` give the same values)."""
    graph, episode_of = lab.graph, lab.episode_of
    shas, parents, people, author = graph.shas, graph.parents, graph.people, graph.author
    target = lab.lines.names[line_id]
    author_time, author_offset = graph.author_time, graph.author_offset
    commit_time, commit_offset = graph.commit_time, graph.commit_offset
    for commit in singles:
        if episode_of[commit] != _NONE:
            continue
        first_parents = parents[commit]
        name = people[author[commit]][0]
        merged_at = lab.time(commit)
        # Equal instants share one datetime, and each author one 1-tuple: a 1M-commit trunk has
        # ~400k of these records, and a datetime or a tuple apiece is ~50 bytes each.
        same = author_time[commit] == commit_time[commit] and author_offset[commit] == commit_offset[commit]
        first_commit_at = merged_at if same else lab.author_time(commit)
        lab.add(Episode(
            id=shas[commit], target=target, source=None, name_origin=NameOrigin.UNKNOWN, pr=None, host=_GIT_HOST,
            method=MergeMethod.DIRECT, kind=EpisodeKind.DIRECT, commits=(shas[commit],), sync_merges=0,
            authors=lab.alone(name), author=name, fork_point=shas[first_parents[0]] if first_parents else None,
            forked_from=lab.line_name(first_parents[0]) if first_parents else None,
            first_commit_at=first_commit_at, last_commit_at=merged_at, merged_at=merged_at, behind=None,
            deleted=False, bot=lab.bot_people[author[commit]], clock_skew=first_commit_at > merged_at + _SKEW,
            exact_lifetime=True, lifetime_unknown=False, merged_by=lab.merger(commit),
            cites_pr=None if len(first_parents) > 1 else lab.texts.cited(graph, commit), also_citing=(),
            **lab.flow(commit, merged_at),
        ), (commit,), commit)
