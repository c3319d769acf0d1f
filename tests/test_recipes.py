"""The CI recipes under recipes/ run the commands these tests run.

The `advisor ...` lines are read out of the workflow files themselves and run,
in order, in a clone set up the way each CI system checks one out, on two
successive weeks of a team's history; `advisor plan` comes from the plan work
and its line is skipped, with the reason, while the command does not exist.
"""

from __future__ import annotations

import json
import os
import shlex
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from advisor import cli, store
from advisor.errors import ExitCode
from tests import evolving
from tests.builders import git_cli
from tests.test_cli_progress import freeze

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / "recipes" / "github-actions" / "advisor-weekly.yml"
GITLAB = ROOT / "recipes" / "gitlab-ci" / "advisor-weekly.gitlab-ci.yml"
HISTORY = "docs/branching/history"
runner = CliRunner()


def load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def github_lines() -> list[str]:
    steps = load(GITHUB)["jobs"]["rescan"]["steps"]
    return [line.strip() for step in steps for line in str(step.get("run", "")).splitlines()]


def gitlab_lines() -> list[str]:
    job = load(GITLAB)["advisor-weekly"]
    return [str(line).strip() for line in [*job["before_script"], *job["script"]]]


def advisor_commands(lines: list[str]) -> list[list[str]]:
    return [shlex.split(line)[1:] for line in lines if line.startswith("advisor ")]


def test_github_workflow_is_scheduled_with_full_history_and_opens_a_pull_request() -> None:
    workflow = load(GITHUB)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write", "security-events": "write"}
    steps = workflow["jobs"]["rescan"]["steps"]
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    pull = next(s for s in steps if str(s.get("uses", "")).startswith("peter-evans/create-pull-request@"))
    assert pull["uses"] == "peter-evans/create-pull-request@v7"  # pinned to a major version
    assert pull["with"]["add-paths"] == "docs/branching"
    assert [c[0] for c in advisor_commands(github_lines())] == ["scan", "plan", "progress", "check"]
    check = next(s for s in steps if str(s.get("run", "")).startswith("advisor check"))
    assert check["continue-on-error"] is True and "--format sarif --out advisor.sarif" in check["run"]
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "advisor.sarif" and steps.index(upload) > steps.index(check)
    assert steps[-1]["if"] == "steps.check.outcome == 'failure'"  # after the upload: a regression fails the run


