"""Flow metrics over a window: History (+ line counts, `now`) -> Metrics.

Every definition here is written out in docs/metrics.md; every threshold
names its source (FIELD-NOTES.md §3). Failure numbers are proxies read from
git (reverts, hotfix branches, quick patch releases), never incident data.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TypeVar

from advisor.memo import last_argument
from advisor.model import counted as counted_noun
from advisor.model import (
    CherryPick,
    Distribution,
    Episode,
    EpisodeKind,
    EpisodeLines,
    History,
    LineMergeKind,
    MergeMethod,
    Release,
    Window,
    human_hours,
    instant,
    is_stale,
)

HOUR = 3600.0
DAY_HOURS = 24.0
QUICK_PATCH_DAYS = 7  # a patch release this soon after a release marks that release as failed (proxy)
FREEZE_LOOKBACK_DAYS = 7
FREEZE_DIP_RATIO = 0.5
MEASURABLE_HOURS = 0.1  # a stage whose median change waits less (six minutes: the display's precision) holds no wait

DORA_2023 = "DORA 2023 benchmarks as encoded by Apache DevLake (FIELD-NOTES §3)"
TBD_SITE = "trunkbaseddevelopment.com (FIELD-NOTES §3)"
DORA_TBD = "dora.dev/capabilities/trunk-based-development (FIELD-NOTES §3)"


class Tier:
    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def _tier(value: float | None, bounds: tuple[float, float, float], *, strict: bool) -> str | None:
    """The first of elite / high / medium whose bound `value` is within, else low."""
    if value is None:
        return None
    for tier, bound in zip((Tier.ELITE, Tier.HIGH, Tier.MEDIUM), bounds):
        if value < bound or (not strict and value == bound):
            return tier
    return Tier.LOW


def deploy_frequency_tier(median_interval_days: float | None) -> str | None:
    """Elite on demand (daily or more), high daily-weekly, medium weekly-monthly, low rarer."""
    return _tier(median_interval_days, (1, 7, 31), strict=False)


def lead_time_tier(median_hours: float | None) -> str | None:
    """Elite < 1 day, high 1 day-1 week, medium 1 week-1 month, low > 1 month."""
    return _tier(median_hours, (24, 24 * 7, 24 * 31), strict=True)


def change_failure_tier(rate: float | None) -> str | None:
    """Elite <= 5 %, high <= 10 %, medium <= 15 %, low above."""
    return _tier(rate, (0.05, 0.10, 0.15), strict=False)


def restore_tier(median_hours: float | None) -> str | None:
    """Elite < 1 hour, high < 1 day, medium < 1 week, low longer."""
    return _tier(median_hours, (1, 24, 24 * 7), strict=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseMetrics:
    source: str  # "tags", "merges into <trunk>", or "none"
    count: int  # final releases in the window
    per_week: float
    interval_days: Distribution
    size_commits: Distribution  # commits each release shipped first (the first release ever left out)
    size_changes: Distribution  # changes (episodes) each release shipped first
    size_lines: Distribution
    tier: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    name: str
    hours: Distribution  # per change
    total_hours: float
    share: float  # of all the change-hours spent in the four stages


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadTime:
    changes: int
    to_trunk_hours: Distribution
    to_release_hours: Distribution
    stages: tuple[Stage, ...]
    constraint: str | None
    constraint_sentence: str
    tier: str | None
    tier_basis: str  # which distribution the tier was read from
    unknown_start: int = 0  # changes left out: squash merges whose branch git no longer has (no PR ref)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkInProgress:
    open_branches: int
    active_branches: int
    stale_branches: int
    unmerged_commits: int  # commits ahead of the trunk on active short-lived branches
    integration_line_commits: int  # commits waiting on long-lived lines that the trunk does not have
    unreleased_trunk_commits: int | None
    parallel_branches_per_author: Distribution  # most branches each author had open at once, in the window
    authors_juggling: int  # authors who had two or more branches open at once


@dataclass(frozen=True, slots=True, kw_only=True)
class Integration:
    integrations: int  # episodes landing on any long-lived line (not repeats, not bots)
    per_working_day: float
    merged_within_a_day: float | None  # share of work branches living 24 hours or less
    lifetime_hours: Distribution  # of work branches
    behind_at_merge: Distribution
    batch_commits: Distribution
    batch_lines: Distribution
    direct_share: float | None
    lifetime_unknown: int = 0  # branch episodes left out of lifetime and within-a-day: squashes without a PR ref
    work_line: str = ""  # where work lands: the integration line (Gitflow's develop) when there is one, else the trunk
    work_branches: int = 0  # work branches (not release or hotfix episodes) merged in the window: lifetime, behind and batch are theirs
    release_branches: int = 0  # release and hotfix episodes merged in the window, reported apart from work
    release_lifetime_hours: Distribution = Distribution(count=0, p50=None, p90=None, max=None)  # their lifetimes
    landed_as_commits: int = 0  # direct commits citing the pull request they landed ("Closes #N", "PR-URL: .../pull/N")


@dataclass(frozen=True, slots=True, kw_only=True)
class Failures:
    reverts: int
    hotfixes: int  # hotfix episodes merged in the window: hotfix/* branches, and work merged straight into the production line
    hotfixes_unnamed: int  # of those, work branches merged straight into the trunk beside an integration line (Gitflow's develop)
    quick_patch_releases: int
    patches_are_routine: bool  # most releases are patch bumps, so quick patches are not read as fixes
    change_failure_rate: float | None  # proxy: releases hotfixed later or patched within 7 days / releases
    restore_hours: Distribution  # proxy: release -> its fixing release
    change_failure_tier: str | None
    restore_tier: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Freeze:
    releases_checked: int
    dips: int  # releases preceded by a week of trunk integrations under half the usual rate
    suspected: bool
    weekly_rate: float = 0.0  # trunk arrivals of changes per week over the window: the usual rate
    checked: tuple[str, ...] = ()  # the tags of the releases checked (a whole week before them in the window)
    dipped: tuple[str, ...] = ()  # of those, the tags after a dip


@dataclass(frozen=True, slots=True, kw_only=True)
class Month:
    month: str  # YYYY-MM
    integrations: int
    direct_commits: int
    lifetime_p50_hours: float | None
    releases: int
    release_size_p50: float | None
    reverts: int
    hotfixes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseYear:
    year: int  # calendar year (UTC), all time: from the first final release's year to the window's end
    releases: int  # final releases tagged that year (git tag --sort=creatordate, versions only, re-tags left out)
    size_commits_p50: float | None  # median commits each shipped first (the first release ever left out)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeathSpiral:
    warning: bool  # the window's halves, or the long trend, show the spiral
    reason: str
    long_trend: bool = False  # over the last complete years (all time): releases per year fell while their size grew
    long_reason: str = ""  # the yearly counts and sizes it read, or why it read none


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics:
    releases: ReleaseMetrics
    lead_time: LeadTime
    wip: WorkInProgress
    integration: Integration
    failures: Failures
    freeze: Freeze
    monthly: tuple[Month, ...]
    death_spiral: DeathSpiral
    release_years: tuple[ReleaseYear, ...] = ()  # releases per calendar year over all of history, not only the window


# ---------------------------------------------------------------------------


Timed = TypeVar("Timed")


def _between(records: Sequence[Timed], at: Callable[[Timed], datetime], since: datetime | None,
             until: datetime) -> Sequence[Timed]:
    """The records of a time-ordered sequence with `since <= at(record) < until` (no `since`: all
    before `until`), by two bisections rather than a test of every record."""
    start = bisect.bisect_left(records, since, key=at) if since is not None else 0
    return records[start:bisect.bisect_left(records, until, lo=start, key=at)]


def _merged_at(episode: Episode) -> datetime:
    return episode.merged_at


def releases_in_window(history: History, window: Window) -> Sequence[Release]:
    """Release tags made in the window; history.releases is in time order (vim has 20k tags)."""
    return _between(history.releases, lambda r: r.at, window.since, window.until)


def episodes_in_window(history: History, window: Window) -> list[Episode]:
    """Episodes merged in the window; history.episodes is sorted by merge time."""
    return list(_between(history.episodes, _merged_at, window.since, window.until))


def _picked_at(pick: CherryPick) -> datetime:
    return pick.at


@last_argument  # asked by each window's observation of one history
def _picks_by_time(history: History) -> tuple[CherryPick, ...]:
    return tuple(sorted(history.cherry_picks, key=lambda pick: instant(pick.at)))


def picks_in_window(history: History, window: Window) -> Sequence[CherryPick]:
    """Cherry-picks made in the window, in time order: by bisection over them sorted once per history
    (a history of 200k commits had 43k, and each window's observation asked four times)."""
    return _between(_picks_by_time(history), _picked_at, window.since, window.until)


def _hours(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / HOUR)


def changes(history: History, window: Window) -> list[Episode]:
    """The work counted once: first arrivals on a long-lived line, not repeats, not bots, clocks trusted."""
    return [e for e in episodes_in_window(history, window)
            if e.repeat_of is None and not e.bot and not e.clock_skew]


def final_releases(history: History) -> list[Release]:
    """Final versions that shipped something no earlier final release had (a re-tag of
    an old commit ships nothing; a final tag on its last candidate's commit does)."""
    return [r for r in history.releases if not r.prerelease and r.shipped > 0]


def _release_events(history: History) -> tuple[str, list[datetime], list[Release]]:
    """Tags when the project tags versions; otherwise merges of an integration line into the trunk, or the trunk's
    promotions into an environment line (deploys: PowerShell-Docs' main into live, daily), whichever history has
    more of (a line deleted years ago does not make its five merges the releases of today)."""
    finals = final_releases(history)
    if finals:
        return "tags", [r.at for r in finals], finals
    merges = [m.merged_at for m in history.line_merges if m.kind is LineMergeKind.RELEASE]
    promotions = [m for m in history.line_merges if m.kind is LineMergeKind.PROMOTION]
    if merges and len(merges) >= len(promotions):
        return f"merges into {history.trunk.name}", merges, []
    if promotions:
        # Several environments (staging, production): production's deploys, else the fewest (the last stage's).
        into = Counter(m.target for m in promotions)
        line = min(into, key=lambda name: (_PRODUCTION_NAME.match(name) is None, into[name], name))
        return f"promotions into {line}", [m.merged_at for m in promotions if m.target == line], []
    return "none", [], []


_PRODUCTION_NAME = re.compile(r"^(production|prod|live)$", re.IGNORECASE)


def lived(history: History, window: Window) -> Window:
    """The part of the window the repository existed in: rates of a young repository are
    per day of its life, not per day of a year it mostly did not exist in."""
    born = history.episodes[0].merged_at if history.episodes else window.since
    return Window(since=max(window.since, min(born, window.until)), until=window.until)


def release_metrics(history: History, window: Window, lines: Mapping[str, EpisodeLines]) -> ReleaseMetrics:
    source, moments, finals = _release_events(history)
    in_window = sorted((m for m in moments if window.contains(m)), key=instant)
    # Intervals between release days (Four Keys counts deployment days): several lines
    # tagged on one day are one day of releasing, not an interval of zero.
    days = sorted({m.date() for m in in_window})
    intervals = [float((b - a).days) for a, b in zip(days, days[1:])]
    span = lived(history, window)
    weeks = max((span.until - span.since).total_seconds() / (7 * 86_400), 1.0)
    interval = Distribution.of(intervals)
    sized = [r for r in finals[1:] if window.contains(r.at)]  # the first release ever carries all history
    by_release: dict[str, list[Episode]] = defaultdict(list)
    for episode in history.episodes:
        if episode.release and episode.repeat_of is None:
            by_release[episode.release].append(episode)
    return ReleaseMetrics(
        source=source,
        count=len(in_window),
        per_week=len(in_window) / weeks,
        interval_days=interval,
        size_commits=Distribution.of([r.shipped for r in sized]),
        size_changes=Distribution.of([len(by_release[r.tag]) for r in sized]),
        size_lines=Distribution.of([
            sum(lines[e.id].added + lines[e.id].deleted for e in by_release[r.tag] if e.id in lines)
            for r in sized if any(e.id in lines for e in by_release[r.tag])
        ]),
        tier=deploy_frequency_tier(interval.p50) if intervals else (Tier.LOW if in_window else None),
    )


STAGES = ("coding", "waiting for merge", "waiting in an integration branch", "waiting for release")


def _stage_hours(episode: Episode) -> tuple[float, float, float | None, float | None]:
    coding = _hours(episode.last_commit_at, episode.first_commit_at)
    review = _hours(episode.merged_at, episode.last_commit_at)
    reached = episode.reached_trunk_at
    integration = _hours(reached, episode.merged_at) if reached else None
    release = _hours(episode.released_at, reached) if reached and episode.released_at else None
    return coding, review, integration, release


def lead_time(history: History, window: Window) -> LeadTime:
    reached = [e for e in changes(history, window) if e.reached_trunk_at is not None]
    # A squash merge without its branch has no first commit git can date: no lead time, not 0.
    counted = [e for e in reached if not e.lifetime_unknown]
    per_stage: list[list[float]] = [[], [], [], []]
    for episode in counted:
        for index, value in enumerate(_stage_hours(episode)):
            if value is not None:
                per_stage[index].append(value)
    totals = [sum(values) for values in per_stage]
    whole = sum(totals)
    stages = tuple(
        Stage(name=name, hours=Distribution.of(values), total_hours=total, share=total / whole if whole else 0.0)
        for name, values, total in zip(STAGES, per_stage, totals)
    )
    to_trunk = Distribution.of([_hours(e.reached_trunk_at, e.first_commit_at) for e in counted
                                if e.reached_trunk_at])
    released = [e for e in counted if e.released_at]
    to_release = Distribution.of([_hours(e.released_at, e.first_commit_at) for e in released if e.released_at])
    # The constraint is a wait: the stage holding the most change-hours, among the stages whose
    # median change spends a measurable time in them (a few amended direct commits add hours
    # to "coding" without any change waiting there).
    measurable = [s for s in stages if s.hours.p50 is not None and s.hours.p50 >= MEASURABLE_HOURS]
    constraint = max(measurable, key=lambda s: s.total_hours) if measurable else None
    if not counted and reached:
        sentence = (f"None of the {len(reached)} changes that reached the trunk has a known first commit (squash "
                    "merges without their pull-request refs), so there is no lead time to split.")
    elif not counted:
        sentence = "No changes reached the trunk in the window, so there is no lead time to split."
    elif constraint is None:
        direct = sum(1 for e in counted if e.kind is EpisodeKind.DIRECT)
        landing = ("changes land directly" if direct == len(counted)
                   else f"changes are merged within minutes of their last commit ({direct} of {len(counted)} landed directly)")
        releasing = ("no release was tagged" if not released
                     else f"{len(released)} {'was' if len(released) == 1 else 'were'} released within minutes of reaching the trunk")
        sentence = (f"No stage holds measurable waiting time: {landing} and {releasing} "
                    f"(no stage's median reaches {MEASURABLE_HOURS:g} h per change, over {len(counted)} "
                    f"change{'s' if len(counted) != 1 else ''}).")
    else:
        sentence = (f"The constraint is {constraint.name}: {constraint.share:.0%} of all the time changes spent "
                    f"between first commit and release (median {human_hours(constraint.hours.p50, 'days')} per change, "
                    f"over {len(counted)} changes).")
    if counted and len(reached) > len(counted):
        left = len(reached) - len(counted)
        sentence += (f" {counted_noun(left, 'squash merge')} without a known first commit (no pull-request "
                     f"refs) {'is' if left == 1 else 'are'} left out.")
    basis = "first commit to release" if released else "first commit to trunk"
    return LeadTime(
        changes=len(counted), to_trunk_hours=to_trunk, to_release_hours=to_release, stages=stages,
        constraint=constraint.name if constraint else None, constraint_sentence=sentence,
        # No tier when most changes have no known start: the few that do (direct commits) are no sample.
        tier=lead_time_tier(to_release.p50 if released else to_trunk.p50)
        if len(counted) * 2 >= len(reached) else None, tier_basis=basis,
        unknown_start=len(reached) - len(counted),
    )


def _max_overlap(intervals: Iterable[tuple[datetime, datetime]]) -> int:
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda e: (e[0], e[1]))
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


