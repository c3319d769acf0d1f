"""Every number carries its proof: the git commands a reviewer runs to get it again.

A `Proof` is a sum of `Term`s, each a shell command (bash) that prints one
number; the signed outputs add up to the number advisor printed. Where git
alone cannot draw a line advisor draws (a branch already merged into another
line, a rebase run of several commits that is one change), the term lists the
commits advisor set apart, so each can be looked at with `git show`. Where no
command reproduces a number at all (a percentile of lifetimes), `how` says how
it was computed and `episodes` names the episodes it used (`--format json`
lists them).

Ref names and dates come from the repository and are untrusted: every one is
shell-quoted. The commands read the repository only. Pure: strings in, strings
out; the test suite runs them on simulated repositories.
"""

from __future__ import annotations

import shlex
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from advisor.memo import last_argument, last_arguments
from advisor.merges import CITES_PR_GREP
from advisor.metrics import (
    FREEZE_DIP_RATIO,
    FREEZE_LOOKBACK_DAYS,
    Metrics,
    episodes_in_window,
    failure_signals,
    final_releases,
    landed_as_commits,
    release_years,
    window_halves,
)
from advisor.model import (
    CherryPickDirection,
    Episode,
    EpisodeKind,
    History,
    LineMerge,
    LineMergeKind,
    LiveBranch,
    MergeMethod,
    Window,
)

EPISODES_SHOWN = 40  # a term lists at most this many commits by name; the rest are counted


@dataclass(frozen=True, slots=True, kw_only=True)
class Term:
    sign: int  # +1 or -1: how the command's output enters the sum
    label: str  # what the command counts
    command: str  # a bash command that prints one number


@dataclass(frozen=True, slots=True, kw_only=True)
class Proof:
    what: str  # which number of the line this proves
    value: int | None  # the number the terms add up to; null when no command reproduces it
    terms: tuple[Term, ...]  # commands whose signed outputs add up to value
    how: str | None  # how the number was computed, when git alone cannot reproduce it
    episodes: tuple[str, ...] = ()  # ids of the episodes it used (the integrating commits)


def q(text: str) -> str:
    return shlex.quote(text)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def span(window: Window) -> str:
    return f"--since={q(_iso(window.since))} --until={q(_iso(window.until))}"


def ref_of(history: History, name: str) -> str | None:
    """The full ref of a long-lived line, or None when the line was rebuilt from merge subjects."""
    if name == history.trunk.name:
        return history.trunk.ref
    return _live_refs(history).get(name)


# Each line's proofs name every other line and count what is its own: asked line by line, these
# were passes over every live branch, episode and line merge for each line (300 lines back-merging
# the trunk: 590k searches of the live branches, 7M line merges read; 3.5 s of a 7 s scan).
@last_argument
def _live_refs(history: History) -> dict[str, str]:
    refs: dict[str, str] = {}
    for branch in history.live_branches:
        refs.setdefault(branch.name, branch.ref)
    return refs


@dataclass(frozen=True, slots=True)
class _InWindow:
    episodes_on: dict[str, list[Episode]]  # line -> the window's episodes on it, in order
    line_merges: dict[tuple[LineMergeKind, str, str], list[LineMerge]]  # (kind, source, target) -> in the window
    line_merges_into: Counter[str]  # line -> line merges into it in the window


@last_arguments
def _in_window(history: History, window: Window) -> _InWindow:
    episodes_on: dict[str, list[Episode]] = defaultdict(list)
    for episode in episodes_in_window(history, window):
        episodes_on[episode.target].append(episode)
    merges: dict[tuple[LineMergeKind, str, str], list[LineMerge]] = defaultdict(list)
    into: Counter[str] = Counter()
    for merge in history.line_merges:
        if window.contains(merge.merged_at):
            merges[merge.kind, merge.source, merge.target].append(merge)
            into[merge.target] += 1
    return _InWindow(dict(episodes_on), dict(merges), into)


@last_argument
def _counted_on(counted: Sequence[Episode]) -> dict[str, list[Episode]]:
    """The counted episodes by the line they landed on, in order."""
    on: dict[str, list[Episode]] = defaultdict(list)
    for episode in counted:
        on[episode.target].append(episode)
    return dict(on)


