"""Run the stages with their I/O: read git, reconstruct (cached), count lines, try merges.

This is the one place that sequences reading and caching; each stage it calls
is either a reader (`gitread`), the writer (`store`) or pure (`asof`, `history`, `scan`).

Past dates: `ScanRequest.as_of` scans the repository as it was on that date
(`asof.truncate`), with `now` = `as_of`; `backfill` does that for many dates from
one reading of the history.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import gc
import itertools
import operator
from contextlib import contextmanager
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from advisor import asof, config, gitread, history, scan, trialmerge
from advisor import snapshot, store
from advisor.errors import BadOption, UnreadablePath
from advisor.model import CommitGraph, History, MergeCheck, RefKind, Window, aware, instant
from advisor.store import Cache

# The plan's modules (recommend, the CI and YAML readers, plandoc's templates: 0.1-0.4 s) are imported by
# the plan functions below, so a scan that stores no snapshot does not load them.
if TYPE_CHECKING:
    from advisor import plandoc, recommend, risk
    from advisor.ci.model import CiChecks

Status = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanRequest:
    path: Path
    now: datetime
    options: history.HistoryOptions
    since: datetime | None = None
    until: datetime | None = None
    allow_shallow: bool = False
    cache_dir: Path | None = None  # None: no cache
    merge_check_seconds: float = 10.0
    workers: int = 2
    # Scan the repository as it was on this date: later commits, refs and tags are left
    # out (asof.truncate), `now` becomes as_of and trial merges are off. None: as it is.
    as_of: datetime | None = None
    window_days: int = scan.DEFAULT_WINDOW_DAYS  # the window's length when `since` is not given

    @property
    def moment(self) -> datetime:
        """The scan's `now`: as_of when scanning the past."""
        return self.as_of if self.as_of is not None else self.now


