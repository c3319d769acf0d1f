"""Resuming a reconstruction: the history of a graph that only grew, from the state the last one left.

A cold reconstruction labels integrations in one order (commit time, line, position) and every claim
is final: a merge floods only commits nobody claimed. So when the new graph is the old one with
commits added (old indices kept), the same trunk and lines whose chains grew only by new commits,
every new integration after every old one, and the refs at the commits the old labelling read
unchanged, a cold run on the new graph makes the old claims again and then the new ones: only the
new ones are made here. The parts that depend on later events are brought up to date: the trunk's
arrival and the releases (extended), the episodes whose anchor reached the trunk or shipped since,
`deleted` of episodes named after a branch created since; cherry-picks, reverts, releases, live
branches, roles and the lines' records are computed again (cheap), anomalies counted for the new
commits only. Any precondition failing, `resume` says why and the caller reconstructs whole.

The state is stored with the cached history as JSON (no pickle: the cache folder may be shared);
per-commit columns are integer arrays, which the cache packs (`codec`), checked when resumed from. They stay
arrays in memory: a backfill hands each date's state to the next without any encoding.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from advisor.history.assemble import environment, finish
from advisor.history.labelling import (
    _Labeller,
    _label_integrations,
    _label_single_parent_commits,
    event_key,
    integration_events,
)
from advisor.history.lines import _NONE, DAY, HistoryOptions, Texts, _Lines, branch_refs, choose_trunk, find_lines
from advisor.history.releases import (
    _cherry_picks_and_reverts,
    _flood_unmarked,
    _shipping,
    _Shipping,
    _version_tags,
)
from advisor.model import (CLOCK_SKEW_SECONDS, SMALL, Anomalies, CherryPick, CommitGraph, History, LineMergeKind,
                           Numbers, Ref, Revert, aware, instant, picked_numbers, picker)

_EPOCH_FLOOR = 315_532_800  # 1980-01-01, as releases._anomalies counts
NUMBERS = "q"  # request numbers: up to 12 digits


@dataclass(frozen=True, slots=True, kw_only=True)
class AnomalyCounts:
    """The anomaly counts of a graph's first `commits` commits; the future-dated ones by their dates, since
    `now` moves: `latest` holds the dates after `future` (the `now` + a day they were counted at)."""

    commits: int
    committer_before_author: int
    commit_before_parent: int
    epoch_dated: int
    future: int
    latest: tuple[int, ...]

    @classmethod
    def of(cls, graph: CommitGraph, now: datetime, base: AnomalyCounts | None = None) -> AnomalyCounts:
        """Counted over the commits after `base`'s (all, without one)."""
        future = int(now.timestamp()) + DAY
        start = base.commits if base is not None else 0
        latest = [t for t in base.latest if t > future] if base is not None else []
        authored, committed, skew = graph.author_time[start:], graph.commit_time[start:], CLOCK_SKEW_SECONDS
        times = graph.commit_time
        # One pass per count over the columns (one loop with four tests per commit was ~0.5 s at 200k).
        before_author = sum(1 for a, c in zip(authored, committed) if c < a - skew)
        latest.extend(max(a, c) for a, c in zip(authored, committed) if a > future or c > future)
        epoch_dated = sum(1 for a, c in zip(authored, committed) if a < _EPOCH_FLOOR or c < _EPOCH_FLOOR)
        before_parent = 0
        for c, parents in zip(committed, graph.parents[start:]):
            for p in parents:
                if c < times[p] - skew:
                    before_parent += 1
                    break
        if base is not None:
            before_author += base.committer_before_author
            before_parent += base.commit_before_parent
            epoch_dated += base.epoch_dated
        return cls(commits=len(graph), committer_before_author=before_author, commit_before_parent=before_parent,
                   epoch_dated=epoch_dated, future=future, latest=tuple(latest))

    def anomalies(self, graph: CommitGraph) -> Anomalies:
        return Anomalies(committer_before_author=self.committer_before_author,
                         commit_before_parent=self.commit_before_parent, future_dated=len(self.latest),
                         epoch_dated=self.epoch_dated, missing_parents=graph.missing_parents)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume:
    """What resuming needs besides the History; its Numbers are int32 columns (`_column`), the request
    numbers int64 (`NUMBERS`)."""

    commits: int
    settled: int  # how many first commits come in the same order in every reading (the cached graph's)
    shas: str  # digest of the first `settled` shas
    tail: tuple[str, ...]  # the other shas, in the order numbered here (`align`)
    people: tuple[tuple[str, str], ...]
    options: str
    trunk: str  # full ref name
    names: tuple[str, ...]  # the lines, in claiming order
    chain_lengths: tuple[int, ...]
    chains: Numbers  # the lines' chains one after another
    episode_of: Numbers  # commit -> episode (creation order)
    order: Numbers  # the History's episodes in turn -> their creation index
    anchors: Numbers  # episode (creation order) -> the commit that integrated it
    line_merged: Numbers
    arrival: Numbers  # commit -> trunk position it arrived at
    any_tag: Numbers  # commit -> first version tag containing it
    first_final: Numbers  # commit -> first final release containing it
    tags: tuple[str, ...]  # version tags, in shipping order
    tag_targets: Numbers
    last_event: tuple[int, int, int] | None
    source_commits: Numbers  # line merges whose message the ghost-line search reads...
    sources: tuple[str, ...]  # ...and the branch each names ("": none)
    tip_commits: Numbers  # labelled commits a live branch rests on...
    tip_names: tuple[str, ...]  # ...and its name
    pull_commits: Numbers  # labelled commits a pull request's head rests on...
    pull_numbers: Numbers  # NUMBERS: a request number may pass 2**31 (`merges.request_number`)
    pull_hosts: tuple[str, ...]
    asked_numbers: Numbers  # (NUMBERS) PR numbers squash merges named...
    asked_heads: Numbers  # ...and the head each had (-1: none)
    branch_names: tuple[str, ...]
    anomalies: AnomalyCounts