def listed(sign: int, label: str, shas: Sequence[str]) -> Term | None:
    """A term that counts the commits advisor set apart, by name."""
    if not shas:
        return None
    shown = " ".join(q(sha[:12]) for sha in shas[:EPISODES_SHOWN])
    rest = len(shas) - EPISODES_SHOWN
    command = f"git show --no-patch --format=%h {shown} | wc -l"
    if rest > 0:
        command = f"echo $(( $(git show --no-patch --format=%h {shown} | wc -l) + {rest} ))"
    return Term(sign=sign, label=label, command=command)


def _terms(*found: Term | None) -> tuple[Term, ...]:
    return tuple(term for term in found if term is not None)


def _other_chains(history: History, name: str) -> str | None:
    """`git rev-list --first-parent` of every other live long-lived line, or None when there is none."""
    refs = [ref_of(history, line.name) for line in history.long_lived if line.name != name]
    live = [q(ref) for ref in refs if ref]
    return f"git rev-list --first-parent {' '.join(live)}" if live else None


def _earlier_chains(history: History, name: str) -> str | None:
    """The first-parent chains of the lines that claimed their commits before `name` did (the
    trunk first): a line's own commits stop where an earlier line's chain begins."""
    order = [line.name for line in history.long_lived]
    earlier = order[:order.index(name)] if name in order else order
    refs = [ref_of(history, line) for line in earlier]
    live = [q(ref) for ref in refs if ref]
    return f"git rev-list --first-parent {' '.join(live)}" if live else None


def own_commits(history: History, window: Window, name: str, ref: str, kind: str) -> str:
    """A command counting `name`'s own first-parent commits in the window (kind: --merges or --no-merges)."""
    earlier = _earlier_chains(history, name)
    if earlier is None:
        return f"git rev-list --count --first-parent {kind} {span(window)} {q(ref)}"
    return f"git rev-list --first-parent {kind} {span(window)} {q(ref)} | grep -cvxFf <({earlier})"


def _merged_parents_on(history: History, window: Window, target_ref: str, chains: str) -> str:
    return (f"git log --first-parent --merges {span(window)} --format=%P {q(target_ref)}"
            f" | cut -d' ' -f2- | tr ' ' '\\n' | grep -cxFf <({chains})")


def _first_parent_commits(episode: Episode) -> tuple[str, ...]:
    """The commits a single-parent episode put on its line's first-parent chain: a rebase run's or
    a fast-forward's commits, a squash merge's or a direct commit's one commit."""
    if episode.method in (MergeMethod.REBASE, MergeMethod.FAST_FORWARD):
        return episode.commits or (episode.id,)
    return (episode.id,)


def integrations_on(history: History, window: Window, name: str, counted: Sequence[Episode]) -> Proof:
    """The integrations advisor counted on one line: its first-parent commits in the window,
    less the merges of other long-lived lines, of branches already merged elsewhere, of bots,
    and the commits of a rebase run or fast-forward beyond its first."""
    mine = _counted_on(counted).get(name, [])
    what = f"integrations on {name}"
    ref = ref_of(history, name)
    if ref is None:
        return Proof(what=what, value=len(mine), terms=(), episodes=tuple(e.id for e in mine),
                     how=f"{name} no longer exists (rebuilt from merge subjects), so git cannot walk it; "
                         "the episodes are listed in --format json")
    counted_ids = {e.id for e in mine}
    in_window = _in_window(history, window)
    all_here = in_window.episodes_on.get(name, [])
    merges_apart = [e.id.split(":")[0] for e in all_here if e.method is MergeMethod.MERGE and e.id not in counted_ids]
    octopus = [e.id for e in mine if ":" in e.id and not e.id.endswith(":1")]
    singles_apart: list[str] = []
    for episode in all_here:
        if episode.method is MergeMethod.MERGE:
            continue
        if episode.id not in counted_ids:
            singles_apart.extend(_first_parent_commits(episode))
        elif episode.method in (MergeMethod.REBASE, MergeMethod.FAST_FORWARD):
            singles_apart.extend(c for c in episode.commits if c != episode.id)
    line_merges = in_window.line_merges_into[name]
    chains = _other_chains(history, name)
    merges_term = Term(sign=1, label=f"first-parent merges of {name}",
                       command=own_commits(history, window, name, ref, "--merges"))
    line_term = None
    if line_merges and chains:
        line_term = Term(sign=-1, label="of them, merges of another long-lived line",
                         command=_merged_parents_on(history, window, ref, chains))
    singles_term = Term(sign=1, label=f"first-parent commits of {name} with one parent",
                        command=own_commits(history, window, name, ref, "--no-merges"))
    terms = _terms(
        merges_term, line_term,
        listed(-1, "merges of a branch already merged into another line (no new commit), or of a bot",
               merges_apart),
        listed(1, "second and later branches of an octopus merge", octopus),
        singles_term,
        listed(-1, "commits of a rebase run or fast-forward after its first, or of a bot", singles_apart),
    )
    return Proof(what=what, value=len(mine), terms=terms, how=None)


