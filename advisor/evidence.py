"""The measured facts a plan's settings rest on, each with the git command that checks it.

A setting is proposed at a stage only when the history allows it: linear history once merge
commits on the trunk have stopped, a pull-request rule with a bypass for the people (and the
release automation) that push directly today, up-to-date-before-merge only when integrations
are few enough that rebasing is cheap, last-push approval only where more than one person
merges. This module measures those facts from a Scan; `recommend` decides with them and the
plan prints them beside the git command a reader can run to check each.

Pure: a Scan in, facts out.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from advisor.classify import line_roles
from advisor.metrics import changes, episodes_in_window
from advisor import proofs
from advisor.model import Episode, EpisodeKind, History, MergeMethod, Window
from advisor.scan import Scan

RECENT_DAYS = 30  # "merge commits have stopped": none on the trunk in this many days
STRICT_MAX_PER_DAY = 5.0  # at most this many integrations per working day, rebasing before merge is cheap
MOST = 0.5  # "most changes": more than this share
SOURCE_STRICT = ("advisor default: with more than 5 integrations per working day, each pull request would "
                 "rebase several times a day before it could merge; a merge queue does that instead")

# Names release automation commits under: bots, `Name (build)`-style accounts, CI identities.
_AUTOMATION = re.compile(r"\[bot\]|\((?:build|bot|ci|release|automation)\)|(?:^|[-_ ])bot$|^(?:github-actions|"
                         r"dependabot|renovate|semantic-release|release-please|travis|jenkins|teamcity|appveyor|"
                         r"azure pipelines|gitlab ci)\b", re.IGNORECASE)
# Long-lived or release branch names that are maintained lines, with the pattern that protects them all.
_LINE_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<prefix>release|releases|support|maint|maintenance|stable|lts)/.+$"), "{prefix}/*"),
    (re.compile(r"^v?\d+(?:\.\d+)*\.x$"), "*.x"),
    # release-please's pull-request branches (release-please--branches--main) are the bot's work, deleted
    # when merged: protecting release-* from deletion would refuse that.
    (re.compile(r"^(?P<prefix>release|support|stable)-(?!please--).+$"), "{prefix}-*"),
    (re.compile(r"^.+-stable$"), "*-stable"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """One measured number and the sentence that says it, with the git command that shows it."""

    id: str
    text: str  # "0 merge commits on main in the last 30 days"
    value: float
    command: str  # a read-only git command; its output shows the number


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintainedLine:
    pattern: str  # a branch name or a pattern of names ("support/*", "*.x")
    names: tuple[str, ...]  # the branches with activity in the window it covers
    fact: Fact


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamFacts:
    trunk: str
    merge_commits: Fact  # merge commits on the trunk's first-parent line in the last RECENT_DAYS days
    direct: Fact  # changes that reached the trunk as direct pushes in the window (value: the share)
    direct_changes: int
    trunk_changes: int
    mergers: tuple[tuple[str, int], ...]  # who merged branches into the trunk in the window, most first
    merges_known: int  # merges whose merger is recorded (a forge's squash button records nobody)
    merging: Fact  # how concentrated merging is (value: distinct people who merged)
    automation: tuple[str, ...]  # release automation that committed on the trunk in the window
    automation_fact: Fact | None
    per_day: Fact  # integrations per working day
    maintained: tuple[MaintainedLine, ...]

    @property
    def most_direct(self) -> bool:
        return self.trunk_changes > 0 and self.direct_changes / self.trunk_changes > MOST

    @property
    def cheap_rebases(self) -> bool:
        return self.per_day.value <= STRICT_MAX_PER_DAY

    def all(self) -> tuple[Fact, ...]:
        facts = [self.merge_commits, self.direct, self.merging, self.per_day]
        if self.automation_fact is not None:
            facts.append(self.automation_fact)
        facts += [line.fact for line in self.maintained]
        return tuple(facts)


def _plural(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {plural or noun + 's'}"


def _date(moment: datetime) -> str:
    return moment.date().isoformat()


def _log(history: History, since: datetime, until: datetime, *options: str) -> str:
    # The window's instants with their zone (proofs.span): a bare date means that day at the
    # current time of day to git, so the same command would count differently by the hour.
    ref = proofs.ref_of(history, history.trunk.name) or history.trunk.name
    return " ".join(["git log --first-parent", *options, proofs.span(Window(since=since, until=until)),
                     shlex.quote(ref)])


def line_pattern(name: str) -> str | None:
    """The branch pattern that covers `name` and its siblings, when `name` has a maintained line's shape."""
    for shape, pattern in _LINE_SHAPES:
        match = shape.match(name)
        if match:
            return pattern.format(**match.groupdict())
    return None


