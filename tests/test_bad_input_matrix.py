"""Bad input and faults, one row each: the exit code, one sentence on stderr (never a traceback),
and the repository byte-identical afterwards (every file's bytes, mode and mtime).

Repositories are real, built with git, once per module, and shared by the rows that only
read them; a row that damages one damages its own copy. The rows that need a process of
their own (privileges dropped, SIGINT, kill -9, concurrent scans, a real full disk) are
the tests after the table.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, store
from tests.test_interrupts import ENTRY, interrupt_while_importing, slow_git
from tests.test_read_only import HOSTILE_CONFIG, build_live_branches
from tests.untouched import differences, state

runner = CliRunner()
NOW = datetime.now(timezone.utc).replace(microsecond=0)
SAFE = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def git(cwd: Path, *args: str, days_ago: float = 5, env: dict[str, str] | None = None) -> str:
    stamp = (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    full = {"PATH": os.environ["PATH"], "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.com", "GIT_COMMITTER_NAME": "Alice",
            "GIT_COMMITTER_EMAIL": "alice@example.com", "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
            **(env or {})}
    done = subprocess.run(["git", *args], cwd=cwd, env=full, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {args}: {done.stderr}"
    return done.stdout.strip()


def commit(repo: Path, name: str, text: str, message: str | None = None, days_ago: float = 5) -> str:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-qm", message or f"edit {name}", days_ago=days_ago)
    return git(repo, "rev-parse", "HEAD")


def raw_commit(repo: Path, parents: list[str], stamp: str, message: str, tree: str | None = None) -> str:
    """A commit object written byte for byte (git's own commands refuse to write such dates)."""
    tree = tree or git(repo, "rev-parse", "HEAD^{tree}")
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents), f"author A <a@example.com> {stamp}",
             f"committer A <a@example.com> {stamp}", "", message, ""]
    path = repo / ".git" / "raw-commit.txt"
    path.write_text("\n".join(lines))
    sha = git(repo, "hash-object", "-w", "-t", "commit", "--literally", str(path))
    path.unlink()
    return sha