def integrations_total(history: History, window: Window, counted: Sequence[Episode]) -> Proof:
    lines = sorted({e.target for e in counted}, key=lambda name: (name != history.trunk.name, name))
    parts = [integrations_on(history, window, name, counted) for name in lines]
    if any(not p.terms for p in parts):
        return Proof(what="integrations in the window", value=len(counted), terms=(),
                     episodes=tuple(e.id for e in counted),
                     how="the integrations on every long-lived line: " + ", ".join(
                         f"{p.value} on {name}" for p, name in zip(parts, lines)))
    return Proof(what="integrations in the window", value=len(counted),
                 terms=tuple(term for part in parts for term in part.terms), how=None)


def line_merges(history: History, window: Window, kind: LineMergeKind, source: str, target: str) -> Proof:
    """Merges of one long-lived line into another in the window (releases, back-merges, promotions)."""
    found = _in_window(history, window).line_merges.get((kind, source, target), [])
    what = f"merges of {source} into {target}"
    source_ref, target_ref = ref_of(history, source), ref_of(history, target)
    if source_ref is None or target_ref is None:
        return Proof(what=what, value=len(found), terms=(), episodes=tuple(m.commit for m in found),
                     how="one of the lines no longer exists; the merge commits are listed")
    chain = f"git rev-list --first-parent {q(source_ref)}"
    earlier = _earlier_chains(history, source)
    if earlier is not None:
        chain += f" | grep -vxFf <({earlier})"
    return Proof(what=what, value=len(found), how=None, terms=(Term(
        sign=1, label=f"merges into {target} whose merged parent is a commit of {source}'s own first-parent chain",
        command=_merged_parents_on(history, window, target_ref, chain)),))


def repeats(history: History, window: Window, sign: int = 1) -> Term | None:
    shas = [e.id.split(":")[0] for e in episodes_in_window(history, window) if e.repeat_of is not None]
    return listed(sign, "branches merged into a second line (their commits had reached another line first)", shas)


def back_merges(history: History, window: Window) -> Proof:
    found = [m for m in history.line_merges if m.kind is LineMergeKind.BACK_MERGE and window.contains(m.merged_at)]
    pairs = sorted({(m.source, m.target) for m in found})
    terms: list[Term] = []
    for source, target in pairs:
        terms.extend(line_merges(history, window, LineMergeKind.BACK_MERGE, source, target).terms)
    extra = repeats(history, window)
    if extra:
        terms.append(extra)
    value = len(found) + sum(1 for e in episodes_in_window(history, window) if e.repeat_of is not None)
    complete = all(ref_of(history, name) for pair in pairs for name in pair)
    return Proof(what="back-merges", value=value, terms=tuple(terms) if complete else (),
                 how=None if complete else "a line no longer exists; the merge commits are in --format json")


