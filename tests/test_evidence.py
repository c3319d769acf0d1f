"""The facts the plan's settings rest on, measured from real repositories, each with the git command that checks it."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

from advisor import pipeline
from advisor.evidence import is_automation, line_pattern, team_facts
from advisor.history import HistoryOptions
from tests import builders, scenarios

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
    assert_mergers_reproduced(facts, repo_path)


def assert_mergers_reproduced(facts, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The mergers fact's command prints exactly its counts, and its text says the same numbers."""
    lines = [line.split(maxsplit=1) for line in run(facts.merging.command, path).splitlines()]
    assert [(name, int(count)) for count, name in lines] == list(facts.mergers)
    assert sum(count for _, count in facts.mergers) == facts.merges_known
    if facts.mergers:
        name, top = facts.mergers[0]
        assert f"{name} authored {top} of {facts.merges_known}" in facts.merging.text


def test_who_merges_leaves_out_line_merges_and_bots_and_says_so(repo_path: Path) -> None:
    # develop is the trunk; master is merged back into it after each fix (line merges, by Alice),
    # and a bot merges its own branch: neither is a person merging a change.
    scenarios.gitflow_develop_default(repo_path)
    b = builders.RepoBuilder(repo_path, trunk="develop")
    bot = ("renovate[bot]", "bot@example.com")
    b.branch("renovate/x", "develop")
    b.commit("Update x", branch="renovate/x", author=bot, at=scenarios.at(900))
    b.merge("renovate/x", "develop", message="Merge branch 'renovate/x'", at=scenarios.at(901), who=bot)
    for hour in (902, 903):  # release automation's direct commits: author and committer alike
        b.commit("chore: bump version", branch="develop", author=bot, at=scenarios.at(hour))
    facts = facts_of(repo_path)
    assert facts.mergers and "renovate[bot]" not in dict(facts.mergers)
    assert "merging another long-lived line" in facts.merging.text and "1 by bots" in facts.merging.text
    assert_mergers_reproduced(facts, repo_path)
    # Each automation commit is counted once (its merge and two direct commits), as `git log --format=%cn` counts it.
    assert facts.automation_fact is not None and "renovate[bot] (3 commits)" in facts.automation_fact.text
    shown = dict((n, int(c)) for c, n in (line.split(maxsplit=1) for line in
                                          run(facts.automation_fact.command, repo_path).splitlines()))
    assert shown["renovate[bot]"] == 3


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
    assert line_pattern("release-please--branches--main--components--app") is None  # the bot's PR branch
    assert line_pattern("feature/x") is None and line_pattern("develop") is None
