"""Jenkins: a Jenkinsfile reports one check per pull request (GitHub Branch Source plugin)."""

from __future__ import annotations

from advisor.ci.branches import textual
from advisor.ci.model import Found, Source, System, record

JENKINS_CONTEXT = "continuous-integration/jenkins/pr-merge"  # GitHub Branch Source plugin, PR merged with its target


def read(found: Found, source: Source) -> None:
    found.checks.add(JENKINS_CONTEXT)
    record(found, source.path, textual(source.text, source.names))


SYSTEM = System(name="jenkins", paths=("Jenkinsfile",), yaml=False, read=read)
