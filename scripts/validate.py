"""Run advisor on public repositories and print the validation table of docs/validation.md.

Usage: python scripts/validate.py REPOS.tsv   (prints the Markdown table)
REPOS.tsv columns: name, path to a local clone or mirror, the model its own docs
describe, where the docs say so. Each repository is scanned over the year
before the newest commit of its default branch (so an old project still has a
full window).
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


def newest_commit(path: Path) -> datetime:
    out = subprocess.run(["git", "--git-dir", str(path), "log", "-1", "--format=%ct", "HEAD"],
                         capture_output=True, text=True, check=True).stdout.split()
    if not out:
        out = subprocess.run(["git", "-C", str(path), "log", "-1", "--format=%ct", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.split()
    return datetime.fromtimestamp(int(out[0]), timezone.utc)


def row(name: str, path: Path, label: str, source: str) -> list[str]:
    until = newest_commit(path) + timedelta(days=1)
    started = time.perf_counter()
    scan = pipeline.run_scan(pipeline.ScanRequest(path=path, now=until, options=HistoryOptions(),
                                                  merge_check_seconds=0))
    seconds = time.perf_counter() - started
    verdict, m = scan.verdict, scan.metrics
    habit = f" ({verdict.trunk_habit} habits)" if verdict.trunk_habit and verdict.trunk_habit != verdict.model else ""
    lifetime = m.integration.lifetime_hours.p50
    interval = m.releases.interval_days.p50
    ranked = sorted(verdict.scores.items(), key=lambda item: -item[1])[:2]
    return [
        name, label, source, f"{verdict.model}{habit}", verdict.confidence,
        ", ".join(f"{model} {value:.2f}" for model, value in ranked),
        f"{scan.repo.commits}", f"{m.integration.integrations}",
        "-" if lifetime is None else f"{lifetime:.1f} h",
        "-" if interval is None else f"{interval:.0f} d",
        m.lead_time.constraint or "-", f"{seconds:.1f} s",
    ]


HEADERS = ["repository", "its docs say", "where", "advisor says", "confidence", "top scores", "commits",
           "integrations (12 months)", "branch lifetime p50", "release interval p50", "constraint", "scan time"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("repos", type=Path)
    args = parser.parse_args(argv)
    rows = []
    with args.repos.open() as stream:
        for record in csv.reader(stream, delimiter="\t"):
            if not record or record[0].startswith("#"):
                continue
            name, path, label, source = record[:4]
            rows.append(row(name, Path(path), label, source))
            print(" | ".join(rows[-1]), file=sys.stderr)
    print("| " + " | ".join(HEADERS) + " |")
    print("|" + "---|" * len(HEADERS))
    for cells in rows:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