def is_automation(name: str | None) -> bool:
    return bool(name) and _AUTOMATION.search(name or "") is not None


def team_facts(scan: Scan) -> TeamFacts:
    history, window = scan.history, scan.window
    trunk = history.trunk.name
    until = window.until
    recent = Window(since=until - timedelta(days=RECENT_DAYS), until=until)

    into_trunk = [e for e in episodes_in_window(history, recent) if e.target == trunk]
    merge_commits = {e.id.split(":")[0] for e in into_trunk if e.method is MergeMethod.MERGE}
    merge_commits |= {m.commit for m in history.line_merges if m.target == trunk and recent.contains(m.merged_at)}
    merges_fact = Fact(
        id="trunk-merge-commits",
        text=f"{_plural(len(merge_commits), 'merge commit')} on {trunk} in the last {RECENT_DAYS} days",
        value=float(len(merge_commits)),
        command=_log(history, recent.since, until, "--merges", "--oneline") + " | wc -l")

    counted = [e for e in changes(history, window) if e.target == trunk]
    direct = [e for e in counted if e.method is MergeMethod.DIRECT or e.kind is EpisodeKind.DIRECT]
    share = len(direct) / len(counted) if counted else 0.0
    direct_fact = Fact(
        id="direct-pushes",
        text=(f"{len(direct)} of {_plural(len(counted), 'change')} ({share:.0%}) reached {trunk} as direct pushes "
              f"in the window" if counted else f"no change reached {trunk} in the window"),
        value=round(share, 3),
        command=_log(history, window.since, until, "--no-merges", "--format='%h %an: %s'")
        + "  # commits without a pull request number or merge are direct pushes")

    merging_fact, mergers, known = _merging(history, window, counted, direct)

    bots: Counter[str] = Counter()
    for e in episodes_in_window(history, window):
        if e.target != trunk or e.repeat_of is not None:
            continue
        # One count per change: a bot's direct commit names it as both author and committer.
        found = {who for who in (e.merged_by, e.author if e.kind is EpisodeKind.DIRECT else None)
                 if who and (is_automation(who) or (e.bot and who == e.author))}
        for who in found:
            bots[who] += 1
    automation = tuple(sorted(bots, key=lambda n: (-bots[n], n)))
    automation_fact = None
    if automation:
        automation_fact = Fact(
            id="release-automation",
            text=f"release automation committed on {trunk} in the window: "
                 + ", ".join(f"{name} ({_plural(bots[name], 'commit')})" for name in automation),
            value=float(sum(bots.values())),
            command=_log(history, window.since, until, "--format=%cn") + " | sort | uniq -c | sort -rn")

    per_day = scan.metrics.integration.per_working_day
    per_day_fact = Fact(
        id="integrations-per-day",
        text=f"{per_day:.2f} integrations per working day on the long-lived lines in the window",
        value=round(per_day, 2),
        command=_log(history, window.since, until, "--oneline") + " | wc -l  # divided by the working days")
    return TeamFacts(
        trunk=trunk, merge_commits=merges_fact, direct=direct_fact, direct_changes=len(direct),
        trunk_changes=len(counted), mergers=mergers, merges_known=known, merging=merging_fact,
        automation=automation, automation_fact=automation_fact, per_day=per_day_fact,
        maintained=maintained_lines(scan))


