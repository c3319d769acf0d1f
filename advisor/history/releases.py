"""Step 4 of the reconstruction: cherry-picks, reverts, releases and live branches, read from the
labelled history (anomalies are counted by `history.resume.AnomalyCounts`, which a resumed
reconstruction extends)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from advisor import merges
from advisor.history.labelling import _Labeller
from advisor.history.lines import _NONE, _flood_until, parse_version, release_tags
from advisor.model import (
    CherryPick,
    CherryPickDirection,
    CommitGraph,
    LiveBranch,
    Ref,
    RefKind,
    Release,
    Revert,
    aware,
)


class _ShaIndex:
    """Full or abbreviated sha -> commit index (abbreviations resolved only when unique), for the
    shas `wanted` only: an index of every commit was one dict entry per commit (~70 MB at the
    reconstruction's peak on a 1M-commit history, where a few thousand are cited)."""

    def __init__(self, graph: CommitGraph, wanted: Iterable[str]) -> None:
        queries = {sha.lower() for sha in wanted}
        shas = graph.shas
        self._exact = {sha: i for i, sha in enumerate(shas) if sha in queries} if queries else {}
        # Each abbreviation -> its one commit, or None when two commits start with it.
        self._prefix: dict[str, int | None] = {}
        by_length: dict[int, set[str]] = defaultdict(set)
        for sha in queries:
            if sha not in self._exact and len(sha) >= 7:
                by_length[len(sha)].add(sha)
        for length, group in by_length.items():
            for i, sha in enumerate(shas):
                if sha[:length] in group:
                    start = sha[:length]
                    self._prefix[start] = i if start not in self._prefix else None

    def find(self, sha: str) -> int | None:
        sha = sha.lower()
        if sha in self._exact:
            return self._exact[sha]
        if len(sha) < 7:
            return None
        return self._prefix.get(sha)


def _cherry_picks_and_reverts(lab: _Labeller, start: int = 0) -> tuple[list[CherryPick], list[Revert]]:
    """Those the commits from `start` on make (resuming: the earlier ones' are known)."""
    graph, trunk = lab.graph, lab.lines.names[0]
    picks: list[CherryPick] = []
    reverts: list[Revert] = []
    read = [(commit, lab.texts.trailers(graph, commit)) for commit in sorted(c for c in graph.trailers if c >= start)]
    shas = _ShaIndex(graph, (sha for _, trailers in read for sha in (*trailers.cherry_picked_from, *trailers.reverts)))
    for commit, trailers in read:
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


def _version_tags(graph: CommitGraph) -> list[tuple[int, int, Ref, tuple[tuple[int, ...], bool]]]:
    """(time, offset, ref, version) of every tag that names a version, oldest first."""
    tags = []
    for ref in release_tags(graph):
        version = parse_version(ref.short)
        if version is None:
            continue
        epoch = ref.tag_time if ref.tag_time is not None else graph.commit_time[ref.target]
        offset = ref.tag_offset if ref.tag_offset is not None else graph.commit_offset[ref.target]
        tags.append((epoch, offset, ref, version))
    tags.sort(key=lambda t: (t[0], t[3][0], t[2].short))
    return tags


def _flood_unmarked(graph: CommitGraph, start: int, mark: list[int], value: int,
                    marked: list[int] | None = None) -> int:
    """Mark every commit reachable from `start` not yet marked; return how many. `marked`, when
    given, is told each commit marked (a resumed reconstruction keeps them)."""
    count = 0
    stack = [start]
    while stack:
        commit = stack.pop()
        if mark[commit] != _NONE:
            continue
        mark[commit] = value
        count += 1
        if marked is not None:
            marked.append(commit)
        stack.extend(p for p in graph.parents[commit] if mark[p] == _NONE)
    return count


@dataclass(frozen=True, slots=True)
class _Shipping:
    """What each version tag shipped first: computed from the graph alone, before labelling."""

    tags: list[tuple[int, int, Ref, tuple[tuple[int, ...], bool]]]
    new_commits: list[int]
    shipped: list[int]
    first_final: list[int]  # commit -> first final tag containing it
    any_tag: list[int]  # commit -> first version tag containing it


def _shipping(graph: CommitGraph) -> _Shipping:
    tags = _version_tags(graph)
    any_tag = [_NONE] * len(graph)
    first_final = [_NONE] * len(graph)
    new_commits, shipped = [], []
    for number, (_, _, ref, (_, prerelease)) in enumerate(tags):
        new_commits.append(_flood_unmarked(graph, ref.target, any_tag, number))
        shipped.append(0 if prerelease else _flood_unmarked(graph, ref.target, first_final, number))
    return _Shipping(tags=tags, new_commits=new_commits, shipped=shipped, first_final=first_final, any_tag=any_tag)


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



def _trunk_arrival(graph: CommitGraph, trunk_chain: Sequence[int]) -> list[int]:
    """For every commit a first-parent chain reaching the root contains (the trunk's, or any line's), the
    chain position at which it arrived."""
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
    # Version tags of every series: a branch whose tip another product's release tag marks (wolfSSL's
    # tiny-curl-8_4_0) was released, though the tag is not one of this repository's releases.
    versions: dict[int, list[str]] = defaultdict(list)
    for ref in graph.refs:
        if ref.kind is RefKind.TAG and parse_version(ref.short) is not None:
            versions[ref.target].append(ref.short)
    for name, ref in sorted(branches.items()):
        if name == trunk.short:
            continue
        tip = ref.target
        pr = lab.pull_number([tip])
        tip_tags = tuple(sorted(versions.get(tip, ())))
        if arrival[tip] != _NONE:
            live.append(LiveBranch(
                name=name, ref=ref.name, tip=graph.shas[tip], ahead=0, behind=last - arrival[tip],
                forked_at=None, last_commit_at=lab.time(tip), authors=(), merged=True, pr=pr,
                long_lived=name in lab.lines.names, on_trunk_line=lab.lines.line_of[tip] == 0, tip_tags=tip_tags,
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
            base=graph.shas[base] if base is not None else None, tip_tags=tip_tags,
        ))
    return live
