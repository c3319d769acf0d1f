"""The installed `advisor` command starts through `advisor.launch`, which handles Ctrl-C before heavy imports."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from tests.test_interrupts import ENTRY, interrupt_while_importing

PROJECT = Path(__file__).resolve().parent.parent


def test_the_console_script_is_the_launcher() -> None:
    scripts = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"advisor": "advisor.launch:main"}


def test_the_launcher_runs_the_command_line(tmp_path: Path) -> None:
    done = subprocess.run([*ENTRY, "scan", str(tmp_path / "missing")], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (1, f"advisor: {tmp_path / 'missing'} does not exist.\n")


def test_ctrl_c_before_the_command_line_is_imported(tmp_path: Path) -> None:
    done = interrupt_while_importing(["--help"])
    assert (done.returncode, done.stderr, done.stdout) == (130, "advisor: interrupted.\n", "")
