"""Snapshots: from a scan and a plan, to a versioned document and back, and every older version read."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from advisor import pipeline, progress, snapshot
from advisor.history import HistoryOptions
from advisor.report import jsonout
from advisor.scan import Scan
from tests import scenarios
from tests.plans import plan_for

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2024, 3, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def gitflow_scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    path = tmp_path_factory.mktemp("snap") / "gitflow"
    scenarios.gitflow(path)
    return pipeline.run_scan(pipeline.ScanRequest(path=path, now=NOW, options=HistoryOptions(),
                                                  since=datetime(2023, 3, 1, tzinfo=timezone.utc)))


def test_from_scan_holds_what_progress_needs(gitflow_scan: Scan) -> None:
    snap = snapshot.from_scan(gitflow_scan, plan_for(gitflow_scan))
    assert snap.version == snapshot.VERSION
    assert snap.scanned_at == NOW and snap.until == NOW
    assert snap.trunk == "master" and snap.trunk_tip == gitflow_scan.history.trunk.tip
    assert snap.model == "gitflow"
    assert set(snap.measures) == {m.name for m in snapshot.MEASURES}
    assert snap.measures["branch_lifetime_p50_hours"] == gitflow_scan.metrics.integration.lifetime_hours.p50
    assert snap.measures["long_lived_lines"] == 1.0  # develop
    assert snap.plan is not None and snap.plan.current_stage is not None
    criteria = {c.id: c for stage in snap.plan.stages for c in stage.criteria}
    assert criteria["retire-integration-line.lines"].met is False
    assert criteria["retire-integration-line.lines"].current == 1.0
    assert snapshot.from_scan(gitflow_scan, None).plan is None


def test_document_round_trip_through_json(gitflow_scan: Scan) -> None:
    snap = snapshot.from_scan(gitflow_scan, plan_for(gitflow_scan))
    document = json.loads(json.dumps(snapshot.to_document(snap)))
    assert document["kind"] == "advisor-snapshot" and document["version"] == snapshot.VERSION
    assert document["repo"]["trunk_tip"] == snap.trunk_tip
    stage = document["plan"]["stages"][0]
    assert {"id", "status", "criteria"} <= set(stage)
    assert {"id", "met", "current"} <= set(stage["criteria"][0])
    assert snapshot.from_document(document) == snap


def test_file_names_sort_by_time_and_name_the_trunk_tip(gitflow_scan: Scan) -> None:
    snap = snapshot.from_scan(gitflow_scan)
    assert snapshot.file_name(snap) == f"20240301T000000000000Z-{snap.trunk_tip[:12]}.json"


def test_version_1_fixture_is_read_and_migrated() -> None:
    """tests/fixtures/snapshot-v1.json is a real `advisor scan --format json` document (scan schema 1)."""
    document = json.loads((FIXTURES / "snapshot-v1.json").read_text())
    assert snapshot.version_of(document) == 1
    migrated = snapshot.migrate(document)
    assert migrated["version"] == 2 and migrated["plan"] is None
    snap = snapshot.from_document(document)
    assert snap.version == 1
    assert snap.trunk == "master" and snap.model == "gitflow"
    assert snap.until == datetime(2024, 3, 1, tzinfo=timezone.utc)
    assert snap.measures["long_lived_lines"] == 1.0
    assert snap.measures["release_interval_p50_days"] is not None
    assert snap.plan is None


def test_migrating_a_scan_document_gives_the_measures_from_scan_gives(gitflow_scan: Scan) -> None:
    direct = snapshot.from_scan(gitflow_scan)
    migrated = snapshot.from_document(json.loads(jsonout.scan_json(gitflow_scan)))
    assert migrated.measures == direct.measures
    assert (migrated.trunk, migrated.trunk_tip, migrated.model, migrated.until) == (
        direct.trunk, direct.trunk_tip, direct.model, direct.until)


@pytest.mark.parametrize(("document", "message"), [
    ([], "not a JSON object"),
    ({"hello": 1}, "neither an advisor snapshot nor an advisor scan document"),
    ({"kind": "advisor-snapshot", "version": "two"}, "version 'two' is not a number"),
    ({"kind": "advisor-snapshot", "version": 99}, "written by a newer advisor"),
    ({"kind": "advisor-snapshot", "version": 2, "window": {}}, "missing or not an object"),
])
def test_unreadable_documents_say_why(document: object, message: str) -> None:
    with pytest.raises(snapshot.SnapshotError, match=message):
        snapshot.from_document(document)


def test_a_malformed_field_is_a_snapshot_error(gitflow_scan: Scan) -> None:
    document = snapshot.to_document(snapshot.from_scan(gitflow_scan, plan_for(gitflow_scan)))
    document["scanned_at"] = "yesterday"
    with pytest.raises(snapshot.SnapshotError, match="not an ISO 8601"):
        snapshot.from_document(document)
    document = snapshot.to_document(snapshot.from_scan(gitflow_scan, plan_for(gitflow_scan)))
    del document["plan"]["stages"][0]["criteria"][0]["target"]
    with pytest.raises(snapshot.SnapshotError, match="missing or malformed"):
        snapshot.from_document(document)


def test_every_measure_names_a_better_direction_and_a_unit() -> None:
    for measure in snapshot.MEASURES:
        assert measure.better in ("lower", "higher"), measure.name
        assert measure.unit in ("h", "d", "share", "count", "rate", "score"), measure.name
    assert len(snapshot.BY_NAME) == len(snapshot.MEASURES)


def test_a_snapshot_records_the_plan_folders_checklist_and_a_stage_is_done_only_with_it(tmp_path: Path) -> None:
    # A trunk-based team: the first stage's criteria hold, its checklist waits for people's ticks.
    repo, folder = tmp_path / "repo", tmp_path / "plan"
    scenarios.trunk_squash(repo)
    request = pipeline.ScanRequest(path=repo, now=NOW, options=HistoryOptions(), merge_check_seconds=0,
                                   since=datetime(2023, 3, 1, tzinfo=timezone.utc))
    pipeline.run_plan(request, folder)
    result = pipeline.run_scan(request)

    def stage_of(snap: snapshot.Snapshot, ident: str) -> snapshot.StageState:
        assert snap.plan is not None
        return next(s for s in snap.plan.stages if s.id == ident)

    def ticked_plan(snap: snapshot.Snapshot) -> tuple[snapshot.StageState, ...]:
        assert snap.plan is not None
        return snap.plan.stages

    def snap_now() -> snapshot.Snapshot:
        status = pipeline.plan_status(request, result, pipeline.plan_targets(folder))
        return snapshot.from_document(json.loads(json.dumps(snapshot.to_document(
            snapshot.from_scan(result, status.plan, status.checklists)))))

    first = snap_now()
    assert first.plan is not None
    held = next(s for s in first.plan.stages if all(c.met for c in s.criteria) and s.criteria)
    assert held.checklist is not None and held.ticked is not None and held.ticked < len(held.checklist)
    assert held.status != "done"  # its criteria hold; its checklist is not done
    assert {i.by for i in held.checklist if i.ticked} <= {"tool"}

    # People tick the rest in the stage file: the next snapshot records it, and the stage is done.
    stage_file = folder / "stages" / f"{held.id}.md"
    stage_file.write_text(stage_file.read_text().replace("- [ ] ", "- [x] "))
    ticked = stage_of(snap_now(), held.id)
    assert ticked.status == "done" and ticked.checklist is not None and all(i.ticked for i in ticked.checklist)
    assert {i.by for i in ticked.checklist} == {"person"}

    # A person unticks a tool tick (shrink-batches' size limit, ticked from its measured criterion):
    # the override is recorded and that stage cannot be done.
    tooled = next(s for s in ticked_plan(snap_now()) if any(i.by == "tool" for i in s.checklist or ()))
    tool_item = next(i for i in tooled.checklist or () if i.by == "tool")
    other = folder / "stages" / f"{tooled.id}.md"
    text = other.read_text()
    line = next(line for line in text.splitlines() if f"advisor:item {tool_item.id} tool -->" in line)
    other.write_text(text.replace(line, line.replace("- [x] ", "- [ ] ", 1)))
    item = next(i for i in stage_of(snap_now(), tooled.id).checklist or () if i.id == tool_item.id)
    assert item.override and not item.ticked and item.by == ""

    # A snapshot written before checklists were recorded claims no stage done, and progress says why.
    document = snapshot.to_document(snapshot.from_scan(result, plan_for(result)))
    for stage in document["plan"]["stages"]:
        stage.pop("checklist")
        stage["status"] = "done" if all(c["met"] for c in stage["criteria"]) else stage["status"]
    old = snapshot.from_document(document)
    assert old.plan is not None and all(s.status != "done" and s.checklist is None for s in old.plan.stages)
    current = progress.current_stage(old)
    assert current is not None and current.checklist.startswith("checklist not recorded")
    findings = progress.check([old], ())
    if current.met == current.total:
        assert any(f.kind == "stage" and "checklist not recorded" in f.text and not f.failed for f in findings)
