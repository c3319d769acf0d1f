"""`advisor scan --as-of DATE` as a user runs it: the past scan, and every bad date."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, pipeline
from advisor.errors import ExitCode
from advisor.history import HistoryOptions
from advisor.report import jsonout
from tests import scenarios

runner = CliRunner()
UTC = timezone.utc


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, ["scan", *args, "--no-cache"])
    return result.exit_code, result.stdout, result.stderr


def assert_one_sentence(code: int, err: str, expected: str) -> None:
    assert code == ExitCode.USER_ERROR
    assert expected in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def gitflow_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("asof") / "gitflow"
    scenarios.gitflow(path)  # 2024-01-01 09:00 to 2024-01-20 06:00 UTC; releases 1.1.0, 1.2.0, 1.2.1, 1.3.0
    return path


def test_scan_as_of_a_date_shows_the_repository_as_it_was(gitflow_repo: Path) -> None:
    code, out, err = run(str(gitflow_repo), "--as-of", "2024-01-10", "--format", "json")
    assert code == ExitCode.OK, err
    document = json.loads(out)
    date = datetime(2024, 1, 10, tzinfo=UTC)
    assert document["scanned_at"] == date.isoformat() and document["window"]["until"] == date.isoformat()
    assert all(datetime.fromisoformat(r["at"]) <= date for r in document["history"]["releases"])
    code, today, _ = run(str(gitflow_repo), "--format", "json")
    assert len(document["history"]["releases"]) < len(json.loads(today)["history"]["releases"])
    assert document["repo"]["commits"] < json.loads(today)["repo"]["commits"]
    same = pipeline.run_scan(pipeline.ScanRequest(path=gitflow_repo, now=datetime.now(UTC), options=HistoryOptions(),
                                                  as_of=date))
    assert out == jsonout.scan_json(same)


def test_scan_as_of_in_text_with_a_time_and_an_earlier_until(gitflow_repo: Path) -> None:
    code, out, err = run(str(gitflow_repo), "--as-of", "2024-01-15T12:00:00+02:00", "--until", "2024-01-12",
                         "--since", "2024-01-01")
    assert code == ExitCode.OK, err
    assert "window: 2024-01-01 to 2024-01-12" in out
    assert "Trunk: master" in out


def test_bad_as_of_dates_are_one_sentence(gitflow_repo: Path) -> None:
    code, _, err = run(str(gitflow_repo), "--as-of", "last year")
    assert_one_sentence(code, err, "--as-of 'last year' is not a date")
    code, _, err = run(str(gitflow_repo), "--as-of", "2999-01-01")
    assert_one_sentence(code, err, "is in the future")
    code, _, err = run(str(gitflow_repo), "--as-of", "2023-06-01")
    assert_one_sentence(code, err, "no commits yet on 2023-06-01")
    code, _, err = run(str(gitflow_repo), "--as-of", "2024-01-10", "--until", "2024-01-11")
    assert_one_sentence(code, err, "--until 2024-01-11T00:00:00+00:00 is after --as-of")


def test_installed_command_scans_the_past(gitflow_repo: Path) -> None:
    exe = shutil.which("advisor")
    if exe is None:
        pytest.skip("the advisor command is not installed in this environment")
    done = subprocess.run([exe, "scan", str(gitflow_repo), "--no-cache", "--as-of", "2024-01-10"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "window: 2023-01-10 to 2024-01-10" in done.stdout