def _column(values: Sequence[int], typecode: str = SMALL) -> Numbers:
    return array(typecode, values)


def _values(column: Numbers, n: int | None, low: int, high: int) -> list[int]:
    """A column's `n` values (any number: None), each in [low, high); ValueError otherwise."""
    if type(column) is not array or column.typecode not in "bhilq":
        raise ValueError("not an integer column")
    values = column.tolist()
    if n is not None and len(values) != n:
        raise ValueError("a column of another length")
    if values and (min(values) < low or max(values) >= high):
        raise ValueError("a column pointing outside")
    return values


def _digest(shas: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(shas).encode("ascii", "replace")).hexdigest()


def final_tags(shipping: _Shipping) -> list[tuple[str, datetime] | None]:
    return [None if prerelease else (ref.short, aware(epoch, offset))
            for epoch, offset, ref, (_, prerelease) in shipping.tags]


def _line_merge_sources(lab: _Labeller) -> tuple[list[int], list[str]]:
    """The line merges the ghost-line search reads the message of, and what it read (parsed already)."""
    graph, lines, texts = lab.graph, lab.lines, lab.texts
    commits, names = [], []
    for chain in lines.chains:
        for commit in chain:
            parents = graph.parents[commit]
            if len(parents) == 2 and graph.shas[commit] in texts.sources:
                commits.append(commit)
                names.append(texts.sources[graph.shas[commit]])
    return commits, names


def _claimed(lab: _Labeller, commit: int) -> bool:
    return lab.episode_of[commit] != _NONE or lab.lines.line_of[commit] != _NONE


def _tips_read(lab: _Labeller, n: int) -> tuple[list[tuple[int, str]], list[tuple[int, int, str]]]:
    """The branches and pull requests resting on the first `n` commits that the labelling could read."""
    tips = sorted((c, name) for c, names in lab.live_tips.items() if c < n and _claimed(lab, c) for name in names)
    pulls = sorted((c, pr, lab.pull_hosts[pr]) for c, prs in lab.pull_tips.items() if c < n and _claimed(lab, c)
                   for pr in prs)
    return tips, pulls


