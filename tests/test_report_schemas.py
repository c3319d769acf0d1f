"""The JSON Schemas of check and fleet documents: generated from the records, shipped, and true to the output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from advisor.progress import Finding
from advisor.report import jsonout, portfolio

ROOT = Path(__file__).resolve().parent.parent


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "advisor" / "schemas" / name).read_text())
    return loaded


def errors(name: str, document: Any) -> list[str]:
    return [e.message for e in Draft202012Validator(schema(name)).iter_errors(document)]


def test_the_shipped_schemas_are_what_the_records_generate() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_output_schemas.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_documents_validate_and_a_wrong_one_does_not() -> None:
    rows = [portfolio.Row(name="a", path="/a", model="gitflow", confidence="high", release_tier="low",
                          releases_per_week=0.2), portfolio.failed("b", "/b", "b is not a git repository.")]
    document = json.loads(jsonout.encode(portfolio.document(rows), 0))
    assert errors("fleet.schema.json", document) == []
    document["rows"][0]["releases_per_week"] = "fast"
    assert errors("fleet.schema.json", document)
    check = jsonout.check_document([Finding(kind="threshold", failed=True, text="threshold: x", subject="max_x",
                                            evidence=(("value", "3"),))], snapshot=None, snapshots=1)
    assert errors("check.schema.json", json.loads(json.dumps(check))) == []
    assert errors("check.schema.json", {**check, "kind": "advisor-fleet"})


def test_every_golden_plan_state_validates_and_a_wrong_one_does_not() -> None:
    states = sorted((ROOT / "tests" / "golden" / "plan").glob("*/plan.json"))
    assert len(states) >= 7
    for path in states:
        state = json.loads(path.read_text(encoding="utf-8"))
        assert errors("plan-state.schema.json", state) == [], path
    assert errors("plan-state.schema.json", {**state, "stages": "stop-adding-wip"})


def test_a_progress_document_validates_and_a_wrong_one_does_not() -> None:
    import dataclasses

    from advisor import progress, snapshot
    from tests import evolving
    moment = evolving.SCANS["A"]
    base = snapshot.Snapshot(version=snapshot.VERSION, tool_version="0", scanned_at=moment, since=moment,
                             until=moment, repo="r", trunk="main", trunk_tip="0" * 40, model="gitflow",
                             confidence="high", measures={}, plan=None, metrics={}, verdict={})
    one = dataclasses.replace(base, measures={m.name: 10.0 for m in snapshot.MEASURES})
    two = dataclasses.replace(base, measures={m.name: (5.0 if i % 2 else None) for i, m in enumerate(snapshot.MEASURES)})
    document = json.loads(jsonout.progress_json(progress.report([one, two])))
    assert document["since_previous"]["deltas"]
    assert errors("progress.schema.json", document) == []
    assert errors("progress.schema.json", {**document, "kind": "advisor-check"})
    assert errors("progress.schema.json", {**document, "trend": [{"scanned_at": 3}]})
