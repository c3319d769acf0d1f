"""Steps 1 and 2 of the reconstruction: the trunk, and the long-lived lines beside it.

Long-lived lines are found by behaviour (span, merges received, merges into the trunk,
tags), deleted ones rebuilt from merge subjects; each line claims its first-parent
chain once, so the later steps see every commit's line in one array.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from advisor import merges
from advisor.errors import TrunkNotFound
from advisor.model import CommitGraph, FastForwarded, LongLivedBranch, Ref, RefKind, TrunkRule, aware

DAY = 86_400
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
# Every request reference parse_pr_reference knows has one of these: "#12", "!12", "PR 12".
_MAY_NAME_A_REQUEST = re.compile(r"[#!]\d|PR \d|pull request", re.IGNORECASE).search
# Names of work branches (a pull request's head, work in progress, a feature or fix): never lines.
_WORK_NAME = re.compile(r"^(pr|prs|pull|pulls|wip|feature|features|feat|fix|fixes|bugfix|topic|topics|users?|"
                        r"dependabot|renovate)/", re.IGNORECASE)
_ENVIRONMENT_NAME = re.compile(r"^(production|prod|staging|stage|qa|uat|preprod|preview|live|env/.*|deploy/.*)$",
                               re.IGNORECASE)
_VERSION = re.compile(
    r"^(?P<prefix>[A-Za-z][A-Za-z_-]*?[-_/]?)?[vV]?_?(\d+(?:[._]\d+){0,3})"
    r"(?:[-._+]?([A-Za-z][0-9A-Za-z.+-]*|\d*[A-Za-z][0-9A-Za-z.+-]*))?$"
)
_PRERELEASE = re.compile(r"(alpha|beta|rc|pre|preview|dev|snapshot|canary|nightly|next|milestone|^m\d|^a\d|^b\d)",
                         re.IGNORECASE)


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


def choose_trunk(graph: CommitGraph, branches: dict[str, Ref], requested: str | None,
                 options: HistoryOptions | None = None) -> tuple[Ref, TrunkRule, FastForwarded | None]:
    """The trunk, the rule that chose it and, when the default branch only fast-forwards to
    another line (which is then the trunk), the facts that show it."""
    if requested:
        for ref in graph.refs:
            if requested in (ref.name, ref.short) and ref.kind in (RefKind.LOCAL, RefKind.REMOTE):
                return branches.get(ref.short, ref), TrunkRule.OPTION, None
        known = ", ".join(sorted(branches)[:8]) or "none"
        raise TrunkNotFound(f"There is no branch named {requested!r} (branches include: {known}).")
    default, rule = _default_branch(graph, branches)
    fed = fast_forward_source(graph, branches, default, rule, options or HistoryOptions())
    if fed is not None:
        return fed[0], TrunkRule.FAST_FORWARDED, fed[1]
    return default, rule, None


def _default_branch(graph: CommitGraph, branches: dict[str, Ref]) -> tuple[Ref, TrunkRule]:
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


def _integration(graph: CommitGraph, commit: int) -> bool:
    """A merge, or a single-parent commit citing the pull request it landed (a squash merge)."""
    if len(graph.parents[commit]) > 1:
        return True
    subject = graph.subject[commit] if commit < len(graph.subject) else ""
    trailers = graph.trailers.get(commit, ())
    if not trailers and not _MAY_NAME_A_REQUEST(subject):
        return False
    return (merges.parse_pr_reference(subject, trailers) is not None
            or merges.cited_pull_request(subject, trailers) is not None)


def _merged_from(graph: CommitGraph, commit: int, line: str) -> str | None:
    """The target a merge subject names when it says `line` was merged into it (git's "Merge branch
    'master' into dev", a bot's "chore: merge master to dev"); None otherwise."""
    subject = graph.subject[commit] if commit < len(graph.subject) else ""
    info = merges.parse_merge_message(subject, graph.trailers.get(commit, ()))
    if info is not None and info.source == line and info.target:
        return info.target
    match = re.search(r"\bmerge (?:branch )?['\"]?(?:origin/)?" + re.escape(line) + r"['\"]? (?:in)?to ['\"]?([^\s'\"]+)",
                      subject, re.IGNORECASE)
    return match.group(1) if match else None


def fast_forward_source(graph: CommitGraph, branches: dict[str, Ref], default: Ref, rule: TrunkRule,
                        options: HistoryOptions) -> tuple[Ref, FastForwarded] | None:
    """The line the default branch only ever moves to by fast-forward (Gitflow-like projects that
    land work on `dev` and fast-forward `master` to it at releases), when there is one.

    The two first-parent chains are one below the newest commit they share (where the default
    branch was last fast-forwarded to). A line qualifies when, since then, it took at least 2
    integrations (5 for a name that does not look like a line's) while the default branch took
    none: its own first-parent commits, if any, are direct commits all merged into the line
    (hotfixes merged back), no more than the line's; and when its history proves it happened
    before: a merge of the default branch into the line (the subject says so) on the default
    branch's own first-parent chain, whose merged commit that chain does not hold, which only a
    fast-forward to the line does. Without that proof a line ahead of the default branch may be
    rebuilt on top of it (git's `seen`) or a branch cut from its tip. Among qualifying lines, the
    one with the most integrations, then the fewest commits since (not a branch cut from it with a
    commit on top)."""
    parents = graph.parents
    head_chain: list[int] = []
    commit: int | None = default.target
    while commit is not None:
        head_chain.append(commit)
        commit = parents[commit][0] if parents[commit] else None
    place = {c: i for i, c in enumerate(head_chain)}  # 0 is the tip
    passed: list[tuple[int, str]] | None = None
    best: tuple[tuple[int, int, bool, int, str], Ref, FastForwarded] | None = None
    for name, ref in branches.items():
        if name == default.short or _WORK_NAME.match(name) or ref.target == default.target:
            continue
        tail: list[int] = []
        commit = ref.target
        while commit is not None and commit not in place:
            tail.append(commit)
            commit = parents[commit][0] if parents[commit] else None
        if commit is None or not tail:
            continue  # no shared history, or the line is behind the default branch
        met = place[commit]
        hinted = bool(_LONG_LIVED_NAME.match(name))
        needed = options.long_lived_min_merges if hinted else max(options.long_lived_min_merges,
                                                                   options.unhinted_min_merges)
        integrations = sum(1 for c in tail if _integration(graph, c))
        own = head_chain[:met]
        if integrations < needed or len(own) > len(tail) or any(_integration(graph, c) for c in own):
            continue
        if passed is None:  # read once, and only for a line that passed the cheaper tests
            passed = _passed_merges(graph, head_chain, place, default.short)
        proofs = sum(1 for index, target in passed if index >= met and target == name)
        if proofs == 0 or (own and not _contains(graph, ref.target, own, place, met)):
            continue
        key = (-integrations, len(tail), not hinted, -graph.commit_time[ref.target], name)
        if best is None or key < best[0]:
            met_commit = head_chain[met]
            best = (key, ref, FastForwarded(
                line=default.short, ref=default.name, rule=rule, met_at=graph.shas[met_commit],
                met_on=aware(graph.commit_time[met_commit], graph.commit_offset[met_commit]),
                own_commits=len(own), trunk_commits=len(tail), trunk_integrations=integrations,
                passed_back_merges=proofs))
    return None if best is None else (best[1], best[2])


def _passed_merges(graph: CommitGraph, chain: list[int], place: dict[int, int], line: str) -> list[tuple[int, str]]:
    """(position, target) of the merges on `line`'s first-parent chain that say `line` was merged
    into another line and whose merged commit is off the chain."""
    found = []
    parents, subjects = graph.parents, graph.subject
    for index, commit in enumerate(chain):
        if len(parents[commit]) < 2 or commit >= len(subjects) or line not in subjects[commit]:
            continue
        if any(p not in place for p in parents[commit][1:]):
            target = _merged_from(graph, commit, line)
            if target is not None:
                found.append((index, target))
    return found


def _contains(graph: CommitGraph, tip: int, commits: Sequence[int], place: dict[int, int], met: int) -> bool:
    """Whether every one of `commits` is reachable from `tip` (the shared chain below `met` stops the walk)."""
    wanted = set(commits)
    found, _ = _flood_until(graph, tip, lambda c: place.get(c, -1) >= met)
    wanted.difference_update(found)
    return not wanted


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
    # The reason a rebuilt line (not live) gives for having no ref.
    rebuilt: str = "rebuilt from merge subjects: the branch no longer exists"


@dataclass(slots=True)
class _LineStats:
    merges_from_branches: int = 0
    merges_from_trunk: int = 0
    merges_from_lines: int = 0  # another long-lived line merged in to catch up: no work received
    own_commits: int = 0
    tags: int = 0


def _line_stats(graph: CommitGraph, chain: Sequence[int], lines: _Lines, tagged: set[int],
               texts: Texts) -> _LineStats:
    stats = _LineStats()
    trunk_line = lines.line_of
    for commit in chain:
        parents = graph.parents[commit]
        if len(parents) > 1:
            if all(trunk_line[p] == 0 for p in parents[1:]):
                stats.merges_from_trunk += 1
            elif _syncs_a_line(graph, commit, lines, texts):
                stats.merges_from_lines += 1
            else:
                stats.merges_from_branches += 1
        else:
            stats.own_commits += 1
        if commit in tagged:
            stats.tags += 1
    return stats


def _syncs_a_line(graph: CommitGraph, merge: int, lines: _Lines, texts: Texts) -> bool:
    """A merge that brings in a long-lived line already found ("Merge branch 'feature' into
    feature-ip-prefix-link"): a branch catching up, as with the trunk, not work it received."""
    if all(lines.line_of[p] > 0 for p in graph.parents[merge][1:]):
        return True
    info = texts.merge(graph, merge)
    return info is not None and bool(info.source) and not info.is_tag and info.source in lines.names


class Texts:
    """What the reconstruction reads from commit messages. A merge message is parsed once however
    many steps ask. With `shared`, every answer is kept, keyed by sha, for the next reconstruction
    of the same repository (backfill's dates, each over a truncated graph with its own indices):
    each message is then parsed once for all of them. Unshared (one reconstruction), the answers
    asked once per commit are not kept: they would only take memory (9 MB at 200k commits)."""

    def __init__(self, shared: bool = False) -> None:
        self.shared = shared
        self._merge: dict[str, merges.MergeInfo | None] = {}
        self._request: dict[str, merges.MergeInfo | None] = {}
        self._cited: dict[str, int | None] = {}
        self._may_name: dict[str, bool] = {}
        self._trailers: dict[str, merges.Trailers] = {}
        # sha -> the branch a line merge's message names ("": none, or a tag), as a resumed reconstruction
        # brings them from the last one: the ghost-line search asks it of every line merge.
        self.sources: dict[str, str] = {}

    def merge(self, graph: CommitGraph, commit: int) -> merges.MergeInfo | None:
        """`merges.parse_merge_message` of a merge commit."""
        sha = graph.shas[commit]
        if sha not in self._merge:
            self._merge[sha] = merges.parse_merge_message(graph.subject[commit], graph.trailers.get(commit, ()))
        return self._merge[sha]

    def merge_source(self, graph: CommitGraph, commit: int) -> str:
        """The branch a merge's message names, "" when none (or a tag)."""
        sha = graph.shas[commit]
        known = self.sources.get(sha)
        if known is None:
            info = self.merge(graph, commit)
            known = self.sources[sha] = info.source if info is not None and info.source and not info.is_tag else ""
        return known

    def request(self, graph: CommitGraph, commit: int) -> merges.MergeInfo | None:
        """`merges.parse_pr_reference` of a single-parent commit."""
        if not self.shared:
            return merges.parse_pr_reference(graph.subject[commit], graph.trailers.get(commit, ()))
        sha = graph.shas[commit]
        if sha not in self._request:
            self._request[sha] = merges.parse_pr_reference(graph.subject[commit], graph.trailers.get(commit, ()))
        return self._request[sha]

    def cited(self, graph: CommitGraph, commit: int) -> int | None:
        """`merges.cited_pull_request` of a single-parent commit."""
        if not self.shared:
            return merges.cited_pull_request(graph.subject[commit], graph.trailers.get(commit, ()))
        sha = graph.shas[commit]
        if sha not in self._cited:
            self._cited[sha] = merges.cited_pull_request(graph.subject[commit], graph.trailers.get(commit, ()))
        return self._cited[sha]

    def may_name_a_request(self, graph: CommitGraph, commit: int) -> bool:
        """Most direct commits have no request number anywhere, so they are never parsed."""
        if not self.shared:
            return commit in graph.trailers or bool(_MAY_NAME_A_REQUEST(graph.subject[commit]))
        sha = graph.shas[commit]
        known = self._may_name.get(sha)
        if known is None:
            known = self._may_name[sha] = commit in graph.trailers or bool(_MAY_NAME_A_REQUEST(graph.subject[commit]))
        return known

    def trailers(self, graph: CommitGraph, commit: int) -> merges.Trailers:
        """`merges.parse_trailers` of a commit's kept body lines."""
        if not self.shared:
            return merges.parse_trailers(graph.trailers.get(commit, ()))
        sha = graph.shas[commit]
        if sha not in self._trailers:
            self._trailers[sha] = merges.parse_trailers(graph.trailers.get(commit, ()))
        return self._trailers[sha]


def _ghost_lines(graph: CommitGraph, lines: _Lines, live_names: set[str], texts: Texts,
                 tagged: set[int]) -> list[_LineCandidate]:
    """Deleted long-lived branches: a name merged into a line again and again
    whose successive merged tips lie on one first-parent chain; and the line that release tags merged into
    a line were made on (`_tagged_ghost`): this repository's own version tags (`tagged`: their commits), not
    tags pulled from another repository ("Merge tag 'for-linus' of git://...")."""
    tips_by_name: dict[str, list[int]] = defaultdict(list)
    tag_tips: list[int] = []
    tags_into: set[str] = set()  # the lines those tags were merged into
    for line_id, chain in enumerate(lines.chains):
        for commit in chain:
            parents = graph.parents[commit]
            if len(parents) != 2 or lines.line_of[parents[1]] != _NONE:
                continue
            source = texts.merge_source(graph, commit)
            if not source:
                info = texts.merge(graph, commit)
                if info is not None and info.is_tag and info.remote is None and parents[1] in tagged:
                    tag_tips.append(parents[1])
                    tags_into.add(lines.names[line_id])
                continue
            if source in live_names or source in lines.names:
                continue
            tips_by_name[source].append(parents[1])
    ghosts = []
    for name, tips in sorted(tips_by_name.items()):
        found = _chain_of_tips(graph, lines, tips)
        if found is not None:
            ghosts.append(_LineCandidate(name=name, tip=found[0], live=False, priority=2))
    from_tags = _tagged_ghost(graph, lines, tag_tips, sorted(tags_into), texts, {g.name for g in ghosts}, live_names)
    return ghosts + ([from_tags] if from_tags is not None else [])


def _chain_of_tips(graph: CommitGraph, lines: _Lines, tips: list[int]) -> tuple[int, list[int]] | None:
    """The newest of `tips` and its first-parent chain down to the lines, when at least 3 of them lie on
    it: merged again and again from one line that no ref holds. None otherwise."""
    if len(tips) < 3:
        return None
    latest = max(tips, key=lambda c: graph.commit_time[c])
    chain = first_parent_chain(graph, latest, lines.line_of)
    on_chain = set(chain)
    return (latest, chain) if sum(1 for tip in tips if tip in on_chain) >= 3 else None


def _tagged_ghost(graph: CommitGraph, lines: _Lines, tips: list[int], into: list[str], texts: Texts,
                  taken: set[str], live_names: set[str]) -> _LineCandidate | None:
    """The line whose tags were merged into the lines `into` ("Merge tag '1.11.0' into develop", git-flow's
    release finish) when no ref holds it any more: its merged tips lie on one first-parent chain that no line
    claims. Gitflow's master, fast-forwarded onto develop since (gitflow-avh did at 1.12.0) or deleted.
    Named as history names it (`_chain_name`); a chain history gives no name is left alone."""
    found = _chain_of_tips(graph, lines, tips)
    if found is None:
        return None
    latest, chain = found
    name = _chain_name(graph, chain, texts, {n for n in live_names if n not in lines.names})
    if name is None or name in lines.names or name in taken:
        return None
    since = (f"the branch {name} has moved off this chain since" if name in live_names
             else "the branch no longer exists")
    return _LineCandidate(name=name, tip=latest, live=False, priority=2,
                          rebuilt=f"rebuilt from the tags merged into {', '.join(into)}: {since}")


def _chain_name(graph: CommitGraph, chain: Sequence[int], texts: Texts, free: set[str]) -> str | None:
    """The branch the merges on a first-parent chain say they were made on: the target their messages
    name ("Merge branch 'hotfix/1.2' into master"), or, when they name none, git's own default: a
    message without "into" is git's merge into master (`git merge` leaves the target out for it; git
    configured so may leave out main instead): master, or main when only a branch `main` that is no line
    (`free`) is there to have been it."""
    named: Counter[str] = Counter()
    unnamed = 0
    for commit in chain:
        if len(graph.parents[commit]) < 2:
            continue
        info = texts.merge(graph, commit)
        if info is None or info.is_tag or info.host is not merges.Host.GIT:
            continue
        if info.target:
            named[info.target] += 1
        else:
            unnamed += 1
    if named:
        return named.most_common(1)[0][0]
    if unnamed < 3:
        return None
    return "main" if "main" in free and "master" not in free else "master"


def find_lines(graph: CommitGraph, trunk: Ref, branches: dict[str, Ref], options: HistoryOptions,
               texts: Texts, fed: FastForwarded | None = None) -> tuple[_Lines, list[LongLivedBranch]]:
    n = len(graph)
    lines = _Lines(line_of=[_NONE] * n, pos=[_NONE] * n)
    trunk_chain = first_parent_chain(graph, trunk.target, lines.line_of)
    trunk_chain.reverse()
    _claim(lines, trunk.short, trunk_chain, True)
    # Only version tags make a line a release line; other tags (nightly, latest) do not.
    tagged = {ref.target for ref in release_tags(graph)}
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
    merged_by = _merged_by(graph)
    live_tips: dict[int, set[str]] = defaultdict(set)
    for candidate in candidates:
        live_tips[candidate.tip].add(candidate.name)
    for round_candidates in (candidates, None):
        if round_candidates is None:
            round_candidates = _ghost_lines(graph, lines, set(branches), texts, tagged)
        for candidate in round_candidates:
            chain = first_parent_chain(graph, candidate.tip, lines.line_of)
            if candidate.priority != 0:
                chain = _own_part(graph, candidate.name, chain, merged_by, live_tips, texts)
            if not chain:
                continue
            chain.reverse()
            stats = _line_stats(graph, chain, lines, tagged, texts)
            record: LongLivedBranch | None
            if fed is not None and candidate.live and candidate.name == fed.line:
                record = _fast_forwarded_line(graph, candidate, chain, stats, trunk_merged, fed)
            else:
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


def _merged_by(graph: CommitGraph) -> dict[int, int]:
    """commit -> a two-parent merge that took it as its merged parent (the first one met)."""
    parents = graph.parents
    merges = list(itertools.compress(range(len(parents)), map(operator.eq, map(len, parents), itertools.repeat(2))))
    merged_parents = map(operator.itemgetter(1), map(parents.__getitem__, reversed(merges)))
    # Built newest first, so the first merge met is the one that stays; every step runs in C.
    return dict(zip(merged_parents, reversed(merges)))


def _own_part(graph: CommitGraph, name: str, chain: list[int], merged_by: dict[int, int],
              live_tips: dict[int, set[str]], texts: Texts) -> list[int]:
    """The newest part of a first-parent chain (tip first) that history does not name as another branch's.

    A work branch cut from a long-lived line shares that line's first-parent chain down to the fork:
    netbox's 23010-async-custom-field-bulk-changes is `feature` plus one commit, and claiming
    first (it is newer) it took feature's history, its merges and its beta tag. A commit belongs
    to another branch when a merge on the chain says it was merged into that branch ("Merge
    branch 'main' into feature") or a merge elsewhere took it as that branch ("Merge pull request
    #21079 from netbox-community/feature", git's "Merge branch 'maint'"); the chain stops there,
    or at that branch's own tip when it lies higher on the chain. Names only ever shorten a chain.
    """
    seen_tips: dict[str, int] = {}
    for position, commit in enumerate(chain):
        for other in live_tips.get(commit, ()):
            if other != name:
                seen_tips.setdefault(other, position)
        owner = None
        if len(graph.parents[commit]) > 1:
            info = texts.merge(graph, commit)
            if info is not None and info.target and info.target != name:
                owner = info.target
        merge = merged_by.get(commit)
        if owner is None and merge is not None:
            info = texts.merge(graph, merge)
            if info is not None and info.source and not info.is_tag and info.source != name:
                owner = info.source
        if owner is not None:
            return chain[:seen_tips.get(owner, position)]
    return chain


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


def _fast_forwarded_line(graph: CommitGraph, candidate: _LineCandidate, chain: list[int], stats: _LineStats,
                         trunk_merged: dict[int, int], fed: FastForwarded) -> LongLivedBranch:
    """The default branch that only fast-forwards to the trunk, when it has commits of its own
    (hotfixes merged back): a release line, however short its own chain."""
    first, last = chain[0], chain[-1]
    return LongLivedBranch(
        name=candidate.name, live=True, tip=graph.shas[candidate.tip],
        first_commit_at=aware(graph.commit_time[first], graph.commit_offset[first]),
        last_commit_at=aware(graph.commit_time[last], graph.commit_offset[last]),
        mainline_commits=len(chain),
        merges_received=stats.merges_from_branches + stats.merges_from_trunk + stats.merges_from_lines,
        merged_into_trunk=sum(trunk_merged.get(commit, 0) for commit in chain), tags=stats.tags,
        reasons=(f"moves by fast-forward to the trunk: last at {fed.met_at[:10]}, with "
                 f"{fed.own_commits} commit{'s' if fed.own_commits != 1 else ''} of its own since, all merged into "
                 "the trunk",),
    )


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
        reasons.append(candidate.rebuilt)
    return LongLivedBranch(
        name=candidate.name, live=candidate.live, tip=graph.shas[candidate.tip],
        first_commit_at=aware(graph.commit_time[first], graph.commit_offset[first]),
        last_commit_at=aware(graph.commit_time[last], graph.commit_offset[last]),
        mainline_commits=len(chain),
        merges_received=stats.merges_from_branches + stats.merges_from_trunk + stats.merges_from_lines,
        merged_into_trunk=into_trunk, tags=stats.tags, reasons=tuple(reasons),
    )




def tag_series(tag: str) -> str | None:
    """The product a version tag names, from the letters before its number: curl-8_4_0 -> "curl",
    tiny-curl-8_4_0 -> "tiny-curl", v2.45.0 and 2.45.0 -> "" (a bare v is no product). None: no version."""
    match = _VERSION.match(tag.rsplit("/", 1)[-1])
    if match is None:
        return None
    prefix = (match.group("prefix") or "").lower().rstrip("-_/")
    if prefix == "v" or prefix.endswith(("-v", "_v", "/v")):
        prefix = prefix[:-1]
    return prefix.rstrip("-_/")


def release_tags(graph: CommitGraph) -> list[Ref]:
    """The version tags of the repository's own releases: the series (tag_series) most tags follow, and
    any other series that was tagged before or after it rather than beside it (a renamed scheme:
    release-1.0 then v1.1). A smaller series tagged during the main one's span is another product
    released from the same history (wolfSSL's tiny-curl-8_4_0 beside curl-8_4_0, git-gui's
    gitgui-0.9.0 beside git's v1.6): its tags are not this repository's releases."""
    by_series: dict[str, list[Ref]] = defaultdict(list)
    for ref in graph.refs:
        if ref.kind is RefKind.TAG:
            series = tag_series(ref.short)
            if series is not None and parse_version(ref.short) is not None:
                by_series[series].append(ref)
    if len(by_series) < 2:
        return [ref for refs in by_series.values() for ref in refs]

    def when(ref: Ref) -> int:
        return ref.tag_time if ref.tag_time is not None else graph.commit_time[ref.target]

    main = max(by_series, key=lambda series: (len(by_series[series]), series == "", series))
    first, last = min(map(when, by_series[main])), max(map(when, by_series[main]))
    kept = list(by_series[main])
    for series, refs in by_series.items():
        if series != main and not any(first <= when(ref) <= last for ref in refs):
            kept.extend(refs)
    return kept


_VERSION_DIGITS = 18  # digits in one part of a version number, at most


@lru_cache(maxsize=65536)
def parse_version(tag: str) -> tuple[tuple[int, ...], bool] | None:
    """(version numbers, is pre-release) for tags such as v1.2.3, 1.2-rc1, release-2.0, V_1_2, go1.21rc2."""
    match = _VERSION.match(tag.rsplit("/", 1)[-1])
    if match is None:
        return None
    parts = re.split(r"[._]", match.group(2))
    if any(len(part) > _VERSION_DIGITS for part in parts):
        return None  # no version has such a number (and int() refuses one of over 4,300 digits)
    numbers = tuple(int(part) for part in parts)
    suffix = match.group(3) or ""
    return numbers, bool(suffix and _PRERELEASE.search(suffix))

