"""Rewrite the golden files after a deliberate change; then review `git diff tests/golden docs` like code.

The golden tests only compare (a test that rewrote its own expectation could never
fail); this script is the one way to write them:

    python scripts/update_golden.py            # every golden file
    python scripts/update_golden.py --check    # exit 1 and list what differs, writing nothing
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pygit2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import evolving, test_plan_golden, test_progress  # noqa: E402


def wanted(scratch: Path) -> dict[Path, str]:
    """Every golden file's path -> the text the code now produces."""
    files: dict[Path, str] = {}
    for model in test_plan_golden.MODELS:
        for name, text in test_plan_golden.plan_files(model, scratch / model).items():
            files[test_plan_golden.GOLDEN / model / name] = text
    snaps = evolving.snapshots(scratch / "evolving" / "repo")
    for name, text in test_progress.golden_outputs(snaps).items():
        files[test_progress.GOLDEN / name] = text
    docs = test_progress.DOCS.read_text(encoding="utf-8")
    head, rest = docs.split(test_progress.BEGIN, 1)
    example = test_progress.golden_outputs(snaps)["progress.txt"]
    files[test_progress.DOCS] = head + test_progress.BEGIN + example + test_progress.END + rest.split(
        test_progress.END, 1)[1]
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only list the files that differ")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        # The isolation tests/conftest.py gives every test: no real git configuration or home folder takes part.
        home = Path(folder) / "home"
        home.mkdir()
        os.environ.update(HOME=str(home), GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
                          XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
                          XDG_CACHE_HOME=str(home / ".cache"))
        for level in (pygit2.enums.ConfigLevel.GLOBAL, pygit2.enums.ConfigLevel.XDG, pygit2.enums.ConfigLevel.SYSTEM):
            pygit2.settings.search_path[level] = str(home)
        files = wanted(Path(folder))
    plan_folders = {test_plan_golden.GOLDEN / model for model in test_plan_golden.MODELS}
    stale = [p for folder in plan_folders if folder.is_dir() for p in folder.rglob("*") if p.is_file() and p not in files]
    differs = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    for path in sorted(differs + stale):
        print(("stale " if path in stale else "differs ") + str(path.relative_to(ROOT)))
    if args.check:
        return 1 if differs or stale else 0
    for folder in plan_folders:
        shutil.rmtree(folder, ignore_errors=True)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} golden files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
