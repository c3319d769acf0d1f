"""AppVeyor: one check for pull requests, and the branches its `branches:` filters name."""

from __future__ import annotations

from advisor.ci.branches import filter_mentions, textual
from advisor.ci.model import Found, Source, System, record
from advisor.ci.yamlread import strings

APPVEYOR_CONTEXT = "continuous-integration/appveyor/pr"  # the AppVeyor GitHub status for pull requests


def read(found: Found, source: Source) -> None:
    found.checks.add(APPVEYOR_CONTEXT)
    document = source.yaml
    filters: list[str] = []
    branches = document.get("branches")
    if isinstance(branches, dict):
        filters += [*strings(branches.get("only")), *strings(branches.get("except"))]
    record(found, source.path, filter_mentions(filters, source.names) or textual(source.text, source.names))


SYSTEM = System(name="appveyor", paths=("appveyor.yml", ".appveyor.yml"), read=read)
