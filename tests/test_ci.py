"""Status check names and branch triggers read from CI configuration files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.ci import DRONE_CONTEXT, JENKINS_CONTEXT, TRAVIS_CONTEXT, find_checks, is_ci_path
from advisor.ci.branches import glob_match, mention_lines, textual

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


def ci(files: dict[str, bytes], branches: tuple[str, ...] = ("main", "develop"),  # type: ignore[no-untyped-def]
       trunk: str | None = None):
    return find_checks(files, branches, trunk)


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
    ("pull_request_target", False),  # runs the base branch's code: it tests nothing of the pull request
    ("[push, pull_request_target]", False),  # the pull request trigger decides
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
    if not counted and on not in ("{push: {branches: [main]}}", "{push: {tags: ['v*']}}"):
        assert found.workflows[0].left_out, "a workflow left out says why"


@pytest.mark.parametrize("steps, why", [
    ("[{uses: lycheeverse/lychee-action@v2}]", "checks links"),
    ("[{run: 'npx markdown-link-check README.md'}]", "checks links"),
    ("[{run: make linkcheck}]", "checks links"),
    ("[{uses: actions/labeler@v5}]", "labels"),
])
def test_link_checkers_and_labelers_are_never_required(steps: str, why: str) -> None:
    text = (f"on: [push, pull_request]\njobs:\n  docs:\n    runs-on: ubuntu-latest\n    steps: {steps}\n"
            f"  test:\n    runs-on: ubuntu-latest\n    steps: [{{run: make test}}]\n").encode()
    found = ci({".github/workflows/x.yml": text})
    assert found.checks == ("test",)
    assert any(why in note and "docs" in note for note in found.workflows[0].left_out)


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


@pytest.mark.parametrize(("text", "runs"), [
    (b'workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\ntest:\n  script: make\n', True),
    (b"test:\n  script: make\n  rules:\n    - if: $CI_MERGE_REQUEST_IID\n", True),
    (b"test:\n  script: make\n  only: [merge_requests]\n", True),
    (b"include:\n  - template: Workflows/MergeRequest-Pipelines.gitlab-ci.yml\ntest:\n  script: make\n", True),
    # Excluding merge request pipelines (a common way to avoid duplicates) is not running them.
    (b'workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n      when: never\n'
     b"    - if: $CI_COMMIT_BRANCH\ntest:\n  script: make\n", False),
    (b"test:\n  script: make\n  only: [main]\n", False),
])
def test_gitlab_ci_says_whether_it_runs_merge_request_pipelines(text: bytes, runs: bool) -> None:
    """A merge train runs merge request pipelines: the plan asks for them only where the file has none."""
    (workflow,) = ci({".gitlab-ci.yml": text}, ("main",)).workflows
    assert (workflow.events == ("merge_request_event",)) is runs


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
    assert found.provider == "travis, azure-pipelines, drone"  # every system, in PROVIDERS order
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
def testglob_match(pattern: str, name: str, expected: bool) -> None:
    assert glob_match(pattern, name) is expected


def test_a_glob_of_many_stars_is_matched_quickly() -> None:
    started = time.monotonic()
    assert not glob_match("**a" * 120 + "b", "a" * 250)
    assert time.monotonic() - started < 2


def test_a_yaml_alias_bomb_is_read_quickly() -> None:
    levels = "\n".join(f"  - &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}]" for i in range(1, 40))
    text = f"on:\n  push:\n    branches:\n    - &l0 [develop]\n{levels.replace('  - ', '    - ')}\njobs: {{}}\n"
    started = time.monotonic()
    found = ci({".github/workflows/x.yml": text.encode()})
    assert found.triggers == {".github/workflows/x.yml": ("develop",)}
    assert time.monotonic() - started < 2


# -- checks that report on every pull request update ------------------------------

def workflow(on: str, jobs: str) -> bytes:
    return f"on:\n{on}\njobs:\n{jobs}".encode()


STEP = "    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"


@pytest.mark.parametrize("on, counted", [
    # Shaped like a cache-clearing workflow: only when a pull request is closed.
    ("  pull_request_target:\n    types:\n    - closed\n", False),
    # Shaped like a greeter for outside contributors: only when a pull request is opened.
    ("  pull_request_target:\n    types:\n      - opened\n", False),
    # Shaped like a merge-conflict labeller: every push, but pull requests only on synchronize (not opened).
    ("  push:\n  pull_request_target:\n    types: [synchronize]\n", False),
    ("  pull_request:\n    types: [labeled, unlabeled]\n", False),
    ("  pull_request:\n    types: synchronize\n", False),
    ("  pull_request:\n    types: [opened, synchronize, reopened, ready_for_review]\n", True),
    ("  pull_request:\n    types: [opened, synchronize]\n", True),
    ("  pull_request:\n  pull_request_target:\n    types: [closed]\n", True),  # one trigger that counts is enough
    ("  push:\n    paths: ['src/**']\n", False),
])
def test_a_workflow_counts_only_if_it_runs_on_every_new_commit_of_a_pull_request(on: str, counted: bool) -> None:
    found = ci({".github/workflows/x.yml": workflow(on, "  check:\n" + STEP)})
    assert found.checks == (("check",) if counted else ())
    if not counted:
        assert any(".github/workflows/x.yml" in note for note in found.notes)


@pytest.mark.parametrize("filters, trunk, counted", [
    ("branches: [master]", "master", True),
    ("branches: [master]", "develop", False),
    ("branches: [master, development]", "development", True),
    ("branches: ['release/**', '*']", "develop", True),
    ("branches: ['**', '!develop']", "develop", False),
    ("branches: ['**', '!develop', 'develop']", "develop", True),
    ("branches: ['refs/heads/main']", "main", True),
    ("branches-ignore: [develop]", "develop", False),
    ("branches-ignore: ['dev*']", "main", True),
    ("branches: ['v[0-9]+']", "main", True),  # not understood here: in the trunk's favour
    ("branches: [master]", None, True),  # trunk not given: filters not checked
])
def test_pull_request_branch_filters_are_about_the_base_branch(filters: str, trunk: str | None,
                                                                counted: bool) -> None:
    text = workflow(f"  pull_request:\n    {filters}\n", "  check:\n" + STEP)
    found = ci({".github/workflows/x.yml": text}, trunk=trunk)
    assert found.checks == (("check",) if counted else ())
    if not counted:
        assert any("other branches than" in note for note in found.notes)


@pytest.mark.parametrize("condition, kept", [
    ("github.event_name == 'push'", False),
    ("${{ github.event_name == 'push' }}", False),
    ("github.event_name != 'pull_request'", False),
    ("startsWith(github.ref, 'refs/tags/')", False),
    ("${{ startsWith( github.ref , 'refs/tags/v' ) }}", False),
    ("github.ref == 'refs/heads/main'", False),
    ("github.ref == 'refs/heads/main' && github.repository == 'o/r'", False),
    ("github.event.pull_request.merged == true", False),
    ("false", False),
    ("failure()", False),
    ("github.event_name == 'pull_request'", True),
    ("github.event_name == 'push' || needs.x.outputs.code == 'true'", True),
    ("!startsWith(github.ref, 'refs/tags/')", True),
    ("github.ref != 'refs/heads/main'", True),
    ("github.repository == 'o/r'", True),
    ("contains(github.event.pull_request.labels.*.name, 'run-ci')", True),
    ("github.event.pull_request.head.repo.full_name == github.repository", True),
    ("github.event.action == 'opened'", True),  # skipped on later commits, reported as success: harmless
    ("always()", True),
    ("true", True),
    ("github.event_name == 'push' ((", True),  # not understood: kept
    ("${{ github.event_name }} == 'push'", True),  # a string around an expression: always true
])
def test_a_job_that_cannot_run_on_a_pull_request_is_left_out(condition: str, kept: bool) -> None:
    jobs = f"  x:\n    runs-on: ubuntu-latest\n    steps: [{{run: make}}]\n  check:\n    if: \"{condition}\"\n" + STEP
    found = ci({".github/workflows/x.yml": workflow("  pull_request:\n", jobs)})
    assert found.checks == (("check", "x") if kept else ("x",))
    assert any("job check is skipped" in note for note in found.notes) is not kept


def test_an_if_false_in_yaml_and_the_base_ref_against_the_trunk() -> None:
    jobs = "  a:\n    if: false\n" + STEP + "  b:\n    if: github.base_ref == 'main'\n" + STEP
    text = workflow("  pull_request:\n", jobs)
    assert ci({".github/workflows/x.yml": text}, trunk="main").checks == ("b",)
    assert ci({".github/workflows/x.yml": text}, trunk="develop").checks == ()
    assert ci({".github/workflows/x.yml": text}).checks == ("b",)


# Shaped like a Go project's main workflow: a path-filter job that others need, tests gated on
# "push or code changed", a matrix lint job with the same gate, a tag-only release and a deploy after it.
GATED_WORKFLOW = b"""name: main
on:
  pull_request:
    branches:
    - master
  push:
    branches:
    - master
    tags:
    - v*
  schedule:
  - cron: 32 2 * * *
