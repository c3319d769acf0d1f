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

from datetime import datetime

from advisor.history import resume
from advisor.history.assemble import environment, finish
from advisor.history.labelling import (
    _Labeller,
    _label_integrations,
    _label_single_parent_commits,
    event_key,
    integration_events,
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
from advisor.history.resume import Resume, final_tags
from advisor.history.releases import (
    _cherry_picks_and_reverts,
    _shipping,
    _trunk_arrival,
)
from advisor.model import CommitGraph, History, instant

__all__ = ["CONVENTIONAL_TRUNKS", "DEFAULT_BOT_PATTERNS", "HistoryOptions", "Texts", "branch_refs", "choose_trunk",
           "find_lines", "first_parent_chain", "parse_version", "reconstruct", "reconstruct_resumable", "Resume", "_trunk_arrival"]

# ---------------------------------------------------------------------------


def reconstruct(graph: CommitGraph, options: HistoryOptions, now: datetime, texts: Texts | None = None) -> History:
    """The whole branching history of `graph`; `now` only dates anomalies. `texts` may carry the
    messages already parsed by an earlier reconstruction of the same repository."""
    return reconstruct_resumable(graph, options, now, texts, keep_state=False)[0]


def reconstruct_resumable(graph: CommitGraph, options: HistoryOptions, now: datetime, texts: Texts | None = None,
                          previous: tuple[History, Resume] | None = None,
                          settled: int | None = None, keep_state: bool = True) -> tuple[History, Resume | None, str | None]:
    """`reconstruct`, and what a later reconstruction of the same graph grown needs to resume from this one.
    With `previous` (the last reconstruction of this graph, as it was, and its state), only what was added is
    labelled when that gives what a cold reconstruction gives (`resume.resume`); else the whole graph is, and
    the third value says why (None: resumed, or nothing to resume from). `settled`: how many first commits
    every reading numbers alike (those of a cached graph; None: all). Without `keep_state` (nothing will
    store it) the state is not built: None (its columns were the reconstruction's peak, +80 MB at 1M commits)."""
    texts = texts if texts is not None else Texts()
    why = None
    if previous is not None:
        resumed = resume.resume(graph, options, now, texts, *previous, settled=settled)
        if not isinstance(resumed, str) and resumed is not None:
            return resumed[0], resumed[1], None
        why = resumed
    branches = branch_refs(graph)
    trunk_ref, rule, fed = choose_trunk(graph, branches, options.trunk, options)
    lines, long_lived = find_lines(graph, trunk_ref, branches, options, texts, fed)
    env = environment(graph, branches, lines, options)
    arrival = _trunk_arrival(graph, lines.chains[0])
    shipping = _shipping(graph)
    lab = _Labeller(graph=graph, lines=lines, options=options, live_tips=env.live_tips,
                    pull_tips=env.pull_tips, pull_heads=env.pull_heads, pull_hosts=env.pull_hosts,
                    branch_names=frozenset(branches), bot_people=env.bot_people, forge_people=env.forge_people,
                    arrival=arrival, first_final=shipping.first_final, final_tags=final_tags(shipping),
                    texts=texts, episode_of=[_NONE] * len(graph))
    events = integration_events(lab)
    _label_integrations(lab, events)
    _label_single_parent_commits(lab)
    picks, reverts = _cherry_picks_and_reverts(lab)
    # By (merged_at, id): two stable sorts, so no key tuple is made per episode (~25 MB at 1M commits).
    episodes = lab.episodes
    order = sorted(range(len(episodes)), key=lambda i: episodes[i].id)
    order.sort(key=lambda i: instant(episodes[i].merged_at))
    counts = resume.AnomalyCounts.of(graph, now)
    reconstructed = finish(lab, trunk_ref, rule, branches, long_lived, shipping, picks, reverts,
                           [lab.episodes[i] for i in order], counts.anomalies(graph), fed)
    if not keep_state:
        return reconstructed, None, why
    last = event_key(lab, events[-1]) if events else None
    return reconstructed, resume.state(lab, options, trunk_ref, branches, shipping, order, last, counts, settled), why