def tags_on(history: History, window: Window, line: str) -> Proof:
    found = [r for r in history.releases if r.line == line and window.contains(r.at)]
    ref = ref_of(history, line)
    what = f"version tags on {line}"
    if ref is None:
        return Proof(what=what, value=len(found), terms=(), how="the line no longer exists",
                     episodes=tuple(r.tag for r in found))
    since, until = int(window.since.timestamp()), int(window.until.timestamp())
    command = ("git for-each-ref refs/tags --format='%(if)%(*objectname)%(then)%(*objectname)%(else)"
               f"%(objectname)%(end) %(creatordate:unix)' | awk '$2 >= {since} && $2 < {until} {{print $1}}'"
               f" | grep -cxFf <(git rev-list --first-parent {q(ref)})")
    return Proof(what=what, value=len(found),
                 how=("the tags listed: those that read as versions (v1.2, 1.2.3-rc1), dated in the window, on a "
                      f"commit {line} claimed; every tag dated in the window on its first-parent chain, versions "
                      f"or not, is counted by: {command}"),
                 terms=_terms(refs_listed(1, f"version tags dated in the window on {line}",
                                          [f"refs/tags/{r.tag}" for r in found])))


def picks_into(history: History, window: Window, lines: Iterable[str]) -> Proof:
    names = tuple(lines)
    found = [p for p in history.cherry_picks if p.direction is CherryPickDirection.TRUNK_TO_BRANCH
             and window.contains(p.at)]
    refs = [ref_of(history, name) for name in names]
    what = f"cherry-picks from {history.trunk.name} to release lines"
    if not names or any(ref is None for ref in refs):
        return Proof(what=what, value=len(found), terms=(), episodes=tuple(p.commit for p in found),
                     how="commits whose message says '(cherry picked from commit X)' with X on the trunk")
    command = (f"git log --no-merges {span(window)} --format=%H --grep='cherry picked from commit' "
               f"{' '.join(q(str(ref)) for ref in refs)} --not {q(history.trunk.ref)} | wc -l")
    in_window = [p for p in history.cherry_picks if window.contains(p.at)]
    picked = {p.commit for p in found}  # a commit copying two commits carries two trailers: counted once by git
    elsewhere = list(dict.fromkeys(p.commit for p in in_window if p.line in names and p.commit not in picked
                                   and p.direction is not CherryPickDirection.TRUNK_TO_BRANCH))
    other_lines = [p.commit for p in found if p.line not in names]
    return Proof(what=what, value=len(found), how=None, terms=_terms(
        Term(sign=1, label="commits on the release lines, not on the trunk, saying '(cherry picked from commit …)'",
             command=command),
        listed(-1, "of them, copies of a commit that is not on the trunk (picked from another line)", elsewhere),
        listed(1, "picks from the trunk onto lines not named here", other_lines)))


def last_commit(history: History, line: str) -> Proof:
    ref = ref_of(history, line)
    found = next((b for b in history.long_lived if b.name == line), None)
    when = found.last_commit_at.date().isoformat() if found else "-"
    return Proof(what=f"last commit on {line}", value=None,
                 how=f"its newest first-parent commit is of {when}, before the window",
                 terms=(Term(sign=1, label="the date of its newest commit",
                             command=f"git log -1 --format=%cI {q(ref)}"),) if ref else ())


def described(how: str, episodes: Iterable[Episode], what: str) -> Proof:
    """A number no git command prints (a share, a percentile): how, and which episodes."""
    return Proof(what=what, value=None, terms=(), how=how, episodes=tuple(e.id for e in episodes))


def run_sum(outputs: Sequence[str], proof: Proof) -> int:
    """The proof's value from its commands' outputs (one number each), as the test checks it."""
    return sum(term.sign * int(out.strip() or "0") for term, out in zip(proof.terms, outputs, strict=True))


def direct_commits(history: History, window: Window, counted: Sequence[Episode]) -> Proof:
    """Direct commits: the lines' single-parent first-parent commits, less those that are a
    squash-merged pull request, a rebase run or a fast-forward, or not counted (bots)."""
    mine = [e for e in counted if e.method is MergeMethod.DIRECT]
    lines = sorted({e.target for e in episodes_in_window(history, window)})
    refs = [ref_of(history, name) for name in lines]
    what = "direct commits"
    if any(ref is None for ref in refs):
        return Proof(what=what, value=len(mine), terms=(), episodes=tuple(e.id for e in mine),
                     how="a line no longer exists; the direct commits are listed in --format json")
    keep = {e.id for e in mine}
    apart = [sha for e in episodes_in_window(history, window) if e.method is not MergeMethod.MERGE
             for sha in _first_parent_commits(e) if sha not in keep]
    terms = [Term(sign=1, label=f"first-parent commits of {name} with one parent",
                  command=own_commits(history, window, name, str(ref), "--no-merges"))
             for name, ref in zip(lines, refs)]
    extra = listed(-1, "of them, squash merges, rebase runs, fast-forwards and bots' commits", apart)
    return Proof(what=what, value=len(mine), terms=tuple(terms) + ((extra,) if extra else ()), how=None)