jobs:
  changes:
    runs-on: ubuntu-22.04
    outputs:
      code: ${{ steps.filter.outputs.code }}
    steps:
    - id: filter
      uses: dorny/paths-filter@v3
  test-alpine:
    needs: changes
    if: github.event_name == 'push' || needs.changes.outputs.code == 'true'
    runs-on: ubuntu-22.04
    steps: [{run: make test}]
  test-release:
    needs: changes
    runs-on: ubuntu-22.04
    steps: [{run: make release-snapshot}]
  test-ubuntu:
    name: test-ubuntu-umask${{ matrix.umask }}
    strategy:
      matrix:
        umask: ['022', '002']
    needs: changes
    runs-on: ubuntu-22.04
    steps:
    - if: github.event_name == 'push' || needs.changes.outputs.code == 'true' || matrix.umask == '022'
      run: make test
  lint:
    name: lint-${{ matrix.runs-on }}
    strategy:
      matrix:
        runs-on: [macos-15, ubuntu-22.04]
    needs: changes
    if: github.event_name == 'push' || needs.changes.outputs.code == 'true'
    runs-on: ${{ matrix.runs-on }}
    steps: [{run: make lint}]
  release:
    if: startsWith(github.ref, 'refs/tags/')
    needs: [test-alpine, test-release, test-ubuntu, lint]
    runs-on: ubuntu-22.04
    steps: [{run: make release}]
  deploy-website:
    needs:
    - release
    runs-on: ubuntu-22.04
    steps: [{run: make deploy}]
  notify:
    needs: release
    if: always()
    runs-on: ubuntu-22.04
    steps: [{run: make notify}]
