"""`advisor plan` as a user runs it: the folder it writes, re-runs that keep people's work, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli
from advisor.errors import ExitCode
from tests import scenarios
from tests.test_cli import tree_digest

runner = CliRunner()


def plan(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, ["plan", *args, "--no-cache", "--merge-check-seconds", "0", "--since", "2023-06-01"],
                           env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def gitflow_repo(tmp_path: Path) -> Path:
    path = tmp_path / "gitflow"
    scenarios.gitflow(path)
    return path


def test_plan_writes_the_folder_and_leaves_the_repository_alone(gitflow_repo: Path, tmp_path: Path) -> None:
    before = tree_digest(gitflow_repo)
    out = tmp_path / "branching"
    code, stdout, stderr = plan(str(gitflow_repo), "--out", str(out))
    assert code == ExitCode.OK, stderr
    assert f"Plan written to {out}" in stdout and "From gitflow" in stdout
    assert "<- work on this" in stdout
    assert "\n# Branching plan: from gitflow to trunk-based\n" in (out / "README.md").read_text()
    state = json.loads((out / "plan.json").read_text())
    for stage in state["stages"]:
        assert (out / "stages" / f"{stage}.md").is_file()
        assert list((out / "protection" / stage / "github").glob("ruleset*.json"))
        assert (out / "protection" / stage / "README.md").is_file()
    assert tree_digest(gitflow_repo) == before


def test_a_second_run_keeps_ticks_and_notes_and_writes_beside_an_edited_block(gitflow_repo: Path,
                                                                             tmp_path: Path) -> None:
    out = tmp_path / "branching"
    assert plan(str(gitflow_repo), "--out", str(out))[0] == ExitCode.OK
    stage = out / "stages" / "automate.md"
    text = stage.read_text()
    line = next(line for line in text.splitlines() if "advisor:item automate.fast-build" in line)
    stage.write_text(text.replace(line, line.replace("- [ ]", "- [x]")) + "\nWe start on Monday.\n")
    readme = out / "README.md"
    readme.write_text(readme.read_text().replace("## Stages", "## Our stages"))
    edited_readme = readme.read_text()
    code, stdout, stderr = plan(str(gitflow_repo), "--out", str(out))
    assert code == ExitCode.OK, stderr
    kept = stage.read_text()
    assert "We start on Monday." in kept
    assert next(line for line in kept.splitlines() if "advisor:item automate.fast-build" in line).startswith("- [x]")
    assert readme.read_text() == edited_readme
    assert (out / "README.advisor-new.md").is_file()
    assert "note: README.md was changed by hand" in stdout


def test_the_default_folder_is_the_tools_own(gitflow_repo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, stdout, stderr = plan(str(gitflow_repo), env={"XDG_DATA_HOME": str(data)})
    assert code == ExitCode.OK, stderr
    written = list((data / "advisor" / "plans").iterdir())
    assert len(written) == 1 and written[0].name.startswith("gitflow-")
    assert (written[0] / "README.md").is_file()


@pytest.mark.parametrize("where", [".git", ".git/advisor"])
def test_plan_refuses_to_write_into_a_git_directory(gitflow_repo: Path, where: str) -> None:
    before = tree_digest(gitflow_repo)
    code, stdout, stderr = plan(str(gitflow_repo), "--out", str(gitflow_repo / where))
    assert code == ExitCode.USER_ERROR
    assert "advisor never writes there" in stderr and "Traceback" not in stderr
    assert tree_digest(gitflow_repo) == before


def test_bad_input_is_one_sentence(gitflow_repo: Path, tmp_path: Path) -> None:
    not_a_repo = tmp_path / "empty"
    not_a_repo.mkdir()
    code, _, stderr = plan(str(not_a_repo), "--out", str(tmp_path / "p"))
    assert code == ExitCode.USER_ERROR and stderr.count("\n") == 1
    a_file = tmp_path / "file"
    a_file.write_text("x")
    code, _, stderr = plan(str(gitflow_repo), "--out", str(a_file))
    assert code == ExitCode.USER_ERROR and "is not a folder" in stderr and a_file.read_text() == "x"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "plan.json").write_text("{not json")
    code, _, stderr = plan(str(gitflow_repo), "--out", str(broken))
    assert code == ExitCode.USER_ERROR and "is not a plan state advisor can read" in stderr
    assert (broken / "plan.json").read_text() == "{not json" and sorted(p.name for p in broken.iterdir()) == ["plan.json"]


def test_a_stale_branch_whose_tip_shipped_as_a_tag_is_deleted_not_finished(tmp_path: Path) -> None:
    # tiny-1.0 carries the release v1.0.1 the trunk does not have (curl's tiny-curl-8_4 and its tag): deleting
    # the branch loses nothing, the tag keeps it; "finish" makes no sense for it. old-idea is plain stale work.
    from tests.builders import RepoBuilder
    repo = tmp_path / "repo"
    b = RepoBuilder(repo)
    for hour in range(0, 200, 10):
        b.commit(at=hour)
    b.tag("v1.0.0", annotated=True, at=201)
    b.branch("tiny-1.0")
    b.commit("tiny: patch set", branch="tiny-1.0", at=205)
    b.tag("v1.0.1", "tiny-1.0", annotated=True, at=206)
    b.branch("old-idea")
    b.commit("an idea", branch="old-idea", at=210)
    b.commit("more on main", at=220)
    out = tmp_path / "plan"
    code, stdout, stderr = plan(str(repo), "--out", str(out))
    assert code == ExitCode.OK, stderr
    stage = (out / "stages" / "stop-adding-wip.md").read_text(encoding="utf-8")
    assert "- [ ] Delete `tiny-1.0` (released as tag v1.0.1, which keeps its 1 commit not on the trunk; " in stage
    assert "- [ ] Finish or delete `old-idea` (" in stage
    assert "Finish or delete `tiny-1.0`" not in stage


def test_a_stale_branch_released_under_another_products_tags_is_deleted_not_finished(tmp_path: Path) -> None:
    """curl's tiny-curl-8_4 ends at wolfSSL's tag tiny-curl-8_4_0: not one of curl's releases (another
    series, tagged while curl-* went on), yet the branch shipped, and the tag keeps it."""
    from tests.builders import RepoBuilder
    repo = tmp_path / "repo"
    b = RepoBuilder(repo)
    released = []
    for number in range(6):
        released.append(b.commit(at=number * 40))
        b.tag(f"app-1_{number}_0", annotated=True, at=number * 40 + 1)
    b.branch("tiny-1.2", released[2])
    b.commit("tiny: patch set", branch="tiny-1.2", at=90)
    b.tag("tiny-app-1_2_0", "tiny-1.2", annotated=True, at=91)
    b.commit("more on main", at=24 * 200)
    out = tmp_path / "plan"
    code, stdout, stderr = plan(str(repo), "--out", str(out))
    assert code == ExitCode.OK, stderr
    stage = (out / "stages" / "stop-adding-wip.md").read_text(encoding="utf-8")
    assert "- [ ] Delete `tiny-1.2` (released as tag tiny-app-1\\_2\\_0, which keeps its 1 commit not on the trunk; " in stage


def test_a_finished_release_branch_is_deleted_not_protected_and_one_release_reads_as_one(tmp_path: Path) -> None:
    # pi-hole/FTL: release/v6.1 was merged into master (and development) and left behind; the first stage asked
    # to delete it and, in the same stage, protected release/* from deletion. Flask's one release in the window
    # read "1 releases in the window, 0 days apart" and "at least every 7 days, then weekly".
    from tests.builders import RepoBuilder
    repo = tmp_path / "repo"
    b = RepoBuilder(repo)
    for hour in range(0, 200, 10):
        b.commit(at=hour)
    b.branch("release/1.0")
    b.commit("bump the version", branch="release/1.0", at=205)
    b.merge("release/1.0", message="Merge branch 'release/1.0'", at=206)
    b.tag("v1.0.0", annotated=True, at=207)
    b.commit("more on main", at=220)
    out = tmp_path / "plan"
    code, stdout, stderr = plan(str(repo), "--out", str(out))
    assert code == ExitCode.OK, stderr
    stage = (out / "stages" / "stop-adding-wip.md").read_text(encoding="utf-8")
    assert "- [ ] Delete `release/1.0` (already merged)" in stage
    for folder in (out / "protection").iterdir():
        rulesets = [json.loads(p.read_text()) for p in (folder / "github").glob("ruleset*.json")]
        assert not any("refs/heads/release/*" in r["conditions"]["ref_name"]["include"] for r in rulesets), folder.name
    release = (out / "stages" / "release-from-trunk.md").read_text(encoding="utf-8")
    assert "1 release in the window, too few to measure the interval between them" in release
    assert "- [ ] Release at least weekly <!--" in release


def test_the_integration_line_is_kept_from_loss_until_the_stage_that_locks_it(gitflow_repo: Path, tmp_path: Path) -> None:
    # pi-hole/FTL's development took 275 of 277 integrations, and no stage before the lock protected it at all.
    out = tmp_path / "plan"
    code, _, stderr = plan(str(gitflow_repo), "--out", str(out))
    assert code == ExitCode.OK, stderr
    plan_json = json.loads((out / "plan.json").read_text())
    order = plan_json["stages"]
    locked_at = order.index("release-from-trunk")
    for index, stage in enumerate(order):
        rulesets = {json.loads(p.read_text())["name"]: json.loads(p.read_text())
                    for p in (out / "protection" / stage / "github").glob("ruleset*.json")}
        develop = rulesets.get("advisor-develop")
        assert develop is not None, stage
        types = [rule["type"] for rule in develop["rules"]]
        if index < locked_at:
            assert types == ["deletion", "non_fast_forward"], stage
            assert "- measured: in use: develop took its last commit on " in (
                out / "protection" / stage / "README.md").read_text()
        else:
            assert "update" in types, stage  # read-only from the stage that retires it
