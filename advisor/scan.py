"""Compose the stages into one Scan: the library's entry point.

Pure: the history, the line statistics and the trial merges come in as values,
and `now` is a parameter, so the same inputs always give the same Scan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta, timezone

from advisor import __version__
from advisor.classify import MIN_INTEGRATIONS, Verdict, classify
from advisor.metrics import Metrics, changes, episode_role, episodes_in_window, integration_line, measure
from advisor.model import counted
from advisor.model import (
    SCHEMA_VERSION,
    STALE_DAYS,
    Distribution,
    Episode,
    EpisodeKind,
    EpisodeLines,
    History,
    LiveBranch,
    MergeCheck,
    MergeMethod,
    Ref,
    RefKind,
    Release,
    Window,
    instant,
    is_stale,
)
from advisor.firststeps import Step, first_steps
from advisor.proofs import Proof, metric_proofs

DEFAULT_WINDOW_DAYS = 365


def default_window(now: datetime, since: datetime | None = None, until: datetime | None = None,
                   days: int = DEFAULT_WINDOW_DAYS) -> Window:
    """[since, until): by default the `days` before `until`, which defaults to now."""
    end = until or now
    return Window(since=since or end - timedelta(days=days), until=end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dormancy:
    """The default window held no commit on any long-lived line (or too few integrations for a verdict
    and no such commit in the last 90 days, or the clone went quiet for far longer than the busy team
    ever waits: `behind`), so it was moved back to end where the history does: at the UTC day after the
    newest commit on any long-lived line."""

    newest: datetime  # committer date of the newest tip of any long-lived line (git log -1 --format=%cI <line>)
    line: str  # the long-lived line that commit is the tip of
    idle_days: int  # whole days from that commit to the scan's time
    note: str  # the one line every command prints about it
    behind: bool = False  # the history was busy up to its newest commit: the clone, not the team, went quiet


def dormancy_note(newest: datetime, line: str, idle_days: int, days: int = DEFAULT_WINDOW_DAYS) -> str:
    span = "the year" if days == DEFAULT_WINDOW_DAYS else f"the {days} days"
    return (f"no commit in the last {days} days; the newest is {newest:%Y-%m-%d} (on {line}, {idle_days} days ago): "
            f"measuring {span} before it; pass --until to choose")


QUIET_DAYS = 90  # a default window too thin for a verdict is moved back when its newest commit is older than this


def trickle_note(newest: datetime, line: str, idle_days: int, integrations: int,
                 days: int = DEFAULT_WINDOW_DAYS) -> str:
    span = "the year" if days == DEFAULT_WINDOW_DAYS else f"the {days} days"
    return (f"only {integrations} integrations in the last {days} days and no commit in the last {QUIET_DAYS}; "
            f"the newest is {newest:%Y-%m-%d} (on {line}, {idle_days} days ago): "
            f"measuring {span} before it; pass --until to choose")


BEHIND_MIN_DAYS = 30  # a clone quiet for less than this is read as it is
BEHIND_GAP_FACTOR = 4  # ... and quiet for this many times the history's longest wait between integrations
BEHIND_MIN_INTEGRATIONS = 20  # ... over a year before its newest commit busy enough to have a rhythm


def behind_note(newest: datetime, line: str, idle_days: int, longest_gap_days: int,
                days: int = DEFAULT_WINDOW_DAYS) -> str:
    span = "the year" if days == DEFAULT_WINDOW_DAYS else f"the {days} days"
    return (f"the newest commit is {newest:%Y-%m-%d} (on {line}, {idle_days} days ago), though the year before it never "
            f"waited more than {longest_gap_days} day{'s' if longest_gap_days != 1 else ''} between integrations: this clone looks behind its "
            f"remote; measuring {span} before that commit, as of that day (git fetch to bring it up to date, or "
            f"pass --until to choose)")


def longest_wait_days(history: History, newest: datetime) -> int | None:
    """The longest wait between consecutive integrations (and from the last one to `newest`) in the
    year before `newest`, in whole days rounded up; None when that year holds too few for a rhythm."""
    year = Window(since=newest - timedelta(days=DEFAULT_WINDOW_DAYS), until=newest + timedelta(seconds=1))
    moments = sorted((e.merged_at for e in changes(history, year)), key=instant)
    if len(moments) < BEHIND_MIN_INTEGRATIONS:
        return None
    gaps = [later - earlier for earlier, later in zip(moments, moments[1:] + [newest])]
    return max(1, -(-int(max(gaps).total_seconds()) // 86_400))


def newest_line_commit(history: History) -> tuple[datetime, str] | None:
    """The newest tip of any long-lived line (the trunk is one) and its line's name."""
    tips = [(line.last_commit_at, line.name) for line in history.long_lived]
    return max(tips, key=lambda t: (t[0], t[1])) if tips else None