class Lab:
    """The module's repositories, each built on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: dict[str, Path] = {}

    def __getattr__(self, name: str) -> Path:
        if name.startswith("_") or name in ("root", "built"):
            raise AttributeError(name)
        if name not in self.built:
            path = self.root / name
            getattr(self, f"_build_{name}")(path)
            self.built[name] = path
        return self.built[name]

    def copy(self, name: str, where: Path) -> Path:
        target = where / name
        shutil.copytree(getattr(self, name), target, symlinks=True)
        return target

    @staticmethod
    def _build_good(path: Path) -> None:
        git(path.parent, "init", "-q", "-b", "main", str(path))
        for n in range(4):
            commit(path, f"f{n}.txt", f"{n}\n", days_ago=20 - n)
        git(path, "checkout", "-q", "-b", "topic")
        commit(path, "t.txt", "t\n", days_ago=3)
        git(path, "checkout", "-q", "main")
        git(path, "tag", "v1.0")

    @staticmethod
    def _build_huge_numbers(path: Path) -> None:
        """Request numbers past 2**31 in subjects and pull refs, and pull refs whose number has more digits
        than any host hands out (30, and 5,000: more than int() reads)."""
        git(path.parent, "init", "-q", "-b", "main", str(path))
        commit(path, "a.txt", "a\n", "Start", days_ago=20)
        commit(path, "b.txt", "b\n", "Add b (#999999999999)", days_ago=10)
        tip = git(path, "rev-parse", "HEAD").strip()
        git(path, "update-ref", "refs/pull/999999999999/head", tip)
        git(path, "update-ref", "refs/pull/" + "9" * 30 + "/head", tip)
        git(path, "pack-refs", "--all")
        with (path / ".git" / "packed-refs").open("a") as refs:  # too long a name for a loose ref's file
            refs.write(f"{tip} refs/pull/{'8' * 5000}/head\n")

    @staticmethod
    def _build_huge_version(path: Path) -> None:
        """A version tag with a 5,000-digit number: more digits than int() reads."""
        git(path.parent, "init", "-q", "-b", "main", str(path))
        commit(path, "a.txt", "a\n", "Start", days_ago=20)
        commit(path, "b.txt", "b\n", "More", days_ago=10)
        tip = git(path, "rev-parse", "HEAD").strip()
        git(path, "pack-refs", "--all")
        with (path / ".git" / "packed-refs").open("a") as refs:
            refs.write(f"{tip} refs/tags/v{'9' * 5000}.0.0\n")

    def _build_mailmap_symlink(self, path: Path) -> None:
        """A .mailmap committed as a symlink to /proc/self/mem: a clone checks it out as one; git does not follow it."""
        origin = self.root / "mailmap-origin"
        git(self.root, "init", "-q", "-b", "main", str(origin))
        (origin / ".mailmap").symlink_to("/proc/self/mem")
        git(origin, "add", ".mailmap")
        commit(origin, "a.txt", "a\n", "Start", days_ago=20)
        git(self.root, "clone", "-q", str(origin), str(path))

    def _build_mailmap_fifo(self, path: Path) -> None:
        git(self.root, "clone", "-q", str(self.good), str(path))
        os.mkfifo(path / ".mailmap")

    def _build_mailmap_device(self, path: Path) -> None:
        git(self.root, "clone", "-q", str(self.good), str(path))
        git(path, "config", "mailmap.file", "/dev/zero")

    def _build_config_not_utf8(self, path: Path) -> None:
        """A remote whose name is not UTF-8 in .git/config: git reads it; pygit2 cannot list it as text."""
        git(self.root, "clone", "-q", str(self.good), str(path))
        with (path / ".git" / "config").open("ab") as config:
            config.write(b'[remote "r\xe9"]\n\turl = https://example.com/x.git\n\tpromisor = false\n')

    def _build_graft_cycle(self, path: Path) -> None:
        """info/grafts makes the root commit a child of the tip: a cycle no commit object can make."""
        git(self.root, "clone", "-q", str(self.good), str(path))
        root = git(path, "rev-list", "--max-parents=0", "main").strip()
        tip = git(path, "rev-parse", "main").strip()
        (path / ".git" / "info").mkdir(exist_ok=True)
        (path / ".git" / "info" / "grafts").write_text(f"{root} {tip}\n")

    def _build_utf16_log(self, path: Path) -> None:
        """The repository asks git log to write UTF-16."""
        git(self.root, "clone", "-q", str(self.good), str(path))
        git(path, "config", "i18n.logOutputEncoding", "UTF-16")

    def _build_ci_huge_hex(self, path: Path) -> None:
        """A workflow whose conditions hold a hexadecimal number past a double's range."""
        git(self.root, "clone", "-q", str(self.good), str(path))
        workflow = path / ".github" / "workflows"
        workflow.mkdir(parents=True)
        big = "0x" + "f" * 400
        (workflow / "ci.yml").write_text(
            "on: [pull_request]\njobs:\n"
            f"  test:\n    if: ${{{{ {big} > 1 }}}}\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
            f"  lint:\n    if: ${{{{ '{big}' == 1 }}}}\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n")
        git(path, "add", ".github")
        git(path, "commit", "-q", "-m", "Add CI")

    def _build_live(self, path: Path) -> None:
        build_live_branches(path)

    def _build_bare(self, path: Path) -> None:
        git(self.root, "clone", "-q", "--bare", str(self.good), str(path))

    def _build_mirror(self, path: Path) -> None:
        git(self.root, "clone", "-q", "--mirror", str(self.good), str(path))

    def _build_shallow(self, path: Path) -> None:
        git(self.root, "clone", "-q", "--depth", "2", f"file://{self.good}", str(path))

    def _build_clone(self, path: Path) -> None:
        git(self.root, "clone", "-q", str(self.good), str(path))

    def _build_worktree(self, path: Path) -> None:
        main = self.root / "with-worktree"
        git(self.root, "clone", "-q", str(self.good), str(main))
        git(main, "worktree", "add", "-q", str(path), "origin/topic")

    def _build_super(self, path: Path) -> None:
        git(path.parent, "init", "-q", "-b", "main", str(path))
        git(path, "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(self.good), "sub")
        git(path, "commit", "-qm", "add sub")

    @staticmethod
    def _build_empty(path: Path) -> None:
        git(path.parent, "init", "-q", "-b", "main", str(path))

    def _build_unborn(self, path: Path) -> None:
        """HEAD names a branch with no commits; the only branch is `work`; no remote."""
        git(path.parent, "init", "-q", "-b", "main", str(path))
        git(path, "fetch", "-q", str(self.good), "main:refs/heads/work")
        git(path, "symbolic-ref", "HEAD", "refs/heads/none")

    def _build_unborn_origin(self, path: Path) -> None:
        """HEAD unborn, but origin/HEAD says which branch is the trunk."""
        git(self.root, "clone", "-q", str(self.good), str(path))
        git(path, "symbolic-ref", "HEAD", "refs/heads/none")

    def _build_tags_only(self, path: Path) -> None:
        git(path.parent, "init", "-q", "-b", "main", str(path))
        git(path, "fetch", "-q", str(self.good), "main:refs/tags/v1", "topic:refs/tags/v2")
        git(path, "symbolic-ref", "HEAD", "refs/heads/none")

    def _build_detached(self, path: Path) -> None:
        git(self.root, "clone", "-q", str(self.good), str(path))
        git(path, "checkout", "-q", "--detach", "HEAD~1")

    def _build_bad_refs(self, path: Path) -> None:
        git(self.root, "clone", "-q", str(self.good), str(path))
        head = git(path, "rev-parse", "HEAD")
        (path / ".git" / "refs" / "heads" / "bad..name").write_text(head + "\n")

    @staticmethod
    def _build_hostile(path: Path) -> None:
        git(path.parent, "init", "-q", "-b", "main", str(path))
        commit(path, "a.txt", "a\n", days_ago=30)
        names = ["quote'\"`$(touch_x)", "x/<script>alert(1)</script>", "csi\u009b31m", "rtl\u202eexe.txt",
                 "iso\u2066x\u2069"]
        for n, name in enumerate(names):
            git(path, "checkout", "-q", "-b", name, "main")
            commit(path, f"{n}.txt", "x\n", message=f"subject \x1b[31mred\x1b[0m \x1b]8;;https://e.example\x07link"
                                                     f"\x1b]8;;\x07 \u009b2J {name}\nbody\n", days_ago=10 - n)
            git(path, "checkout", "-q", "main")
            git(path, "merge", "-q", "--no-ff", "-m", f"Merge branch '{name}'\n\nline two\u202e", name,
                days_ago=9 - n)
        git(path, "checkout", "-q", "-b", "open\u202e", "main")
        commit(path, "o.txt", "o\n", message="newline\nin subject?\r\x07", days_ago=1)
        git(path, "checkout", "-q", "main")

    def _build_dates(self, path: Path) -> None:
        """Commits dated 1970, 2099, past year 9999, in odd zones, and with dates git prints empty."""
        git(self.root, "clone", "-q", str(self.good), str(path))
        tip = git(path, "rev-parse", "HEAD")
        for stamp in ("0 +0000", "4070908800 +0000", "253402300800 +0000", "999999999999 +1400", "1700000000 -1200",
                      "1700000000 +0545", "1700000000 +9999", "1700000000", "-1000 +0000", "garbage",
                      "18446744073709551617 +0000", ""):
            tip = raw_commit(path, [tip], stamp, f"dated {stamp!r}")
        git(path, "update-ref", "refs/heads/main", tip)
        git(path, "reset", "-q", "--hard", "main")

    def _build_octopus(self, path: Path) -> None:
        git(self.root, "clone", "-q", str(self.good), str(path))
        heads = []
        for n in range(10):
            git(path, "checkout", "-q", "-b", f"o{n}", "main")
            commit(path, f"o{n}.txt", f"{n}\n", days_ago=4)
            heads.append(f"o{n}")
        git(path, "checkout", "-q", "main")
        git(path, "merge", "-q", "-m", "octopus of ten", *heads, days_ago=3)
        assert len(git(path, "log", "-1", "--format=%P").split()) >= 10

    def _build_empty_merges(self, path: Path) -> None:
        git(self.root, "clone", "-q", str(self.good), str(path))
        git(path, "checkout", "-q", "-b", "nothing", "main")
        git(path, "commit", "-q", "--allow-empty", "-m", "empty", days_ago=4)
        git(path, "checkout", "-q", "main")
        git(path, "merge", "-q", "--no-ff", "-m", "Merge branch 'nothing'", "nothing", days_ago=3)
        git(path, "merge", "-q", "--no-ff", "-s", "ours", "-m", "Merge of nothing new", "origin/topic", days_ago=2)

    def _build_replaced(self, path: Path) -> None:
        """A replace ref and a graft: git log would show a different history unless told not to."""
        git(self.root, "clone", "-q", str(self.good), str(path))
        first, second = git(path, "rev-list", "--max-count=2", "main").split()
        git(path, "replace", first, second)
        (path / ".git" / "info").mkdir(exist_ok=True)
        (path / ".git" / "info" / "grafts").write_text(f"{second}\n")

    def _build_hostile_config(self, path: Path) -> None:
        build_live_branches(path)
        script = self.root / "mark.sh"
        marks = self.root / "ran"
        marks.mkdir(exist_ok=True)
        script.write_text(f'#!/bin/sh\ntouch "{marks}/$1"\nexit 0\n')
        script.chmod(0o755)
        config = path / ".git" / "config"
        config.write_text(config.read_text() + HOSTILE_CONFIG.format(run=script, hooks=self.root / "hooks"))
        (path / ".gitattributes").write_text("* diff=evil merge=evil filter=evil\n")

    def config_repo(self, where: Path, files: dict[str, str | bytes]) -> Path:
        repo = self.copy("clone", where)
        for name, content in files.items():
            if isinstance(content, bytes):
                (repo / name).write_bytes(content)
            else:
                (repo / name).write_text(content)
        return repo


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return Lab(tmp_path_factory.mktemp("lab"))


Setup = Callable[[Lab, Path], tuple[list[str], Path | None]]


@dataclass(frozen=True)
class Row:
    id: str
    setup: Setup  # (lab, a fresh folder) -> (the command's arguments, the repository that must stay as it was)
    code: int
    says: str = ""  # a part of the one sentence on stderr (or of stdout when the exit is 0)


def _on(name: str, *extra: str, command: str = "scan") -> Setup:
    def setup(lab: Lab, tmp: Path) -> tuple[list[str], Path | None]:
        repo = getattr(lab, name)
        return [command, str(repo), *extra], repo
    return setup


def _config(files: dict[str, str | bytes], command: str = "scan") -> Setup:
    def setup(lab: Lab, tmp: Path) -> tuple[list[str], Path | None]:
        repo = lab.config_repo(tmp, files)
        return [command, str(repo)], repo
    return setup


def _damaged(damage: Callable[[Path], None]) -> Setup:
    def setup(lab: Lab, tmp: Path) -> tuple[list[str], Path | None]:
        repo = lab.copy("clone", tmp)
        git(repo, "repack", "-qad")
        damage(repo)
        return ["scan", str(repo)], repo
    return setup


def _corrupt_loose(repo: Path) -> None:
    commit(repo, "new.txt", "new\n")  # a loose commit on top of the pack
    sha = git(repo, "rev-parse", "HEAD")
    victim = repo / ".git" / "objects" / sha[:2] / sha[2:]
    victim.chmod(0o644)
    victim.write_bytes(b"not a zlib stream")


def _delete_pack(repo: Path) -> None:
    for pack in (repo / ".git" / "objects" / "pack").glob("*.pack"):
        pack.unlink()


def _path(make: Callable[[Path], Path], *extra: str) -> Setup:
    def setup(lab: Lab, tmp: Path) -> tuple[list[str], Path | None]:
        return ["scan", str(make(tmp)), *extra], None
    return setup


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "fifo")
    return tmp / "fifo"