"""


def test_jobs_gated_on_pushes_and_tags_and_their_dependents_are_left_out() -> None:
    found = ci({".github/workflows/main.yml": GATED_WORKFLOW}, ("master",), trunk="master")
    assert found.checks == ("changes", "notify", "test-alpine", "test-release", "test-ubuntu-umask002",
                            "test-ubuntu-umask022")
    notes = "\n".join(found.notes)
    assert "job release is skipped" in notes
    assert "job deploy-website is skipped" in notes
    assert "lint-${{ matrix.runs-on }} may be skipped" in notes  # a skipped matrix job reports another name


# Shaped like a distribution test workflow: jobs skipped on drafts, a matrix job after them.
DRAFT_GATED = """on:
  pull_request:
    types: [{types}]
jobs:
  smoke-tests:
    if: github.event.pull_request.draft == false
    runs-on: ubuntu-latest
    steps: [{{run: make smoke}}]
  distro-test:
    if: github.event.pull_request.draft == false
    needs: smoke-tests
    strategy:
      matrix:
        distro: [debian_12, fedora_42]
    runs-on: ubuntu-latest
    steps: [{{run: tox}}]
"""


def test_a_draft_gate_is_harmless_when_the_workflow_runs_again_on_ready_for_review() -> None:
    text = DRAFT_GATED.format(types="opened, synchronize, reopened, ready_for_review").encode()
    found = ci({".github/workflows/test.yml": text})
    assert found.checks == ("distro-test (debian_12)", "distro-test (fedora_42)", "smoke-tests")
    # Without ready_for_review a draft's last commit keeps the skipped run: the matrix names never arrive.
    found = ci({".github/workflows/test.yml": DRAFT_GATED.format(types="opened, synchronize").encode()})
    assert found.checks == ("smoke-tests",)
    assert any("distro-test may be skipped" in note for note in found.notes)


def test_a_reusable_workflow_called_by_a_job_that_may_be_skipped_is_left_out() -> None:
    caller = b"""on: pull_request
