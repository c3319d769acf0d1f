"""The scanned repository's own settings: `[tool.advisor]` in pyproject.toml, or `.advisor.toml`.

Pure: the files' texts in, a validated `Config` out. Every key is listed in
`KEYS` with its meaning (docs/progress.md shows the same list); a key that is
not there, a value of the wrong type, or both files configuring advisor is a
`ConfigError`: one sentence naming the key and the file.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from advisor.errors import AdvisorError
from advisor.progress import Threshold
from advisor.snapshot import BY_NAME as MEASURES

PYPROJECT = "pyproject.toml"
DEDICATED = ".advisor.toml"
FILES = (DEDICATED, PYPROJECT)


class ConfigError(AdvisorError):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Key:
    name: str
    kind: str  # "string", "strings", "number", "boolean"
    doc: str
    measure: str | None = None  # thresholds: the snapshot measure they bound
    bound: str | None = None  # "max" or "min"

    @property
    def unit_is_share(self) -> bool:
        return self.measure is not None and MEASURES[self.measure].unit in ("share", "score")


KEYS: tuple[Key, ...] = (
    Key(name="trunk", kind="string",
        doc="The trunk branch, when the default guess (origin's HEAD, HEAD, main/master/trunk) is wrong; "
            "`--trunk` wins over it."),
    Key(name="bot_patterns", kind="strings",
        doc="Regular expressions of bot author names or emails; they replace the defaults; `--bot` wins over them."),
    Key(name="fail_on_regression", kind="boolean",
        doc="Whether `advisor check` fails when an exit criterion that held in the previous snapshot no longer "
            "holds (default true)."),
    Key(name="max_branch_lifetime_hours", kind="number", measure="branch_lifetime_p90_hours", bound="max",
        doc="Fail `advisor check` when the p90 of branch lifetimes (first commit to merge) exceeds this many hours."),
    Key(name="max_stale_branches", kind="number", measure="stale_branches", bound="max",
        doc="Fail when more branches than this are stale (no commit in 90 days)."),
    Key(name="max_active_branches", kind="number", measure="active_branches", bound="max",
        doc="Fail when more short-lived branches than this are active (DORA: three or fewer)."),
    Key(name="max_long_lived_lines", kind="number", measure="long_lived_lines", bound="max",
        doc="Fail when more long-lived lines than this live beside the trunk (0: develop must stay retired)."),
    Key(name="min_releases_per_week", kind="number", measure="releases_per_week", bound="min",
        doc="Fail when releases per week (over the scan window) fall below this."),
    Key(name="max_release_interval_days", kind="number", measure="release_interval_p50_days", bound="max",
        doc="Fail when the median interval between release days exceeds this many days."),
    Key(name="max_lead_time_hours", kind="number", measure="lead_time_p50_hours", bound="max",
        doc="Fail when the median lead time (first commit to release, or to the trunk when there are no "
            "releases) exceeds this many hours."),
    Key(name="min_merged_within_a_day", kind="number", measure="merged_within_a_day", bound="min",
        doc="Fail when the share of branches merged within a day (0 to 1) falls below this."),
    Key(name="max_change_failure_rate", kind="number", measure="change_failure_rate", bound="max",
        doc="Fail when the change failure rate proxy (0 to 1) exceeds this."),
)
BY_NAME = {key.name: key for key in KEYS}


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    source: str | None  # the file the settings came from; None when there are none
    trunk: str | None = None
    bot_patterns: tuple[str, ...] | None = None
    fail_on_regression: bool = True
    thresholds: tuple[Threshold, ...] = ()


# TOML spells a [tool.advisor] table many ways ([tool . "advisor"], tool.advisor.x = 1, tool = {advisor = {}}):
# a file that does not say "advisor" anywhere configures none of them.
_MENTIONS_ADVISOR = re.compile("advisor", re.IGNORECASE)


def _table(name: str, text: str) -> Mapping[str, Any] | None:
    """The advisor settings of one file: None when it has none."""
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as error:  # TOMLDecodeError, or int()'s digit limit on a huge number
        if name != DEDICATED and not _MENTIONS_ADVISOR.search(text):
            return None  # a broken pyproject.toml that never mentions advisor is not advisor's to judge
        reason = ("nested too deeply" if isinstance(error, RecursionError) else str(error)
                  if isinstance(error, tomllib.TOMLDecodeError) else "a number with more digits than can be read")
        fix = "fix it" if name == DEDICATED else f"fix it, or move advisor's settings to {DEDICATED}"
        raise ConfigError(f"{name} is not valid TOML ({reason}); {fix}.") from None
    if name == DEDICATED:
        return data
    tool = data.get("tool")
    if not isinstance(tool, dict) or "advisor" not in tool:
        return None
    table = tool["advisor"]
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.advisor] in {name} must be a table of settings.")
    return table


def _where(name: str) -> str:
    return f"{name}" if name == DEDICATED else f"[tool.advisor] of {name}"


def parse(sources: Mapping[str, str]) -> Config:
    """Settings from the texts of `.advisor.toml` and/or `pyproject.toml` (file name -> text)."""
    found = {name: table for name, text in sources.items() if (table := _table(name, text)) is not None}
    if len(found) > 1:
        raise ConfigError(f"Both {DEDICATED} and [tool.advisor] of {PYPROJECT} configure advisor; keep one of them.")
    if not found:
        return Config(source=None)
    name, table = next(iter(found.items()))
    where = _where(name)
    lines = key_lines(name, sources[name])
    values: dict[str, Any] = {}
    thresholds = []
    for item, value in table.items():
        key = BY_NAME.get(item)
        if key is None:
            raise ConfigError(f"Unknown key {item!r} in {where}; the known keys are {', '.join(BY_NAME)}.")
        checked = _checked(key, value, where)
        if key.measure is not None and key.bound is not None:
            assert isinstance(checked, float)
            thresholds.append(Threshold(key=key.name, measure=key.measure, bound=key.bound, limit=checked,
                                        source=name, line=lines.get(key.name)))
        else:
            values[key.name] = checked
    return Config(
        source=name,
        trunk=values.get("trunk"),
        bot_patterns=values.get("bot_patterns"),
        fail_on_regression=values.get("fail_on_regression", True),
        thresholds=tuple(thresholds),
    )


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]*?)\s*\]\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_PART = re.compile(r"""[A-Za-z0-9_-]+|"([^"]*)"|'([^']*)'""")


