"""The module boundaries of DESIGN.md §3, checked by reading the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "advisor"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")

ONLY_IN = {
    "pygit2": {"gitread"},
    "typer": {"cli"},
    "click": {"cli"},
    "jinja2": {"render", "markdown"},
    "tabulate": {"render"},
    "subprocess": {"gitread"},
}
# Pure stages: no file, clock, environment or console access.
PURE = {"model", "merges", "history", "scan", "classify", "metrics", "recommend", "protection", "render", "ciconfig",
        "asof", "plandoc", "snapshot", "progress", "config"}
IMPURE_CALLS = {"open", "print"}
IMPURE_ATTRIBUTES = {("datetime", "now"), ("datetime", "today"), ("time", "time"), ("os", "environ"),
                     ("Path", "read_text"), ("Path", "write_text"), ("os", "getenv")}


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", MODULES)
def test_third_party_imports_stay_in_their_module(module: str) -> None:
    for library, allowed in ONLY_IN.items():
        if library in imports_of(module):
            assert module in allowed, f"{module} imports {library}; only {sorted(allowed)} may"


@pytest.mark.parametrize("module", sorted(PURE & set(MODULES)))
def test_pure_modules_do_no_io(module: str) -> None:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in IMPURE_CALLS, f"{module} calls {node.func.id}() at line {node.lineno}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            assert pair not in IMPURE_ATTRIBUTES, f"{module} uses {'.'.join(pair)} at line {node.lineno}"


def test_only_store_writes_files() -> None:
    for module in MODULES:
        if module == "store":
            continue
        source = (PACKAGE / f"{module}.py").read_text()
        for needle in ("write_bytes(", "write_text(", "os.replace(", "mkstemp(", "\"w\")", "'w')", "\"wb\")"):
            assert needle not in source, f"{module} writes files ({needle}); only store may"


def test_every_module_has_a_test_file() -> None:
    tests = Path(__file__).resolve().parent
    missing = [m for m in MODULES if not (tests / f"test_{m}.py").exists()]
    assert missing == [], f"modules without tests/test_<module>.py: {missing}"
