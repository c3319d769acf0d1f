"""Numbers people say: a measured value with its unit, and the next target a plan steps down (or up) to.

A plan's targets are read aloud in stand-ups: "branches merge within 2 days", not
"within 47.3 h". So targets step along rungs (21 days -> 7 -> 2 -> 1), whole things
get whole targets, and values are rounded the way people round them.
"""

from __future__ import annotations


def nice(value: float) -> float:
    """A number people say: whole above 10, one decimal below."""
    if abs(value) >= 10:
        return float(round(value))
    return round(value, 1)


def quantity(value: float | None, unit: str) -> str:
    """A value with its unit as people say it: hours past 48 as days, round numbers, "1 change", "2 changes"."""
    if value is None:
        return "not measured"
    if unit == "h" and value > 48:
        value, unit = value / 24, "days"
    shown = nice(value)
    text = f"{shown:g}"
    if unit == "%":
        return f"{text} %"
    if not unit:
        return text
    if unit.endswith("s") and shown == 1 and unit not in ("per day",):
        unit = unit[:-1]
    return f"{text} {unit}"


# Targets step down these rungs (21 days -> 7 -> 2 -> 1), so each step is a number people say.
_LADDERS = {"h": (24.0 * 30, 24.0 * 7, 48.0, 24.0, 12.0, 4.0, 1.0),
            "days": (90.0, 60.0, 30.0, 14.0, 7.0, 2.0, 1.0),
            "lines": (2000.0, 1000.0, 500.0, 225.0, 100.0),
            "changes": (1000.0, 500.0, 250.0, 100.0, 50.0, 25.0, 10.0)}
_COUNTS = ("", "checks")  # whole things (branches, lines, checks): a target of 5.5 branches is nobody's number


def step_down(current: float, ideal: float, unit: str = "") -> float:
    """The next target where less is better: the next rung below the current value, never past the ideal."""
    if current <= ideal:
        return ideal
    rungs = [r for r in _LADDERS.get(unit, ()) if ideal <= r < current]
    if rungs:
        return max(rungs)
    if unit in _COUNTS:
        return max(ideal, float(int(current // 2)))
    return max(ideal, nice(current / 2))


def step_up(current: float, ideal: float) -> float:
    """The next target where more is better: half-way from the current value to the ideal."""
    return ideal if current >= ideal else nice(current + (ideal - current) / 2)
