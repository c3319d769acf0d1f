"""`[tool.advisor]` / `.advisor.toml`: every key parsed and checked; anything else is one clear sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor import config, snapshot
from advisor.config import ConfigError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "progress.md"


def test_no_settings_is_the_default_config() -> None:
    assert config.parse({}) == config.Config(source=None)
    assert config.parse({"pyproject.toml": "[project]\nname = 'x'\n"}) == config.Config(source=None)


def test_pyproject_tool_advisor() -> None:
    text = """
[project]
name = "service"

[tool.advisor]
trunk = "main"
bot_patterns = ["^renovate", "\\\\[bot\\\\]"]
fail_on_regression = false
max_active_branches = 3
max_branch_lifetime_hours = 48
min_releases_per_week = 1.5
min_merged_within_a_day = 0.9
"""
    parsed = config.parse({"pyproject.toml": text})
    assert parsed.source == "pyproject.toml"
    assert parsed.trunk == "main"
    assert parsed.bot_patterns == ("^renovate", "\\[bot\\]")
    assert parsed.fail_on_regression is False
    assert [(t.key, t.measure, t.bound, t.limit) for t in parsed.thresholds] == [
        ("max_active_branches", "active_branches", "max", 3.0),
        ("max_branch_lifetime_hours", "branch_lifetime_p90_hours", "max", 48.0),
        ("min_releases_per_week", "releases_per_week", "min", 1.5),
        ("min_merged_within_a_day", "merged_within_a_day", "min", 0.9),
    ]


def test_dedicated_file_has_top_level_keys() -> None:
    parsed = config.parse({".advisor.toml": "max_stale_branches = 0\nmax_long_lived_lines = 0\n"})
    assert parsed.source == ".advisor.toml"
    assert {t.key: t.limit for t in parsed.thresholds} == {"max_stale_branches": 0.0, "max_long_lived_lines": 0.0}


@pytest.mark.parametrize(("sources", "message"), [
    ({".advisor.toml": "max_branches = 3\n"},
     "Unknown key 'max_branches' in .advisor.toml; the known keys are trunk, bot_patterns"),
    ({"pyproject.toml": "[tool.advisor]\nstale_days = 30\n"},
     "Unknown key 'stale_days' in [tool.advisor] of pyproject.toml"),
    ({".advisor.toml": "[tool.advisor]\ntrunk = 'main'\n"}, "Unknown key 'tool' in .advisor.toml"),
    ({".advisor.toml": "trunk = \n"}, ".advisor.toml is not valid TOML"),
    ({"pyproject.toml": "[tool]\nadvisor = 3\n"}, "[tool.advisor] in pyproject.toml must be a table"),
    ({".advisor.toml": "trunk = 3\n"}, "trunk in .advisor.toml must be a non-empty string, not 3."),
    ({".advisor.toml": "bot_patterns = 'x'\n"}, "bot_patterns in .advisor.toml must be a list of strings"),
    ({".advisor.toml": "bot_patterns = ['([']\n"}, "'([' is not a valid regular expression"),
    ({".advisor.toml": "fail_on_regression = 'yes'\n"}, "must be true or false"),
    ({".advisor.toml": "max_active_branches = 'three'\n"}, "must be a number of zero or more, not 'three'."),
    ({".advisor.toml": "max_active_branches = -1\n"}, "must be a number of zero or more"),
    ({".advisor.toml": "max_active_branches = true\n"}, "must be a number of zero or more"),
    ({".advisor.toml": "min_merged_within_a_day = 90\n"}, "is a share between 0 and 1, not 90."),
    ({".advisor.toml": "trunk = 'main'\n", "pyproject.toml": "[tool.advisor]\ntrunk = 'main'\n"},
     "Both .advisor.toml and [tool.advisor] of pyproject.toml configure advisor; keep one of them."),
])
def test_bad_settings_are_one_sentence_naming_key_and_file(sources: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.parse(sources)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text.strip()


def test_every_key_is_documented_and_every_threshold_bounds_a_measure() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for key in config.KEYS:
        assert re.search(rf"`{key.name}`", docs), f"docs/progress.md does not document {key.name}"
        assert key.doc.endswith("."), key.name
        if key.measure is not None:
            assert key.measure in snapshot.BY_NAME
            better = snapshot.BY_NAME[key.measure].better
            assert (key.bound, better) in (("max", "lower"), ("min", "higher")), key.name
            assert key.name.startswith(key.bound + "_")


@pytest.mark.parametrize(("name", "text", "lines"), [
    (".advisor.toml", "# gate\nmax_stale_branches = 0\n\n'max_active_branches' = 3\n", {"max_stale_branches": 2,
                                                                                      "max_active_branches": 4}),
    # Keys under a table are not advisor's in .advisor.toml, nor under another table or an array of tables.
    (".advisor.toml", "[extra]\nmax_stale_branches = 0\n", {}),
    ("pyproject.toml", "[tool.advisor]\nmax_stale_branches = 0\n[[tool.x]]\nmax_active_branches = 1\n",
     {"max_stale_branches": 2}),
    ("pyproject.toml", 'tool.advisor.max_stale_branches = 1\n', {"max_stale_branches": 1}),
    ("pyproject.toml", '[tool]\nx = 1\nadvisor . "max_active_branches" = 2\n', {"max_active_branches": 3}),
    ("pyproject.toml", '[ tool . "advisor" ]\nmax_stale_branches = 1\ntrunk = "main"\n', {"max_stale_branches": 2}),
])
def test_key_lines_finds_the_line_of_each_key(name: str, text: str, lines: dict[str, int]) -> None:
    assert {k: v for k, v in config.key_lines(name, text).items() if k != "trunk"} == lines
    thresholds = {t.key: t.line for t in config.parse({name: text}).thresholds} if lines else {}
    assert all(thresholds[key] == line for key, line in lines.items())
