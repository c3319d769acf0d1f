"""The README starts with the two commands a newcomer pastes, and they stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", README, re.S)[:2]


def test_the_readme_opens_with_install_and_scan_then_install_and_test() -> None:
    scan, test = commands()
    assert "pip install -e ." in scan and scan.endswith("advisor scan .")
    assert "pip install -e '.[test]'" in test and test.endswith("python -m pytest")


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test = commands()[1]
    assert test.split("&& ", 2)[2] in ci  # the install and test part, after the venv lines


def test_linked_docs_exist() -> None:
    for link in re.findall(r"\]\((docs/[^)]+)\)", README):
        assert (ROOT / link).exists(), link
