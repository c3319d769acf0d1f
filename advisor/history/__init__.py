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

Steps 1-2 are in `history.lines`, step 3 in `history.labelling`, step 4 in
`history.releases`; this module runs them in order (`reconstruct`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from advisor import merges, roles
from advisor.history.labelling import (
    FORGE_COMMITTER,
    _Labeller,
    _label_integrations,
    _label_single_parent_commits,
)
from advisor.history.lines import (
    CONVENTIONAL_TRUNKS,
    DEFAULT_BOT_PATTERNS,
    _NONE,
    HistoryOptions,
    Texts,
    branch_refs,
    choose_trunk,
    find_lines,
    first_parent_chain,
    parse_version,
)
from advisor.history.releases import (
    _anomalies,
    _cherry_picks_and_reverts,
    _live_branches,
    _releases,
    _shipping,
    _ShaIndex,
    _trunk_arrival,
)
from advisor.model import CommitGraph, History, RefKind, Trunk, aware

__all__ = ["CONVENTIONAL_TRUNKS", "DEFAULT_BOT_PATTERNS", "HistoryOptions", "Texts", "branch_refs", "choose_trunk",
           "find_lines", "first_parent_chain", "parse_version", "reconstruct", "_trunk_arrival"]

# ---------------------------------------------------------------------------


def reconstruct(graph: CommitGraph, options: HistoryOptions, now: datetime, texts: Texts | None = None) -> History:
    """The whole branching history of `graph`; `now` only dates anomalies. `texts` may carry the
    messages already parsed by an earlier reconstruction of the same repository."""
    branches = branch_refs(graph)
    trunk_ref, rule = choose_trunk(graph, branches, options.trunk)
    bots = re.compile("|".join(options.bot_patterns) or r"(?!)", re.IGNORECASE)
    texts = texts if texts is not None else Texts()
    lines, long_lived = find_lines(graph, trunk_ref, branches, options, texts)
    live_tips: dict[int, list[str]] = defaultdict(list)
    for name, ref in branches.items():
        if name not in lines.names:
            live_tips[ref.target].append(name)
    pull_tips: dict[int, list[int]] = defaultdict(list)
    pull_heads: dict[int, int] = {}
    pull_hosts: dict[int, str] = {}
    pull = RefKind.PULL
    for ref in graph.refs:
        if ref.kind is pull and ref.pr is not None:
            pull_tips[ref.target].append(ref.pr)
            pull_heads[ref.pr] = ref.target
            pull_hosts[ref.pr] = (merges.Host.GITLAB if ref.name.startswith("refs/merge-requests/")
                                  else merges.Host.GITHUB).value
    bot_people = [bool(bots.search(name) or bots.search(email)) for name, email in graph.people]
    forge_people = [bool(FORGE_COMMITTER.search(name) or FORGE_COMMITTER.search(email)) for name, email in graph.people]
    arrival = _trunk_arrival(graph, lines.chains[0])
    shipping = _shipping(graph)
    final_tags = [
        None if prerelease else (ref.short, aware(epoch, offset))
        for epoch, offset, ref, (_, prerelease) in shipping.tags
    ]
    lab = _Labeller(graph=graph, lines=lines, options=options, live_tips=dict(live_tips),
                    pull_tips=dict(pull_tips), pull_heads=pull_heads, pull_hosts=pull_hosts,
                    branch_names=frozenset(branches), bot_people=bot_people, forge_people=forge_people,
                    arrival=arrival, first_final=shipping.first_final, final_tags=final_tags,
                    texts=texts, episode_of=[_NONE] * len(graph))
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

