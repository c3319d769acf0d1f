"""TeamCity (Kotlin DSL in `.teamcity/`): builds and triggers are named on the server; the DSL names branches."""

from __future__ import annotations

from advisor.ci.branches import textual
from advisor.ci.model import Found, Source, System, record


def read(found: Found, source: Source) -> None:
    found.notes.append(f"{source.path}: TeamCity reports its checks under the build configuration's name on the "
                       "server; add that name by hand.")
    record(found, source.path, textual(source.text, source.names))


SYSTEM = System(name="teamcity", dirs=(".teamcity",), suffixes=(".kts", ".kt"), yaml=False, read=read)
