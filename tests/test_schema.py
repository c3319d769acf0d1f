"""The JSON Schema of `advisor scan --format json`: up to date, valid, shipped, and true of real scans."""

from __future__ import annotations

import copy
import fnmatch
import importlib.resources
import importlib.util
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer.main
from jsonschema import Draft202012Validator, FormatChecker
from typer.testing import CliRunner

from advisor import cli, pipeline
from advisor.history import HistoryOptions
from advisor.report import jsonout
from tests import scenarios
from tests.builders import ALICE, BOB, RepoBuilder

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
SINCE = datetime(2023, 1, 1, tzinfo=timezone.utc)


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_schema", ROOT / "scripts" / "gen_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_schema = _load_generator()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "advisor" / "schemas" / "scan.schema.json").read_text(encoding="utf-8"))
    return loaded


# jsonschema checks "date-time" only with an optional package installed; RFC 3339 by hand instead.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.IGNORECASE)
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    datetime.fromisoformat(value)  # a real date and time, not 2024-02-31
    return True


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FORMATS)


def errors_of(validator: Draft202012Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


# ---------------------------------------------------------------------------
# (a) up to date, (b) a valid schema, shipped


def test_checked_in_files_are_up_to_date() -> None:
    for path, wanted in gen_schema.outputs().items():
        assert path.read_text(encoding="utf-8") == wanted, (
            f"{path.relative_to(ROOT)} is out of date: run python scripts/gen_schema.py")


def test_check_mode_reports_a_stale_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "scan.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(gen_schema, "outputs", lambda: {stale: gen_schema.schema_text()})
    monkeypatch.setattr(gen_schema, "ROOT", tmp_path)
    assert gen_schema.main(["--check"]) == 1
    assert "+++ scan.schema.json (generated)" in capsys.readouterr().out
    assert stale.read_text(encoding="utf-8") == "{}\n"  # --check never writes


def test_output_is_deterministic() -> None:
    text = gen_schema.schema_text()
    assert text == gen_schema.schema_text()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "properties" in node:
            yield node
        for value in node.values():
            yield from objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects(value)


def test_every_object_is_closed_and_every_property_required_and_described(schema: dict[str, Any]) -> None:
    found = list(objects(schema))
    assert len(found) == len(schema["$defs"]) + 1
    for node in found:
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])
        for name, prop in node["properties"].items():
            assert prop["description"].strip(), name


def test_schema_ships_in_the_package() -> None:
    shipped = importlib.resources.files("advisor") / "schemas" / "scan.schema.json"
    assert shipped.is_file()
    assert shipped.read_text(encoding="utf-8") == gen_schema.schema_text()
    # and a wheel would carry it: the package-data globs of pyproject.toml match the file
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["advisor"]
    assert any(fnmatch.fnmatch("schemas/scan.schema.json", pattern) for pattern in patterns)


# ---------------------------------------------------------------------------
# (c) real scans validate


def assorted(path: Path) -> None:
    """What the model simulators lack: a revert, a clock-skewed episode, live branches (stale,
    conflicting, merged-but-not-deleted), an octopus merge and a pre-release tag."""
    b = RepoBuilder(path)
    b.commit(files={"shared.txt": "base\n"}, at=0)
    bad = b.commit(at=1)
    b.commit(f'Revert "Change 2"\n\nThis reverts commit {bad}.', at=2, author=BOB)
    b.branch("skewed")
    b.commit(branch="skewed", at=datetime(2030, 1, 1, tzinfo=timezone.utc), committed_at=3)
    b.merge("skewed", at=4, delete=True)
    for name in ("octo-a", "octo-b"):
        b.branch(name)
        b.commit(branch=name, at=5)
    b.commit(message="Merge branches 'octo-a' and 'octo-b'", at=6,
             parents=[b.tip("main"), b.tip("octo-a"), b.tip("octo-b")], tree_from=b.tip("octo-b"))
    b.tag("v1.0.0-rc1", annotated=True, at=7)
    b.branch("old-idea")
    b.commit(branch="old-idea", at=8, author=BOB)
    b.branch("conflicting")
    b.commit(branch="conflicting", files={"shared.txt": "theirs\n"}, at=9)
    b.commit(files={"shared.txt": "ours\n"}, at=10)
    b.branch("done")
    b.tag("v1.0.0", annotated=True, at=11)
    b.commit(at=datetime(2024, 5, 30, tzinfo=timezone.utc), author=ALICE)


SCENARIOS: dict[str, Callable[[Path], object]] = {
    "gitflow": scenarios.gitflow,
    "github_flow": scenarios.github_flow,
    "trunk_squash": scenarios.trunk_squash,
    "trunk_rebase": scenarios.trunk_rebase,
    "trunk_direct": scenarios.trunk_direct,
    "release_branching": scenarios.release_branching,
    "environment_branches": scenarios.environment_branches,
    "assorted": assorted,
}


def scan_document(path: Path) -> Any:
    result = pipeline.run_scan(pipeline.ScanRequest(path=path, now=NOW, options=HistoryOptions(), since=SINCE))
    return json.loads(jsonout.scan_json(result))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_real_scans_validate(name: str, repo_path: Path, validator: Draft202012Validator) -> None:
    SCENARIOS[name](repo_path)
    document = scan_document(repo_path)
    assert errors_of(validator, document) == []
    assert document["history"]["episodes"]


