"""The installed `advisor` command starts through `advisor.launch`, which handles Ctrl-C before heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from tests import scenarios
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


# What a scan that stores no snapshot must not load: the plan's modules (recommend and the CI and YAML
# readers it brings, plandoc's templates) and the other commands' renderers. Each costs start-up time
# on every scan (recommend with the CI readers alone: 0.13-0.43 s).
NOT_AT_SCAN = ("advisor.recommend", "advisor.ci", "advisor.plandoc", "advisor.policies", "advisor.risk",
               "advisor.touched", "advisor.protection", "yaml", "jinja2", "tabulate", "advisor.fleet",
               "advisor.report.terminal", "advisor.report.html")
WATCHING = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('loaded: ' + ' '.join(sorted("
            "m for m in sys.modules if m.split('.')[0] in ('advisor', 'yaml', 'jinja2', 'tabulate'))) + '\\n')); "
            "from advisor.launch import main; sys.argv[0] = 'advisor'; main()")


def test_a_json_scan_without_a_snapshot_loads_no_plan_code(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    scenarios.trunk_direct(repo)
    for caching in (["--no-cache"], ["--cache-dir", str(tmp_path / "cache")], ["--cache-dir", str(tmp_path / "cache")]):
        done = subprocess.run([sys.executable, "-c", WATCHING, "scan", str(repo), "--format", "json", "--quiet",
                               "--no-history", *caching], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["history"]["trunk"]["name"] == "main"
        loaded = set(done.stderr.rsplit("loaded: ", 1)[1].split())
        assert "advisor.pipeline" in loaded  # the watcher saw the scan's own modules
        assert sorted(m for m in loaded if m in NOT_AT_SCAN or m.startswith(tuple(f"{n}." for n in NOT_AT_SCAN))) == []


def test_a_scan_storing_its_snapshot_still_records_the_plan(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    scenarios.trunk_direct(repo)
    done = subprocess.run([*ENTRY, "scan", str(repo), "--format", "json", "--quiet", "--no-cache", "--history-dir",
                           str(tmp_path / "h")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    [stored] = (tmp_path / "h").glob("*.json")
    assert json.loads(stored.read_text())["plan"]["target_model"] == "trunk-based"


def test_the_process_ends_with_its_output_whole_its_exit_functions_run_and_its_code_kept(tmp_path: Path) -> None:
    """The launcher skips the heap's teardown (`launch._end_at_once`), never what a user would see."""
    repo = tmp_path / "repo"
    scenarios.gitflow(repo)
    marker = tmp_path / "ran-at-exit"
    entry = (f"import atexit, pathlib, sys; atexit.register(pathlib.Path({str(marker)!r}).touch); "
             "from advisor.launch import main; sys.argv[0] = 'advisor'; main()")
    done = subprocess.run([sys.executable, "-c", entry, "scan", str(repo), "--format", "json", "--quiet", "--no-cache",
                           "--no-history"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.endswith("}\n"), done.stderr
    assert json.loads(done.stdout)["history"]["episodes_total"] > 0 and marker.exists()
    bad = subprocess.run([sys.executable, "-c", entry, "scan", str(repo), "--since", "yesterday-ish"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("advisor: ") and len(bad.stderr.splitlines()) == 1


def test_a_scan_started_with_its_error_stream_closed_still_ends_well(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    scenarios.trunk_direct(repo)
    done = subprocess.run([*ENTRY, "scan", str(repo), "--format", "json", "--quiet", "--no-cache", "--no-history"],
                          stdout=subprocess.PIPE, stderr=None, close_fds=True, check=False,
                          preexec_fn=lambda: __import__("os").close(2))
    assert done.returncode == 0 and json.loads(done.stdout)["history"]["trunk"]["name"] == "main"