def state(lab: _Labeller, options: HistoryOptions, trunk: Ref, branches: dict[str, Ref], shipping: _Shipping,
          order: Sequence[int], last_event: tuple[int, int, int] | None, counts: AnomalyCounts,
          settled: int | None, previous: Resume | None = None) -> Resume:
    """The state a later reconstruction resumes from; `previous`, the one this one resumed from (its
    digest of the settled commits holds still when they are as many)."""
    graph, lines = lab.graph, lab.lines
    n = len(graph)
    settled = n if settled is None else max(0, min(settled, n))
    digest = previous.shas if previous is not None and previous.settled == settled else _digest(graph.shas[:settled])
    sources = _line_merge_sources(lab)
    tips, pulls = _tips_read(lab, n)
    asked = sorted(lab.asked.items())
    return Resume(
        commits=n, settled=settled, shas=digest, tail=tuple(graph.shas[settled:]),
        people=tuple(graph.people),
        options=repr(options), trunk=trunk.name, names=tuple(lines.names),
        chain_lengths=tuple(len(chain) for chain in lines.chains),
        chains=_column([c for chain in lines.chains for c in chain]), episode_of=_column(lab.episode_of),
        order=_column(order), anchors=_column(lab.anchors), line_merged=_column(sorted(lab.line_merged)),
        arrival=_column(lab.arrival), any_tag=_column(shipping.any_tag), first_final=_column(shipping.first_final),
        tags=tuple(t[2].name for t in shipping.tags), tag_targets=_column([t[2].target for t in shipping.tags]),
        last_event=last_event, source_commits=_column(sources[0]), sources=tuple(sources[1]),
        tip_commits=_column([c for c, _ in tips]), tip_names=tuple(name for _, name in tips),
        pull_commits=_column([c for c, _, _ in pulls]), pull_numbers=_column([pr for _, pr, _ in pulls], NUMBERS),
        pull_hosts=tuple(host for _, _, host in pulls),
        asked_numbers=_column([pr for pr, _ in asked], NUMBERS), asked_heads=_column([head for _, head in asked]),
        branch_names=tuple(sorted(branches)), anomalies=counts,
    )


@dataclass(slots=True)
class _Old:
    """A Resume's columns, unpacked and checked against the graph and History they belong to."""

    chains: list[list[int]]
    episode_of: list[int]
    order: list[int]
    anchors: list[int]
    line_merged: list[int]
    arrival: list[int]
    any_tag: list[int]
    first_final: list[int]
    tag_targets: list[int]
    source_commits: list[int]
    tip_commits: list[int]
    pull_commits: list[int]
    pull_numbers: list[int]
    asked_numbers: list[int]
    asked_heads: list[int]

    @classmethod
    def of(cls, saved: Resume, history: History) -> _Old:
        n, episodes, tags = saved.commits, len(history.episodes), len(saved.tags)
        flat = _values(saved.chains, sum(saved.chain_lengths), 0, n)
        chains, at = [], 0
        for length in saved.chain_lengths:
            if length <= 0:
                raise ValueError("an empty line")
            chains.append(flat[at:at + length])
            at += length
        big = 2 ** 63
        old = cls(
            chains=chains, episode_of=_values(saved.episode_of, n, _NONE, episodes),
            order=_values(saved.order, episodes, 0, episodes), anchors=_values(saved.anchors, episodes, 0, n),
            line_merged=_values(saved.line_merged, None, 0, n),
            arrival=_values(saved.arrival, n, _NONE, saved.chain_lengths[0] if chains else 0),
            any_tag=_values(saved.any_tag, n, _NONE, tags), first_final=_values(saved.first_final, n, _NONE, tags),
            tag_targets=_values(saved.tag_targets, tags, 0, n),
            source_commits=_values(saved.source_commits, len(saved.sources), 0, n),
            tip_commits=_values(saved.tip_commits, len(saved.tip_names), 0, n),
            pull_commits=_values(saved.pull_commits, len(saved.pull_hosts), 0, n),
            pull_numbers=_values(saved.pull_numbers, len(saved.pull_hosts), -big, big),
            asked_numbers=_values(saved.asked_numbers, None, -big, big),
            asked_heads=_values(saved.asked_heads, None, _NONE, n),
        )
        if (len(set(old.order)) != episodes or len(old.asked_numbers) != len(old.asked_heads)
                or len(saved.names) != len(chains) or not chains or len(history.releases) != tags):
            raise ValueError("an inconsistent state")
        return old