def _file(tmp: Path) -> Path:
    (tmp / "file.txt").write_text("not a repository")
    return tmp / "file.txt"


def _out(name: str, command: str, where: Callable[[Path, Path], Path], *extra: str) -> Setup:
    """`command` on lab repository `name` with --out (or an option in `extra`) at `where(repo, tmp)`."""
    def setup(lab: Lab, tmp: Path) -> tuple[list[str], Path | None]:
        repo = lab.copy(name, tmp) if ".git" in where.__name__ else getattr(lab, name)
        target = where(repo, tmp)
        option = list(extra) or ["--out"]
        return [command, str(repo), *option, str(target), *(["--no-cache"] if command == "plan" else [])], repo
    return setup


def _in_git(repo: Path, tmp: Path) -> Path:
    return repo / ".git" / "advisor-out"


def _in_git_file(repo: Path, tmp: Path) -> Path:
    return repo / ".git" / "report.md"


def _existing_file(repo: Path, tmp: Path) -> Path:
    (tmp / "taken").write_text("mine")
    return tmp / "taken"


def _existing_folder(repo: Path, tmp: Path) -> Path:
    (tmp / "folder").mkdir()
    return tmp / "folder"


def _history(make: Callable[[Path], Path], *extra: str) -> Setup:
    def setup(lab: Lab, tmp: Path) -> tuple[list[str], Path | None]:
        return ["check", str(lab.good), "--history-dir", str(make(tmp)), *extra], lab.good
    return setup


