"""The host-neutral protection policy and its translations into each host's format.

Every generated JSON body is validated against the official request schemas
in `../shared/schemas/` (beside the project; in a checkout without it, the copy
in `tests/schemas/`, kept identical), tightened so unknown keys fail;
Terraform is parsed with a real HCL parser, YAML with a real YAML parser, and
the scripts are checked by bash (and shellcheck when installed) and run
against stand-ins for `gh` and `glab`.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from advisor.protection import (
    BranchRule,
    CiChecks,
    MergeSettings,
    Policy,
    hcl_string,
    render_policy,
    scorecard_tier,
)
from tests.plans import NO_CI

PROJECT = Path(__file__).resolve().parents[1]
OFFICIAL = PROJECT.parent / "shared" / "schemas"
COPY = Path(__file__).resolve().parent / "schemas"  # for a clone with no shared/ beside it
SCHEMAS = OFFICIAL if OFFICIAL.is_dir() else COPY

RULESET = "github-repository-ruleset.request"
CLASSIC = "github-branch-protection.request"
REPO_UPDATE = "github-repo-update.request"
GITLAB_BRANCH = "gitlab-protected-branch.request"
GITLAB_PROJECT = "gitlab-project-merge-settings"
ALL_SCHEMAS = (RULESET, CLASSIC, REPO_UPDATE, GITLAB_BRANCH, GITLAB_PROJECT)


def test_a_bare_rule_still_blocks_deletion_and_force_pushes() -> None:
    rule = BranchRule(pattern="main", is_trunk=True)
    assert rule.block_deletion and rule.block_force_push
    assert not rule.require_pull_request and rule.required_checks == ()


# -- schemas ------------------------------------------------------------------------

def strict(schema: Any) -> Any:
    """The schemas README's tightening: objects with `properties` reject unknown keys."""
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            strict(value)
    elif isinstance(schema, list):
        for value in schema:
            strict(value)
    return schema


