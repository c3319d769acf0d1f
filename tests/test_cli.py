"""`advisor scan` as a user runs it: output, exit codes, and every bad input."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, gitread, pipeline
from advisor.errors import ExitCode
from tests import scenarios
from tests.builders import ALICE, RepoBuilder, git_cli

runner = CliRunner()


def run(*args: str, cache: Path | None = None) -> tuple[int, str, str]:
    extra = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    result = runner.invoke(cli.app, [*args, *extra] if args and args[0] == "scan" else list(args))
    return result.exit_code, result.stdout, result.stderr


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` (git directory included) with its content hash and mode."""
    digest = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() or path.is_symlink():
            stat = path.lstat()
            data = path.read_bytes() if path.is_file() else os.readlink(path).encode()
            digest[str(path.relative_to(root))] = f"{hashlib.sha256(data).hexdigest()}:{stat.st_mode:o}"
        elif path.is_dir():
            digest[str(path.relative_to(root)) + "/"] = "dir"
    return digest


@pytest.fixture
def gitflow_repo(tmp_path: Path) -> Path:
    path = tmp_path / "gitflow"
    scenarios.gitflow(path)
    return path


def test_scan_prints_the_summary(gitflow_repo: Path) -> None:
    code, out, err = run("scan", str(gitflow_repo), "--since", "2023-01-01")
    assert code == ExitCode.OK, err
    assert "Trunk: master  (the repository's HEAD" in out
    assert "develop" in out
    assert "Releases (version tags): 4 in all" in out
    assert err == ""


def test_scan_json_has_schema_version_and_history(gitflow_repo: Path) -> None:
    code, out, _ = run("scan", str(gitflow_repo), "--format", "json", "--since", "2023-01-01")
    assert code == 0
    document = json.loads(out)
    assert document["schema_version"] == 1
    assert document["history"]["trunk"]["name"] == "master"
    assert len(document["history"]["releases"]) == 4
    assert all("commits" not in e and e["commit_count"] >= 0 for e in document["history"]["episodes"])


def test_scan_never_writes_to_the_repository(gitflow_repo: Path, tmp_path: Path) -> None:
    git_cli(gitflow_repo, "checkout", "-q", "master")  # a real worktree with an index
    before = tree_digest(gitflow_repo)
    for args in (("scan", str(gitflow_repo)), ("scan", str(gitflow_repo), "--format", "json")):
        code, _, err = run(*args, "--since", "2023-01-01", cache=tmp_path / "cache")
        assert code == 0, err
    assert tree_digest(gitflow_repo) == before


