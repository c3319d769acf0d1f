"""What each long-lived line is for, read from the direction of the flows between the lines.

Names lie (a `release/*` branch used for a feature, a `master` that is only a
fast-forward pointer), so a line's role comes from how changes move between it
and the trunk over the whole history:

- an *integration line* takes more of the work than the trunk and passes it on
  (Gitflow's `develop` beside a trunk `master`);
- a *production line* beside a trunk that takes the work carries the tags,
  receives the trunk's work again and again (releases), and is merged back into
  the trunk (Gitflow's `master` beside a default branch `develop`);
- a *maintenance line* (a release line) carries final release tags of its own (a
  pre-release cut from a branch makes no release line) or cherry-picks, is cut
  from the trunk and fed by fixes, and is not itself fed by merges from the
  trunk: at most it is merged forward into the trunk;
- a *next-release line* takes work branches of its own, is fed by the trunk again
  and again (the trunk merged into it to catch up) and carries no final release of
  its own: it collects what the trunk will release next (netbox's `feature`, git's
  `next`), it is no release line however often it is merged;
- an *environment line* receives merges from the trunk repeatedly over months,
  never delivers anything back into the trunk, and has next to no commits of its
  own (a feature branch that merges the trunk in to catch up has its own work).

A flow from line A to line B is one of: a merge of A into B; a branch forked
from A and merged into B; a branch merged into A first and then into B again.
Only `model` is imported: `history` names each line-to-line merge with these
roles, and `classify` reads them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from advisor.model import (
    CherryPick,
    CherryPickDirection,
    Episode,
    History,
    LineMerge,
    LineMergeKind,
    LongLivedBranch,
    MergeMethod,
)

DAY = 86_400
ENVIRONMENT_MIN_PROMOTIONS = 3  # merges from the trunk an environment line needs
ENVIRONMENT_MIN_DAYS = 60  # over at least this span between its first and last promotion ("over months")
BACK_FLOW_RATIO = 4  # a line fed by the trunk less than a quarter as often as it feeds it is fed by fixes
# An environment line may take a fix of its own now and then, merged back into the trunk (PowerShell-Docs' live:
# 1,376 promotions from main, 10 merges back): at most one flow back for this many promotions.
ENVIRONMENT_PROMOTIONS_PER_BACK_FLOW = 10
NEXT_RELEASE_MIN_SYNCS = 2  # merges of the trunk into a line that takes work: it collects the next release


@dataclass(frozen=True, slots=True, kw_only=True)
class Roles:
    """Each long-lived line's role, judged on the whole history (not one window)."""

    tagged: frozenset[str]
    integration: str | None  # a non-trunk line taking more work than the trunk (develop beside master)
    production: str | None  # a non-trunk line the trunk's work is released into (master beside develop)
    maintenance: tuple[str, ...]  # release lines fed by fixes, not by the trunk
    environment: tuple[str, ...]  # lines the trunk is promoted into
    next_release: tuple[str, ...] = ()  # lines taking work for the next release, fed by the trunk, no finals
    feeds_trunk: frozenset[str]  # lines some of whose changes went on to reach the trunk
    flows: dict[tuple[str, str], int]  # (from line, to line) -> flows, all time

    def role(self, name: str) -> str | None:
        if name == self.integration:
            return "integration"
        if name == self.production:
            return "production"
        if name in self.maintenance:
            return "maintenance"
        if name in self.environment:
            return "environment"
        if name in self.next_release:
            return "next-release"
        return None


def flows(names: Iterable[str], episodes: Sequence[Episode], merges: Iterable[LineMerge]) -> Counter[tuple[str, str]]:
    """(from, to) -> how many times changes moved from one long-lived line to another."""
    known = set(names)
    counted: Counter[tuple[str, str]] = Counter((m.source, m.target) for m in merges)
    by_id = {e.id: e for e in episodes}
    for episode in episodes:
        if episode.repeat_of is None:
            if episode.method is not MergeMethod.DIRECT and episode.forked_from in known \
                    and episode.forked_from != episode.target:
                counted[(str(episode.forked_from), episode.target)] += 1
            continue
        first = by_id.get(episode.repeat_of)
        if first is not None and first.target != episode.target:
            counted[(first.target, episode.target)] += 1
    return counted


