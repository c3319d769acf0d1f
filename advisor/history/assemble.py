"""What a reconstruction, cold or resumed, builds around the labelling: the refs' environment
before it, and the History after it."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from advisor import merges, roles
from advisor.history.labelling import FORGE_COMMITTER, _Labeller
from advisor.history.lines import _NONE, HistoryOptions, _Lines
from advisor.history.releases import _live_branches, _releases, _Shipping
from advisor.model import (Anomalies, CherryPick, CommitGraph, Episode, FastForwarded, History, LongLivedBranch, Ref, RefKind, Revert,
                           Trunk, TrunkRule, instant)


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """What the labelling reads from the refs and the people, besides the graph."""

    live_tips: dict[int, list[str]]  # commit -> live branch names pointing at it (lines' names left out)
    pull_tips: dict[int, list[int]]
    pull_heads: dict[int, int]
    pull_hosts: dict[int, str]
    bot_people: list[bool]
    forge_people: list[bool]


def environment(graph: CommitGraph, branches: dict[str, Ref], lines: _Lines, options: HistoryOptions) -> Environment:
    bots = re.compile("|".join(options.bot_patterns) or r"(?!)", re.IGNORECASE)
    live_tips: dict[int, list[str]] = defaultdict(list)
    for name, ref in branches.items():
        if name not in lines.names:
            live_tips[ref.target].append(name)
    pull_tips: dict[int, list[int]] = defaultdict(list)
    pull_heads: dict[int, int] = {}
    pull_hosts: dict[int, str] = {}
    pull = RefKind.PULL
    gitlab, github = merges.Host.GITLAB.value, merges.Host.GITHUB.value  # an enum's value is a Python property
    for ref in graph.refs:
        if ref.kind is pull and ref.pr is not None:
            pull_tips[ref.target].append(ref.pr)
            pull_heads[ref.pr] = ref.target
            pull_hosts[ref.pr] = gitlab if ref.name.startswith("refs/merge-requests/") else github
    return Environment(
        live_tips=dict(live_tips), pull_tips=dict(pull_tips), pull_heads=pull_heads, pull_hosts=pull_hosts,
        bot_people=[bool(bots.search(name) or bots.search(email)) for name, email in graph.people],
        forge_people=[bool(FORGE_COMMITTER.search(name) or FORGE_COMMITTER.search(email))
                      for name, email in graph.people])


def finals_cut_on(names: list[str], chains: list[list[int]], shipping: _Shipping) -> dict[str, int]:
    """Line name -> final version tags on its own chain. Tagged commits a chain starts with and never
    follows with another release are the release it was forked from (git's topic branches forked
    from maint at v2.26.2), not releases cut on it; a chain made only of releases keeps them."""
    finals: dict[int, int] = defaultdict(int)
    for _, _, ref, (_, prerelease) in shipping.tags:
        if not prerelease:
            finals[ref.target] += 1
    cut: dict[str, int] = {}
    for name, chain in zip(names, chains):
        base = 0
        while base < len(chain) and chain[base] in finals:
            base += 1
        later = sum(finals.get(commit, 0) for commit in chain[base:])
        cut[name] = 0 if base < len(chain) and not later else later + sum(finals[c] for c in chain[:base])
    return cut


def finish(lab: _Labeller, trunk_ref: Ref, rule: TrunkRule, branches: dict[str, Ref], long_lived: list[LongLivedBranch],
           shipping: _Shipping, picks: list[CherryPick], reverts: list[Revert], episodes: list[Episode],
           anomalies: Anomalies, fed: FastForwarded | None = None) -> History:
    """The History from a finished labelling; `episodes` sorted by (merged_at, id)."""
    graph, lines, arrival = lab.graph, lab.lines, lab.arrival
    releases = _releases(lab, shipping)
    tags_on: dict[str | None, int] = defaultdict(int)
    for release in releases:
        tags_on[release.line] += 1
    cut_on = finals_cut_on(lines.names, lines.chains, shipping)
    long_lived = [replace(line, tags=tags_on.get(line.name, 0), final_tags=cut_on.get(line.name, 0))
                  for line in long_lived]
    tagged_lines = {line.name for line in long_lived if line.tags}
    line_roles = roles.line_roles(trunk_ref.short, long_lived, episodes, lab.line_merges, picks,
                                  fed.line if fed is not None else None)
    first_final = shipping.first_final
    history = History(
        trunk=Trunk(name=trunk_ref.short, ref=trunk_ref.name, rule=rule, tip=graph.shas[trunk_ref.target],
                    fast_forwarded=fed),
        long_lived=tuple(long_lived),
        episodes=tuple(episodes),
        line_merges=tuple(sorted(roles.name_merges(trunk_ref.short, lab.line_merges, line_roles, tagged_lines),
                                 key=lambda m: (m.merged_at, m.commit))),
        cherry_picks=tuple(sorted(picks, key=lambda p: (instant(p.at), p.commit))),
        reverts=tuple(sorted(reverts, key=lambda r: (instant(r.at), r.commit))),
        releases=tuple(releases),
        live_branches=tuple(_live_branches(lab, branches, trunk_ref, arrival)),
        anomalies=anomalies,
        commit_count=len(graph),
        trunk_commits=len(lines.chains[0]),
        unreleased_trunk_commits=sum(1 for c in range(len(graph)) if arrival[c] != _NONE
                                     and first_final[c] == _NONE) if releases else None,
    )
    roles.remember(history, line_roles)
    return history
