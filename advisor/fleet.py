"""Many repositories at once: find them, scan them in parallel, read back per-repository JSON.

Each repository's scan is independent: a process pool runs them (`jobs`, by default
every core), and a repository that fails to scan becomes a row with its one-sentence
error instead of stopping the others. Fleets too large for one machine run one
`advisor scan REPO --format json` per CI job and `advisor fleet --merge *.json`
at the end (docs/fleet.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from advisor import escape, gitread, pipeline, plandoc, snapshot, store
from advisor.errors import AdvisorError
from advisor.history import DEFAULT_BOT_PATTERNS, HistoryOptions
from advisor.report import portfolio

GENERIC = {"repo", "repository", "git", "mirror", "clone", "src", "source", "code", "checkout", "bare", "work"}


def display_name(path: Path) -> str:
    """How people call a repository: OWNER/NAME from its remote, else its folder (the parent's when the
    folder has a generic name such as `repo`, as mirrors often do)."""
    try:
        location = gitread.locate(path)
        slug = plandoc.repository_slug(gitread.remote_url(location.git_dir))
        if slug:
            return slug
        folder = location.git_dir.resolve()
    except AdvisorError:
        folder = path.resolve()
    if folder.name == ".git":
        folder = folder.parent
    name = folder.name.removesuffix(".git")
    if name.lower() in GENERIC and folder.parent.name:
        return folder.parent.name.removesuffix(".git")
    return name or str(path)


def _is_repository(folder: Path) -> bool:
    return (folder / ".git").exists() or ((folder / "HEAD").is_file() and (folder / "objects").is_dir()
                                          and (folder / "refs").is_dir())


def find(root: Path) -> list[Path]:
    """Every repository under `root` (work trees and bare ones), not looking inside a repository found."""
    if not root.is_dir():
        raise AdvisorError(f"{root} is not a folder.")
    found = []
    for folder, subfolders, _ in os.walk(root):
        here = Path(folder)
        if _is_repository(here):
            found.append(here)
            subfolders[:] = []
        else:
            subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
    return sorted(found)


def read_list(path: Path) -> list[Path]:
    """The repositories a --repos file lists, one a line; blank lines and # comments skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise AdvisorError(f"{path} cannot be read ({error.strerror or error}).") from None
    return [Path(line.strip()) for line in lines if line.strip() and not line.lstrip().startswith("#")]


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    cache_dir: Path | None
    merge_check_seconds: float = 0.0
    allow_shallow: bool = False


def scan_one(path: Path, options: Options) -> tuple[str, dict[str, object] | None, str | None, float]:
    """One repository: (name, its snapshot document or None, the error sentence or None, seconds).
    Runs in a worker process; everything it returns is plain data."""
    started = time.monotonic()
    name = display_name(path)
    try:
        settings = pipeline.repository_settings(path, None)
        request = pipeline.ScanRequest(
            path=path, now=datetime.now(timezone.utc),
            options=HistoryOptions(trunk=settings.trunk, bot_patterns=settings.bot_patterns or DEFAULT_BOT_PATTERNS),
            allow_shallow=options.allow_shallow, cache_dir=options.cache_dir,
            merge_check_seconds=options.merge_check_seconds)
        result = pipeline.run_scan(request)
        plan_dir = store.default_plan_dir(os.environ, gitread.locate(path).git_dir)
        status = pipeline.plan_status(request, result, pipeline.plan_targets(plan_dir if plan_dir.is_dir() else None))
        document = snapshot.to_document(snapshot.from_scan(result, status.plan, status.checklists))
        return name, document, None, time.monotonic() - started
    except AdvisorError as error:
        return name, None, str(error), time.monotonic() - started
    except Exception as error:  # noqa: BLE001 - one repository's bug must not stop the fleet
        return name, None, f"internal error ({type(error).__name__}: {error})", time.monotonic() - started


def _row(path: Path, outcome: tuple[str, dict[str, object] | None, str | None, float]) -> portfolio.Row:
    name, document, error, seconds = outcome
    if document is None:
        return portfolio.failed(name, str(path), error or "the scan failed", seconds)
    return portfolio.row_of(snapshot.from_document(document), name, str(path), seconds)


def scan_all(paths: Sequence[Path], options: Options, jobs: int,
             done: Callable[[portfolio.Row, int, int], None] = lambda row, n, total: None) -> list[portfolio.Row]:
    """Scan every repository, `jobs` at a time; `done` hears of each as it finishes."""
    rows: list[portfolio.Row] = []
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            rows.append(_row(path, scan_one(path, options)))
            done(rows[-1], len(rows), len(paths))
        return rows
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: dict[Future[tuple[str, dict[str, object] | None, str | None, float]], Path] = {
            pool.submit(scan_one, path, options): path for path in paths}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                path = pending.pop(future)
                try:
                    outcome = future.result()
                except Exception as error:  # noqa: BLE001 - a worker that died (out of memory...)
                    outcome = (display_name(path), None, f"the scan stopped ({type(error).__name__}: {error})", 0.0)
                rows.append(_row(path, outcome))
                done(rows[-1], len(rows), len(paths))
    return rows


def merge(files: Sequence[Path]) -> Iterator[portfolio.Row]:
    """Rows from JSON files: a portfolio `advisor fleet --format json` wrote (every row of it, so fleets
    built by the jobs of a CI matrix combine), `advisor scan --format json` output, or a stored snapshot.
    A file that is none of these is a failed row naming it, in one sentence."""
    for file in files:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(document, dict) and document.get("kind") == "advisor-fleet":
                yield from portfolio.rows_of_document(document)
                continue
            snap = snapshot.from_document(document)
        except OSError as error:
            yield portfolio.failed(file.stem, str(file), f"{file} cannot be read ({error.strerror or error}).")
            continue
        except (ValueError, AdvisorError) as error:
            reason = str(error).rstrip(".")
            yield portfolio.failed(file.stem, str(file), f"{file} cannot be read as an advisor scan or fleet "
                                                         f"({escape.one_line(reason)}).")
            continue
        path = Path(snap.repo) if snap.repo else file
        name = display_name(path) if snap.repo and path.exists() else (Path(snap.repo).name or file.stem)
        if name.lower() in GENERIC and snap.repo:
            name = Path(snap.repo).parent.name
        yield portfolio.row_of(snap, name, snap.repo or str(file))