def cited_commits(history: History, window: Window, counted: Sequence[Episode]) -> Proof:
    """Pull requests landed as commits (`metrics.landed_as_commits`): the lines' single-parent
    first-parent commits whose message has a line starting "Closes #N" or "PR-URL: …/pull/N"
    (`merges.CITES_PR_GREP`), less those advisor reads otherwise: a rebase run's or fast-forward's
    other citing commits (the run is one pull request), squash merges and fast-forwards that name
    their request, and commits not counted (bots)."""
    mine = landed_as_commits(counted)
    what = "pull requests landed as commits"
    episodes = episodes_in_window(history, window)
    lines = sorted({e.target for e in episodes})
    refs = [ref_of(history, name) for name in lines]
    if any(ref is None for ref in refs):
        return Proof(what=what, value=len(mine), terms=(), episodes=tuple(e.id for e in mine),
                     how="commits whose subject or body has a line starting 'Closes #N' or "
                         "'PR-URL: .../pull/N'; they are listed in --format json")
    keep = {e.id for e in mine}
    apart = [sha for e in episodes if e.method is not MergeMethod.MERGE
             for sha in ((e.id,) if e.cites_pr is not None and e.id not in keep else ()) + e.also_citing]
    grep = " ".join(f"--grep={q(pattern)}" for pattern in CITES_PR_GREP)
    terms = []
    for name, ref in zip(lines, refs):
        earlier = _earlier_chains(history, name)
        log = f"git log --first-parent --no-merges -i -E {grep} {span(window)} --format=%H {q(str(ref))}"
        command = f"{log} | wc -l" if earlier is None else f"{log} | grep -cvxFf <({earlier})"
        terms.append(Term(sign=1, label=f"first-parent commits of {name} with one parent citing a pull request",
                          command=command))
    extra = listed(-1, "of them, a run's other commits, squash merges, fast-forwards naming their request, "
                   "and bots' commits", apart)
    return Proof(what=what, value=len(mine), terms=tuple(terms) + ((extra,) if extra else ()), how=None)


def pointer(history: History, name: str) -> tuple[Proof, ...]:
    ref = ref_of(history, name)
    if ref is None:
        return ()
    command = (f"git rev-list --first-parent {q(history.trunk.ref)} | grep -cxF \"$(git rev-parse {q(ref)})\"")
    return (Proof(what=f"{name}'s tip on {history.trunk.name}'s first-parent chain", value=1, how=None,
                  terms=(Term(sign=1, label=f"1 when {name}'s tip is a commit of {history.trunk.name}'s "
                              "first-parent chain", command=command),)),)