jobs:
  always:
    uses: ./.github/workflows/reusable.yml
  gated:
    if: needs.plan.outputs.run == 'true'
    uses: ./.github/workflows/reusable.yml
  tags:
    if: startsWith(github.ref, 'refs/tags/')
    uses: ./.github/workflows/reusable.yml
"""
    callee = b"""on: workflow_call
jobs:
  unit:
    runs-on: ubuntu-latest
    steps: [{run: make}]
  publish:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    steps: [{run: make publish}]
"""
    found = ci({".github/workflows/pr.yml": caller, ".github/workflows/reusable.yml": callee})
    assert found.checks == ("always / unit",)
    notes = "\n".join(found.notes)
    assert "job gated may be skipped" in notes
    assert "job tags is skipped" in notes
    assert "job publish is skipped" in notes


def test_needs_cycles_and_odd_values_never_raise() -> None:
    jobs = ("  a:\n    needs: b\n" + STEP + "  b:\n    needs: [a, 3, {x: 1}]\n" + STEP
            + "  c:\n    needs: missing\n    if: [1, 2]\n" + STEP)
    found = ci({".github/workflows/x.yml": workflow("  pull_request:\n", jobs)})
    assert found.checks == ("a", "b", "c")  # not known to be skipped: kept


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="()!=&|'. ,*[]abgithubevent_namepushrefsalwaysfailure0123-${}", max_size=80))
def test_any_if_expression_never_raises(condition: str) -> None:
    text = workflow("  pull_request:\n", "  check:\n    if: " + json.dumps(condition) + "\n" + STEP)
    found = ci({".github/workflows/x.yml": text})
    assert found.checks in ((), ("check",))


def test_a_long_expression_is_read_quickly() -> None:
    condition = " || ".join(["(github.event_name == 'push' && !(startsWith(github.ref, 'x')))"] * 300)
    started = time.monotonic()
    found = ci({".github/workflows/x.yml": workflow("  pull_request:\n", f"  check:\n    if: \"{condition}\"\n" + STEP)})
    assert found.checks == ("check",)  # too long to read: not known to be skipped
    assert time.monotonic() - started < 2


# Shaped like a compiler project's CircleCI configuration: templates in a `defaults` list, anchors
# defined twice, `<<` merges, workflows on every branch, on version tags only, and nightly.
CIRCLECI_TEMPLATES = b"""version: 2.1
parameters:
  run-docs:
    type: boolean
    default: false
defaults:
  - base: &base_env
      TERM: xterm
  - base_again: &base_env
      TERM: dumb
  - on_all_tags_and_branches: &on_all_tags_and_branches
      filters:
        tags:
          only: /.*/
  - on_version_tags: &on_version_tags
      filters:
        tags:
          only: /^v.*/
        branches:
          ignore: /.*/
  - on_develop: &on_develop
      filters:
        branches:
          only:
            - develop
  - requires_nothing: &requires_nothing
      <<: *on_all_tags_and_branches
  - requires_b_ubu: &requires_b_ubu
      <<: *on_all_tags_and_branches
      requires:
        - b_ubu
  - job_ext_zeppelin: &job_ext_zeppelin
      <<: *requires_b_ubu
      name: t_ext_zeppelin
      project: zeppelin
jobs:
  b_ubu:
    environment: *base_env
    docker: [{image: cimg/base:stable}]
    steps: [checkout]
workflows:
  version: 2
  main:
    jobs:
      - chk_spelling: *requires_nothing
      - b_ubu: *requires_nothing
      - t_ubu_cli: *requires_b_ubu
      - t_ext: *job_ext_zeppelin
      - b_bytecode:
          <<: *on_all_tags_and_branches
          matrix:
            parameters:
              preset: [legacy, via-ir]
          requires: [b_ubu]
      - t_bytecode_compare:
          <<: *on_all_tags_and_branches
          requires: [b_bytecode]
      - b_everywhere:
          filters: {branches: {only: /.*/}}
      - b_not_trunk:
          filters: {branches: {ignore: [develop, gh-pages]}}
      - b_develop_only: *on_develop
      - t_after_develop_only:
          requires: [b_develop_only]
      - hold:
          type: approval
          requires: [b_ubu]
      - c_after_hold:
          requires: [hold]
      - c_release_binaries:
          <<: *on_version_tags
          requires: [b_ubu]
  nightly:
    triggers:
      - schedule:
          cron: "0 0 * * *"
          <<: *on_develop
    jobs:
      - b_ubu_asan: *requires_nothing
  docs:
    when: << pipeline.parameters.run-docs >>
    jobs: [b_docs]
  main-only:
    when:
      equal: [main, << pipeline.git.branch >>]
    jobs: [deploy]
  not-main:
    unless:
      equal: [main, << pipeline.git.branch >>]
    jobs: [t_everywhere_but_main]
