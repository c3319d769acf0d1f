"""The verdict on each simulated model, and on the traps real histories set."""

from __future__ import annotations

import collections
import dataclasses
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from advisor import classify, pipeline
from advisor.history import HistoryOptions
from advisor.scan import Scan
from tests import scenarios
from tests.builders import ALICE, BOB, CAROL, RepoBuilder
from tests.scenarios import Truth

SINCE = datetime(2023, 6, 1, tzinfo=timezone.utc)
NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def scan(path: Path, trunk: str | None = None) -> Scan:
    return pipeline.run_scan(pipeline.ScanRequest(path=path, now=NOW, options=HistoryOptions(trunk=trunk),
                                                  since=SINCE))


CASES: list[tuple[Callable[[Path], Truth], str]] = [
    (scenarios.gitflow, "gitflow"),
    (scenarios.github_flow, "github-flow"),
    (scenarios.trunk_squash, "trunk-based"),
    (scenarios.trunk_rebase, "trunk-based"),
    (scenarios.trunk_direct, "trunk-based"),
    (scenarios.release_branching, "release-branching"),
    (scenarios.environment_branches, "gitlab-flow"),
    (scenarios.gitflow_develop_default, "gitflow"),
    (scenarios.squash_with_sync_merges, "trunk-based"),
    (scenarios.dormant_release_line, "trunk-based"),
]


@pytest.mark.parametrize(("simulate", "model"), CASES, ids=[model for _, model in CASES])
def test_each_simulated_model_is_recognised(simulate: Callable[[Path], Truth], model: str, repo_path: Path) -> None:
    simulate(repo_path)
    verdict = scan(repo_path).verdict
    assert verdict.model == model
    assert verdict.thin is None
    assert all(0 <= value <= 1 for value in verdict.scores.values())
    assert verdict.evidence