def work_in_progress(history: History, window: Window, now: datetime, stale_days: int) -> WorkInProgress:
    open_branches = [b for b in history.live_branches if not b.merged and not b.long_lived]
    stale = [b for b in open_branches if is_stale(b.last_commit_at, now, stale_days)]
    # Told apart by the same test, not by `b not in stale`: a search of the list, whose records
    # compare field by field, made 3,000 stale branches cost 4.5 million comparisons.
    active = [b for b in open_branches if not is_stale(b.last_commit_at, now, stale_days)]
    per_author: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for episode in changes(history, window):
        if episode.kind is not EpisodeKind.DIRECT and episode.authors:
            per_author[episode.author].append((episode.first_commit_at, episode.merged_at))
    overlaps = [_max_overlap(spans) for spans in per_author.values()]
    return WorkInProgress(
        open_branches=len(open_branches), active_branches=len(active), stale_branches=len(stale),
        unmerged_commits=sum(b.ahead for b in active),
        integration_line_commits=sum(b.ahead for b in history.live_branches if b.long_lived and not b.merged),
        unreleased_trunk_commits=history.unreleased_trunk_commits,
        parallel_branches_per_author=Distribution.of(overlaps),
        authors_juggling=sum(1 for o in overlaps if o >= 2),
    )


