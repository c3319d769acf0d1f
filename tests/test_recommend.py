"""The staged plan follows the evidence: stages, checklist items, exit criteria."""

from __future__ import annotations

import dataclasses
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


def test_targets_are_kept_once_set() -> None:
    criteria = recommend._Criteria("s", recommend.Prior(targets={"s.lifetime": 70.0}, baselines={"s.lifetime": 150.0}))
    kept = criteria.make("lifetime", "x", "m", 60.0, 24, less_is_better=True, unit="h", source="")
    assert (kept.target, kept.met, kept.baseline) == (70.0, True, 150.0)
    fresh = recommend._Criteria("s", recommend.Prior()).make("lifetime", "x", "m", 200.0, 24,
                                                              less_is_better=True, unit="h", source="")
    assert (fresh.target, fresh.met, fresh.ideal, fresh.baseline) == (168.0, False, 24, 200.0)


def test_a_target_set_when_nothing_was_measured_is_stepped_again_once_it_is() -> None:
    # The first run measured nothing (baseline None) and fell back to the ideal; now there is a value.
    prior = recommend.Prior(targets={"s.lifetime": 24.0}, baselines={"s.lifetime": None})
    again = recommend._Criteria("s", prior).make("lifetime", "x", "m", 21 * 24.0, 24, less_is_better=True,
                                                 unit="h", source="")
    assert (again.target, again.baseline) == (7 * 24.0, 21 * 24.0)
    # An older plan.json without baselines is stepped again too.
    older = recommend._Criteria("s", recommend.Prior(targets={"s.lifetime": 24.0})).make(
        "lifetime", "x", "m", 21 * 24.0, 24, less_is_better=True, unit="h", source="")
    assert older.target == 7 * 24.0


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


def test_targets_are_stepped_again_when_the_same_history_measures_differently(tmp_path: Path) -> None:
    # A plan folder whose baseline for the branch lifetime differs from what the same trunk commit
    # and window measure today (an older advisor read the history differently): the steps are
    # recomputed from today's value and the plan says so. Another window keeps the target.
    import json
    repo, folder = tmp_path / "repo", tmp_path / "plan"
    scenarios.gitflow(repo)
    request = pipeline.ScanRequest(path=repo, now=NOW, options=HistoryOptions(), merge_check_seconds=0)
    first = pipeline.run_plan(request, folder)
    lifetime = next(c for s in first.plan.stages for c in s.criteria if c.id == "shrink-batches.lifetime")
    assert lifetime.current is not None and lifetime.baseline == lifetime.current
    state_path = folder / "plan.json"
    state = json.loads(state_path.read_text())
    assert state["baseline_over"][lifetime.id] == recommend.measured_over(scan_of(repo))
    state["baselines"][lifetime.id] = lifetime.current * 10  # what the earlier reading measured
    state["targets"][lifetime.id] = 999.0
    state_path.write_text(json.dumps(state))

    # Another window (a week later, same trunk commit): the kept target stands.
    later = pipeline.run_plan(dataclasses.replace(request, now=NOW + timedelta(days=7)), folder)
    kept = next(c for s in later.plan.stages for c in s.criteria if c.id == lifetime.id)
    assert kept.target == 999.0 and kept.restepped_from is None
    state = json.loads(state_path.read_text())
    state["baselines"][lifetime.id], state["targets"][lifetime.id] = lifetime.current * 10, 999.0
    state["baseline_over"][lifetime.id] = recommend.measured_over(scan_of(repo))
    state_path.write_text(json.dumps(state))

    # The same trunk commit and window: stepped again from today's value, and the README says so.
    again = pipeline.run_plan(request, folder)
    restepped = next(c for s in again.plan.stages for c in s.criteria if c.id == lifetime.id)
    assert restepped.restepped_from == lifetime.current * 10
    assert (restepped.target, restepped.baseline) == (lifetime.target, lifetime.current)
    readme = (folder / "README.md").read_text()
    assert "**Targets stepped again.**" in readme and "median branch lifetime" in readme
    assert any(note.startswith("target stepped again: ") for note in again.notes)
    assert json.loads(state_path.read_text())["baselines"][lifetime.id] == lifetime.current
    # Read again the same way, nothing is stepped: the note goes away.
    settled = pipeline.run_plan(request, folder)
    assert "Targets stepped again" not in (folder / "README.md").read_text()
    assert not any(note.startswith("target stepped again") for note in settled.notes)