def _empty_folder(tmp: Path) -> Path:
    (tmp / "h").mkdir()
    return tmp / "h"


NESTED = "x = " + "[" * 500 + "]" * 500 + "\n"
ADVISOR_TABLE = "[tool.advisor]\ntrunk = 'main'\n"
FUTURE = (NOW + timedelta(days=30)).strftime("%Y-%m-%d")

ROWS = [
    # -- what the path is
    Row("missing-path", _path(lambda t: t / "nowhere"), 1, "does not exist"),
    Row("a-file", _path(_file), 1, "is a file, not a repository"),
    Row("a-fifo", _path(_fifo), 1, "is a file, not a repository"),
    Row("not-a-repository", _path(lambda t: t), 1, "is not inside a git repository"),
    Row("empty-repository", _on("empty"), 1, "has no commits"),
    Row("unborn-head-no-origin", _on("unborn"), 1, "No trunk could be found"),
    Row("unborn-head-named-trunk", _on("unborn", "--trunk", "work"), 0, "Trunk: work"),
    Row("unborn-head-with-origin-head", _on("unborn_origin"), 0, "Trunk: main"),
    Row("shallow", _on("shallow"), 1, "is a shallow clone"),
    Row("shallow-allowed", _on("shallow", "--allow-shallow"), 0, "Trunk: main"),
    Row("bare", _on("bare"), 0, "Trunk: main"),
    Row("mirror", _on("mirror"), 0, "Trunk: main"),
    Row("worktree", _on("worktree"), 0, "Trunk: main"),
    Row("inside-a-worktree", lambda lab, tmp: (["scan", str(lab.worktree / ".")], lab.worktree), 0, "Trunk: main"),
    Row("submodule", lambda lab, tmp: (["scan", str(lab.super / "sub")], lab.super), 0, "Trunk: main"),
    Row("superproject", _on("super"), 0, "Trunk: main"),
    Row("corrupt-loose-object", _damaged(_corrupt_loose), 1, "corrupt or missing object"),
    Row("deleted-pack", _damaged(_delete_pack), 1, "corrupt or missing object"),
    Row("detached-head", _on("detached"), 0, "Trunk: main"),
    Row("tags-only", _on("tags_only"), 1, "No trunk could be found"),
    Row("ref-git-rejects", _on("bad_refs"), 1, "git cannot read the ref refs/heads/bad..name"),
    # -- untrusted names and text
    Row("hostile-names-text", _on("hostile"), 0, "\\u202e"),
    Row("hostile-names-json", _on("hostile", "--format", "json"), 0, "\\u202e"),
    Row("hostile-names-plan", lambda lab, tmp: (["plan", str(lab.hostile), "--out", str(tmp / "p")], lab.hostile),
        0, "Plan"),
    Row("hostile-trunk-option", _on("hostile", "--trunk", "\x1b]8;;https://e.example\x07\u009b2J\u202e"), 1,
        "\\x1b]8;;https://e.example\\x07\\x9b2J\\u202e"),
    Row("hostile-path", _path(lambda t: t / "\x1b[2J\u202e\nnext line"), 1, "\\x1b[2J\\u202e\\nnext line"),
    # -- dates
    Row("dates-1970-2099-past-9999-odd-zones-unreadable", _on("dates"), 0, "Trunk: main"),
    Row("dates-json", _on("dates", "--format", "json"), 0, '"schema_version"'),
    Row("until-9999-12-31", _on("good", "--until", "9999-12-31"), 1, "out of range"),
    Row("since-before-1970", _on("good", "--since", "1969-12-31"), 1, "out of range"),
    # -- odd shapes
    Row("request-numbers-past-2-31-cached", lambda lab, tmp: (["scan", str(lab.huge_numbers), "--cache-dir",
                                                              str(tmp / "cache")], lab.huge_numbers), 0, "Trunk: main"),
    Row("request-numbers-past-2-31-json", _on("huge_numbers", "--format", "json"), 0, '"schema_version"'),
    Row("version-tag-of-5000-digits", _on("huge_version"), 0, "Trunk: main"),
    Row("mailmap-symlink-to-proc-mem", lambda lab, tmp: (["scan", str(lab.mailmap_symlink), "--cache-dir",
                                                          str(tmp / "cache")], lab.mailmap_symlink), 0, "Trunk: main"),
    Row("mailmap-a-fifo", _on("mailmap_fifo"), 1, "the work tree's .mailmap is a FIFO, not a file"),
    Row("mailmap-file-dev-zero", _on("mailmap_device"), 1, "mailmap.file (/dev/zero) is a device, not a file"),
    Row("mailmap-file-dev-zero-cached", lambda lab, tmp: (["scan", str(lab.mailmap_device), "--cache-dir",
                                                           str(tmp / "cache")], lab.mailmap_device), 1,
        "mailmap.file (/dev/zero) is a device, not a file"),
    Row("mailmap-a-fifo-cached", lambda lab, tmp: (["scan", str(lab.mailmap_fifo), "--cache-dir", str(tmp / "cache")],
                                                   lab.mailmap_fifo), 1, "the work tree's .mailmap is a FIFO"),
    Row("git-config-not-utf8", _on("config_not_utf8"), 0, "Trunk: main"),
    Row("git-config-not-utf8-plan", lambda lab, tmp: (["plan", str(lab.config_not_utf8), "--out", str(tmp / "p")],
                                                      lab.config_not_utf8), 0, "Plan"),
    Row("grafts-closing-a-cycle", _on("graft_cycle"), 0, "Trunk: main"),
    Row("ci-hex-number-past-a-double", lambda lab, tmp: (["plan", str(lab.ci_huge_hex), "--out", str(tmp / "p")],
                                                         lab.ci_huge_hex), 0, "Plan"),
    Row("git-config-log-output-utf16", _on("utf16_log"), 0, "Trunk: main"),
    Row("octopus-of-ten-parents", _on("octopus"), 0, "Trunk: main"),
    Row("empty-merges", _on("empty_merges"), 0, "Trunk: main"),
    Row("replace-refs-and-grafts", _on("replaced"), 0, "Trunk: main"),
    Row("hostile-git-config", _on("hostile_config"), 0, "clash"),
    Row("hostile-git-config-plan", lambda lab, tmp: (["plan", str(lab.hostile_config), "--out", str(tmp / "p")],
                                                     lab.hostile_config), 0, "Plan"),
    # -- the repository's settings
    Row("config-invalid-toml", _config({".advisor.toml": "trunk = \n"}), 1, ".advisor.toml is not valid TOML"),
    Row("config-unknown-key", _config({".advisor.toml": "trunc = 'main'\n"}), 1, "Unknown key 'trunc'"),
    Row("config-wrong-type", _config({".advisor.toml": "trunk = 3\n"}), 1, "must be a non-empty string"),
    Row("config-both-files", _config({".advisor.toml": "trunk = 'main'\n", "pyproject.toml": ADVISOR_TABLE}), 1,
        "keep one of them"),
    Row("config-nan-threshold", _config({".advisor.toml": "max_stale_branches = nan\n"}), 1,
        "must be a number of zero or more"),
    Row("config-share-above-one", _config({".advisor.toml": "min_merged_within_a_day = 2\n"}), 1,
        "share between 0 and 1"),
    Row("config-bad-regex", _config({".advisor.toml": "bot_patterns = ['(']\n"}), 1, "not a valid regular expression"),
    Row("config-not-utf8", _config({".advisor.toml": b"trunk = '\xff'\n"}), 1, "is not UTF-8"),
    Row("config-advisor-table-not-a-table", _config({"pyproject.toml": "[tool]\nadvisor = 3\n"}), 1,
        "must be a table"),
    Row("config-check-reads-it-too", _config({".advisor.toml": "trunc = 1\n"}, command="check"), 1, "Unknown key"),
    Row("config-a-5000-digit-number", _config({".advisor.toml": "trunk = 'main'\nx = " + "9" * 5000 + "\n"}), 1,
        ".advisor.toml is not valid TOML (a number with more digits than can be read); fix it."),
    Row("pyproject-nested-500-deep", _config({"pyproject.toml": NESTED}), 0, "Trunk: main"),
    Row("pyproject-invalid-without-advisor", _config({"pyproject.toml": "[project\nname = 'x'\n"}), 0, "Trunk: main"),
    Row("pyproject-invalid-with-advisor", _config({"pyproject.toml": "[tool.advisor\ntrunk = 'main'\n"}), 1,
        "pyproject.toml is not valid TOML"),
    Row("pyproject-nested-with-advisor", _config({"pyproject.toml": "[tool.advisor]\n" + NESTED}), 1,
        "nested too deeply"),
    # -- options
    Row("since-not-a-date", _on("good", "--since", "yesterday-ish"), 1, "--since"),
    Row("since-after-until", _on("good", "--since", "2026-06-01", "--until", "2026-01-01"), 1,
        "is not before --until"),
    Row("merge-check-negative", _on("good", "--merge-check-seconds", "-5"), 1, "--merge-check-seconds -5.0"),
    Row("merge-check-nan", _on("good", "--merge-check-seconds", "nan"), 1, "--merge-check-seconds nan"),
    Row("merge-check-infinite", _on("good", "--merge-check-seconds", "inf"), 1, "--merge-check-seconds inf"),
    Row("bot-bad-regex", _on("good", "--bot", "("), 1, "is not a valid regular expression"),
    Row("trunk-missing", _on("good", "--trunk", "nosuch"), 1, "nosuch"),
    Row("as-of-future", _on("good", "--as-of", FUTURE), 1, "is in the future"),
    Row("format-unknown", _on("good", "--format", "xml"), 2, "xml"),
    Row("option-unknown", _on("good", "--frobnicate"), 2, "--frobnicate"),
    Row("backfill-since-after-until", _on("good", "--since", "2026-06-01", "--until", "2026-01-01",
                                          command="backfill"), 1, "after --until"),
    Row("backfill-window-too-short", _on("good", "--since", "2026-01-01", "--window-days", "3",
                                         command="backfill"), 2, "--window-days"),
    # -- where outputs go
    Row("plan-out-inside-git", _out("clone", "plan", _in_git), 1, "inside a git directory"),
    Row("plan-out-an-existing-file", _out("good", "plan", _existing_file), 1, "is not a folder"),
    Row("progress-out-inside-git", _out("clone", "progress", _in_git_file), 1, "inside a git directory"),
    Row("progress-out-an-existing-folder", _out("good", "progress", _existing_folder), 1, "is a folder"),
    Row("cache-dir-inside-git", _out("clone", "scan", _in_git, "--cache-dir"), 1, "inside a git directory"),
    Row("history-dir-inside-git", _out("clone", "scan", _in_git, "--history-dir"), 1, "inside a git directory"),
    Row("history-dir-an-existing-file", _out("good", "scan", _existing_file, "--history-dir"), 1,
        "could not be stored"),
    # -- the CI gate
    Row("check-history-missing", _history(lambda t: t / "typo"), 1, "does not exist, so there is nothing to check"),
    Row("check-history-empty", _history(_empty_folder), 1, "holds no snapshot"),
    Row("check-first-run", _history(lambda t: t / "typo", "--first-run"), 0, "nothing to check (--first-run)"),
    Row("progress-history-missing", lambda lab, tmp: (["progress", str(lab.good), "--history-dir", str(tmp / "h")],
                                                      lab.good), 0, "No snapshots"),
]