"""


def test_circleci_jobs_that_run_on_every_branch_with_anchors_merges_and_filters() -> None:
    found = ci({".circleci/config.yml": CIRCLECI_TEMPLATES}, ("main", "develop"), trunk="develop")
    assert found.provider == "circleci"
    assert found.checks == tuple(f"ci/circleci: {name}" for name in (
        "b_everywhere", "b_not_trunk", "b_ubu", "chk_spelling", "t_bytecode_compare", "t_everywhere_but_main",
        "t_ext_zeppelin", "t_ubu_cli"))
    assert found.triggers == {".circleci/config.yml": ("develop",)}
    notes = "\n".join(found.notes)
    for expected in ("job c_release_binaries runs only on some branches or tags",
                     "job b_develop_only runs only on some branches",
                     "job hold waits for a manual approval",
                     "job b_bytecode uses a matrix",
                     "workflow nightly runs only on a schedule",
                     "workflow docs runs only when",
                     "workflow main-only runs only when",
                     "Build forked pull requests"):
        assert expected in notes


def test_github_actions_and_circleci_together() -> None:
    found = ci({
        ".circleci/config.yml": CIRCLECI_TEMPLATES,
        ".github/workflows/greet.yml": workflow("  pull_request_target:\n    types: [opened]\n",
                                                "  comment-external-pr:\n" + STEP),
        ".github/workflows/lint.yml": workflow("  pull_request:\n", "  lint:\n" + STEP),
    }, trunk="develop")
    assert found.provider == "github-actions, circleci"
    assert "lint" in found.checks and "ci/circleci: b_ubu" in found.checks
    assert "comment-external-pr" not in found.checks


def test_a_yaml_merge_bomb_is_read_quickly() -> None:
    lines = ["a0: &a0 {" + ", ".join(f"k{i}: {i}" for i in range(50)) + "}"]
    lines += [f"a{i}: &a{i}\n  <<: [*a{i - 1}, *a{i - 1}]\n  x{i}: 1" for i in range(1, 40)]
    lines.append("workflows:\n  main:\n    jobs: [build]")
    started = time.monotonic()
    found = ci({".circleci/config.yml": "\n".join(lines).encode()})
    assert found.checks in ((), ("ci/circleci: build",))
    assert time.monotonic() - started < 2


def test_each_file_is_one_workflow_record_saying_when_it_runs_what_it_reports_and_what_was_left_out() -> None:
    files = {
        ".github/workflows/test-suite.yml": NAMED_MATRIX,
        ".github/workflows/nightly.yml": b"name: Nightly\non:\n  schedule: [{cron: '0 3 * * *'}]\n"
                                         b"jobs:\n  slow:\n    runs-on: ubuntu-latest\n    steps: [{run: make slow}]\n",
        "Jenkinsfile": b"pipeline { agent any }\n",
    }
    found = ci(files, ("master", "develop"), "master")
    by_path = {w.path: w for w in found.workflows}
    suite = by_path[".github/workflows/test-suite.yml"]
    assert (suite.system, suite.name, suite.events) == ("github-actions", "Test Suite", ("push", "pull_request"))
    assert suite.branches == ("master",)
    assert suite.checks == ("Python 3.10", "Python 3.11", "Python 3.12")
    nightly = by_path[".github/workflows/nightly.yml"]
    assert (nightly.name, nightly.events, nightly.checks) == ("Nightly", ("schedule",), ())
    assert by_path["Jenkinsfile"].checks == (JENKINS_CONTEXT,)
    assert by_path["Jenkinsfile"].name == "Jenkinsfile"


def test_release_tooling_is_read_for_the_branches_it_names_line_by_line() -> None:
    files = {
        "GitVersion.yml": b"mode: ContinuousDelivery\nbranches:\n  develop:\n    tag: alpha\n  master:\n    tag: ''\n",
        "GitReleaseManager.yaml": b"create:\n  include-footer: false\n",
        ".teamcity/settings.kts": b'triggers { vcs { branchFilter = "+:develop" } }\n',
        "appveyor.yml": b"branches:\n  except:\n    - master\nbuild_script: [build.ps1]\n",
    }
    found = ci(files, ("master", "develop"), "develop")
    assert found.release_tools == ("gitversion", "gitreleasemanager")
    assert found.provider == "appveyor, teamcity"  # release tooling is not CI
    assert found.mentions["GitVersion.yml"] == (("develop", 3, "develop:"), ("master", 5, "master:"))
    assert found.mentions["appveyor.yml"] == (("master", 3, "- master"),)
    assert found.mentions[".teamcity/settings.kts"][0][:2] == ("develop", 1)
    assert "continuous-integration/appveyor/pr" in found.checks
    assert any("pre-release label" in note for note in found.notes)


def test_a_yaml_text_is_parsed_once_and_each_reader_gets_its_own_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backfill reads the same CI files at every date: PyYAML parses each text once."""
    from advisor.ci import yamlread

    parsed: list[str] = []
    original = yamlread._parse
    monkeypatch.setattr(yamlread, "_parse", lambda text: parsed.append(text) or original(text))
    yamlread._parsed.cache_clear()
    text = "on: [push]\njobs:\n  a: &job {runs-on: x, steps: [{run: make}]}\n  b: *job\n"
    first = yamlread.load_yaml(text)
    first["jobs"]["a"]["steps"].append("changed by a reader")
    second = yamlread.load_yaml(text)
    assert second == {True: ["push"], "jobs": {"a": {"runs-on": "x", "steps": [{"run": "make"}]},
                                               "b": {"runs-on": "x", "steps": [{"run": "make"}]}}}
    assert second["jobs"]["a"] is second["jobs"]["b"]  # an alias stays one shared node, as PyYAML made it
    assert yamlread.load_yaml("- not a mapping\n") is None and yamlread.load_yaml("- not a mapping\n") is None
    assert parsed == [text, "- not a mapping\n"]
    big = "jobs: {}\n" + "# " + "x" * yamlread._REMEMBERED_CHARS + "\n"
    assert yamlread.load_yaml(big) == yamlread.load_yaml(big) == {"jobs": {}}
    assert parsed[2:] == [big, big]  # a very large file is parsed each time: the memory stays bounded


