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


def test_merge_reads_fleet_json_so_the_fleets_of_a_ci_matrix_combine(estate: Path, tmp_path: Path) -> None:
    """Two matrix jobs each write a portfolio (`advisor fleet SHARD --format json`), a third a single scan;
    merging them gives one portfolio with every row as it was, failed rows and their sentences included."""
    team_a, team_c = tmp_path / "team-a.json", tmp_path / "team-c.json"
    code, _, err = run("fleet", str(estate / "team-a"), "--no-cache", "--quiet", "--format", "json", "--out",
                       str(team_a))
    assert code == 0, err
    code, _, _ = run("fleet", str(estate / "team-c"), "--no-cache", "--quiet", "--format", "json", "--out",
                     str(team_c))
    assert code == ExitCode.USER_ERROR  # the broken repository's row is in it
    code, out, err = run("scan", str(estate / "team-b" / "web" / "site"), "--no-cache", "--no-history",
                         "--format", "json")
    assert code == 0, err
    (tmp_path / "site.json").write_text(out)
    code, out, err = run("fleet", "--merge", str(team_a), "--merge", str(team_c), "--merge", str(tmp_path / "site.json"),
                         "--format", "json")
    assert code == ExitCode.USER_ERROR and "1 of 4 repositories" in err
    merged = json.loads(out)
    from tests.test_report_schemas import errors
    assert errors("fleet.schema.json", merged) == []
    by_name = {row["name"]: row for row in merged["rows"]}
    assert set(by_name) == {"gitflow", "trunk", "broken", "site"}
    assert merged["rows"][0]["name"] == "broken" and by_name["broken"]["error"]
    originals = {row["name"]: row for row in json.loads(team_a.read_text())["rows"]}
    assert by_name["gitflow"] == originals["gitflow"] and by_name["trunk"] == originals["trunk"]  # nothing lost
    assert by_name["site"]["model"] == "github-flow"
    # merging the merged portfolio again changes nothing but the order's inputs
    (tmp_path / "all.json").write_text(out)
    code, again, _ = run("fleet", "--merge", str(tmp_path / "all.json"), "--format", "json")
    assert code == ExitCode.USER_ERROR and json.loads(again)["rows"] == merged["rows"]


@pytest.mark.parametrize("content, reason", [
    ('{"kind": "advisor-fleet", "version": 9, "rows": []}', "fleet JSON of version 9; this advisor reads version 1"),
    ('{"kind": "advisor-fleet", "version": 1, "rows": [{"name": "x"}]}', "a row has no name or path"),
    ('{"kind": "advisor-fleet", "version": 1, "rows": [{"name": "x", "path": "p"}]}', "fields are not the fleet"),
    ('{"kind": "advisor-fleet", "version": 1}', "it has no list of rows"),
    ("[1, 2]", "cannot be read as an advisor scan or fleet"),
])
def test_merge_of_a_bad_fleet_file_is_one_sentence_in_its_row_and_a_non_zero_exit(
        tmp_path: Path, content: str, reason: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = run("fleet", "--merge", str(bad))
    assert code == ExitCode.USER_ERROR and "Traceback" not in out + err
    sentence = next(line for line in out.splitlines() if line.startswith("bad: "))
    assert reason in sentence and sentence.endswith(").") and sentence.count(". ") == 0


def test_merge_of_a_missing_file_says_so() -> None:
    code, out, _ = run("fleet", "--merge", "/nowhere/scan.json")
    assert code == ExitCode.USER_ERROR and "scan: /nowhere/scan.json cannot be read (No such file or directory)." in out


def test_merge_takes_a_glob_as_the_shell_expands_it_or_quoted(estate: Path, tmp_path: Path) -> None:
    """The documented CI recipe, `advisor fleet --merge scans/*.json`, run by a shell: the shell hands the
    first file to --merge and the rest on as arguments. Quoted, advisor expands the glob itself."""
    import subprocess
    import sys

    scans = tmp_path / "scans"
    scans.mkdir()
    for name in ("gitflow", "trunk"):
        code, out, err = run("scan", str(estate / "team-a" / name), "--no-cache", "--no-history", "--format", "json")
        assert code == 0, err
        (scans / f"{name}.json").write_text(out)
    advisor = f"{sys.executable} -m advisor"
    for command in (f"{advisor} fleet --merge scans/*.json --format json",
                    f"{advisor} fleet --merge 'scans/*.json' --format json"):
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert sorted(row["name"] for row in json.loads(done.stdout)["rows"]) == ["gitflow", "trunk"]
    code, out, err = run("fleet", "--merge", str(tmp_path / "none" / "*.json"))
    assert code == ExitCode.USER_ERROR and err.strip().endswith("matches no file.") and "Traceback" not in err
    code, _, err = run("fleet", "--merge", str(scans / "gitflow.json"), str(estate))
    assert code == ExitCode.USER_ERROR and "and not both" in err
    code, _, err = run("fleet", str(estate), str(tmp_path))
    assert code == ExitCode.USER_ERROR and "scans one folder" in err
