"""Charts as inline SVG, drawn by our own code: no script, no network, readable in print.

Every function takes numbers and labels and returns one `<svg>` element as a string.
Labels are untrusted (tags, branch names): each goes through `_text` (XML-escaped)
and nothing else reaches the markup, so a label can only ever be text. The SVGs
scale to their container (`viewBox`, width 100%) and carry a `<title>` and
`role="img"` for screen readers.

Pure.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import datetime

WIDTH = 640
PALETTE = ("#3b6fb6", "#e0892b", "#4b9e5f", "#c2474f", "#7d5ba6", "#8c6d46")
INK, MUTED, GRID = "#222", "#666", "#ddd"


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _unit(value: float, unit: str) -> str:
    """A plural unit in the singular for exactly one: "1 commit", "1 branch", "2 branches"."""
    if value != 1 or not unit.endswith("s"):
        return unit
    return unit[:-2] if unit.endswith(("ches", "shes", "xes")) else unit[:-1]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(title: str, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'class="chart" preserveAspectRatio="xMidYMid meet"><title>{_text(title)}</title>')


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return float(step * exponent)
    return 10 * exponent


def _y_axis(top: int, bottom: int, left: int, right: int, maximum: float, unit: str) -> list[str]:
    parts = []
    for i in range(5):
        value = maximum * i / 4
        y = bottom - (bottom - top) * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">'
                     f'{_text(_num(value))}</text>')
    parts.append(f'<text x="{left}" y="14" font-size="11" fill="{MUTED}">{_text(unit)}</text>')  # above any bar
    return parts


def empty(title: str, message: str) -> str:
    return _open(title, 60) + (f'<text x="{WIDTH / 2}" y="34" text-anchor="middle" font-size="13" fill="{MUTED}">'
                               f'{_text(message)}</text></svg>')


def colour(index: int) -> str:
    """The colour of the index-th series (a legend drawn outside the chart matches it)."""
    return PALETTE[index % len(PALETTE)]


def stacked_bar(title: str, segments: Sequence[tuple[str, float, str]], *, legend: bool = True) -> str:
    """One horizontal bar split by share: (name, share 0..1, detail shown in the legend). Without `legend`
    the page writes the legend as text (readable on a phone, where the chart's own text shrinks)."""
    shown = [(name, share, detail) for name, share, detail in segments if share > 0]
    if not shown:
        return empty(title, "no changes measured")
    height = 70 + 22 * len(shown) if legend else 56
    parts = [_open(title, height)]
    x, left, span = 20.0, 20.0, WIDTH - 40.0
    for index, (name, share, _) in enumerate(shown):
        width = span * share
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="16" width="{max(width, 0.5):.1f}" height="30" fill="{colour}">'
                     f'<title>{_text(name)}: {share:.0%}</title></rect>')
        if width > 42:
            parts.append(f'<text x="{x + width / 2:.1f}" y="36" text-anchor="middle" font-size="12" fill="#fff">'
                         f'{share:.0%}</text>')
        x += width
    for index, (name, share, detail) in enumerate(shown if legend else []):
        y = 70 + 22 * index
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{left}" y="{y - 11}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{left + 18}" y="{y}" font-size="12" fill="{INK}">{_text(name)}: {share:.0%}'
                     f'{" (" + _text(detail) + ")" if detail else ""}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars(title: str, items: Sequence[tuple[str, float]], unit: str) -> str:
    """Vertical bars, one per (label, value), labels under the bars."""
    if not items:
        return empty(title, "nothing to show")
    height, top, bottom, left, right = 252, 36, 202, 48, WIDTH - 12  # room above the tallest bar's number
    maximum = _nice_max(max(value for _, value in items))
    parts = [_open(title, height), *_y_axis(top, bottom, left, right, maximum, unit)]
    slot = (right - left) / len(items)
    for index, (label, value) in enumerate(items):
        h = (bottom - top) * value / maximum
        x = left + slot * index + slot * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{PALETTE[0]}"><title>{_text(label)}: {_text(_num(value))} {_text(_unit(value, unit))}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11" '
                     f'fill="{INK}">{_text(label)}</text>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{bottom - h - 4:.1f}" text-anchor="middle" font-size="10" '
                     f'fill="{MUTED}">{_text(_num(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def timeline(title: str, points: Sequence[tuple[datetime, float, str]], unit: str) -> str:
    """Bars placed on a time axis: their spacing is the cadence, their height the size."""
    if not points:
        return empty(title, "no releases in the window")
    height, top, bottom, left, right = 240, 24, 190, 48, WIDTH - 16
    start, end = min(p[0] for p in points), max(p[0] for p in points)
    span = max((end - start).total_seconds(), 1.0)
    maximum = _nice_max(max(p[1] for p in points))
    parts = [_open(title, height), *_y_axis(top, bottom, left, right, maximum, unit)]
    bar = max(2.0, min(14.0, (right - left) / max(len(points), 1) * 0.6))
    for moment, value, label in points:
        x = left + (right - left - bar) * (moment - start).total_seconds() / span
        h = max((bottom - top) * value / maximum, 1.0)
        parts.append(f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                     f'fill="{PALETTE[1]}"><title>{_text(label)} ({moment:%Y-%m-%d}): {_text(_num(value))} '
                     f'{_text(_unit(value, unit))}</title></rect>')
    for fraction in (0.0, 0.5, 1.0):
        moment = datetime.fromtimestamp(start.timestamp() + span * fraction, start.tzinfo)
        x = left + (right - left) * fraction
        anchor = "start" if fraction == 0 else "end" if fraction == 1 else "middle"
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="{anchor}" font-size="11" fill="{INK}">'
                     f'{moment:%Y-%m-%d}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line(title: str, points: Sequence[tuple[str, float | None]], unit: str) -> str:
    """A line over labelled points (the trend); points without a value are skipped."""
    measured = [(label, value) for label, value in points if value is not None]
    if len(measured) < 2:
        return empty(title, "fewer than two snapshots measured it")
    height, top, bottom, left, right = 220, 24, 170, 48, WIDTH - 16
    maximum = _nice_max(max(value for _, value in measured))
    parts = [_open(title, height), *_y_axis(top, bottom, left, right, maximum, unit)]
    step = (right - left) / (len(measured) - 1)
    coords = [(left + step * i, bottom - (bottom - top) * value / maximum) for i, (_, value) in enumerate(measured)]
    parts.append(f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2.5" points="'
                 + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
    for (x, y), (label, value) in zip(coords, measured):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{PALETTE[0]}"><title>{_text(label)}: '
                     f'{_text(_num(value))} {_text(_unit(value, unit))}</title></circle>')
    for index in sorted({0, len(measured) // 2, len(measured) - 1}):
        anchor = "start" if index == 0 else "end" if index == len(measured) - 1 else "middle"
        parts.append(f'<text x="{coords[index][0]:.1f}" y="{bottom + 18}" text-anchor="{anchor}" font-size="11" '
                     f'fill="{INK}">{_text(measured[index][0])}</text>')
    parts.append("</svg>")
    return "".join(parts)