def dormancy(history: History, now: datetime, days: int = DEFAULT_WINDOW_DAYS,
             integrations: int | None = None) -> Dormancy | None:
    """When the `days` before `now` hold no commit on any long-lived line: the dormancy. Also
    when they hold fewer than `classify.MIN_INTEGRATIONS` `integrations` (too few for a verdict)
    and the newest long-lived commit is more than `QUIET_DAYS` before `now` (a trickle of
    activity at the start of a year-old mirror). Else None."""
    newest = newest_line_commit(history)
    if newest is None:
        return None
    moment, line = newest
    idle = int((now - moment).total_seconds() // 86_400)
    if idle >= BEHIND_MIN_DAYS:
        # A team that integrated every few days does not stop dead for months: the clone was not fetched.
        # Read as of its newest commit, not as a dormant project (which would get no plan) nor as
        # months of sudden idleness (which would call every live branch stale).
        wait = longest_wait_days(history, moment)
        if wait is not None and idle >= BEHIND_GAP_FACTOR * wait:
            return Dormancy(newest=moment, line=line, idle_days=idle, behind=True,
                            note=behind_note(moment, line, idle, wait, days))
    if moment < now - timedelta(days=days):
        return Dormancy(newest=moment, line=line, idle_days=idle, note=dormancy_note(moment, line, idle, days))
    if integrations is not None and integrations < MIN_INTEGRATIONS and moment < now - timedelta(days=QUIET_DAYS):
        return Dormancy(newest=moment, line=line, idle_days=idle,
                        note=trickle_note(moment, line, idle, integrations, days))
    return None


def choose_window(history: History, now: datetime, *, since: datetime | None = None, until: datetime | None = None,
                  days: int = DEFAULT_WINDOW_DAYS, explicit: bool = False) -> tuple[Window, Dormancy | None]:
    """The window to measure. Given dates (`explicit`, or `since`/`until`) are obeyed as given;
    otherwise the `days` before `now`, unless those hold no commit on any long-lived line, or
    too few integrations for a verdict while the newest such commit is over `QUIET_DAYS` old:
    then the `days` before the UTC day after the newest such commit (a dormant repository is
    measured over its last active year, not over a year of silence)."""
    if explicit or since is not None or until is not None:
        return default_window(now, since, until, days), None
    window = default_window(now, days=days)
    dormant = dormancy(history, now, days, integrations=len(changes(history, window)))
    if dormant is None:
        return default_window(now, days=days), None
    day_after = datetime.combine(dormant.newest.astimezone(timezone.utc).date() + timedelta(days=1), time(),
                                 tzinfo=timezone.utc)
    end = min(day_after, now)
    return Window(since=end - timedelta(days=days), until=end), dormant


@dataclass(frozen=True, slots=True, kw_only=True)
class LeftOut:
    """A ref the scan does not name as a branch, and why."""

    name: str  # the branch name it would have had
    ref: str  # the full ref name
    reason: str  # why it is not a branch of the project on its host


REMOTE_IN_BARE = "a remote-tracking ref kept in a bare repository or mirror: no branch of that name exists on the host"
OTHER_REMOTE = "a remote-tracking ref of another remote than origin"


def host_branch_refs(refs: Sequence[Ref], bare: bool) -> tuple[tuple[Ref, ...], tuple[LeftOut, ...]]:
    """The refs that name the project's branches on its host, and the others left out. In a bare
    repository or mirror the host's branches are its heads: refs/remotes/* there were pushed to
    or fetched into the host by someone (curl's refs/remotes/origin/master), and no one can
    finish or delete them as branches. In a clone, origin's remote-tracking refs and the local
    heads are; another remote's refs are left out when origin has any."""
    has_origin = any(r.kind is RefKind.REMOTE and r.remote == "origin" for r in refs)
    kept, left = [], []
    for ref in refs:
        if ref.kind is RefKind.REMOTE and bare:
            left.append(LeftOut(name=ref.short, ref=ref.name, reason=REMOTE_IN_BARE))
        elif ref.kind is RefKind.REMOTE and has_origin and ref.remote != "origin":
            left.append(LeftOut(name=ref.short, ref=ref.name, reason=OTHER_REMOTE))
        else:
            kept.append(ref)
    return tuple(kept), tuple(sorted(left, key=lambda r: r.ref))


def unrelated_branches(history: History) -> tuple[LeftOut, ...]:
    """Live branches that share no commit with the trunk (gh-pages: a site or docs line): not
    work to finish or delete. `git merge-base <trunk> <branch>` prints nothing for them."""
    return tuple(
        LeftOut(name=b.name, ref=b.ref, reason=f"shares no history with {history.trunk.name} (its own root commit)")
        for b in history.live_branches
        if not b.merged and not b.long_lived and b.base is None and b.forked_at is None)


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoFacts:
    path: str
    bare: bool
    commits: int
    branches: int
    tags: int
    pull_refs: int
    shallow: bool
    left_out: tuple[LeftOut, ...] = ()  # refs not read as branches (remote-tracking refs in a mirror), and why


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveBranchReport:
    branch: LiveBranch
    stale: bool
    idle_days: float
    age_days: float | None
    merge: MergeCheck | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """What the terminal shows first, for episodes merged into the trunk within the window."""

    episodes: int
    episodes_in_window: int
    from_deleted_branches: int
    bot_episodes: int
    methods: dict[str, int]  # merge method -> episodes into the trunk in the window
    lifetime_hours: Distribution
    size_commits: Distribution
    size_lines: Distribution
    behind_at_merge: Distribution
    releases_in_window: int
    clock_skewed_episodes: int
    lifetime_unknown: int = 0  # squash merges into the trunk in the window without their branch (no PR ref)
    squashes_from_pull_refs: int = 0  # squash merges into the trunk in the window dated from their PR ref
    lifetime_notes: tuple[str, ...] = ()  # how squash merges were dated, or how many were not and how to fix that
    work_line: str = ""  # the line the work rows describe: the integration line (develop) when there is one, else the trunk
    work_branches: int = 0  # work branches merged into work_line in the window, bots' branches and clock-skewed ones left out (as the flow table's branch lifetime leaves them out): lifetime, size, behind and `from_deleted_branches` are theirs
    release_branches: int = 0  # release and hotfix episodes merged in the window (first arrivals), on any line
    hotfix_branches: int = 0  # of those, hotfixes (metrics.episode_role: by name, or by route into the production line)
    release_lifetime_hours: Distribution = Distribution(count=0, p50=None, p90=None, max=None)  # their lifetimes
    release_size_commits: Distribution = Distribution(count=0, p50=None, p90=None, max=None)  # their commits


@dataclass(frozen=True, slots=True, kw_only=True)
class Scan:
    schema_version: int
    tool_version: str
    scanned_at: datetime
    window: Window
    repo: RepoFacts
    history: History
    lines: Mapping[str, EpisodeLines]  # episode id -> lines, for episodes in the window
    live: tuple[LiveBranchReport, ...]
    summary: Summary
    metrics: Metrics
    verdict: Verdict
    first_steps: tuple[Step, ...]
    proofs: Mapping[str, tuple[Proof, ...]] = field(default_factory=dict)  # metric group -> how to reproduce its numbers (JSON: metrics.<group>.reproduce)
    left_out: tuple[LeftOut, ...] = ()  # refs not named as branches anywhere in the scan (mirror leftovers, lines with no common history), and why
    dormant: Dormancy | None = None  # set when the default window was moved back to the newest commit: the numbers describe the window's end

    @property
    def measured_at(self) -> datetime:
        """The moment the numbers describe: the window's end for a dormant repository, else now."""
        return self.window.until if self.dormant is not None else self.scanned_at


def commits_needing_stats(history: History, window: Window) -> list[str]:
    """The commits whose line counts the scan reports: those of episodes merged in the window."""
    return sorted({sha for e in episodes_in_window(history, window) for sha in e.commits})


def episode_lines(episodes: Sequence[Episode], stats: Mapping[str, tuple[int, int]]) -> dict[str, EpisodeLines]:
    """Lines per episode; an episode with a commit whose diff could not be read has none."""
    result = {}
    for episode in episodes:
        if not all(sha in stats for sha in episode.commits):
            continue
        added = sum(stats[sha][0] for sha in episode.commits)
        deleted = sum(stats[sha][1] for sha in episode.commits)
        result[episode.id] = EpisodeLines(added=added, deleted=deleted)
    return result


def _live_reports(history: History, checks: Sequence[MergeCheck], now: datetime) -> tuple[LiveBranchReport, ...]:
    by_name = {check.branch: check for check in checks}
    reports = []
    for branch in history.live_branches:
        # A dormant scan reads at the window's end; a branch touched after it is not idle then (never negative).
        idle = max(0.0, (now - branch.last_commit_at).total_seconds() / 86_400)
        age = max(0.0, (now - branch.forked_at).total_seconds() / 86_400) if branch.forked_at else None
        reports.append(LiveBranchReport(
            branch=branch, stale=is_stale(branch.last_commit_at, now), idle_days=idle, age_days=age, merge=by_name.get(branch.name),
        ))
    return tuple(reports)


PULL_REFSPECS = {
    "GitHub": "git fetch origin '+refs/pull/*/head:refs/pull/*/head'",
    "GitLab": "git fetch origin '+refs/merge-requests/*/head:refs/merge-requests/*/head'",
}


def lifetime_notes(metrics: Metrics, squashes_from_pull_refs: int, pull_refs: int) -> tuple[str, ...]:
    """Whether squash merges could be dated: from their pull-request refs, or not at all (a plain clone)."""
    notes = []
    unknown = metrics.integration.lifetime_unknown
    if unknown:
        why = ("their pull-request refs are not in this repository" if not pull_refs
               else "no pull-request ref of this repository holds their branch")
        fetch = "; ".join(f"{host}: {command}" for host, command in PULL_REFSPECS.items())
        notes.append(f"{counted(unknown, 'squash merge')} {'has' if unknown == 1 else 'have'} no lifetime: {why}, "
                     "and a squash commit dates only its merge. "
                     f"They are left out of branch lifetime, merged within a day and lead time "
                     f"({counted(metrics.lead_time.unknown_start, 'change')}), never counted as 0 h. To date them, fetch "
                     f"the pull-request heads ({fetch}) and scan again.")
    if squashes_from_pull_refs:
        notes.append(f"{counted(squashes_from_pull_refs, 'squash merge')} into the trunk "
                     f"{'is' if squashes_from_pull_refs == 1 else 'are'} dated from their pull-request "
                     f"refs ({pull_refs} in this repository): their lifetimes run from the branch's first commit.")
    return tuple(notes)


def _with_notes(summary: Summary, metrics: Metrics, pull_refs: int) -> Summary:
    return replace(summary, lifetime_notes=lifetime_notes(metrics, summary.squashes_from_pull_refs, pull_refs))


def summarise(history: History, window: Window, lines: Mapping[str, EpisodeLines],
              releases: Sequence[Release]) -> Summary:
    """The methods are of integrations into the trunk; the branch rows are of work branches into
    the line work lands on (Gitflow's develop, else the trunk), and release and hotfix episodes
    get rows of their own (`metrics.episode_role`)."""
    in_window = episodes_in_window(history, window)
    into_trunk = [e for e in in_window if e.target == history.trunk.name and e.repeat_of is None]
    branches = [e for e in into_trunk if e.kind is not EpisodeKind.DIRECT]
    methods = Counter(e.method.value for e in into_trunk)
    beside = integration_line(history, window)
    work_line = beside or history.trunk.name
    firsts = [e for e in in_window if e.repeat_of is None]
    roles = {e.id: episode_role(e, history, beside) for e in firsts}
    # Bots' branches and untrusted clocks are left out, as the flow table's lifetimes leave them out.
    work = [e for e in firsts if e.target == work_line and roles[e.id] is EpisodeKind.FEATURE
            and not e.bot and not e.clock_skew]
    batches = [e for e in firsts if roles[e.id] in (EpisodeKind.RELEASE, EpisodeKind.HOTFIX)]
    lifetimes = [e.lifetime_seconds / 3600 for e in work if e.lifetime_seconds is not None]
    return Summary(
        episodes=sum(1 for e in history.episodes if e.repeat_of is None),
        episodes_in_window=len(into_trunk),
        from_deleted_branches=sum(1 for e in work if e.deleted),
        bot_episodes=sum(1 for e in into_trunk if e.bot),
        methods={method.value: methods.get(method.value, 0) for method in MergeMethod},
        lifetime_hours=Distribution.of(lifetimes),
        size_commits=Distribution.of([len(e.commits) for e in work]),
        size_lines=Distribution.of([lines[e.id].added + lines[e.id].deleted for e in work if e.id in lines]),
        behind_at_merge=Distribution.of([e.behind for e in work if e.behind is not None]),
        releases_in_window=sum(1 for r in releases if window.contains(r.at)),
        clock_skewed_episodes=sum(1 for e in into_trunk if e.clock_skew),
        lifetime_unknown=sum(1 for e in branches if e.lifetime_unknown),
        squashes_from_pull_refs=sum(1 for e in branches if e.method is MergeMethod.SQUASH and e.exact_lifetime),
        work_line=work_line,
        work_branches=len(work),
        release_branches=len(batches),
        hotfix_branches=sum(1 for e in batches if roles[e.id] is EpisodeKind.HOTFIX),
        release_lifetime_hours=Distribution.of([e.lifetime_seconds / 3600 for e in batches
                                                if e.lifetime_seconds is not None]),
        release_size_commits=Distribution.of([len(e.commits) for e in batches]),
    )


def scan(*, history: History, repo: RepoFacts, stats: Mapping[str, tuple[int, int]],
         checks: Sequence[MergeCheck], window: Window, now: datetime, dormant: Dormancy | None = None) -> Scan:
    """The scan at `now`. With `dormant`, the window was moved back to the history's end, and
    staleness, work in progress and the verdict are read at the window's end (as the team
    stood when it last worked), not a year of silence later."""
    unrelated = unrelated_branches(history)
    if unrelated:
        gone = {r.ref for r in unrelated}
        history = replace(history, live_branches=tuple(b for b in history.live_branches if b.ref not in gone))
    lines = episode_lines(episodes_in_window(history, window), stats)
    moment = window.until if dormant is not None else now
    metrics = measure(history, window, lines, moment, STALE_DAYS)
    verdict = classify(history, metrics, window, moment, STALE_DAYS)
    live = _live_reports(history, checks, moment)
    return Scan(
        schema_version=SCHEMA_VERSION,
        tool_version=__version__,
        scanned_at=now,
        window=window,
        repo=repo,
        history=history,
        lines=lines,
        live=live,
        summary=_with_notes(summarise(history, window, lines, history.releases), metrics, repo.pull_refs),
        metrics=metrics,
        verdict=verdict,
        first_steps=first_steps(verdict, metrics),
        proofs=metric_proofs(history, metrics, window, changes(history, window),
                             [(report.branch, report.stale) for report in live]),
        dormant=dormant,
        left_out=repo.left_out + unrelated,
    )