def test_libyaml_parses_where_the_wheel_has_it_and_pyyaml_takes_what_libyaml_refuses() -> None:
    """The same documents either way; a redefined anchor (CircleCI accepts it, libyaml refuses it)
    is read by PyYAML's own composer with the latest definition."""
    import yaml

    from advisor.ci import yamlread

    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("this PyYAML has no libyaml")
    text = ("on:\n  push: {branches: [main]}\njobs:\n  a: &job\n    runs-on: x\n    steps: [{run: 'make # not a comment'}]\n"
            "  b:\n    <<: *job\n    env: {K: '1'}\n  c: |\n    multi\n    line\n")
    fast, plain = yamlread._FastLoader(text), yamlread.Loader(text)
    assert fast.get_single_data() == plain.get_single_data() == yamlread._parse(text)
    redefined = "a: &x 1\nb: *x\nc: &x 2\nd: *x\n"
    with pytest.raises(yaml.YAMLError):
        yamlread._FastLoader(redefined).get_single_data()
    assert yamlread._parse(redefined) == {"a": 1, "b": 1, "c": 2, "d": 2}


_NAME_CHARS = st.sampled_from(list("ab-./+@x_"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_NAME_CHARS, min_size=1, max_size=4), max_size=4),
       st.lists(st.text(st.sampled_from(list("ab-./+@x_ :\t#'\"")), max_size=12), max_size=6))
def test_mention_lines_finds_what_a_search_per_line_and_name_finds(names: list[str], lines: list[str]) -> None:
    """The lines are first screened for any of the names at all: the answer is the exact search's."""
    text = "\n".join(lines)
    expected = [(name, number, line.strip()[:160]) for number, line in enumerate(text.splitlines(), start=1)
                for name in textual(line, [n for n in names if n])]
    assert mention_lines(text, names) == expected
