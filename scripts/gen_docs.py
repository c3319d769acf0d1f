"""Rewrite the command output shown in README.md and docs/*.md from real runs; `--check` only compares.

Every generated example sits between two HTML comments in the Markdown:

    <!-- generated: <id> -->
    ```text
    ...output...
    ```
    <!-- end generated -->

and `EXAMPLES` below says, per id, which command on which repository produces it:

- `demo`: a repository the test suite's simulators build (fixed dates) scanned with a fixed
  `--as-of`, so the output is the same byte for byte on every machine (tests/test_docs_drift.py
  regenerates these and compares);
- `self`: this checkout (`advisor scan .`, the README's first command); its counts change with every
  commit, so the test checks only the block's shape against a repository it builds;
- `mirror`: a public mirror under /work/.mirror; regenerated when the mirror is here, otherwise left
  as it is (and the script says so).

    python scripts/gen_docs.py            # rewrite every example it can
    python scripts/gen_docs.py --check    # exit 1 and list the examples that differ, writing nothing

The progress example in docs/progress.md and the golden files are scripts/update_golden.py's.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIRRORS = Path(os.environ.get("ADVISOR_DOCS_MIRRORS", "/work/.mirror"))
BLOCK = re.compile(r"<!-- generated: (?P<id>[\w-]+) -->\n```(?P<lang>\w*)\n(?P<body>.*?)```\n<!-- end generated -->",
                   re.S)


def advisor(cwd: Path, *args: str) -> str:
    """What `advisor ARGS` prints on stdout, run as a user runs it (a fresh process, colour off, no fitting)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["NO_COLOR"] = "1"
    # -P and PYTHONPATH: this checkout's code runs, not a package of the same name in `cwd` (the self-scan's clone)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-P", "-m", "advisor", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"advisor {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def sections(text: str, count: int) -> str:
    """The first `count` blank-line-separated sections of a scan (the header is the first)."""
    return "\n\n".join(text.split("\n\n")[:count]).rstrip("\n") + "\n"


def verdict_screen(text: str) -> str:
    """Header and verdict (with the conformance checks), then "..." for the rest."""
    return sections(text, 2) + "...\n"


def first_screen(text: str) -> str:
    """Header, verdict, flow, and what to do first: the scan up to its "What to do first" section."""
    parts = text.split("\n\n")
    last = next(i for i, part in enumerate(parts) if part.startswith("What to do first"))
    return "\n\n".join(parts[:last + 1]).rstrip("\n") + "\n"


def demo_gitflow(work: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from tests.scenarios import gitflow

    gitflow(work / "docs-gitflow")
    return advisor(work, "scan", "docs-gitflow", "--no-cache", "--no-history", "--since", "2024-01-01",
                   "--as-of", "2024-03-01")


def self_scan(work: Path) -> str:
    """`advisor scan .` in a clone of this project's main as a newcomer makes it (one branch; not the
    worktree's refs, which hold every local branch)."""
    branch = "main" if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "-q", "main"],
                                      capture_output=True, check=False).returncode == 0 else "HEAD"
    clone = work / "advisor"
    subprocess.run(["git", "clone", "-q", "--no-local", "--single-branch", *(["--branch", branch] if branch != "HEAD" else []), str(ROOT),
                    str(clone)], check=True, capture_output=True)
    return verdict_screen(advisor(clone, "scan", ".", "--no-cache", "--no-history"))


def mirror_link(work: Path, mirror: str, name: str) -> None:
    (work / name).symlink_to(MIRRORS / mirror / "repo")


def gitflow_mirror(work: Path) -> str:
    mirror_link(work, "nvie+gitflow", "gitflow.git")
    return first_screen(advisor(work, "scan", "gitflow.git", "--no-cache", "--no-history", "--since", "2010-01-01",
                                "--until", "2011-03-01"))