def _working_days(window: Window) -> int:
    start, end = window.since.date(), window.until.date()
    days = (end - start).days
    full_weeks, rest = divmod(days, 7)
    extra = sum(1 for i in range(rest) if (start + timedelta(days=full_weeks * 7 + i)).weekday() < 5)
    return max(1, full_weeks * 5 + extra)


def landed_as_commits(episodes: Iterable[Episode]) -> list[Episode]:
    """Pull requests landed as commits: direct commits, rebase runs and fast-forwards that name no
    request of their own but whose last commit cites one ("Closes #N", "PR-URL: .../pull/N")."""
    return [e for e in episodes if e.pr is None and e.cites_pr is not None
            and e.method in (MergeMethod.DIRECT, MergeMethod.REBASE, MergeMethod.FAST_FORWARD)]


def work_branches(history: History, window: Window, counted: Sequence[Episode] | None = None) -> list[Episode]:
    """The team's work branches among the window's changes (`counted`, else `changes`): role FEATURE,
    so neither direct commits nor release and hotfix episodes (`episode_role`). Lifetimes, sizes
    and "merged within a day" are theirs, in the flow table and in the verdict's evidence alike."""
    beside = integration_line(history, window)
    return [e for e in (changes(history, window) if counted is None else counted)
            if episode_role(e, history, beside) is EpisodeKind.FEATURE]


