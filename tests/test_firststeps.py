"""The first steps follow the evidence, in the order of the way out."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from advisor import firststeps, pipeline
from advisor.history import HistoryOptions
from tests import scenarios


def steps_for(path: Path) -> list[str]:
    result = pipeline.run_scan(pipeline.ScanRequest(
        path=path, now=datetime(2024, 6, 1, tzinfo=timezone.utc), options=HistoryOptions(),
        since=datetime(2023, 6, 1, tzinfo=timezone.utc)))
    return [step.id for step in result.first_steps]


def test_gitflow_is_told_to_shrink_batches_and_retire_develop(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    steps = steps_for(repo_path)
    assert steps[:2] == ["shrink-branches", "retire-integration-branch"]
    assert len(steps) <= 3


def test_trunk_based_team_gets_little_advice(repo_path: Path) -> None:
    scenarios.trunk_direct(repo_path)
    assert "retire-integration-branch" not in steps_for(repo_path)


def test_release_branching_is_told_to_fix_on_trunk_when_fixes_flow_up(repo_path: Path) -> None:
    scenarios.release_branching(repo_path)
    assert "fix-on-trunk" not in steps_for(repo_path)  # its fixes already go trunk -> release lines


def test_every_rule_cites_a_source_and_has_a_unique_id() -> None:
    ids = [rule.id for rule in firststeps.RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.source for rule in firststeps.RULES)


def test_the_collapse_advice_names_the_right_line(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    result = pipeline.run_scan(pipeline.ScanRequest(
        path=repo_path, now=datetime(2024, 6, 1, tzinfo=timezone.utc), options=HistoryOptions(),
        since=datetime(2023, 6, 1, tzinfo=timezone.utc)))
    texts = {step.id: step.text for step in result.first_steps}
    assert "instead of through develop" in texts["retire-integration-branch"]
    as_develop = pipeline.run_scan(pipeline.ScanRequest(
        path=repo_path, now=datetime(2024, 6, 1, tzinfo=timezone.utc), options=HistoryOptions(trunk="develop"),
        since=datetime(2023, 6, 1, tzinfo=timezone.utc)))
    texts = {step.id: step.text for step in as_develop.first_steps}
    assert "instead of merging into master, then retire master" in texts["retire-integration-branch"]


def stale_step(path: Path, stale: int) -> str:
    from tests.builders import RepoBuilder
    builder = RepoBuilder(path)
    builder.commit("start", at=datetime(2023, 1, 2, tzinfo=timezone.utc))
    for n in range(stale):
        builder.branch(f"old-{n}")
        builder.commit(f"forgotten {n}", branch=f"old-{n}", files={f"old{n}.txt": "x"},
                       at=datetime(2023, 1, 3 + n, tzinfo=timezone.utc))
    for day in range(1, 20):
        builder.commit(f"work {day}", files={"main.txt": str(day)}, at=datetime(2024, 5, day, tzinfo=timezone.utc))
    result = pipeline.run_scan(pipeline.ScanRequest(
        path=path, now=datetime(2024, 6, 1, tzinfo=timezone.utc), options=HistoryOptions(), merge_check_seconds=0))
    return next(step.text for step in result.first_steps if step.id == "close-stale-branches")


def test_the_stale_branch_advice_counts_in_words_people_say(tmp_path: Path) -> None:
    assert "finish or delete the 1 stale branch (no commit in 90 days)" in stale_step(tmp_path / "one", 1)
    assert "finish or delete the 2 stale branches (no commit in 90 days)" in stale_step(tmp_path / "two", 2)