def _extend_arrival(graph: CommitGraph, chain: Sequence[int], start: int, arrival: list[int]) -> list[int]:
    """`releases._trunk_arrival` from chain position `start` on, over an arrival filled up to there;
    the commits that arrived."""
    arrived = []
    parents = graph.parents
    for position in range(start, len(chain)):
        commit = chain[position]
        arrival[commit] = position
        arrived.append(commit)
        stack = [p for p in parents[commit][1:] if arrival[p] == _NONE]
        while stack:
            current = stack.pop()
            if arrival[current] != _NONE:
                continue
            arrival[current] = position
            arrived.append(current)
            stack.extend(p for p in parents[current] if arrival[p] == _NONE)
    return arrived


def _shipping_extended(graph: CommitGraph, saved: Resume, old: _Old, history: History) -> tuple[_Shipping, list[int] | None]:
    """The releases' floods: extended when the old version tags come first, in the same order; else all
    again. With the old commits whose first final release may differ (None: any may)."""
    n = saved.commits
    tags = _version_tags(graph)
    kept = len(saved.tags)
    if [(t[2].name, t[2].target) for t in tags[:kept]] != list(zip(saved.tags, old.tag_targets)):
        return _shipping(graph), None
    grown = len(graph) - n
    any_tag, first_final = old.any_tag + [_NONE] * grown, old.first_final + [_NONE] * grown
    new_commits = [r.new_commits for r in history.releases]
    shipped = [r.shipped for r in history.releases]
    changed: list[int] = []
    for number in range(kept, len(tags)):
        _, _, ref, (_, prerelease) = tags[number]
        new_commits.append(_flood_unmarked(graph, ref.target, any_tag, number))
        shipped.append(0 if prerelease else _flood_unmarked(graph, ref.target, first_final, number, changed))
    return (_Shipping(tags=tags, new_commits=new_commits, shipped=shipped, first_final=first_final, any_tag=any_tag),
            [c for c in changed if c < n])