# Each simulated class with its exact numbers and its scores: a score that loses a term (the
# Gitflow back-merges, the maintained lines' activity) or an evidence line that counts another
# way fails here, not only a changed label.
PINNED: list[tuple[Callable[[Path], Truth], str, str, dict[str, float], list[str]]] = [
    (scenarios.gitflow, 'gitflow', 'medium',
     {'gitflow': 1.0, 'github-flow': 0.0, 'trunk-based': 0.0, 'release-branching': 0.0, 'gitlab-flow': 0.0},
     [
         'develop received 10 of 15 integrations in the window and is merged into master to release',
         '4 release/hotfix branches were merged in the window',
         '4 back-merges in the window (a line merged back into the integration line, or a branch merged into two lines)',
         '33% of integrations (5 of 15) landed directly on master',
         '2 of 15 integrations were direct commits (13%)',
         'branches lived 30.0 h at the median; 0% were merged within a day',  # the work branches', as the flow table: all 8 live 30 h
         '0% of branches came through a pull or merge request; 0% were squashed or rebased',
     ]),
    (scenarios.gitflow_develop_default, 'gitflow', 'medium',
     {'gitflow': 1.0, 'github-flow': 0.0, 'trunk-based': 0.0, 'release-branching': 0.75, 'gitlab-flow': 0.0},
     [
         'develop received 13 of 23 integrations in the window while master carries the releases (12 version tags in the window)',
         'develop was merged into master 4 times in the window (releases)',
         '4 back-merges in the window (a line merged back into the integration line, or a branch merged into two lines)',
         '1 maintained release line, active in the window (support/1.x); 0 cherry-picks from develop to release lines and 0 forward merges into develop',
         '57% of integrations (13 of 23) landed directly on develop',
         '3 of 23 integrations were direct commits (13%)',
         'branches lived 30.0 h at the median; 40% were merged within a day',
         '100% of branches came through a pull or merge request; 0% were squashed or rebased',
     ]),
    (scenarios.github_flow, 'github-flow', 'low',
     {'gitflow': 0.0, 'github-flow': 0.956, 'trunk-based': 0.256, 'release-branching': 0.0, 'gitlab-flow': 0.0},
     [
         '100% of integrations (9 of 9) landed directly on main',
         '1 of 9 integrations was a direct commit (11%)',
         'branches lived 60.0 h at the median; 0% were merged within a day',
         '100% of branches came through a pull or merge request; 0% were squashed or rebased',
     ]),
    (scenarios.trunk_squash, 'trunk-based', 'low',
     {'gitflow': 0.0, 'github-flow': 0.664, 'trunk-based': 1.0, 'release-branching': 0.0, 'gitlab-flow': 0.0},
     [
         '100% of integrations (11 of 11) landed directly on main',
         '1 of 11 integrations was a direct commit (9%)',
         'no branch lifetime is known: the 10 branches are squash merges without their pull-request refs (fetch refs/pull/* to date them)',
         '100% of branches came through a pull or merge request; 100% were squashed or rebased',
     ]),
    (scenarios.trunk_rebase, 'trunk-based', 'low',
     {'gitflow': 0.0, 'github-flow': 0.343, 'trunk-based': 1.0, 'release-branching': 0.0, 'gitlab-flow': 0.0},
     [
         '100% of integrations (7 of 7) landed directly on main',
         '1 of 7 integrations was a direct commit (14%)',
         'branches lived 4.0 h at the median; 100% were merged within a day',
         '0% of branches came through a pull or merge request; 100% were squashed or rebased',
     ]),
    (scenarios.trunk_direct, 'trunk-based', 'medium',
     {'gitflow': 0.0, 'github-flow': 0.0, 'trunk-based': 1.0, 'release-branching': 0.0, 'gitlab-flow': 0.0},
     [
         '100% of integrations (12 of 12) landed directly on main',
         '12 of 12 integrations were direct commits (100%)',
     ]),
    (scenarios.release_branching, 'release-branching', 'medium',
     {'gitflow': 0.0, 'github-flow': 0.0, 'trunk-based': 1.0, 'release-branching': 1.0, 'gitlab-flow': 0.0},
     [
         '2 maintained release lines, active in the window (release-1.0, release-1.1); 4 cherry-picks from main to release lines and 0 forward merges into main',
         '79% of integrations (15 of 19) landed directly on main',
         '19 of 19 integrations were direct commits (100%)',
     ]),
    (scenarios.environment_branches, 'gitlab-flow', 'low',
     {'gitflow': 0.0, 'github-flow': 0.643, 'trunk-based': 1.0, 'release-branching': 0.0, 'gitlab-flow': 1.0},
     [
         'production received 6 promotions from main in the window',
         '100% of integrations (7 of 7) landed directly on main',
         '1 of 7 integrations was a direct commit (14%)',
         'branches lived 20.0 h at the median; 100% were merged within a day',
         '100% of branches came through a pull or merge request; 0% were squashed or rebased',
     ]),
    (scenarios.squash_with_sync_merges, 'trunk-based', 'low',
     {'gitflow': 0.0, 'github-flow': 0.671, 'trunk-based': 1.0, 'release-branching': 0.0, 'gitlab-flow': 0.0},
     [
         '100% of integrations (14 of 14) landed directly on main',
         '1 of 14 integrations was a direct commit (7%)',
         'no branch lifetime is known: the 13 branches are squash merges without their pull-request refs (fetch refs/pull/* to date them)',
         '100% of branches came through a pull or merge request; 100% were squashed or rebased',
     ]),
    (scenarios.dormant_release_line, 'trunk-based', 'high',
     {'gitflow': 0.0, 'github-flow': 0.0, 'trunk-based': 1.0, 'release-branching': 0.0, 'gitlab-flow': 0.0},
     [
         '1 release line had no commit, tag or merge in the window (release-1.0): stale, not maintained',
         '100% of integrations (40 of 40) landed directly on main',
         '40 of 40 integrations were direct commits (100%)',
     ]),
]


