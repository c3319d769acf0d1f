"""Which branching model the history follows: evidence first, then scores, then a verdict.

`observe` turns a History (and a window) into facts with numbers; `score`
turns facts into a score per model; `classify` picks the model and says how
sure it is. The three are separate so each can be checked on its own, and so
the evidence shown is exactly what the scores were computed from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from advisor.metrics import (Metrics, changes, episodes_in_window, landed_as_commits, picks_in_window, releases_in_window,
                             work_branches)
from advisor.model import CherryPickDirection, EpisodeKind, History, LineMergeKind, MergeMethod, Window, is_stale
from advisor.model import counted as _counted
from advisor import proofs, roles
from advisor.proofs import Proof
from advisor.roles import Roles as Roles

MIN_INTEGRATIONS = 5  # fewer than this in a window and no model is named
DAY = 86_400


class Model(StrEnum):
    GITFLOW = "gitflow"
    GITHUB_FLOW = "github-flow"
    TRUNK_BASED = "trunk-based"
    RELEASE_BRANCHING = "release-branching"
    GITLAB_FLOW = "gitlab-flow"
    UNKNOWN = "unknown"


MODELS = (Model.GITFLOW, Model.GITHUB_FLOW, Model.TRUNK_BASED, Model.RELEASE_BRANCHING, Model.GITLAB_FLOW)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """The facts the scores are computed from, all measured in one window."""

    integrations: int
    on_trunk: int
    on_integration_line: int  # landed first on a long-lived line that is neither production nor maintenance
    integration_line: str | None
    production_line: str | None  # a non-trunk line carrying releases and fed by the trunk's work
    release_branch_merges: int  # release/* and hotfix/* episodes
    release_merges: int  # the integration line merged into the production line (a release)
    releases_on_production: int  # version tags on the production line in the window
    back_merges: int  # trunk or production merged back into the integration line, or branches merged twice
    maintenance_lines: tuple[str, ...]  # maintained release lines: fed by fixes and active in the window
    maintenance_active: int  # how many maintained lines (all of maintenance_lines are active)
    stale_lines: tuple[str, ...]  # release lines with no commit, tag, pick or merge in the window: dormant
    picks_to_branches: int
    picks_to_trunk: int
    forward_merges: int
    environment_lines: tuple[str, ...]
    promotions: int
    next_release_lines: tuple[str, ...] = ()  # lines collecting the next release, active in the window
    on_next_release: int = 0  # integrations that landed first on them in the window
    next_release_syncs: int = 0  # merges of the trunk into them in the window
    branch_episodes: int
    direct: int
    squash_or_rebase: int
    with_pr: int
    landed_as_commits: int = 0  # direct commits citing the pull request they landed ("Closes #N", "PR-URL:")
    within_a_day: int  # branch episodes living under 24 hours
    dated_branches: int = 0  # work branches whose lifetime is known (not squashes without their PR ref)
    undated_branches: int = 0  # work branches without a lifetime: squash merges without their PR ref
    lifetime_p50_hours: float | None
    active_branches: int
    ff_pointer: str | None  # a branch named like a second line that only ever fast-forwards with the trunk


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    id: str
    text: str
    supports: tuple[str, ...]
    reproduce: tuple[Proof, ...] = ()  # the git commands that give its numbers again (advisor scan --explain)


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    period: str  # YYYY-Qn
    model: str
    confidence: str
    integrations: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    id: str
    name: str
    passed: bool
    value: str
    threshold: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Conformance:
    score: float  # share of checks passed
    checks: tuple[Check, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    model: str
    confidence: str
    trunk_habit: str | None  # github-flow or trunk-based: how work reaches the trunk, whatever the model
    integration_line: str | None  # the long-lived line work integrates on, when it is not the trunk alone
    production_line: str | None  # a line beside the trunk that releases come from (Gitflow's master)
    maintained_lines: tuple[str, ...]  # release lines fed by fixes that were active in the window
    stale_lines: tuple[str, ...]  # release lines with no commit, tag or merge in the window: not maintained
    quarters_agreeing: int  # quarters in the window whose own verdict is this model
    quarters_named: int  # quarters in the window with enough integrations to name a model
    scores: dict[str, float]
    evidence: tuple[Evidence, ...]
    thin: str | None  # why the model is unknown, when it is
    periods: tuple[Period, ...]
    conformance: Conformance


# ---------------------------------------------------------------------------
# Evidence


def line_roles(history: History) -> Roles:
    """Each long-lived line's role over the whole history (`advisor.roles`), asked by the verdict, the evidence
    and the plan of one scan: worked out once, by the reconstruction itself when it built `history`."""
    return roles.of_history(history)


def active_lines(history: History, window: Window, names: Iterable[str]) -> tuple[str, ...]:
    """The lines among `names` with a commit, a tag, a cherry-pick or a merge received in the window."""
    # Episodes are in merge order: the window's are found by bisection, not by testing all of them.
    busy = {e.target for e in episodes_in_window(history, window) if e.repeat_of is None}
    busy |= {r.line for r in releases_in_window(history, window) if r.line}
    busy |= {p.line for p in picks_in_window(history, window) if p.line}
    busy |= {m.target for m in history.line_merges if window.contains(m.merged_at)}
    return tuple(name for name in names if name in busy)


def observe(history: History, window: Window, now: datetime, stale_days: int,
            roles: Roles | None = None) -> Observation:
    counted = changes(history, window)
    trunk = history.trunk.name
    lines = {line.name: line for line in history.long_lived}
    in_window = [m for m in history.line_merges if window.contains(m.merged_at)]
    all_episodes = episodes_in_window(history, window)
    roles = roles or line_roles(history)
    production, maintenance, environment = roles.production, roles.maintenance, roles.environment
    released_in_window = list(releases_in_window(history, window))
    maintained = active_lines(history, window, maintenance)
    # A production line moved by fast-forward releases the trunk's tagged commits: its tags are the trunk's.
    pushed = history.trunk.fast_forwarded.line if history.trunk.fast_forwarded is not None else None
    pushed = production if production is not None and production == pushed else None
    if production is not None and production != pushed and released_in_window \
            and not window.contains(lines[production].last_commit_at) \
            and not any(r.line == production for r in released_in_window):
        production = None  # the window's releases came from elsewhere: this idle line carries none now
    landed = Counter(e.target for e in counted)
    # An integration line passes its work on to the trunk; a long branch whose work
    # never reached the trunk is work in progress, not an integration line.
    upcoming = active_lines(history, window, roles.next_release)
    others = [name for name in lines if name not in (trunk, production, *maintenance, *environment, *roles.next_release)
              and name in roles.feeds_trunk]
    integration_line = max(others, key=lambda name: (landed[name], name), default=None)
    if integration_line is not None and landed[integration_line] == 0:
        integration_line = None
    if integration_line is None and production is not None and landed[trunk]:
        integration_line = trunk  # Gitflow with develop as the default branch: master is the production line
    branches = [e for e in counted if e.kind is not EpisodeKind.DIRECT]
    # Lifetimes are the work branches', as the flow table's are: release and hotfix episodes are apart.
    work = work_branches(history, window, counted)
    lifetimes = sorted(e.lifetime_seconds for e in work if e.lifetime_seconds is not None)
    live_open = [b for b in history.live_branches if not b.merged and not b.long_lived]
    # A branch named like a line of its own that rests on the trunk's own first-parent chain; not one whose
    # past as a line history shows (gitflow-avh's master, fast-forwarded onto develop after years of releases).
    line_names = {line.name for line in history.long_lived}
    pointer = next((b.name for b in history.live_branches if b.on_trunk_line and b.name not in line_names
                    and b.name in ("master", "main", "production", "develop", "stable")), None)
    picked = Counter(p.direction for p in picks_in_window(history, window))
    back = sum(1 for m in in_window if m.kind is LineMergeKind.BACK_MERGE)
    back += sum(1 for e in all_episodes if e.repeat_of is not None)
    return Observation(
        integrations=len(counted),
        on_trunk=landed[trunk],
        on_integration_line=landed[integration_line] if integration_line and integration_line != trunk else (
            landed[trunk] if integration_line == trunk else 0),
        integration_line=integration_line,
        production_line=production,
        release_branch_merges=sum(1 for e in counted if e.target in (trunk, production) and (
            e.kind is EpisodeKind.HOTFIX or e.kind is EpisodeKind.RELEASE and e.forked_from not in (None, e.target))),
        release_merges=sum(1 for m in in_window if m.kind is LineMergeKind.RELEASE),
        releases_on_production=sum(1 for r in released_in_window
                                   if production and r.line == (trunk if production == pushed else production)),
        back_merges=back,
        maintenance_lines=maintained,
        maintenance_active=len(maintained),
        stale_lines=tuple(name for name in maintenance if name not in maintained),
        picks_to_branches=picked[CherryPickDirection.TRUNK_TO_BRANCH],
        picks_to_trunk=picked[CherryPickDirection.BRANCH_TO_TRUNK],
        forward_merges=sum(1 for m in in_window if m.kind is LineMergeKind.FORWARD),
        environment_lines=environment,
        next_release_lines=upcoming,
        on_next_release=sum(landed[name] for name in upcoming),
        next_release_syncs=sum(1 for m in in_window if m.source == trunk and m.target in upcoming),
        promotions=sum(1 for m in in_window if m.kind is LineMergeKind.PROMOTION and m.target in environment),
        branch_episodes=len(branches),
        direct=len(counted) - len(branches),
        squash_or_rebase=sum(1 for e in branches if e.method in (MergeMethod.SQUASH, MergeMethod.REBASE)),
        with_pr=sum(1 for e in branches if e.pr is not None),
        landed_as_commits=len(landed_as_commits(counted)),
        within_a_day=sum(1 for seconds in lifetimes if seconds <= DAY),
        dated_branches=len(lifetimes),
        undated_branches=len(work) - len(lifetimes),
        lifetime_p50_hours=lifetimes[(len(lifetimes) + 1) // 2 - 1] / 3600 if lifetimes else None,
        active_branches=sum(1 for b in live_open if not is_stale(b.last_commit_at, now, stale_days)),
        ff_pointer=pointer,
    )


def evidence(obs: Observation, history: History, window: Window) -> tuple[Evidence, ...]:
    """Sentences a reviewer can check with git, each naming the models it supports and
    carrying the commands that reproduce its numbers."""
    found: list[Evidence] = []
    trunk = history.trunk.name
    counted = changes(history, window)
    branches = [e for e in counted if e.kind is not EpisodeKind.DIRECT]
    total = proofs.integrations_total(history, window, counted)

    def add(ident: str, text: str, *models: Model, proof: tuple[Proof, ...] = ()) -> None:
        found.append(Evidence(id=ident, text=text, supports=tuple(m.value for m in models), reproduce=proof))

    def on(name: str) -> Proof:
        return proofs.integrations_on(history, window, name, counted)

    def names(found: tuple[str, ...]) -> str:
        return ", ".join(found[:4]) + ("..." if len(found) > 4 else "")

    def share(part: int, whole: int) -> str:
        return f"{100 * part / whole:.0f}%" if whole else "0%"

    fed = history.trunk.fast_forwarded
    if obs.integration_line and obs.production_line and fed is not None and fed.line == obs.production_line:
        add("two-lines", f"{obs.integration_line} received {obs.on_integration_line} of {obs.integrations} "
            f"integrations in the window while {obs.production_line} carries the releases: it moves by "
            f"fast-forward to {trunk} ({obs.releases_on_production} version tags on {trunk} in the window) and "
            f"had commits of its own, merged back", Model.GITFLOW,
            proof=(on(obs.integration_line), total, proofs.tags_on(history, window, trunk),
                   *proofs.trunk_choice(history)))
    elif obs.integration_line and obs.production_line:
        add("two-lines", f"{obs.integration_line} received {obs.on_integration_line} of {obs.integrations} "
            f"integrations in the window while {obs.production_line} carries the releases "
            f"({obs.releases_on_production} version tags in the window)", Model.GITFLOW,
            proof=(on(obs.integration_line), total, proofs.tags_on(history, window, obs.production_line)))
    elif obs.integration_line and obs.integration_line != trunk:
        add("integration-line", f"{obs.integration_line} received {obs.on_integration_line} of {obs.integrations} "
            f"integrations in the window and is merged into {trunk} to release", Model.GITFLOW,
            proof=(on(obs.integration_line), total))
    if obs.release_merges:
        source = obs.integration_line or trunk
        into = obs.production_line or trunk
        add("release-merges", f"{source} was merged into {into} {obs.release_merges} times in the window "
            "(releases)", Model.GITFLOW,
            proof=(proofs.line_merges(history, window, LineMergeKind.RELEASE, source, into),))
    if obs.release_branch_merges:
        add("release-branches", f"{obs.release_branch_merges} release/hotfix branches were merged in the window",
            Model.GITFLOW, proof=(proofs.described(
                "branches named release/* or hotfix/* (from the merge subject or a live ref) merged into the "
                "trunk or the production line, and release branches forked from another line",
                [e for e in counted if e.target in (trunk, obs.production_line) and (
                    e.kind is EpisodeKind.HOTFIX or e.kind is EpisodeKind.RELEASE
                    and e.forked_from not in (None, e.target))], "release/hotfix branches"),))
    if obs.back_merges:
        add("back-merges", f"{_counted(obs.back_merges, 'back-merge')} in the window (a line merged back into the integration line, or a "
            "branch merged into two lines)", Model.GITFLOW, proof=(proofs.back_merges(history, window),))
    if obs.maintenance_lines:
        add("maintenance-lines", f"{_counted(len(obs.maintenance_lines), 'maintained release line')}, active in the window "
            f"({names(obs.maintenance_lines)}); {_counted(obs.picks_to_branches, 'cherry-pick')} from {trunk} "
            f"to release lines and {_counted(obs.forward_merges, 'forward merge')} into {trunk}", Model.RELEASE_BRANCHING,
            proof=(proofs.picks_into(history, window, obs.maintenance_lines),
                   *(proofs.line_merges(history, window, LineMergeKind.FORWARD, name, trunk)
                     for name in obs.maintenance_lines)))
    if obs.stale_lines:
        add("stale-lines", f"{_counted(len(obs.stale_lines), 'release line')} had no commit, tag or merge in the window "
            f"({names(obs.stale_lines)}): stale, not maintained",
            proof=tuple(proofs.last_commit(history, name) for name in obs.stale_lines))
    if obs.next_release_lines:
        # Work for the next release collected beside the trunk (netbox's feature, git's next): no
        # release line, and no Gitflow unless it takes the work the trunk should (integration-line).
        add("next-release-lines", f"{names(obs.next_release_lines)} collected the next release beside {trunk}: "
            f"{obs.on_next_release} of {obs.integrations} integrations in the window landed there first and "
            f"{trunk} was merged into {'it' if len(obs.next_release_lines) == 1 else 'them'} "
            f"{_counted(obs.next_release_syncs, 'time')}; no final release was tagged on "
            f"{'it' if len(obs.next_release_lines) == 1 else 'them'}",
            proof=(*(on(name) for name in obs.next_release_lines),
                   *(proofs.line_merges(history, window, LineMergeKind.SYNC, trunk, name)
                     for name in obs.next_release_lines)))
    if obs.environment_lines:
        add("environments", f"{', '.join(obs.environment_lines)} received {_counted(obs.promotions, 'promotion')} from "
            f"{trunk} in the window", Model.GITLAB_FLOW,
            proof=tuple(proofs.line_merges(history, window, LineMergeKind.PROMOTION, trunk, name)
                        for name in obs.environment_lines))
    if obs.ff_pointer:
        add("ff-pointer", f"{obs.ff_pointer} only ever points at a commit of {trunk} (a release pointer "
            "moved by fast-forward, not a second line of development)", Model.TRUNK_BASED, Model.GITHUB_FLOW,
            proof=proofs.pointer(history, obs.ff_pointer))
    if obs.integrations:
        add("trunk-share", f"{share(obs.on_trunk, obs.integrations)} of integrations ({obs.on_trunk} of "
            f"{obs.integrations}) landed directly on {trunk}",
            Model.TRUNK_BASED, Model.GITHUB_FLOW, proof=(on(trunk), total))
        add("direct", f"{obs.direct} of {_counted(obs.integrations, 'integration')} "
            f"{'was a direct commit' if obs.direct == 1 else 'were direct commits'} "
            f"({share(obs.direct, obs.integrations)})", Model.TRUNK_BASED,
            proof=(proofs.direct_commits(history, window, counted), total))
    lifetime = "-" if obs.lifetime_p50_hours is None else f"{obs.lifetime_p50_hours:.1f} h"
    if obs.dated_branches:
        # Shares of the branches whose lifetime is known: a squash merge without its PR ref has none
        # (clock-skewed episodes are no changes at all: metrics.changes leaves them out).
        undated = obs.undated_branches
        add("lifetime", f"branches lived {lifetime} at the median; {share(obs.within_a_day, obs.dated_branches)} "
            "were merged within a day" + (f" ({_counted(undated, 'squash merge')} without their pull-request refs left out)"
                                          if undated else ""),
            Model.TRUNK_BASED if obs.within_a_day * 2 >= obs.dated_branches else Model.GITHUB_FLOW,
            proof=(proofs.described(
                "each branch's lifetime runs from its first commit's author date to the committer date of the "
                "commit that integrated it; the median is the nearest-rank 50th percentile over the episodes "
                "listed (work branches with a known lifetime; release and hotfix episodes, bots and skewed clocks left out)",
                [e for e in work_branches(history, window, counted)
                 if e.lifetime_seconds is not None and not e.lifetime_unknown],
                "branch lifetime"),))
    elif obs.undated_branches:
        add("lifetime", f"no branch lifetime is known: the {obs.undated_branches} branches are squash merges without "
            "their pull-request refs (fetch refs/pull/* to date them)", proof=(proofs.described(
                "a squash merge keeps no trace of its branch's first commit; with the refs/pull/* heads fetched, "
                "each pull request's head dates it", branches, "branch lifetime"),))
    pr_branches = proofs.described(
        "a branch came through a pull or merge request when its merge subject names one (#N, !N) or a "
        "refs/pull/* head points into it; the episodes listed are the branches counted",
        branches, "pull-request share")
    if obs.landed_as_commits:
        through = obs.with_pr + obs.landed_as_commits
        add("pull-requests", f"{share(through, obs.integrations)} of changes ({through} of {obs.integrations}) came through a "
            "pull or merge request "
            f"({obs.with_pr} merged as branches, {obs.landed_as_commits} landed as commits citing the PR); "
            f"{share(obs.squash_or_rebase, obs.branch_episodes)} of branches were squashed or rebased",
            Model.GITHUB_FLOW, Model.TRUNK_BASED,
            proof=(pr_branches, proofs.cited_commits(history, window, counted), total))
    elif obs.branch_episodes:
        add("pull-requests", f"{share(obs.with_pr, obs.branch_episodes)} of branches came through a pull or "
            f"merge request; {share(obs.squash_or_rebase, obs.branch_episodes)} were squashed or rebased",
            Model.GITHUB_FLOW, Model.TRUNK_BASED, proof=(pr_branches,))
    return tuple(found)


# ---------------------------------------------------------------------------
# Scores


def score(obs: Observation) -> dict[str, float]:
    """A score in [0, 1] per model, from the observation alone."""
    n = obs.integrations
    branch_n = obs.branch_episodes
    # Gitflow's shape: work integrates on one line and releases come from another. A second
    # line that takes under a third of the work is not where the team integrates.
    separate = obs.integration_line is not None and obs.integration_line != obs.production_line
    two_lines = 1.0 if separate and (obs.production_line is not None or obs.on_integration_line * 3 >= n) else 0.0
    gitflow = 0.0
    if two_lines:
        releases = obs.release_branch_merges + obs.release_merges
        gitflow = 0.5 + 0.25 * min(1.0, releases / 2) + 0.25 * min(1.0, obs.back_merges / 2)
    # Over the integrations whose time to land is known (direct commits, dated branches).
    dated_n = obs.direct + obs.dated_branches
    within = (obs.within_a_day + obs.direct) / dated_n if dated_n else 0.0
    short_lived = 1.0 if obs.lifetime_p50_hours is None or obs.lifetime_p50_hours <= 24 else 0.0
    few_branches = 1.0 if obs.active_branches <= 3 else 0.0
    single_line = 1.0 - two_lines
    trunk_based = single_line * (0.5 * within + 0.3 * short_lived + 0.2 * few_branches)
    pr_share = obs.with_pr / branch_n if branch_n else 0.0
    branch_share = branch_n / n if n else 0.0
    long_share = 1 - obs.within_a_day / obs.dated_branches if obs.dated_branches else 0.0
    github_flow = single_line * (0.4 * branch_share + 0.3 * long_share + 0.3 * pr_share)
    release_branching = 0.0
    if obs.maintenance_active:  # only maintained lines count: a dormant release line is a stale branch
        release_branching = (0.5 + 0.25 * min(1.0, float(obs.maintenance_active))
                             + 0.25 * min(1.0, (obs.picks_to_branches + obs.forward_merges) / 2))
    gitlab_flow = 0.0
    if obs.environment_lines:
        gitlab_flow = 0.5 + 0.5 * min(1.0, obs.promotions / 3)
    return {
        Model.GITFLOW.value: round(gitflow, 3),
        Model.GITHUB_FLOW.value: round(github_flow, 3),
        Model.TRUNK_BASED.value: round(trunk_based, 3),
        Model.RELEASE_BRANCHING.value: round(release_branching, 3),
        Model.GITLAB_FLOW.value: round(gitlab_flow, 3),
    }


# Structure before habits: on a tie, the model with extra long-lived lines wins, because
# release lines and environment lines sit on top of a trunk that has habits of its own.
PRECEDENCE = (Model.GITFLOW, Model.RELEASE_BRANCHING, Model.GITLAB_FLOW, Model.GITHUB_FLOW, Model.TRUNK_BASED)
HABITS = (Model.GITHUB_FLOW.value, Model.TRUNK_BASED.value)
LAYERED = (Model.RELEASE_BRANCHING.value, Model.GITLAB_FLOW.value)
STRUCTURE_WINS = 0.6  # a model with extra long-lived lines this well supported is named over trunk habits


def judge(scores: dict[str, float], integrations: int) -> tuple[str, str, str | None]:
    """(model, confidence, why unknown) from the scores and how much evidence there is."""
    if integrations < MIN_INTEGRATIONS:
        return (Model.UNKNOWN.value, "low",
                f"only {_counted(integrations, 'integration')} in the window; at least {MIN_INTEGRATIONS} are needed")
    order = {model.value: rank for rank, model in enumerate(PRECEDENCE)}
    ranked = sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
    best, top = ranked[0]
    structures = [(name, value) for name, value in ranked if name not in HABITS and value >= STRUCTURE_WINS]
    if structures:
        best, top = structures[0]
    if top < 0.3:
        return Model.UNKNOWN.value, "low", f"no model scores 0.3 or more (best: {best} at {top:.2f})"
    # A layered model competes with the other structures, not with its own trunk's habits.
    rivals = [value for name, value in ranked if name != best and not (best in LAYERED and name in HABITS)]
    gap = top - max(rivals, default=0.0)
    if top >= 0.6 and gap >= 0.2 and integrations >= 30:
        confidence = "high"
    elif top >= 0.45 and gap >= 0.1 and integrations >= 10:
        confidence = "medium"
    else:
        confidence = "low"
    return best, confidence, None


# ---------------------------------------------------------------------------
# Trunk-based conformance


def conformance(obs: Observation, metrics: Metrics, history: History) -> Conformance:
    lifetime = metrics.integration.lifetime_hours
    within = metrics.integration.merged_within_a_day
    # With no dated branch but undated squash merges the two lifetime checks cannot pass: unknown is no 0 h.
    undated = metrics.integration.lifetime_unknown if within is None else 0
    unknown = f"unknown ({_counted(undated, 'squash merge')} without their pull-request refs)"
    checks = (
        Check(id="active-branches", name="three or fewer active branches", passed=obs.active_branches <= 3,
              value=str(obs.active_branches), threshold="<= 3",
              source="dora.dev/capabilities/trunk-based-development"),
        Check(id="merged-within-a-day", name="branches merged within a day",
              passed=not undated and (within is None or within >= 0.9),
              value=unknown if undated else "no branches" if within is None else f"{within:.0%}",
              threshold=">= 90%", source="dora.dev/capabilities/trunk-based-development; advisor defaults"),
        Check(id="short-branches", name="branches live two days at most (p90)",
              passed=not undated and (lifetime.p90 is None or lifetime.p90 <= 48),
              value=unknown if undated else "-" if lifetime.p90 is None else f"{lifetime.p90:.1f} h",
              threshold="<= 48 h",
              source="trunkbaseddevelopment.com/short-lived-feature-branches"),
        Check(id="daily-integration", name="the team integrates at least once a working day",
              passed=metrics.integration.per_working_day >= 1,
              value=f"{metrics.integration.per_working_day:.2f} per working day", threshold=">= 1",
              source="dora.dev/capabilities/continuous-integration"),
        Check(id="no-freeze", name="no code freeze before releases", passed=not metrics.freeze.suspected,
              value=f"{metrics.freeze.dips} of {metrics.freeze.releases_checked} releases after a dip",
              threshold="no freeze pattern", source="trunkbaseddevelopment.com/youre-doing-it-wrong"),
        Check(id="no-integration-line", name="no long-lived integration branch beside the trunk",
              passed=obs.integration_line in (None, history.trunk.name) and obs.production_line is None
              and not obs.next_release_lines,
              value=", ".join(n for n in (obs.integration_line, obs.production_line, *obs.next_release_lines)
                              if n and n != history.trunk.name) or "none",
              threshold="none",
              source="trunkbaseddevelopment.com/alternative-branching-models"),
        Check(id="fixes-from-trunk", name="release lines are fed only by cherry-picks from the trunk",
              passed=obs.picks_to_trunk == 0 and obs.forward_merges == 0,
              value=f"{obs.picks_to_trunk} picks and {obs.forward_merges} merges from release lines into the trunk",
              threshold="0", source="trunkbaseddevelopment.com/branch-for-release"),
    )
    return Conformance(score=round(sum(c.passed for c in checks) / len(checks), 3), checks=checks)


# ---------------------------------------------------------------------------


def quarters(history: History, window: Window, limit: int = 12) -> list[Window]:
    """Calendar quarters from the first integration (or `limit` quarters back) to the window's end."""
    first = history.episodes[0].merged_at if history.episodes else window.since
    end = window.until
    start_year, start_q = end.year, (end.month - 1) // 3
    periods = []
    year, q = start_year, start_q
    for _ in range(limit):
        since = end.replace(year=year, month=3 * q + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
        until = since.replace(year=year + (q == 3), month=1 if q == 3 else 3 * q + 4)
        periods.append(Window(since=since, until=min(until, end) if until > end else until))
        if since <= first:
            break
        year, q = (year - 1, 3) if q == 0 else (year, q - 1)
    return periods[::-1]


def classify(history: History, metrics: Metrics, window: Window, now: datetime, stale_days: int) -> Verdict:
    roles = line_roles(history)
    obs = observe(history, window, now, stale_days, roles)
    scores = score(obs)
    model, confidence, thin = judge(scores, obs.integrations)
    periods = []
    inside: list[str] = []  # the models of the quarters overlapping the window, where one was named
    for period in quarters(history, window):
        period_obs = observe(history, period, now, stale_days, roles)
        period_model, period_confidence, _ = judge(score(period_obs), period_obs.integrations)
        periods.append(Period(period=f"{period.since.year}-Q{(period.since.month - 1) // 3 + 1}",
                              model=period_model, confidence=period_confidence,
                              integrations=period_obs.integrations))
        if period.until > window.since and period_model != Model.UNKNOWN.value:
            inside.append(period_model)
    agreeing = sum(1 for name in inside if name == model)
    confidence = temper(confidence, agreeing, len(inside))
    undated = obs.undated_branches
    if model in (Model.TRUNK_BASED.value, Model.GITHUB_FLOW.value) and undated * 2 > obs.integrations:
        # The two models differ by how long branches live, which git cannot see for most of this
        # work (squash merges without their pull-request refs): a plain clone can only guess.
        confidence = "low"
    found = evidence(obs, history, window)
    if model != Model.UNKNOWN.value and len(inside) >= 2:
        found += (Evidence(id="quarters", text=f"{agreeing} of {len(inside)} quarters in the window read {model} "
                           f"on their own ({', '.join(inside)})", supports=(model,), reproduce=(Proof(
                               what="quarters agreeing", value=None, terms=(), how=(
                                   "each calendar quarter overlapping the window is scored like the window; "
                                   "`periods` in --format json lists every quarter's model and integrations")),)),)
    habit = max(HABITS, key=lambda name: (scores[name], name == Model.TRUNK_BASED.value))
    return Verdict(model=model, confidence=confidence, trunk_habit=habit if scores[habit] >= 0.3 else None,
                   integration_line=obs.integration_line if obs.integration_line != history.trunk.name else None,
                   production_line=obs.production_line, maintained_lines=obs.maintenance_lines,
                   stale_lines=obs.stale_lines, quarters_agreeing=agreeing, quarters_named=len(inside),
                   scores=scores, evidence=found, thin=thin,
                   periods=tuple(periods), conformance=conformance(obs, metrics, history))


CONFIDENCES = ("low", "medium", "high")


def temper(confidence: str, agreeing: int, named: int) -> str:
    """Confidence no higher than the quarters' agreement allows: a verdict that three quarters
    of the window's quarters reach on their own can be high; half of them, medium; fewer, low.
    With fewer than two quarters to compare, the window's own confidence stands."""
    if named < 2:
        return confidence
    share = agreeing / named
    cap = "high" if share >= 0.75 else "medium" if share >= 0.5 else "low"
    return CONFIDENCES[min(CONFIDENCES.index(confidence), CONFIDENCES.index(cap))]
