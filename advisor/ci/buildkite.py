"""Buildkite: the check is named after the pipeline on the server, not in the file."""

from __future__ import annotations

from advisor.ci.branches import textual
from advisor.ci.model import Found, Source, System, record


def read(found: Found, source: Source) -> None:
    found.notes.append(f"{source.path}: buildkite reports its checks under the pipeline's name on the server; "
                       f"add that name by hand.")
    record(found, source.path, textual(source.text, source.names))


SYSTEM = System(name="buildkite", paths=(".buildkite/pipeline.yml", ".buildkite/pipeline.yaml"), read=read)
