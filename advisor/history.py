"""Reconstruct how a repository branches: CommitGraph -> History.

Everything here is a pure function of the graph and the options, linear in
the number of commits: first-parent chains are claimed once, each merge
floods backwards only over commits nobody has claimed yet, and no merge-base
is ever computed per merge.

The steps, in order:
1. pick the trunk;
2. find the long-lived lines (by behaviour: span, merges received, merges
   into the trunk, tags), including deleted ones rebuilt from merge subjects;
3. label integrations: every merge on a long-lived line floods its branch;
   single-parent commits on a line are squash merges, rebase runs,
   fast-forwards or direct commits;
4. cherry-picks, reverts, releases (tags) and live branches.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from advisor import merges, roles
from advisor.errors import TrunkNotFound
from advisor.model import (
    CLOCK_SKEW_SECONDS,
    Anomalies,
    CherryPick,
    CherryPickDirection,
    CommitGraph,
    Episode,
    EpisodeKind,
    History,
    LineMerge,
    LineMergeKind,
    LiveBranch,
    LongLivedBranch,
    MergeMethod,
    NameOrigin,
    Ref,
    RefKind,
    Release,
    Revert,
    Trunk,
    TrunkRule,
    aware,
)

DAY = 86_400
_SKEW = timedelta(seconds=CLOCK_SKEW_SECONDS)
CONVENTIONAL_TRUNKS = ("main", "master", "trunk")
DEFAULT_BOT_PATTERNS = (
    r"\[bot\]",
    r"^dependabot",
    r"^renovate",
    r"^github-actions",
    r"^greenkeeper",
    r"^snyk-bot",
    r"^pre-commit-ci",
    r"^mergify",
    r"^semantic-release-bot",
    r"^allcontributors",
    r"^copilot-swe-agent",
)
# Branch names that usually mark long-lived lines. Only used to decide which
# branch claims a shared first-parent chain first; never enough on its own.
_LONG_LIVED_NAME = re.compile(
    r"^(develop|development|dev|next|stable|main|master|trunk|maint.*|release.*|production|prod|"
    r"staging|stage|qa|uat|preprod|hotfix|support.*|v?\d+([._]\d+)*([._]x)?|V_\d+(_\d+)*)$",
    re.IGNORECASE,
)
# Names of work branches (a pull request's head, work in progress, a feature or fix): never lines.
_WORK_NAME = re.compile(r"^(pr|prs|pull|pulls|wip|feature|features|feat|fix|fixes|bugfix|topic|topics|users?|"
                        r"dependabot|renovate)/", re.IGNORECASE)
_ENVIRONMENT_NAME = re.compile(r"^(production|prod|staging|stage|qa|uat|preprod|preview|live|env/.*|deploy/.*)$",
                               re.IGNORECASE)
# release/1.2, release-2.0.1, rel_3: a release branch names the version it prepares.
_RELEASE_NAME = re.compile(r"^(release|releases|rel)[/_-]v?\d|^release$", re.IGNORECASE)
_HOTFIX_NAME = re.compile(r"^(hotfix|hot-fix|hf)[/_-]|^hotfix$", re.IGNORECASE)
_VERSION = re.compile(
    r"^(?:[A-Za-z][A-Za-z_-]*?[-_/]?)?[vV]?_?(\d+(?:[._]\d+){0,3})"
    r"(?:[-._+]?([A-Za-z][0-9A-Za-z.+-]*|\d*[A-Za-z][0-9A-Za-z.+-]*))?$"
)
_PRERELEASE = re.compile(r"(alpha|beta|rc|pre|preview|dev|snapshot|canary|nightly|next|milestone|^m\d|^a\d|^b\d)",
                         re.IGNORECASE)
# Every request reference parse_pr_reference knows has one of these: "#12", "!12", "PR 12".
_MAY_NAME_A_REQUEST = re.compile(r"[#!]\d|PR \d|pull request", re.IGNORECASE).search
_FORGE_COMMITTER = re.compile(r"(noreply@github\.com|^GitHub$|gitlab|bitbucket|azure|web-flow)", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryOptions:
    trunk: str | None = None
    bot_patterns: tuple[str, ...] = DEFAULT_BOT_PATTERNS
    # A line is long-lived when its own commits span this long...
    long_lived_min_days: int = 14
    # ...and it received, or gave to the trunk, at least this many merges (or carries a tag);
    long_lived_min_merges: int = 2
    # a branch whose name does not look like a line's needs this many.
    unhinted_min_merges: int = 5
    # A rebase-merge run: committer times this close together, author times this much older.
    rebase_run_gap_seconds: int = 120
    rebase_author_lag_seconds: int = 60


# ---------------------------------------------------------------------------
# Step 1: the trunk


def branch_refs(graph: CommitGraph) -> dict[str, Ref]:
    """One ref per branch name: the one with the newest tip, origin's on a tie.

    In a clone a stale local branch loses to origin's; in a mirror, leftover
    remote-tracking refs lose to the mirror's own, more recent, branches.
    """
    def rank(ref: Ref) -> tuple[int, int, str]:
        place = 0 if ref.kind is RefKind.REMOTE and ref.remote == "origin" else (
            1 if ref.kind is RefKind.REMOTE else 2)
        return (-graph.commit_time[ref.target], place, ref.name)

    chosen: dict[str, Ref] = {}
    for ref in sorted((r for r in graph.refs if r.kind in (RefKind.LOCAL, RefKind.REMOTE)), key=rank):
        if ref.short == "HEAD":
            continue
        chosen.setdefault(ref.short, ref)
    return chosen


def choose_trunk(graph: CommitGraph, branches: dict[str, Ref], requested: str | None) -> tuple[Ref, TrunkRule]:
    if requested:
        for ref in graph.refs:
            if requested in (ref.name, ref.short) and ref.kind in (RefKind.LOCAL, RefKind.REMOTE):
                return branches.get(ref.short, ref), TrunkRule.OPTION
        known = ", ".join(sorted(branches)[:8]) or "none"
        raise TrunkNotFound(f"There is no branch named {requested!r} (branches include: {known}).")
    by_name = {ref.name: ref for ref in graph.refs}
    if graph.remote_head and graph.remote_head in by_name:
        ref = by_name[graph.remote_head]
        return branches.get(ref.short, ref), TrunkRule.REMOTE_HEAD
    if graph.head_ref and graph.head_ref in by_name:
        ref = by_name[graph.head_ref]
        return branches.get(ref.short, ref), TrunkRule.HEAD
    for name in CONVENTIONAL_TRUNKS:
        if name in branches:
            return branches[name], TrunkRule.CONVENTIONAL
    raise TrunkNotFound(
        "No trunk could be found (no remote HEAD, no HEAD branch, no main/master/trunk); name one with --trunk."
    )


# ---------------------------------------------------------------------------
# Working state: per-commit arrays filled by the steps below.

_NONE = -1


@dataclass(slots=True)
class _Lines:
    names: list[str] = field(default_factory=list)
    chains: list[list[int]] = field(default_factory=list)  # oldest -> newest, claimed commits only
    line_of: list[int] = field(default_factory=list)  # commit -> line id or _NONE
    pos: list[int] = field(default_factory=list)  # commit -> position in its line's chain
    receives_branches: list[bool] = field(default_factory=list)  # line id -> takes feature merges


def _flood_until(graph: CommitGraph, start: int, stops: Callable[[int], bool]) -> tuple[list[int], list[int]]:
    """Commits reachable from `start` without passing a commit where `stops` holds,
    and those stopping commits (the edge)."""
    seen = {start}
    stack = [start]
    found: list[int] = []
    edge: list[int] = []
    while stack:
        commit = stack.pop()
        found.append(commit)
        for parent in graph.parents[commit]:
            if parent in seen:
                continue
            seen.add(parent)
            (edge if stops(parent) else stack).append(parent)
    return found, edge


def first_parent_chain(graph: CommitGraph, tip: int, stop: Sequence[int]) -> list[int]:
    """Commits from `tip` back along first parents until a commit with stop[c] != _NONE."""
    chain = []
    commit: int | None = tip
    parents = graph.parents
    while commit is not None and stop[commit] == _NONE:
        chain.append(commit)
        commit = parents[commit][0] if parents[commit] else None
    return chain


@dataclass(frozen=True, slots=True, kw_only=True)
class _LineCandidate:
    name: str
    tip: int
    live: bool
    priority: int


@dataclass(slots=True)
class _LineStats:
    merges_from_branches: int = 0
    merges_from_trunk: int = 0
    own_commits: int = 0
    tags: int = 0


def _line_stats(graph: CommitGraph, chain: Sequence[int], trunk_line: Sequence[int], tagged: set[int]) -> _LineStats:
    stats = _LineStats()
    for commit in chain:
        parents = graph.parents[commit]
        if len(parents) > 1:
            if all(trunk_line[p] == 0 for p in parents[1:]):
                stats.merges_from_trunk += 1
            else:
                stats.merges_from_branches += 1
        else:
            stats.own_commits += 1
        if commit in tagged:
            stats.tags += 1
    return stats


class _Messages:
    """Each merge message parsed once, however many steps ask for it."""

    def __init__(self, graph: CommitGraph) -> None:
        self.graph = graph
        self.parsed: dict[int, merges.MergeInfo | None] = {}

    def merge(self, commit: int) -> merges.MergeInfo | None:
        if commit not in self.parsed:
            self.parsed[commit] = merges.parse_merge_message(self.graph.subject[commit],
                                                             self.graph.trailers.get(commit, ()))
        return self.parsed[commit]


def _ghost_lines(graph: CommitGraph, lines: _Lines, live_names: set[str], messages: _Messages) -> list[_LineCandidate]:
    """Deleted long-lived branches: a name merged into a line again and again
    whose successive merged tips lie on one first-parent chain."""
    tips_by_name: dict[str, list[int]] = defaultdict(list)
    for line_id, chain in enumerate(lines.chains):
        for commit in chain:
            parents = graph.parents[commit]
            if len(parents) != 2 or lines.line_of[parents[1]] != _NONE:
                continue
            info = messages.merge(commit)
            if info is None or not info.source or info.is_tag:
                continue
            if info.source in live_names or info.source in lines.names:
                continue
            tips_by_name[info.source].append(parents[1])
    ghosts = []
    for name, tips in sorted(tips_by_name.items()):
        if len(tips) < 3:
            continue
        latest = max(tips, key=lambda c: graph.commit_time[c])
        on_chain = set(first_parent_chain(graph, latest, lines.line_of))
        if sum(1 for tip in tips if tip in on_chain) >= 3:
            ghosts.append(_LineCandidate(name=name, tip=latest, live=False, priority=2))
    return ghosts


def find_lines(graph: CommitGraph, trunk: Ref, branches: dict[str, Ref], options: HistoryOptions,
               messages: _Messages) -> tuple[_Lines, list[LongLivedBranch]]:
    n = len(graph)
    lines = _Lines(line_of=[_NONE] * n, pos=[_NONE] * n)
    trunk_chain = first_parent_chain(graph, trunk.target, lines.line_of)
    trunk_chain.reverse()
    _claim(lines, trunk.short, trunk_chain, True)
    # Only version tags make a line a release line; other tags (nightly, latest) do not.
    tagged = {ref.target for ref in graph.refs if ref.kind is RefKind.TAG and parse_version(ref.short)}
    trunk_merged = _merged_into_trunk(graph, trunk_chain)

    candidates = [
        _LineCandidate(name=name, tip=ref.target, live=True,
                       priority=0 if _LONG_LIVED_NAME.match(name) else 1)
        for name, ref in branches.items() if name != trunk.short
    ]
    # Hinted names claim shared chains first; among them the line with the longest history of its
    # own (a master that kept going claims the commits it shares with a support line cut from it),
    # then the most recently active.
    reach = {c.name: len(first_parent_chain(graph, c.tip, lines.line_of)) for c in candidates if c.priority == 0}
    candidates.sort(key=lambda c: (c.priority, -reach.get(c.name, 0), -graph.commit_time[c.tip], c.name))
    accepted: list[LongLivedBranch] = []
    for round_candidates in (candidates, None):
        if round_candidates is None:
            round_candidates = _ghost_lines(graph, lines, set(branches), messages)
        for candidate in round_candidates:
            chain = first_parent_chain(graph, candidate.tip, lines.line_of)
            if not chain:
                continue
            chain.reverse()
            stats = _line_stats(graph, chain, lines.line_of, tagged)
            record = _judge_line(graph, candidate, chain, stats, trunk_merged, options)
            if record is not None:
                # A line fed mostly by branches is where work integrates (develop); a line fed
                # mostly by the trunk is where the trunk is promoted to (production).
                _claim(lines, candidate.name, chain, stats.merges_from_branches > stats.merges_from_trunk)
                accepted.append(record)
    trunk_record = LongLivedBranch(
        name=trunk.short, live=True, tip=graph.shas[trunk.target],
        first_commit_at=aware(graph.commit_time[trunk_chain[0]], graph.commit_offset[trunk_chain[0]]),
        last_commit_at=aware(graph.commit_time[trunk_chain[-1]], graph.commit_offset[trunk_chain[-1]]),
        mainline_commits=len(trunk_chain), merges_received=sum(1 for c in trunk_chain if len(graph.parents[c]) > 1),
        merged_into_trunk=0, tags=sum(1 for c in trunk_chain if c in tagged), reasons=("the trunk",),
    )
    return lines, [trunk_record, *accepted]


def _claim(lines: _Lines, name: str, chain: list[int], receives_branches: bool) -> None:
    line_id = len(lines.names)
    lines.names.append(name)
    lines.receives_branches.append(receives_branches)
    lines.chains.append(chain)
    for position, commit in enumerate(chain):
        lines.line_of[commit] = line_id
        lines.pos[commit] = position


def _merged_into_trunk(graph: CommitGraph, trunk_chain: Sequence[int]) -> dict[int, int]:
    """commit -> how many trunk merges took it as a merged (non-first) parent."""
    counts: dict[int, int] = defaultdict(int)
    for commit in trunk_chain:
        for parent in graph.parents[commit][1:]:
            counts[parent] += 1
    return counts


def _judge_line(graph: CommitGraph, candidate: _LineCandidate, chain: list[int], stats: _LineStats,
                trunk_merged: dict[int, int], options: HistoryOptions) -> LongLivedBranch | None:
    first, last = chain[0], chain[-1]
    # A line's age runs from the commit it forked from, when it has one.
    born = graph.parents[first][0] if graph.parents[first] else first
    span_days = (graph.commit_time[last] - min(graph.commit_time[born], graph.commit_time[first])) / DAY
    into_trunk = sum(trunk_merged.get(commit, 0) for commit in chain)
    # A name that usually marks a line (develop, release-1.2, production) needs less
    # behaviour to count than any other name: a personal branch that merged two
    # colleagues' branches, or reached the trunk twice, is still a feature branch.
    if _WORK_NAME.match(candidate.name):
        # pr/7344, wip/alice/x, feature/y: a branch named as work stays a work branch however many
        # times it synced with the trunk; taking it as a line would swallow the PRs merged into it.
        return None
    hinted = bool(_LONG_LIVED_NAME.match(candidate.name))
    needed = options.long_lived_min_merges if hinted else max(options.long_lived_min_merges,
                                                               options.unhinted_min_merges)
    reasons = []
    if stats.merges_from_branches >= needed:
        reasons.append(f"received {stats.merges_from_branches} merges from other branches")
    if into_trunk >= needed:
        reasons.append(f"merged into the trunk {into_trunk} times")
    # A tag or two on a feature branch (a pre-release cut from it) makes no release line.
    if stats.tags >= (1 if hinted else needed):
        reasons.append(f"carries {stats.tags} tags")
    environment = bool(_ENVIRONMENT_NAME.match(candidate.name))
    promotions = stats.merges_from_trunk >= needed and (environment or stats.merges_from_trunk > stats.own_commits)
    if promotions:
        reasons.append(f"received {stats.merges_from_trunk} merges from the trunk")
    if span_days < options.long_lived_min_days or not reasons:
        return None
    reasons.insert(0, f"lived {span_days:.0f} days with {len(chain)} commits of its own")
    if not candidate.live:
        reasons.append("rebuilt from merge subjects: the branch no longer exists")
    return LongLivedBranch(
        name=candidate.name, live=candidate.live, tip=graph.shas[candidate.tip],
        first_commit_at=aware(graph.commit_time[first], graph.commit_offset[first]),
        last_commit_at=aware(graph.commit_time[last], graph.commit_offset[last]),
        mainline_commits=len(chain), merges_received=stats.merges_from_branches + stats.merges_from_trunk,
        merged_into_trunk=into_trunk, tags=stats.tags, reasons=tuple(reasons),
    )


# ---------------------------------------------------------------------------
# Step 3: integrations


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
    arrival: list[int]  # commit -> trunk position where it arrived, or _NONE
    first_final: list[int]  # commit -> index of the first final release tag containing it, or _NONE
    final_tags: list[tuple[str, datetime] | None]  # tag index -> (name, time) for final releases
    messages: _Messages
    episode_of: list[int] = field(default_factory=list)  # commit -> episode index or _NONE
    episodes: list[Episode] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)  # episode index -> commit that integrated it
    line_merges: list[LineMerge] = field(default_factory=list)
    arrivals: dict[int, list[int]] = field(default_factory=dict)  # line id -> commit -> position it arrived at
    line_merged: set[int] = field(default_factory=set)  # line commits another line merged (release PR heads)

    def time(self, commit: int) -> datetime:
        return aware(self.graph.commit_time[commit], self.graph.commit_offset[commit])

    def author_time(self, commit: int) -> datetime:
        return aware(self.graph.author_time[commit], self.graph.author_offset[commit])

    def landed(self, line_id: int, merge: int, parent: int) -> tuple[int, int | None]:
        """What merging `parent` at `merge` brought onto line `line_id` (git rev-list M^1..parent):
        how many commits, and the one first authored. Each line's arrival order is computed once,
        only for lines that need it."""
        arrival = self.arrivals.get(line_id)
        if arrival is None:
            arrival = self.arrival if line_id == 0 else _line_arrival(self.graph, self.lines.chains[line_id])
            self.arrivals[line_id] = arrival
        position = self.lines.pos[merge]
        if arrival[parent] != position:
            return 0, None
        author_time = self.graph.author_time
        seen = {parent}
        stack = [parent]
        first = parent
        while stack:
            commit = stack.pop()
            if (author_time[commit], commit) < (author_time[first], first):
                first = commit
            for p in self.graph.parents[commit]:
                if p not in seen and arrival[p] == position:
                    seen.add(p)
                    stack.append(p)
        return len(seen), first

    def flood(self, start: int) -> tuple[list[int], list[int]]:
        """Unclaimed commits reachable from `start`, and the claimed commits at its edge."""
        line_of, episode_of = self.lines.line_of, self.episode_of
        if line_of[start] != _NONE or episode_of[start] != _NONE:
            return [], [start]
        return _flood_until(self.graph, start, lambda c: line_of[c] != _NONE or episode_of[c] != _NONE)

    def flow(self, anchor: int) -> dict[str, Any]:
        """When the commit that integrated an episode reached the trunk, and its first final release."""
        position = self.arrival[anchor]
        release = self.first_final[anchor]
        shipped = self.final_tags[release] if release != _NONE else None
        return {
            "reached_trunk_at": self.time(self.lines.chains[0][position]) if position != _NONE else None,
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
            return merges.cited_pull_request(graph.subject[commit], graph.trailers.get(commit, ()))

        run = set(shape.commits) if method in (MergeMethod.REBASE, MergeMethod.FAST_FORWARD) else set()
        also = tuple(graph.shas[m] for m in members
                     if m != anchor and graph.shas[m] in run and cites(m) is not None)
        return self.add(Episode(
            id=id, target=target, source=source, name_origin=origin, pr=pr, host=host, method=method,
            kind=kind or _kind_of(source), commits=shape.commits, sync_merges=shape.sync_merges,
            authors=shape.authors, author=shape.author, fork_point=shape.fork_point, forked_from=shape.forked_from,
            first_commit_at=shape.first_commit_at, last_commit_at=shape.last_commit_at, merged_at=merged_at,
            # A branch still carrying its name (it went on after the merge) is not deleted.
            behind=shape.behind, deleted=deleted and source not in self.branch_names, bot=shape.bot,
            clock_skew=shape.first_commit_at > merged_at + _SKEW,
            exact_lifetime=exact, lifetime_unknown=lifetime_unknown, merged_by=self.merger(anchor),
            cites_pr=cites(anchor), also_citing=also, **self.flow(anchor),
        ), members, anchor)

    def merger(self, commit: int) -> str | None:
        """Who put `commit` on its line (see `Episode.merged_by`)."""
        graph = self.graph
        if len(graph.parents[commit]) > 1:
            return graph.people[graph.author[commit]][0]
        name, email = graph.people[graph.committer[commit]]
        return None if _FORGE_COMMITTER.search(name) or _FORGE_COMMITTER.search(email) else name

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
                commits=(graph.shas[only],), sync_merges=0, authors=(graph.people[graph.author[only]][0],),
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


def _kind_of(name: str | None) -> EpisodeKind:
    if name and _RELEASE_NAME.match(name):
        return EpisodeKind.RELEASE
    if name and _HOTFIX_NAME.match(name):
        return EpisodeKind.HOTFIX
    return EpisodeKind.FEATURE


def _label_integrations(lab: _Labeller) -> None:
    """Merges and squash merges on every line, in order of arrival.

    First arrival wins: a change belongs to the first long-lived line it reached, and a squash
    merge claims its PR's original commits before a later merge that also contains them does.
    """
    graph, lines = lab.graph, lab.lines
    events = [commit for chain in lines.chains for commit in chain
              if len(graph.parents[commit]) > 1 or _may_name_a_request(graph, commit)]
    events.sort(key=lambda c: (graph.commit_time[c], lines.line_of[c], lines.pos[c]))
    for commit in events:
        if len(graph.parents[commit]) > 1:
            _label_merge(lab, commit)
        else:
            _label_squash(lab, lines.line_of[commit], commit)


def _may_name_a_request(graph: CommitGraph, commit: int) -> bool:
    """Most direct commits have no request number anywhere, so they are never parsed."""
    return commit in graph.trailers or bool(_MAY_NAME_A_REQUEST(graph.subject[commit]))


def _label_merge(lab: _Labeller, merge: int) -> None:
    graph, lines = lab.graph, lab.lines
    target_line = lines.line_of[merge]
    info = lab.messages.merge(merge)
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


def _label_single_parent_commits(lab: _Labeller) -> None:
    """Commits made on a line itself that no squash merge took: fast-forwards, rebase runs, direct commits."""
    for line_id, chain in enumerate(lab.lines.chains):
        singles = [c for c in chain if len(lab.graph.parents[c]) <= 1]
        _label_fast_forwards(lab, line_id, chain)
        _label_rebase_runs(lab, line_id, chain)
        _label_direct(lab, line_id, singles)


def _label_squash(lab: _Labeller, line_id: int, commit: int) -> None:
    """A single-parent line commit naming a pull or merge request: a squash merge (Gerrit: a rebase)."""
    graph = lab.graph
    if lab.episode_of[commit] != _NONE:
        return
    info = merges.parse_pr_reference(graph.subject[commit], graph.trailers.get(commit, ()))
    if info is None or (info.pr is None and info.host is not merges.Host.GERRIT):
        return
    branch: list[int] = []
    edge: list[int] = []
    head = lab.pull_heads.get(info.pr) if info.pr is not None else None
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


def _label_fast_forwards(lab: _Labeller, line_id: int, chain: Sequence[int]) -> None:
    """A pull-request head or a branch ref resting on a line commit: merged by fast-forward."""
    graph = lab.graph
    for index, commit in enumerate(chain):
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
        for earlier in reversed(chain[:index]):
            if (lab.episode_of[earlier] != _NONE or len(graph.parents[earlier]) > 1
                    or graph.author[earlier] != author or earlier in lab.pull_tips or earlier in lab.live_tips):
                break
            run.append(earlier)
        shape = lab.shape(run, [], line_id, _NONE)
        lab.add_episode(
            shape, id=graph.shas[commit], target=lab.lines.names[line_id], source=name,
            origin=NameOrigin.LIVE_REF if name else NameOrigin.PULL_REF, pr=pr,
            host=lab.pull_hosts.get(pr, merges.Host.GIT.value) if pr is not None else merges.Host.GIT.value,
            method=MergeMethod.FAST_FORWARD, merged_at=lab.time(commit), deleted=name is None, exact=False, members=run, anchor=commit)


def _label_rebase_runs(lab: _Labeller, line_id: int, chain: Sequence[int]) -> None:
    """Runs of commits re-committed together long after they were written."""
    graph, options = lab.graph, lab.options

    def lagging(commit: int) -> bool:
        return (lab.episode_of[commit] == _NONE and len(graph.parents[commit]) == 1
                and graph.commit_time[commit] - graph.author_time[commit] >= options.rebase_author_lag_seconds)

    run: list[int] = []
    for commit in [*chain, _NONE]:
        joins = (commit != _NONE and lagging(commit) and bool(run)
                 and graph.committer[commit] == graph.committer[run[-1]]
                 and abs(graph.commit_time[commit] - graph.commit_time[run[-1]]) <= options.rebase_run_gap_seconds)
        if joins:
            run.append(commit)
            continue
        if run and _is_rebase_merge(lab, run):
            shape = lab.shape(run, [], line_id, _NONE)
            lab.add_episode(
                shape, id=graph.shas[run[-1]], target=lab.lines.names[line_id], source=None,
                origin=NameOrigin.UNKNOWN, pr=None, host=_host_of_committer(graph, run[-1]),
                method=MergeMethod.REBASE, merged_at=lab.time(run[-1]), deleted=True, exact=True, members=run, anchor=run[-1])
        run = [commit] if commit != _NONE and lagging(commit) else []


def _is_rebase_merge(lab: _Labeller, run: Sequence[int]) -> bool:
    """Someone other than the author (a forge or a maintainer) re-committed the run."""
    graph = lab.graph
    committer = graph.people[graph.committer[run[-1]]]
    by_forge = bool(_FORGE_COMMITTER.search(committer[0]) or _FORGE_COMMITTER.search(committer[1]))
    by_other = any(graph.people[graph.author[c]] != committer for c in run)
    return by_forge or (by_other and (len(run) >= 2 or graph.people[graph.author[run[0]]][1] != committer[1]))


def _host_of_committer(graph: CommitGraph, commit: int) -> str:
    name, email = graph.people[graph.committer[commit]]
    text = f"{name} {email}".lower()
    for host in (merges.Host.GITHUB, merges.Host.GITLAB, merges.Host.BITBUCKET):
        if host.value in text:
            return host.value
    return merges.Host.GIT.value


def _label_direct(lab: _Labeller, line_id: int, singles: Sequence[int]) -> None:
    graph = lab.graph
    for commit in singles:
        if lab.episode_of[commit] != _NONE:
            continue
        shape = lab.shape([commit], [], line_id, _NONE)
        lab.add_episode(
            shape, id=graph.shas[commit], target=lab.lines.names[line_id], source=None,
            origin=NameOrigin.UNKNOWN, pr=None, host=merges.Host.GIT.value, method=MergeMethod.DIRECT,
            merged_at=lab.time(commit), deleted=False, exact=True, kind=EpisodeKind.DIRECT, members=[commit], anchor=commit)


# ---------------------------------------------------------------------------
# Step 4: cherry-picks, reverts, releases, live branches


class _ShaIndex:
    """Full or abbreviated sha -> commit index (abbreviations resolved only when unique)."""

    def __init__(self, graph: CommitGraph) -> None:
        self._exact = {sha: i for i, sha in enumerate(graph.shas)}
        self._sorted: list[str] | None = None
        self._graph = graph

    def find(self, sha: str) -> int | None:
        sha = sha.lower()
        if sha in self._exact:
            return self._exact[sha]
        if len(sha) < 7:
            return None
        if self._sorted is None:
            self._sorted = sorted(self._exact)
        import bisect
        at = bisect.bisect_left(self._sorted, sha)
        hits: list[str] = []
        while at < len(self._sorted) and self._sorted[at].startswith(sha) and len(hits) < 2:
            hits.append(self._sorted[at])
            at += 1
        return self._exact[hits[0]] if len(hits) == 1 else None


def _cherry_picks_and_reverts(lab: _Labeller, shas: _ShaIndex) -> tuple[list[CherryPick], list[Revert]]:
    graph, trunk = lab.graph, lab.lines.names[0]
    picks: list[CherryPick] = []
    reverts: list[Revert] = []
    for commit, lines in sorted(lab.graph.trailers.items()):
        trailers = merges.parse_trailers(lines)
        line = lab.line_name(commit)
        for source in trailers.cherry_picked_from:
            found = shas.find(source)
            from_line = lab.line_name(found) if found is not None else None
            if from_line == trunk and line not in (None, trunk):
                direction = CherryPickDirection.TRUNK_TO_BRANCH
            elif line == trunk and from_line not in (None, trunk):
                direction = CherryPickDirection.BRANCH_TO_TRUNK
            else:
                direction = CherryPickDirection.OTHER
            picks.append(CherryPick(
                commit=graph.shas[commit], picked_from=graph.shas[found] if found is not None else source,
                line=line, from_line=from_line, direction=direction, at=lab.time(commit),
            ))
        for target in trailers.reverts:
            found = shas.find(target)
            reverts.append(Revert(
                commit=graph.shas[commit], reverted=graph.shas[found] if found is not None else target,
                line=line, at=lab.time(commit), reverted_found=found is not None,
            ))
    return picks, reverts


def parse_version(tag: str) -> tuple[tuple[int, ...], bool] | None:
    """(version numbers, is pre-release) for tags such as v1.2.3, 1.2-rc1, release-2.0, V_1_2, go1.21rc2."""
    match = _VERSION.match(tag.rsplit("/", 1)[-1])
    if match is None:
        return None
    numbers = tuple(int(part) for part in re.split(r"[._]", match.group(1)))
    suffix = match.group(2) or ""
    return numbers, bool(suffix and _PRERELEASE.search(suffix))


def _version_tags(graph: CommitGraph) -> list[tuple[int, int, Ref, tuple[tuple[int, ...], bool]]]:
    """(time, offset, ref, version) of every tag that names a version, oldest first."""
    tags = []
    for ref in graph.refs:
        if ref.kind is not RefKind.TAG:
            continue
        version = parse_version(ref.short)
        if version is None:
            continue
        epoch = ref.tag_time if ref.tag_time is not None else graph.commit_time[ref.target]
        offset = ref.tag_offset if ref.tag_offset is not None else graph.commit_offset[ref.target]
        tags.append((epoch, offset, ref, version))
    tags.sort(key=lambda t: (t[0], t[3][0], t[2].short))
    return tags


def _flood_unmarked(graph: CommitGraph, start: int, mark: list[int], value: int) -> int:
    """Mark every commit reachable from `start` not yet marked; return how many."""
    count = 0
    stack = [start]
    while stack:
        commit = stack.pop()
        if mark[commit] != _NONE:
            continue
        mark[commit] = value
        count += 1
        stack.extend(p for p in graph.parents[commit] if mark[p] == _NONE)
    return count


@dataclass(frozen=True, slots=True)
class _Shipping:
    """What each version tag shipped first: computed from the graph alone, before labelling."""

    tags: list[tuple[int, int, Ref, tuple[tuple[int, ...], bool]]]
    new_commits: list[int]
    shipped: list[int]
    first_final: list[int]  # commit -> first final tag containing it


def _shipping(graph: CommitGraph) -> _Shipping:
    tags = _version_tags(graph)
    any_tag = [_NONE] * len(graph)
    first_final = [_NONE] * len(graph)
    new_commits, shipped = [], []
    for number, (_, _, ref, (_, prerelease)) in enumerate(tags):
        new_commits.append(_flood_unmarked(graph, ref.target, any_tag, number))
        shipped.append(0 if prerelease else _flood_unmarked(graph, ref.target, first_final, number))
    return _Shipping(tags=tags, new_commits=new_commits, shipped=shipped, first_final=first_final)


def _releases(lab: _Labeller, shipping: _Shipping) -> list[Release]:
    """Releases from version tags, each placed on the line (or short branch) it sits on."""
    graph = lab.graph
    releases = []
    for number, (epoch, offset, ref, (version, prerelease)) in enumerate(shipping.tags):
        line_id = lab.lines.line_of[ref.target]
        episode = lab.episode_of[ref.target]
        line = lab.lines.names[line_id] if line_id != _NONE else (
            lab.episodes[episode].target if episode != _NONE else None)
        releases.append(Release(
            tag=ref.short, commit=graph.shas[ref.target], at=aware(epoch, offset), line=line,
            branch=lab.episodes[episode].source if line_id == _NONE and episode != _NONE else None,
            version=version, prerelease=prerelease, annotated=ref.tag_time is not None,
            new_commits=shipping.new_commits[number], shipped=shipping.shipped[number],
        ))
    return releases


def _line_arrival(graph: CommitGraph, chain: Sequence[int]) -> list[int]:
    """For every commit a line contains, the position on its chain at which it arrived; what the
    line had when it forked (its first commit's first parent and everything before) arrived at 0."""
    arrival = [_NONE] * len(graph)
    for position, commit in enumerate(chain):
        stack = [commit]
        while stack:
            current = stack.pop()
            if arrival[current] != _NONE:
                continue
            arrival[current] = position
            stack.extend(p for p in graph.parents[current] if arrival[p] == _NONE)
    return arrival


def _trunk_arrival(graph: CommitGraph, trunk_chain: Sequence[int]) -> list[int]:
    """For every commit in the trunk, the trunk position at which it arrived."""
    arrival = [_NONE] * len(graph)
    for position, commit in enumerate(trunk_chain):
        arrival[commit] = position
        stack = [p for p in graph.parents[commit][1:] if arrival[p] == _NONE]
        while stack:
            current = stack.pop()
            if arrival[current] != _NONE:
                continue
            arrival[current] = position
            stack.extend(p for p in graph.parents[current] if arrival[p] == _NONE)
    return arrival


def _live_branches(lab: _Labeller, branches: dict[str, Ref], trunk: Ref, arrival: Sequence[int]) -> list[LiveBranch]:
    graph = lab.graph
    trunk_chain = lab.lines.chains[0]
    last = len(trunk_chain) - 1
    live = []
    for name, ref in sorted(branches.items()):
        if name == trunk.short:
            continue
        tip = ref.target
        pr = lab.pull_number([tip])
        if arrival[tip] != _NONE:
            live.append(LiveBranch(
                name=name, ref=ref.name, tip=graph.shas[tip], ahead=0, behind=last - arrival[tip],
                forked_at=None, last_commit_at=lab.time(tip), authors=(), merged=True, pr=pr,
                long_lived=name in lab.lines.names, on_trunk_line=lab.lines.line_of[tip] == 0,
            ))
            continue
        ahead, edge = _flood_until(graph, tip, lambda c: arrival[c] != _NONE)
        fork = min(edge, key=lambda c: arrival[c]) if edge else None
        base = max(edge, key=lambda c: (arrival[c], graph.commit_time[c])) if edge else None
        live.append(LiveBranch(
            name=name, ref=ref.name, tip=graph.shas[tip], ahead=len(ahead),
            behind=last - max(arrival[c] for c in edge) if edge else last + 1,
            forked_at=lab.time(trunk_chain[arrival[fork]]) if fork is not None else None,
            last_commit_at=lab.time(tip),
            authors=tuple(sorted({graph.people[graph.author[c]][0] for c in ahead})),
            merged=False, pr=pr, long_lived=name in lab.lines.names,
            base=graph.shas[base] if base is not None else None,
        ))
    return live


def _anomalies(graph: CommitGraph, now: datetime) -> Anomalies:
    future = int(now.timestamp()) + DAY
    epoch_floor = 315_532_800  # 1980-01-01: earlier dates come from broken clocks or imports
    before_author = before_parent = future_dated = epoch_dated = 0
    for commit in range(len(graph)):
        authored, committed = graph.author_time[commit], graph.commit_time[commit]
        before_author += committed < authored - CLOCK_SKEW_SECONDS
        future_dated += max(authored, committed) > future
        epoch_dated += min(authored, committed) < epoch_floor
        before_parent += any(committed < graph.commit_time[p] - CLOCK_SKEW_SECONDS for p in graph.parents[commit])
    return Anomalies(
        committer_before_author=before_author, commit_before_parent=before_parent,
        future_dated=future_dated, epoch_dated=epoch_dated, missing_parents=graph.missing_parents,
    )


# ---------------------------------------------------------------------------


def reconstruct(graph: CommitGraph, options: HistoryOptions, now: datetime) -> History:
    """The whole branching history of `graph`; `now` only dates anomalies."""
    branches = branch_refs(graph)
    trunk_ref, rule = choose_trunk(graph, branches, options.trunk)
    bots = re.compile("|".join(options.bot_patterns) or r"(?!)", re.IGNORECASE)
    messages = _Messages(graph)
    lines, long_lived = find_lines(graph, trunk_ref, branches, options, messages)
    live_tips: dict[int, list[str]] = defaultdict(list)
    for name, ref in branches.items():
        if name not in lines.names:
            live_tips[ref.target].append(name)
    pull_tips: dict[int, list[int]] = defaultdict(list)
    pull_heads: dict[int, int] = {}
    pull_hosts: dict[int, str] = {}
    for ref in graph.refs:
        if ref.kind is RefKind.PULL and ref.pr is not None:
            pull_tips[ref.target].append(ref.pr)
            pull_heads[ref.pr] = ref.target
            pull_hosts[ref.pr] = (merges.Host.GITLAB if ref.name.startswith("refs/merge-requests/")
                                  else merges.Host.GITHUB).value
    bot_people = [bool(bots.search(name) or bots.search(email)) for name, email in graph.people]
    arrival = _trunk_arrival(graph, lines.chains[0])
    shipping = _shipping(graph)
    final_tags = [
        None if prerelease else (ref.short, aware(epoch, offset))
        for epoch, offset, ref, (_, prerelease) in shipping.tags
    ]
    lab = _Labeller(graph=graph, lines=lines, options=options, live_tips=dict(live_tips),
                    pull_tips=dict(pull_tips), pull_heads=pull_heads, pull_hosts=pull_hosts,
                    branch_names=frozenset(branches), bot_people=bot_people,
                    arrival=arrival, first_final=shipping.first_final, final_tags=final_tags,
                    messages=messages, episode_of=[_NONE] * len(graph))
    _label_integrations(lab)
    _label_single_parent_commits(lab)
    picks, reverts = _cherry_picks_and_reverts(lab, _ShaIndex(graph))
    releases = _releases(lab, shipping)
    episodes = sorted(lab.episodes, key=lambda e: (e.merged_at, e.id))
    tags_on: dict[str | None, int] = defaultdict(int)
    for release in releases:
        tags_on[release.line] += 1
    long_lived = [replace(line, tags=tags_on.get(line.name, 0)) for line in long_lived]
    tagged_lines = {line.name for line in long_lived if line.tags}
    line_roles = roles.line_roles(trunk_ref.short, long_lived, episodes, lab.line_merges, picks)
    return History(
        trunk=Trunk(name=trunk_ref.short, ref=trunk_ref.name, rule=rule, tip=graph.shas[trunk_ref.target]),
        long_lived=tuple(long_lived),
        episodes=tuple(episodes),
        line_merges=tuple(sorted(roles.name_merges(trunk_ref.short, lab.line_merges, line_roles, tagged_lines),
                                 key=lambda m: (m.merged_at, m.commit))),
        cherry_picks=tuple(sorted(picks, key=lambda p: (p.at, p.commit))),
        reverts=tuple(sorted(reverts, key=lambda r: (r.at, r.commit))),
        releases=tuple(releases),
        live_branches=tuple(_live_branches(lab, branches, trunk_ref, arrival)),
        anomalies=_anomalies(graph, now),
        commit_count=len(graph),
        trunk_commits=len(lines.chains[0]),
        unreleased_trunk_commits=sum(1 for c in range(len(graph)) if arrival[c] != _NONE
                                     and shipping.first_final[c] == _NONE) if releases else None,
    )

