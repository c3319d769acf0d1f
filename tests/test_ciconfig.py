"""Status check names and branch triggers read from CI configuration files."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.ciconfig import (
    DRONE_CONTEXT,
    JENKINS_CONTEXT,
    TRAVIS_CONTEXT,
    _glob_match,
    find_checks,
    is_ci_path,
)

# Shaped like a common Python library's test workflow: a matrix job named by an expression.
NAMED_MATRIX = b"""---
name: Test Suite

on:
  push:
    branches: ["master"]
  pull_request:
    branches: ["master", "version-*"]

jobs:
  tests:
    name: "Python ${{ matrix.python-version }}"
    runs-on: "ubuntu-latest"
    strategy:
      matrix:
        python-version: ["3.10", "3.11", "3.12"]
    steps:
      - uses: "actions/checkout@v4"
      - run: "scripts/test"
"""

# Shaped like a web framework's workflow: include-only matrix, named by matrix.name, docs changes skipped.
INCLUDE_ONLY = """name: Tests
on:
  push:
    branches:
      - main
      - '*.x'
{paths}  pull_request:
{paths}jobs:
  tests:
    name: ${{{{ matrix.name }}}}
    runs-on: ${{{{ matrix.os }}}}
    strategy:
      fail-fast: false
      matrix:
        include:
          - {{name: Linux, python: '3.12', os: ubuntu-latest, tox: py312}}
          - {{name: Windows, python: '3.12', os: windows-latest, tox: py312}}
          - {{name: Typing, python: '3.12', os: ubuntu-latest, tox: typing}}
    steps:
      - run: tox run -e ${{{{ matrix.tox }}}}
"""
PATHS_IGNORE = "    paths-ignore:\n      - 'docs/**'\n"

UNNAMED_MATRIX = b"""on: [push, pull_request]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps: [{run: make lint}]
  test:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest]
        python: ["3.11", 3.12]
        exclude:
          - {os: windows-latest, python: "3.11"}
        include:
          - {os: ubuntu-latest, experimental: true}
          - {os: macos-latest, python: "3.13"}
    steps: [{run: make test}]
  build:
    name: Build wheel
    needs: [test]
    runs-on: ubuntu-latest
    steps: [{run: make wheel}]
"""


def ci(files: dict[str, bytes], branches: tuple[str, ...] = ("main", "develop")):  # type: ignore[no-untyped-def]
    return find_checks(files, branches)


def test_a_matrix_job_named_by_an_expression_reports_one_check_per_combination() -> None:
    found = ci({".github/workflows/test-suite.yml": NAMED_MATRIX}, ("master", "develop", "version-2"))
    assert found.provider == "github-actions"
    assert found.files == (".github/workflows/test-suite.yml",)
    assert found.checks == ("Python 3.10", "Python 3.11", "Python 3.12")
    assert found.triggers == {".github/workflows/test-suite.yml": ("master", "version-2")}


def test_an_include_only_matrix_names_each_entry() -> None:
    text = INCLUDE_ONLY.format(paths="").encode()
    found = ci({".github/workflows/tests.yaml": text}, ("main", "1.x", "develop"))
    assert found.checks == ("Linux", "Typing", "Windows")
    assert found.triggers == {".github/workflows/tests.yaml": ("1.x", "main")}


def test_a_workflow_skipped_by_path_filters_is_never_required() -> None:
    text = INCLUDE_ONLY.format(paths=PATHS_IGNORE).encode()
    found = ci({".github/workflows/tests.yaml": text})
    assert found.checks == ()
    assert any("paths" in note for note in found.notes)


def test_an_unnamed_matrix_job_appends_its_values_and_honours_include_and_exclude() -> None:
    found = ci({".github/workflows/ci.yml": UNNAMED_MATRIX})
    assert found.checks == (
        "Build wheel",
        "lint",
        "test (macos-latest, 3.13)",
        "test (ubuntu-latest, 3.11, true)",
        "test (ubuntu-latest, 3.12, true)",
        "test (windows-latest, 3.12)",
    )
    assert found.triggers == {}


def test_a_computed_matrix_is_noted_not_guessed() -> None:
    text = b"""on: pull_request
jobs:
  test:
    strategy:
      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
    runs-on: ubuntu-latest
    steps: [{run: make}]