def schemas_folder() -> Path:
    if not SCHEMAS.is_dir():
        message = f"../shared/schemas not found beside the project, nor its copy: looked for {SCHEMAS}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SCHEMAS


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = strict(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validator(name: str) -> jsonschema.Draft202012Validator:
    schemas_folder()
    return _validator(name)


def schema_for(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    if path.startswith("github/ruleset"):
        return RULESET
    if name.startswith("branch-protection-"):
        return CLASSIC
    if path == "github/repository.json":
        return REPO_UPDATE
    if name.startswith("protected-branch-"):
        return GITLAB_BRANCH
    if path == "gitlab/project.json":
        return GITLAB_PROJECT
    return None


def test_missing_schemas_skip_locally_and_fail_on_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys.modules[__name__], "SCHEMAS", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not found beside the project"):
        schemas_folder()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not found beside the project"):
        schemas_folder()


def test_the_copy_of_the_schemas_is_identical_to_the_official_files() -> None:
    if not OFFICIAL.is_dir():
        pytest.skip(f"no {OFFICIAL} to compare tests/schemas with; the tests use the copy")
    official = sorted(p.name for p in OFFICIAL.glob("*.json"))
    assert sorted(p.name for p in COPY.glob("*.json")) == official
    for name in official:
        assert (COPY / name).read_bytes() == (OFFICIAL / name).read_bytes(), name


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_the_strict_validators_accept_the_valid_examples_and_reject_the_invalid(name: str) -> None:
    check = validator(name)
    valid = json.loads((SCHEMAS / f"{name}.valid.example.json").read_text())
    invalid = json.loads((SCHEMAS / f"{name}.invalid.example.json").read_text())
    check.validate(valid)
    assert not check.is_valid(invalid)
    typo = copy.deepcopy(valid)
    typo["enforcment"] = "active"  # unknown keys fail only in the strict variant
    assert not check.is_valid(typo)


# -- policies -------------------------------------------------------------------------

MERGE = MergeSettings(allow_merge_commit=False, allow_squash_merge=True, allow_rebase_merge=True,
                      allow_auto_merge=True, delete_branch_on_merge=True, pipeline_must_succeed=True)
FOUND = CiChecks(provider="github-actions", files=(".github/workflows/ci.yml",), checks=("test (3.12)", "lint"),
                 triggers={".github/workflows/ci.yml": ("develop",)}, notes=("job docs uses a computed matrix",))
HOSTILE = 'a"b${x}%{y}\\z $(touch pwned) `id` <img src=x onerror=alert(1)> [l](http://e.x)\n# heading\r\u2028'


def trunk_rule(pattern: str = "main", checks: tuple[str, ...] = ("test (3.12)", "lint")) -> BranchRule:
    return BranchRule(pattern=pattern, is_trunk=True, require_pull_request=True, required_approvals=1,
                      dismiss_stale_reviews=True, require_last_push_approval=True,
                      require_conversation_resolution=True, required_checks=checks, strict_checks=True,
                      linear_history=True, allowed_merge_methods=("squash", "rebase"),
                      why="Keep the trunk releasable: every change reviewed and tested.")


RELEASE = BranchRule(pattern="release/*", is_trunk=False, require_pull_request=True, required_approvals=1,
                     dismiss_stale_reviews=True, require_last_push_approval=True, required_checks=("lint",),
                     strict_checks=True, why="Release branches take cherry-picks from the trunk only.")
DEVELOP = BranchRule(pattern="develop", is_trunk=False, lock=True, why="develop is retired: the trunk takes its place.")


def policy(rules: tuple[BranchRule, ...], checks: CiChecks = FOUND, trunk: str = "main",
           title: str = "Protect the trunk") -> Policy:
    return Policy(stage="stage-2", title=title, trunk=trunk, rules=rules, merge=MERGE,
                  scorecard_tier=scorecard_tier(rules), checks=checks)


POLICIES = {
    "trunk-only": policy((trunk_rule(),)),
    "trunk-release-develop": policy((trunk_rule(), RELEASE, DEVELOP)),
    "no-checks": policy((trunk_rule(checks=()), DEVELOP), checks=NO_CI),
    "bare": policy((BranchRule(pattern="trunk", is_trunk=True),), checks=NO_CI, trunk="trunk"),
    "hostile": policy((trunk_rule(HOSTILE, checks=(HOSTILE, "ok")),
                       BranchRule(pattern="rel ease\n*", is_trunk=False, required_checks=(HOSTILE,)),
                       BranchRule(pattern=HOSTILE + "x", is_trunk=False, lock=True, why=HOSTILE)),
                      trunk=HOSTILE, title=HOSTILE, checks=CiChecks(provider=HOSTILE, files=(HOSTILE,),
                                                                    checks=(HOSTILE,), triggers={HOSTILE: (HOSTILE,)},
                                                                    notes=(HOSTILE,))),
}
REPOS = {"trunk-only": "acme/widgets", "trunk-release-develop": None, "no-checks": "acme/widgets",
         "bare": None, "hostile": "acme/it's"}


@functools.cache
def rendered(name: str) -> dict[str, str]:
    return render_policy(POLICIES[name], REPOS[name])


def validate_all(files: dict[str, str]) -> int:
    count = 0
    for path, text in files.items():
        kind = schema_for(path)
        if kind is not None:
            validator(kind).validate(json.loads(text))
            count += 1
    return count


@pytest.mark.parametrize("name", POLICIES)
def test_every_json_file_validates_strictly(name: str) -> None:
    files = rendered(name)
    assert validate_all(files) == sum(1 for p in files if p.endswith(".json"))


def test_the_files_of_one_stage() -> None:
    assert sorted(rendered("trunk-only")) == [
        "README.md", "github/apply.sh", "github/branch-protection-main.json", "github/repository.json",
        "github/ruleset.json", "gitlab/apply.sh", "gitlab/project.json", "gitlab/protected-branch-main.json",
        "safe-settings.yml", "terraform/ruleset.tf",
    ]
    several = rendered("trunk-release-develop")
    assert {p for p in several if p.startswith("github/ruleset")} == {
        "github/ruleset-main.json", "github/ruleset-develop.json",
        next(p for p in several if p.startswith("github/ruleset-release-"))}
    # classic protection takes a branch name, not a pattern: no file for release/*
    assert sorted(p for p in several if "branch-protection" in p) == [
        "github/branch-protection-develop.json", "github/branch-protection-main.json"]
    assert len([p for p in several if p.startswith("gitlab/protected-branch-")]) == 3
    assert "no classic file for `release/*`" in several["README.md"]


def test_rendering_is_deterministic() -> None:
    assert render_policy(POLICIES["hostile"], "acme/x") == render_policy(POLICIES["hostile"], "acme/x")


def test_the_trunk_ruleset() -> None:
    body = json.loads(rendered("trunk-only")["github/ruleset.json"])
    assert body["name"] == "advisor-main" and body["target"] == "branch" and body["enforcement"] == "active"
    assert body["conditions"] == {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}}
    rules = {rule["type"]: rule.get("parameters") for rule in body["rules"]}
    assert list(rules) == ["deletion", "non_fast_forward", "required_linear_history", "pull_request",
                           "required_status_checks"]
    assert rules["pull_request"] == {
        "required_approving_review_count": 1, "dismiss_stale_reviews_on_push": True,
        "require_code_owner_review": False, "require_last_push_approval": True,
        "required_review_thread_resolution": True, "allowed_merge_methods": ["squash", "rebase"]}
    assert rules["required_status_checks"] == {
        "strict_required_status_checks_policy": True,
        "required_status_checks": [{"context": "test (3.12)"}, {"context": "lint"}]}


def test_a_locked_branch_takes_no_updates_and_has_no_review_rules() -> None:
    files = rendered("trunk-release-develop")
    body = json.loads(files["github/ruleset-develop.json"])
    assert body["conditions"]["ref_name"]["include"] == ["refs/heads/develop"]
    assert [rule["type"] for rule in body["rules"]] == ["creation", "update", "deletion", "non_fast_forward"]
    classic = json.loads(files["github/branch-protection-develop.json"])
    assert classic["lock_branch"] is True and classic["required_pull_request_reviews"] is None
    gitlab = json.loads(files["gitlab/protected-branch-develop.json"])
    assert (gitlab["push_access_level"], gitlab["merge_access_level"]) == (0, 0)
    release = json.loads(next(t for p, t in files.items() if p.startswith("github/ruleset-release-")))
    assert release["conditions"]["ref_name"]["include"] == ["refs/heads/release/*"]


def test_without_checks_there_is_no_status_check_rule_and_the_readme_says_so() -> None:
    files = rendered("no-checks")
    body = json.loads(files["github/ruleset-main.json"])
    assert "required_status_checks" not in {rule["type"] for rule in body["rules"]}
    assert json.loads(files["github/branch-protection-main.json"])["required_status_checks"] is None
    assert "No CI configuration found: add your checks' names before applying" in files["README.md"]


def test_classic_protection_and_merge_settings() -> None:
    files = rendered("trunk-only")
    classic = json.loads(files["github/branch-protection-main.json"])
    assert classic["enforce_admins"] is True and classic["restrictions"] is None
    assert classic["required_status_checks"] == {
        "strict": True, "contexts": [], "checks": [{"context": "test (3.12)"}, {"context": "lint"}]}
    repository = json.loads(files["github/repository.json"])
    assert "use_squash_pr_title_as_default" not in repository
    assert repository == {"allow_squash_merge": True, "allow_merge_commit": False, "allow_rebase_merge": True,
                          "allow_auto_merge": True, "delete_branch_on_merge": True, "allow_update_branch": True}
    assert json.loads(files["gitlab/project.json"]) == {
        "merge_method": "ff", "squash_option": "default_off", "only_allow_merge_if_pipeline_succeeds": True,
        "only_allow_merge_if_all_discussions_are_resolved": True, "remove_source_branch_after_merge": True}
    assert json.loads(files["gitlab/protected-branch-main.json"]) == {
        "name": "main", "push_access_level": 0, "merge_access_level": 30, "unprotect_access_level": 40,
        "allow_force_push": False}


def test_hostile_names_survive_json_exactly() -> None:
    files = rendered("hostile")
    trunk_classic = next(p for p in files if p.startswith("github/branch-protection-"))
    contexts = [c["context"] for c in json.loads(files[trunk_classic])["required_status_checks"]["checks"]]
    assert contexts == [HOSTILE, "ok"]
    names = {json.loads(text)["name"] for path, text in files.items() if path.startswith("gitlab/protected-branch-")}
    assert names == {HOSTILE, "rel ease\n*", HOSTILE + "x"}


# -- Terraform ------------------------------------------------------------------------

def hcl_unquote(literal: str) -> str:
    """The value of an HCL quoted string as python-hcl2 returns it (raw, quotes included)."""
    assert literal.startswith('"') and literal.endswith('"'), literal
    body, out, i = literal[1:-1], [], 0
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(body):
        if body[i] == "\\":
            code = body[i + 1]
            if code in simple:
                out.append(simple[code])
                i += 2
            elif code in "uU":
                width = 4 if code == "u" else 8
                out.append(chr(int(body[i + 2:i + 2 + width], 16)))
                i += 2 + width
            else:
                raise AssertionError(f"unknown escape in {literal!r}")
        elif body.startswith("$${", i) or body.startswith("%%{", i):
            out.append(body[i + 1:i + 3])
            i += 3
        else:
            assert not body.startswith(("${", "%{"), i), f"a template sequence in {literal!r}"
            out.append(body[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize("text", ["plain", HOSTILE, "$${", "%%{x}", "$", "%", "${", "\\", "\x00\x7f\u200e", "😀"])
def test_hcl_strings_round_trip(text: str) -> None:
    literal = hcl_string(text)
    assert hcl_unquote(literal) == text
    parsed = hcl2.loads(f"x = {literal}\n")
    assert hcl_unquote(parsed["x"]) == text


def terraform_resources(text: str) -> dict[str, dict[str, Any]]:
    tree = hcl2.loads(text)
    resources: dict[str, dict[str, Any]] = {}
    for block in tree["resource"]:
        assert list(block) == ['"github_repository_ruleset"']
        for label, body in block['"github_repository_ruleset"'].items():
            resources[label.strip('"')] = body
    return resources


def check_terraform(files: dict[str, str], repo: str | None) -> None:
    text = files["terraform/ruleset.tf"]
    tree = hcl2.loads(text)
    variable = tree["variable"][0]['"repository"']
    assert variable["type"] == "string"
    if repo is None:
        assert "default" not in variable
    else:
        assert hcl_unquote(variable["default"]) == repo.split("/")[1]
    rulesets = [json.loads(t) for p, t in sorted(files.items()) if p.startswith("github/ruleset")]
    resources = terraform_resources(text)
    assert len(resources) == len(rulesets)
    by_name = {hcl_unquote(body["name"]): body for body in resources.values()}
    for ruleset in rulesets:
        body = by_name[ruleset["name"]]
        assert body["repository"] == "${var.repository}"
        assert (hcl_unquote(body["target"]), hcl_unquote(body["enforcement"])) == ("branch", "active")
        [conditions] = body["conditions"]
        [ref_name] = conditions["ref_name"]
        assert [hcl_unquote(i) for i in ref_name["include"]] == ruleset["conditions"]["ref_name"]["include"]
        assert ref_name["exclude"] == []
        [rules] = body["rules"]  # exactly one rules block
        expected = {rule["type"]: rule.get("parameters") for rule in ruleset["rules"]}
        got = {key for key in rules if key != "__is_block__"}
        assert got == set(expected)
        for kind in ("creation", "update", "deletion", "non_fast_forward", "required_linear_history"):
            if kind in expected:
                assert rules[kind] is True
        if "pull_request" in expected:
            [pull_request] = rules["pull_request"]
            for key, value in expected["pull_request"].items():
                shown = pull_request[key]
                assert ([hcl_unquote(v) for v in shown] if isinstance(value, list) else shown) == value
        if "required_status_checks" in expected:
            [checks] = rules["required_status_checks"]
            assert [hcl_unquote(c["context"]) for c in checks["required_check"]] == [
                c["context"] for c in expected["required_status_checks"]["required_status_checks"]]
            assert checks["strict_required_status_checks_policy"] == \
                expected["required_status_checks"]["strict_required_status_checks_policy"]


@pytest.mark.parametrize("name", POLICIES)
def test_terraform_parses_and_matches_the_provider_argument_tree(name: str) -> None:
    check_terraform(rendered(name), REPOS[name])


# -- safe-settings ------------------------------------------------------------------------

def check_safe_settings(files: dict[str, str]) -> None:
    text = files["safe-settings.yml"]
    assert text.startswith("# safe-settings for stage ")
    document = yaml.safe_load(text)
    rulesets = [json.loads(t) for p, t in files.items() if p.startswith("github/ruleset")]
    assert set(document) == {"repository", "rulesets"}
    assert document["repository"] == json.loads(files["github/repository.json"])

    def by_name(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(items, key=lambda ruleset: str(ruleset["name"]))

    assert by_name(document["rulesets"]) == by_name(rulesets)
    for ruleset in document["rulesets"]:
        validator(RULESET).validate(ruleset)


@pytest.mark.parametrize("name", POLICIES)
def test_safe_settings_round_trips(name: str) -> None:
    check_safe_settings(rendered(name))


def test_safe_settings_keeps_the_rule_order() -> None:
    document = yaml.safe_load(rendered("trunk-release-develop")["safe-settings.yml"])
    release = next(r["name"] for r in document["rulesets"] if r["name"].startswith("advisor-release-"))
    assert [r["name"] for r in document["rulesets"]] == ["advisor-main", release, "advisor-develop"]


# -- scripts -----------------------------------------------------------------------------

def check_scripts(files: dict[str, str], tmp_path: Path) -> None:
    for path in ("github/apply.sh", "gitlab/apply.sh"):
        script = tmp_path / path.replace("/", "-")
        script.write_text(files[path])
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", POLICIES)
def test_scripts_pass_bash_syntax_check(name: str, tmp_path: Path) -> None:
    check_scripts(rendered(name), tmp_path)


@pytest.mark.skipif(shutil.which("shellcheck") is None and not os.environ.get("CI"),
                    reason="shellcheck is not installed (.ci/run installs it; in CI its absence fails)")
@pytest.mark.parametrize("name", POLICIES)
def test_scripts_pass_shellcheck(name: str, tmp_path: Path) -> None:
    assert shutil.which("shellcheck"), "CI must run shellcheck on the generated scripts: .ci/run installs it"
    for path in ("github/apply.sh", "gitlab/apply.sh"):
        script = tmp_path / path.replace("/", "-")
        script.write_text(rendered(name)[path])
        result = subprocess.run(["shellcheck", "--shell=bash", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


def test_scripts_never_carry_untrusted_names() -> None:
    files = rendered("hostile")
    for path in ("github/apply.sh", "gitlab/apply.sh"):
        for fragment in ("$(touch", "`id`", "<img", '"b${x}', "# heading"):
            assert fragment not in files[path]


STUB = """#!/usr/bin/env bash
printf '%s\\n' "$(basename "$0") $*" >> "$STUB_LOG"
for arg in "$@"; do
  if [[ -f "$arg" ]]; then cat "$arg" > /dev/null; fi
done
if [[ "$*" == *--jq* ]]; then printf '%s' "${STUB_ID:-}"; fi
"""


def run_script(files: dict[str, str], tmp_path: Path, script: str, *args: str,
               ruleset_id: str = "") -> tuple[subprocess.CompletedProcess[str], list[str]]:
    out = tmp_path / "out"
    for path, text in files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("gh", "glab"):
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "calls.log"
    log.write_text("")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "STUB_LOG": str(log),
           "STUB_ID": ruleset_id}
    result = subprocess.run(["bash", str(out / script), *args], capture_output=True, text=True, env=env,
                            cwd=tmp_path)  # not the script's folder: it must find its files itself
    return result, log.read_text().splitlines()


def test_the_github_script_posts_new_rulesets_and_puts_known_ones(tmp_path: Path) -> None:
    files = rendered("trunk-release-develop")  # repository unknown: it must be given
    result, calls = run_script(files, tmp_path, "github/apply.sh")
    assert result.returncode == 2 and "usage" in result.stderr and calls == []
    result, calls = run_script(files, tmp_path, "github/apply.sh", "acme/widgets")
    assert result.returncode == 0, result.stderr
    here = tmp_path / "out" / "github"
    assert calls[0] == f"gh api --method PATCH repos/acme/widgets --input {here}/repository.json"
    assert f"gh api --method POST repos/acme/widgets/rulesets --input {here}/ruleset-main.json" in calls
    assert f"gh api --method POST repos/acme/widgets/rulesets --input {here}/ruleset-develop.json" in calls
    assert sum("select(.name == \"advisor-" in c for c in calls) == 3
    _, calls = run_script(files, tmp_path, "github/apply.sh", "acme/widgets", ruleset_id="42")
    assert f"gh api --method PUT repos/acme/widgets/rulesets/42 --input {here}/ruleset-main.json" in calls
    _, calls = run_script(files, tmp_path, "github/apply.sh", "acme/widgets", "classic")
    assert calls[1:] == [
        f"gh api --method PUT repos/acme/widgets/branches/main/protection --input {here}/branch-protection-main.json",
        f"gh api --method PUT repos/acme/widgets/branches/develop/protection "
        f"--input {here}/branch-protection-develop.json"]


def test_the_gitlab_script_unprotects_then_protects(tmp_path: Path) -> None:
    files = rendered("trunk-only")
    result, calls = run_script(files, tmp_path, "gitlab/apply.sh")  # the known repository is the default
    assert result.returncode == 0, result.stderr
    here = tmp_path / "out" / "gitlab"
    json_header = "--header Content-Type: application/json"
    assert calls == [
        f"glab api --method PUT projects/acme%2Fwidgets {json_header} --input {here}/project.json",
        "glab api --method DELETE projects/acme%2Fwidgets/protected_branches/main",
        f"glab api --method POST projects/acme%2Fwidgets/protected_branches {json_header} "
        f"--input {here}/protected-branch-main.json",
    ]


def test_hostile_names_reach_the_api_only_url_encoded(tmp_path: Path) -> None:
    result, calls = run_script(rendered("hostile"), tmp_path, "gitlab/apply.sh")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pwned").exists()
    deletes = [c for c in calls if "DELETE" in c]
    assert len(deletes) == 3 and all("%22" in c or "%0A" in c for c in deletes)


# -- README --------------------------------------------------------------------------------

def test_the_readme_explains_sources_tiers_and_application() -> None:
    text = rendered("trunk-release-develop")["README.md"]
    for needle in ("Scorecard Branch-Protection tier 3", "Import a ruleset", "bash github/apply.sh OWNER/NAME",
                   "terraform/ruleset.tf", "safe-settings", "glab", "approval rules (Premium)",
                   "Found by reading `.github/workflows/ci.yml`", "`develop`",
                   "Release branches take cherry-picks from the trunk only.", "computed matrix"):
        assert needle in text, needle


def test_the_readme_escapes_untrusted_text() -> None:
    text = rendered("hostile")["README.md"]
    tokens = MarkdownIt("gfm-like").parse(text)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {"html_inline", "html_block", "link_open", "image"}
    headings = [t for t in tokens if t.type == "heading_open"]
    assert all(t.tag in ("h1", "h2", "h3") for t in headings)
    assert not any(line.startswith("# heading") for line in text.splitlines())


# -- Scorecard ------------------------------------------------------------------------------

TIER3 = BranchRule(pattern="main", is_trunk=True, require_pull_request=True, required_approvals=1,
                   strict_checks=True, require_last_push_approval=True, required_checks=("ci",))


@pytest.mark.parametrize("rules, tier", [
    ((), 0),
    ((BranchRule(pattern="release/*", is_trunk=False),), 0),  # no trunk rule: nothing protects the trunk
    ((BranchRule(pattern="main", is_trunk=True, block_force_push=False),), 0),
    ((BranchRule(pattern="main", is_trunk=True),), 1),
    ((BranchRule(pattern="main", is_trunk=True, require_pull_request=True, required_approvals=1,
                 strict_checks=True),), 1),  # last-push approval missing
    ((BranchRule(pattern="main", is_trunk=True, require_pull_request=True, required_approvals=1,
                 strict_checks=True, require_last_push_approval=True),), 2),
    ((TIER3,), 3),
    ((TIER3, DEVELOP), 3),  # a locked integration branch is not scored
    ((TIER3, BranchRule(pattern="release/*", is_trunk=False)), 1),  # the weakest scored branch decides
    ((BranchRule(pattern="main", is_trunk=True, require_pull_request=True, required_approvals=2,
                 strict_checks=True, require_last_push_approval=True, required_checks=("ci",),
                 require_code_owner_review=True),), 4),
    ((BranchRule(pattern="main", is_trunk=True, require_pull_request=True, required_approvals=2,
                 strict_checks=True, require_last_push_approval=True, required_checks=("ci",),
                 require_code_owner_review=True, dismiss_stale_reviews=True),), 5),
    ((BranchRule(pattern="main", is_trunk=True, require_pull_request=True, required_approvals=1,
                 strict_checks=True, require_last_push_approval=True, required_checks=("ci",),
                 dismiss_stale_reviews=True),), 3),  # tier 5 counts only on top of tier 4
])
def test_scorecard_tier(rules: tuple[BranchRule, ...], tier: int) -> None:
    assert scorecard_tier(rules) == tier


# -- any rule -----------------------------------------------------------------------------------

names = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
rules = st.builds(
    BranchRule,
    pattern=names,
    is_trunk=st.booleans(),
    block_deletion=st.booleans(),
    block_force_push=st.booleans(),
    require_pull_request=st.booleans(),
    required_approvals=st.integers(min_value=0, max_value=12),
    dismiss_stale_reviews=st.booleans(),
    require_last_push_approval=st.booleans(),
    require_conversation_resolution=st.booleans(),
    required_checks=st.lists(names, max_size=3).map(tuple),
    strict_checks=st.booleans(),
    linear_history=st.booleans(),
    allowed_merge_methods=st.lists(st.sampled_from(["merge", "squash", "rebase", "bogus"]), max_size=3).map(tuple),
    lock=st.booleans(),
    require_code_owner_review=st.booleans(),
    why=st.text(max_size=30),
)
merges = st.builds(MergeSettings, allow_merge_commit=st.booleans(), allow_squash_merge=st.booleans(),
                   allow_rebase_merge=st.booleans(), allow_auto_merge=st.booleans(),
                   delete_branch_on_merge=st.booleans(), pipeline_must_succeed=st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule_list=st.lists(rules, min_size=1, max_size=4), merge=merges, trunk=names,
       repo=st.one_of(st.none(), st.sampled_from(["acme/widgets", "o/r"])))
def test_any_rules_give_valid_files(rule_list: list[BranchRule], merge: MergeSettings, trunk: str,
                                    repo: str | None, tmp_path: Path) -> None:
    chosen = tuple(rule_list)
    files = render_policy(Policy(stage="s", title="t", trunk=trunk, rules=chosen, merge=merge,
                                 scorecard_tier=scorecard_tier(chosen), checks=NO_CI), repo)
    validate_all(files)
    check_terraform(files, repo)
    check_safe_settings(files)
    check_scripts(files, tmp_path)
    assert 0 <= scorecard_tier(chosen) <= 5
