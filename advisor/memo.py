"""A one-entry memo keyed by the identity of a function's only argument.

Some facts of a reconstructed history are asked for once per window (the quarters, the halves,
the flow table) or once per report, and each is a pass over every episode. A `History` holds
tuples of a hundred thousand records: hashing it would cost more than the pass, so the last
history asked is kept by identity, and held, so its id cannot be reused meanwhile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

Arg = TypeVar("Arg")
Result = TypeVar("Result")


def last_argument(function: Callable[[Arg], Result]) -> Callable[[Arg], Result]:
    kept: list[tuple[Arg, Result]] = []

    @functools.wraps(function)
    def remembered(argument: Arg) -> Result:
        if kept and kept[0][0] is argument:
            return kept[0][1]
        result = function(argument)
        kept[:] = [(argument, result)]
        return result

    return remembered


def last_arguments(function: Callable[..., Result]) -> Callable[..., Result]:
    """`last_argument` for a function of several positional arguments: the last call's, all the same objects."""
    kept: list[tuple[tuple[object, ...], Result]] = []

    @functools.wraps(function)
    def remembered(*arguments: object) -> Result:
        if kept and len(kept[0][0]) == len(arguments) and all(a is b for a, b in zip(kept[0][0], arguments)):
            return kept[0][1]
        result = function(*arguments)
        kept[:] = [(arguments, result)]
        return result

    return remembered
