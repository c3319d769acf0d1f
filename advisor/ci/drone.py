"""Drone: one check for pull requests, under a fixed name."""

from __future__ import annotations

from advisor.ci.branches import textual
from advisor.ci.model import Found, Source, System, record

DRONE_CONTEXT = "continuous-integration/drone/pr"


def read(found: Found, source: Source) -> None:
    found.checks.add(DRONE_CONTEXT)
    record(found, source.path, textual(source.text, source.names))


SYSTEM = System(name="drone", paths=(".drone.yml",), read=read)