"""
    found = ci({".github/workflows/ci.yml": text})
    assert found.checks == ()
    assert any("matrix" in note and "test" in note for note in found.notes)


@pytest.mark.parametrize("on, counted", [
    ("push", True),
    ("[push, pull_request]", True),
    ("pull_request_target", True),
    ("{push: {branches: [main]}}", False),  # never runs on a pull request's branch
    ("{push: {tags: ['v*']}}", False),
    ("{push: {branches-ignore: [gh-pages]}}", True),
    ("workflow_dispatch", False),
    ("{schedule: [{cron: '0 0 * * *'}]}", False),
])
def test_only_workflows_that_run_on_pull_requests_give_checks(on: str, counted: bool) -> None:
    text = f"on: {on}\njobs:\n  check:\n    runs-on: ubuntu-latest\n    steps: [{{run: make}}]\n".encode()
    found = ci({".github/workflows/x.yml": text})
    assert found.checks == (("check",) if counted else ())


def test_triggers_name_the_branches_a_team_must_move() -> None:
    text = b"""on:
  push:
    branches: [develop, 'release/**']
  pull_request:
    branches-ignore: ['!main', 'dev*']
jobs: {}
"""
    found = ci({".github/workflows/x.yml": text}, ("main", "develop", "release/1.0", "feature"))
    assert found.triggers == {".github/workflows/x.yml": ("develop", "main", "release/1.0")}


def test_a_catch_all_filter_mentions_no_branch() -> None:
    text = b"on:\n  push:\n    branches: ['**']\njobs: {}\n"
    assert ci({".github/workflows/x.yml": text}).triggers == {}


def test_a_local_reusable_workflow_reports_caller_slash_callee() -> None:
    caller = b"""on: pull_request
jobs:
  checks:
    uses: ./.github/workflows/reusable.yml
  remote:
    name: Org checks
    uses: octo-org/shared/.github/workflows/ci.yml@v1
"""
    callee = b"""on: workflow_call
jobs:
  unit:
    runs-on: ubuntu-latest
    steps: [{run: make}]
"""
    found = ci({".github/workflows/pr.yml": caller, ".github/workflows/reusable.yml": callee})
    assert found.checks == ("checks / unit",)
    assert any("Org checks" in note for note in found.notes)


def test_invalid_files_are_skipped_and_noted() -> None:
    found = ci({
        ".github/workflows/broken.yml": b"on: [push\njobs: {",
        ".github/workflows/binary.yml": b"\xff\xfe\x00",
        ".github/workflows/list.yml": b"- just\n- a list\n",
        ".travis.yml": b"language: python\n",
    })
    assert found.files == (".travis.yml",)
    assert found.checks == (TRAVIS_CONTEXT,)
    assert found.provider == "travis"
    assert len(found.notes) == 3


def test_gitlab_ci_relies_on_the_pipeline_and_names_its_branch_triggers() -> None:
    text = b"""stages: [test, deploy]
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == "develop"
test:
  stage: test
  script: make test
deploy:
  stage: deploy
  script: make deploy
  only:
    - main
"""
    found = ci({".gitlab-ci.yml": text}, ("main", "develop", "feature"))
    assert found.provider == "gitlab-ci"
    assert found.checks == ()
    assert found.triggers == {".gitlab-ci.yml": ("develop", "main")}
    assert any("Pipelines must succeed" in note for note in found.notes)


def test_jenkins_reports_the_pull_request_merge_context() -> None:
    text = b"pipeline {\n  agent any\n  stages {\n    stage('Deploy') {\n      when { branch 'develop' }\n" \
           b"      steps { sh 'make deploy' }\n    }\n  }\n}\n"
    found = ci({"Jenkinsfile": text}, ("main", "develop", "dev"))
    assert found.checks == (JENKINS_CONTEXT,)
    assert found.triggers == {"Jenkinsfile": ("develop",)}


def test_circleci_workflow_jobs_become_checks_unless_limited_to_named_branches() -> None:
    text = b"""version: 2.1
jobs:
  test-ruby-3.1:
    docker: [{image: cimg/ruby:3.1}]
    steps: [checkout]
  deploy:
    docker: [{image: cimg/base:stable}]
    steps: [checkout]
