"""The scanned repository is never written to, and nothing it configures is ever run.

Trial merges are the risky step: libgit2 writes each merged file as a blob and
"freshens" (touches) any pack that already holds one. These tests build
repositories whose live branches merge cleanly (file-level and tree-level) and
with conflicts, then compare every byte, mode and mtime under the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, gitread, trialmerge
from tests.builders import git_cli
from tests.untouched import differences, state

runner = CliRunner()
LINES = "a\nb\nc\nd\ne\nf\n"


def _recent(days: float) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=days)


def _write(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text)


def build_live_branches(repo: Path) -> None:
    """main and four live branches: `topic` merges cleanly into one file main also edited, `clash`
    conflicts, `both` already holds the merged blob (packed), `late` adds a file (loose objects)."""
    git_cli(repo.parent, "init", "-q", "-b", "main", str(repo))
    _write(repo, "f.txt", LINES)
    _write(repo, "g.txt", "g\n")
    git_cli(repo, "add", ".")
    git_cli(repo, "commit", "-qm", "base", at=_recent(20))
    for name, text in (("topic", LINES.replace("a\n", "A\n")), ("clash", LINES.replace("f\n", "X\n")),
                       ("both", LINES.replace("a\n", "A\n").replace("f\n", "F\n"))):
        git_cli(repo, "checkout", "-q", "-b", name, "main")
        _write(repo, "f.txt", text)
        git_cli(repo, "commit", "-qam", f"{name} edits f", at=_recent(10))
    git_cli(repo, "checkout", "-q", "main")
    _write(repo, "f.txt", LINES.replace("f\n", "F\n"))
    git_cli(repo, "commit", "-qam", "main edits f", at=_recent(9))
    git_cli(repo, "gc", "-q")
    git_cli(repo, "checkout", "-q", "-b", "late", "main")
    _write(repo, "h.txt", "h\n")
    git_cli(repo, "add", "h.txt")
    git_cli(repo, "commit", "-qm", "late adds h", at=_recent(2))
    git_cli(repo, "checkout", "-q", "main")


@pytest.fixture
def live_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "live"
    build_live_branches(repo)
    return repo


def test_trial_merges_write_no_object_and_touch_no_pack(live_repo: Path) -> None:
    before = state(live_repo)
    tip = git_cli(live_repo, "rev-parse", "main").strip()
    branches = []
    for name in ("topic", "clash", "both", "late"):
        sha = git_cli(live_repo, "rev-parse", name).strip()
        branches.append((name, sha, git_cli(live_repo, "merge-base", "main", name).strip()))
    branches.append(("topic-no-base", branches[0][1], None))  # the merge-base walk path too
    checks = {c.branch: (c.clean, c.conflicts) for c in trialmerge.trial_merges(live_repo / ".git", tip, branches)}
    assert checks == {"topic": (True, ()), "clash": (False, ("f.txt",)), "both": (True, ()),
                      "late": (True, ()), "topic-no-base": (True, ())}
    assert differences(before, state(live_repo)) == []
    assert git_cli(live_repo, "fsck", "--unreachable", "--no-reflogs").strip() == ""


def test_a_default_scan_leaves_every_byte_and_mtime_as_it_was(live_repo: Path, tmp_path: Path) -> None:
    before = state(live_repo)
    count = git_cli(live_repo, "count-objects", "-v")
    # The default command: trial merges on, cache and snapshot in their default (isolated) folders.
    result = runner.invoke(cli.app, ["scan", str(live_repo)])
    assert result.exit_code == 0, result.stderr
    assert "clash" in result.stdout and "f.txt" in result.stdout  # the conflict was found by a real merge
    result = runner.invoke(cli.app, ["plan", str(live_repo), "--out", str(tmp_path / "plan")])
    assert result.exit_code == 0, result.stderr
    assert differences(before, state(live_repo)) == []
    assert git_cli(live_repo, "count-objects", "-v") == count


HOSTILE_CONFIG = """\
[core]
    fsmonitor = {run} fsmonitor
    pager = {run} pager
    editor = {run} editor
    askPass = {run} askpass
    sshCommand = {run} ssh
    hooksPath = {hooks}
    alternateRefsCommand = {run} alternate-refs
[diff]
    external = {run} diff-external
[diff "evil"]
    textconv = {run} textconv
    command = {run} diff-command
[merge "evil"]
    driver = {run} merge-driver %O %A %B
[filter "evil"]
    clean = {run} clean
    smudge = {run} smudge
    process = {run} process
[gpg]
    program = {run} gpg
[log]
    showSignature = true
[credential]
    helper = {run} credential
[sequence]
    editor = {run} sequence-editor
[uploadpack]
    packObjectsHook = {run} pack-objects
[pager]
    log = {run} pager-log
"""


def test_a_hostile_git_config_runs_nothing(live_repo: Path, tmp_path: Path) -> None:
    marks = tmp_path / "ran"
    marks.mkdir()
    script = tmp_path / "mark.sh"
    script.write_text(f'#!/bin/sh\ntouch "{marks}/$1"\ncat >/dev/null 2>&1\nexit 0\n')
    script.chmod(0o755)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("pre-commit", "post-checkout", "post-merge", "reference-transaction", "pre-auto-gc",
                 "post-index-change", "fsmonitor-watchman", "post-rewrite"):
        (hooks / hook).write_text(f'#!/bin/sh\ntouch "{marks}/hook-{hook}"\n')
        (hooks / hook).chmod(0o755)
        (live_repo / ".git" / "hooks").mkdir(exist_ok=True)
        (live_repo / ".git" / "hooks" / hook).write_text(f'#!/bin/sh\ntouch "{marks}/own-hook-{hook}"\n')
        (live_repo / ".git" / "hooks" / hook).chmod(0o755)
    config = live_repo / ".git" / "config"
    config.write_text(config.read_text() + HOSTILE_CONFIG.format(run=script, hooks=hooks))
    attributes = "* diff=evil merge=evil filter=evil\n"
    (live_repo / ".git" / "info").mkdir(exist_ok=True)
    (live_repo / ".git" / "info" / "attributes").write_text(attributes)
    (live_repo / ".gitattributes").write_text(attributes)
    before = state(live_repo)
    for args in (["scan", str(live_repo)], ["scan", str(live_repo), "--format", "json"],
                 ["plan", str(live_repo), "--out", str(tmp_path / "plan")], ["progress", str(live_repo)],
                 ["check", str(live_repo)]):
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 0, (args, result.stderr)
    # The installed command too, in a process of its own, with a terminal-like pager setting in reach.
    done = subprocess.run([sys.executable, "-c", "from advisor.cli import main; main()", "scan", str(live_repo)],
                          capture_output=True,
                          text=True, env={**os.environ, "PAGER": f"{script} env-pager"}, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in marks.iterdir()) == []
    assert differences(before, state(live_repo)) == []
