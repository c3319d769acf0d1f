"""The plan each simulated model gets, file by file, against golden copies in tests/golden/plan/.

After an intended change, regenerate with `python scripts/update_golden.py` and review the diff like
code; the tests only ever compare.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from advisor import pipeline
from advisor.history import HistoryOptions
from tests import scenarios
from tests.builders import BOB, RepoBuilder

GOLDEN = Path(__file__).parent / "golden" / "plan"
NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
MODELS = ["gitflow", "github_flow", "trunk_squash", "trunk_rebase", "trunk_direct", "release_branching",
          "environment_branches"]
WORKFLOW = """name: CI
on:
  push:
    branches: [develop, master]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12"]
    steps:
      - run: make test
  lint:
    name: Lint
    runs-on: ubuntu-latest
    steps:
      - run: make lint
"""


def build(model: str, path: Path) -> None:
    getattr(scenarios, model)(path)
    if model == "gitflow":  # one model with a CI configuration, so the settings name real checks
        builder = RepoBuilder(path, trunk="master")
        builder.commit("Add CI", branch="master", files={".github/workflows/ci.yml": WORKFLOW}, at=NOW.replace(month=5))
        # and a revert on develop beside its hotfix: two failure fixes in work/, a risky path for code owners
        work = builder.repo.revparse_single("develop")
        while len(work.parents) > 1:
            work = work.parents[0]
        builder.revert(str(work.id), branch="develop", at=NOW.replace(month=5, day=2), author=BOB)


def plan_files(model: str, tmp_path: Path) -> dict[str, str]:
    repo, out = tmp_path / "repo", tmp_path / "plan"
    build(model, repo)
    pipeline.run_plan(pipeline.ScanRequest(path=repo, now=NOW, options=HistoryOptions(), merge_check_seconds=0), out)
    # The settings files themselves are checked against the hosts' schemas in test_protection;
    # here each stage's settings README stands for them.
    return {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*"))
            if p.is_file() and (not str(p.relative_to(out)).startswith("protection/") or p.name == "README.md")}


@pytest.mark.parametrize("model", MODELS)
def test_plan_matches_its_golden_copy(model: str, tmp_path: Path) -> None:
    files = plan_files(model, tmp_path)
    folder = GOLDEN / model
    expected = {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert sorted(files) == sorted(expected)
    for name in files:
        assert files[name] == expected[name], f"{model}/{name} differs from its golden copy"


@pytest.mark.parametrize("model", ["gitflow", "release_branching"])
def test_every_generated_markdown_file_is_lint_clean(model: str, tmp_path: Path) -> None:
    from pymarkdown.api import PyMarkdownApi

    plan_files(model, tmp_path)
    result = PyMarkdownApi().disable_rule_by_identifier("md013").scan_path(str(tmp_path / "plan"),
                                                                            recurse_if_directory=True)
    assert [f"{f.scan_file}:{f.line_number} {f.rule_id} {f.rule_description}" for f in result.scan_failures] == []
