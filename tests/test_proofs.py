"""Every reproduce command, run with git on the simulated repositories, prints the number advisor printed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from advisor import pipeline, proofs
from advisor.history import HistoryOptions
from advisor.model import History, Window
from tests import scenarios
from tests.builders import RepoBuilder
from tests.scenarios import Truth

SINCE = datetime(2023, 6, 1, tzinfo=timezone.utc)
NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
SIMULATORS: list[Callable[[Path], Truth]] = [
    scenarios.gitflow, scenarios.gitflow_develop_default, scenarios.github_flow, scenarios.trunk_squash,
    scenarios.trunk_rebase, scenarios.trunk_direct, scenarios.release_branching, scenarios.environment_branches,
    scenarios.squash_with_sync_merges, scenarios.dormant_release_line, scenarios.prs_landed_as_commits,
]


def run(command: str, cwd: Path) -> str:
    done = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd)})
    assert done.stderr == "", f"{command}: {done.stderr}"
    return done.stdout


@pytest.mark.parametrize("simulate", SIMULATORS, ids=[s.__name__ for s in SIMULATORS])
def test_every_evidence_number_is_reproduced_by_its_commands(simulate: Callable[[Path], Truth],
                                                             repo_path: Path) -> None:
    simulate(repo_path)
    scan = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=NOW, options=HistoryOptions(), since=SINCE,
                                                  merge_check_seconds=0))
    checked = 0
    for item in scan.verdict.evidence:
        assert item.reproduce, f"{item.id} has no proof"
        for proof in item.reproduce:
            assert proof.terms or proof.how, f"{item.id}: {proof.what} neither runs nor says how"
            if proof.value is None or not proof.terms:
                continue
            outputs = [run(term.command, repo_path) for term in proof.terms]
            assert proofs.run_sum(outputs, proof) == proof.value, (item.id, proof.what, outputs)
            assert str(proof.value) in item.text, (item.id, proof.value, item.text)
            checked += 1
    assert checked >= 2


SPIRAL_SIMULATORS = SIMULATORS + [scenarios.gitflow_late_hotfixes]


@pytest.mark.parametrize("simulate", SPIRAL_SIMULATORS, ids=[s.__name__ for s in SPIRAL_SIMULATORS])
def test_every_flow_number_is_reproduced_by_its_commands(simulate: Callable[[Path], Truth], repo_path: Path) -> None:
    # The headline metrics' proofs (scan --explain's "How to check the flow numbers", JSON metrics.<group>.reproduce),
    # the freeze check's and the death spiral's included: each command prints its part of the number.
    simulate(repo_path)
    scan = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=NOW, options=HistoryOptions(), since=SINCE,
                                                  merge_check_seconds=0))
    assert {"freeze", "death_spiral"} <= set(scan.proofs)
    ran: set[str] = set()
    for group, found in scan.proofs.items():
        for proof in found:
            assert proof.terms or proof.how, f"{group}: {proof.what} neither runs nor says how"
            if proof.value is None or not proof.terms:
                continue
            outputs = [run(term.command, repo_path) for term in proof.terms]
            assert proofs.run_sum(outputs, proof) == proof.value, (group, proof.what, outputs)
            ran.add(group)
    freeze = scan.metrics.freeze
    assert next(p for p in scan.proofs["freeze"] if p.what == "releases checked").value == freeze.releases_checked
    assert next(p for p in scan.proofs["freeze"] if p.what == "releases after a dip").value == freeze.dips
    years = [p for p in scan.proofs["death_spiral"] if p.what.startswith("final releases in 2")]
    assert [p.value for p in years] == [y.releases for y in scan.metrics.release_years[-6:]]
    assert "integration" in ran
    if scan.metrics.release_years:  # tagged releases: the spiral's per-year and per-half counts ran
        assert "death_spiral" in ran


def test_hostile_ref_names_are_quoted(repo_path: Path) -> None:
    """A branch named to run a command when pasted into a shell is only ever an argument."""
    b = RepoBuilder(repo_path)
    b.commit(at=0)
    evil = "x$(touch${IFS}pwned)"
    b.branch(evil)
    b.commit(branch=evil, at=1)
    history: History = pipeline.run_scan(pipeline.ScanRequest(path=repo_path, now=NOW, options=HistoryOptions(),
                                                              merge_check_seconds=0)).history
    window = Window(since=SINCE, until=NOW)
    command = proofs.last_commit(history, "main").terms[0].command
    assert command == "git log -1 --format=%cI refs/heads/main"
    live = next(b for b in history.live_branches if b.name == evil)
    quoted = proofs.q(live.ref)
    assert quoted == "'refs/heads/x$(touch${IFS}pwned)'"
    run(f"git log -1 --format=%H {quoted} >/dev/null; git log {proofs.span(window)} -1 --format=%H", repo_path)
    assert not (repo_path / "pwned").exists()


def test_scan_explain_prints_the_commands_and_json_carries_them(repo_path: Path, tmp_path: Path) -> None:
    """The user's way: `advisor scan --explain` shows each command under its evidence line, and the
    JSON's metrics.<group>.reproduce commands, run with git, print the JSON's numbers."""
    import json

    from typer.testing import CliRunner

    from advisor import cli

    scenarios.gitflow_develop_default(repo_path)
    args = ["scan", str(repo_path), "--no-cache", "--no-history", "--since", "2023-06-01", "--until", "2024-06-01",
            "--merge-check-seconds", "0"]
    runner = CliRunner()
    text = runner.invoke(cli.app, [*args, "--explain"], env={"COLUMNS": "80"})
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    first = lines.index(next(line for line in lines if line.startswith("  - develop received 13 of 23")))
    assert "      integrations on develop = 13:" in lines[first + 1:first + 4]
    assert any(line.strip().startswith("$ git rev-list --count --first-parent --merges --since=") and
               line.endswith(" refs/heads/develop") for line in lines)
    assert "How to check the flow numbers (run in the repository; bash)" in text.output
    plain = runner.invoke(cli.app, args, env={"COLUMNS": "80"})
    assert "$ git" not in plain.output
    document = json.loads(runner.invoke(cli.app, [*args, "--format", "json"]).output)
    assert all("reproduce" in e for e in document["verdict"]["evidence"])
    integration = document["metrics"]["integration"]
    proof = integration["reproduce"][0]
    assert proof["value"] == integration["integrations"] == 23
    outputs = [run(term["command"], repo_path) for term in proof["terms"]]
    assert sum(term["sign"] * int(out) for term, out in zip(proof["terms"], outputs)) == 23
    releases = document["metrics"]["releases"]
    out = run(releases["reproduce"][0]["terms"][0]["command"], repo_path)
    assert int(out) == releases["count"]
