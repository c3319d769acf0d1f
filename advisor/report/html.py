"""The HTML report: one self-contained page a person reads without the terminal.

`report_html(scan, plan, progress)` is the page of one repository (`progress_html` the page of
its history store alone, `advisor progress --format html`): the verdict with
its evidence, the flow table with DORA tiers, where the time goes (the value
stream), release cadence and size, branch lifetimes, live and long-lived
branches, the trend from the history store, and the plan's stages. Charts are
inline SVG drawn by `svg`; there is no script and nothing is fetched when the
page is viewed (a Content-Security-Policy says so to the browser too). It reads
on a phone (one column, tables scroll sideways) and prints (no background, no
page break inside a section).

Every value reaches the page through jinja2 with autoescape on, or through `svg`,
which escapes each label: a branch named `<script>` is shown as that text.

Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from advisor import __version__, escape
from advisor import progress as _progress
from advisor.metrics import work_branches
from advisor.model import STALE_DAYS, counted, human_days, human_hours
from advisor.recommend import Plan
from advisor.report import portfolio, svg
from advisor.report.common import day, empty_message, progress_sections, trend_labels
from advisor.report.terminal import flow_rows
from advisor.scan import Scan
from advisor.snapshot import MEASURES as _MEASURES

LIVE_ROWS = 200
LIFETIME_BUCKETS = ((1, "< 1 h"), (4, "1-4 h"), (24, "4-24 h"), (48, "1-2 d"), (168, "2-7 d"), (720, "1-4 wk"),
                    (None, "> 4 wk"))


def environment() -> jinja2.Environment:
    """The HTML templates under `templates/`, with autoescape on for every one of them."""
    folder = resources.files("advisor.templates")

    def load(name: str) -> str | None:
        item = folder.joinpath(name)
        return item.read_text(encoding="utf-8") if item.is_file() else None

    env = jinja2.Environment(loader=jinja2.FunctionLoader(load), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["clean"] = escape.one_line  # control and bidi characters out, before the HTML escaping
    env.filters["counted"] = counted  # "1 branch", "2 branches"
    return env


def _lifetime_histogram(scan: Scan) -> list[tuple[str, float]]:
    """The work branches the flow table's lifetime measures (`metrics.work_branches`), so the bars add up to
    its count: on a Gitflow repository they are the branches merged into develop, not into the trunk."""
    lifetimes = [e.lifetime_seconds / 3600 for e in work_branches(scan.history, scan.window)
                 if e.lifetime_seconds is not None]
    counts, lower = [], 0.0
    for limit, label in LIFETIME_BUCKETS:
        counts.append((label, float(sum(1 for h in lifetimes if lower <= h and (limit is None or h < limit)))))
        lower = float(limit or 0)
    return counts if any(count for _, count in counts) else []


def _value_stream(scan: Scan) -> tuple[str, list[dict[str, str]]]:
    """The bar, and its legend as text: (colour, stage, share, median) in the bar's order."""
    stages = [(stage.name, stage.share, f"median {human_hours(stage.hours.p50)} per change")
              for stage in scan.metrics.lead_time.stages]
    shown = [stage for stage in stages if stage[1] > 0]
    legend = [{"colour": svg.colour(index), "name": name, "share": f"{share:.0%}", "detail": detail}
              for index, (name, share, detail) in enumerate(shown)]
    return svg.stacked_bar("Where the time goes, first commit to release", stages, legend=False), legend


def _releases_chart(scan: Scan) -> str:
    points = [(r.at, float(r.new_commits), r.tag) for r in scan.history.releases
              if scan.window.contains(r.at) and not r.prerelease]
    return svg.timeline("Releases in the window: new commits in each", points, "commits")


def _trend(report: _progress.Report | None) -> dict[str, Any] | None:
    if report is None or not report.trend:
        return None
    labels = trend_labels(report.trend)
    charts = []
    for name in _progress.CHART_MEASURES:
        measure = _progress.measure_of(name)
        scale = 100.0 if measure.unit in ("share", "score") else 1.0
        unit = {"h": "hours", "d": "days", "share": "%", "score": "%"}.get(measure.unit, measure.unit)
        points = [(label, None if p.measures.get(name) is None else float(p.measures[name] or 0) * scale)
                  for label, p in zip(labels, report.trend)]
        title = f"{measure.label} ({measure.better} is better)"
        charts.append({"title": title, "svg": Markup(svg.line(title, points, unit))})  # the title shown above it
    rows = [{"label": label, "tip": p.trunk_tip[:12], "model": p.model, "stage": p.stage or "-",
             "cells": [_progress.format_value(p.measures.get(n), _progress.measure_of(n).unit)
                        for n, _ in _progress.TREND_MEASURES]}
            for label, p in zip(labels, report.trend)]
    return {"charts": charts, "rows": rows, "headers": [short for _, short in _progress.TREND_MEASURES],
            "snapshots": report.snapshots}


