"""GitVersion: release tooling whose configuration names branches (which to release from, which get a pre-release label).

Its branch names are recorded line by line, so a plan that retires or renames a branch says which
lines of the file to change.
"""

from __future__ import annotations

from advisor.ci.branches import textual
from advisor.ci.model import Found, Source, System, record
from advisor.ci.yamlread import strings


def read(found: Found, source: Source) -> None:
    record(found, source.path, textual(source.text, source.names))
    if any(isinstance(v, str) and v.lower() in ("alpha", "beta", "unstable") for v in strings(source.yaml)):
        found.notes.append(f"{source.path}: GitVersion gives versions built on some branches a pre-release label "
                           "(alpha, beta, unstable); once releases are tagged on the trunk, make the trunk's label "
                           "empty so its tags are final versions.")


SYSTEM = System(name="gitversion", paths=('GitVersion.yml', 'GitVersion.yaml', 'gitversion.yml', 'gitversion.yaml', '.gitversion.yml'), yaml=True, kind="release", read=read)
