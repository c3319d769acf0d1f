"""The staged plan follows the evidence: stages, checklist items, exit criteria."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from advisor import pipeline, recommend
from advisor.history import HistoryOptions
from tests import scenarios
from tests.builders import START
from tests.plans import NO_CI


NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def scan_of(path: Path, now: datetime = NOW) -> pipeline.scan.Scan:
    return pipeline.run_scan(pipeline.ScanRequest(path=path, now=now, options=HistoryOptions(),
                                                  merge_check_seconds=0))


def test_gitflow_plan_collapses_develop_and_names_it(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    plan = recommend.build_plan(scan_of(repo_path), NO_CI)
    ids = [stage.id for stage in plan.stages]
    assert ids == ["stop-adding-wip", "automate", "shrink-batches", "collapse-lines", "release-from-trunk",
                   "continuous-delivery"]
    collapse = plan.stages[3]
    assert any(action.code[:1] == ("develop",) and "one last time" in action.text for action in collapse.actions)
    lock = [rule for rule in plan.stages[4].policy.rules if rule.lock]  # locked once its last merge is done
    assert [rule.pattern for rule in lock] == ["develop"]
    assert plan.target_model == recommend.TARGET_TRUNK_BASED


def test_trunk_based_plan_skips_the_collapse_stage_and_says_why(repo_path: Path) -> None:
    scenarios.trunk_squash(repo_path)
    plan = recommend.build_plan(scan_of(repo_path), NO_CI)
    assert "collapse-lines" not in [stage.id for stage in plan.stages]
    assert "collapse-lines" in [skipped.id for skipped in plan.skipped]


def test_release_branching_keeps_release_branches_in_the_target(repo_path: Path) -> None:
    scenarios.release_branching(repo_path)
    plan = recommend.build_plan(scan_of(repo_path), NO_CI)
    assert plan.target_model == recommend.TARGET_RELEASE_BRANCHES
    release = next(stage for stage in plan.stages if stage.id == "release-from-trunk")
    assert "release-from-trunk.fixes-from-trunk" in [c.id for c in release.criteria]
    # The lines the history maintains (release-1.0, release-1.1) are protected under their own pattern.
    lines = [rule for rule in release.policy.rules if rule.pattern == "release-*"]
    assert len(lines) == 1 and lines[0].require_pull_request
    assert any("release-1.0, release-1.1" in fact for fact in lines[0].allowed_by)
    assert not any(rule.pattern == "release/*" for rule in release.policy.rules)


def test_a_dormant_release_line_does_not_make_the_target_release_branches(repo_path: Path) -> None:
    """Maintained means active: a release line last touched two years before the window is a
    stale line, so the target is plain trunk-based (issue 9, item 4)."""
    scenarios.dormant_release_line(repo_path)
    scan = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=NOW, options=HistoryOptions(),
                                                  since=datetime(2023, 6, 1, tzinfo=timezone.utc),
                                                  merge_check_seconds=0))
    assert scan.verdict.stale_lines == ("release-1.0",)
    plan = recommend.build_plan(scan, NO_CI)
    assert plan.target_model == recommend.TARGET_TRUNK_BASED


def test_stale_and_active_branches_are_named_with_their_numbers(repo_path: Path) -> None:
    builder = scenarios.trunk_with_an_idle_branch(repo_path, days=200)
    for name in ("feature/a", "feature/b"):
        builder.branch(name, "main")
        builder.commit(f"{name} 1", branch=name, at=24 * 199 + 1)
        builder.commit(f"{name} 2", branch=name, at=24 * 199 + 2)
    scan = scan_of(repo_path, now=START + timedelta(days=200))
    wip = recommend.build_plan(scan, NO_CI).stages[0]
    texts = {action.id.rsplit(".", 1)[0]: action for action in wip.actions}
    stale = texts["stop-adding-wip.delete-stale"]
    assert stale.code == ("old-idea",) and "(no commit for 200 days, 1 commit not on the trunk)" in stale.text
    landed = [a for a in wip.actions if a.id.startswith("stop-adding-wip.land.")]
    assert sorted(a.code[0] for a in landed) == ["feature/a", "feature/b"]
    assert all("2 commits ahead" in a.text for a in landed)
    criterion = next(c for c in wip.criteria if c.id == "stop-adding-wip.stale-branches")
    assert (criterion.current, criterion.target, criterion.met) == (1, 0, False)
    assert wip.status is recommend.StageStatus.CURRENT


def test_targets_are_steps_from_the_current_value_and_kept_once_set() -> None:
    assert recommend.step_down(100, 24) == 50 and recommend.step_down(30, 24) == 24
    assert recommend.step_down(10, 24) == 24
    assert recommend.step_up(0.1, 1) == 0.55 and recommend.step_up(2, 1) == 1
    criteria = recommend._Criteria("s", recommend.Prior(targets={"s.lifetime": 70.0}))
    kept = criteria.make("lifetime", "x", "m", 60.0, 24, less_is_better=True, unit="h", source="")
    assert (kept.target, kept.met) == (70.0, True)
    fresh = recommend._Criteria("s", recommend.Prior()).make("lifetime", "x", "m", 200.0, 24,
                                                              less_is_better=True, unit="h", source="")
    assert (fresh.target, fresh.met, fresh.ideal) == (100.0, False, 24)


def test_stage_ids_and_action_ids_are_unique_and_stable(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    first = recommend.build_plan(scan_of(repo_path), NO_CI)
    again = recommend.build_plan(scan_of(repo_path), NO_CI)
    ids = [action.id for stage in first.stages for action in stage.actions]
    assert len(ids) == len(set(ids))
    assert ids == [action.id for stage in again.stages for action in stage.actions]
    criteria = [c.id for stage in first.stages for c in stage.criteria]
    assert len(criteria) == len(set(criteria)) and all(c.source for s in first.stages for c in s.criteria)


def test_the_first_unfinished_stage_is_current_and_only_one_is(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    plan = recommend.build_plan(scan_of(repo_path), NO_CI)
    current = [stage.id for stage in plan.stages if stage.status is recommend.StageStatus.CURRENT]
    assert current == [plan.current_stage]
    before = plan.stages[:[s.id for s in plan.stages].index(plan.current_stage)]
    assert all(stage.status is recommend.StageStatus.DONE for stage in before)