def _expect_clean_run(result_code: int, stdout: str, stderr: str, row: Row) -> None:
    assert result_code == row.code, (row.id, result_code, stderr[-2000:])
    assert "Traceback" not in stderr and "Traceback" not in stdout
    assert re.search(SAFE, stderr) is None, repr(stderr)
    if row.code == 0:
        assert row.says in stdout, (row.id, stdout[:2000])
        assert stderr == "" or all(line.startswith("advisor: warning: ") for line in stderr.splitlines()), stderr
        assert re.search(SAFE, stdout.replace("\n", "")) is None
    elif row.code == 2:  # click's usage errors: a usage line, then the one error line
        assert "Error" in stderr and row.says in stderr, stderr
    else:
        assert stderr.startswith("advisor: ") and stderr.endswith("\n") and stderr.count("\n") == 1, repr(stderr)
        assert row.says in stderr, (row.id, stderr)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_row(row: Row, lab: Lab, tmp_path: Path) -> None:
    args, repo = row.setup(lab, tmp_path)
    before = state(repo) if repo is not None else None
    if args[0] == "scan" and "--cache-dir" not in args:
        args = [*args, "--no-cache"]
    if args[0] == "scan" and "--history-dir" not in args:
        args = [*args, "--history-dir", str(tmp_path / "history")]
    result = runner.invoke(cli.app, args)
    _expect_clean_run(result.exit_code, result.stdout, result.stderr, row)
    if repo is not None:
        assert before is not None and differences(before, state(repo)) == []


