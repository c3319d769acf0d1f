"""`advisor backfill` seeds a history from the repository's past (advisor.asof, pipeline.backfill)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import cli, pipeline, store
from tests import evolving

runner = CliRunner()


def test_backfill_seeds_a_history_that_progress_reads(tmp_path: Path) -> None:
    team = evolving.Team(tmp_path / "repo")
    for phase in "ABC":
        team.phase(phase)
    history = tmp_path / "history"
    result = runner.invoke(cli.app, ["backfill", str(team.b.path), "--since", "2024-03-04", "--until", "2024-05-13",
                                     "--every", "week", "--history-dir", str(history), "--no-cache", "--quiet",
                                         "--window-days", "30"])
    assert result.exit_code == 0, result.stderr
    files = store.snapshot_files(history)
    assert len(files) >= 10
    assert result.stdout.startswith(f"advisor backfill: stored {len(files)} snapshots in ")
    result = runner.invoke(cli.app, ["progress", str(team.b.path), "--history-dir", str(history), "--format", "json"])
    report = json.loads(result.stdout)
    assert report["baseline"]["model"] == "gitflow"
    assert report["latest"]["model"] != "gitflow"
    lifetime = next(d for d in report["since_baseline"]["deltas"] if d["measure"] == "branch_lifetime_p50_hours")
    assert lifetime["direction"] == "better"


def test_monthly_backfill_and_idempotence(tmp_path: Path) -> None:
    team = evolving.Team(tmp_path / "repo")
    team.phase("A")
    history = tmp_path / "history"
    args = ["backfill", str(team.b.path), "--since", "2024-01-15", "--until", "2024-04-08", "--every", "month",
            "--history-dir", str(history), "--no-cache", "--quiet"]
    first = runner.invoke(cli.app, args)
    assert first.exit_code == 0, first.stderr
    count = len(store.snapshot_files(history))
    assert 2 <= count <= 4
    again = runner.invoke(cli.app, args)
    assert again.exit_code == 0
    assert len(store.snapshot_files(history)) == count