def trunk_choice(history: History) -> tuple[Proof, ...]:
    """Why the trunk is the line the default branch only fast-forwards to (`history.lines.fast_forward_source`)."""
    fed = history.trunk.fast_forwarded
    if fed is None:
        return ()
    trunk, line, met = q(history.trunk.ref), q(fed.ref), q(fed.met_at)
    name = history.trunk.name
    return (
        Proof(what=f"commits of {fed.line} that {name} lacks", value=0, how=None, terms=(
            Term(sign=1, label=f"commits reachable from {fed.line} and not from {name}",
                 command=f"git rev-list --count {trunk}..{line}"),)),
        Proof(what=f"{fed.met_at[:10]} on both first-parent chains (where {fed.line} was last fast-forwarded to)",
              value=2, how=None, terms=(
                  Term(sign=1, label=f"1 when it is on {name}'s first-parent chain",
                       command=f"git rev-list --first-parent {trunk} | grep -cxF {met}"),
                  Term(sign=1, label=f"1 when it is on {fed.line}'s first-parent chain",
                       command=f"git rev-list --first-parent {line} | grep -cxF {met}"))),
        Proof(what=f"{fed.line}'s own first-parent commits since", value=fed.own_commits, how=(
            "none is a merge or cites a pull request; each is merged into the trunk (the count above is 0)"),
              terms=(Term(sign=1, label=f"{fed.line}'s first-parent commits after {fed.met_at[:10]}",
                          command=f"git rev-list --count --first-parent {met}..{line}"),)),
        Proof(what=f"{name}'s first-parent commits since", value=fed.trunk_commits, how=None, terms=(
            Term(sign=1, label=f"{name}'s first-parent commits after {fed.met_at[:10]}",
                 command=f"git rev-list --count --first-parent {met}..{trunk}"),)),
        Proof(what=f"integrations among them", value=fed.trunk_integrations, terms=(), how=(
            f"merges (git rev-list --count --first-parent --merges {met}..{trunk}) and single-parent commits "
            "citing the pull request they landed ((#N) in the subject, PR-URL:, Closes #N)")),
        Proof(what=f"merges of {fed.line} into {name} that {fed.line}'s first-parent chain passed by",
              value=fed.passed_back_merges, terms=(), how=(
                  f"merges on {fed.line}'s first-parent chain whose subject says {fed.line} was merged (into "
                  f"{name}) and whose merged parent M^2 is not on that chain (git rev-list --first-parent {line} "
                  "| grep -cxF <M^2> prints 0): the chain went through the merge made on the other line, which "
                  "only a fast-forward to it does")),
    )


def refs_listed(sign: int, label: str, refs: Sequence[str]) -> Term | None:
    if not refs:
        return None
    return Term(sign=sign, label=label, command=f"git show-ref --verify {' '.join(q(ref) for ref in refs)} | wc -l")


def metric_proofs(history: History, metrics: Metrics, window: Window, counted: Sequence[Episode],
                  live: Sequence[tuple[LiveBranch, bool]]) -> dict[str, tuple[Proof, ...]]:
    """The proofs of the headline metrics, by metric group (JSON: metrics.<group>.reproduce).
    `live` is each live branch with whether it is stale."""
    finals = {r.tag for r in final_releases(history) if window.contains(r.at)}
    tags = [f"refs/tags/{tag}" for tag in sorted(finals)]
    release_terms = _terms(refs_listed(1, "final version tags in the window that shipped a new commit", tags))
    releases = Proof(what="releases", value=metrics.releases.count if metrics.releases.source == "tags" else None,
                     terms=release_terms if metrics.releases.source == "tags" else (), how=(
                         "final version tags (no -rc, -beta) dated in the window whose commit ships something no "
                         "earlier final release had; intervals and sizes are nearest-rank percentiles over them"
                         if metrics.releases.source == "tags" else
                         f"no version tags: releases are the {metrics.releases.source}"))
    branches = [e for e in counted if e.kind is not EpisodeKind.DIRECT]
    dated = [e for e in branches if e.lifetime_seconds is not None]
    integration = (
        integrations_total(history, window, counted),
        described("integrations divided by the working days (Monday to Friday) of the part of the window the "
                  "repository existed in", counted, "integrations per working day"),
        described("nearest-rank percentiles of each branch's first commit (author date) to the commit that "
                  "integrated it, over the branches listed; merged within a day is the share of them at 24 h or "
                  "less", dated, "branch lifetime"),
    )
    active = [b.ref for b, stale in live if not b.merged and not b.long_lived and not stale]
    stale = [b.ref for b, stale in live if not b.merged and not b.long_lived and stale]
    wip = (
        Proof(what="active branches", value=metrics.wip.active_branches,
              terms=_terms(refs_listed(1, "live branches not in the trunk with a commit in the last 90 days",
                                       active)) if active else (),
              how=None if active else "no live branch outside the trunk had a commit in the last 90 days"),
        Proof(what="stale branches", value=metrics.wip.stale_branches,
              terms=_terms(refs_listed(1, "live branches not in the trunk without a commit in 90 days", stale))
              if stale else (), how=None if stale else "no live branch outside the trunk is idle 90 days"),
    )
    lead = (described("each change's first commit (author date) to its arrival on the trunk and to the first final "
                      "release containing it; the stages split that time; percentiles over the changes listed",
                      counted, "lead time"),)
    failures = (Proof(what="change failure", value=None, terms=(), how=(
        "releases followed by a hotfix episode into the production line (whatever it is named) or by a patch "
        "release within 7 days, over the releases of the window; reverts: commits saying 'This reverts commit'"),
        episodes=tuple(e.id for e in counted if e.kind is EpisodeKind.HOTFIX)),)
    return {"releases": (releases,), "integration": integration, "wip": wip, "lead_time": lead,
            "failures": failures, "freeze": freeze_proofs(history, metrics),
            "death_spiral": spiral_proofs(history, window)}