def integration(history: History, window: Window, lines: Mapping[str, EpisodeLines]) -> Integration:
    """Integration frequency over every change; lifetimes, sizes and staleness over work branches
    only: release and hotfix episodes (`episode_role`) are reported apart, as they are not how
    long the team's work waits."""
    counted = changes(history, window)
    beside = integration_line(history, window)
    roles = {e.id: episode_role(e, history, beside) for e in counted}
    branches = work_branches(history, window, counted)
    releases = [e for e in counted if roles[e.id] in (EpisodeKind.RELEASE, EpisodeKind.HOTFIX)]
    direct = sum(1 for e in counted if e.kind is EpisodeKind.DIRECT)
    lifetimes = [e.lifetime_seconds / HOUR for e in branches if e.lifetime_seconds is not None]
    return Integration(
        integrations=len(counted),
        per_working_day=len(counted) / _working_days(lived(history, window)),
        merged_within_a_day=sum(1 for h in lifetimes if h <= DAY_HOURS) / len(lifetimes) if lifetimes else None,
        lifetime_hours=Distribution.of(lifetimes),
        behind_at_merge=Distribution.of([e.behind for e in branches if e.behind is not None]),
        batch_commits=Distribution.of([len(e.commits) for e in branches]),
        batch_lines=Distribution.of([lines[e.id].added + lines[e.id].deleted for e in branches if e.id in lines]),
        direct_share=direct / len(counted) if counted else None,
        lifetime_unknown=sum(1 for e in branches if e.lifetime_unknown),
        work_line=beside or history.trunk.name,
        work_branches=len(branches),
        release_branches=len(releases),
        release_lifetime_hours=Distribution.of([e.lifetime_seconds / HOUR for e in releases
                                                if e.lifetime_seconds is not None]),
        landed_as_commits=len(landed_as_commits(counted)),
    )


