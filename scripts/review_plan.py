"""Write the plan for a list of repositories and print, per plan, the facts it relied on beside the git
command that checks each.

Usage: python scripts/review_plan.py [--out DIR] REPOSITORY...

Each REPOSITORY is a clone, bare repository or mirror (for example /work/.mirror/owner+name/repo). The
plan is written to DIR/<name> (default: a temporary folder) with the default command's settings (no
cache, trial merges on). For each plan the script prints the model, the stages with their status and
checklist counts, and every measured fact the settings rest on with the read-only git command that
shows the same number, to run inside the repository. Exit 0 when every plan was written.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from advisor import pipeline
from advisor.history import HistoryOptions


def review(path: Path, out: Path) -> list[str]:
    request = pipeline.ScanRequest(path=path, now=datetime.now(timezone.utc), options=HistoryOptions())
    run = pipeline.run_plan(request, out)
    plan, facts = run.plan, run.plan.facts
    lines = [f"## {path}", "", f"plan: {out}", f"model: {plan.current_model} ({plan.confidence}) -> {plan.target_model}"]
    if plan.dormant:
        lines.append(f"dormant: {plan.dormant}")
    for stage in plan.stages:
        text = (out / "stages" / f"{stage.id}.md").read_text(encoding="utf-8")
        ticked = text.count("\n- [x] ")
        total = ticked + text.count("\n- [ ] ")
        lines.append(f"stage {stage.id}: {stage.status.value}, checklist {ticked} of {total}")
    lines += ["", "facts (run the command in the repository to check each):"]
    for fact in facts.all() if facts else ():
        lines += [f"- {fact.text}", f"    $ {fact.command}"]
    lines += [f"- required checks: {', '.join(run.ci.checks) or 'none found'}",
              f"- release tooling read: {', '.join(run.ci.release_tools) or 'none'}"]
    lines += [f"    left out: {note}" for note in run.ci.notes]
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the plans (default: a temporary one)")
    parser.add_argument("repositories", nargs="+", type=Path)
    options = parser.parse_args(argv)
    base = options.out or Path(tempfile.mkdtemp(prefix="advisor-review-"))
    for repository in options.repositories:
        name = repository.resolve().name if repository.name not in ("repo", ".git") else repository.resolve().parent.name
        print("\n".join(review(repository, base / name)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
