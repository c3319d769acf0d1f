"""`advisor scan` storing snapshots, `advisor progress` and `advisor check`, as a user runs them.

The team of tests/evolving.py moves off Gitflow between weekly scans; the
clock is frozen at each scan's moment so the repository's dates make sense.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import types
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, pipeline, store
from advisor.errors import ExitCode
from tests import evolving, scenarios
from tests.builders import RepoBuilder, git_cli

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def freeze(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return datetime.fromtimestamp(moment.timestamp(), timezone.utc)  # a plain datetime, as the real clock gives

    monkeypatch.setattr(cli, "datetime", Frozen)


def weekly_scan(monkeypatch: pytest.MonkeyPatch, repo: Path, history: Path, moment: datetime,
                plan: Path | None = None) -> None:
    """What the weekly recipe runs: scan and store a snapshot, then regenerate the plan."""
    freeze(monkeypatch, moment)
    since = (moment - timedelta(days=evolving.WINDOW_DAYS)).isoformat()
    extra = ["--plan-dir", str(plan)] if plan else []
    code, _, err = run("scan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--since", since,
                       "--history-dir", str(history), *extra)
    assert code == 0, err
    if plan:
        code, _, err = run("plan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--since", since,
                           "--out", str(plan))
        assert code == 0, err


# -- storing ----------------------------------------------------------------------


def test_scan_stores_a_snapshot_by_default_outside_the_repository(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "gitflow"
    scenarios.gitflow(repo)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, err = run("scan", str(repo), "--no-cache", "--since", "2023-01-01")
    assert code == 0 and err == "", err
    folders = list((tmp_path / "data" / "advisor" / "history").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("gitflow-")
    files = store.snapshot_files(folders[0])
    assert len(files) == 1
    document = json.loads(files[0].read_text())
    assert document["kind"] == "advisor-snapshot" and document["repo"]["trunk"] == "master"
    assert not any(p.name.endswith(".json") for p in repo.rglob("*"))  # nothing written into the repository
    code, out, err = run("progress", str(repo))
    assert code == 0, err
    assert "1 snapshot in" in out and "One snapshot: it is the baseline" in out


def test_no_history_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "gitflow"
    scenarios.gitflow(repo)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, _, err = run("scan", str(repo), "--no-cache", "--no-history")
    assert code == 0, err
    assert not (tmp_path / "data").exists()


def test_history_dir_inside_the_git_directory_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "gitflow"
    scenarios.gitflow(repo)
    code, _, err = run("scan", str(repo), "--no-cache", "--history-dir", str(repo / ".git" / "history"))
    assert code == ExitCode.USER_ERROR and "inside a git directory" in err
    assert not (repo / ".git" / "history").exists()


def test_an_unwritable_default_history_is_a_warning_a_named_one_an_error(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "gitflow"
    scenarios.gitflow(repo)
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    code, out, err = run("scan", str(repo), "--no-cache")
    assert code == 0 and "Trunk: master" in out
    assert err.startswith("advisor: warning: the snapshot could not be stored in ")
    code, _, err = run("scan", str(repo), "--no-cache", "--history-dir", str(blocker / "history"))
    assert code == ExitCode.USER_ERROR and err.startswith("advisor: The snapshot could not be stored in ")
    assert len(err.strip().splitlines()) == 1


# -- progress and check over an evolving repository -----------------------------------


@pytest.fixture
def team(tmp_path: Path) -> evolving.Team:
    return evolving.Team(tmp_path / "repo")


def test_progress_and_check_follow_the_team(team: evolving.Team, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo, history, plan = team.b.path, tmp_path / "history", tmp_path / "plan"
    code, out, _ = run("progress", str(repo), "--history-dir", str(history))
    assert code == 0 and "No snapshots in" in out
    code, out, err = run("check", str(repo), "--history-dir", str(history))
    assert code == 1 and "does not exist, so there is nothing to check" in err and "--first-run" in err
    code, out, _ = run("check", str(repo), "--history-dir", str(history), "--first-run")
    assert code == 0 and "does not exist yet; nothing to check (--first-run)" in out

    team.phase("A")
    weekly_scan(monkeypatch, repo, history, evolving.SCANS["A"], plan)
    code, out, _ = run("check", str(repo), "--history-dir", str(history))
    assert code == 0 and "ok: one snapshot" in out

    team.phase("B")
    weekly_scan(monkeypatch, repo, history, evolving.SCANS["B"], plan)
    code, out, err = run("progress", str(repo), "--history-dir", str(history))
    assert code == 0, err
    assert "Since the baseline, the previous scan (2024-04-08)" in out
    assert "model: gitflow -> trunk-based" in out
    assert "stop-adding-wip.stale-branches (stale branches (no commit in 90 days)): 1 -> 0 (target at most 0)" in out
    assert "shrink-batches.lifetime (median branch lifetime): 3.0 d -> 4.0 h (target at most 2.0 d)" in out
    # Its criteria hold, but nobody has ticked the checklist the plan folder held at scan time: not done.
    assert "Current stage: stop-adding-wip (Stop adding work in progress): 2 of 2 exit criteria hold, checklist " in out
    assert "done" not in out.split("Current stage:")[1].splitlines()[0]
    code, out, _ = run("check", str(repo), "--history-dir", str(history))
    assert code == 0 and "stage: stop-adding-wip (Stop adding work in progress) is not done: its 2 exit criteria " \
        "hold, checklist " in out

    # The team ticks every box (as people do, in the stage files); the next scan records the ticks.
    for stage_file in (plan / "stages").glob("*.md"):
        stage_file.write_text(stage_file.read_text().replace("- [ ] ", "- [x] "))
    team.phase("C")
    weekly_scan(monkeypatch, repo, history, evolving.SCANS["C"], plan)
    code, out, _ = run("progress", str(repo), "--history-dir", str(history))
    assert "Current stage: automate (Automate the tests and the pipeline): 0 of 2 exit criteria hold, checklist " in out
    code, out, _ = run("progress", str(repo), "--history-dir", str(history), "--format", "json")
    report = json.loads(out)
    assert report["plan_done"] is False and report["snapshots"] == 3
    assert report["current_stage"]["id"] == "automate"  # no CI configuration: the one stage left
    lifetime = next(d for d in report["since_baseline"]["deltas"] if d["measure"] == "branch_lifetime_p50_hours")
    assert lifetime["direction"] == "better" and lifetime["better"] == "lower"
    code, out, _ = run("check", str(repo), "--history-dir", str(history))
    assert code == 0 and "ok: no criterion regressed" in out

    team.phase("D")
    weekly_scan(monkeypatch, repo, history, evolving.SCANS["D"], plan)
    code, out, err = run("check", str(repo), "--history-dir", str(history))
    assert code == ExitCode.REGRESSED == 4
    lines = out.strip().splitlines()
    assert lines[0].startswith("regressed: stop-adding-wip.active-branches (active branches) held on 2024-05-13")
    assert lines[-1] == "advisor check: 1 problem in the snapshot of 2024-05-20 (exit 4)."
    code, out, _ = run("check", str(repo), "--history-dir", str(history), "--format", "sarif")
    from tests.test_report_sarif import assert_valid
    log = json.loads(out)
    assert_valid(log)
    assert code == ExitCode.REGRESSED
    [result] = log["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("regressed/stop-adding-wip.active-branches", "error")
    assert result["properties"]["evidence"]["held on"] == "2024-05-13"

    report_file = tmp_path / "out" / "progress.md"
    code, out, _ = run("progress", str(repo), "--history-dir", str(history), "--format", "markdown",
                       "--out", str(report_file))
    assert code == 0 and out == ""
    markdown = report_file.read_text()
    assert markdown.count("xychart-beta") == 4 and "Exit criteria that regressed" in markdown


def test_thresholds_from_the_working_tree(team: evolving.Team, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo, history = team.b.path, tmp_path / "history"
    team.phase("A")
    weekly_scan(monkeypatch, repo, history, evolving.SCANS["A"])
    (repo / ".advisor.toml").write_text("max_stale_branches = 0\nmax_long_lived_lines = 0\n"
                                        "min_releases_per_week = 0.5\n")
    code, out, _ = run("check", str(repo), "--history-dir", str(history))
    assert code == ExitCode.REGRESSED
    assert out.splitlines()[:2] == [
        "threshold: stale branches is 1, above max_stale_branches = 0 in .advisor.toml",
        "threshold: long-lived lines beside the trunk is 1, above max_long_lived_lines = 0 in .advisor.toml",
    ]
    (repo / ".advisor.toml").write_text("max_stale_branche = 0\n")
    code, out, err = run("check", str(repo), "--history-dir", str(history))
    assert code == ExitCode.USER_ERROR
    assert err.startswith("advisor: Unknown key 'max_stale_branche' in .advisor.toml; the known keys are ")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_settings_of_a_bare_mirror_come_from_its_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin = tmp_path / "origin"
    b = RepoBuilder(origin)
    b.commit(files={"pyproject.toml": "[tool.advisor]\nmax_active_branches = 0\ntrunk = 'main'\n"})
    b.branch("topic")
    b.commit(branch="topic")
    mirror = tmp_path / "mirror.git"
    git_cli(tmp_path, "clone", "-q", "--mirror", str(origin), str(mirror))
    freeze(monkeypatch, b.clock + timedelta(hours=2))
    history = tmp_path / "history"
    code, _, err = run("scan", str(mirror), "--no-cache", "--history-dir", str(history))
    assert code == 0, err
    code, out, _ = run("check", str(mirror), "--history-dir", str(history))
    assert code == ExitCode.REGRESSED
    assert "\nthreshold: active branches is 1, above max_active_branches = 0 in pyproject.toml" in "\n" + out


def test_the_settings_trunk_is_used_by_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b = RepoBuilder(tmp_path / "repo", trunk="trunk-line")
    b.commit()
    git_cli(b.path, "symbolic-ref", "HEAD", "refs/heads/nothing-here")
    code, _, err = run("scan", str(b.path), "--no-cache", "--no-history")
    assert code == ExitCode.USER_ERROR and "No trunk could be found" in err
    (b.path / ".advisor.toml").write_text("trunk = 'trunk-line'\n")
    code, out, err = run("scan", str(b.path), "--no-cache", "--no-history")
    assert code == 0, err
    assert "Trunk: trunk-line" in out


def test_corrupt_snapshots_are_skipped_with_a_warning(team: evolving.Team, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo, history = team.b.path, tmp_path / "history"
    team.phase("A")
    weekly_scan(monkeypatch, repo, history, evolving.SCANS["A"])
    (history / "20240401T000000000000Z-deadbeef.json").write_text('{"kind": "advisor-snapshot", "vers')
    (history / "20240402T000000000000Z-cafe.json").write_text('{"kind": "advisor-snapshot", "version": 7}')
    for command in ("progress", "check"):
        code, out, err = run(command, str(repo), "--history-dir", str(history))
        assert code == 0, err
        assert "Traceback" not in err
        assert "advisor: warning: skipped 20240401T000000000000Z-deadbeef.json: it cannot be read as JSON" in err
        assert "skipped 20240402T000000000000Z-cafe.json: it was written by a newer advisor" in err
    code, out, _ = run("progress", str(repo), "--history-dir", str(history))
    assert "1 snapshot in" in out


def test_archived_scan_documents_count_as_snapshots(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    fixture = Path(__file__).resolve().parent / "fixtures" / "snapshot-v1.json"
    (history / "scan-2024-03-01.json").write_text(fixture.read_text())
    code, out, err = run("progress", ".", "--history-dir", str(history))
    assert code == 0, err
    assert "1 snapshot in" in out and "model gitflow" in out


def test_progress_needs_a_repository_or_a_history_dir(tmp_path: Path) -> None:
    code, _, err = run("progress", str(tmp_path))
    assert code == ExitCode.USER_ERROR and "is not inside a git repository" in err


# -- a killed scan loses nothing already stored -----------------------------------------


def scan_process(repo: Path, history: Path, cache: Path) -> subprocess.Popen[bytes]:
    code = "import sys; from advisor.cli import main; sys.argv[0] = 'advisor'; main()"
    return subprocess.Popen([sys.executable, "-c", code, "scan", str(repo), "--cache-dir", str(cache),
                             "--history-dir", str(history), "--since", "2023-01-01"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def assert_intact(history: Path) -> list[str]:
    found, warnings = store.read_snapshots(history)
    assert warnings == []
    for path in store.snapshot_files(history):
        json.loads(path.read_text())  # every visible file is a whole document
    return [s.source for s in found]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL needs POSIX")
def test_scans_killed_at_random_moments_leave_the_history_intact(tmp_path: Path) -> None:
    repo, history, cache = tmp_path / "gitflow", tmp_path / "history", tmp_path / "cache"
    scenarios.gitflow(repo)
    started = time.monotonic()
    first = scan_process(repo, history, cache)
    assert first.wait(60) == 0, first.stderr.read() if first.stderr else ""
    duration = time.monotonic() - started
    kept = assert_intact(history)
    assert len(kept) == 1
    chance = random.Random(20240520)
    for _ in range(6):
        process = scan_process(repo, history, cache)
        time.sleep(chance.uniform(0.0, duration * 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait(60)
        now = assert_intact(history)
        assert set(kept) <= set(now)  # nothing stored before was lost
        kept = now


def test_two_scans_at_once_store_two_whole_snapshots(tmp_path: Path) -> None:
    repo, history = tmp_path / "gitflow", tmp_path / "history"
    scenarios.gitflow(repo)
    processes = [scan_process(repo, history, tmp_path / f"cache{i}") for i in range(2)]
    for process in processes:
        assert process.wait(60) == 0, process.stderr.read() if process.stderr else ""
    assert len(assert_intact(history)) == 2


# -- backfill -------------------------------------------------------------------------


def test_backfill_stores_one_snapshot_per_date(team: evolving.Team, tmp_path: Path) -> None:
    team.phase("A")
    team.phase("B")
    history = tmp_path / "history"
    code, out, err = run("backfill", str(team.b.path), "--since", "2024-04-01", "--until", "2024-04-29",
                         "--every", "week", "--history-dir", str(history), "--no-cache")
    assert code == 0, err
    assert out == (f"advisor backfill: stored 5 snapshots in {history}, 2024-04-01 to 2024-04-29 every week.\n")
    code, out, _ = run("progress", str(team.b.path), "--history-dir", str(history), "--format", "json")
    assert [p["at"][:10] for p in json.loads(out)["trend"]] == [
        "2024-04-01", "2024-04-08", "2024-04-15", "2024-04-22", "2024-04-29"]
    code, _, _ = run("backfill", str(team.b.path), "--since", "2024-04-01", "--until", "2024-04-29",
                     "--history-dir", str(history), "--no-cache")
    assert len(store.snapshot_files(history)) == 5  # backfilling the same dates again replaces, never duplicates


def test_backfill_marks_since_as_required(tmp_path: Path) -> None:
    code, _, err = run("backfill", ".", "--history-dir", str(tmp_path))
    assert code == ExitCode.USAGE and "Missing option '--since'" in err
    assert "[required]" in run("backfill", "--help")[1]


@pytest.mark.parametrize(("args", "message"), [
    (("--since", "soon"), "is not a date"),
    (("--since", "2024-05-01", "--until", "2024-04-01"), "is after --until"),
])
def test_backfill_bad_dates(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    code, _, err = run("backfill", ".", *args, "--history-dir", str(tmp_path))
    assert code == ExitCode.USER_ERROR and message in err


def test_every_command_says_when_a_dormant_repository_is_measured_before_its_newest_commit(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    scenarios.github_flow(repo)  # its newest commit: the merge of 2024-01-12 16:00 UTC
    freeze(monkeypatch, datetime(2026, 1, 5, tzinfo=timezone.utc))
    history = tmp_path / "history"
    note = ("no commit in the last 365 days; the newest is 2024-01-12 (on main, 723 days ago): "
            "measuring the year before it; pass --until to choose")
    code, out, err = run("scan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--history-dir", str(history))
    assert code == 0, err
    assert f"  window: 2023-01-13 to 2024-01-13\n  {note}\n" in out
    assert "Model: github-flow" in out and "(9 integrations)" in out
    code, out, err = run("scan", str(repo), "--no-cache", "--format", "json", "--merge-check-seconds", "0",
                         "--no-history")
    assert code == 0, err
    assert json.loads(out)["dormant"] == {"behind": False, "idle_days": 723, "line": "main",
                                          "newest": "2024-01-12T16:00:00+00:00",
                                          "note": note}
    code, out, err = run("progress", str(repo), "--history-dir", str(history))
    assert code == 0, err
    assert f"  window: {note}\n" in out
    code, out, err = run("check", str(repo), "--history-dir", str(history))
    assert code == 0, err
    assert f"window: {note}\n" in out
    code, out, err = run("plan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--out", str(tmp_path / "plan"))
    assert code == 0, err
    assert note in out
    readme = (tmp_path / "plan" / "README.md").read_text(encoding="utf-8")
    assert f"**This repository is dormant.** {note}. Nobody is changing this repository" in readme
    assert "the plan has no stages (advisor plan --until DATE shows" in readme
    assert not list((tmp_path / "plan").glob("stages/*.md"))  # a dormant repository gets no stages of work
    code, out, err = run("scan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--no-history",
                         "--until", "2026-01-05")
    assert code == 0, err
    assert "no commit in the last" not in out and "window: 2025-01-05 to 2026-01-05" in out


def test_a_busy_clone_not_fetched_for_months_is_read_as_of_its_newest_commit(monkeypatch: pytest.MonkeyPatch,
                                                                               tmp_path: Path) -> None:
    # A commit a day on main for 40 days (2024-01-01 .. 2024-02-09), and old-idea idle since day one: a busy
    # team. Scanned 60 days after the newest commit, the quiet is the clone's, not the team's: the window and
    # the clock end at that commit, old-idea is 39 days idle (not stale), and the plan is a busy team's plan.
    repo = tmp_path / "repo"
    scenarios.trunk_with_an_idle_branch(repo, days=40)
    freeze(monkeypatch, datetime(2024, 4, 9, 12, tzinfo=timezone.utc))
    note = ("the newest commit is 2024-02-09 (on main, 60 days ago), though the year before it never waited more "
            "than 1 day between integrations: this clone looks behind its remote; measuring the year before that "
            "commit, as of that day (git fetch to bring it up to date, or pass --until to choose)")
    code, out, err = run("scan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--no-history")
    assert code == 0, err
    assert f"  window: 2023-02-10 to 2024-02-10\n  {note}\n" in out
    assert "1 not yet in the trunk (1 active, 0 stale" in out
    code, out, err = run("scan", str(repo), "--no-cache", "--format", "json", "--merge-check-seconds", "0",
                         "--no-history")
    assert code == 0, err
    assert json.loads(out)["dormant"]["behind"] is True
    code, out, err = run("plan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--out", str(tmp_path / "plan"))
    assert code == 0, err
    assert note in out
    assert list((tmp_path / "plan").glob("stages/*.md"))  # a busy team's plan has stages
    assert "This repository is dormant" not in (tmp_path / "plan" / "README.md").read_text(encoding="utf-8")
    # Asked for today's window, the tool obeys: the branch is then months idle.
    code, out, err = run("scan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--no-history",
                         "--until", "2024-04-09")
    assert code == 0, err
    assert "looks behind its remote" not in out and "window: 2023-04-10 to 2024-04-09" in out


def test_a_repository_that_slowed_down_before_going_quiet_is_not_called_behind(monkeypatch: pytest.MonkeyPatch,
                                                                               tmp_path: Path) -> None:
    # 20 integrations a week apart, then 35 quiet days: within the history's own rhythm (4 x 7 days is 28,
    # but the clone must be quiet 30 days and 4 waits), so nothing moves.
    repo = tmp_path / "repo"
    b = RepoBuilder(repo)
    for week in range(20):
        b.commit(f"work {week}", at=24 * 7 * week)
    newest = datetime(2024, 1, 1, 9, tzinfo=timezone.utc) + timedelta(days=7 * 19)
    freeze(monkeypatch, newest + timedelta(days=27))
    code, out, err = run("scan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--no-history")
    assert code == 0, err
    assert "looks behind its remote" not in out and "no commit in the last" not in out


def test_scan_moves_a_thin_year_old_window_back_to_the_newest_commit(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    scenarios.github_flow(repo)  # its newest commit: the merge of 2024-01-12 16:00 UTC
    freeze(monkeypatch, datetime(2025, 1, 8, tzinfo=timezone.utc))
    code, out, err = run("scan", str(repo), "--no-cache", "--merge-check-seconds", "0", "--no-history")
    assert code == 0, err
    assert ("  window: 2023-01-13 to 2024-01-13\n  only 3 integrations in the last 365 days and no commit in the last "
            "90; the newest is 2024-01-12 (on main, 361 days ago): measuring the year before it; pass --until to "
            "choose\n") in out
    assert "Model: github-flow" in out and "(9 integrations)" in out


def test_backfill_of_a_dormant_repository_ends_at_its_newest_commit(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    scenarios.github_flow(repo)  # its newest commit: the merge of 2024-01-12 16:00 UTC
    freeze(monkeypatch, datetime(2026, 1, 5, tzinfo=timezone.utc))
    history = tmp_path / "history"
    code, out, err = run("backfill", str(repo), "--since", "2024-01-02", "--every", "week", "--no-cache",
                         "--quiet", "--history-dir", str(history))
    assert code == 0, err
    assert out.startswith("note: no commit in the last 365 days; the newest is 2024-01-12 (on main, 723 days ago): "
                          "measuring the year before it; pass --until to choose\n")
    # Two weeks up to the newest commit's next midnight, not 104 weeks of silence after it.
    assert "stored 2 snapshots" in out and "2024-01-06 to 2024-01-13 every week." in out
    code, out, err = run("progress", str(repo), "--history-dir", str(history), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["latest"]["model"] == "github-flow"
    code, out, err = run("backfill", str(repo), "--since", "2025-01-01", "--no-cache", "--quiet",
                         "--history-dir", str(tmp_path / "other"))
    assert code != 0 and "Traceback" not in err
    assert "--since 2025-01-01 is after the newest commit (2024-01-12)" in err
    code, out, err = run("backfill", str(repo), "--since", "2025-11-01", "--until", "2026-01-05", "--every", "month",
                         "--no-cache", "--quiet", "--history-dir", str(tmp_path / "given"))
    assert code == 0, err
    assert "note:" not in out and "stored 4 snapshots" in out  # a date the user gave is obeyed as given
