"""Reviews for risky paths, as a user gets them from `advisor plan` on a real repository.

The repository has two failure fixes in `src/parser/` (a revert and a hotfix branch) and one in
`docs/`: the plan asks code owners to review `src/parser/` only, names the fixes with the git
command that shows their paths (run here, against the same repository), proposes as owners the
people who changed that path most, and writes CODEOWNERS for GitHub and GitLab (2 approvals there).
A repository without fixes keeps 1 approval and says why. The scanned repository is never written.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, touched
from advisor.errors import ExitCode
from tests.builders import ALICE, BOB, CAROL, START, RepoBuilder
from tests.test_cli import tree_digest
from tests.test_protection import schema_for, validator

runner = CliRunner()
WORKFLOW = "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"


def squash(builder: RepoBuilder, number: int, files: dict[str, str | None], at: float, who: tuple[str, str]) -> str:
    name = f"feature/{number}"
    builder.branch(name)
    builder.commit(f"work {number}", branch=name, files=files, author=who, at=at)
    return builder.merge(name, method="squash", message=f"Change {number} (#{number})", at=at + 0.5, who=who,
                         delete=True)  # a host writes the squash commit under the author of the pull request


def risky_repo(path: Path) -> dict[str, str]:
    """Work in src/parser, src/ui and docs; a revert and a hotfix in src/parser, a revert in docs."""
    builder = RepoBuilder(path)
    builder.commit("start", files={".github/workflows/ci.yml": WORKFLOW, "src/parser/lexer.c": "lex 0\n",
                                   "src/parser/tokens.c": "tok 0\n", "src/ui/main.c": "ui 0\n",
                                   "docs/guide.md": "guide 0\n"}, at=0)
    shas: dict[str, str] = {}
    hour = 24.0
    for number in range(1, 13):
        place = ("src/parser/lexer.c", "src/ui/main.c", "docs/guide.md", "src/parser/tokens.c")[number % 4]
        who = BOB if place.startswith("src/parser") else (ALICE, CAROL)[number % 2]
        shas[f"change {number}"] = squash(builder, number, {place: f"{place} {number}\n"}, hour, who)
        hour += 24
    shas["revert lexer"] = builder.revert(shas["change 4"], at=hour, author=CAROL)  # change 4 changed src/parser/lexer.c
    builder.branch("hotfix/1.0.1")
    builder.commit("Fix the tokens", branch="hotfix/1.0.1", files={"src/parser/tokens.c": "fixed\n"},
                   author=CAROL, at=hour + 24)
    shas["hotfix"] = builder.merge("hotfix/1.0.1", message="Merge branch 'hotfix/1.0.1'", at=hour + 25, delete=True)
    shas["revert docs"] = builder.revert(shas["change 2"], at=hour + 48)  # change 2 changed docs/guide.md
    for number in range(13, 17):
        squash(builder, number, {"src/ui/main.c": f"ui {number}\n"}, hour + 48 + 24 * (number - 12), ALICE)
    return shas


def plan(repo: Path, out: Path) -> dict[str, str]:
    result = runner.invoke(cli.app, ["plan", str(repo), "--out", str(out), "--no-cache", "--merge-check-seconds", "0",
                                     "--since", "2023-12-01", "--until", "2024-03-01"])
    assert result.exit_code == ExitCode.OK, result.stderr
    files = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    for name, text in files.items():
        kind = schema_for(name.split("/", 2)[-1]) if name.startswith("protection/") else None
        if kind is not None:
            validator(kind).validate(json.loads(text))
    return files


def test_code_owners_review_only_the_path_the_failure_fixes_concentrated_in(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shas = risky_repo(repo)
    before = tree_digest(repo)
    files = plan(repo, tmp_path / "plan")
    assert tree_digest(repo) == before  # read, never written

    owners = files["protection/automate/github/CODEOWNERS"]
    entries = [line for line in owners.splitlines() if line and not line.startswith("#")]
    assert entries == ["/src/parser/ bob@example.com carol@example.com"]  # Bob changed it most, then Carol (revert, hotfix)
    gitlab = files["protection/automate/gitlab/CODEOWNERS"]
    assert "[Risky paths][2]" in gitlab and "/src/parser/ bob@example.com carol@example.com" in gitlab

    ruleset = json.loads(files["protection/automate/github/ruleset.json"])
    review = next(rule["parameters"] for rule in ruleset["rules"] if rule["type"] == "pull_request")
    assert review["require_code_owner_review"] is True and review["required_approving_review_count"] == 1
    classic = json.loads(files["protection/automate/github/branch-protection-main.json"])
    assert classic["required_pull_request_reviews"]["require_code_owner_reviews"] is True
    protected = json.loads(files["protection/automate/gitlab/protected-branch-main.json"])
    assert protected["code_owner_approval_required"] is True

    readme = files["protection/automate/README.md"]
    line = next(line for line in readme.splitlines() if line.startswith("- `/src/parser/`"))
    assert "changed by 2 fixes in the window" in line
    assert f"revert {shas['revert lexer'][:10]}" in line and f"merge {shas['hotfix'][:10]}" in line
    assert shas["revert docs"][:10] not in readme  # one fix in docs/ is not a concentration
    assert "search/commits?q=author-email:EMAIL" in readme and "users?search=EMAIL" in readme
    # Each cited command, run as the README gives it, shows a file under the risky path.
    commands = re.findall(r"  - (?:check|owners): `([^`]+)`", readme)
    assert len(commands) == 3
    for command in commands:
        shown = subprocess.run(["bash", "-c", command], cwd=repo, capture_output=True, text=True, check=True).stdout
        assert "src/parser/" in shown or "bob@example.com" in shown, (command, shown)
    stage = files["stages/automate.md"]
    assert "CODEOWNERS" in stage and "`/src/parser/`" in stage


def test_without_failure_fixes_one_approval_and_the_reason(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    builder = RepoBuilder(repo)
    builder.commit("start", files={".github/workflows/ci.yml": WORKFLOW}, at=0)
    for number in range(1, 9):
        squash(builder, number, {f"src/{number}.c": "x\n"}, 24.0 * number, (ALICE, BOB)[number % 2])
    files = plan(repo, tmp_path / "plan")
    assert not any(name.endswith("CODEOWNERS") for name in files)
    ruleset = json.loads(files["protection/automate/github/ruleset.json"])
    review = next(rule["parameters"] for rule in ruleset["rules"] if rule["type"] == "pull_request")
    assert review["require_code_owner_review"] is False and review["required_approving_review_count"] == 1
    assert "1 approval everywhere, no code owners: the window has no revert or hotfix" in \
        files["protection/automate/README.md"]


def test_changed_paths_reads_a_commit_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Backfill asks about the same fixes at every date: git is read for the commits not asked about before."""
    builder = RepoBuilder(tmp_path / "repo")
    root = builder.commit("start", files={"a.txt": "1\n"}, at=0)
    change = builder.commit("change", files={"a.txt": "2\n", "b.txt": "1\n"}, at=1)
    later = builder.commit("later", files={"c.txt": "1\n"}, at=2)
    monkeypatch.setattr(touched, "_CHANGED", {})  # the same commits may have been built (and read) by another test
    read: list[list[str]] = []
    original = touched._read_changed_paths
    monkeypatch.setattr(touched, "_read_changed_paths", lambda git_dir, shas: read.append(list(shas)) or original(git_dir, shas))
    git_dir = Path(builder.repo.path)
    assert touched.changed_paths(git_dir, [change, root]) == {change: ("a.txt", "b.txt"), root: ("a.txt",)}
    assert touched.changed_paths(git_dir, [later, change, "0" * 40]) == {later: ("c.txt",), change: ("a.txt", "b.txt")}
    assert touched.changed_paths(git_dir, [change, "0" * 40]) == {change: ("a.txt", "b.txt")}
    assert read == [[change, root], [later, "0" * 40], ["0" * 40]]  # a commit git could not read is asked again