def _is_patch_of(later: Release, earlier: Release) -> bool:
    """Same major.minor, a later patch: 1.1.1 after 1.1.0, 6.2.1 after 6.2 (missing parts are 0).
    A bump of the second part is a minor release, never a patch: 2024.3 after 2024.2, 1.2 after 1.1."""
    if not later.version or not earlier.version:
        return False
    size = max(len(later.version), len(earlier.version), 3)
    a, b = (v + (0,) * (size - len(v)) for v in (later.version, earlier.version))
    return a[:2] == b[:2] and a[2:] > b[2:]


def patch_cadence(releases: Sequence[Release]) -> bool:
    """True when most releases are patch bumps: then a quick patch is the normal rhythm, not a fix."""
    bumps = sum(1 for earlier, later in zip(releases, releases[1:]) if _is_patch_of(later, earlier))
    return len(releases) >= 4 and bumps * 2 > len(releases) - 1


def hotfix_failures(history: History, finals: Sequence[Release], hotfixes: Sequence[Episode]) -> dict[str, datetime]:
    """Release tag -> when its first hotfix was merged. A hotfix episode merged into a
    production line (the trunk, or a line final releases are tagged on) fixes the latest
    final release before it, however long after and whatever tag (if any) follows it; a
    release of the hotfix's own commits (its tag on the hotfix branch) is not the one it fixes."""
    production = {history.trunk.name} | {r.line for r in finals if r.line is not None}
    final_at = [r.at for r in finals]
    fixed: dict[str, datetime] = {}
    for hotfix in hotfixes:
        if hotfix.target not in production:
            continue
        own = {hotfix.id, *hotfix.commits}
        index = bisect.bisect_left(final_at, hotfix.merged_at) - 1
        while index >= 0 and finals[index].commit in own:
            index -= 1
        if index >= 0:
            fixed.setdefault(finals[index].tag, hotfix.merged_at)
    return fixed