def _merging(history: History, window: Window, counted: list[Episode],
             direct: list[Episode]) -> tuple[Fact, tuple[tuple[str, int], ...], int]:
    """Who merges: the authors of the merge commits that brought a change onto the trunk in the
    window. The merge commits git lists there that are no such change (a long-lived line merged
    in, a bot's branch, a branch merged again, an untrusted clock) are named and left out, so the
    command reproduces the counts exactly. Squashed and rebased changes record no merger."""
    trunk = history.trunk.name
    merges = [e for e in counted if e.method is MergeMethod.MERGE and e.merged_by]
    merges.sort(key=lambda e: e.merged_at)
    kept = {_merge_sha(e) for e in merges}
    others = [e for e in episodes_in_window(history, window)
              if e.target == trunk and e.method is MergeMethod.MERGE and _merge_sha(e) not in kept]
    line_merges = sorted({m.commit for m in history.line_merges
                          if m.target == trunk and window.contains(m.merged_at)} - kept)
    bots = sorted({_merge_sha(e) for e in others if e.bot} - set(line_merges))
    rest = sorted({_merge_sha(e) for e in others} - set(line_merges) - set(bots))
    merged = Counter(e.merged_by for e in merges if e.merged_by)
    mergers = tuple(sorted(merged.items(), key=lambda item: (-item[1], item[0])))
    known = len(merges)
    left = [(len(line_merges), "merging another long-lived line"), (len(bots), "by bots"),
            (len(rest), "of a branch merged before or with an untrusted clock")]
    left_text = "; ".join(f"{count} {why}" for count, why in left if count)
    squashed = len(counted) - len(direct) - known
    if mergers:
        name, top = mergers[0]
        text = (f"{_plural(len(mergers), 'person', 'people')} authored the {_plural(known, 'merge commit')} that "
                f"brought a change into {trunk} in the window; {name} authored {top} of {known}")
    elif squashed:
        text = f"no merge commit brought a change into {trunk} in the window"
    else:
        text = f"no branch was merged into {trunk} in the window"
    if left_text:
        text += f" (left out: {left_text})"
    if squashed > 0:
        text += (f"; {_plural(squashed, 'change')} came squashed or rebased, which records no merger in git")
    excluded = [*line_merges, *bots, *rest]
    if excluded:
        drop = " ".join(f"-e {shlex.quote('^' + sha[:12])}" for sha in excluded)
        command = (_log(history, window.since, window.until, "--merges", "--format='%H %an'")
                   + f" | grep -v {drop} | cut -d' ' -f2- | sort | uniq -c | sort -rn")
    else:
        command = (_log(history, window.since, window.until, "--merges", "--format=%an")
                   + " | sort | uniq -c | sort -rn")
    return Fact(id="mergers", text=text, value=float(len(mergers)), command=command), mergers, known


def _merge_sha(episode: Episode) -> str:
    return episode.id.split(":")[0]


def maintained_lines(scan: Scan) -> tuple[MaintainedLine, ...]:
    """The release lines that had activity in the window, grouped by the pattern that protects them."""
    history, window = scan.history, scan.window
    trunk = history.trunk.name
    roles = line_roles(history)
    retired = {scan.verdict.integration_line, scan.verdict.production_line, *roles.environment, trunk}
    active: dict[str, datetime] = {}

    def saw(name: str | None, at: datetime) -> None:
        if name and name not in retired and window.contains(at):
            active[name] = max(at, active.get(name, at))

    for line in history.long_lived:
        if line.name in roles.maintenance or line_pattern(line.name):
            saw(line.name, line.last_commit_at)
    for episode in episodes_in_window(history, window):
        if episode.target != trunk and (episode.target in roles.maintenance or line_pattern(episode.target)):
            saw(episode.target, episode.merged_at)
    for branch in history.live_branches:
        if line_pattern(branch.name):
            saw(branch.name, branch.last_commit_at)
    for release in history.releases:
        for name in (release.line, release.branch):
            if name and (name in roles.maintenance or line_pattern(name)):
                saw(name, release.at)
    # A short-lived branch already merged into the trunk is one the plan has the team delete (Gitflow's
    # finished release/x.y): protecting it from deletion would refuse that very step.
    finished = {b.name for b in history.live_branches if b.merged and not b.long_lived}
    groups: dict[str, list[str]] = {}
    for name in sorted(set(active) - finished):
        groups.setdefault(line_pattern(name) or name, []).append(name)
    result = []
    for pattern, names in sorted(groups.items()):
        last = max(active[n] for n in names)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        result.append(MaintainedLine(pattern=pattern, names=tuple(names), fact=Fact(
            id=f"maintained:{pattern}",
            text=f"{pattern}: {_plural(len(names), 'line')} with activity in the window ({shown}), "
                 f"the last on {_date(last)}",
            value=float(len(names)),
            command=f"git for-each-ref --sort=-committerdate --format='%(committerdate:short) %(refname:short)' "
                    f"{shlex.quote('refs/heads/' + pattern)}")))
    return tuple(result)