def resume(graph: CommitGraph, options: HistoryOptions, now: datetime, texts: Texts, history: History,
           saved: Resume, settled: int | None = None) -> tuple[History, Resume] | str | None:
    """The reconstruction of `graph`, resumed from the last one (`history`, `saved`); None when that one
    was not of an earlier state of this graph (another reading, other options: nothing to say), a
    sentence when resuming would not give what a cold reconstruction gives."""
    n = saved.commits
    if saved.options != repr(options):
        return None
    aligned = align(graph, saved)
    if aligned is None:
        return None
    if aligned is not graph and settled is not None:
        settled = min(settled, saved.settled)  # the cache's order holds only that far now
    graph = aligned
    try:
        old = _Old.of(saved, history)
    except ValueError:
        return None  # damaged or planted: a miss
    branches = branch_refs(graph)
    trunk_ref, rule, fed = choose_trunk(graph, branches, options.trunk, options)
    if trunk_ref.name != saved.trunk:
        return f"the trunk is {trunk_ref.short} now"
    gone = set(saved.branch_names) - set(branches)
    if gone and any(e.source in gone for e in history.episodes):
        # Whether such an episode reads as deleted now depends on refs the last scan did not keep.
        return f"branch {min(gone)} was deleted"
    texts.sources.update((graph.shas[c], name) for c, name in zip(old.source_commits, saved.sources))
    lines, long_lived = find_lines(graph, trunk_ref, branches, options, texts, fed)
    why = _same_lines(lines, saved, old, n)
    if why:
        return why
    starts = [len(chain) for chain in old.chains]
    env = environment(graph, branches, lines, options)
    arrival = old.arrival + [_NONE] * (len(graph) - n)
    arrived = [c for c in _extend_arrival(graph, lines.chains[0], starts[0], arrival) if c < n]
    shipping, shipped = _shipping_extended(graph, saved, old, history)
    episodes = list(history.episodes)
    for position, index in enumerate(old.order):
        episodes[index] = history.episodes[position]
    lab = _Labeller(graph=graph, lines=lines, options=options, live_tips=env.live_tips,
                    pull_tips=env.pull_tips, pull_heads=env.pull_heads, pull_hosts=env.pull_hosts,
                    branch_names=frozenset(branches), bot_people=env.bot_people, forge_people=env.forge_people,
                    arrival=arrival, first_final=shipping.first_final, final_tags=final_tags(shipping),
                    texts=texts, episode_of=old.episode_of + [_NONE] * (len(graph) - n), episodes=episodes,
                    anchors=list(old.anchors),
                    line_merges=[replace(m, kind=LineMergeKind.SYNC) for m in history.line_merges],
                    line_merged=set(old.line_merged), asked=dict(zip(old.asked_numbers, old.asked_heads)))
    tips, pulls = _tips_read(lab, n)
    if tips != list(zip(old.tip_commits, saved.tip_names)):
        return "a branch moved off a commit the last scan labelled"
    if pulls != list(zip(old.pull_commits, old.pull_numbers, saved.pull_hosts)):
        return "a pull request's ref moved off a commit the last scan labelled"
    if any(env.pull_heads.get(pr, _NONE) != head for pr, head in lab.asked.items()):
        return "a pull request a squash merge names has another head now"
    events = integration_events(lab, starts)
    if events and saved.last_event is not None and event_key(lab, events[0]) <= tuple(saved.last_event):
        return "new merges are dated before merges the last scan labelled"
    _label_integrations(lab, events)
    if any(p < n and p in env.pull_tips for p in lab.line_merged.difference(old.line_merged)):
        return "a line merge takes a commit a pull request rests on, which the last scan labelled"
    why = _label_single_parent_commits(lab, starts)
    if why:
        return why
    _bring_up_to_date(lab, len(history.episodes), set(branches) - set(saved.branch_names),
                      None if shipped is None else {*arrived, *shipped})
    picks, reverts = _picks_and_reverts(lab, history, old, n)
    total = len(lab.episodes)
    order = list(old.order)
    fresh = sorted(range(len(history.episodes), total), key=lambda i: (instant(lab.episodes[i].merged_at), lab.episodes[i].id))
    if order and fresh and (lab.episodes[order[-1]].merged_at, lab.episodes[order[-1]].id) > (
            lab.episodes[fresh[0]].merged_at, lab.episodes[fresh[0]].id):
        order = sorted(range(total), key=lambda i: (instant(lab.episodes[i].merged_at), lab.episodes[i].id))
    else:
        order.extend(fresh)
    base = saved.anomalies
    counts = AnomalyCounts.of(graph, now, base if int(now.timestamp()) + DAY >= base.future else None)
    last = event_key(lab, events[-1]) if events else saved.last_event
    reconstructed = finish(lab, trunk_ref, rule, branches, long_lived, shipping, picks, reverts,
                           [lab.episodes[i] for i in order], counts.anomalies(graph), fed)
    return reconstructed, state(lab, options, trunk_ref, branches, shipping, order, last, counts, settled, saved)