workflows:
  version: 2
  build:
    jobs:
      - test-ruby-3.1
      - test-ruby-3.1:
          name: test-ruby-3.1-again
      - deploy:
          requires: [test-ruby-3.1]
          filters:
            branches:
              only: develop
"""
    found = ci({".circleci/config.yml": text})
    assert found.checks == ("ci/circleci: test-ruby-3.1", "ci/circleci: test-ruby-3.1-again")
    assert found.triggers == {".circleci/config.yml": ("develop",)}


def test_other_systems() -> None:
    found = ci({
        ".travis.yml": b"language: go\nbranches:\n  only:\n    - develop\n",
        ".drone.yml": b"kind: pipeline\ntrigger:\n  branch:\n  - main\n",
        "azure-pipelines.yml": b"trigger:\n  branches:\n    include: [develop]\npool: {vmImage: ubuntu-latest}\n",
    })
    assert found.checks == (TRAVIS_CONTEXT, DRONE_CONTEXT)
    assert found.provider == "travis"
    assert found.triggers == {".drone.yml": ("main",), ".travis.yml": ("develop",), "azure-pipelines.yml": ("develop",)}
    assert any("azure-pipelines" in note for note in found.notes)


def test_no_ci_files() -> None:
    found = ci({"README.md": b"# hi\n"})
    assert (found.provider, found.files, found.checks, found.triggers) == (None, (), (), {})


@pytest.mark.parametrize("path, expected", [
    (".github/workflows/ci.yml", True),
    (".github/workflows/ci.yaml", True),
    (".github/workflows/nested/ci.yml", False),
    (".github/workflows/README.md", False),
    (".gitlab-ci.yml", True),
    ("Jenkinsfile", True),
    ("sub/Jenkinsfile", False),
    (".circleci/config.yml", True),
])
def test_is_ci_path(path: str, expected: bool) -> None:
    assert is_ci_path(path) is expected


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from([".github/workflows/a.yml", ".gitlab-ci.yml", ".circleci/config.yml",
                                        ".travis.yml", "Jenkinsfile", ".drone.yml"]),
                       st.one_of(st.binary(max_size=200),
                                 st.text(alphabet="onjbs:-[]{}\n \"'*${}", max_size=200).map(str.encode))),
       st.lists(st.text(max_size=10), max_size=4))
def test_any_bytes_never_raise(files: dict[str, bytes], branches: list[str]) -> None:
    found = find_checks(files, branches)
    assert set(found.files) <= set(files)
    assert all(isinstance(check, str) for check in found.checks)


def test_a_job_named_by_another_expression_is_noted_not_required() -> None:
    text = b"""on: pull_request
jobs:
  test:
    name: Test ${{ inputs.flavour }}
    runs-on: ubuntu-latest
    steps: [{run: make}]
  lint:
    runs-on: ubuntu-latest
    steps: [{run: make lint}]
"""
    found = ci({".github/workflows/ci.yml": text})
    assert found.checks == ("lint",)
    assert any("expression" in note for note in found.notes)


@pytest.mark.parametrize("pattern, name, expected", [
    ("release/**", "release/1.0/hotfix", True),
    ("release/*", "release/1.0", True),
    ("release/*", "release/1.0/hotfix", False),
    ("dev*", "develop", True),
    ("*.x", "1.x", True),
    ("*.x", "main", False),
    ("main", "main", True),
])
def test_glob_match(pattern: str, name: str, expected: bool) -> None:
    assert _glob_match(pattern, name) is expected


def test_a_glob_of_many_stars_is_matched_quickly() -> None:
    started = time.monotonic()
    assert not _glob_match("**a" * 120 + "b", "a" * 250)
    assert time.monotonic() - started < 2


def test_a_yaml_alias_bomb_is_read_quickly() -> None:
    levels = "\n".join(f"  - &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}]" for i in range(1, 40))
    text = f"on:\n  push:\n    branches:\n    - &l0 [develop]\n{levels.replace('  - ', '    - ')}\njobs: {{}}\n"
    started = time.monotonic()
    found = ci({".github/workflows/x.yml": text.encode()})
    assert found.triggers == {".github/workflows/x.yml": ("develop",)}
    assert time.monotonic() - started < 2
