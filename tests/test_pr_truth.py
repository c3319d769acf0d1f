"""scripts/pr_truth.py: the truth read from pull-request refs, and advisor measured against it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests import scenarios

ROOT = Path(__file__).resolve().parents[1]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pr_truth", ROOT / "scripts" / "pr_truth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pr_truth"] = module
    spec.loader.exec_module(module)
    return module


def refs(path: Path) -> str:
    return subprocess.run(["git", "-C", str(path), "for-each-ref"], capture_output=True, text=True,
                          check=True).stdout


def test_squash_prs_are_exact_with_their_refs_and_unknown_without(repo_path: Path) -> None:
    pr_truth = load_script()
    sim = scenarios.Simulator(repo_path)
    sim.direct("main", 0)
    for number in range(1, 11):  # ten PRs squash-merged 3 hours after their first commit
        sim.work(f"short-{number}", "main", number * 6, 2, spacing=0.5)
        sim.merge(f"short-{number}", "main", number * 6 + 3, commits=2, first=number * 6, method="squash", pr=True,
                  pull_ref=True)
    sim.work("merged-one", "main", 100, 2, spacing=2)  # and one merged with a merge commit 10 hours after
    sim.merge("merged-one", "main", 110, commits=2, first=100, pr=True, pull_ref=True)
    before = refs(repo_path)
    record = pr_truth.measure(repo_path)
    assert refs(repo_path) == before  # the copy without pull refs wrote nothing to the mirror
    assert record["truth_prs"] == 11 and record["truth_methods"] == {"squash": 10, "merge": 1}
    assert record["with_refs"] == {
        "prs": 11, "recalled": 11, "method": 11, "lifetime_within_5pct": 11, "lifetime_judged": 11,
        "lifetime_unknown": 0, "commits": 11, "commits_judged": 11, "lifetime_error_p50_hours": 0.0}
    # Without the refs the ten squashes are one commit each, with no lifetime; the merge is whole.
    assert record["without_refs"] == {
        "prs": 11, "recalled": 11, "method": 11, "lifetime_within_5pct": 1, "lifetime_judged": 11,
        "lifetime_unknown": 10, "commits": 1, "commits_judged": 11, "lifetime_error_p50_hours": 0.0}
    table = pr_truth.rows(record)
    assert table[0][4:] == ["100.0%", "100.0%", "100.0%", "0.0%", "0.0 h", "100.0%"]
    assert table[1][4:] == ["100.0%", "100.0%", "9.1%", "90.9%", "0.0 h", "9.1%"]
