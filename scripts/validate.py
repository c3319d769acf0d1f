"""Run advisor on public repositories and print the validation tables of docs/validation.md.

Usage: python scripts/validate.py REPOS.tsv [--verdicts]
  (prints the Markdown table; --verdicts prints the two-run verdict table instead)

REPOS.tsv columns: name, path to a local clone or mirror, the model its own docs
describe, where the docs say so. Label each repository from its own docs before
running this script.

Each repository is scanned twice:
- with the default command, as a user runs it (`advisor scan PATH --no-cache`:
  no --until, so the window is the year before now, or before the newest commit
  of a dormant repository; trial merges on with their default time budget);
- anchored at its newest commit (the year before the newest commit of its default
  branch, as `--until` that day would; trial merges off).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from advisor import pipeline
from advisor.history import HistoryOptions
from advisor.scan import Scan


def newest_commit(path: Path) -> datetime:
    out = subprocess.run(["git", "--git-dir", str(path), "log", "-1", "--format=%ct", "HEAD"],
                         capture_output=True, text=True, check=True).stdout.split()
    if not out:
        out = subprocess.run(["git", "-C", str(path), "log", "-1", "--format=%ct", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.split()
    return datetime.fromtimestamp(int(out[0]), timezone.utc)


def default_scan(path: Path) -> tuple[Scan, float]:
    """What `advisor scan PATH --no-cache` computes."""
    started = time.perf_counter()
    scan = pipeline.run_scan(pipeline.ScanRequest(path=path, now=datetime.now(timezone.utc),
                                                  options=HistoryOptions()))
    return scan, time.perf_counter() - started


def anchored_scan(path: Path) -> tuple[Scan, float]:
    """The year before the newest commit of the default branch (`--until` the day after it)."""
    until = newest_commit(path) + timedelta(days=1)
    started = time.perf_counter()
    scan = pipeline.run_scan(pipeline.ScanRequest(path=path, now=until, until=until, options=HistoryOptions(),
                                                  merge_check_seconds=0))
    return scan, time.perf_counter() - started


def said(scan: Scan) -> str:
    verdict = scan.verdict
    habit = f" ({verdict.trunk_habit} habits)" if verdict.trunk_habit and verdict.trunk_habit != verdict.model else ""
    return f"{verdict.model}{habit}"


def lines_of(scan: Scan) -> str:
    verdict = scan.verdict
    parts = []
    if verdict.integration_line:
        parts.append(f"integration {verdict.integration_line}")
    if verdict.production_line:
        parts.append(f"production {verdict.production_line}")
    if verdict.maintained_lines:
        parts.append(f"{len(verdict.maintained_lines)} maintained")
    if verdict.stale_lines:
        parts.append(f"{len(verdict.stale_lines)} stale")
    return ", ".join(parts) or "-"


def verdict_row(name: str, path: Path, label: str, source: str) -> list[str]:
    default, default_seconds = default_scan(path)
    anchored, anchored_seconds = anchored_scan(path)
    quarters = anchored.verdict
    return [
        name, label, source,
        f"{said(default)}, {default.verdict.confidence}",
        f"{default.window.since:%Y-%m-%d} to {default.window.until:%Y-%m-%d}",
        f"{said(anchored)}, {anchored.verdict.confidence}",
        ", ".join(f"{model} {value:.2f}" for model, value in
                  sorted(anchored.verdict.scores.items(), key=lambda item: -item[1])[:2]),
        f"{quarters.quarters_agreeing} of {quarters.quarters_named}",
        lines_of(anchored),
        f"{anchored.metrics.integration.integrations}",
        f"{default_seconds:.1f} s / {anchored_seconds:.1f} s",
    ]


def row(name: str, path: Path, label: str, source: str) -> list[str]:
    scan, seconds = anchored_scan(path)
    verdict, m = scan.verdict, scan.metrics
    lifetime = m.integration.lifetime_hours.p50
    interval = m.releases.interval_days.p50
    ranked = sorted(verdict.scores.items(), key=lambda item: -item[1])[:2]
    return [
        name, label, source, said(scan), verdict.confidence,
        ", ".join(f"{model} {value:.2f}" for model, value in ranked),
        f"{scan.repo.commits}", f"{m.integration.integrations}",
        "-" if lifetime is None else f"{lifetime:.1f} h",
        "-" if interval is None else f"{interval:.0f} d",
        m.lead_time.constraint or "-", f"{seconds:.1f} s",
    ]


HEADERS = ["repository", "its docs say", "where", "advisor says", "confidence", "top scores", "commits",
           "integrations (12 months)", "branch lifetime p50", "release interval p50", "constraint", "scan time"]
VERDICT_HEADERS = ["repository", "its docs say", "where", "default command", "its window", "anchored at the newest "
                   "commit", "top scores (anchored)", "quarters agreeing", "lines (anchored)", "integrations",
                   "time (default / anchored)"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repos", type=Path)
    parser.add_argument("--verdicts", action="store_true",
                        help="the verdict table: the default command and the anchored scan side by side")
    args = parser.parse_args(argv)
    make, headers = (verdict_row, VERDICT_HEADERS) if args.verdicts else (row, HEADERS)
    rows = []
    with args.repos.open() as stream:
        for record in csv.reader(stream, delimiter="\t"):
            if not record or record[0].startswith("#"):
                continue
            name, path, label, source = record[:4]
            rows.append(make(name, Path(path), label, source))
            print(" | ".join(rows[-1]), file=sys.stderr)
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for cells in rows:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