def test_changed_paths_reads_each_commit_against_its_first_parent(tmp_path: Path) -> None:
    builder = RepoBuilder(tmp_path / "repo")
    root = builder.commit("start", files={"a/x.txt": "1\n", "b.txt": "1\n"}, at=0)
    change = builder.commit("change", files={"a/x.txt": "2\n", "c/new.txt": "1\n", "b.txt": None}, at=1)
    builder.branch("topic", root)
    builder.commit("topic", branch="topic", files={"d/t.txt": "1\n"}, at=2)
    merge = builder.merge("topic", at=3)
    found = touched.changed_paths(Path(builder.repo.path), [root, change, merge, "0" * 40])
    assert found == {root: ("a/x.txt", "b.txt"), change: ("a/x.txt", "b.txt", "c/new.txt"), merge: ("d/t.txt",)}
    authors = touched.frequent_authors(Path(builder.repo.path), merge, START, START.replace(year=2030),
                                       ["a/", "d/t.txt", "nowhere/"])
    assert authors == {"a/": [("Alice", "alice@example.com", 2)], "d/t.txt": [("Alice", "alice@example.com", 1)],
                       "nowhere/": []}


def test_a_backfilled_snapshot_is_the_same_without_looking_up_code_owners(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Backfill's snapshots record no policy, so the owners of the risky paths are not looked up (a
    `git log` over the window at every date); what is stored is what it was with them."""
    from datetime import datetime, timezone

    from advisor import pipeline, snapshot
    from advisor.history import HistoryOptions

    repo = tmp_path / "repo"
    risky_repo(repo)
    request = pipeline.ScanRequest(path=repo, now=datetime(2024, 3, 1, tzinfo=timezone.utc),
                                   options=HistoryOptions(), merge_check_seconds=0,
                                   since=datetime(2023, 12, 1, tzinfo=timezone.utc))
    result = pipeline.run_scan(request)
    full = pipeline.plan_status(request, result, pipeline.PlanFolder(), checklists=False)
    asked: list[object] = []
    monkeypatch.setattr(touched, "frequent_authors", lambda *args: asked.append(args) or {})
    lean = pipeline.plan_status(request, result, pipeline.PlanFolder(), checklists=False, owners=False)
    assert asked == []
    owners = [owner for stage in full.plan.stages for owner in stage.policy.code_owners]
    assert {o.pattern for o in owners} == {"/src/parser/"} and all(o.owners for o in owners)  # named with owners
    assert not any(o.owners for stage in lean.plan.stages for o in stage.policy.code_owners)
    assert (snapshot.to_document(snapshot.from_scan(result, lean.plan, lean.checklists))
            == snapshot.to_document(snapshot.from_scan(result, full.plan, full.checklists)))
