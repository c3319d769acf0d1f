"""`advisor check` as SARIF 2.1.0, for GitHub code scanning and any other SARIF reader.

Each finding is a result: a criterion that held and regressed (`regressed/<criterion
id>`), a configured threshold crossed (`threshold/<key>`), or a threshold that could
not be checked (`unmeasured/<key>`, a note). A failing finding is an `error`, a
regression the settings let pass (`fail_on_regression = false`) a `warning`. The
evidence (values, dates, the stage, where the threshold is set) is in each result's
`properties.evidence` and in its message. SARIF wants a location in the repository:
the settings file that configures the gate (`.advisor.toml` or `pyproject.toml`),
which is where a team changes a threshold: a threshold's result points at the line
of its own key there, a regression at the file alone. `partialFingerprints` stay the same
from run to run for the same finding, so code scanning tracks one alert per
criterion or threshold instead of opening a new one each day.

Validated against the OASIS schema (tests/sarif/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from advisor import escape
from advisor.progress import Finding

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_RULES = {
    "regressed": ("CriterionRegressed", "An exit criterion of the migration plan that held has regressed.",
                  "A criterion of the current or an earlier stage of the plan held in the previous snapshot and "
                  "does not hold in the latest: the team is moving away from the target again."),
    "threshold": ("ThresholdCrossed", "A flow measure crossed a threshold set in the repository's settings.",
                  "The latest snapshot's measure is beyond the limit the repository's .advisor.toml or "
                  "pyproject.toml sets for it."),
    "unmeasured": ("ThresholdNotChecked", "A configured threshold could not be checked.",
                   "The latest scan does not measure what the threshold limits (for example, no releases in "
                   "the window), so the threshold was not checked."),
}


def _rule_id(finding: Finding) -> str:
    return f"{finding.kind}/{finding.subject}"


def _level(finding: Finding) -> str:
    if finding.failed:
        return "error"
    return "warning" if finding.kind == "regressed" else "note"


def _location(anchor: str, line: int | None) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": anchor}}
    if line is not None:
        location["region"] = {"startLine": line}
    return location


def check_sarif(findings: Sequence[Finding], *, tool_version: str, anchor: str,
                lines: Mapping[str, int] | None = None) -> str:
    """The findings of one `advisor check` as a SARIF log (one run); `anchor` is the repository-relative
    path of the file results point at, `lines` the line of `anchor` that sets each threshold key.
    A threshold's result points at its own line; a regression (the plan's criterion, not a setting)
    and a threshold whose line is unknown point at the file alone."""
    lines = lines or {}
    reported = [f for f in findings if f.kind in _RULES]
    rule_ids = sorted({_rule_id(f) for f in reported})
    rules = []
    for rule_id in rule_ids:
        kind, _, subject = rule_id.partition("/")
        name, short, full = _RULES[kind]
        rules.append({
            "id": rule_id,
            "name": name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": f"{full} ({subject})"},
            "help": {"text": "docs/progress.md (advisor check) explains each finding and setting."},
            "defaultConfiguration": {"level": "error" if kind != "unmeasured" else "note"},
            "properties": {"tags": ["advisor", "trunk-based-development", kind]},
        })
    results: list[dict[str, Any]] = []
    for finding in reported:
        rule_id = _rule_id(finding)
        evidence = {name: value for name, value in finding.evidence}
        stable = {name: value for name, value in finding.evidence if name not in ("value", "now", "snapshot", "then",
                                                                                    "held on")}
        fingerprint = hashlib.sha256(json.dumps([rule_id, stable], sort_keys=True).encode()).hexdigest()[:32]
        results.append({
            "ruleId": rule_id,
            "ruleIndex": rule_ids.index(rule_id),
            "level": _level(finding),
            "kind": "fail" if finding.kind != "unmeasured" else "review",
            "message": {"text": escape.one_line(finding.text)},
            "locations": [{"physicalLocation": _location(anchor, lines.get(finding.subject)
                                                         if finding.kind in ("threshold", "unmeasured") else None)}],
            "partialFingerprints": {"advisorFinding/v1": fingerprint},
            "properties": {"evidence": evidence},
        })
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "advisor", "version": tool_version, "semanticVersion": tool_version,
                                "rules": rules}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"  # each control or bidi character a \\u escape