@last_argument  # asked once per window, the same for all
def _lines_into_trunk(history: History) -> frozenset[str]:
    """The lines whose work goes on to the trunk: merged into it, or carrying episodes that reached it."""
    trunk = history.trunk.name
    return frozenset({m.source for m in history.line_merges if m.target == trunk}
                     | {e.target for e in history.episodes if e.repeat_of is None and not e.bot
                        and e.target != trunk and e.reached_trunk_at is not None})


def integration_line(history: History, window: Window) -> str | None:
    """Gitflow's develop: the long-lived line beside the trunk that received more work branches
    than the trunk in the window and whose work goes on to the trunk (merged into it, or carried
    by release branches). None when the trunk itself is where work lands — also for a team that
    has moved off develop, once the trunk takes most of the window's work."""
    trunk = history.trunk.name
    work = Counter(e.target for e in episodes_in_window(history, window)
                   if e.repeat_of is None and not e.bot and e.kind is EpisodeKind.FEATURE)
    into_trunk = _lines_into_trunk(history)
    candidates = [line.name for line in history.long_lived
                  if line.name != trunk and line.name in into_trunk and work[line.name] > work[trunk]]
    return max(candidates, key=lambda name: (work[name], name), default=None)


def _judged_beside(episode: Episode, trunk: str, beside: str | None) -> bool:
    """A work branch merged straight into the trunk beside an integration line: `episode_role` makes it
    a release or a hotfix. Every other episode's role is its kind."""
    return episode.kind is EpisodeKind.FEATURE and beside is not None and episode.target == trunk


def episode_role(episode: Episode, history: History, beside: str | None) -> EpisodeKind:
    """What an episode is for. Named release/* and hotfix/* branches are what they say; beside
    an integration line `beside` (Gitflow's develop), a branch merged straight into the trunk,
    the production line, is a release when it was cut from the integration line (a release
    batch) and a hotfix otherwise. Every other branch is work (FEATURE); direct commits are DIRECT."""
    if not _judged_beside(episode, history.trunk.name, beside):
        return episode.kind
    return EpisodeKind.RELEASE if episode.forked_from == beside else EpisodeKind.HOTFIX


def is_hotfix(episode: Episode, history: History, beside: str | None) -> bool:
    """A hotfix: a first arrival whose role is HOTFIX (`episode_role`); bots' branches never are."""
    return (episode.repeat_of is None and not episode.bot
            and episode_role(episode, history, beside) is EpisodeKind.HOTFIX)


def failures(history: History, window: Window) -> Failures:
    # Releases are sorted by time, hotfixes by merge time: each look-up is a bisection, not a
    # scan of every release (vim's 20k tags made this step quadratic).
    finals = sorted(final_releases(history), key=lambda r: r.at)  # already in time order: a linear pass
    in_window = [r for r in finals if window.contains(r.at)]
    patches_are_routine = patch_cadence(in_window)
    beside = integration_line(history, window)
    hotfixes = [e for e in episodes_in_window(history, window) if is_hotfix(e, history, beside)]
    # A release of the window is judged by the hotfixes merged after it and before the window's end.
    # Only a hotfix/* branch, or one `episode_role` judges beside the integration line, can be one: the
    # other episodes merged before the window's end (all of history's, at the last window) are skipped.
    trunk = history.trunk.name
    fixed_by_hotfix = hotfix_failures(history, finals, [
        e for e in _between(history.episodes, _merged_at, None, window.until)
        if (e.kind is EpisodeKind.HOTFIX or _judged_beside(e, trunk, beside)) and is_hotfix(e, history, beside)])
    quick = 0
    restore: list[float] = []
    failed = 0
    final_at = [r.at for r in finals]
    for release in in_window:
        after = bisect.bisect_right(final_at, release.at)
        limit = release.at + timedelta(days=QUICK_PATCH_DAYS)
        fix = None if patches_are_routine else next(
            (r for r in finals[after:bisect.bisect_right(final_at, limit, lo=after)] if _is_patch_of(r, release)),
            None)
        hotfixed = fixed_by_hotfix.get(release.tag)
        if fix is not None:
            quick += 1
        if fix is not None or hotfixed is not None:
            failed += 1
            ends = [moment for moment in (fix.at if fix else None, hotfixed) if moment]
            restore.append(_hours(min(ends), release.at))
    rate = failed / len(in_window) if in_window else None
    restore_dist = Distribution.of(restore)
    return Failures(
        reverts=sum(1 for r in history.reverts if window.contains(r.at) and r.line is not None),
        hotfixes=len(hotfixes), hotfixes_unnamed=sum(1 for e in hotfixes if e.kind is not EpisodeKind.HOTFIX),
        quick_patch_releases=quick, patches_are_routine=patches_are_routine,
        change_failure_rate=rate,
        restore_hours=restore_dist, change_failure_tier=change_failure_tier(rate),
        restore_tier=restore_tier(restore_dist.p50),
    )


