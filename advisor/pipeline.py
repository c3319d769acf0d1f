"""Run the stages with their I/O: read git, reconstruct (cached), count lines, try merges.

This is the one place that sequences reading and caching; each stage it calls
is either a reader (`gitread`), the writer (`store`) or pure (`history`, `scan`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from advisor import ciconfig, gitread, history, plandoc, protection, recommend, scan, store
from advisor.errors import BadOption
from advisor.model import History, MergeCheck, RefKind
from advisor.protection import CiChecks
from advisor.store import Cache

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


def _quiet(_: str) -> None:
    pass


def load_history(request: ScanRequest, status: Status = _quiet) -> tuple[scan.RepoFacts, History, Cache | None]:
    location = gitread.locate(request.path)
    cache = Cache(request.cache_dir, location.git_dir) if request.cache_dir is not None else None
    key = ""
    if cache is not None:
        fingerprint = gitread.fingerprint(request.path, allow_shallow=request.allow_shallow)
        key = Cache.key(fingerprint, request.options, request.now.date().isoformat(), str(request.path))
        cached = cache.get("history", key)
        if cached is not None:
            facts, reconstructed = cached
            return facts, reconstructed, cache
    status("reading commits")
    # Loading and reconstruction make millions of objects and no reference cycles: the
    # cyclic collector would only walk them again and again (12-20 % of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        graph = gitread.load(request.path, allow_shallow=request.allow_shallow,
                             progress=lambda n: status(f"reading commits: {n}"))
        status(f"reconstructing {len(graph)} commits")
        reconstructed = history.reconstruct(graph, request.options, request.now)
    finally:
        if collecting:
            gc.enable()
    branch_names = {r.short for r in graph.refs if r.kind in (RefKind.LOCAL, RefKind.REMOTE)}
    facts = scan.RepoFacts(
        path=str(request.path), bare=location.work_tree is None, commits=len(graph),
        branches=len(branch_names), tags=sum(1 for r in graph.refs if r.kind is RefKind.TAG),
        pull_refs=sum(1 for r in graph.refs if r.kind is RefKind.PULL), shallow=graph.shallow,
    )
    del graph  # the compact graph is no longer needed: free it before the cache is written
    if cache is not None:
        cache.put("history", key, (facts, reconstructed))
    return facts, reconstructed, cache


def run_scan(request: ScanRequest, status: Status = _quiet) -> scan.Scan:
    facts, reconstructed, cache = load_history(request, status)
    window = scan.default_window(request.now, request.since, request.until)
    location = gitread.locate(request.path)
    needed = scan.commits_needing_stats(reconstructed, window)
    stats = cache.line_stats(needed) if cache is not None else {}
    missing = [sha for sha in needed if sha not in stats]
    if missing and gitread.is_partial_clone(location.git_dir):
        status("partial clone: line counts left out (they would fetch blobs into the repository)")
        missing = []
    if missing:
        status(f"counting lines of {len(missing)} commits")
        fresh = gitread.line_stats(location.git_dir, missing, workers=request.workers)
        stats.update(fresh)
        if cache is not None:
            cache.add_line_stats(fresh)
    candidates = [
        (b.name, b.tip, b.base)
        for b in sorted(reconstructed.live_branches, key=lambda b: b.last_commit_at, reverse=True)
        if not b.merged
    ]
    checks: tuple[MergeCheck, ...] = ()
    if candidates and request.merge_check_seconds > 0:
        merge_key = Cache.key(reconstructed.trunk.tip, candidates, request.merge_check_seconds)
        cached_checks = cache.get("merge-checks", merge_key) if cache is not None else None
        if cached_checks is not None:
            checks = cached_checks
        else:
            status(f"trying {len(candidates)} branches against the trunk")
            checks = gitread.trial_merges(location.git_dir, reconstructed.trunk.tip, candidates,
                                          request.merge_check_seconds)
            if cache is not None and all(c.clean is not None for c in checks):
                cache.put("merge-checks", merge_key, checks)
    return scan.scan(history=reconstructed, repo=facts, stats=stats, checks=checks, window=window,
                     now=request.now)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRun:
    folder: Path
    plan: recommend.Plan
    written: tuple[Path, ...]
    notes: tuple[str, ...]
    ci: CiChecks


def run_plan(request: ScanRequest, folder: Path, status: Status = _quiet) -> PlanRun:
    """Scan, read the CI configuration on the trunk, and write the plan folder (merging with what is there)."""
    read = store.plan_reader(folder)  # a folder advisor may not write is refused before the scan
    result = run_scan(request, status)
    location = gitread.locate(request.path)
    lines = [line.name for line in result.history.long_lived]
    ci = ciconfig.find_checks(gitread.ci_files(location.git_dir, result.history.trunk.tip), lines)
    try:
        state = plandoc.read_state(read(plandoc.STATE_FILE))
    except plandoc.BadState as error:
        raise BadOption(f"{folder / plandoc.STATE_FILE} is not a plan state advisor can read ({error}); "
                        "move it away or choose another folder.") from None
    status("writing the plan")
    plan = recommend.build_plan(result, ci, state.prior)
    slug = plandoc.repository_slug(gitread.remote_url(location.git_dir))
    settings = {stage.id: protection.render_policy(stage.policy, slug) for stage in plan.stages}
    output = plandoc.render(plan, result, old=read, state=state, settings=settings)
    written = store.write_plan(folder, output.files, last=plandoc.STATE_FILE)
    return PlanRun(folder=folder, plan=plan, written=tuple(written), notes=output.notes, ci=ci)