def line_roles(trunk: str, lines: Sequence[LongLivedBranch], episodes: Sequence[Episode],
               merges: Sequence[LineMerge], picks: Sequence[CherryPick],
               fast_forwarded: str | None = None) -> Roles:
    """`fast_forwarded`: the default branch that only fast-forwards to the trunk (`Trunk.fast_forwarded`);
    as a line (it had commits of its own, merged back) it is where releases go out: the production line."""
    by_name = {line.name: line for line in lines}
    flow = flows(by_name, episodes, merges)
    firsts = [e for e in episodes if e.repeat_of is None]
    received = Counter(e.target for e in firsts)
    tagged = frozenset(name for name, line in by_name.items() if line.tags and name != trunk)
    # A release line releases: a final version tagged on its own chain. Beta tags on a line that
    # collects the next release, or tags of a line's branches merged into it, are no such evidence.
    finals = frozenset(name for name, line in by_name.items() if line.final_tags and name != trunk)
    syncs = Counter(m.target for m in merges if m.source == trunk)
    picked_into = {p.line for p in picks if p.direction is CherryPickDirection.TRUNK_TO_BRANCH}
    from_trunk: dict[str, list[int]] = {}
    for merge in merges:
        if merge.source == trunk:
            from_trunk.setdefault(merge.target, []).append(int(merge.merged_at.timestamp()))
    pushed = fast_forwarded if fast_forwarded in by_name and fast_forwarded != trunk else None
    others = [name for name in by_name if name not in (trunk, pushed)]
    integration = max((name for name in others if received[name] > received[trunk]),
                      key=lambda name: (received[name], name), default=None)
    production_candidates = []
    maintenance = []
    environment = []
    next_release = []
    for name in others:
        if name == integration:
            continue
        down, up = flow[(trunk, name)], flow[(name, trunk)]
        line = by_name[name]
        takes_less = received[name] <= received[trunk]
        if name in finals and down >= 2 and up >= 1 and down * BACK_FLOW_RATIO >= up and takes_less:
            production_candidates.append(name)
        elif (name in finals or name in picked_into) and takes_less:
            maintenance.append(name)
        elif name not in finals and syncs[name] >= NEXT_RELEASE_MIN_SYNCS and received[name] >= syncs[name]:
            next_release.append(name)
        elif up * ENVIRONMENT_PROMOTIONS_PER_BACK_FLOW <= down and _promoted_over_months(from_trunk.get(name, [])) \
                and line.mainline_commits - line.merges_received <= max(2, len(from_trunk.get(name, [])) // 4):
            environment.append(name)
    production = pushed or max(production_candidates, key=lambda name: (by_name[name].tags, name), default=None)
    # A second Gitflow-like line that lost to the production line is kept as a release line.
    maintenance.extend(name for name in production_candidates if name != production)
    feeds_trunk = frozenset(e.target for e in firsts if e.target != trunk and e.reached_trunk_at is not None)
    return Roles(tagged=tagged, integration=integration, production=production, maintenance=tuple(sorted(maintenance)),
                 environment=tuple(sorted(environment)), feeds_trunk=feeds_trunk, flows=dict(flow),
                 next_release=tuple(sorted(next_release)))


_KNOWN: list[tuple[History, Roles]] = []  # the last history whose roles were worked out, held (its id stays its own)


def remember(history: History, roles: Roles) -> None:
    """The roles the reconstruction worked out for `history` (`assemble.finish`), given for `of_history` to
    answer: they are what `of_history` computes again (a pass over every episode), since a line merge's kind,
    which the reconstruction names from them, changes no role."""
    _KNOWN[:] = [(history, roles)]


def of_history(history: History) -> Roles:
    """Each long-lived line's role in `history` (`line_roles`), worked out once per history."""
    if _KNOWN and _KNOWN[0][0] is history:
        return _KNOWN[0][1]
    fed = history.trunk.fast_forwarded
    found = line_roles(history.trunk.name, history.long_lived, history.episodes, history.line_merges,
                       history.cherry_picks, fed.line if fed is not None else None)
    _KNOWN[:] = [(history, found)]
    return found


def _promoted_over_months(times: Sequence[int]) -> bool:
    return len(times) >= ENVIRONMENT_MIN_PROMOTIONS and (max(times) - min(times)) >= ENVIRONMENT_MIN_DAYS * DAY


def name_merges(trunk: str, merges: Iterable[LineMerge], roles: Roles, tagged: set[str]) -> list[LineMerge]:
    """Each line-to-line merge named by the roles of its two lines."""
    named = []
    for merge in merges:
        source, target = roles.role(merge.source), roles.role(merge.target)
        if merge.target == trunk:
            if source == "integration":
                kind = LineMergeKind.RELEASE  # develop's work released into the trunk master
            elif source in ("production", "environment"):
                kind = LineMergeKind.BACK_MERGE  # master merged back into the trunk develop; a fix made on production
            elif source == "maintenance" or merge.source in tagged:
                kind = LineMergeKind.FORWARD
            else:
                kind = LineMergeKind.RELEASE
        elif merge.source == trunk:
            if target == "integration":
                kind = LineMergeKind.BACK_MERGE
            elif target == "production":
                kind = LineMergeKind.RELEASE  # the trunk develop released into master
            elif target == "environment":
                kind = LineMergeKind.PROMOTION
            else:
                kind = LineMergeKind.SYNC  # a branch catching up with the trunk: no promotion
        else:
            kind = LineMergeKind.SYNC
        named.append(replace(merge, kind=kind))
    return named