def _quiet(_: str) -> None:
    pass


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Loading and reconstruction make millions of objects and no reference cycles: the
    cyclic collector would only walk them again and again (12-20 % of the time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _read_graph(request: ScanRequest, status: Status, cache: Cache | None = None,
                notice: Status = _quiet) -> tuple[CommitGraph, int]:
    """The commit graph: the cached one extended by the commits made since it was read, when
    history was only added to; else read whole (saying why, through `notice`, when a cached
    graph could not be extended). With how many of its first commits are as the cache holds them
    (the rest, appended by `extend`, come in another order each time: `history.resume` aligns them)."""
    key = ""
    if cache is not None:
        key = Cache.key("graph", gitread.reading_key(request.path, allow_shallow=request.allow_shallow))
        previous = cache.get("graph", key, CommitGraph)
        if previous is not None and _consistent(previous):
            known = len(previous)
            status(f"reading commits since the last scan ({known} known)")
            extended = gitread.extend(request.path, previous, allow_shallow=request.allow_shallow,
                                      progress=lambda n: status(f"reading commits: {n}"))
            if isinstance(extended, CommitGraph):
                # Writing the graph back costs about as much as reading it; the commits made
                # since it was written are cheap to list again, so it is rewritten only once
                # they are many. (Any ref it saw may have moved since: extend checks.)
                if len(extended) - known > max(_GRAPH_REWRITE_COMMITS, known // 50):
                    cache.put("graph", key, extended, CommitGraph)
                    known = len(extended)
                return extended, known
            notice(f"{extended}; reading the whole history again.")
    status("reading commits")
    graph = gitread.load(request.path, allow_shallow=request.allow_shallow,
                         progress=lambda n: status(f"reading commits: {n}"))
    if cache is not None:
        cache.put("graph", key, graph, CommitGraph)
    return graph, len(graph)


_GRAPH_REWRITE_COMMITS = 1000  # new commits (or 2 % of the graph) before an extended graph is cached again


def _consistent(graph: CommitGraph) -> bool:
    """A cached graph whose every index points inside it: the codec checked the types, this
    checks what they refer to, so a planted or damaged entry is a miss, never a crash."""
    n = len(graph)
    columns = (graph.parents, graph.author_time, graph.author_offset, graph.commit_time, graph.commit_offset,
               graph.author, graph.committer, graph.subject)
    if any(len(column) != n for column in columns) or n == 0 or len(set(graph.shas)) != n:
        return False
    parents = list(itertools.chain.from_iterable(graph.parents))
    people = len(graph.people)
    targets = [r.target for r in graph.refs] + ([graph.head_target] if graph.head_target is not None else [])
    return (all(0 <= min(ids) and max(ids) < n for ids in (parents, targets, list(graph.trailers)) if ids)
            and all(0 <= min(ids) and max(ids) < people for ids in (graph.author, graph.committer))
            and all(-1440 < min(z) and max(z) < 1440 for z in (graph.author_offset, graph.commit_offset))
            and graph.missing_parents >= 0)


def _in_time_order(reconstructed: History) -> bool:
    """Episodes in (merged_at, id) order and release tags in time order, which the window's
    bisections rely on (a cached history that is not is a miss)."""
    # Compared as instants (`model.instant`) by map(operator.le), in C: aware datetimes look up both
    # zones' offsets at each comparison (0.13 s of a cache hit at 200k commits; now 0.04 s), and a
    # Python loop over 100k episodes cost a re-scan 0.2 s.
    episodes = reconstructed.episodes
    keys = list(zip(map(instant, map(_MERGED_AT, episodes)), map(_ID, episodes)))
    moments = list(map(instant, map(_AT, reconstructed.releases)))
    return all(map(operator.le, keys, keys[1:])) and all(map(operator.le, moments, moments[1:]))


_MERGED_AT, _ID, _AT = operator.attrgetter("merged_at"), operator.attrgetter("id"), operator.attrgetter("at")


def _as_of(graph: CommitGraph, request: ScanRequest, as_of: datetime, after: asof.Cut | None = None) -> asof.Cut:
    """The graph on `as_of`, built on an earlier date's cut `after` (`asof.cut`); a date before the first
    commit is the user's mistake."""
    past = asof.cut(graph, as_of, trunk=request.options.trunk, after=after)
    if not len(past.graph):
        first_time = asof.first_commit_time(graph)
        since = f"; its first commit is dated {aware(first_time, 0):%Y-%m-%d %H:%M} UTC" if first_time is not None else ""
        raise BadOption(f"The repository had no commits yet on {as_of.isoformat()}{since}.")
    return past


def _host_refs(graph: CommitGraph, *, bare: bool) -> tuple[CommitGraph, tuple[scan.LeftOut, ...]]:
    """The graph with only the refs that name the project's branches on its host (`scan.host_branch_refs`)."""
    kept, left_out = scan.host_branch_refs(graph.refs, bare)
    return (dataclasses.replace(graph, refs=kept) if left_out else graph), left_out


def _facts(request: ScanRequest, graph: CommitGraph, bare: bool,
           left_out: tuple[scan.LeftOut, ...] = ()) -> scan.RepoFacts:
    branch_names = {r.short for r in graph.refs if r.kind in (RefKind.LOCAL, RefKind.REMOTE)}
    return scan.RepoFacts(left_out=left_out,
        path=str(request.path), bare=bare, commits=len(graph),
        branches=len(branch_names), tags=sum(1 for r in graph.refs if r.kind is RefKind.TAG),
        pull_refs=sum(1 for r in graph.refs if r.kind is RefKind.PULL), shallow=graph.shallow,
    )


def load_history(request: ScanRequest, status: Status = _quiet,
                 notice: Status = _quiet) -> tuple[scan.RepoFacts, History, Cache | None]:
    """The reconstructed history: from the cache when nothing changed, else reconstructed from
    the graph (itself extended from the cached one when history was only added to)."""
    location = gitread.locate(request.path)
    cache = Cache(request.cache_dir, location.git_dir) if request.cache_dir is not None else None
    key = ""
    if cache is not None:
        fingerprint = gitread.fingerprint(request.path, allow_shallow=request.allow_shallow)
        when = request.as_of.isoformat() if request.as_of is not None else None
        key = Cache.key(fingerprint, request.options, request.moment.date().isoformat(), str(request.path), when)
        cached = cache.get(_history_slot(request), key, _CACHED_HISTORY)
        if cached is not None and _in_time_order(cached[1]):
            facts, reconstructed, _ = cached
            return facts, reconstructed, cache
    previous = None
    with _cyclic_gc_paused():
        if cache is not None and request.as_of is None:
            # The last reconstruction, of an earlier state: resumed when the graph only grew (history.resume).
            last = cache.latest(_history_slot(request), _CACHED_HISTORY)
            previous = (last[1], last[2]) if last is not None and last[2] is not None else None
        read, settled = _read_graph(request, status, cache, notice)
        graph, left_out = _host_refs(read, bare=location.work_tree is None)
        del read
        if request.as_of is not None:
            graph = _as_of(graph, request, request.as_of).graph
        status(f"reconstructing {len(graph)} commits")
        # The state a later scan resumes from is built only when it will be cached.
        reconstructed, resumable, why = history.reconstruct_resumable(
            graph, request.options, request.moment, previous=previous, settled=settled,
            keep_state=cache is not None and request.as_of is None)
        if why:
            notice(f"the last scan's reconstruction cannot be extended ({why}); reconstructing the whole history.")
    facts = _facts(request, graph, bare=location.work_tree is None, left_out=left_out)
    del graph, previous  # no longer needed: freed before the cache is written
    _return_freed_memory()
    if cache is not None:
        cache.put(_history_slot(request), key, (facts, reconstructed, resumable if request.as_of is None else None),
                  _CACHED_HISTORY)
    return facts, reconstructed, cache


def _return_freed_memory() -> None:
    """Give the graph's freed memory back to the system before the trial merges map the pack index.

    glibc keeps freed blocks for reuse; on a 1M-commit history that was ~150 MB held through the
    trial merges, which touch pages of a 180 MB pack index. Elsewhere (no glibc) nothing is done."""
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return
    trim(0)


_CACHED_HISTORY = tuple[scan.RepoFacts, History, history.Resume | None]
_CACHED_CHECKS = tuple[MergeCheck, ...]


def _history_slot(request: ScanRequest) -> str:
    """Scans of the past have a cache slot of their own, so one never evicts today's history."""
    return "history" if request.as_of is None else "history-as-of"


class _LineStats:
    """Line counts gathered once and reused: from the cache, else from git, remembered in memory."""

    def __init__(self, request: ScanRequest, cache: Cache | None, git_dir: Path, status: Status) -> None:
        self.request, self.cache, self.git_dir, self.status = request, cache, git_dir, status
        self.known: dict[str, tuple[int, int]] = {}
        self.asked: set[str] = set()  # asked for already (a commit git cannot diff is never asked twice)
        self.partial = gitread.is_partial_clone(git_dir)

    def get(self, needed: Sequence[str]) -> dict[str, tuple[int, int]]:
        wanted = [sha for sha in needed if sha not in self.asked]
        if wanted and self.cache is not None:
            self.known.update(self.cache.line_stats(wanted))
        missing = [sha for sha in wanted if sha not in self.known]
        self.asked.update(wanted)
        if missing and self.partial:
            self.status("partial clone: line counts left out (they would fetch blobs into the repository)")
            missing = []
        if missing:
            self.status(f"counting lines of {len(missing)} commits")
            fresh = gitread.line_stats(self.git_dir, missing, workers=self.request.workers)
            self.known.update(fresh)
            if self.cache is not None:
                self.cache.add_line_stats(fresh)
        return {sha: self.known[sha] for sha in needed if sha in self.known}


def run_scan(request: ScanRequest, status: Status = _quiet, notice: Status = _quiet) -> scan.Scan:
    """One scan; with `as_of`, of the repository as it was then (trial merges off: they
    merge today's trees, which says nothing about the past). `notice` is told, in one
    line, when a cached history could not be extended and was read again whole."""
    facts, reconstructed, cache = load_history(request, status, notice)
    window, dormant = _window(request, reconstructed, request.moment, past=request.as_of is not None)
    location = gitread.locate(request.path)
    stats = _LineStats(request, cache, location.git_dir, status).get(
        scan.commits_needing_stats(reconstructed, window))
    checks: tuple[MergeCheck, ...] = ()
    if request.as_of is None:
        checks = _trial_merges(request, reconstructed, cache, location.git_dir, status)
    return scan.scan(history=reconstructed, repo=facts, stats=stats, checks=checks, window=window,
                     now=request.moment, dormant=dormant)


def _window(request: ScanRequest, reconstructed: History, now: datetime,
            past: bool) -> tuple[Window, scan.Dormancy | None]:
    """The requested window; when scanning the past, it never reaches past that date. A date
    the user gave (--since, --until, --as-of) is obeyed as given; the default window of a
    dormant repository ends at its newest commit (`scan.choose_window`)."""
    until = request.until
    if past and until is not None:
        until = min(until, now)
    return scan.choose_window(reconstructed, now, since=request.since, until=until, days=request.window_days,
                              explicit=past)


def _trial_merges(request: ScanRequest, reconstructed: History, cache: Cache | None, git_dir: Path,
                  status: Status) -> tuple[MergeCheck, ...]:
    # Branches the scan leaves out (sharing no history with the trunk: gh-pages) are not tried: their
    # result would be shown nowhere, and the time budget goes to the branches that are shown.
    left_out = {b.ref for b in scan.unrelated_branches(reconstructed)}
    candidates = [
        # The reconstruction found every trunk commit: a branch with no base shares none with it.
        (b.name, b.tip, b.base if b.base is not None else trialmerge.NO_COMMON_HISTORY)
        for b in sorted(reconstructed.live_branches, key=lambda b: b.last_commit_at, reverse=True)
        if not b.merged and b.ref not in left_out
    ]
    checks: tuple[MergeCheck, ...] = ()
    if candidates and request.merge_check_seconds > 0:
        merge_key = Cache.key(reconstructed.trunk.tip, candidates, request.merge_check_seconds)
        cached_checks = cache.get("merge-checks", merge_key, _CACHED_CHECKS) if cache is not None else None
        if cached_checks is not None:
            checks = cached_checks
        else:
            status(f"trying {len(candidates)} branches against the trunk")
            checks = trialmerge.trial_merges(git_dir, reconstructed.trunk.tip, candidates,
                                          request.merge_check_seconds)
            if cache is not None and all(c.clean is not None for c in checks):
                cache.put("merge-checks", merge_key, checks, _CACHED_CHECKS)
    return checks


def dormancy(request: ScanRequest, status: Status = _quiet) -> tuple[datetime, scan.Dormancy] | None:
    """When the default window at `request.now` would be moved back (`scan.choose_window`: a
    dormant repository, or one too thin for a verdict whose newest commit is over 90 days old):
    the end of the moved window (the UTC day after the newest long-lived commit) and why.
    `backfill` without --until ends there instead of storing empty windows."""
    _, reconstructed, _ = load_history(replace(request, since=None, until=None, as_of=None), status)
    window, dormant = scan.choose_window(reconstructed, request.moment, days=request.window_days)
    return (window.until, dormant) if dormant is not None else None


def backfill(request: ScanRequest, dates: Sequence[datetime], status: Status = _quiet) -> Iterator[scan.Scan]:
    """The scan as it was on each of `dates`, in the order given, from one reading of the history.

    Each scan equals `run_scan(replace(request, as_of=date))`: the graph is read once
    (one `git log`), then for each date truncated in memory (`asof.truncate`),
    reconstructed and scanned with `now` = the date; `request.as_of` is ignored. The
    window is `request.since`/`request.until` when given (`until` is capped at the date),
    else the `request.window_days` before each date. Line counts are asked of git only for commits no
    earlier date (and no cache) already counted. Trial merges of live branches are
    off: they merge today's trees and describe the present, not the past.
    A date before the first commit raises `BadOption` when its turn comes.
    Histories are not cached (one per date would crowd the cache); line counts are.
    """
    location = gitread.locate(request.path)
    cache = Cache(request.cache_dir, location.git_dir) if request.cache_dir is not None else None
    stats = _LineStats(request, cache, location.git_dir, status)
    bare = location.work_tree is None
    with _cyclic_gc_paused():
        graph, left_out = _host_refs(_read_graph(request, status, cache)[0], bare=bare)
    texts = history.Texts(shared=True)  # each commit's message parsed once for every date
    # Each date's history is the previous one's grown by a week: resumed from it when that gives what a cold
    # reconstruction gives (history.resume). Each date's cut is built on the previous date's and numbers its commits
    # as that one did (`asof.cut`), so the resumption finds them in place; settled=0: that is not an order a cache
    # relies on.
    previous: tuple[History, history.Resume] | None = None
    earlier: asof.Cut | None = None
    for number, date in enumerate(dates, start=1):
        status(f"{date:%Y-%m-%d} ({number}/{len(dates)}): reconstructing")
        with _cyclic_gc_paused():
            earlier = _as_of(graph, request, date, after=earlier)
            past = earlier.graph
            reconstructed, resumable, _ = history.reconstruct_resumable(past, request.options, date, texts,
                                                                        previous=previous, settled=0)
            previous = (reconstructed, resumable) if resumable is not None else None
        facts = _facts(request, past, bare, left_out=left_out)
        del past
        window, _ = _window(request, reconstructed, date, past=True)
        counted = stats.get(scan.commits_needing_stats(reconstructed, window))
        yield scan.scan(history=reconstructed, repo=facts, stats=counted, checks=(), window=window, now=date)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRun:
    folder: Path
    plan: recommend.Plan
    written: tuple[Path, ...]
    notes: tuple[str, ...]
    ci: CiChecks


def _plan_state(folder: Path) -> tuple[Callable[[str], str | None], plandoc.State]:
    from advisor import plandoc

    read = store.plan_reader(folder)
    try:
        return read, plandoc.read_state(read(plandoc.STATE_FILE))
    except plandoc.BadState as error:
        raise BadOption(f"{folder / plandoc.STATE_FILE} is not a plan state advisor can read ({error}); "
                        "move it away or choose another folder.") from None


def _build_plan(request: ScanRequest, result: scan.Scan, state: plandoc.State,
                owners: bool = True) -> tuple[recommend.Plan, CiChecks]:
    from advisor import recommend

    location = gitread.locate(request.path)
    lines = tuple(line.name for line in result.history.long_lived)
    files = gitread.ci_files(location.git_dir, result.history.trunk.tip)
    found = _find_checks(tuple(files.items()), lines, result.history.trunk.name)
    return recommend.build_plan(result, found, state.prior, risky_paths(location.git_dir, result, owners)), found


def risky_paths(git_dir: Path, result: scan.Scan, owners: bool = True) -> risk.Risk:
    """The paths the window's reverts and hotfixes changed, grouped where they concentrate, with their owners
    (`owners=False`: none proposed, and the `git log` over the window that finds them is not run)."""
    from advisor import evidence, proofs, risk, touched

    fixes = risk.failure_fixes(result)
    changed = touched.changed_paths(git_dir, (sha for fix in fixes for sha in fix.commits))
    places = [r.pattern.lstrip("/") for r in risk.group(fixes, changed)]
    window = result.window
    authors = touched.frequent_authors(git_dir, result.history.trunk.tip, window.since, window.until,
                                       places) if owners else {}
    history = result.history
    return risk.risky_paths(fixes, changed, lambda place: authors.get(place, []), evidence.is_automation, window,
                            proofs.ref_of(history, history.trunk.name) or history.trunk.name)


@lru_cache(maxsize=4)
def _find_checks(files: tuple[tuple[str, bytes], ...], lines: tuple[str, ...], trunk: str) -> CiChecks:
    """`ci.find_checks`, remembered for the last few sets of CI files: backfill's snapshots, one a
    week, mostly read the same files (parsing their YAML cost it 1 s a date on curl)."""
    from advisor import ci

    return ci.find_checks(dict(files), lines, trunk=trunk)


def run_plan(request: ScanRequest, folder: Path, status: Status = _quiet) -> PlanRun:
    """Scan, read the CI configuration on the trunk, and write the plan folder (merging with what is there)."""
    from advisor import plandoc, protection

    read, state = _plan_state(folder)  # a folder advisor may not write is refused before the scan
    result = run_scan(request, status)
    status("writing the plan")
    plan, ci = _build_plan(request, result, state)
    slug = plandoc.repository_slug(gitread.remote_url(gitread.locate(request.path).git_dir))
    settings = {stage.id: protection.render_policy(stage.policy, slug) for stage in plan.stages}
    output = plandoc.render(plan, result, old=read, state=state, settings=settings)
    written = store.write_plan(folder, output.files, last=plandoc.STATE_FILE)
    notes = ((result.dormant.note,) if result.dormant is not None else ()) + tuple(output.notes)
    return PlanRun(folder=folder, plan=output.plan, written=tuple(written), notes=notes, ci=ci)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanFolder:
    """A plan folder as a snapshot reads it: plan.json's state and a reader of its stage files."""

    state: plandoc.State = dataclasses.field(default_factory=lambda: _no_state())
    read: Callable[[str], str | None] = lambda _path: None


def _no_state() -> plandoc.State:
    from advisor import plandoc

    return plandoc.State()


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanStatus:
    plan: recommend.Plan  # settled: a stage is done only when its criteria hold and its checklist is done
    checklists: dict[str, tuple[snapshot.ItemState, ...]] | None  # stage id -> items; None: not recorded


def plan_targets(folder: Path | None) -> PlanFolder:
    """The plan a snapshot's status is measured against: the plan in `folder`, when there is one
    (its targets, its tool ticks and the ticks people made in its stage files)."""
    from advisor import plandoc

    if folder is None or not (folder / plandoc.STATE_FILE).is_file():
        return PlanFolder()
    read, state = _plan_state(folder)
    return PlanFolder(state=state, read=read)


def plan_status(request: ScanRequest, result: scan.Scan, folder: PlanFolder, *,
                checklists: bool = True, owners: bool = True) -> PlanStatus:
    """The plan a snapshot records (the CI configuration is read at the scan's own trunk tip), with
    each stage's checklist as the folder holds it now, ticked from this scan's facts as `advisor
    plan` would tick it. `checklists=False` (backfill: the ticks of a past date are not known)
    records none, and then no stage is done. `owners=False` proposes no code owners for the risky
    paths: a snapshot records no policy, and finding them costs a `git log` over the window (backfill:
    0.7 s a date on curl)."""
    from advisor import plandoc, recommend

    plan = _build_plan(request, result, folder.state, owners)[0]
    if not checklists:
        return PlanStatus(plan=recommend.settle(plan, {stage.id: False for stage in plan.stages}), checklists=None)
    boxes = plandoc.checklists(plan, functools.cache(folder.read), dict(folder.state.verified))
    items = {ident: tuple(snapshot.ItemState(id=box.id, ticked=box.ticked, override=box.override,
                                             by=("tool" if box.note else "person") if box.ticked else "")
                          for box in stage) for ident, stage in boxes.items()}
    return PlanStatus(plan=plandoc.settled(plan, boxes), checklists=items)


def repository_settings(path: Path, revision: str | None) -> config.Config:
    """The repository's own settings: from its working tree, else (bare, mirror) from `revision` or HEAD."""
    location = gitread.locate(path)
    texts = {}
    for name in config.FILES:
        data: bytes | None
        if location.work_tree is not None:
            file = location.work_tree / name
            try:
                data = file.read_bytes() if file.is_file() else None
            except OSError as error:
                raise UnreadablePath(f"{file} cannot be read ({error.strerror}).") from None
        else:
            data = gitread.read_file_at(path, revision or "HEAD", name)
        if data is not None:
            try:
                texts[name] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise config.ConfigError(f"{name} is not UTF-8 text.") from None
    return config.parse(texts)