def test_the_matrix_is_big_enough() -> None:
    assert len(ROWS) >= 50 and len({r.id for r in ROWS}) == len(ROWS)


def test_a_hostile_git_config_ran_nothing(lab: Lab) -> None:
    runner.invoke(cli.app, ["scan", str(lab.hostile_config), "--no-cache", "--no-history"])
    assert list((lab.root / "ran").iterdir()) == []


# ---------------------------------------------------------------------------
# Faults at the OS boundary: a read-only or full disk, real where this machine allows it.


def _fail_fsync(code: int) -> Callable[[int], None]:
    def fsync(fd: int) -> None:
        raise OSError(code, os.strerror(code))
    return fsync


@pytest.mark.parametrize(("code", "why"), [(errno.ENOSPC, "the disk is full"),
                                           (errno.EROFS, "the file system is read-only"),
                                           (errno.EDQUOT, "quota")])
@pytest.mark.parametrize("command", ["plan", "progress"])
def test_a_failed_write_is_one_sentence(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int,
                                        why: str, command: str) -> None:
    """Simulated at the OS boundary (fsync fails with the error), as tests cannot count on a disk to fill."""
    before = state(lab.good)
    out = tmp_path / ("plan" if command == "plan" else "progress.md")
    monkeypatch.setattr(store.os, "fsync", _fail_fsync(code))
    extra = ["--no-cache"] if command == "plan" else []
    result = runner.invoke(cli.app, [command, str(lab.good), "--out", str(out), *extra])
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("advisor: ") and result.stderr.count("\n") == 1 and why in result.stderr
    assert "could not be written" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or not any(p.name.endswith(".tmp") for p in out.rglob("*"))
    assert list(tmp_path.glob(".*.tmp")) == []
    assert differences(before, state(lab.good)) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs, when this process may mount one (root with CAP_SYS_ADMIN); else skipped."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN); the simulated rows cover it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def test_a_real_full_disk_and_a_real_read_only_disk(lab: Lab, tiny_disk: Path, tmp_path: Path) -> None:
    (tiny_disk / "filler").write_bytes(b"x" * 60_000)
    with pytest.raises(OSError):
        (tiny_disk / "more").write_bytes(b"x" * 10_000)
    (tiny_disk / "more").unlink(missing_ok=True)
    history = tmp_path / "history"
    assert runner.invoke(cli.app, ["scan", str(lab.good), "--no-cache", "--history-dir", str(history)]).exit_code == 0
    big = tiny_disk / "progress.json"
    result = runner.invoke(cli.app, ["plan", str(lab.good), "--no-cache", "--out", str(tiny_disk / "plan")])
    assert result.exit_code == 1 and "the disk is full" in result.stderr and result.stderr.count("\n") == 1
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    result = runner.invoke(cli.app, ["progress", str(lab.good), "--history-dir", str(history), "--out", str(big)])
    assert result.exit_code == 1 and "read-only" in result.stderr and result.stderr.count("\n") == 1, result.stderr


