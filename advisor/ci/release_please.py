"""release-please: release tooling whose configuration names branches (which to release from, which get a pre-release label).

Its branch names are recorded line by line, so a plan that retires or renames a branch says which
lines of the file to change.
"""

from __future__ import annotations

from advisor.ci.branches import textual
from advisor.ci.model import Found, Source, System, record


def read(found: Found, source: Source) -> None:
    record(found, source.path, textual(source.text, source.names))


SYSTEM = System(name="release-please", paths=('release-please-config.json', '.release-please-manifest.json'), yaml=False, kind="release", read=read)
