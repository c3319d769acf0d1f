"""Ctrl-C: the same one line and exit 130, whether it comes while advisor starts or while it works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from advisor import interrupts
from tests import scenarios

ENTRY = [sys.executable, "-c", "import sys; from advisor.launch import main; sys.argv[0] = 'advisor'; main()"]


def _wait_for(pid: int, needle: str, timeout: float = 20.0) -> bool:
    """Until the process has mapped a library whose path holds `needle` (it is importing it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if needle in Path(f"/proc/{pid}/maps").read_text():
                return True
        except OSError:
            return False
        time.sleep(0.002)
    return False


def interrupt_while_importing(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Start the entry point and send SIGINT once the heavy imports have begun (pygit2's library is mapped)."""
    proc = subprocess.Popen([*ENTRY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if not Path(f"/proc/{proc.pid}/maps").exists():
        proc.kill()
        pytest.skip("no /proc here to see when the process is importing")
    assert _wait_for(proc.pid, "_libgit2") or _wait_for(proc.pid, "pygit2"), "the imports never started"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_ctrl_c_while_modules_import_is_one_line_and_130(tmp_path: Path) -> None:
    done = interrupt_while_importing(["scan", str(tmp_path), "--no-cache"])
    assert (done.returncode, done.stderr) == (130, "advisor: interrupted.\n")


def slow_git(tmp_path: Path) -> dict[str, str]:
    """PATH with a `git` that waits a while before running the real one (a scan caught mid-read)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = subprocess.run(["which", "git"], capture_output=True, text=True, check=True).stdout.strip()
    (bin_dir / "git").write_text(f'#!/bin/sh\ntouch "{bin_dir}/started"\nsleep 30\nexec "{real}" "$@"\n')
    (bin_dir / "git").chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_ctrl_c_during_a_scan_is_the_same_line_and_130(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    scenarios.trunk_direct(repo)
    env = slow_git(tmp_path)
    proc = subprocess.Popen([*ENTRY, "scan", str(repo), "--no-cache", "--history-dir", str(tmp_path / "h")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    started = tmp_path / "bin" / "started"
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started.exists(), "the scan never reached git"
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole foreground group
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (130, "advisor: interrupted.\n")
    assert not (tmp_path / "h").exists() or not any((tmp_path / "h").iterdir())


def test_the_handlers_switch_only_in_the_main_thread() -> None:
    previous = signal.getsignal(signal.SIGINT)
    try:
        interrupts.interrupts_exit()
        assert signal.getsignal(signal.SIGINT) is interrupts._exit_at_once
        interrupts.interrupts_raise()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        signal.signal(signal.SIGINT, previous)
        interrupts.interrupts_raise()  # a handler someone else installed is left alone
        assert signal.getsignal(signal.SIGINT) is previous
    finally:
        signal.signal(signal.SIGINT, previous)
