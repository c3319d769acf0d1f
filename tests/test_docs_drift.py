"""The command output shown in README.md and docs/ is what the commands print now (scripts/gen_docs.py writes it)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scripts import gen_docs
from tests.builders import RepoBuilder

FOUND = {path: gen_docs.blocks(path.read_text(encoding="utf-8")) for path in gen_docs.documents()}
SHOWN = {id_: body for blocks in FOUND.values() for id_, body in blocks}


def test_every_generated_block_names_an_example_and_every_example_is_shown() -> None:
    ids = [id_ for blocks in FOUND.values() for id_, _ in blocks]
    assert set(ids) <= set(gen_docs.EXAMPLES), "a block names no example of scripts/gen_docs.py"
    assert set(gen_docs.EXAMPLES) <= set(ids), "an example of scripts/gen_docs.py is shown nowhere"


def test_an_unmarked_or_changed_block_is_found_and_rewritten_in_place() -> None:
    text = "a\n<!-- generated: demo-x -->\n```text\nold\n```\n<!-- end generated -->\nb\n```\nnot ours\n```\n"
    assert gen_docs.blocks(text) == [("demo-x", "old\n")]
    assert gen_docs.replace(text, {"demo-x": "new\n"}) == text.replace("old\n", "new\n")


@pytest.mark.parametrize("id_", [i for i, e in gen_docs.EXAMPLES.items() if e.kind == "demo"])
def test_demo_examples_are_what_the_commands_print_now(id_: str, tmp_path: Path) -> None:
    assert gen_docs.EXAMPLES[id_].make(tmp_path) == SHOWN[id_], "python scripts/gen_docs.py rewrites it"


def shape(text: str) -> str:
    """The output with every number, date and the scanned path masked: its lines and wording."""
    text = re.sub(r"^advisor scan of .*$", "advisor scan of PATH", text, flags=re.M)
    text = re.sub(r"\(confidence \w+\)", "(confidence X)", text)
    return re.sub(r"\d+(\.\d+)?", "#", text)


def test_the_readmes_self_scan_has_the_shape_of_a_live_scan_of_a_trunk_based_repository(tmp_path: Path) -> None:
    """The README shows this project's own scan (every commit lands on main); a repository of direct commits
    on main, built here, must print the same lines with other numbers. A new commit to the project changes
    only numbers; a change of the scan's wording or lines fails here until gen_docs.py is run."""
    builder = RepoBuilder(tmp_path / "advisor")
    start = datetime.now(timezone.utc) - timedelta(days=20)
    for day in range(20):
        builder.commit(f"module: change {day}", files={f"f{day % 3}.py": str(day)}, at=start + timedelta(days=day))
    live = gen_docs.verdict_screen(gen_docs.advisor(builder.path, "scan", ".", "--no-cache", "--no-history"))
    assert shape(live) == shape(SHOWN["self-scan"]), "python scripts/gen_docs.py --kind self rewrites it"


@pytest.mark.parametrize("id_", [i for i, e in gen_docs.EXAMPLES.items() if e.kind == "mirror"])
def test_mirror_examples_are_what_the_commands_print_now(id_: str, tmp_path: Path) -> None:
    """The examples read from a public mirror, byte for byte, when the mirror is on this machine."""
    example = gen_docs.EXAMPLES[id_]
    mirror = gen_docs.MIRRORS / example.mirror / "repo"
    if not mirror.is_dir():
        pytest.skip(f"no mirror of {example.mirror.replace('+', '/')} at {mirror} (fetch it, or set "
                    "ADVISOR_DOCS_MIRRORS to the folder that holds OWNER+NAME/repo)")
    assert example.make(tmp_path) == SHOWN[id_], "python scripts/gen_docs.py --kind mirror rewrites it"


def test_excerpts_are_cut_by_the_script() -> None:
    """The trimming functions themselves: evidence lines with their first proof, long commit lists cut."""
    scan = ("Model: x\n  - first line\n      proof one = 1:\n        $ git a 0123456789ab 0123456789ac 0123456789ad\n"
            "      proof two = 2:\n        $ git b\n  - second line\n      proof = 3:\n  - third\n\nFlow\n")
    assert gen_docs.first_proofs(gen_docs.evidence_items(scan, 2)) == (
        "  - first line\n      proof one = 1:\n        $ git a 0123456789ab 0123456789ac …\n"
        "  - second line\n      proof = 3:\n")