def test_the_assorted_repository_exercises_the_optional_fields(repo_path: Path) -> None:
    assorted(repo_path)
    document = scan_document(repo_path)
    episodes = document["history"]["episodes"]
    assert any(e["lifetime_seconds"] is None for e in episodes)  # clock skew
    assert any(":" in e["id"] for e in episodes)  # octopus
    assert document["history"]["reverts"][0]["reverted_found"] is True
    assert any(r["prerelease"] for r in document["history"]["releases"])
    live = {r["branch"]["name"]: r for r in document["live"]}
    assert live["old-idea"]["stale"] and live["old-idea"]["merge"]["clean"] is True
    assert live["conflicting"]["merge"] == {"branch": "conflicting", "clean": False, "conflicts": ["shared.txt"]}
    assert live["done"]["branch"]["merged"] and live["done"]["merge"] is None
    assert live["done"]["branch"]["forked_at"] is None and live["done"]["age_days"] is None


def test_the_cli_json_validates(repo_path: Path, validator: Draft202012Validator) -> None:
    scenarios.gitflow(repo_path)
    result = CliRunner().invoke(cli.app, ["scan", str(repo_path), "--format", "json", "--no-cache",
                                          "--since", "2023-01-01"])
    assert result.exit_code == 0, result.stderr
    assert errors_of(validator, json.loads(result.stdout)) == []


# ---------------------------------------------------------------------------
# (d) wrong documents fail


@pytest.fixture(scope="module")
def gitflow_document(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("schema") / "gitflow"
    scenarios.gitflow(path)
    return scan_document(path)


def mutated(document: Any, change: Callable[[Any], None]) -> Any:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


@pytest.mark.parametrize(("what", "change", "message"), [
    ("unknown top-level key", lambda d: d.update(extra=1), "Additional properties are not allowed"),
    ("unknown key in an episode", lambda d: d["history"]["episodes"][0].update(commits=[]),
     "Additional properties are not allowed"),
    ("wrong enum value", lambda d: d["history"]["episodes"][0].update(method="octopus"), "is not one of"),
    ("wrong trunk rule", lambda d: d["history"]["trunk"].update(rule="guessed"), "is not one of"),
    ("missing key", lambda d: d["summary"].pop("methods"), "is a required property"),
    ("wrong type", lambda d: d["repo"].update(commits="12"), "is not of type 'integer'"),
    ("null where not allowed", lambda d: d["history"]["episodes"][0].update(merged_at=None),
     "is not of type 'string'"),
    ("not a date-time", lambda d: d.update(scanned_at="yesterday"), "is not a 'date-time'"),
    ("a date-time without its zone", lambda d: d["window"].update(since="2024-01-01T00:00:00"),
     "is not a 'date-time'"),
    ("other schema version", lambda d: d.update(schema_version=2), "was expected"),
    ("unknown merge method key", lambda d: d["summary"]["methods"].update(octopus=1), "is not one of"),
    ("unknown model", lambda d: d["verdict"].update(model="cactus"), "is not one of"),
])
def test_wrong_documents_fail(gitflow_document: Any, validator: Draft202012Validator, what: str,
                              change: Callable[[Any], None], message: str) -> None:
    assert errors_of(validator, gitflow_document) == []
    errors = errors_of(validator, mutated(gitflow_document, change))
    assert errors, what
    assert any(message in error for error in errors), errors


# ---------------------------------------------------------------------------
# docs/scan.md


def test_docs_name_every_schema_property(schema: dict[str, Any]) -> None:
    docs = (ROOT / "docs" / "scan.md").read_text(encoding="utf-8")
    names = {name for node in objects(schema) for name in node["properties"]}
    missing = sorted(name for name in names if f"`{name}`" not in docs)
    assert missing == []
    for record in schema["$defs"]:
        assert re.search(rf"^### {record}$", docs, re.MULTILINE), record


def test_docs_document_every_scan_option() -> None:
    docs = (ROOT / "docs" / "scan.md").read_text(encoding="utf-8")
    group = typer.main.get_command(cli.app)
    scan_command = group.commands["scan"]  # type: ignore[attr-defined]
    for param in [*scan_command.params, *group.params]:
        for option in [*param.opts, *param.secondary_opts]:
            if option.startswith("-"):
                assert f"`{option}" in docs, option


def test_the_json_example_in_the_docs_matches_the_schema(schema: dict[str, Any]) -> None:
    """The example is trimmed at the top (metrics, most of the verdict, some of history), but every
    record it shows is whole: a field added or renamed since it was pasted fails here."""
    docs = (ROOT / "docs" / "scan.md").read_text(encoding="utf-8")
    example = json.loads(docs.split("```json\n", 1)[1].split("\n```", 1)[0])
    trimmed = copy.deepcopy(schema)
    for record in (trimmed, trimmed["$defs"]["History"], trimmed["$defs"]["Verdict"]):
        record["required"] = []
    validator = Draft202012Validator(trimmed, format_checker=FORMATS)
    assert errors_of(validator, example) == []
    assert example["history"]["episodes"] and example["live"]
