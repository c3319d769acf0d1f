"""`advisor check --format sarif|json`: valid SARIF 2.1.0 (the OASIS schema), one result per finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from advisor.errors import ExitCode
from advisor.progress import Finding
from advisor.report import sarif
from tests import evolving
from tests.test_cli_progress import run, weekly_scan

SCHEMA = json.loads((Path(__file__).resolve().parent / "sarif" / "sarif-schema-2.1.0.json").read_text())


def assert_valid(log: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft4Validator(SCHEMA).iter_errors(log)]
    assert errors == []


def test_the_schema_copy_is_the_oasis_sarif_2_1_0_schema() -> None:
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    Draft4Validator.check_schema(SCHEMA)
    with pytest.raises(AssertionError):  # the validation can fail: a result without a message is refused
        assert_valid({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "advisor"}},
                                                    "results": [{"ruleId": "x"}]}]})


def test_thresholds_crossed_are_errors_at_the_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    team = evolving.Team(tmp_path / "repo")
    repo, history = team.b.path, tmp_path / "history"
    team.phase("A")
    weekly_scan(monkeypatch, repo, history, evolving.SCANS["A"])
    (repo / ".advisor.toml").write_text("max_stale_branches = 0\nmax_active_branches = 10\nmin_releases_per_week = 50\n")
    code, out, err = run("check", str(repo), "--history-dir", str(history), "--format", "sarif")
    assert code == ExitCode.REGRESSED, err
    log = json.loads(out)
    assert_valid(log)
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["threshold/max_stale_branches", "threshold/min_releases_per_week"]
    first = results[0]
    assert first["level"] == "error" and first["message"]["text"].startswith("threshold: stale branches is 1, above")
    assert first["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": ".advisor.toml"},
                                                         "region": {"startLine": 1}}
    # Each result points at the line of its own key.
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert first["properties"]["evidence"]["value"] == "1" and first["properties"]["evidence"]["limit"] == "max 0"
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["ruleId"] for r in results)
    assert all(results[i]["ruleIndex"] == [r["id"] for r in rules].index(results[i]["ruleId"]) for i in range(2))

    target = tmp_path / "out" / "advisor.sarif"
    code, text, _ = run("check", str(repo), "--history-dir", str(history), "--format", "sarif", "--out", str(target))
    assert code == ExitCode.REGRESSED and text.startswith("threshold: stale branches is 1")
    assert json.loads(target.read_text()) == log  # the same document, and the fingerprints are stable

    code, out, _ = run("check", str(repo), "--history-dir", str(history), "--format", "json")
    document = json.loads(out)
    assert code == ExitCode.REGRESSED and document["kind"] == "advisor-check" and document["failed"] == 2
    from tests.test_report_schemas import errors
    assert errors("check.schema.json", document) == []
    assert document["findings"][0]["subject"] == "max_stale_branches"


def test_a_regression_the_settings_let_pass_is_a_warning_and_hostile_text_is_escaped() -> None:
    findings = [
        Finding(kind="regressed", failed=False, text="regressed: a.b (x\x1b[2J\u202e) held", subject="a.b",
                evidence=(("criterion", "x\x1b[2J"), ("now", "3"))),
        Finding(kind="unmeasured", failed=False, text="not checked: y", subject="max_y"),
        Finding(kind="window", failed=False, text="window: a note"),
    ]
    text = sarif.check_sarif(findings, tool_version="9.9", anchor="pyproject.toml")
    assert "\x1b" not in text and "\u202e" not in text
    log = json.loads(text)
    assert_valid(log)
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("regressed/a.b", "warning"), ("unmeasured/max_y", "note")]
    assert results[0]["properties"]["evidence"]["criterion"] == "x\x1b[2J"  # JSON keeps the value, escaped


def test_each_threshold_points_at_its_own_line_of_pyproject_and_a_regression_at_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    team = evolving.Team(tmp_path / "repo")
    repo, history = team.b.path, tmp_path / "history"
    team.phase("A")
    weekly_scan(monkeypatch, repo, history, evolving.SCANS["A"])
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n# max_stale_branches = 9 (a comment is no setting)\n\n[tool.black]\n'
        'max_stale_branches = 9\n\n[tool.advisor]\nmin_releases_per_week = 50  # weekly at least\n'
        '"max_stale_branches" = 0\n\n[tool.other]\nx = 1\n')
    code, out, err = run("check", str(repo), "--history-dir", str(history), "--format", "sarif")
    assert code == ExitCode.REGRESSED, err
    log = json.loads(out)
    assert_valid(log)
    where = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"]}
    assert where == {
        "threshold/max_stale_branches": {"artifactLocation": {"uri": "pyproject.toml"}, "region": {"startLine": 10}},
        "threshold/min_releases_per_week": {"artifactLocation": {"uri": "pyproject.toml"},
                                            "region": {"startLine": 9}}}
    findings = [Finding(kind="regressed", failed=True, text="regressed: a.b", subject="max_stale_branches")]
    regressed = json.loads(sarif.check_sarif(findings, tool_version="9.9", anchor=".advisor.toml",
                                             lines={"max_stale_branches": 4}))
    assert_valid(regressed)
    # A regression is the plan's criterion, not a setting: the file, no line (even under a key's name).
    assert regressed["runs"][0]["results"][0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": ".advisor.toml"}}