def freeze(history: History, window: Window) -> Freeze:
    """Trunk integrations in the week before each release against the window's weekly rate."""
    arrivals = sorted((e.reached_trunk_at for e in changes(history, window) if e.reached_trunk_at), key=instant)
    weeks = max((window.until - window.since).days / 7, 1.0)
    weekly = len(arrivals) / weeks
    checked: list[str] = []
    dipped: list[str] = []
    if weekly >= 2:
        for release in final_releases(history):
            start = release.at - timedelta(days=FREEZE_LOOKBACK_DAYS)
            if not window.contains(release.at) or start < window.since:
                continue
            checked.append(release.tag)
            before = bisect.bisect_left(arrivals, release.at) - bisect.bisect_left(arrivals, start)
            if before < FREEZE_DIP_RATIO * weekly:
                dipped.append(release.tag)
    return Freeze(releases_checked=len(checked), dips=len(dipped),
                  suspected=len(checked) >= 3 and len(dipped) * 2 >= len(checked),
                  weekly_rate=round(weekly, 2), checked=tuple(checked), dipped=tuple(dipped))


def _month(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def months_of(window: Window) -> list[str]:
    months = []
    cursor = date(window.since.year, window.since.month, 1)
    last = window.until - timedelta(microseconds=1)
    while (cursor.year, cursor.month) <= (last.year, last.month):
        months.append(f"{cursor.year:04d}-{cursor.month:02d}")
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


def monthly(history: History, window: Window) -> tuple[Month, ...]:
    counted = changes(history, window)
    by_month: dict[str, list[Episode]] = defaultdict(list)
    for episode in counted:
        by_month[_month(episode.merged_at)].append(episode)
    finals = [r for r in final_releases(history) if window.contains(r.at)]
    first_ever = final_releases(history)[:1]
    releases_by_month: dict[str, list[Release]] = defaultdict(list)
    for release in finals:
        releases_by_month[_month(release.at)].append(release)
    reverts = Counter(_month(r.at) for r in history.reverts if window.contains(r.at) and r.line is not None)
    result = []
    for month in months_of(window):
        episodes = by_month.get(month, [])
        lifetimes = [e.lifetime_seconds / HOUR for e in episodes
                     if e.kind is not EpisodeKind.DIRECT and e.lifetime_seconds is not None]
        shipped = [r.shipped for r in releases_by_month.get(month, []) if r not in first_ever]
        result.append(Month(
            month=month, integrations=len(episodes),
            direct_commits=sum(1 for e in episodes if e.kind is EpisodeKind.DIRECT),
            lifetime_p50_hours=Distribution.of(lifetimes).p50, releases=len(releases_by_month.get(month, [])),
            release_size_p50=Distribution.of(shipped).p50, reverts=reverts.get(month, 0),
            hotfixes=sum(1 for e in episodes if e.kind is EpisodeKind.HOTFIX),
        ))
    return tuple(result)


LONG_TREND_YEARS = 6  # complete years the long trend reads at most
LONG_TREND_MIN_YEARS = 4


def release_years(history: History, window: Window) -> tuple[ReleaseYear, ...]:
    """Final releases per calendar year (UTC), from the first one's year to the window's end."""
    finals = [r for r in final_releases(history) if r.at < window.until]
    if not finals:
        return ()
    first_ever = finals[0]
    by_year: dict[int, list[Release]] = defaultdict(list)
    for release in finals:
        by_year[release.at.astimezone(timezone.utc).year].append(release)
    last = (window.until - timedelta(microseconds=1)).astimezone(timezone.utc).year
    return tuple(
        ReleaseYear(year=year, releases=len(by_year.get(year, [])),
                    size_commits_p50=Distribution.of([r.shipped for r in by_year.get(year, []) if r is not first_ever]).p50)
        for year in range(first_ever.at.astimezone(timezone.utc).year, last + 1))


def long_trend(years: Sequence[ReleaseYear], window: Window) -> tuple[bool, str]:
    """Releases per year falling (the later half of the last complete years averages under 3/4 of
    the earlier half) while the median release grows by over a quarter: the spiral over years."""
    end_year = window.until.astimezone(timezone.utc).year
    complete = [y for y in years if y.year < end_year]  # the window's own year is not over
    complete = complete[-LONG_TREND_YEARS:]
    if len(complete) < LONG_TREND_MIN_YEARS:
        return False, f"too few complete years of releases to see a long trend ({len(complete)} < {LONG_TREND_MIN_YEARS})"
    half = len(complete) // 2
    early, late = complete[:half], complete[-half:]
    rate_early = sum(y.releases for y in early) / half
    rate_late = sum(y.releases for y in late) / half
    sizes_early = [y.size_commits_p50 for y in early if y.size_commits_p50 is not None]
    sizes_late = [y.size_commits_p50 for y in late if y.size_commits_p50 is not None]
    size_early = Distribution.of(sizes_early).p50
    size_late = Distribution.of(sizes_late).p50
    counts = " -> ".join(str(y.releases) for y in complete)
    reason = (f"releases per year {counts} ({complete[0].year}-{complete[-1].year}, all time), median release "
              f"{size_early if size_early is not None else '-'} -> {size_late if size_late is not None else '-'} "
              "commits (earlier half of those years -> later half)")
    falling = rate_late < 0.75 * rate_early
    growing = size_early is not None and size_late is not None and size_late > 1.25 * size_early
    return falling and growing, reason


def death_spiral(history: History, window: Window) -> DeathSpiral:
    """The window's spiral (`window_spiral`) or the long trend over years (`long_trend`)."""
    spiral = window_spiral(history, window)
    trend, why = long_trend(release_years(history, window), window)
    if trend and not spiral.warning:
        return DeathSpiral(warning=True, reason=why, long_trend=True, long_reason=why)
    return DeathSpiral(warning=spiral.warning, reason=spiral.reason, long_trend=trend, long_reason=why)


def window_halves(history: History, window: Window) -> tuple[datetime, list[Release], list[Release]]:
    """The window's middle and the final releases (the first ever left out: it ships everything) of each half."""
    finals = [r for r in final_releases(history)[1:] if window.contains(r.at)]
    middle = window.since + (window.until - window.since) / 2
    return middle, [r for r in finals if r.at < middle], [r for r in finals if r.at >= middle]


def failure_signals(history: History, start: datetime, end: datetime) -> tuple[list[str], list[str]]:
    """The reverts on long-lived lines and the hotfix episodes (first arrivals) in [start, end): their commits."""
    return ([r.commit for r in history.reverts if start <= r.at < end and r.line is not None],
            [e.id for e in episodes_in_window(history, Window(since=start, until=end))
             if e.kind is EpisodeKind.HOTFIX and e.repeat_of is None])


def window_spiral(history: History, window: Window) -> DeathSpiral:
    """Release interval and size growing together with failure signals (first half against second half)."""
    middle, early, late = window_halves(history, window)
    halves = (early, late)
    if len(early) + len(late) < 6:
        return DeathSpiral(warning=False,
                           reason=f"too few releases in the window to see a trend ({len(early) + len(late)} < 6)")
    if min(len(h) for h in halves) < 3:
        return DeathSpiral(warning=False, reason="releases are not spread over the window")

    def interval(releases: Sequence[Release]) -> float:
        days = [(b.at - a.at).total_seconds() / 86_400 for a, b in zip(releases, releases[1:])]
        return Distribution.of(days).p50 or 0.0

    def size(releases: Sequence[Release]) -> float:
        return Distribution.of([r.shipped for r in releases]).p50 or 0.0

    def failures_in(start: datetime, end: datetime) -> int:
        return sum(len(found) for found in failure_signals(history, start, end))

    first, second = halves
    grows = (interval(second) > 1.25 * interval(first), size(second) > 1.25 * size(first),
             failures_in(middle, window.until) > failures_in(window.since, middle))
    reason = (f"release interval {interval(first):.0f} -> {interval(second):.0f} days, "
              f"size {size(first):.0f} -> {size(second):.0f} commits, "
              f"failure signals {failures_in(window.since, middle)} -> {failures_in(middle, window.until)} "
              "(first half of the window -> second half)")
    return DeathSpiral(warning=all(grows), reason=reason)


def measure(history: History, window: Window, lines: Mapping[str, EpisodeLines], now: datetime,
            stale_days: int) -> Metrics:
    return Metrics(
        releases=release_metrics(history, window, lines),
        lead_time=lead_time(history, window),
        wip=work_in_progress(history, window, now, stale_days),
        integration=integration(history, window, lines),
        failures=failures(history, window),
        freeze=freeze(history, window),
        monthly=monthly(history, window),
        death_spiral=death_spiral(history, window),
        release_years=release_years(history, window),
    )
