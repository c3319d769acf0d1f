"""Branch filter patterns: matching a glob safely, and which branch names a list of filters names."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from advisor.ci.logic import Tri


def mention_lines(text: str, names: Iterable[str]) -> list[tuple[str, int, str]]:
    """(name, line number, the line stripped) for each line that names one of `names` as a whole word."""
    wanted = tuple(name for name in names if name)
    return list(_mention_lines(text, wanted)) if wanted else []


@functools.lru_cache(maxsize=256)
def _mention_lines(text: str, wanted: tuple[str, ...]) -> tuple[tuple[str, int, str], ...]:
    # Remembered: a backfill reads the same CI files at every date (a regex search per line and name).
    # Only a line holding one of the names at all can name it as a word: one search per line finds those.
    anywhere = re.compile("|".join(map(re.escape, wanted)))
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if anywhere.search(line):
            for name in textual(line, wanted):
                found.append((name, number, line.strip()[:160]))
    return tuple(found)


def textual(text: str, names: Iterable[str]) -> list[str]:
    """Branch names the text mentions as a whole word (a fallback for files not parsed)."""
    return [name for name in names
            if re.search(r"(?<![\w./-])" + re.escape(name) + r"(?![\w./-])", text)]


_ANY, _SEGMENT = object(), object()


def glob_match(pattern: str, name: str) -> bool:
    """Whether a branch filter glob matches `name`: `**` any text, `*` any text but `/`, the rest literal.

    Matched by walking the pattern's states (linear in both lengths), not by a regex: the patterns
    come from the scanned repository, and a regex of many stars can backtrack for ages.
    """
    tokens: list[object] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            tokens.append(_ANY)
            i += 2
        else:
            tokens.append(_SEGMENT if pattern[i] == "*" else pattern[i])
            i += 1

    def closure(states: set[int]) -> set[int]:
        todo, seen = list(states), set(states)
        while todo:
            state = todo.pop()
            if state < len(tokens) and tokens[state] in (_ANY, _SEGMENT) and state + 1 not in seen:
                seen.add(state + 1)
                todo.append(state + 1)
        return seen

    states = closure({0})
    for char in name:
        following = set()
        for state in states:
            if state == len(tokens):
                continue
            token = tokens[state]
            if token is _ANY or (token is _SEGMENT and char != "/"):
                following.add(state)
            elif token == char:
                following.add(state + 1)
        states = closure(following)
        if not states:
            return False
    return len(tokens) in states


def filter_mentions(patterns: Iterable[str], names: Iterable[str]) -> list[str]:
    """The branch names that a list of branch filter patterns names (equal, or matched by a narrow glob)."""
    result = []
    patterns = [p.removeprefix("!").removeprefix("refs/heads/") for p in patterns]
    for name in names:
        for pattern in patterns:
            if pattern == name:
                result.append(name)
                break
            if "*" in pattern and pattern.strip("*/") != "" and glob_match(pattern, name):
                result.append(name)
                break
    return result



def branch_match(pattern: str, name: str) -> Tri:
    """Whether a GitHub branch filter pattern matches `name`; None for syntax not matched here (`?`, `+`, `[]`)."""
    pattern = pattern.removeprefix("refs/heads/")
    if any(char in pattern for char in "?+[]\\"):
        return None
    return glob_match(pattern, name)