def _dotted(key: str) -> tuple[str, ...]:
    return tuple(m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(0)
                 for m in _PART.finditer(key))


def key_lines(name: str, text: str) -> dict[str, int]:
    """The line (1-based) of each of advisor's keys in a settings file: a code scanning result points at it.

    Read line by line, as written: in `.advisor.toml` a key before any table header, in `pyproject.toml`
    one under `[tool.advisor]` (or spelt `tool.advisor.key` / `advisor.key` under `[tool]`). A key inside
    a multi-line string or array is not found (its result then points at the file alone).
    """
    prefix: tuple[str, ...] = () if name == DEDICATED else ("tool", "advisor")
    table: tuple[str, ...] = ()
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("[["):
            table = ("[[",)  # an array of tables: none of advisor's keys live in one
            continue
        header = _HEADER.match(line)
        if header is not None:
            table = _dotted(header.group(1))
            continue
        assignment = _ASSIGNMENT.match(line)
        if assignment is None:
            continue
        path = table + _dotted(assignment.group(1))
        if len(path) == len(prefix) + 1 and path[:-1] == prefix and path[-1] in BY_NAME:
            found.setdefault(path[-1], number)
    return found


def _checked(key: Key, value: Any, where: str) -> object:
    if key.kind == "string":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{key.name} in {where} must be a non-empty string, not {value!r}.")
        return value
    if key.kind == "boolean":
        if not isinstance(value, bool):
            raise ConfigError(f"{key.name} in {where} must be true or false, not {value!r}.")
        return value
    if key.kind == "strings":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key.name} in {where} must be a list of strings, not {value!r}.")
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ConfigError(f"{key.name} in {where}: {pattern!r} is not a valid regular expression "
                                  f"({error}).") from None
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{key.name} in {where} must be a number of zero or more, not {value!r}.")
    if key.unit_is_share and value > 1:
        raise ConfigError(f"{key.name} in {where} is a share between 0 and 1, not {value!r}.")
    return float(value)