# ---------------------------------------------------------------------------
# Rows that need processes of their own.


def _as_nobody() -> tuple[int, int] | None:
    try:
        import pwd
        entry = pwd.getpwnam("nobody")
    except (ImportError, KeyError):
        return None
    return entry.pw_uid, entry.pw_gid


def test_unreadable_objects_as_a_user_who_cannot_read_them(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> None:
    """CI runs as root, where no permission stops a read: the scan runs as `nobody` in a process of its own."""
    ids = _as_nobody()
    if os.geteuid() != 0 or ids is None:
        pytest.skip("needs root to drop to the user nobody (as a normal user, chmod alone would do)")
    import tempfile
    open_dir = Path(tempfile.mkdtemp(prefix="advisor-nobody-"))
    try:
        open_dir.chmod(0o755)
        repo = open_dir / "repo"
        shutil.copytree(lab.good, repo, symlinks=True)
        for path in [repo, *repo.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        for pack in (repo / ".git" / "objects").rglob("*"):
            if pack.is_file():
                pack.chmod(0o600)  # readable by root only
        before = state(repo)
        home = open_dir / "home"
        home.mkdir(mode=0o777)

        def drop() -> None:
            os.setgid(ids[1])
            os.setuid(ids[0])

        try:
            done = subprocess.run([*ENTRY, "scan", str(repo), "--no-cache", "--no-history"], capture_output=True,
                                  text=True, preexec_fn=drop, check=False,
                                  env={**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home),
                                       "XDG_DATA_HOME": str(home)})
        except PermissionError:
            pytest.skip("the user nobody may not run this Python installation (it lives in a folder only root "
                        "can enter), so no unprivileged process can run advisor here")
        if "Permission denied" in done.stderr and "advisor" not in done.stderr:
            pytest.skip("the user nobody may not read this Python installation's packages")
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("advisor: ") and done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert differences(before, state(repo)) == []
    finally:
        shutil.rmtree(open_dir, ignore_errors=True)


def test_ctrl_c_early_and_late_leave_the_repository_as_it_was(lab: Lab, tmp_path: Path) -> None:
    repo = lab.live
    before = state(repo)
    early = interrupt_while_importing(["scan", str(repo), "--no-cache", "--history-dir", str(tmp_path / "h")])
    assert (early.returncode, early.stderr) == (130, "advisor: interrupted.\n")
    env = slow_git(tmp_path)
    proc = subprocess.Popen([*ENTRY, "scan", str(repo), "--history-dir", str(tmp_path / "h")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "bin" / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (130, "advisor: interrupted.\n")
    assert differences(before, state(repo)) == []


def test_kill_9_during_snapshot_writes_fifty_times_loses_nothing(lab: Lab, tmp_path: Path) -> None:
    """A writer is killed at a random moment, fifty times; every snapshot it finished is there and whole,
    none is half-written, and the next write removes every temporary file the dead writers left."""
    from advisor import snapshot
    result = runner.invoke(cli.app, ["scan", str(lab.good), "--no-cache", "--history-dir", str(tmp_path / "seed")])
    assert result.exit_code == 0
    (seed,) = (tmp_path / "seed").glob("*.json")
    document = json.loads(seed.read_text())
    document["padding"] = "x" * 400_000  # a write long enough to be caught in the middle
    base = snapshot.from_document({k: v for k, v in document.items() if k != "padding"})
    folder = tmp_path / "history"
    folder.mkdir()
    finished: set[str] = set()
    rng = random.Random(11)
    caught_mid_write = 0
    for attempt in range(50):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the writer: snapshot after snapshot until killed
            os.close(read)
            try:
                n = 0
                while True:
                    n += 1
                    moment = base.until + timedelta(minutes=attempt * 1000 + n)
                    snap = dataclasses.replace(base, until=moment, scanned_at=moment)
                    path = store.save_snapshot(folder, snap)
                    os.write(write, (path.name + "\n").encode())
            finally:
                os._exit(0)
        os.close(write)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        leftovers = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        caught_mid_write += bool(leftovers)
        with os.fdopen(read) as stream:
            finished.update(line for line in stream.read().splitlines() if line.endswith(".json"))
    found, warnings = store.read_snapshots(folder)
    assert warnings == []
    names = {p.name for p in store.snapshot_files(folder)}
    assert finished <= names  # nothing a writer finished was lost
    assert len(found) == len(names)  # and every file there is whole
    assert caught_mid_write > 0, "no kill landed during a write; the test proved nothing"
    store.save_snapshot(folder, base)  # the next write of the same store
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_four_concurrent_scans_on_one_store(lab: Lab, tmp_path: Path) -> None:
    """Four processes scan one repository into one history and one cache at once."""
    repo = lab.live
    before = state(repo)
    history, cache = tmp_path / "history", tmp_path / "cache"
    pids = []
    for n in range(4):
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                result = runner.invoke(cli.app, ["scan", str(repo), "--history-dir", str(history),
                                                 "--cache-dir", str(cache), "--format", "json"])
                code = result.exit_code if result.exit_code == 0 and not result.stderr else 5
            finally:
                os._exit(code)
        pids.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    assert codes == [0, 0, 0, 0]
    found, warnings = store.read_snapshots(history)
    assert warnings == [] and 1 <= len(found) <= 4
    assert [p for p in history.rglob("*") if p.name.endswith(".tmp")] == []
    cached = runner.invoke(cli.app, ["scan", str(repo), "--cache-dir", str(cache), "--no-history", "--format", "json"])
    fresh = runner.invoke(cli.app, ["scan", str(repo), "--no-cache", "--no-history", "--format", "json"])
    def stable(text: str) -> tuple[object, object]:
        document = json.loads(text)
        return document["history"], [(b["branch"]["name"], b["merge"]) for b in document["live"]]

    assert stable(cached.stdout) == stable(fresh.stdout)
    assert differences(before, state(repo)) == []


class _Payload:
    """Unpickling this runs a command: what a planted pickle in a shared cache folder would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def _pickle(marker: Path) -> bytes:
    import pickle
    return pickle.dumps(_Payload(marker))


PLANTS: dict[str, Callable[[Path, bytes], bytes]] = {
    "pickle-that-runs-a-command": lambda marker, real: _pickle(marker),
    "garbage": lambda marker, real: bytes(range(256)) * 8,
    "truncated": lambda marker, real: real[: len(real) // 2],
    "foreign-header": lambda marker, real: b'{"magic": "advisor-cache", "format": 2, "slot": "x", "key": "y"}\n{}',
    "valid-header-wrong-body": lambda marker, real: real.split(b"\n", 1)[0] + b"\n" + b'{"not": "the shape"}',
    "empty": lambda marker, real: b"",
}


@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_a_planted_cache_entry_is_a_miss_and_runs_nothing(lab: Lab, tmp_path: Path, plant: str) -> None:
    """Every entry of a real cache replaced by something hostile or broken (and the old pickle names planted
    beside them): the scan reads none of it, runs nothing, and answers as a scan without a cache does."""
    repo = lab.live
    before = state(repo)
    cache, marker = tmp_path / "cache", tmp_path / "ran"
    args = ["scan", str(repo), "--no-history", "--format", "json"]
    assert runner.invoke(cli.app, [*args, "--cache-dir", str(cache)]).exit_code == 0
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries
    for entry in entries:
        entry.write_bytes(PLANTS[plant](marker, entry.read_bytes()))
        legacy = entry.with_name(entry.name.split(".v")[0] + ".v1.pickle")
        legacy.write_bytes(_pickle(marker))
    planted = runner.invoke(cli.app, [*args, "--cache-dir", str(cache)])
    fresh = runner.invoke(cli.app, [*args, "--no-cache"])
    assert planted.exit_code == 0 and planted.stderr == "", planted.stderr
    assert not marker.exists()

    def stable(text: str) -> tuple[object, object]:
        document = json.loads(text)
        return document["history"], [(b["branch"]["name"], b["merge"]) for b in document["live"]]

    assert stable(planted.stdout) == stable(fresh.stdout)
    assert differences(before, state(repo)) == []


def test_a_repository_owned_by_someone_else_gets_gits_safe_directory_hint(lab: Lab, tmp_path: Path) -> None:
    if os.geteuid() != 0 or _as_nobody() is None:
        pytest.skip("needs root to give the repository to another user")
    repo = lab.copy("clone", tmp_path)
    uid, gid = _as_nobody()  # type: ignore[misc]
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, uid, gid)
    before = state(repo)
    result = runner.invoke(cli.app, ["scan", str(repo), "--no-cache", "--no-history"])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr
    assert f"`git config --global --add safe.directory {repo}`" in result.stderr
    # The hint names the folder git itself checks: with it, git reads the repository.
    done = subprocess.run(["git", "-c", f"safe.directory={repo}", "-C", str(repo), "log", "-1"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert differences(before, state(repo)) == []