def _tag_refs(tags: Iterable[str]) -> list[str]:
    return [f"refs/tags/{tag}" for tag in tags]


_TAG_DATES = "git for-each-ref --sort=creatordate --format='%(creatordate:iso-strict) %(refname:short)'"


def freeze_proofs(history: History, metrics: Metrics) -> tuple[Proof, ...]:
    """The releases the freeze check looked at, and those after a dip."""
    freeze = metrics.freeze
    how = (f"for each final release in the window with a whole {FREEZE_LOOKBACK_DAYS} days before it in the window: "
           f"changes arriving on {history.trunk.name} in those days (first arrivals, bots left out) against "
           f"{FREEZE_DIP_RATIO:g} x the window's weekly rate ({freeze.weekly_rate:g} a week); fewer is a dip. "
           f"Count a week by hand: git log --first-parent --format=%h {q(history.trunk.ref)} "
           "--since=<tag date - 7 days> --until=<tag date> | wc -l (a rebased branch counts once in advisor's figure)")
    if not freeze.checked:
        how = ("no release was checked: the window needs at least 2 arrivals a week and releases with a whole week "
               "before them in the window")
    return (Proof(what="releases checked", value=freeze.releases_checked,
                  terms=_terms(refs_listed(1, "final releases checked", _tag_refs(freeze.checked))), how=how),
            Proof(what="releases after a dip", value=freeze.dips,
                  terms=_terms(refs_listed(1, "final releases after a dip", _tag_refs(freeze.dipped))),
                  how=None if freeze.dipped else "no checked release followed a dip"))


def spiral_proofs(history: History, window: Window) -> tuple[Proof, ...]:
    """The death-spiral warning's inputs: each half's releases and failure signals, and the releases per year."""
    middle, early, late = window_halves(history, window)
    found: list[Proof] = []
    for label, releases, start, end in (("first", early, window.since, middle), ("second", late, middle, window.until)):
        tags = _tag_refs(r.tag for r in releases)
        found.append(Proof(
            what=f"final releases in the {label} half of the window", value=len(releases),
            terms=_terms(refs_listed(1, f"final releases in the {label} half", tags)),
            how=("its interval is the median of the days between consecutive releases and its size the median of "
                 f"their new commits (git rev-list --count <tag> ^<previous final tag>); dates: {_TAG_DATES} "
                 + " ".join(q(t) for t in tags[:EPISODES_SHOWN])) if tags else "no final release in that half"))
        reverts, hotfixes = failure_signals(history, start, end)
        found.append(Proof(
            what=f"failure signals in the {label} half", value=len(reverts) + len(hotfixes),
            terms=_terms(listed(1, "reverts on long-lived lines", reverts), listed(1, "hotfix branches merged", hotfixes)),
            how=None if reverts or hotfixes else "no revert or hotfix in that half"))
    for year in release_years(history, window)[-6:]:
        tags = _tag_refs(r.tag for r in final_releases(history)
                         if r.at < window.until and r.at.astimezone(timezone.utc).year == year.year)
        found.append(Proof(what=f"final releases in {year.year} (all time, UTC years)", value=year.releases,
                           terms=_terms(refs_listed(1, f"final releases in {year.year}", tags)),
                           how=None if tags else f"no final release in {year.year}"))
    return tuple(found)
