"""Each stage's settings fit the history at the point the team enters that stage.

Property tests over every simulator: no stage requires linear history while merge commits still
land on the trunk (unless an earlier stage's exit criterion stops them), no pull-request or
required-check rule goes without a bypass for the people who push directly, every rule says which
measured fact allows it, and every settings file still validates strictly against the hosts' schemas.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from advisor import gitread, pipeline, recommend
from advisor.ci import find_checks
from advisor.evidence import team_facts
from advisor.history import HistoryOptions
from advisor.protection import render_policy
from tests import scenarios
from tests.builders import START, RepoBuilder
from tests.plans import NO_CI
from tests.test_protection import schema_for, validator

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
MODELS = ["gitflow", "github_flow", "trunk_squash", "trunk_rebase", "trunk_direct", "release_branching",
          "environment_branches"]
WORKFLOW = b"on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"


def plan_of(model: str, path: Path) -> tuple[pipeline.scan.Scan, recommend.Plan]:
    getattr(scenarios, model)(path)
    result = pipeline.run_scan(pipeline.ScanRequest(path=path, now=NOW, options=HistoryOptions(),
                                                    merge_check_seconds=0))
    ci = find_checks({".github/workflows/ci.yml": WORKFLOW}, (), result.history.trunk.name)
    return result, recommend.build_plan(result, ci, risk=pipeline.risky_paths(gitread.locate(path).git_dir, result))


@pytest.fixture(scope="module", params=MODELS)
def planned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pipeline.scan.Scan, recommend.Plan]:
    result, plan = plan_of(request.param, tmp_path_factory.mktemp(request.param) / "repo")
    return request.param, result, plan


def test_no_stage_requires_linear_history_while_merge_commits_land(planned) -> None:  # type: ignore[no-untyped-def]
    _, result, plan = planned
    facts = team_facts(result)
    criteria_before: set[str] = set()
    for stage in plan.stages:
        trunk = next(rule for rule in stage.policy.rules if rule.is_trunk)
        if trunk.linear_history:
            # The history at the stage's entry point has no merge commit: now, or once an earlier stage's
            # exit criterion "no merge commit on the trunk" holds.
            assert facts.merge_commits.value == 0 or any(c.endswith(".no-merge-commits") for c in criteria_before), \
                (stage.id, facts.merge_commits.text)
            assert any("linear history" in fact for fact in trunk.allowed_by)
            assert not stage.policy.merge.allow_merge_commit
        criteria_before |= {c.id for c in stage.criteria}


def test_pull_request_and_check_rules_let_direct_pushers_and_automation_through(planned) -> None:  # type: ignore[no-untyped-def]
    _, result, plan = planned
    facts = team_facts(result)
    for stage in plan.stages:
        for rule in stage.policy.rules:
            if rule.lock or not (rule.require_pull_request or rule.required_checks):
                continue
            actors = {b.actor for b in rule.bypass}
            assert {"admin", "maintain"} <= actors, (stage.id, rule.pattern)
            assert all(b.reason for b in rule.bypass)
            if facts.automation:
                assert "deploy-key" in actors
            if rule.is_trunk:
                # One approval; code owners only where the history shows risky paths, each with its reason.
                assert rule.required_approvals == 1
                assert rule.require_code_owner_review == bool(stage.policy.code_owners)
                assert all(owner.reason and owner.commands for owner in stage.policy.code_owners)
                assert rule.require_last_push_approval == (len(facts.mergers) >= 2)
                assert rule.strict_checks == (bool(rule.required_checks) and facts.cheap_rebases)
                assert rule.allowed_by


def test_every_settings_file_still_validates_with_unknown_keys_rejected(planned) -> None:  # type: ignore[no-untyped-def]
    _, _, plan = planned
    for stage in plan.stages:
        files = render_policy(stage.policy, "owner/name")
        for path, text in files.items():
            kind = schema_for(path)
            if kind is not None:
                validator(kind).validate(json.loads(text))


def test_bypass_reaches_every_host_format(tmp_path: Path) -> None:
    _, plan = plan_of("trunk_direct", tmp_path / "repo")
    automate = next(stage for stage in plan.stages if stage.id == "automate")
    files = render_policy(automate.policy, "owner/name")
    ruleset = json.loads(files["github/ruleset.json"])
    assert {(a["actor_type"], a["actor_id"]) for a in ruleset["bypass_actors"]} >= {
        ("RepositoryRole", 5), ("RepositoryRole", 2)}
    classic = json.loads(next(text for path, text in files.items() if "branch-protection-" in path))
    assert classic["enforce_admins"] is False
    gitlab = json.loads(next(text for path, text in files.items() if "protected-branch-" in path))
    assert gitlab["push_access_level"] == 40  # maintainers may still push; developers go through merge requests
    assert "bypass_actors {" in files["terraform/ruleset.tf"]
    assert "bypass: repository admins, because" in files["README.md"]


def test_maintained_lines_are_protected_under_the_patterns_the_history_uses(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    builder = RepoBuilder(path)
    builder.commit("start", at=0)
    for line in ("support/1.x", "support/2.x"):
        builder.branch(line, "main")
        builder.commit(f"fix on {line}", branch=line, at=24 * 400)
    builder.branch("support/0.x", "main")
    builder.commit("old fix", branch="support/0.x", at=1)  # no activity in the window: not maintained now
    for hour in range(24 * 401, 24 * 440, 24):
        builder.commit(f"work {hour}", at=hour)
    now = START + timedelta(days=450)
    result = pipeline.run_scan(pipeline.ScanRequest(path=path, now=now, options=HistoryOptions(),
                                                    merge_check_seconds=0))
    facts = team_facts(result)
    assert [(line.pattern, line.names) for line in facts.maintained] == [("support/*", ("support/1.x", "support/2.x"))]
    assert "git for-each-ref" in facts.maintained[0].fact.command
    plan = recommend.build_plan(result, NO_CI)
    patterns = {rule.pattern for stage in plan.stages for rule in stage.policy.rules}
    assert "support/*" in patterns and "release/*" not in patterns
