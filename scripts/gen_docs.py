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
- `mirror`: a public mirror under /work/.mirror (`ADVISOR_DOCS_MIRRORS`), read `--as-of` a fixed day
  where the command takes it; regenerated and compared byte for byte when the mirror is here, otherwise
  left as it is (the script says so, the test skips saying which mirror is missing).

Where a document shows part of an output (a JSON excerpt, the first evidence lines of `--explain`, the
top of a plan's README), the function here cuts it, so the excerpt is regenerated too.

    python scripts/gen_docs.py            # rewrite every example it can
    python scripts/gen_docs.py --check    # exit 1 and list the examples that differ, writing nothing

The progress example in docs/progress.md (the golden tests/golden/progress.txt) and the golden files
are scripts/update_golden.py's.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIRRORS = Path(os.environ.get("ADVISOR_DOCS_MIRRORS", "/work/.mirror"))
BLOCK = re.compile(r"<!-- generated: (?P<id>[\w-]+) -->\n(?P<fence>```+)(?P<lang>\w*)\n(?P<body>.*?)(?P=fence)\n"
                   r"<!-- end generated -->", re.S)  # four backticks where the example holds a fence


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
    """`advisor plan` of pi-hole as of 2025-11-22 into work/docs/branching; run once per process and copied,
    since four examples show parts of it."""
    mirror_link(work, "pi-hole+pi-hole", "pi-hole.git")
    done, printed = _pihole_plan_once()
    shutil.copytree(done, work / "docs" / "branching")
    return printed


@functools.cache
def _pihole_plan_once() -> tuple[Path, str]:
    work = Path(tempfile.mkdtemp(prefix="gen-docs-plan-"))
    atexit.register(shutil.rmtree, work, True)
    mirror_link(work, "pi-hole+pi-hole", "pi-hole.git")
    printed = advisor(work, "plan", "pi-hole.git", "--as-of", "2025-11-22", "--out", "docs/branching", "--no-cache")
    return work / "docs" / "branching", printed


def pihole_plan_console(work: Path) -> str:
    return "$ advisor plan pi-hole.git --as-of 2025-11-22 --out docs/branching\n" + pihole_plan(work)


def demo_gitflow_json(work: Path) -> str:
    """The demo scan as JSON, trimmed here: `metrics` and most of `verdict` left out, each list of records
    at the top two levels cut to its first entry (three episodes); nested lists and every value as printed."""
    sys.path.insert(0, str(ROOT))
    from tests.scenarios import gitflow

    gitflow(work / "docs-gitflow")
    document = json.loads(advisor(work, "scan", "docs-gitflow", "--no-cache", "--no-history", "--since", "2024-01-01",
                                  "--as-of", "2024-03-01", "--format", "json"))
    document.pop("metrics")
    document["verdict"] = {key: document["verdict"][key] for key in VERDICT_KEPT}

    def cut(value: object, depth: int, key: str) -> object:
        if isinstance(value, dict):
            return {k: cut(v, depth + 1, k) for k, v in value.items()}
        if isinstance(value, list) and depth <= 2:
            return value[:3 if key == "episodes" else 1]
        return value
    return json.dumps(cut(document, 0, ""), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


VERDICT_KEPT = ("confidence", "model", "scores", "thin", "trunk_habit")


def evidence_items(text: str, count: int) -> str:
    """The first `count` evidence lines of the verdict with the proofs `--explain` prints under each."""
    lines, taken, items = text.splitlines(), [], 0
    start = next(i for i, line in enumerate(lines) if line.startswith("  - "))
    for line in lines[start:]:
        if line.startswith("  - "):
            items += 1
            if items > count:
                break
        elif not line.startswith("      "):
            break
        taken.append(line)
    return "\n".join(taken) + "\n"


def first_proofs(excerpt: str) -> str:
    """Each evidence line with only its first proof, and a long list of commits cut to two and "…"."""
    kept, proofs = [], 0
    for line in excerpt.splitlines():
        if line.startswith("  - "):
            proofs = 0
        elif line.startswith("      ") and not line.startswith("       "):
            proofs += 1
        if proofs <= 1:
            kept.append(re.sub(r"((?: [0-9a-f]{12}){2})(?: [0-9a-f]{12})+", r"\1 …", line))
    return "\n".join(kept) + "\n"


def pihole_explain(work: Path) -> str:
    mirror_link(work, "pi-hole+pi-hole", "pi-hole.git")
    return first_proofs(evidence_items(advisor(work, "scan", "pi-hole.git", "--explain", "--as-of", "2025-11-22",
                                                "--no-cache", "--no-history"), 2))


def pihole_plan_files(work: Path) -> Path:
    pihole_plan(work)
    return work / "docs" / "branching"


def pihole_plan_readme_top(work: Path) -> str:
    """The plan README up to the first paragraph under "Where it is going", then "..."."""
    lines = (pihole_plan_files(work) / "README.md").read_text(encoding="utf-8").splitlines()
    going = lines.index("## Where it is going")
    end = next(i for i in range(going + 2, len(lines)) if not lines[i].strip())
    return "\n".join(lines[:end]) + "\n...\n"


def pihole_first_stage_branches(work: Path) -> str:
    """The first three lines of the first stage's checklist that name a branch (the items' markers left out)."""
    stage = (pihole_plan_files(work) / "stages" / "stop-adding-wip.md").read_text(encoding="utf-8")
    named = [re.sub(r" <!-- advisor:item [^>]* -->$", "", line) for line in stage.splitlines()
             if line.startswith(("- [ ] Finish or delete `", "- [ ] Land or close `"))]
    return "\n".join(named[:3]) + "\n"


def pihole_backfill_progress(work: Path) -> str:
    """A year of weekly snapshots, then the top of `advisor progress` (to its current stage), with the
    history folder written as people read it."""
    pihole_plan_files(work)
    args = ("--since", "2024-11-22", "--until", "2025-11-22", "--every", "week", "--window-days", "90",
            "--plan-dir", "docs/branching")
    backfill = advisor(work, "backfill", "pi-hole.git", *args, "--quiet")
    report = advisor(work, "progress", "pi-hole.git")
    folder = re.search(r" in (\S+), ", report.splitlines()[0])
    assert folder is not None, report
    home = os.environ["HOME"]
    shown = folder[1].replace(home, "~").rsplit("-", 1)[0] + "-..."
    lines = report.splitlines()
    stage = next(i for i, line in enumerate(lines) if line.startswith("Current stage"))
    end = next((i for i in range(stage, len(lines)) if not lines[i].strip()), len(lines))
    top = "\n".join(lines[:end]).replace(folder[1], "...")
    return (f"$ advisor backfill pi-hole.git {' '.join(args)}\n{backfill.replace(folder[1], shown)}"
            f"$ advisor progress pi-hole.git\n{top}\n...\n")


def demo_fleet(work: Path) -> str:
    """The CI-matrix recipe on three demo repositories: one scan JSON each, then `fleet --merge`."""
    sys.path.insert(0, str(ROOT))
    from tests import scenarios

    (work / "scans").mkdir()
    for name, make in (("gitflow", scenarios.gitflow), ("trunk", scenarios.trunk_direct),
                       ("site", scenarios.github_flow)):
        make(work / name)
        (work / "scans" / f"{name}.json").write_text(
            advisor(work, "scan", name, "--format", "json", "--no-history", "--no-cache", "--quiet", "--as-of",
                    "2024-03-01"), encoding="utf-8")
    # What a shell makes of `--merge scans/*.json`: the files in order, the first after --merge.
    merged = advisor(work, "fleet", "--merge", *sorted(f"scans/{p.name}" for p in (work / "scans").glob("*.json")))
    return "$ advisor fleet --merge scans/*.json\n" + merged


def evolving_history(work: Path) -> Path:
    """The history store of tests/evolving.py's team (four scans, the plan of each), as a folder."""
    folder = work / "history"
    shutil.copytree(_evolving_once(), folder)
    return folder


@functools.cache
def _evolving_once() -> Path:
    sys.path.insert(0, str(ROOT))
    from advisor import store
    from tests import evolving

    work = Path(tempfile.mkdtemp(prefix="gen-docs-history-"))
    atexit.register(shutil.rmtree, work, True)
    for snap in evolving.snapshots(work / "repo"):
        store.save_snapshot(work / "history", snap)
    return work / "history"


def demo_progress_mermaid(work: Path) -> str:
    """The first Mermaid chart of the team's Markdown progress report."""
    evolving_history(work)
    text = advisor(work, "progress", "team", "--history-dir", "history", "--format", "markdown")
    chart = re.search(r"```mermaid\n(.*?)```", text, re.S)
    assert chart is not None, text
    return chart[1]


def demo_progress_html(work: Path) -> str:
    """The team's `advisor progress --format html` page as a reader skims it: its headings, chart titles and
    first lines of text, in order (every tag and style left out)."""
    from html.parser import HTMLParser

    out = work / "progress.html"
    evolving_history(work)
    advisor(work, "progress", "team", "--history-dir", "history", "--format", "html", "--out", str(out))

    marks = {"h1": "# ", "h2": "## ", "h3": "### ", "figcaption": "[chart] ", "li": "- ", "p": "", "footer": ""}

    class Outline(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.lines: list[list[str]] = []  # [mark, text]
            self.open: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in marks:
                self.open = tag
                self.lines.append([marks[tag], ""])

        def handle_endtag(self, tag: str) -> None:
            if tag == self.open:
                self.open = None

        def handle_data(self, data: str) -> None:
            if self.open:
                self.lines[-1][1] += data

    outline = Outline()
    outline.feed(out.read_text(encoding="utf-8"))
    shown = [mark + " ".join(text.split()) for mark, text in outline.lines if text.strip()]
    return "\n".join(shown) + "\n"


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
    "demo-gitflow-json": Example("demo", demo_gitflow_json),
    "demo-fleet-merge": Example("demo", demo_fleet),
    "demo-progress-mermaid": Example("demo", demo_progress_mermaid),
    "demo-progress-html": Example("demo", demo_progress_html),
    "pihole-explain": Example("mirror", pihole_explain, "pi-hole+pi-hole"),
    "pihole-plan-readme": Example("mirror", pihole_plan_readme_top, "pi-hole+pi-hole"),
    "pihole-first-stage": Example("mirror", pihole_first_stage_branches, "pi-hole+pi-hole"),
    "pihole-backfill-progress": Example("mirror", pihole_backfill_progress, "pi-hole+pi-hole"),
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
        return f"<!-- generated: {m['id']} -->\n{m['fence']}{m['lang']}\n{body}{m['fence']}\n<!-- end generated -->"
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