@pytest.mark.parametrize(("simulate", "model", "confidence", "scores", "texts"), PINNED,
                         ids=[simulate.__name__ for simulate, *_ in PINNED])
def test_each_simulated_class_has_its_exact_numbers_and_scores(
        simulate: Callable[[Path], Truth], model: str, confidence: str, scores: dict[str, float], texts: list[str],
        repo_path: Path) -> None:
    simulate(repo_path)
    result = scan(repo_path)
    verdict = result.verdict
    assert (verdict.model, verdict.confidence) == (model, confidence)
    assert verdict.scores == scores
    assert [e.text for e in verdict.evidence if e.id != "quarters"] == texts
    # The verdict's lifetime line and the flow table measure the same work branches.
    lifetime = next((e.text for e in verdict.evidence if e.id == "lifetime"), "")
    integration = result.metrics.integration
    if integration.lifetime_hours.p50 is not None:
        assert lifetime.startswith(f"branches lived {integration.lifetime_hours.p50:.1f} h at the median; "
                                   f"{integration.merged_within_a_day:.0%} were merged within a day")


def test_too_little_history_is_unknown_and_says_why(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.commit(at=1)
    verdict = scan(repo_path).verdict
    assert verdict.model == "unknown"
    assert verdict.thin == "only 2 integrations in the window; at least 5 are needed"


def test_gitflow_evidence_names_the_lines_with_numbers(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    texts = [e.text for e in scan(repo_path).verdict.evidence]
    assert any("develop received 10 of 15 integrations" in t for t in texts), texts
    assert any("4 release/hotfix branches were merged" in t for t in texts), texts


def test_gitflow_with_develop_as_the_default_branch(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    verdict = scan(repo_path, trunk="develop").verdict
    assert verdict.model == "gitflow"
    assert any("master carries the releases" in e.text for e in verdict.evidence)


def feature(b: RepoBuilder, name: str, start: float, hours: float, into: str = "main", message: str | None = None,
            who: tuple[str, str] = ALICE, commits: int = 2) -> None:
    b.branch(name, into)
    for i in range(commits):
        b.commit(branch=name, at=start + i * hours / max(commits, 1), author=who)
    b.merge(name, into, at=start + hours, message=message, delete=True)


def test_trap_master_as_a_fast_forward_pointer_of_develop(repo_path: Path) -> None:
    b = RepoBuilder(repo_path, trunk="develop")
    b.commit(at=0)
    for number in range(8):
        feature(b, f"feature/{number}", 24.0 * number + 1, 30, into="develop", who=(ALICE, BOB)[number % 2])
        if number % 3 == 2:
            b.branch("master", "develop")  # "release": master fast-forwarded to develop
    verdict = scan(repo_path).verdict
    assert verdict.model != "gitflow"
    assert any(e.id == "ff-pointer" for e in verdict.evidence)


def _gitflow_avh(b: RepoBuilder, releases: int = 5, production: str = "master") -> None:
    """git-flow avh's release finish, `releases` times: release/1.N merged into `production` ("Merge branch
    'release/1.N'", git's message for a merge into master), tagged 1.N, and the tag merged into develop."""
    b.commit(at=0)
    b.branch(production, "develop")
    for number in range(releases):
        start = 24.0 * 7 * number + 1
        feature(b, f"feature/a{number}", start, 20, into="develop", who=ALICE)
        feature(b, f"feature/b{number}", start + 30, 20, into="develop", who=BOB)
        b.branch(f"release/1.{number}", "develop")
        b.commit(branch=f"release/1.{number}", at=start + 60, message=f"Version bump 1.{number}")
        b.merge(f"release/1.{number}", production, at=start + 61, message=f"Merge branch 'release/1.{number}'",
                delete=True)
        b.tag(f"1.{number}", production, annotated=True, at=start + 61)
        b.merge(b.tip(production), "develop", at=start + 62, message=f"Merge tag '1.{number}' into develop")


@pytest.mark.parametrize("production, afterwards", [("master", "fast-forwarded onto develop"), ("master", "deleted"),
                                                    ("main", "fast-forwarded onto develop")])
def test_gitflow_whose_master_no_ref_holds_now_is_still_gitflow(repo_path: Path, production: str,
                                                                afterwards: str) -> None:
    """gitflow-avh's own history: years of releases merged into master and their tags merged into develop,
    then master fast-forwarded onto develop (or deleted). The release merges' chain is master's past; named
    main when the branch that is left is main (git configured to leave " into main" out)."""
    b = RepoBuilder(repo_path, trunk="develop")
    _gitflow_avh(b, production=production)
    if afterwards == "deleted":
        b.delete_branch(production)
    else:
        b.branch(production, "develop")
    result = scan(repo_path)
    assert result.verdict.model == "gitflow", result.verdict.evidence
    line = next(line for line in result.history.long_lived if line.name == production)
    assert not line.live and line.tags == 5
    assert line.reasons[-1] == ("rebuilt from the tags merged into develop: " + (
        f"the branch {production} has moved off this chain since" if afterwards != "deleted"
        else "the branch no longer exists"))
    assert not any(e.id == "ff-pointer" for e in result.verdict.evidence)
    from tests.test_cli import run
    code, out, _ = run("scan", str(repo_path), "--no-history")
    row = next(row for row in out.splitlines() if row.strip().startswith(f"{production} "))
    assert code == 0 and row.split()[1] == ("moved" if afterwards != "deleted" else "deleted")


def test_trap_tags_merged_from_a_chain_that_names_no_branch_make_no_line(repo_path: Path) -> None:
    """Release merges that say where they went ("into production") name the line; a chain whose merges name
    nothing, and are not git's merges into master either, is left alone."""
    b = RepoBuilder(repo_path, trunk="develop")
    b.commit(at=0)
    b.branch("stage", "develop")
    for number in range(5):
        start = 24.0 * 7 * number + 1
        feature(b, f"feature/a{number}", start, 20, into="develop")
        b.commit(branch="stage", at=start + 40, message=f"Stage {number}")  # no merges on the chain
        b.tag(f"1.{number}", "stage", annotated=True, at=start + 41)
        b.merge(b.tip("stage"), "develop", at=start + 42, message=f"Merge tag '1.{number}' into develop")
    b.delete_branch("stage")
    result = scan(repo_path)
    assert [line.name for line in result.history.long_lived] == ["develop"]


def test_trap_two_parent_merges_titled_like_squashes(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    for number in range(1, 9):
        feature(b, f"topic-{number}", 30.0 * number, 50, message=f"Add topic {number} (#{number})")
    result = scan(repo_path)
    assert result.verdict.model == "github-flow"
    merged = [e for e in result.history.episodes if e.pr]
    assert len(merged) == 8 and all(e.method.value == "merge" for e in merged)


def test_trap_release_lines_only_on_maintenance_branches(repo_path: Path) -> None:
    scenarios.release_branching(repo_path)
    verdict = scan(repo_path).verdict
    assert verdict.model == "release-branching"
    assert verdict.trunk_habit == "trunk-based"


def test_trap_pull_requests_landed_as_plain_commits(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    for number in range(1, 12):
        b.commit(f"Fix parser edge case\n\nCloses #{number}", at=number * 5, author=(ALICE, BOB, CAROL)[number % 3])
    verdict = scan(repo_path).verdict
    assert verdict.model == "trunk-based"


def test_trap_forward_merges_of_a_stable_branch_are_not_gitflow(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("stable")
    hour = 1.0
    for release in range(4):
        for number in range(3):
            feature(b, f"feat-{release}-{number}", hour, 10, message=f"Merge pull request #{release * 10 + number} "
                    f"from o/feat-{release}-{number}")
            hour += 24
        feature(b, f"fix-{release}", hour, 5, into="stable",
                message=f"Merge pull request #{release * 10 + 9} from o/fix-{release}")
        b.tag(f"v1.{release}.1", "stable")
        b.merge("stable", "main", message="Merge branch 'stable'", at=hour + 6)
        hour += 24 * 7
    result = scan(repo_path)
    assert result.verdict.model == "release-branching"
    assert result.verdict.scores["gitflow"] == 0
    assert [m.kind.value for m in result.history.line_merges] == ["forward"] * 4


def test_trap_names_that_lie(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("develop")  # created once, never used: a dead develop
    b.commit(branch="develop", at=1)
    # a release/* branch used as a feature branch: merged once, never tagged
    feature(b, "release/new-login", 10, 100, message="Merge pull request #1 from o/release/new-login", commits=4)
    for number in range(2, 9):
        feature(b, f"topic-{number}", 120.0 + 30 * number, 40, message=f"Merge pull request #{number} from o/t{number}")
    result = scan(repo_path)
    assert result.verdict.model == "github-flow"
    assert {line.name for line in result.history.long_lived} == {"main"}


def test_a_migration_shows_in_the_quarters(repo_path: Path) -> None:
    b = RepoBuilder(repo_path, trunk="master")
    start = datetime(2023, 7, 1, tzinfo=timezone.utc)
    b.commit(at=start - timedelta(days=1))
    b.branch("develop", "master")
    hour = (start - scenarios.START).total_seconds() / 3600
    for release in range(3):  # two quarters of Gitflow
        for number in range(4):
            feature(b, f"f{release}{number}", hour, 40, into="develop",
                    message=f"Merge branch 'f{release}{number}' into develop")
            hour += 60
        b.merge("develop", "master", message="Merge branch 'develop'", at=hour)
        b.tag(f"v{release}.0.0", "master")
        hour += 24 * 20
    b.delete_branch("develop")
    hour = (datetime(2024, 1, 2, tzinfo=timezone.utc) - scenarios.START).total_seconds() / 3600
    for number in range(30):  # then trunk-based: direct commits and short branches on master
        b.commit(at=hour, author=(ALICE, BOB)[number % 2])
        hour += 24 * 3
    verdict = scan(repo_path).verdict
    periods = {p.period: p.model for p in verdict.periods if p.integrations}
    assert periods["2023-Q3"] == "gitflow"
    assert periods["2024-Q1"] == "trunk-based"


def test_conformance_checks_pass_for_trunk_based(repo_path: Path) -> None:
    scenarios.trunk_direct(repo_path)
    checks = {c.id: c.passed for c in scan(repo_path).verdict.conformance.checks}
    assert checks["active-branches"] and checks["no-integration-line"] and checks["fixes-from-trunk"]


def test_scores_and_judgement_are_separate() -> None:
    assert classify.judge({"gitflow": 0.9, "github-flow": 0.1, "trunk-based": 0.1, "release-branching": 0,
                           "gitlab-flow": 0}, 40) == ("gitflow", "high", None)
    model, confidence, _ = classify.judge({"gitflow": 0.5, "github-flow": 0.45, "trunk-based": 0.1,
                                           "release-branching": 0, "gitlab-flow": 0}, 40)
    assert (model, confidence) == ("gitflow", "low")
    assert classify.judge({"gitflow": 0.1, "github-flow": 0.2, "trunk-based": 0.1, "release-branching": 0,
                           "gitlab-flow": 0}, 40)[0] == "unknown"


def test_trap_develop_merged_straight_into_master_is_gitflow_not_a_maintenance_line(repo_path: Path) -> None:
    """pi-hole's shape: features land on a tagged `development`, which is merged into master to release."""
    b = RepoBuilder(repo_path, trunk="master")
    b.commit("root", branch="master", at=0)
    b.branch("development", "master")
    hours = 1.0
    for number in range(1, 13):
        name = f"feature/f{number}"
        b.branch(name, "development")
        b.commit(f"f{number} work", branch=name, at=hours)
        b.commit(f"f{number} more", branch=name, at=hours + 2)
        b.merge(name, "development", message=f"Merge pull request #{number} from me/{name}", at=hours + 20)
        b.delete_branch(name)
        if number % 3 == 0:
            b.merge("development", "master", message="Merge branch 'development'", at=hours + 30)
            b.tag(f"v1.{number // 3}", "master")
            if number == 3:
                b.tag("v1.1-beta", "development")
        hours += 48
    verdict = scan(repo_path).verdict
    assert verdict.model == "gitflow"
    assert verdict.integration_line == "development"


@pytest.mark.parametrize("tag_elsewhere", [True, False])
def test_a_production_line_quiet_for_the_whole_window_carries_no_releases_now(repo_path: Path,
                                                                              tag_elsewhere: bool) -> None:
    """solidity's shape: an old branch with release tags, idle for years, beside a develop that now tags itself.
    Without a release anywhere in the window (nvie/gitflow's last year), the line stays the production line."""
    scenarios.gitflow(repo_path)
    b = RepoBuilder(repo_path, trunk="develop")
    later = (NOW - scenarios.START).total_seconds() / 3600 + 24 * 400  # a year after the scenario's end
    for number in range(8):
        feature(b, f"feature/late-{number}", later + 48 * number, 5, into="develop",
                message=f"Merge pull request #{900 + number} from me/feature/late-{number}")
    if tag_elsewhere:
        b.tag("v9.0", "develop")
    moment = scenarios.START + timedelta(hours=later + 48 * 9)
    result = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=moment, options=HistoryOptions(trunk="develop"),
                                                    since=moment - timedelta(days=60), merge_check_seconds=0))
    if tag_elsewhere:
        assert result.verdict.production_line is None and result.verdict.model != "gitflow"
    else:
        assert result.verdict.production_line == "master"
    assert scan(repo_path, trunk="develop").verdict.production_line == "master"  # in its own time it did


def test_gitflow_production_line_merged_back_is_not_a_maintained_release_line(repo_path: Path) -> None:
    """develop is the default branch; master takes develop's releases and two fix branches per
    release, carries the tags and is merged back into develop. Read once as a maintenance line
    merged forward (release-branching, high); the direction of the merges says Gitflow."""
    truth = scenarios.gitflow_develop_default(repo_path)
    result = scan(repo_path)
    verdict = result.verdict
    assert [(m.source, m.target, m.kind.value) for m in result.history.line_merges] == truth.line_merges
    assert (verdict.model, verdict.production_line, verdict.integration_line) == ("gitflow", "master", None)
    assert verdict.maintained_lines == ("support/1.x",)  # the support line cut from master is a release line
    roles = classify.line_roles(result.history)
    assert (roles.production, roles.maintenance) == ("master", ("support/1.x",))
    assert roles.flows[("develop", "master")] == 4 and roles.flows[("master", "develop")] == 4
    fixes = next(c for c in verdict.conformance.checks if c.id == "fixes-from-trunk")
    assert fixes.value == "0 picks and 0 merges from release lines into the trunk"


def test_sync_merges_into_a_feature_branch_are_not_promotions(repo_path: Path) -> None:
    truth = scenarios.squash_with_sync_merges(repo_path)
    result = scan(repo_path)
    assert [(m.source, m.target, m.kind.value) for m in result.history.line_merges] == truth.line_merges == []
    assert [line.name for line in result.history.long_lived] == ["main"]  # feature/* is a work branch
    [branch] = result.history.live_branches
    assert (branch.name, branch.ahead, branch.long_lived) == ("feature/big-rewrite", 10, False)
    assert classify.line_roles(result.history).environment == ()
    assert result.verdict.scores["gitlab-flow"] == 0
    assert not any(e.id == "environments" for e in result.verdict.evidence)


def test_an_environment_line_is_promoted_to_over_months_not_weeks(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("production")
    for number in range(6):  # six promotions in forty days
        feature(b, f"feature-{number}", 192.0 * number + 1, 10,
                message=f"Merge pull request #{number} from o/f{number}")
        b.merge("main", "production", message="Merge branch 'main' into production", at=192.0 * number + 20)
    result = scan(repo_path)
    assert [m.kind.value for m in result.history.line_merges] == ["sync"] * 6
    assert result.verdict.model != "gitlab-flow"


def _promoted_daily(b: RepoBuilder, promotions: int, fixes_on_live: int) -> None:
    """PowerShell-Docs' shape: pull requests squashed into main, main merged into live by a pull request every
    other day, and now and then a fix made on live and merged back into main."""
    b.commit(at=0)
    b.branch("live")
    for number in range(promotions):
        start = 48.0 * number + 1
        b.commit(at=start, message=f"Fix a page (#{2 * number + 10})")
        b.merge("main", "live", message=f"Merge pull request #{2 * number + 11} from o/main", at=start + 2)
        if number < fixes_on_live:
            b.commit(branch="live", at=start + 3, message=f"Fix live ({number})")
            b.merge("live", "main", message="Merge branch 'live' into main", at=start + 4)


def test_an_environment_line_that_takes_a_fix_now_and_then_is_still_one(repo_path: Path) -> None:
    """One merge back into main for 30 promotions into live: a fix made on production, brought back."""
    _promoted_daily(RepoBuilder(repo_path), promotions=60, fixes_on_live=2)
    result = scan(repo_path)
    assert result.verdict.model == "gitlab-flow", result.verdict.evidence
    kinds = collections.Counter(m.kind.value for m in result.history.line_merges)
    assert kinds == {"promotion": 60, "back-merge": 2}
    # No version tags: the deploys are the promotions into live, one every other day.
    releases = result.metrics.releases
    assert (releases.source, releases.count) == ("promotions into live", 60)
    assert releases.interval_days.p50 == 2.0


def test_trap_a_line_merged_back_as_often_as_it_is_promoted_to_is_no_environment(repo_path: Path) -> None:
    _promoted_daily(RepoBuilder(repo_path), promotions=30, fixes_on_live=30)
    result = scan(repo_path)
    assert "live" not in classify.line_roles(result.history).environment
    assert result.verdict.model != "gitlab-flow"


def test_a_dormant_release_line_is_stale_and_not_maintained(repo_path: Path) -> None:
    scenarios.dormant_release_line(repo_path)
    verdict = scan(repo_path).verdict
    assert (verdict.maintained_lines, verdict.stale_lines) == ((), ("release-1.0",))
    assert verdict.scores["release-branching"] == 0
    assert verdict.model == "trunk-based"
    stale = next(e for e in verdict.evidence if e.id == "stale-lines")
    assert stale.supports == ()


def test_confidence_follows_the_quarters_that_agree(repo_path: Path) -> None:
    """Pull-request quarters alternate with direct-commit quarters: the year reads github-flow
    with scores that alone would say high, but half its quarters say otherwise."""
    b = RepoBuilder(repo_path)
    quarter_starts = [datetime(2023, 7, 1, tzinfo=timezone.utc), datetime(2023, 10, 1, tzinfo=timezone.utc),
                      datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 4, 1, tzinfo=timezone.utc)]
    b.commit(at=quarter_starts[0] - timedelta(days=1))
    for index, start in enumerate(quarter_starts):
        hour = (start - scenarios.START).total_seconds() / 3600 + 24
        for number in range(8 if index % 2 == 0 else 12):
            if index % 2 == 0:
                feature(b, f"q{index}-{number}", hour, 72, message=f"Merge pull request #{index * 20 + number} "
                        f"from o/q{index}-{number}", who=(ALICE, BOB)[number % 2])
            else:
                b.commit(at=hour, author=(ALICE, CAROL)[number % 2])
            hour += 24 * 6
    verdict = scan(repo_path).verdict
    named = [p.model for p in verdict.periods if p.integrations and p.period >= "2023-Q3"]
    assert named == ["github-flow", "trunk-based", "github-flow", "trunk-based"]
    assert classify.judge(verdict.scores, 40) == ("github-flow", "high", None)
    assert (verdict.model, verdict.confidence) == ("github-flow", "medium")
    assert (verdict.quarters_agreeing, verdict.quarters_named) == (2, 4)
    assert any(e.id == "quarters" and e.text.startswith("2 of 4 quarters") for e in verdict.evidence)


def test_temper_caps_confidence_by_agreement() -> None:
    assert classify.temper("high", 3, 4) == "high"
    assert classify.temper("high", 2, 4) == "medium"
    assert classify.temper("high", 1, 4) == "low"
    assert classify.temper("medium", 4, 4) == "medium"
    assert classify.temper("high", 0, 1) == "high"  # one quarter: nothing to compare


EMPTY_OBSERVATION: dict[str, object] = {
    "integrations": 0, "on_trunk": 0, "on_integration_line": 0, "integration_line": None, "production_line": None,
    "release_branch_merges": 0, "release_merges": 0, "releases_on_production": 0, "back_merges": 0,
    "stale_lines": (), "maintenance_lines": (), "maintenance_active": 0,
    "picks_to_branches": 0, "picks_to_trunk": 0, "forward_merges": 0, "environment_lines": (), "promotions": 0,
    "branch_episodes": 0, "direct": 0, "squash_or_rebase": 0, "with_pr": 0, "within_a_day": 0,
    "dated_branches": 0, "lifetime_p50_hours": None, "active_branches": 0, "ff_pointer": None,
}


def test_the_gitflow_score_is_pinned_with_each_of_its_terms(repo_path: Path) -> None:
    """Not only the label: the score itself. The simulated Gitflow has two lines (0.5), two or more release
    branches merged (0.25) and two or more back-merges into develop (0.25): 1.0. Without its back-merge
    term the score would be 0.75, without its release term 0.75, and the label would stay the same."""
    scenarios.gitflow(repo_path)
    verdict = scan(repo_path).verdict
    assert verdict.scores == {"gitflow": 1.0, "github-flow": 0.0, "trunk-based": 0.0, "release-branching": 0.0,
                              "gitlab-flow": 0.0}
    observation = classify.Observation(**{**EMPTY_OBSERVATION, "integration_line": "develop",
                                          "production_line": "master", "integrations": 10})
    for releases, backs, expected in ((0, 0, 0.5), (2, 0, 0.75), (0, 2, 0.75), (1, 1, 0.75), (2, 1, 0.875),
                                      (2, 2, 1.0), (9, 9, 1.0)):
        changed = dataclasses.replace(observation, release_branch_merges=releases, back_merges=backs)
        assert classify.score(changed)["gitflow"] == expected, (releases, backs)


_ONE_PLURAL = re.compile(r"(?<![\d.,])1 (?:[a-z-]+ ){0,2}(?:lines|merges|branches|promotions|cherry-picks|back-merges|"
                         r"changes|commits|integrations)\b")


@pytest.mark.parametrize("simulate", [scenarios.gitflow_develop_default, scenarios.dormant_release_line,
                                      scenarios.release_branching, scenarios.environment_branches,
                                      scenarios.trunk_squash, scenarios.gitflow])
def test_a_count_of_one_takes_the_singular(simulate: Callable[[Path], Truth], repo_path: Path) -> None:
    # netbox read "1 release lines had no commit" and "1 forward merges": the class, over every sentence
    # of the verdict and the notes (support/1.x is the one maintained line; release-1.0 the one stale line).
    simulate(repo_path)
    result = scan(repo_path)
    texts = [e.text for e in result.verdict.evidence] + list(result.summary.lifetime_notes) + [result.metrics.lead_time.constraint_sentence]
    assert not [t for t in texts if _ONE_PLURAL.search(t)]
