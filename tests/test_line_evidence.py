"""What makes a line a release line, a next-release line or work, and which tags are the
repository's releases: real repositories shaped like netbox, git and curl, read as a user does."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from typer.testing import CliRunner

from advisor import cli
from advisor.classify import line_roles
from advisor.gitread import load
from advisor.history import HistoryOptions, reconstruct
from advisor.model import History
from tests.builders import ALICE, BOB, CAROL, RepoBuilder

NOW = datetime(2024, 12, 1, tzinfo=timezone.utc)
UNTIL = "2024-12-01"
PEOPLE = (ALICE, BOB, CAROL)


def history_of(path: Path) -> History:
    return reconstruct(load(path), HistoryOptions(), NOW)


def scan_json(path: Path) -> dict:
    result = CliRunner().invoke(cli.app, ["scan", str(path), "--no-cache", "--no-history", "-q",
                                          "--until", UNTIL, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pull_request(b: RepoBuilder, name: str, base: str, into: str, number: int, at: float, commits: int = 1) -> str:
    b.branch(name, base)
    for step in range(commits):
        b.commit(f"{name}: step {step}", branch=name, at=at + step, author=PEOPLE[number % 3])
    merged = b.merge(name, into, message=f"Merge pull request #{number} from org/{name}", at=at + commits + 1,
                     who=PEOPLE[(number + 1) % 3])
    b.delete_branch(name)
    return merged


def netbox_like(path: Path) -> RepoBuilder:
    """main takes the patch work; `feature` collects the next minor release: work branches merged into it,
    main merged into it to catch up, a beta tag, merged into main at the minor release and fast-forwarded
    to main to start the next cycle. A long work branch cut from the first cycle syncs with feature; the
    newest branch is feature plus one commit."""
    b = RepoBuilder(path)
    b.commit("initial", at=0)
    b.tag("v1.0.0", annotated=True, at=1)
    number = 1
    hour = 2.0

    def main_work(count: int) -> None:
        nonlocal number, hour
        for _ in range(count):
            pull_request(b, f"{number}-fix", "main", "main", number, hour)
            number += 1
            hour += 20

    def feature_work(count: int) -> None:
        nonlocal number, hour
        for _ in range(count):
            pull_request(b, f"{number}-new", "feature", "feature", number, hour, commits=2)
            number += 1
            hour += 20

    b.branch("feature", "main")
    for cycle in (1, 2):
        for _ in range(4):
            main_work(3)
            feature_work(3)
            b.merge("main", "feature", message="Merge branch 'main' into feature", at=hour)
            hour += 5
            if cycle == 1 and not b.has_branch("42-long-work"):
                b.branch("42-long-work", "feature")
                b.commit("42: start", branch="42-long-work", at=hour)
                hour += 5
            b.tag(f"v1.{cycle - 1}.{number}", "main", annotated=True, at=hour)
            hour += 1
        b.tag(f"v1.{cycle}.0-beta1", "feature", annotated=True, at=hour)
        hour += 24
        if cycle == 1:
            b.merge("feature", "main", message=f"Merge pull request #{number} from org/feature", at=hour)
            number += 1
            b.tag("v1.1.0", "main", annotated=True, at=hour + 1)
            b.merge("main", "feature", method="ff")
            hour += 24
        # The long work branch keeps up with feature.
        for _ in range(3):
            b.merge("feature", "42-long-work", message="Merge branch 'feature' into 42-long-work", at=hour)
            b.commit("42: more", branch="42-long-work", at=hour + 1)
            hour += 10
    b.branch("77-newest", "feature")
    b.commit("77: one commit on feature", branch="77-newest", at=hour + 2)
    return b


def test_a_next_release_line_is_no_release_line_and_its_work_branches_are_work(repo_path: Path) -> None:
    netbox_like(repo_path)
    history = history_of(repo_path)
    roles = line_roles(history)
    names = {line.name for line in history.long_lived}
    assert roles.next_release == ("feature",)
    # The branch one commit ahead of feature, and the one cut from feature's first cycle, are work.
    assert "77-newest" not in names and "42-long-work" not in names
    assert roles.maintenance == () and roles.production is None
    feature = next(line for line in history.long_lived if line.name == "feature")
    assert feature.final_tags == 0 and feature.tags == 1  # the second cycle's beta


def test_cli_reads_a_next_release_line_as_trunk_work_not_release_branching(repo_path: Path) -> None:
    netbox_like(repo_path)
    document = scan_json(repo_path)
    verdict = document["verdict"]
    assert verdict["model"] in ("github-flow", "trunk-based"), verdict["model"]
    assert verdict["maintained_lines"] == [] and verdict["stale_lines"] == []
    evidence = {item["id"]: item["text"] for item in verdict["evidence"]}
    assert "maintenance-lines" not in evidence
    assert evidence["next-release-lines"].startswith("feature collected the next release beside main")
    check = next(c for c in verdict["conformance"]["checks"] if c["id"] == "no-integration-line")
    assert not check["passed"] and check["value"] == "feature"
    steps = " ".join(step["text"] for step in document["first_steps"])
    assert "collecting it on feature, then retire it" in steps and "None" not in steps


def git_like(path: Path) -> RepoBuilder:
    """master with `next` (topics merged there first, master merged in to catch up) and `maint` (fixes,
    tagged maintenance releases, synced into master without a branch name, then moved to the next
    feature release). A topic forked from maint at v1.0.1 is merged into next and master again and
    again, then deleted: git re-merges topics, which makes no release line."""
    b = RepoBuilder(path, trunk="master")
    b.commit("initial", at=0)
    hour = 1.0
    b.branch("next", "master")
    for number in range(4):
        b.branch(f"xx/topic-{number}", "master")
        b.commit(f"topic {number}", branch=f"xx/topic-{number}", at=hour)
        b.merge(f"xx/topic-{number}", "next", at=hour + 1)
        b.merge(f"xx/topic-{number}", "master", at=hour + 20, delete=True)
        b.merge("master", "next", message="Merge branch 'master' into next", at=hour + 21)
        hour += 30
    b.tag("v1.0.0", "master", annotated=True, at=hour)
    b.branch("maint", "master")
    b.branch("fx/fix", "maint")
    b.commit("fix a crash", branch="fx/fix", at=hour + 1)
    b.merge("fx/fix", "maint", at=hour + 2, delete=True)
    b.commit("Git 1.0.1", branch="maint", at=hour + 3)
    b.tag("v1.0.1", "maint", annotated=True, at=hour + 3)
    b.merge("maint", "master", message="Sync with 1.0.1", at=hour + 4)
    hour += 10
    b.branch("as/check-ignore", "maint")
    for round_ in range(6):
        b.commit(f"check-ignore: part {round_}", branch="as/check-ignore", at=hour)
        b.merge("as/check-ignore", "next", at=hour + 1)
        b.branch(f"yy/topic-{round_}", "master")
        b.commit(f"topic {round_}", branch=f"yy/topic-{round_}", at=hour + 2)
        b.merge(f"yy/topic-{round_}", "next", at=hour + 3, delete=True)
        b.merge("as/check-ignore", "master", at=hour + 48)
        b.merge("master", "next", message="Merge branch 'master' into next", at=hour + 49)
        b.commit(f"master work {round_}", at=hour + 50)
        b.commit(f"master fix {round_}", at=hour + 51)
        hour += 72
    b.delete_branch("as/check-ignore")
    b.tag("v1.1.0", "master", annotated=True, at=hour)
    b.branch("maint", "master")
    return b


def test_a_topic_merged_again_and_again_is_no_release_line(repo_path: Path) -> None:
    git_like(repo_path)
    history = history_of(repo_path)
    roles = line_roles(history)
    assert "as/check-ignore" not in roles.maintenance and roles.role("as/check-ignore") is None
    assert roles.maintenance == () and roles.next_release == ("next",)


def test_cli_names_no_release_line_for_git_topics(repo_path: Path) -> None:
    git_like(repo_path)
    verdict = scan_json(repo_path)["verdict"]
    assert verdict["model"] != "release-branching"
    assert verdict["maintained_lines"] == [] and verdict["stale_lines"] == []


def tagged_trunk(path: Path, tags: list[tuple[float, str]]) -> RepoBuilder:
    """A trunk with one commit per tag, each tag on its commit (hours from the builder's start)."""
    b = RepoBuilder(path)
    b.commit("initial", at=0)
    for hour, tag in tags:
        b.commit(f"work before {tag}", at=hour - 1, author=PEOPLE[int(hour) % 3])
        b.tag(tag, annotated=True, at=hour)
    return b


def test_another_products_tags_beside_the_main_series_are_not_releases(repo_path: Path) -> None:
    """curl's own releases are curl-X_Y_Z; wolfSSL's tiny-curl-8_4_0 tags in the same history are not."""
    week = 24 * 7
    tags = [(week * (i + 1), f"curl-1_{i}_0") for i in range(8)]
    tags += [(week * 3 + 5, "tiny-curl-1_2_0"), (week * 6 + 5, "tiny-curl-1_5_0")]
    tagged_trunk(repo_path, sorted(tags))
    history = history_of(repo_path)
    assert [r.tag for r in history.releases] == [f"curl-1_{i}_0" for i in range(8)]
    result = CliRunner().invoke(cli.app, ["scan", str(repo_path), "--no-cache", "--no-history", "-q", "--until", UNTIL,
                                          "--format", "csv", "--table", "releases"])
    assert result.exit_code == 0, result.output
    assert "curl-1_7_0" in result.stdout and "tiny-curl" not in result.stdout


def test_two_spellings_of_one_series_and_a_renamed_scheme_are_all_releases(repo_path: Path) -> None:
    """v1.2.3 beside 1.2.4 is one series; release-1.0 then v1.1 is a scheme renamed, not a second product."""
    week = 24 * 7
    tags = [(week, "release-0.8"), (week * 2, "release-0.9"), (week * 3, "v1.0.0"), (week * 4, "1.0.1"),
            (week * 5, "v1.0.2"), (week * 6, "1.0.3"), (week * 7, "v1.1.0")]
    tagged_trunk(repo_path, tags)
    assert [r.tag for r in history_of(repo_path).releases] == [tag for _, tag in tags]
