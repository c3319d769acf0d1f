"""Travis CI: one check for pull requests, and the branches its `branches:` filter names."""

from __future__ import annotations

from typing import Any

from advisor.ci.branches import filter_mentions
from advisor.ci.model import Found, Source, System, record
from advisor.ci.yamlread import strings

TRAVIS_CONTEXT = "Travis CI - Pull Request"  # the Travis CI GitHub App's check run for pull requests


def _travis_filters(document: dict[Any, Any]) -> list[str]:
    branches = document.get("branches")
    if isinstance(branches, dict):
        return [*strings(branches.get("only")), *strings(branches.get("except"))]
    return list(strings(branches))


def read(found: Found, source: Source) -> None:
    found.checks.add(TRAVIS_CONTEXT)
    record(found, source.path, filter_mentions(_travis_filters(source.yaml), source.names))


SYSTEM = System(name="travis", paths=(".travis.yml",), read=read)