def test_scan_reads_bare_mirror_and_subfolders(gitflow_repo: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror.git"
    git_cli(tmp_path, "clone", "-q", "--mirror", str(gitflow_repo), str(mirror))
    code, out, err = run("scan", str(mirror), "--since", "2023-01-01")
    assert code == 0, err
    assert "Trunk: master" in out
    git_cli(gitflow_repo, "checkout", "-q", "master")
    code, out, _ = run("scan", str(gitflow_repo / "work"), "--since", "2023-01-01")
    assert code == 0
    assert "Trunk: master" in out


def test_scan_reads_a_mirror_copied_without_its_config_as_bare(gitflow_repo: Path, tmp_path: Path) -> None:
    # A mirror snapshot holding HEAD, packed-refs, refs and objects but no `config` (OpenRCT2's):
    # libgit2 alone takes it for a work tree's git directory, with its parent as the work tree.
    mirror = tmp_path / "snapshot" / "repo"
    git_cli(tmp_path, "clone", "-q", "--mirror", str(gitflow_repo), str(mirror))
    tip = git_cli(mirror, "rev-parse", "master").strip()
    git_cli(mirror, "update-ref", "refs/remotes/origin/leftover", tip + "~1")
    (mirror / "config").unlink()
    assert gitread.locate(mirror).work_tree is None
    before = tree_digest(mirror.parent)
    code, out, err = run("scan", str(mirror), "--since", "2023-01-01")
    assert code == 0, err
    assert "Trunk: master" in out
    # Read as a mirror: its leftover remote-tracking ref is no branch of the host to finish or delete.
    assert "Not named as branches (1): refs/remotes/origin/leftover (a remote-tracking ref kept in a bare" in out
    assert "leftover " not in out.split("Not named as branches")[0]
    assert tree_digest(mirror.parent) == before  # no config (nor anything else) written into it


def test_a_work_tree_git_directory_without_core_bare_keeps_its_work_tree(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git_cli(tmp_path, "init", "-q", str(clone))
    git_cli(clone, "commit", "-q", "--allow-empty", "-m", "first")
    git_cli(clone, "config", "--unset", "core.bare")
    assert gitread.locate(clone).work_tree == clone


def test_normal_clone_uses_the_remote_head(gitflow_repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git_cli(tmp_path, "clone", "-q", str(gitflow_repo), str(clone))
    git_cli(clone, "checkout", "-q", "-b", "local-only")
    code, out, err = run("scan", str(clone), "--since", "2023-01-01")
    assert code == 0, err
    assert "Trunk: master  (the remote's default branch" in out


def test_cache_gives_the_same_answer(gitflow_repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = run("scan", str(gitflow_repo), "--format", "json", "--since", "2023-01-01", "--until", "2026-01-01",
                cache=cache)
    second = run("scan", str(gitflow_repo), "--format", "json", "--since", "2023-01-01", "--until", "2026-01-01",
                 cache=cache)
    assert first[0] == second[0] == 0
    drop = ("scanned_at", "idle_days", "age_days")

    def stable(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if not any(k in line for k in drop))

    assert stable(first[1]) == stable(second[1])
    assert any((cache / "repos").rglob("history.v2.json"))


def test_cache_dir_inside_a_git_directory_is_refused(gitflow_repo: Path) -> None:
    code, out, err = run("scan", str(gitflow_repo), cache=gitflow_repo / ".git" / "advisor")
    assert code == ExitCode.USER_ERROR
    assert "inside a git directory" in err
    assert not (gitflow_repo / ".git" / "advisor").exists()


# -- bad input: one sentence, non-zero exit, no traceback -----------------------


def assert_one_sentence(code: int, err: str, expected: str) -> None:
    assert code == ExitCode.USER_ERROR
    assert expected in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_path(tmp_path: Path) -> None:
    code, _, err = run("scan", str(tmp_path / "nope"))
    assert_one_sentence(code, err, "does not exist")


def test_not_a_repository(tmp_path: Path) -> None:
    code, _, err = run("scan", str(tmp_path))
    assert_one_sentence(code, err, "is not inside a git repository")


def test_empty_repository(tmp_path: Path) -> None:
    git_cli(tmp_path, "init", "-q", "empty")
    code, _, err = run("scan", str(tmp_path / "empty"))
    assert_one_sentence(code, err, "has no commits yet")


def test_unborn_head_without_a_trunk(repo_path: Path) -> None:
    builder = RepoBuilder(repo_path, trunk="feature-x")
    builder.commit()
    git_cli(repo_path, "symbolic-ref", "HEAD", "refs/heads/nothing-here")
    code, _, err = run("scan", str(repo_path))
    assert_one_sentence(code, err, "No trunk could be found")
    code, out, err = run("scan", str(repo_path), "--trunk", "feature-x")
    assert code == 0, err
    assert "Trunk: feature-x  (chosen with --trunk" in out


def test_missing_trunk_option(gitflow_repo: Path) -> None:
    code, _, err = run("scan", str(gitflow_repo), "--trunk", "no-such-branch")
    assert_one_sentence(code, err, "There is no branch named 'no-such-branch'")


def test_shallow_clone_is_refused_unless_allowed(gitflow_repo: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git_cli(tmp_path, "clone", "-q", "--depth", "2", f"file://{gitflow_repo}", str(shallow))
    code, _, err = run("scan", str(shallow))
    assert_one_sentence(code, err, "is a shallow clone")
    assert "git fetch --unshallow" in err
    code, out, err = run("scan", str(shallow), "--allow-shallow", "--since", "2023-01-01")
    assert code == 0, err
    assert "shallow: older history missing" in out


def commit_object(repo: Path, rev: str) -> Path:
    sha = git_cli(repo, "rev-parse", rev).strip()
    return repo / ".git" / "objects" / sha[:2] / sha[2:]


def test_corrupt_object(gitflow_repo: Path) -> None:
    victim = commit_object(gitflow_repo, "master~1")
    victim.chmod(0o644)
    victim.write_bytes(b"not a zlib stream")
    code, _, err = run("scan", str(gitflow_repo))
    assert_one_sentence(code, err, "corrupt or missing object")


def test_missing_object(gitflow_repo: Path) -> None:
    commit_object(gitflow_repo, "master~1").unlink()
    code, _, err = run("scan", str(gitflow_repo))
    assert_one_sentence(code, err, "corrupt or missing object")


def test_permission_denied(gitflow_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root in CI, where chmod cannot deny a read; deny it at the os level instead.
    real_access = os.access

    def access(path: object, mode: int) -> bool:
        return False if Path(str(path)) == gitflow_repo else real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    code, _, err = run("scan", str(gitflow_repo))
    assert_one_sentence(code, err, "permission denied")


def test_bad_dates_and_patterns(gitflow_repo: Path) -> None:
    code, _, err = run("scan", str(gitflow_repo), "--since", "last tuesday")
    assert_one_sentence(code, err, "is not a date")
    code, _, err = run("scan", str(gitflow_repo), "--bot", "([")
    assert_one_sentence(code, err, "is not a valid regular expression")


def test_unknown_option_is_a_usage_error(gitflow_repo: Path) -> None:
    code, _, err = run("scan", str(gitflow_repo), "--frobnicate")
    assert code == ExitCode.USAGE


def test_a_bug_becomes_one_sentence_and_a_crash_log(gitflow_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "run_scan", explode)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    code, _, err = run("scan", str(gitflow_repo))
    assert code == ExitCode.CRASH
    assert "internal error (RuntimeError: boom)" in err
    logs = list((tmp_path / "xdg" / "advisor" / "crash").glob("*.log"))
    assert len(logs) == 1 and "RuntimeError: boom" in logs[0].read_text()


def test_interrupt_exits_130(gitflow_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_scan", interrupt)
    code, _, err = run("scan", str(gitflow_repo))
    assert code == ExitCode.INTERRUPTED


# -- untrusted names and odd dates ---------------------------------------------


def test_odd_names_are_escaped(repo_path: Path) -> None:
    builder = RepoBuilder(repo_path)
    builder.commit()
    odd = 'feat/<script>alert("x")</script>-émoji-🚀'
    builder.branch(odd)
    builder.commit(branch=odd, message="evil \x1b[31mred\x1b[0m subject")
    builder.merge(odd, message=f"Merge branch '{odd}\x1b[2J'")
    builder.branch("weird'quote")
    builder.commit(branch="weird'quote", message="wip")
    code, out, err = run("scan", str(repo_path), "--since", "2023-01-01")
    assert code == 0, err
    assert "\x1b" not in out
    assert "weird'quote" in out
    code, out, _ = run("scan", str(repo_path), "--format", "json", "--since", "2023-01-01")
    sources = {e["source"] for e in json.loads(out)["history"]["episodes"]}
    assert odd + "\x1b[2J" in sources or odd in sources


def test_odd_dates_are_flagged_not_fatal(repo_path: Path) -> None:
    builder = RepoBuilder(repo_path)
    builder.commit(at=datetime(1970, 1, 2, tzinfo=timezone.utc))
    builder.commit(at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    builder.branch("skewed")
    # authored in the future of its own merge: a broken clock on a laptop
    builder.commit(branch="skewed", at=datetime(2030, 1, 1, tzinfo=timezone.utc),
                   committed_at=datetime(2024, 1, 2, tzinfo=timezone.utc))
    builder.merge("skewed", at=datetime(2024, 1, 3, tzinfo=timezone.utc), delete=True)
    builder.commit(at=datetime(2099, 1, 1, tzinfo=timezone.utc))
    code, out, err = run("scan", str(repo_path), "--since", "2023-01-01", "--until", "2100-01-01")
    assert code == 0, err
    assert "commits dated before 1980" in out
    assert "commits dated in the future" in out
    assert "clock skew" in out
    code, out, _ = run("scan", str(repo_path), "--format", "json", "--since", "2023-01-01",
                       "--until", "2100-01-01")
    skewed = [e for e in json.loads(out)["history"]["episodes"] if e["clock_skew"]]
    assert len(skewed) == 1 and skewed[0]["lifetime_seconds"] is None


def test_installed_command_runs(gitflow_repo: Path) -> None:
    exe = shutil.which("advisor")
    if exe is None:
        pytest.skip("the advisor command is not installed in this environment")
    done = subprocess.run([exe, "scan", str(gitflow_repo), "--no-cache", "--since", "2023-01-01"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Trunk: master" in done.stdout
    assert ALICE[0]  # the builder's identities are what the scenario used


def test_a_partial_clone_is_scanned_without_fetching_anything(gitflow_repo: Path, tmp_path: Path) -> None:
    git_cli(gitflow_repo, "config", "uploadpack.allowFilter", "true")
    partial = tmp_path / "partial"
    git_cli(tmp_path, "clone", "-q", "--bare", "--filter=blob:none", f"file://{gitflow_repo}", str(partial))
    before = tree_digest(partial)
    code, out, err = run("scan", str(partial), "--since", "2023-01-01")
    assert code == 0, err
    assert "Trunk: master" in out
    assert tree_digest(partial) == before  # no blob was fetched into it


def test_a_missing_blob_costs_only_its_line_counts(gitflow_repo: Path) -> None:
    blob = git_cli(gitflow_repo, "rev-parse", "master:work/00003.txt").strip()
    (gitflow_repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # as in a snapshot without large files
    code, out, err = run("scan", str(gitflow_repo), "--format", "json", "--since", "2023-01-01")
    assert code == 0, err
    assert len(json.loads(out)["history"]["episodes"]) > 0


# ---------------------------------------------------------------------------
# The command line itself: version, module entry point, help, relative dates


def test_version_prints_the_version_without_a_command() -> None:
    from advisor import __version__
    code, out, _ = run("--version")
    assert code == 0 and out == f"advisor {__version__}\n"


def test_python_dash_m_advisor_runs_the_command_line() -> None:
    import sys
    done = subprocess.run([sys.executable, "-m", "advisor", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("advisor ")


@pytest.mark.parametrize("command", ["", "scan", "plan", "progress", "check", "backfill"])
def test_help_fits_80_columns_and_shows_an_example(command: str) -> None:
    result = CliRunner().invoke(cli.app, [*command.split(), "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0
    wide = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert wide == []
    assert "Examples:" in result.stdout and f"advisor {command}".strip() in result.stdout
    if not command:
        assert "Exit codes: 0 done; 1 bad input" in result.stdout and "--install-completion" in result.stdout


def test_scan_takes_relative_dates_and_quarters(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    code, out, err = run("scan", str(repo_path), "--since", "2023-Q1", "--until", "2023-Q4", "--format", "json",
                         "--no-history")
    assert code == 0, err
    window = json.loads(out)["window"]
    assert window["since"].startswith("2023-01-01") and window["until"].startswith("2024-01-01")
    code, out, err = run("scan", str(repo_path), "--since", "90 days ago", "--format", "json", "--no-history")
    assert code == 0, err
    since = datetime.fromisoformat(json.loads(out)["window"]["since"])
    assert abs((datetime.now(timezone.utc) - since).days - 90) <= 1
    code, _, err = run("scan", str(repo_path), "--since", "last tuesday")
    assert code == ExitCode.USER_ERROR and "--since 'last tuesday' is not a date; use YYYY-MM-DD" in err


def test_scan_of_a_plain_clone_says_squash_lifetimes_are_unknown_and_how_to_get_them(tmp_path: Path) -> None:
    scenarios.trunk_squash(tmp_path / "clone")
    code, out, err = run("scan", str(tmp_path / "clone"), "--since", "2023-01-01", "--until", "2024-06-01")
    assert code == ExitCode.OK, err
    assert "10 squash merges have no lifetime: their pull-request refs are not in this repository" in out
    assert "git fetch origin '+refs/pull/*/head:refs/pull/*/head'" in out
    assert "refs/merge-requests/*/head" in out
    assert "branch lifetime p50 / p90              - / -" in out
    assert "[ ] branches merged within a day: unknown (10 squash merges without their pull-request refs)" in out
    code, out, _ = run("scan", str(tmp_path / "clone"), "--format", "json", "--since", "2023-01-01",
                       "--until", "2024-06-01")
    document = json.loads(out)
    assert document["metrics"]["integration"]["lifetime_unknown"] == 10
    assert document["metrics"]["lead_time"]["unknown_start"] == 10
    assert document["summary"]["lifetime_unknown"] == 10
    assert "git fetch origin '+refs/pull/*/head:refs/pull/*/head'" in document["summary"]["lifetime_notes"][0]
    squashes = [e for e in document["history"]["episodes"] if e["method"] == "squash"]
    assert len(squashes) == 10 and all(e["lifetime_seconds"] is None and e["lifetime_unknown"] for e in squashes)


def test_scan_with_pull_request_refs_says_squashes_are_dated_from_them(tmp_path: Path) -> None:
    scenarios.trunk_squash_pull_refs(tmp_path / "mirror")
    code, out, err = run("scan", str(tmp_path / "mirror"), "--since", "2023-01-01", "--until", "2024-06-01")
    assert code == ExitCode.OK, err
    assert "10 squash merges into the trunk are dated from their pull-request refs (10 in this repository)" in out
    assert "have no lifetime" not in out
    assert "branch lifetime p50 / p90              3.0 h / 3.0 h" in out


def test_scan_counts_late_hotfixes_as_failures(tmp_path: Path) -> None:
    scenarios.gitflow_late_hotfixes(tmp_path / "repo")
    code, out, err = run("scan", str(tmp_path / "repo"), "--since", "2023-06-01", "--until", "2024-06-01",
                         "--merge-check-seconds", "0", "--no-history")
    assert code == ExitCode.OK, err
    row = next(line for line in out.splitlines() if "change failure (proxy)" in line)
    assert "40% (0 quick patches, 2 hotfixes, 0 reverts)" in row and row.rstrip().endswith("low")
    row = next(line for line in out.splitlines() if "time to restore (proxy) p50" in line)
    assert "10.2 d" in row


def test_scan_reports_work_branches_apart_from_release_branches(tmp_path: Path) -> None:
    scenarios.gitflow_late_hotfixes(tmp_path / "repo")
    code, out, err = run("scan", str(tmp_path / "repo"), "--since", "2023-06-01", "--until", "2024-06-01",
                         "--merge-check-seconds", "0", "--no-history")
    assert code == ExitCode.OK, err
    assert "8 work branches merged into develop, 8 of them from branches that no longer exist; " \
           "6 release / hotfix branches" in out
    lifetime = next(line for line in out.splitlines() if "work into develop: lifetime" in line)
    assert lifetime.split()[-7:] == ["8", "10.0", "h", "10.0", "h", "10.0", "h"]
    releases = next(line for line in out.splitlines() if "release / hotfix: lifetime" in line)
    assert releases.split()[-7:] == ["6", "2.0", "d", "2.0", "d", "2.0", "d"]
    flow = next(line for line in out.splitlines() if "branch lifetime p50 / p90" in line)
    assert "10.0 h / 10.0 h (work; release / hotfix: 2.0 d, 6)" in flow


def test_scan_counts_pull_requests_landed_as_commits(tmp_path: Path) -> None:
    """Direct commits ending "Closes #N" or carrying "PR-URL:" are pull-request changes landed as
    commits: the evidence line, the JSON metric and its reproduce commands say 7 of them."""
    repo = tmp_path / "repo"
    scenarios.prs_landed_as_commits(repo)
    window = ("--since", "2023-06-01", "--until", "2024-06-01", "--merge-check-seconds", "0", "--no-history")
    code, out, err = run("scan", str(repo), *window)
    assert code == ExitCode.OK, err
    assert ("80% of changes (12 of 15) came through a pull or merge request (5 merged as branches, 7 landed as commits "
            "citing the PR); 20% of branches were squashed or rebased") in out
    code, out, err = run("scan", str(repo), *window, "--format", "json")
    assert code == ExitCode.OK, err
    report = json.loads(out)
    assert report["metrics"]["integration"]["landed_as_commits"] == 7
    assert report["metrics"]["integration"]["integrations"] == 15
    line = next(e for e in report["verdict"]["evidence"] if e["id"] == "pull-requests")
    proof = next(p for p in line["reproduce"] if p["what"] == "pull requests landed as commits")
    outputs = [subprocess.run(["bash", "-c", term["command"]], cwd=repo, capture_output=True, text=True,
                              check=True).stdout for term in proof["terms"]]
    assert sum(term["sign"] * int(output.split()[0]) for term, output in zip(proof["terms"], outputs)) == 7
    assert [term["sign"] for term in proof["terms"]] == [1, -1]  # git's 9 less the squash and the bot's


def test_the_methods_table_says_how_many_of_its_integrations_were_bots(tmp_path: Path) -> None:
    """The model's evidence counts people's integrations, the methods table all of them: the table
    says how many were bots', so the two counts do not read as a contradiction."""
    b = RepoBuilder(tmp_path / "repo")
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=20)
    b.commit(at=start)
    bot = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
    for number, who in enumerate([ALICE, ALICE, ALICE, bot]):
        b.branch(f"topic/{number}")
        b.commit(branch=f"topic/{number}", author=who, at=start + timedelta(days=2 * number + 1))
        b.merge(f"topic/{number}", message=f"Merge pull request #{number + 1} from o/topic/{number}",
                at=start + timedelta(days=2 * number + 1, hours=2), delete=True)
    code, out, _ = run("scan", str(tmp_path / "repo"))
    assert code == 0
    assert "in the window (5 integrations, 1 of them by bots)" in out
