"""Progress between snapshots of a repository that evolves: deltas, directions, criteria, stages, trend, check.

The Markdown and text reports are compared with golden files under
tests/golden/; after a deliberate change `python scripts/update_golden.py` rewrites them (tests only compare).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from advisor import config, progress, snapshot
from advisor.progress import CriterionChange, Direction, Threshold
from advisor.report import jsonout, markdown, terminal
from tests import evolving

GOLDEN = Path(__file__).resolve().parent / "golden"
WHERE = "docs/branching/history"


@pytest.fixture(scope="module")
def snaps(tmp_path_factory: pytest.TempPathFactory) -> list[snapshot.Snapshot]:
    return evolving.snapshots(tmp_path_factory.mktemp("evolving") / "repo")


def deltas_of(comparison: progress.Comparison) -> dict[str, progress.Delta]:
    return {d.measure: d for d in comparison.deltas}


def test_the_move_off_gitflow_reads_as_better_since_the_baseline(snaps: list[snapshot.Snapshot]) -> None:
    result = progress.report(snaps[:3])
    assert result.snapshots == 3
    assert result.baseline is not None and result.baseline.model == "gitflow"
    assert result.latest is not None and result.latest.model == "trunk-based"
    since = result.since_baseline
    assert since is not None and since.model_changed
    deltas = deltas_of(since)
    for name in ("branch_lifetime_p50_hours", "release_interval_p50_days", "lead_time_p50_hours",
                 "stale_branches", "long_lived_lines"):
        assert deltas[name].direction is Direction.BETTER, name
        assert deltas[name].change is not None and deltas[name].change < 0
    for name in ("releases_per_week", "merged_within_a_day", "conformance_score"):
        assert deltas[name].direction is Direction.BETTER, name
        assert deltas[name].change is not None and deltas[name].change > 0
    assert deltas["active_branches"].direction is Direction.SAME
    assert deltas["restore_p50_hours"].direction is Direction.SAME  # unmeasured on both sides
    met = {c.id for c in since.criteria if c.change is CriterionChange.MET}
    # Targets step down rungs people say (2 days, then 1), so the later stages' first steps are not met yet.
    assert {"stop-adding-wip.stale-branches", "shrink-batches.lifetime", "shrink-batches.merged-within-a-day",
            "collapse-lines.lines-active", "collapse-lines.no-integration-line"} <= met
    # The team has no CI configuration: the one stage still open.
    assert not result.plan_done and result.current_stage is not None and result.current_stage.id == "automate"


def test_criteria_that_became_true_since_the_previous_scan(snaps: list[snapshot.Snapshot]) -> None:
    result = progress.report(snaps[:2])
    assert result.since_previous is not None
    changes = {c.id: c.change for c in result.since_previous.criteria}
    assert set(changes.values()) == {CriterionChange.MET}
    assert {"stop-adding-wip.stale-branches", "shrink-batches.lifetime"} <= set(changes)
    stages = {s.id: (s.before, s.after) for s in result.since_previous.stages}
    assert stages["stop-adding-wip"] == ("current", "done") and stages["automate"] == ("later", "current")
    assert result.current_stage is not None and result.current_stage.id == "automate"
    assert [c.id for c in result.current_stage.open] == ["automate.ci-configured", "automate.pr-checks"]


def test_a_regression_is_reported_and_the_stage_reopens(snaps: list[snapshot.Snapshot]) -> None:
    result = progress.report(snaps)
    assert result.since_previous is not None
    regressed = [c for c in result.since_previous.criteria if c.change is CriterionChange.REGRESSED]
    assert [(c.id, c.before, c.current) for c in regressed] == [("stop-adding-wip.active-branches", 0.0, 5.0)]
    assert deltas_of(result.since_previous)["active_branches"].direction is Direction.WORSE
    assert result.current_stage is not None and result.current_stage.id == "stop-adding-wip"
    assert not result.plan_done


def test_trend_has_one_point_per_snapshot_in_order(snaps: list[snapshot.Snapshot]) -> None:
    result = progress.report(snaps)
    assert [p.at for p in result.trend] == [evolving.SCANS[name] for name in "ABCD"]
    assert [p.stage for p in result.trend] == ["stop-adding-wip", "automate", "automate", "stop-adding-wip"]
    lifetimes = progress.series(result.trend, "branch_lifetime_p50_hours")
    assert len(lifetimes) == 4 and lifetimes[0][1] > lifetimes[-1][1]


def test_zero_and_one_snapshot(snaps: list[snapshot.Snapshot]) -> None:
    empty = progress.report([])
    assert empty.snapshots == 0 and empty.latest is None and empty.trend == ()
    assert "No snapshots in" in terminal.progress_text(empty, WHERE)
    assert "No snapshots in" in markdown.progress_markdown(empty, WHERE)
    one = progress.report(snaps[:1])
    assert one.since_previous is None and one.since_baseline is None
    assert one.baseline == one.latest
    text = terminal.progress_text(one, WHERE)
    assert "One snapshot: it is the baseline" in text
    assert "Since the previous scan" not in text


@pytest.mark.parametrize(("better", "before", "after", "expected"), [
    ("lower", 10.0, 5.0, Direction.BETTER),
    ("lower", 5.0, 10.0, Direction.WORSE),
    ("higher", 5.0, 10.0, Direction.BETTER),
    ("higher", 10.0, 5.0, Direction.WORSE),
    ("lower", 1.0, 1.0 + 1e-9, Direction.SAME),
    ("lower", None, 1.0, Direction.UNKNOWN),
    ("lower", 1.0, None, Direction.UNKNOWN),
    ("lower", None, None, Direction.SAME),
])
def test_direction(better: str, before: float | None, after: float | None, expected: Direction) -> None:
    measure = dataclasses.replace(snapshot.BY_NAME["active_branches"], better=better)
    assert progress.direction(measure, before, after) is expected


def test_check_fails_on_a_regressed_criterion_only_when_asked(snaps: list[snapshot.Snapshot]) -> None:
    findings = progress.check(snaps, ())
    assert [f.kind for f in findings] == ["regressed"] and findings[0].failed
    assert findings[0].text.startswith("regressed: stop-adding-wip.active-branches (active branches) held on "
                                       "2024-05-13 (0) and does not now (5; the target is at most 3)")
    assert not progress.check(snaps, (), fail_on_regression=False)[0].failed
    assert progress.check(snaps[:3], ()) == ()
    assert progress.check([], ()) == ()


def test_check_thresholds(snaps: list[snapshot.Snapshot]) -> None:
    thresholds = (
        Threshold(key="max_active_branches", measure="active_branches", bound="max", limit=3, source=".advisor.toml"),
        Threshold(key="min_releases_per_week", measure="releases_per_week", bound="min", limit=1,
                  source=".advisor.toml"),
        Threshold(key="max_lead_time_hours", measure="lead_time_p50_hours", bound="max", limit=24,
                  source=".advisor.toml"),
        Threshold(key="max_change_failure_rate", measure="change_failure_rate", bound="max", limit=0.1,
                  source=".advisor.toml"),
    )
    findings = progress.check(snaps[:3], thresholds)
    assert [f.text for f in findings] == [
        "threshold: lead time p50 is 28.0 h, above max_lead_time_hours = 24.0 h in .advisor.toml",
    ]
    latest = dataclasses.replace(snaps[2], measures={**snaps[2].measures, "change_failure_rate": None})
    unmeasured = progress.check([latest], thresholds[3:])
    assert [(f.kind, f.failed) for f in unmeasured] == [("unmeasured", False)]
    assert progress.check(snaps[:1], thresholds[:1]) == ()  # one snapshot: thresholds apply, none is crossed
    crowded = dataclasses.replace(snaps[0], measures={**snaps[0].measures, "active_branches": 4.0})
    assert [f.kind for f in progress.check([crowded], thresholds[:1])] == ["threshold"]


def test_json_document_is_versioned_and_complete(snaps: list[snapshot.Snapshot]) -> None:
    document = jsonout.progress_document(progress.report(snaps))
    assert document["kind"] == "advisor-progress" and document["version"] == jsonout.PROGRESS_FORMAT
    assert len(document["trend"]) == 4
    assert {d["direction"] for d in document["since_baseline"]["deltas"]} <= {"better", "worse", "same", "unknown"}
    assert {m["name"] for m in document["measures"]} == set(snapshot.BY_NAME)


def test_markdown_has_mermaid_trend_charts_and_tables(snaps: list[snapshot.Snapshot]) -> None:
    text = markdown.progress_markdown(progress.report(snaps), WHERE)
    assert text.count("```mermaid\nxychart-beta") == 4
    html = MarkdownIt("gfm-like").render(text)
    assert html.count("<table>") == 3  # since previous, since baseline, snapshots


def test_untrusted_names_stay_literal_in_markdown(snaps: list[snapshot.Snapshot]) -> None:
    hostile = "<script>alert(1)</script> [x](https://evil.example) | # `tick`"
    assert snaps[-1].plan is not None
    stages = tuple(dataclasses.replace(stage, title=hostile, criteria=tuple(
        dataclasses.replace(c, name=hostile) for c in stage.criteria)) for stage in snaps[-1].plan.stages)
    latest = dataclasses.replace(snaps[-1], trunk=hostile, plan=dataclasses.replace(snaps[-1].plan, stages=stages))
    text = markdown.progress_markdown(progress.report([*snaps[:-1], latest]), hostile)
    html = MarkdownIt("gfm-like").render(text)
    assert "<script>" not in html and "<a href" not in html
    assert "\x1b" not in terminal.progress_text(progress.report([*snaps[:-1], latest]), "x\x1b[2J")


def golden_outputs(snaps: list[snapshot.Snapshot]) -> dict[str, str]:
    """tests/golden/<name> -> what it must hold (scripts/update_golden.py writes these)."""
    return {
        "progress.md": markdown.progress_markdown(progress.report(snaps), WHERE),
        "progress.txt": terminal.progress_text(progress.report(snaps), WHERE),
        "progress-baseline.txt": terminal.progress_text(progress.report(snaps[:1]), WHERE),
    }


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    assert path.exists(), f"{path} is missing: run python scripts/update_golden.py to write it"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs: python scripts/update_golden.py rewrites it"


@pytest.mark.parametrize("name", ["progress.md", "progress.txt", "progress-baseline.txt"])
def test_golden_progress(snaps: list[snapshot.Snapshot], name: str) -> None:
    golden(name, golden_outputs(snaps)[name])


DOCS = Path(__file__).resolve().parent.parent / "docs" / "progress.md"
BEGIN, END = "<!-- BEGIN progress-example -->\n\n```text\n", "```\n\n<!-- END progress-example -->"


def test_docs_show_the_golden_report_as_their_example(snaps: list[snapshot.Snapshot]) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    actual = terminal.progress_text(progress.report(snaps), WHERE)
    assert docs.split(BEGIN, 1)[1].split(END, 1)[0] == actual, "python scripts/update_golden.py rewrites it"


def test_docs_check_example_is_what_check_prints(snaps: list[snapshot.Snapshot]) -> None:
    settings = config.parse({".advisor.toml": "max_active_branches = 3\nmax_lead_time_hours = 24\n"})
    lines = [f.text for f in progress.check(snaps, settings.thresholds)]
    assert "\n".join(lines) + "\nadvisor check: 3 problems" in DOCS.read_text(encoding="utf-8")


def test_docs_define_every_measure() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for measure in snapshot.MEASURES:
        assert f"| `{measure.name}` | {measure.label} |" in docs, measure.name


values = st.one_of(st.none(), st.floats(min_value=0, max_value=1e6, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(values, min_size=len(snapshot.MEASURES), max_size=len(snapshot.MEASURES)),
       st.lists(values, min_size=len(snapshot.MEASURES), max_size=len(snapshot.MEASURES)))
def test_swapping_two_snapshots_swaps_better_and_worse(before: list[float | None], after: list[float | None]) -> None:
    base = evolving_free_snapshot()
    one = dataclasses.replace(base, measures=dict(zip(snapshot.BY_NAME, before)))
    two = dataclasses.replace(base, measures=dict(zip(snapshot.BY_NAME, after)))
    forward, backward = progress.compare(one, two), progress.compare(two, one)
    assert forward.better == backward.worse and forward.worse == backward.better
    assert len(forward.deltas) == len(snapshot.MEASURES)
    for delta in forward.deltas:
        if delta.direction is Direction.BETTER:
            assert delta.change is not None and (delta.change < 0) == (delta.better == "lower")


def test_a_change_within_the_tolerance_reads_the_same_both_ways() -> None:
    # Found by the property above: 999999 -> 1000000 read "same", 1000000 -> 999999 read "better".
    measure = snapshot.MEASURES[0]
    edge = progress.EPSILON * 1e6
    for before, after in ((1e6 - edge, 1e6), (1e6, 1e6 - edge)):
        assert progress.direction(measure, before, after) is Direction.SAME


def evolving_free_snapshot() -> snapshot.Snapshot:
    moment = evolving.SCANS["A"]
    return snapshot.Snapshot(version=snapshot.VERSION, tool_version="0", scanned_at=moment, since=moment,
                             until=moment, repo="r", trunk="main", trunk_tip="0" * 40, model="m", confidence="c",
                             measures={}, plan=None, metrics={}, verdict={})


def test_criterion_values_are_rounded_for_people() -> None:
    assert progress.criterion_value(41.5925, "h") == "41.6 h"
    assert progress.criterion_value(0.55, "per day") == "0.55 per day"
    assert progress.criterion_value(87.5, "%") == "87.5%"
    assert progress.criterion_value(None, "h") == "not measured"


def test_a_small_change_shows_the_digit_that_moved_not_zero() -> None:
    """git/git's integrations per working day went 3.933 -> 3.930 between two monthly snapshots: the
    table said "-0.00 worse", which reads as a mistake. Each change shows at least its first digit."""
    base = evolving_free_snapshot()
    values = {"integrations_per_working_day": (3.933, 3.930), "merged_within_a_day": (0.040, 0.043),
              "branch_lifetime_p50_hours": (10.0, 10.01), "release_interval_p50_days": (59.0, 71.0),
              "active_branches": (2, 4)}
    one = dataclasses.replace(base, measures={name: before for name, (before, _) in values.items()})
    later = base.until + timedelta(days=30)
    two = dataclasses.replace(base, scanned_at=later, until=later,
                              measures={name: after for name, (_, after) in values.items()})
    shown = {d.measure: (progress.format_change(d), d.direction) for d in progress.compare(one, two).deltas
             if d.measure in values}
    assert shown == {
        "integrations_per_working_day": ("-0.003", Direction.WORSE),
        "merged_within_a_day": ("+0.3 pp", Direction.BETTER),
        "branch_lifetime_p50_hours": ("+0.01 h", Direction.WORSE),
        "release_interval_p50_days": ("+12.0 d", Direction.WORSE),
        "active_branches": ("+2", Direction.WORSE),
    }
    text = terminal.progress_text(progress.report([one, two]), WHERE)
    assert "-0.00 " not in text and "-0.003" in text and "+0.3 pp" in text
