"""Many repositories: advisor fleet DIR, advisor scan A B, --repos, --merge; a failure stays in its row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, fleet
from advisor.errors import ExitCode
from advisor.report import portfolio
from tests import scenarios
from tests.test_report_html import parse


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three real repositories (one of them a bare mirror named `repo`, as mirrors are) and one broken one."""
    root = tmp_path_factory.mktemp("estate")
    scenarios.gitflow(root / "team-a" / "gitflow")
    scenarios.trunk_direct(root / "team-a" / "trunk")
    scenarios.github_flow(root / "team-b" / "web" / "site")
    from tests.builders import git_cli
    git_cli(root, "clone", "-q", "--mirror", str(root / "team-b" / "web" / "site"), str(root / "mirrors" / "web" / "repo"))
    broken = root / "team-c" / "broken"
    broken.mkdir(parents=True)
    (broken / ".git").write_text("gitdir: /nowhere/at/all\n")
    return root


def test_find_lists_every_repository_and_names_mirrors_by_their_folder(estate: Path) -> None:
    found = fleet.find(estate)
    assert [p.relative_to(estate).as_posix() for p in found] == [
        "mirrors/web/repo", "team-a/gitflow", "team-a/trunk", "team-b/web/site", "team-c/broken"]
    assert fleet.display_name(estate / "mirrors" / "web" / "repo") == "web"
    assert fleet.display_name(estate / "team-a" / "gitflow") == "gitflow"


def test_fleet_scans_in_parallel_and_a_broken_repository_keeps_its_row(estate: Path, tmp_path: Path) -> None:
    out = tmp_path / "fleet.json"
    code, stdout, err = run("fleet", str(estate), "--no-cache", "--jobs", "2", "--format", "json", "--out", str(out))
    assert code == ExitCode.USER_ERROR  # one repository could not be scanned: the exit code says so
    assert stdout == ""
    progress = [line for line in err.splitlines() if line.startswith("[")]
    assert len(progress) == 5 and all("/5] " in line for line in progress)
    assert "advisor fleet: 1 of 5 repositories could not be scanned." in err
    document = json.loads(out.read_text())
    assert document["kind"] == "advisor-fleet" and document["repositories"] == 5 and document["failed"] == 1
    from tests.test_report_schemas import errors
    assert errors("fleet.schema.json", document) == []
    rows = document["rows"]
    assert rows[0]["name"] == "broken" and rows[0]["error"] and "\n" not in rows[0]["error"]
    models = {row["name"]: row["model"] for row in rows[1:]}
    assert models["gitflow"] == "gitflow" and models["trunk"] == "trunk-based"
    assert set(models) == {"gitflow", "trunk", "site", "web"}
    assert all(row["error"] is None for row in rows[1:])


def test_the_portfolio_is_sorted_by_attention() -> None:
    rows = [portfolio.Row(name="fine", path="a", model="trunk-based", release_tier="elite", lead_time_tier="elite",
                          conformance=1.0),
            portfolio.Row(name="slow", path="b", model="gitflow", release_tier="low", lead_time_tier="low",
                          conformance=0.3),
            portfolio.Row(name="meh", path="c", model="github-flow", release_tier="medium", lead_time_tier="low",
                          conformance=0.5),
            portfolio.failed("gone", "d", "d is not a git repository.")]
    assert [r.name for r in portfolio.ordered(rows)] == ["gone", "slow", "meh", "fine"]


def test_scan_of_several_paths_and_repos_file_and_merge(estate: Path, tmp_path: Path) -> None:
    a, b = estate / "team-a" / "gitflow", estate / "team-a" / "trunk"
    code, out, err = run("scan", str(a), str(b), "--no-cache", "--quiet")
    assert code == 0, err
    assert out.startswith("advisor fleet: 2 repositories, 2 scanned, 0 failed")
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# the team's repositories\n{a}\n\n{b}\n")
    code, out, err = run("scan", "--repos", str(listing), "--no-cache", "--quiet", "--format", "csv")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == ",".join(portfolio.COLUMNS) and len(lines) == 3
    # the CI-matrix way: one JSON per repository, merged at the end
    for path in (a, b):
        code, out, err = run("scan", str(path), "--no-cache", "--no-history", "--format", "json")
        assert code == 0, err
        (tmp_path / f"{path.name}.json").write_text(out)
    (tmp_path / "junk.json").write_text("{not json")
    code, out, err = run("fleet", "--merge", str(tmp_path / "gitflow.json"), "--merge", str(tmp_path / "trunk.json"),
                         "--merge", str(tmp_path / "junk.json"), "--format", "json")
    assert code == ExitCode.USER_ERROR
    rows = json.loads(out)["rows"]
    assert [r["name"] for r in rows] == ["junk", "gitflow", "trunk"] and "cannot be read" in rows[0]["error"]


def test_fleet_html_and_text_fit_and_escape(estate: Path, tmp_path: Path) -> None:
    out = tmp_path / "fleet.html"
    code, _, _ = run("fleet", str(estate), "--no-cache", "--quiet", "--format", "html", "--out", str(out))
    assert code == ExitCode.USER_ERROR
    page = parse(out.read_text())
    assert "script" not in [tag for tag, _ in page.elements]
    text = "".join(page.text)
    assert "Fleet portfolio: 5 repositories" in text and "scan failed" in text and "gitflow" in text
    result = CliRunner().invoke(cli.app, ["fleet", str(estate), "--no-cache", "--quiet"], env={"COLUMNS": "80"})
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "broken: " in result.stdout


def test_fleet_needs_a_folder_or_files() -> None:
    code, _, err = run("fleet")
    assert code == ExitCode.USER_ERROR and "takes a folder to scan, or --merge" in err