def test_gitlab_job_is_scheduled_with_full_history_and_opens_a_merge_request() -> None:
    job = load(GITLAB)["advisor-weekly"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert job["variables"]["GIT_DEPTH"] == "0"
    push = next(line for line in job["script"] if str(line).startswith("git push"))
    assert "-o merge_request.create" in push and "HEAD:refs/heads/advisor/weekly" in push
    assert [c[0] for c in advisor_commands(gitlab_lines())] == ["scan", "plan", "progress", "check"]
    assert str(job["script"][-1]).startswith("advisor check")


def ci_clone(tmp_path: Path, origin: Path, detached: bool) -> Path:
    """A fresh clone as CI checks one out: GitHub on the default branch, GitLab detached at its tip."""
    clone = tmp_path / f"clone-{len(list(tmp_path.iterdir()))}"
    git_cli(tmp_path, "clone", "-q", str(origin), str(clone))
    if detached:
        git_cli(clone, "checkout", "-q", "--detach")
        git_cli(clone, "branch", "-q", "-D", "master")
    return clone


def run_recipe(commands: list[list[str]], clone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the recipe's advisor commands in `clone`, as the CI job would."""
    monkeypatch.chdir(clone)
    for argv in commands:
        argv = [os.path.expandvars(arg) for arg in argv]
        result = runner.invoke(cli.app, argv)
        allowed = (ExitCode.OK, ExitCode.REGRESSED) if argv[0] == "check" else (ExitCode.OK,)
        assert result.exit_code in allowed, (argv, result.stderr)


@pytest.mark.parametrize("recipe", ["github", "gitlab"])
def test_the_recipes_commands_track_two_weeks(recipe: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin = tmp_path / "origin"
    team = evolving.Team(origin)
    commands = advisor_commands(github_lines() if recipe == "github" else gitlab_lines())
    monkeypatch.setenv("CI_DEFAULT_BRANCH", "master")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    carried: dict[str, bytes] = {}
    for phase in "AB":
        team.phase(phase)
        clone = ci_clone(tmp_path, origin, detached=recipe == "gitlab")
        for name, data in carried.items():  # what the committed history folder holds
            (clone / HISTORY).mkdir(parents=True, exist_ok=True)
            (clone / HISTORY / name).write_bytes(data)
        freeze(monkeypatch, evolving.SCANS[phase] + timedelta(hours=1))
        run_recipe(commands, clone, monkeypatch)
        carried = {p.name: p.read_bytes() for p in store.snapshot_files(clone / HISTORY)}
    assert len(carried) == 2
    report = (clone / "docs" / "branching" / "progress.md").read_text()
    assert "2 snapshots in `docs/branching/history`" in report
    assert "from 2024-04-08 to 2024-04-29" in report
    assert "| stale branches | 1 | 0 | -1 | better | lower |" in report  # the abandoned spike was deleted
    plan = clone / "docs" / "branching"
    assert (plan / "README.md").is_file() and (plan / "plan.json").is_file()
    snapshot = json.loads(sorted((clone / HISTORY).glob("*.json"))[-1].read_text())
    assert snapshot["plan"] is not None and snapshot["plan"]["stages"], "the snapshot records the plan's status"
    assert git_cli(clone, "status", "--porcelain", "--untracked-files=no") == ""  # no tracked file was touched


def install_line(lines: list[str]) -> str:
    [line] = [line for line in lines if "pip install" in line]
    return line


@pytest.mark.parametrize("recipe", ["github", "gitlab"])
def test_the_install_line_installs_advisor_itself(recipe: str, tmp_path: Path) -> None:
    """Never a bare name from the package index: the line installs what ADVISOR_SOURCE names, here this checkout."""
    import subprocess
    import sys
    line = install_line(github_lines() if recipe == "github" else gitlab_lines())
    assert '"${ADVISOR_SOURCE:?' in line and "install --quiet advisor" not in line
    # pip reads its PIP_NO_* variables inverted: PIP_NO_BUILD_ISOLATION=0 turns build isolation off.
    env = {**os.environ, "PIP_TARGET": str(tmp_path / "site"), "PIP_NO_DEPS": "1", "PIP_NO_BUILD_ISOLATION": "0",
           "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PATH": f"{Path(sys.executable).parent}:"
                                                                              f"{os.environ.get('PATH', '')}"}
    unset = subprocess.run(["bash", "-c", line], env={k: v for k, v in env.items() if k != "ADVISOR_SOURCE"},
                           capture_output=True, text=True, check=False)
    assert unset.returncode != 0 and "set the ADVISOR_SOURCE variable" in unset.stderr
    import importlib.util
    import shutil

    import setuptools
    if importlib.util.find_spec("wheel") is None and tuple(map(int, setuptools.__version__.split(".")[:2])) < (70, 1):
        pytest.skip("this environment cannot build a wheel offline (setuptools < 70.1 without wheel)")
    source = tmp_path / "advisor-source"  # a copy, so the build writes nothing into the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__",
                                                                ".pytest_cache", ".mypy_cache", ".hypothesis"))
    done = subprocess.run(["bash", "-c", line], env={**env, "ADVISOR_SOURCE": str(source)}, cwd=tmp_path,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    site = tmp_path / "site" / "advisor"
    for part in ("cli.py", "report/html.py", "ci/__init__.py", "templates/report.html.j2", "schemas"):
        assert (site / part).exists(), part  # every subpackage and data file is in the package
