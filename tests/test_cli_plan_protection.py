"""`advisor plan` on real repositories built for one measured fact each: the protection it writes follows it.

A busy trunk (more than `STRICT_MAX_PER_DAY` integrations per working day) gets a merge queue and
a GitLab merge train, not "up to date before merging"; a quiet one gets "up to date" and no queue.
Every file the plan writes still validates strictly against the hosts' schemas.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from advisor import cli
from advisor.errors import ExitCode
from advisor.evidence import STRICT_MAX_PER_DAY
from tests.builders import ALICE, BOB, CAROL, RepoBuilder
from tests.test_protection import schema_for, validator

runner = CliRunner()
WORKFLOW = "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"


def squash_merged_trunk(path: Path, *, per_day: int, days: int = 14,
                        ci: dict[str, str] | None = None) -> RepoBuilder:
    """Pull requests squash-merged into main, `per_day` of them every day, by three people."""
    builder = RepoBuilder(path)
    builder.commit("start", files={**(ci or {".github/workflows/ci.yml": WORKFLOW}), "README": "start\n"}, at=0)
    number = 0
    for day in range(days):
        for k in range(per_day):
            number += 1
            name = f"feature/{number}"
            builder.branch(name)
            builder.commit(f"work {number}", branch=name, author=(ALICE, BOB, CAROL)[number % 3], at=24 * day + 1 + k)
            builder.merge(name, method="squash", message=f"Work {number} (#{number})", at=24 * day + 1.5 + k,
                          delete=True)
    return builder


def plan(repo: Path, out: Path) -> dict[str, str]:
    result = runner.invoke(cli.app, ["plan", str(repo), "--out", str(out), "--no-cache", "--merge-check-seconds", "0",
                                     "--since", "2024-01-01", "--until", "2024-01-15"])
    assert result.exit_code == ExitCode.OK, result.stderr
    files = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    for path, text in files.items():
        kind = schema_for(path.split("/", 2)[-1]) if path.startswith("protection/") else None
        if kind is not None:
            validator(kind).validate(json.loads(text))
    return files


def rule_types(files: dict[str, str], stage: str) -> dict[str, dict[str, object]]:
    body = json.loads(files[f"protection/{stage}/github/ruleset.json"])
    return {rule["type"]: rule.get("parameters", {}) for rule in body["rules"]}


def test_a_busy_trunk_gets_a_merge_queue_and_a_merge_train_where_it_asks_for_a_straight_line(tmp_path: Path) -> None:
    squash_merged_trunk(tmp_path / "repo", per_day=8)
    files = plan(tmp_path / "repo", tmp_path / "plan")
    automate, shrink = rule_types(files, "automate"), rule_types(files, "shrink-batches")
    # Pull requests and checks come first; the queue comes with the straight line.
    assert "merge_queue" not in automate and automate["required_status_checks"][
        "strict_required_status_checks_policy"] is False
    assert shrink["merge_queue"]["merge_method"] == "SQUASH"  # linear history: no merge commits from the queue
    assert shrink["required_status_checks"]["strict_required_status_checks_policy"] is False
    gitlab = json.loads(files["protection/shrink-batches/gitlab/project.json"])
    assert gitlab["merge_trains_enabled"] is True and gitlab["merge_pipelines_enabled"] is True
    assert "merge_trains_enabled" not in json.loads(files["protection/automate/gitlab/project.json"])
    assert "merge_queue {" in files["protection/shrink-batches/terraform/ruleset.tf"]
    readme = files["protection/shrink-batches/README.md"]
    per_day = next(line for line in readme.splitlines() if "a merge queue instead of up to date" in line)
    measured = float(per_day.split("before merging: ")[1].split(" integrations")[0])
    assert measured > STRICT_MAX_PER_DAY and f"more than {STRICT_MAX_PER_DAY:g}" in per_day
    assert "`merge_group:`" in readme  # the workflows must run for the queue's merge commit
    assert "a merge queue comes with the stage that asks for a straight line" in files["protection/automate/README.md"]
    item = next(line for line in files["stages/shrink-batches.md"].splitlines() if "shrink-batches.merge-queue" in line)
    assert item.startswith("- [ ]") and "`.github/workflows/ci.yml`" in item and "merge_trains_enabled" in item


def test_a_quiet_trunk_rebases_cheaply_and_gets_up_to_date_checks_and_no_queue(tmp_path: Path) -> None:
    squash_merged_trunk(tmp_path / "repo", per_day=2)
    files = plan(tmp_path / "repo", tmp_path / "plan")
    for stage in ("automate", "shrink-batches"):
        rules = rule_types(files, stage)
        assert "merge_queue" not in rules
        assert rules["required_status_checks"]["strict_required_status_checks_policy"] is True
        assert "merge_trains_enabled" not in json.loads(files[f"protection/{stage}/gitlab/project.json"])
    assert f"(at most {STRICT_MAX_PER_DAY:g})" in files["protection/shrink-batches/README.md"]
    assert "shrink-batches.merge-queue" not in files["stages/shrink-batches.md"]


def queue_item(files: dict[str, str]) -> str:
    return next(line for line in files["stages/shrink-batches.md"].splitlines() if "shrink-batches.merge-queue" in line)


QUEUED = "on: [pull_request, merge_group]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps: [{run: make lint}]\n"
NIGHTLY = "on:\n  schedule: [{cron: '0 3 * * *'}]\njobs:\n  soak:\n    runs-on: ubuntu-latest\n    steps: [{run: make soak}]\n"


def test_the_merge_queue_item_names_the_required_workflows_that_lack_merge_group(tmp_path: Path) -> None:
    builder = squash_merged_trunk(tmp_path / "repo", per_day=8, ci={
        ".github/workflows/ci.yml": WORKFLOW, ".github/workflows/lint.yml": QUEUED,
        ".github/workflows/nightly.yml": NIGHTLY})
    item = queue_item(plan(tmp_path / "repo", tmp_path / "plan"))
    asked, _, already = item.partition(", then apply the settings")
    assert asked.endswith("first add `merge_group:` to the `on:` of `.github/workflows/ci.yml`")
    assert "lint.yml" not in asked and "`.github/workflows/lint.yml`" in already
    assert f"at trunk commit `{builder.tip('main')[:12]}`" in already
    assert "nightly.yml" not in item  # schedule only: no required check, the queue does not wait for it
    assert "GitLab" not in item.split("(check:")[0]  # no .gitlab-ci.yml: nothing to ask there


def test_when_every_required_workflow_runs_on_merge_group_the_item_asks_for_none(tmp_path: Path) -> None:
    builder = squash_merged_trunk(tmp_path / "repo", per_day=8, ci={".github/workflows/lint.yml": QUEUED})
    item = queue_item(plan(tmp_path / "repo", tmp_path / "plan"))
    assert item.startswith("- [ ]")  # the queue itself is a host setting no scan can see
    assert "add `merge_group:`" not in item and "then apply the settings" not in item
    assert (f"apply the settings in protection/shrink-batches (`.github/workflows/lint.yml` already run for the "
            f"queue at trunk commit `{builder.tip('main')[:12]}`)") in item


GITLAB_BRANCHES = "test:\n  script: make\n  rules:\n    - if: $CI_COMMIT_BRANCH\n"
GITLAB_MERGE_REQUESTS = ('workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n'
                         "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\ntest:\n  script: make\n")


def test_a_merge_train_asks_for_merge_request_pipelines_only_where_gitlab_ci_has_none(tmp_path: Path) -> None:
    squash_merged_trunk(tmp_path / "branches", per_day=8, ci={".gitlab-ci.yml": GITLAB_BRANCHES})
    item = queue_item(plan(tmp_path / "branches", tmp_path / "plan-branches"))
    assert 'first add the rule `if: $CI_PIPELINE_SOURCE == "merge_request_event"` to `.gitlab-ci.yml` (GitLab)' in item
    builder = squash_merged_trunk(tmp_path / "requests", per_day=8, ci={".gitlab-ci.yml": GITLAB_MERGE_REQUESTS})
    item = queue_item(plan(tmp_path / "requests", tmp_path / "plan-requests"))
    assert "add the rule" not in item and "merge\\_group" not in item
    assert f"(`.gitlab-ci.yml` already run for the queue at trunk commit `{builder.tip('main')[:12]}`)" in item


def test_release_pleases_pull_request_branch_is_no_maintained_line_to_protect(tmp_path: Path) -> None:
    """zigbee2mqtt's plan protected release-* from deletion because of release-please's open PR branch,
    which the bot deletes when its PR merges."""
    builder = squash_merged_trunk(tmp_path / "repo", per_day=1)
    bot = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
    builder.branch("release-please--branches--main--components--app")
    builder.commit("chore(main): release 1.2.0", branch="release-please--branches--main--components--app",
                   author=bot, at=24 * 13 + 5)
    files = plan(tmp_path / "repo", tmp_path / "plan")
    assert not [path for path in files if "ruleset-release" in path or "protected-branch-release" in path]
    assert "release-*" not in "".join(text for path, text in files.items() if path.endswith(".md"))
