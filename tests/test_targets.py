"""Numbers people say: quantities with their units, targets stepped along rungs."""

from __future__ import annotations

from advisor import targets


def test_targets_step_down_rungs_people_say() -> None:
    # p90 lifetime 21 days -> 7 days -> 2 days -> 1 day: each step is the next rung below.
    assert targets.step_down(21 * 24, 24, "h") == 7 * 24
    assert targets.step_down(7 * 24, 24, "h") == 48 and targets.step_down(48, 24, "h") == 24
    assert targets.step_down(30, 24, "h") == 24 and targets.step_down(10, 24, "h") == 24
    assert targets.step_down(45, 7, "days") == 30 and targets.step_down(100, 3) == 50
    assert targets.step_up(0.1, 1) == 0.6 and targets.step_up(2, 1) == 1
    # Whole things get whole targets (curl: 11 active branches read "at most 5.5"), release sizes the next rung.
    assert targets.step_down(11, 3) == 5 and targets.step_down(7, 3) == 3 and targets.step_down(5, 0) == 2
    assert targets.step_down(495, 10, "changes") == 250 and targets.step_down(40, 10, "changes") == 25


def test_quantities_are_said_the_way_people_say_them() -> None:
    assert targets.quantity(468.6, "h") == "20 days"
    assert targets.quantity(30, "h") == "30 h" and targets.quantity(24, "h") == "24 h"
    assert targets.quantity(1, "changes") == "1 change" and targets.quantity(2, "changes") == "2 changes"
    assert targets.quantity(1, "days") == "1 day" and targets.quantity(0.25, "per day") == "0.2 per day"
    assert targets.quantity(None, "h") == "not measured" and targets.quantity(12.5, "%") == "12 %"