def align(graph: CommitGraph, saved: Resume) -> CommitGraph | None:
    """`graph` numbered as the saved state numbers its commits and people, when it holds them all and its
    first `saved.settled` commits are those (else None). A graph extended from the cache appends the
    commits made since in git log's order, newest first: the last scan's new commits come after this
    week's, so they are put back in front (any numbering gives the same History)."""
    n, settled = saved.commits, saved.settled
    if len(graph) < n or not 0 <= settled <= n or len(saved.tail) != n - settled:
        return None
    if _digest(graph.shas[:settled]) != saved.shas:
        return None
    old_people = list(saved.people)
    if graph.shas[settled:n] == list(saved.tail) and graph.people[:len(old_people)] == old_people:
        return graph
    position = {sha: i for i, sha in enumerate(graph.shas[settled:], start=settled)}
    front = [position.get(sha) for sha in saved.tail]
    person = {who: i for i, who in enumerate(graph.people)}
    people_front = [person.get(who) for who in old_people]
    if None in front or None in people_front or len(set(people_front)) != len(people_front):
        return None
    taken = set(front)
    order = list(range(settled)) + [i for i in front if i is not None] + [
        i for i in range(settled, len(graph)) if i not in taken]
    remap = [0] * len(graph)
    for new_index, old_index in enumerate(order):
        remap[old_index] = new_index
    kept = set(people_front)
    people_order = [i for i in people_front if i is not None] + [i for i in range(len(graph.people)) if i not in kept]
    person_map = [0] * len(graph.people)
    for new_index, old_index in enumerate(people_order):
        person_map[old_index] = new_index
    at, pick = remap.__getitem__, picker(order)
    return replace(
        graph,
        shas=list(pick(graph.shas)), parents=[tuple(map(at, ps)) for ps in pick(graph.parents)],
        author_time=picked_numbers(graph.author_time, pick), author_offset=picked_numbers(graph.author_offset, pick),
        commit_time=picked_numbers(graph.commit_time, pick), commit_offset=picked_numbers(graph.commit_offset, pick),
        author=picked_numbers(array(SMALL, map(person_map.__getitem__, graph.author)), pick),
        committer=picked_numbers(array(SMALL, map(person_map.__getitem__, graph.committer)), pick),
        people=[graph.people[i] for i in people_order], subject=list(pick(graph.subject)),
        trailers={remap[c]: lines for c, lines in graph.trailers.items()},
        # Built field by field: dataclasses.replace costs 12 us a ref, and curl has 11k refs.
        refs=tuple(Ref(name=r.name, kind=r.kind, short=r.short, target=remap[r.target], remote=r.remote,
                       tag_time=r.tag_time, tag_offset=r.tag_offset, pr=r.pr) for r in graph.refs),
        head_target=remap[graph.head_target] if graph.head_target is not None else None,
    )


def _picks_and_reverts(lab: _Labeller, history: History, old: _Old, n: int) -> tuple[list[CherryPick], list[Revert]]:
    """The old cherry-picks and reverts and those of the new commits, when no old one can read otherwise: no
    old commit was claimed since (each keeps its line) and no new commit's sha starts as a cited one does
    (7 characters: the shortest abbreviation read), which could resolve a citation or make it ambiguous."""
    graph = lab.graph
    cited = {p.picked_from[:7].lower() for p in history.cherry_picks} | {
        r.reverted[:7].lower() for r in history.reverts}
    if lab.episode_of[:n] != old.episode_of or any(sha[:7] in cited for sha in graph.shas[n:]):
        return _cherry_picks_and_reverts(lab)
    picks, reverts = _cherry_picks_and_reverts(lab, start=n)
    return [*history.cherry_picks, *picks], [*history.reverts, *reverts]


def _same_lines(lines: _Lines, saved: Resume, old: _Old, n: int) -> str | None:
    """Why the lines are not the old ones grown by new commits only (None: they are)."""
    if lines.names != list(saved.names):
        new = sorted(set(lines.names) - set(saved.names))
        gone = sorted(set(saved.names) - set(lines.names))
        return (f"{new[0]} is a long-lived line now" if new else f"{gone[0]} is no longer a long-lived line" if gone
                else "the long-lived lines claim their commits in another order")
    for name, chain, before in zip(lines.names, lines.chains, old.chains):
        if chain[:len(before)] != before or any(c < n for c in chain[len(before):]):
            return f"the first-parent history of {name} changed"
    return None


def _bring_up_to_date(lab: _Labeller, old_episodes: int, created: set[str], reached: set[int] | None) -> None:
    """The old episodes' parts that later events change: `deleted` when a branch of their name was created,
    and when they reached the trunk and shipped (for the anchors in `reached`; None: all)."""
    episodes = lab.episodes
    if created:
        for index in range(old_episodes):
            episode = episodes[index]
            if episode.deleted and episode.source in created:
                episodes[index] = replace(episode, deleted=False)
    if reached is None or reached:
        for index in range(old_episodes):
            anchor = lab.anchors[index]
            if reached is None or anchor in reached:
                episodes[index] = replace(episodes[index], **lab.flow(anchor))
