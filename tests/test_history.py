"""Reconstruction equals the ground truth of each simulated branching model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from advisor import gitread, history
from advisor.model import Episode, History, MergeMethod
from tests import scenarios
from tests.scenarios import Expected, Truth

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)


def reconstruct(path: Path, **options: object) -> History:
    graph = gitread.load(path)
    return history.reconstruct(graph, history.HistoryOptions(**options), NOW)  # type: ignore[arg-type]


def as_expected(episode: Episode) -> Expected:
    return Expected(
        target=episode.target, source=episode.source, pr=episode.pr, method=episode.method.value,
        commits=len(episode.commits), first_commit_at=episode.first_commit_at, merged_at=episode.merged_at,
        kind=episode.kind.value, deleted=episode.deleted,
    )


def key(e: Expected) -> tuple[str, datetime]:
    return (e.target, e.merged_at)


SIMULATORS: dict[str, Callable[[Path], Truth]] = {
    "gitflow": scenarios.gitflow,
    "github-flow": scenarios.github_flow,
    "trunk-squash": scenarios.trunk_squash,
    "trunk-squash-pull-refs": scenarios.trunk_squash_pull_refs,
    "trunk-rebase": scenarios.trunk_rebase,
    "trunk-direct": scenarios.trunk_direct,
}


@pytest.mark.parametrize("model", sorted(SIMULATORS))
def test_episodes_equal_the_ground_truth(model: str, repo_path: Path) -> None:
    truth = SIMULATORS[model](repo_path)
    result = reconstruct(repo_path)
    assert result.trunk.name == truth.trunk
    assert {b.name for b in result.long_lived} == truth.long_lived
    found = sorted((as_expected(e) for e in result.episodes if e.repeat_of is None), key=key)
    assert found == sorted(truth.episodes, key=key)


def test_gitflow_release_and_hotfix_branches_reach_both_lines(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    result = reconstruct(repo_path)
    repeats = [e for e in result.episodes if e.repeat_of is not None]
    assert sorted((e.source, e.target) for e in repeats) == [
        ("hotfix/1.2.1", "develop"), ("release/1.1", "develop"), ("release/1.2", "develop"),
        ("release/1.3", "develop"),
    ]
    assert [r.tag for r in result.releases] == ["1.1.0", "1.2.0", "1.2.1", "1.3.0"]
    assert all(r.line == "master" and r.annotated for r in result.releases)


def test_gitflow_lifetimes_are_exact_to_the_second(repo_path: Path) -> None:
    truth = scenarios.gitflow(repo_path)
    result = reconstruct(repo_path)
    features = [e for e in result.episodes if e.kind.value == "feature"]
    assert len(features) == 9
    for episode in features:
        assert episode.lifetime_seconds == 30 * 3600
    assert truth.episodes


SIMULATORS.update({
    "release-branching": scenarios.release_branching,
    "environment-branches": scenarios.environment_branches,
})


@pytest.mark.parametrize("model", ["release-branching", "environment-branches"])
def test_more_models_equal_the_ground_truth(model: str, repo_path: Path) -> None:
    test_episodes_equal_the_ground_truth(model, repo_path)


def test_release_branching_cherry_picks_and_tags(repo_path: Path) -> None:
    truth = scenarios.release_branching(repo_path)
    result = reconstruct(repo_path)
    assert [p.direction.value for p in result.cherry_picks] == truth.cherry_picks
    assert all(p.from_line == "main" and p.line and p.line.startswith("release-") for p in result.cherry_picks)
    assert sorted(r.tag for r in result.releases) == sorted(truth.tags)
    patch_tags = [r for r in result.releases if r.version and r.version[-1] > 0]
    assert all(r.line and r.line.startswith("release-") for r in patch_tags)


def test_environment_promotions_are_line_merges(repo_path: Path) -> None:
    truth = scenarios.environment_branches(repo_path)
    result = reconstruct(repo_path)
    assert [(m.source, m.target, m.kind.value) for m in result.line_merges] == truth.line_merges


# -- patterns, each built directly ---------------------------------------------

from tests.builders import ALICE, BOB, GITHUB, RepoBuilder, git_cli  # noqa: E402
from tests.scenarios import at  # noqa: E402


def only(result: History, **where: object) -> Episode:
    found = [e for e in result.episodes if all(getattr(e, k) == v for k, v in where.items())]
    assert len(found) == 1, found
    return found[0]


def test_sync_merges_are_counted_and_not_work(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("long-feature")
    b.commit(branch="long-feature", at=1)
    b.commit(at=2)
    b.merge("main", "long-feature", message="Merge branch 'main' into long-feature", at=3)
    b.commit(branch="long-feature", at=4)
    b.commit(at=5)
    b.merge("long-feature", at=6, delete=True)
    episode = only(reconstruct(repo_path), source="long-feature")
    assert episode.sync_merges == 1
    assert len(episode.commits) == 3  # two of work and the sync merge
    assert episode.behind == 1  # main moved once (hour 5) after the last sync
    assert episode.first_commit_at == at(1)


def test_octopus_merge_gives_one_episode_per_branch(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    tips = []
    for name in ("a", "b", "c"):
        b.branch(name)
        tips.append(b.commit(branch=name, at=len(tips) + 1))
    b.commit(message="Merge branches 'a', 'b' and 'c'", parents=[b.tip("main"), *tips], at=10,
             tree_from=None, files={"work/octopus.txt": "x\n"})
    for name in ("a", "b", "c"):
        b.delete_branch(name)
    result = reconstruct(repo_path)
    merged = [e for e in result.episodes if e.method.value == "merge"]
    assert len(merged) == 3
    assert {e.id.split(":")[1] if ":" in e.id else "1" for e in merged} == {"1", "2", "3"}


def test_two_parent_merge_titled_like_a_squash_is_a_merge(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("topic")
    b.commit(branch="topic", at=1)
    b.commit(branch="topic", at=2)
    b.merge("topic", message="Add the thing (#42)", at=5, delete=True)
    episode = only(reconstruct(repo_path), pr=42)
    assert episode.method.value == "merge"
    assert len(episode.commits) == 2
    assert episode.first_commit_at == at(1)


def test_squash_with_its_pull_request_ref_has_the_real_lifetime(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("pr-branch")
    b.commit(branch="pr-branch", at=1)
    b.commit(branch="pr-branch", at=3)
    b.set_ref("refs/pull/7/head", b.tip("pr-branch"))
    b.merge("pr-branch", method="squash", message="Do it (#7)", at=8, delete=True)
    episode = only(reconstruct(repo_path), pr=7)
    assert episode.method.value == "squash"
    assert episode.exact_lifetime and not episode.lifetime_unknown
    assert len(episode.commits) == 2
    assert episode.first_commit_at == at(1)
    assert episode.lifetime_seconds == 7 * 3600
    assert episode.name_origin.value == "pull-ref"


def test_squash_without_its_pull_request_ref_has_an_unknown_lifetime_not_zero(repo_path: Path) -> None:
    """A plain clone has no refs/pull/*: the squash commit dates its merge, not the work."""
    scenarios.trunk_squash(repo_path)
    squashes = [e for e in reconstruct(repo_path).episodes if e.method.value == "squash"]
    assert len(squashes) == 10
    assert all(e.lifetime_unknown and e.lifetime_seconds is None and not e.exact_lifetime for e in squashes)


def test_squash_with_pull_request_refs_lives_three_hours(repo_path: Path) -> None:
    scenarios.trunk_squash_pull_refs(repo_path)
    squashes = [e for e in reconstruct(repo_path).episodes if e.method.value == "squash"]
    assert [e.lifetime_seconds for e in squashes] == [3 * 3600] * 10
    assert not any(e.lifetime_unknown for e in squashes)


def test_a_first_commit_a_second_after_the_merge_is_tolerated_skew(repo_path: Path) -> None:
    """Author and committer clocks a second apart: lifetime 0, not 'clock skew'; a day apart is skew."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("quick")
    b.commit(branch="quick", at=at(5) + timedelta(seconds=1))
    b.set_ref("refs/pull/3/head", b.tip("quick"))
    b.merge("quick", method="squash", message="Quick (#3)", at=5, delete=True)
    b.branch("odd")
    b.commit(branch="odd", at=30)
    b.set_ref("refs/pull/4/head", b.tip("odd"))
    b.merge("odd", method="squash", message="Odd (#4)", at=6, delete=True)
    result = reconstruct(repo_path)
    quick, odd = only(result, pr=3), only(result, pr=4)
    assert (quick.clock_skew, quick.lifetime_seconds) == (False, 0)
    assert (odd.clock_skew, odd.lifetime_seconds) == (True, None)


def test_fast_forward_seen_through_a_pull_request_ref(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("ff")
    b.commit(branch="ff", at=1, author=BOB)
    b.commit(branch="ff", at=2, author=BOB)
    b.set_ref("refs/pull/3/head", b.tip("ff"))
    b.merge("ff", method="ff", delete=True)
    b.commit(at=5)
    episode = only(reconstruct(repo_path), pr=3)
    assert episode.method.value == "fast-forward"
    assert len(episode.commits) == 2


def test_bot_episodes_are_marked(repo_path: Path) -> None:
    bot = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("dependabot/pip/x")
    b.commit(branch="dependabot/pip/x", at=1, author=bot)
    b.merge("dependabot/pip/x", message="Merge pull request #9 from o/dependabot/pip/x", at=2, delete=True)
    assert only(reconstruct(repo_path), pr=9).bot


def test_a_deleted_develop_is_rebuilt_from_merge_subjects(repo_path: Path) -> None:
    b = RepoBuilder(repo_path, trunk="master")
    b.commit(at=0)
    b.branch("develop", "master")
    hour = 1
    for release in range(3):
        for feature in range(2):
            name = f"f{release}{feature}"
            b.branch(name, "develop")
            b.commit(branch=name, at=hour)
            b.merge(name, "develop", message=f"Merge branch '{name}' into develop", at=hour + 1, delete=True)
            hour += 48
        b.merge("develop", "master", message="Merge branch 'develop'", at=hour)
        hour += 100
    b.delete_branch("develop")
    result = reconstruct(repo_path)
    develop = [line for line in result.long_lived if line.name == "develop"]
    assert develop and not develop[0].live
    features = [e for e in result.episodes if e.source and e.source.startswith("f")]
    assert len(features) == 6 and all(e.target == "develop" for e in features)
    assert [m.kind.value for m in result.line_merges] == ["release"] * 3


def test_rebase_by_a_maintainer_and_direct_pull_rebase(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("topic")
    b.commit(branch="topic", at=1, author=BOB)
    b.commit(branch="topic", at=2, author=BOB)
    b.merge("topic", method="rebase", at=10, who=ALICE, delete=True)
    # Alice rebases her own two commits onto main and pushes: direct work
    b.commit(at=11, committed_at=20, author=ALICE)
    b.commit(at=12, committed_at=20, author=ALICE)
    result = reconstruct(repo_path)
    rebase = only(result, method=MergeMethod.REBASE)
    assert len(rebase.commits) == 2 and rebase.first_commit_at == at(1) and rebase.merged_at == at(10)
    assert sum(1 for e in result.episodes if e.method.value == "direct") == 3
    assert GITHUB  # forge identities are recognised too (see scenarios.trunk_rebase)


def test_git_command_line_history_matches_the_builder_view(tmp_path: Path) -> None:
    """Built with git itself: merge --no-ff, merge --squash, rebase, revert, cherry-pick -x."""
    repo = tmp_path / "cli"
    repo.mkdir()
    git_cli(repo, "init", "-q", "-b", "main")

    def commit(name: str, hours: float, who: tuple[str, str] = ALICE) -> None:
        (repo / name).write_text(name)
        git_cli(repo, "add", name)
        git_cli(repo, "commit", "-q", "-m", f"add {name}", at=at(hours), who=who)

    commit("base", 0)
    git_cli(repo, "checkout", "-q", "-b", "feature/no-ff")
    commit("f1", 1, BOB)
    commit("f2", 2, BOB)
    git_cli(repo, "checkout", "-q", "main")
    git_cli(repo, "merge", "-q", "--no-ff", "feature/no-ff", "-m", "Merge branch 'feature/no-ff'", at=at(5))
    git_cli(repo, "branch", "-q", "-D", "feature/no-ff")
    git_cli(repo, "checkout", "-q", "-b", "sq")
    commit("s1", 6)
    git_cli(repo, "checkout", "-q", "main")
    git_cli(repo, "merge", "-q", "--squash", "sq", at=at(7))
    git_cli(repo, "commit", "-q", "-m", "Squashed thing (#12)", at=at(7))
    git_cli(repo, "branch", "-q", "-D", "sq")
    commit("direct", 8)
    head = git_cli(repo, "rev-parse", "HEAD").strip()
    git_cli(repo, "revert", "--no-edit", head, at=at(9))
    git_cli(repo, "checkout", "-q", "-b", "release-1", "main")
    commit("rel", 10)
    git_cli(repo, "checkout", "-q", "main")
    commit("fix", 11)
    fix = git_cli(repo, "rev-parse", "HEAD").strip()
    git_cli(repo, "checkout", "-q", "release-1")
    git_cli(repo, "cherry-pick", "-x", fix, at=at(12))
    git_cli(repo, "checkout", "-q", "main")
    result = reconstruct(repo)
    merged = only(result, source="feature/no-ff")
    assert (merged.method.value, len(merged.commits), merged.first_commit_at, merged.merged_at) == (
        "merge", 2, at(1), at(5))
    squash = only(result, pr=12)
    assert squash.method.value == "squash" and not squash.exact_lifetime
    assert [r.reverted for r in result.reverts] == [head]
    assert len(result.cherry_picks) == 1 and result.cherry_picks[0].picked_from == fix
    assert {b.name for b in result.live_branches} == {"release-1"}
    live = result.live_branches[0]
    assert (live.ahead, live.behind) == (2, 1)


def test_flow_times_follow_a_change_to_the_trunk_and_its_release(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    result = reconstruct(repo_path)
    first_feature = only(result, source="feature/r1-f1")
    release_merge = only(result, source="release/1.1", repeat_of=None)
    tag = next(r for r in result.releases if r.tag == "1.1.0")
    assert first_feature.reached_trunk_at == release_merge.merged_at  # waited in develop until the release
    assert (first_feature.release, first_feature.released_at) == ("1.1.0", tag.at)
    hotfix = only(result, source="hotfix/1.2.1", repeat_of=None)
    assert hotfix.reached_trunk_at == hotfix.merged_at and hotfix.release == "1.2.1"
    assert result.unreleased_trunk_commits == 0


def test_a_line_with_release_tags_is_merged_forward(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("stable")
    for week in range(3):
        b.commit(branch="stable", at=24 * 7 * week + 1)
        b.tag(f"v1.0.{week}", "stable")
        b.commit(at=24 * 7 * week + 2)
        b.merge("stable", "main", message="Merge branch 'stable'", at=24 * 7 * week + 3)
    result = reconstruct(repo_path)
    assert [m.kind.value for m in result.line_merges] == ["forward"] * 3
    assert next(line for line in result.long_lived if line.name == "stable").tags == 3


def test_the_newest_of_a_local_and_a_remote_branch_wins(tmp_path: Path) -> None:
    """A mirror's leftover remote-tracking refs must not hide its own, newer, branches."""
    b = RepoBuilder(tmp_path / "mirror")
    b.commit(at=0)
    old = b.commit(at=1)
    b.set_ref("refs/remotes/origin/main", old)  # stale, as in a mirror made from an old clone
    b.commit(at=2)
    result = reconstruct(tmp_path / "mirror")
    assert result.trunk.ref == "refs/heads/main" and result.trunk_commits == 3


def _two_lines(repo_path: Path) -> RepoBuilder:
    """master and develop; three features of two commits each merged into develop, one direct commit."""
    b = RepoBuilder(repo_path, trunk="master")
    b.commit(at=0)
    b.branch("develop")
    for number in range(3):
        b.branch(f"feature/{number}", "develop")
        b.commit(branch=f"feature/{number}", at=10 + number * 10)
        b.commit(branch=f"feature/{number}", at=11 + number * 10)
        b.merge(f"feature/{number}", "develop", at=15 + number * 10, delete=True)
    b.commit(branch="develop", at=45)
    return b


def test_a_release_pr_from_develop_to_master_is_a_batch_of_its_own_commits(repo_path: Path) -> None:
    """Its commits were claimed by develop's episodes: the line merge reports them (size and age), and the PR."""
    b = _two_lines(repo_path)
    b.set_ref("refs/pull/9/head", b.tip("develop"))
    b.merge("develop", "master", message="Merge pull request #9 from team/develop", at=50)
    b.tag("v1.0", "master")
    b.commit(branch="develop", at=60)  # develop goes on, so it stays a line of its own
    b.commit(branch="develop", at=24 * 20)
    result = reconstruct(repo_path)
    assert "develop" in {line.name for line in result.long_lived}
    [release] = [m for m in result.line_merges if m.target == "master"]
    assert (release.source, release.kind.value, release.pr, release.commits) == ("develop", "release", 9, 10)
    assert release.first_commit_at == at(10)
    assert not [e for e in result.episodes if e.target == "master" and e.kind.value != "direct"]


def test_a_branch_merged_into_two_lines_reports_its_size_and_age_on_the_second(repo_path: Path) -> None:
    b = _two_lines(repo_path)
    b.branch("hotfix/1", "master")
    b.commit(branch="hotfix/1", at=46)
    b.commit(branch="hotfix/1", at=47)
    b.merge("hotfix/1", "master", at=48)
    b.branch("topic", "hotfix/1")  # a branch on top of the hotfix, merged into develop only
    b.commit(branch="topic", at=49)
    b.merge("hotfix/1", "develop", at=50, delete=True)
    b.merge("topic", "develop", at=52, delete=True)
    b.commit(branch="develop", at=24 * 20)
    result = reconstruct(repo_path)
    repeat = only(result, source="hotfix/1", target="develop")
    assert repeat.repeat_of == only(result, source="hotfix/1", target="master").id
    assert (repeat.commits, repeat.landed_commits, repeat.first_commit_at) == ((), 2, at(46))
    assert repeat.lifetime_seconds == 4 * 3600
    topic = only(result, source="topic")
    assert (len(topic.commits), topic.landed_commits) == (1, None)  # the hotfix arrived on develop first


def test_a_branch_carrying_commits_another_line_has_lands_them_all(repo_path: Path) -> None:
    """A branch built on a hotfix and merged into develop before the hotfix is: develop gets all three."""
    b = _two_lines(repo_path)
    b.branch("hotfix/1", "master")
    b.commit(branch="hotfix/1", at=46)
    b.commit(branch="hotfix/1", at=47)
    b.merge("hotfix/1", "master", at=48)
    b.branch("topic", "hotfix/1")
    b.commit(branch="topic", at=49)
    b.merge("topic", "develop", at=50, delete=True)
    b.merge("hotfix/1", "develop", at=52, delete=True)
    b.commit(branch="develop", at=24 * 20)
    result = reconstruct(repo_path)
    topic = only(result, source="topic")
    assert (len(topic.commits), topic.landed_commits, topic.landed_first_commit_at) == (1, 3, at(46))
    assert topic.first_commit_at == at(49)  # its own work started later
    late = only(result, source="hotfix/1", target="develop")
    assert (late.landed_commits, late.lifetime_seconds) == (0, 0)  # it brought develop nothing new


def test_a_release_branch_cut_from_develop_reports_the_batch_it_carried(repo_path: Path) -> None:
    """release/1.0 forks from develop (ten commits: three feature merges of two commits, one direct)
    and gets one fix; merged into master it brings all 11: its own work is the fix, the batch dates
    from the first feature commit."""
    b = _two_lines(repo_path)
    b.branch("release/1.0", "develop")
    b.commit(branch="release/1.0", at=46)
    b.set_ref("refs/pull/20/head", b.tip("release/1.0"))
    b.merge("release/1.0", "master", message="Merge pull request #20 from team/release/1.0", at=48)
    b.commit(branch="develop", at=24 * 20)
    release = only(reconstruct(repo_path), pr=20)
    assert (release.kind.value, len(release.commits), release.landed_commits) == ("release", 1, 11)
    assert (release.first_commit_at, release.landed_first_commit_at) == (at(46), at(10))


def test_a_release_pr_head_in_the_middle_of_develop_is_no_fast_forward(repo_path: Path) -> None:
    b = _two_lines(repo_path)
    b.set_ref("refs/pull/9/head", b.tip("develop"))
    b.merge("develop", "master", message="Merge pull request #9 from team/develop", at=50)
    b.commit(branch="develop", at=60)
    b.commit(branch="develop", at=24 * 20)
    result = reconstruct(repo_path)
    assert [e for e in result.episodes if e.method.value == "fast-forward"] == []
    assert [m.pr for m in result.line_merges] == [9]


def test_squash_and_merge_are_labelled_in_order_of_arrival(repo_path: Path) -> None:
    """PR 5 is squash-merged; later its original branch, one commit longer, is merged too: the
    squash keeps the PR's three commits, the merge gets only the one that is new."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("feat")
    for hour in (1, 2, 3):
        b.commit(branch="feat", at=hour)
    b.set_ref("refs/pull/5/head", b.tip("feat"))
    b.merge("feat", method="squash", message="Feature (#5)", at=10)
    b.commit(branch="feat", at=15)
    b.merge("feat", message="Merge branch 'feat'", at=20, delete=True)
    result = reconstruct(repo_path)
    squash = only(result, pr=5)
    assert (squash.method.value, len(squash.commits), squash.lifetime_seconds) == ("squash", 3, 9 * 3600)
    merge = only(result, source="feat")
    assert (merge.method.value, len(merge.commits), merge.first_commit_at) == ("merge", 1, at(15))


def test_gerrit_changes_land_as_rebases_not_squashes(repo_path: Path) -> None:
    """Gerrit submits each reviewed change onto the trunk as its own commit (cherry-pick or rebase
    submit types), carrying its `Change-Id` trailer: one rebase per change, never a squash."""
    b = RepoBuilder(repo_path)
    b.commit("Initial import", at=0)
    ids = [f"I{n:040x}" for n in range(1, 5)]
    for n, change in enumerate(ids, start=1):
        b.commit(f"Fix the parser, part {n}\n\nLonger explanation.\n\nChange-Id: {change}\n"
                 f"Reviewed-on: https://review.example.org/c/project/+/{100 + n}\nReviewed-by: Bob <bob@example.com>",
                 at=n * 5, committed_at=n * 5 + 2)
    b.commit("A direct commit without review", at=30)
    result = reconstruct(repo_path)
    gerrit = [e for e in result.episodes if e.host == "gerrit"]
    assert len(gerrit) == 4
    assert {e.method.value for e in gerrit} == {"rebase"}
    assert not [e for e in result.episodes if e.method.value == "squash"]
    assert sum(1 for e in result.episodes if e.method.value == "direct") >= 1


@pytest.mark.parametrize(("subject", "pr", "source"), [
    ("Merged pull request #119 from jbernard/topic.", 119, "topic"),  # GitHub's wording of 2011
    ("Merge commit 'refs/pull/976'", 976, None),  # a pull request fetched by its bare number
])
def test_old_github_merge_wordings_name_the_pull_request(subject: str, pr: int, source: str | None,
                                                          repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("topic")
    b.commit(branch="topic", at=1)
    b.commit(branch="topic", at=2)
    b.merge("topic", message=subject, at=5, delete=True)
    episode = only(reconstruct(repo_path), pr=pr)
    assert (episode.source, len(episode.commits), episode.lifetime_seconds) == (source, 2, 4 * 3600)


@pytest.mark.parametrize("name", ["pr/7344", "wip/alice/rewrite"])
def test_a_work_branch_that_synced_many_times_is_no_line_and_keeps_its_commits(name: str, repo_path: Path) -> None:
    """Six merges of main into the branch over ten weeks, a colleague's PR merged into it, then the
    branch merged into main: one episode with every commit, not a line swallowing the PR."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch(name)
    for week in range(6):
        b.commit(at=week * 24 * 12 + 1)
        b.commit(branch=name, at=week * 24 * 12 + 2)
        b.merge("main", name, message=f"Merge branch 'main' into {name}", at=week * 24 * 12 + 3)
    b.branch("helper", name)
    b.commit(branch="helper", at=24 * 75)
    b.merge("helper", name, message="Merge pull request #12 from bob/helper", at=24 * 75 + 1, delete=True)
    b.merge(name, message=f"Merge pull request #40 from alice/{name}", at=24 * 76, delete=True)
    result = reconstruct(repo_path)
    assert [line.name for line in result.long_lived] == ["main"]
    episode = only(result, pr=40)
    assert (len(episode.commits), episode.sync_merges) == (14, 6)  # 6 own + 6 syncs + the PR's merge and commit
    assert not [e for e in result.episodes if e.pr == 12]


def test_one_tag_on_a_feature_branch_makes_no_release_line(repo_path: Path) -> None:
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    b.branch("select-line-number-bug")
    for day in range(1, 30, 3):
        b.commit(branch="select-line-number-bug", at=day * 24)
    b.tag("1.5.0-beta", "select-line-number-bug")
    b.commit(at=24 * 31)
    assert [line.name for line in reconstruct(repo_path).long_lived] == ["main"]


def test_a_line_that_begins_with_a_merge_lands_only_what_its_fork_lacked(repo_path: Path) -> None:
    """develop's first commit merges a topic built on old master: it brings the topic's 2 commits
    (git rev-list --count M^1..M^2), not the master history the fork already had."""
    b = RepoBuilder(repo_path, trunk="master")
    shas = [b.commit(at=hour) for hour in range(12)]
    b.branch("topic", shas[3])
    b.commit(branch="topic", at=13)
    b.commit(branch="topic", at=14)
    b.branch("develop")
    opening = b.merge("topic", "develop", at=15, delete=True)
    for number in range(3):
        b.branch(f"feature/{number}", "develop")
        b.commit(branch=f"feature/{number}", at=20 + number * 10)
        b.merge(f"feature/{number}", "develop", at=25 + number * 10, delete=True)
    b.commit(branch="develop", at=24 * 20)
    b.commit(branch="master", at=24 * 20 + 1)
    result = reconstruct(repo_path)
    assert "develop" in {line.name for line in result.long_lived}
    topic = only(result, source="topic")
    assert topic.id == opening and topic.target == "develop"
    landed = int(git_cli(repo_path, "rev-list", "--count", f"{opening}^1..{opening}^2"))
    assert landed == 2
    assert len(topic.commits) == landed and topic.landed_commits in (None, landed)
