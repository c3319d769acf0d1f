"""The facts the plan's settings rest on, measured from real repositories, each with the git command that checks it."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

from advisor import pipeline
from advisor.evidence import is_automation, line_pattern, team_facts
from advisor.history import HistoryOptions
from tests import scenarios

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def facts_of(path: Path):  # type: ignore[no-untyped-def]
    return team_facts(pipeline.run_scan(pipeline.ScanRequest(path=path, now=NOW, options=HistoryOptions(),
                                                             merge_check_seconds=0)))


def run(command: str, cwd: Path) -> str:
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_each_fact_is_what_its_git_command_shows(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    facts = facts_of(repo_path)
    # The merge-commit count is what `git log --first-parent --merges` counts over the same days.
    shown = run(facts.merge_commits.command, repo_path).split()
    assert float(shown[0]) == facts.merge_commits.value
    assert facts.merge_commits.text.startswith(f"{facts.merge_commits.value:g} merge commit")
    # Who merged: the command's counts contain the top merger's.
    if facts.mergers:
        name, count = facts.mergers[0]
        lines = [line.split(maxsplit=1) for line in run(facts.merging.command, repo_path).splitlines()]
        assert [str(count), name] in [[c, n] for c, n in lines] or any(n == name for _, n in lines)


def test_trunk_direct_is_mostly_direct_pushes(repo_path: Path) -> None:
    scenarios.trunk_direct(repo_path)
    facts = facts_of(repo_path)
    assert facts.most_direct
    assert "as direct pushes" in facts.direct.text


def test_names_of_automation_and_maintained_lines() -> None:
    assert is_automation("Pi-hole (build)") and is_automation("dependabot[bot]") and is_automation("github-actions")
    assert not is_automation("Alice") and not is_automation("Robert") and not is_automation(None)
    assert line_pattern("support/4.x") == "support/*"
    assert line_pattern("3.2.x") == "*.x"
    assert line_pattern("release-1.0") == "release-*"
    assert line_pattern("feature/x") is None and line_pattern("develop") is None