def pihole_plan(work: Path) -> str:
    mirror_link(work, "pi-hole+pi-hole", "pi-hole.git")
    return advisor(work, "plan", "pi-hole.git", "--as-of", "2025-11-22", "--out", "docs/branching",
                   "--no-cache")


def pihole_plan_console(work: Path) -> str:
    return "$ advisor plan pi-hole.git --as-of 2025-11-22 --out docs/branching\n" + pihole_plan(work)


@dataclass(frozen=True)
class Example:
    kind: str  # demo | self | mirror
    make: Callable[[Path], str]
    mirror: str = ""


EXAMPLES: dict[str, Example] = {
    "demo-gitflow-scan": Example("demo", demo_gitflow),
    "self-scan": Example("self", self_scan),
    "gitflow-mirror-scan": Example("mirror", gitflow_mirror, "nvie+gitflow"),
    "pihole-plan": Example("mirror", pihole_plan, "pi-hole+pi-hole"),
    "pihole-plan-console": Example("mirror", pihole_plan_console, "pi-hole+pi-hole"),
}


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(text: str) -> list[tuple[str, str]]:
    """(id, body) of every generated block in a Markdown text, in order."""
    return [(m["id"], m["body"]) for m in BLOCK.finditer(text)]


def replace(text: str, outputs: dict[str, str]) -> str:
    """The Markdown with each generated block whose id is in `outputs` holding that output."""
    def one(m: re.Match[str]) -> str:
        body = outputs.get(m["id"], m["body"])
        return f"<!-- generated: {m['id']} -->\n```{m['lang']}\n{body}```\n<!-- end generated -->"
    return BLOCK.sub(one, text)


def isolated(folder: Path) -> None:
    """The isolation tests/conftest.py gives every test: no real git configuration, home, cache or history."""
    home = folder / "home"
    home.mkdir()
    os.environ.update(HOME=str(home), GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
                      XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
                      XDG_CACHE_HOME=str(home / ".cache"))


def generate(ids: set[str], kinds: set[str]) -> tuple[dict[str, str], list[str]]:
    """id -> fresh output for the wanted examples, and the lines saying what was left as it is."""
    outputs: dict[str, str] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        isolated(Path(folder))
        for id_ in sorted(ids):
            example = EXAMPLES[id_]
            if example.kind not in kinds:
                continue
            if example.kind == "mirror" and not (MIRRORS / example.mirror / "repo").is_dir():
                notes.append(f"kept {id_}: no mirror at {MIRRORS / example.mirror / 'repo'}")
                continue
            work = Path(folder) / id_
            work.mkdir()
            outputs[id_] = example.make(work)
    return outputs, notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only list the examples that differ")
    parser.add_argument("--kind", action="append", choices=["demo", "self", "mirror"],
                        help="only these sources (default: all)")
    args = parser.parse_args()
    found = {path: blocks(path.read_text(encoding="utf-8")) for path in documents()}
    unknown = [f"{p.relative_to(ROOT)}: {i}" for p, bs in found.items() for i, _ in bs if i not in EXAMPLES]
    if unknown:
        print("unknown generated blocks: " + ", ".join(unknown))
        return 1
    outputs, notes = generate({i for bs in found.values() for i, _ in bs}, set(args.kind or EXAMPLES_KINDS))
    for note in notes:
        print(note)
    differs = [(p, i) for p, bs in found.items() for i, body in bs if i in outputs and outputs[i] != body]
    for path, id_ in differs:
        print(f"differs {path.relative_to(ROOT)}: {id_}")
    if args.check:
        return 1 if differs else 0
    for path in {p for p, _ in differs}:
        path.write_text(replace(path.read_text(encoding="utf-8"), outputs), encoding="utf-8")
    print(f"{len(outputs)} examples generated, {len(differs)} rewritten")
    return 0


EXAMPLES_KINDS = ("demo", "self", "mirror")

if __name__ == "__main__":
    sys.exit(main())
