"""Each long-lived line's role, from the direction of the flows between the lines."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from pathlib import Path

import pytest

from advisor import roles
from advisor.history import HistoryOptions, reconstruct
from advisor.model import History
from advisor.gitread import load
from tests import scenarios
from tests.builders import RepoBuilder

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def history_of(path: Path, trunk: str | None = None) -> History:
    return reconstruct(load(path), HistoryOptions(trunk=trunk), NOW)


def roles_of(history: History) -> roles.Roles:
    return roles.line_roles(history.trunk.name, history.long_lived, history.episodes, history.line_merges,
                            history.cherry_picks)


def test_gitflow_with_master_as_trunk_flows_both_ways_through_branches(repo_path: Path) -> None:
    """Textbook Gitflow: release and hotfix branches are merged into master and then into
    develop, so the flows are branches, not line merges."""
    scenarios.gitflow(repo_path)
    found = roles_of(history_of(repo_path))
    assert found.integration == "develop" and found.production is None
    assert found.flows == {("develop", "master"): 3, ("master", "develop"): 4}
    assert found.role("develop") == "integration" and found.role("master") is None


def test_gitflow_with_develop_as_trunk_has_master_as_production(repo_path: Path) -> None:
    scenarios.gitflow_develop_default(repo_path)
    history = history_of(repo_path)
    found = roles_of(history)
    assert (found.integration, found.production, found.maintenance) == (None, "master", ("support/1.x",))
    kinds = {(m.source, m.target): m.kind.value for m in history.line_merges}
    assert kinds == {("develop", "master"): "release", ("master", "develop"): "back-merge"}


def test_a_tagged_integration_line_is_released_not_merged_forward(repo_path: Path) -> None:
    """pi-hole tags a beta on development: still the integration line, merged into master to release."""
    b = RepoBuilder(repo_path, trunk="master")
    b.commit(at=0)
    b.branch("development")
    for number in range(6):
        b.branch(f"f{number}", "development")
        b.commit(branch=f"f{number}", at=120 * number + 1)
        b.merge(f"f{number}", "development", message=f"Merge pull request #{number} from o/f{number}",
                at=120 * number + 5, delete=True)
        if number % 2 == 1:
            b.merge("development", "master", message="Merge branch 'development'", at=120 * number + 10)
            b.tag(f"v1.{number}", "master")
    b.tag("v2.0-beta", "development")
    history = history_of(repo_path)
    assert roles_of(history).integration == "development"
    assert [m.kind.value for m in history.line_merges] == ["release"] * 3


def test_a_release_line_fed_by_fixes_and_merged_forward_is_maintenance(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("stable")
    for week in range(3):
        b.commit(branch="stable", at=24 * 7 * week + 1)
        b.tag(f"v1.0.{week}", "stable")
        b.commit(at=24 * 7 * week + 2)
        b.merge("stable", "main", message="Merge branch 'stable'", at=24 * 7 * week + 3)
    found = roles_of(history_of(repo_path))
    assert found.maintenance == ("stable",) and found.production is None
    assert found.flows == {("stable", "main"): 3}


def test_environment_needs_months_of_promotions_and_no_work_of_its_own(repo_path: Path) -> None:
    scenarios.environment_branches(repo_path)
    history = history_of(repo_path)
    assert roles_of(history).environment == ("production",)
    assert [m.kind.value for m in history.line_merges] == ["promotion"] * 6


def test_name_merges_reads_the_roles_of_both_ends() -> None:
    found = roles.Roles(tagged=frozenset({"master", "1.x"}), integration=None, production="master",
                        maintenance=("1.x",), environment=("prod",), feeds_trunk=frozenset(), flows={})
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    merges = [roles.LineMerge(commit=str(n), source=s, target=t, kind=roles.LineMergeKind.SYNC, merged_at=when)
              for n, (s, t) in enumerate([("develop", "master"), ("master", "develop"), ("1.x", "develop"),
                                          ("develop", "prod"), ("develop", "topic"), ("1.x", "master")])]
    named = roles.name_merges("develop", merges, found, {"master", "1.x"})
    assert [m.kind.value for m in named] == ["release", "back-merge", "forward", "promotion", "sync", "sync"]


@pytest.mark.parametrize("simulate", [scenarios.gitflow, scenarios.gitflow_develop_default, scenarios.release_branching,
                                      scenarios.environment_branches, scenarios.squash_with_sync_merges,
                                      scenarios.dormant_release_line, scenarios.gitflow_late_hotfixes])
def test_the_roles_the_reconstruction_gives_are_those_worked_out_again(simulate: Any, repo_path: Path) -> None:
    """The reconstruction names the line merges from the roles and hands them on (`roles.remember`): a scan
    then asks them of the history without a second pass over it, and gets what that pass gives."""
    simulate(repo_path)
    history = reconstruct(load(repo_path), HistoryOptions(), NOW)
    fed = history.trunk.fast_forwarded
    again = roles.line_roles(history.trunk.name, history.long_lived, history.episodes, history.line_merges,
                             history.cherry_picks, fed.line if fed is not None else None)
    given = roles.of_history(history)
    assert given is not again and given == again
