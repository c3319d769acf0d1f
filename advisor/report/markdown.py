"""The progress report as GitHub Markdown: tables, and Mermaid xychart-beta trend charts."""

from __future__ import annotations

from typing import Any

from advisor import progress as _progress
from advisor.markdown import environment as _environment
from advisor.report.common import day, empty_message, progress_sections, trend_labels
from advisor.snapshot import MEASURES as _MEASURES


def _chart(report: _progress.Report, name: str) -> dict[str, Any] | None:
    measure = _progress.measure_of(name)
    labels = trend_labels(report.trend)
    points = [(label, p.measures.get(name)) for label, p in zip(labels, report.trend)]
    measured = [(label, value) for label, value in points if value is not None]
    if len(measured) < 2:
        return None
    scale = 100.0 if measure.unit in ("share", "score") else 1.0
    unit = {"h": "hours", "d": "days", "share": "%", "score": "%", "rate": "rate", "count": "count"}[measure.unit]
    return {
        "title": f"{measure.label} ({unit}, {measure.better} is better)",
        "labels": [label for label, _ in measured],
        "values": [f"{value * scale:.2f}".rstrip("0").rstrip(".") for _, value in measured],
        "unit": unit,
    }


def progress_markdown(report: _progress.Report, where: str) -> str:
    """The progress report as GitHub Markdown: tables, and Mermaid xychart-beta trend charts."""
    template = _environment().get_template("progress.md.j2")
    fv = _progress.format_value
    return template.render(
        report=report,
        where=where,
        empty=empty_message(where),
        sections=progress_sections(report),
        trend_rows=list(zip(trend_labels(report.trend), report.trend)),
        charts=[chart for name in _progress.CHART_MEASURES if (chart := _chart(report, name)) is not None],
        trend_measures=[(_progress.measure_of(n), short) for n, short in _progress.TREND_MEASURES],
        measures=_MEASURES,
        value=fv,
        change=_progress.format_change,
        criterion_value=_progress.criterion_value,
        day=day,
        MET=_progress.CriterionChange.MET,
        REGRESSED=_progress.CriterionChange.REGRESSED,
    )