def _plan(plan: Plan | None) -> list[dict[str, Any]]:
    if plan is None:
        return []
    stages = []
    for number, stage in enumerate(plan.stages, 1):
        criteria = [{"name": c.name, "met": c.met, "current": _progress.criterion_value(c.current, c.unit),
                     "target": ("at most " if c.direction == "at-most" else "at least ")
                     + _progress.criterion_value(c.target, c.unit)} for c in stage.criteria]
        stages.append({"number": number, "title": stage.title, "goal": stage.goal, "status": stage.status.value,
                       "current": stage.id == plan.current_stage, "criteria": criteria,
                       "met": sum(1 for c in stage.criteria if c.met)})
    return stages


def _live(scan: Scan) -> list[dict[str, Any]]:
    reports = sorted((r for r in scan.live if not r.branch.merged),
                     key=lambda r: (r.stale, r.idle_days, r.branch.name))
    rows = []
    for report in reports[:LIVE_ROWS]:
        merge = report.merge
        conflicts: tuple[str, ...] = ()
        if merge is None or merge.clean is None:
            state = "not checked"
        elif merge.clean:
            state = "clean"
        else:
            state, conflicts = f"{len(merge.conflicts)} conflicting", merge.conflicts[:5]
        rows.append({"name": report.branch.name, "long_lived": report.branch.long_lived,
                     "ahead": report.branch.ahead, "behind": report.branch.behind,
                     "age": "-" if report.age_days is None else human_days(report.age_days),
                     "idle": human_days(report.idle_days), "stale": report.stale, "merge": state,
                     "conflicts": conflicts})
    return rows


def report_html(scan: Scan, plan: Plan | None = None, progress: _progress.Report | None = None,
                *, generated: datetime | None = None, name: str | None = None) -> str:
    """The report of one repository as one HTML document, titled `name` (how people call it: owner/name),
    else its path."""
    verdict, metrics, summary = scan.verdict, scan.metrics, scan.summary
    releases = scan.history.releases
    in_window = [r for r in releases if scan.window.contains(r.at)]
    context = {
        "version": __version__,
        "generated": generated or scan.scanned_at,
        "scan": scan,
        "name": name or scan.repo.path,
        "work_line": summary.work_line or scan.history.trunk.name,
        "window_note": scan.dormant.note if scan.dormant is not None else None,
        "verdict": verdict,
        "scores": sorted(verdict.scores.items(), key=lambda item: (-item[1], item[0])),
        "checks_passed": sum(c.passed for c in verdict.conformance.checks),
        "flow": flow_rows(scan),
        "constraint": metrics.lead_time.constraint_sentence,
        "value_stream": Markup(_value_stream(scan)[0]),
        "value_stream_legend": _value_stream(scan)[1],
        "releases_chart": Markup(_releases_chart(scan)),
        "releases": list(reversed(releases[-10:])),
        "releases_in_window": len(in_window),
        "lifetime_chart": Markup(svg.bars(f"Work branch lifetimes, first commit to merge into "
                                          f"{summary.work_line or scan.history.trunk.name}",
                                          _lifetime_histogram(scan), "branches")),
        "distributions": [
            ("lifetime (first commit to merge)", summary.lifetime_hours, human_hours),
            ("size (commits)", summary.size_commits, _plain),
            ("size (lines added + deleted)", summary.size_lines, _plain),
            ("behind the trunk at merge", summary.behind_at_merge, _plain),
        ],
        "live": _live(scan),
        "live_total": sum(1 for r in scan.live if not r.branch.merged),
        "stale_days": STALE_DAYS,
        "long_lived": scan.history.long_lived,
        "trend": _trend(progress),
        "plan": plan,
        "stages": _plan(plan),
        "first_steps": scan.first_steps,
    }
    return environment().get_template("report.html.j2").render(**context)


def progress_html(report: _progress.Report, where: str, name: str, *, generated: datetime | None = None) -> str:
    """`advisor progress --format html`: the history store's trend as one HTML document (the report's
    stylesheet, trend charts and escaping; no script). Dated by the latest snapshot, so the same history gives
    the same page."""
    latest = report.latest
    return environment().get_template("progress.html.j2").render(
        version=__version__, generated=generated or (latest.scanned_at if latest else None),
        report=report, where=where, name=name, latest=latest, baseline=report.baseline,
        stage=report.current_stage, empty=empty_message(where), sections=progress_sections(report),
        trend=_trend(report), measures=_MEASURES, value=_progress.format_value, change=_progress.format_change,
        criterion_value=_progress.criterion_value, day=day, MET=_progress.CriterionChange.MET,
        REGRESSED=_progress.CriterionChange.REGRESSED)


def _plain(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"



def fleet_html(rows: Sequence[portfolio.Row]) -> str:
    """The fleet portfolio as one HTML document."""
    return environment().get_template("fleet.html.j2").render(**portfolio.context(rows))
