"""Plan documents: rendered from a real scan, merged with what people wrote, escaped, lint-clean."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from advisor import pipeline, plandoc, recommend
from advisor.history import HistoryOptions
from tests import scenarios
from tests.builders import START, RepoBuilder
from tests.plans import NO_CI

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def scan_of(path: Path, now: datetime = NOW) -> pipeline.scan.Scan:
    return pipeline.run_scan(pipeline.ScanRequest(path=path, now=now, options=HistoryOptions(),
                                                  merge_check_seconds=0))


def generate(path: Path, folder: dict[str, str], now: datetime = NOW,
             settings: dict[str, dict[str, str]] | None = None) -> plandoc.Output:
    """One `advisor plan` run against an in-memory folder, updated in place."""
    scan = scan_of(path, now)
    state = plandoc.read_state(folder.get(plandoc.STATE_FILE))
    plan = recommend.build_plan(scan, NO_CI, state.prior)
    output = plandoc.render(plan, scan, old=folder.get, state=state, settings=settings or {})
    folder.update(output.files)
    return output


def item_line(text: str, ident: str) -> str:
    return next(line for line in text.splitlines() if f"advisor:item {ident}" in line)


def test_every_stage_has_a_file_with_sealed_blocks_and_the_state_lists_them(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    folder: dict[str, str] = {}
    generate(repo_path, folder)
    state = json.loads(folder["plan.json"])
    assert [f"stages/{s}.md" for s in state["stages"]] == sorted(
        (p for p in folder if p.startswith("stages/")), key=lambda p: state["stages"].index(p[7:-3]))
    for path, text in folder.items():
        if path.endswith(".md"):
            segments = plandoc.parse(text)
            assert segments is not None
            blocks = [s for s in segments if isinstance(s, plandoc.Block)]
            assert blocks and all(b.digest == plandoc.digest(b.body) for b in blocks)
            # The title names the model and the stage number, which change: it is generated too.
            assert segments[0] == "" and blocks[0].body.lstrip().startswith("# "), path
    assert state["current_stage"] in state["stages"]


@pytest.mark.parametrize("mark", ["x", "X"])  # GitHub ticks with x; a person typing by hand may write X
def test_person_ticks_and_notes_survive_regeneration(repo_path: Path, mark: str) -> None:
    scenarios.gitflow(repo_path)
    folder: dict[str, str] = {}
    generate(repo_path, folder)
    path = "stages/automate.md"
    line = item_line(folder[path], "automate.fast-build")
    edited = folder[path].replace(line, line.replace("- [ ]", f"- [{mark}]"))
    edited = edited.replace("Write who does what, and when, here: advisor never changes this part.",
                            "Alice owns the pipeline work; due in March.")
    folder[path] = edited
    output = generate(repo_path, folder, now=NOW + timedelta(days=7))
    assert output.notes == ()
    assert item_line(folder[path], "automate.fast-build").startswith(("- [x]", "- [X]"))
    assert "Alice owns the pipeline work; due in March." in folder[path]
    assert "scan of 2024-06-08" in folder[path]  # the numbers did update


def test_tool_ticks_name_the_scan_that_verified_them_and_keep_that_date(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    folder: dict[str, str] = {}
    generate(repo_path, folder)
    state = json.loads(folder["plan.json"])
    met = [c for c, v in state["criteria"].items() if v["met"]]
    assert met, "the gitflow scenario meets some criteria"
    ticked = [line for text in folder.values() for line in text.splitlines() if " tool -->" in line]
    assert ticked and all(line.startswith("- [x]") for line in ticked)
    tip = state["trunk_tip"][:10]
    # Each tool tick cites the measured fact (the number, its target), the scan's date and trunk commit.
    assert all(re.search(r"\(verified: .* \d+(\.\d+)?.* \(target [≤≥] [^)]*\), scan of 2024-06-01 at trunk "
                         + re.escape(f"`{tip}`"), line) or "the branch is no longer open" in line for line in ticked)
    generate(repo_path, folder, now=NOW + timedelta(days=3))
    again = [line for text in folder.values() for line in text.splitlines() if " tool -->" in line]
    assert again == ticked  # still verified on the first date it held: no churn in weekly regenerations


def test_an_edit_inside_a_generated_block_is_never_overwritten(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    folder: dict[str, str] = {}
    generate(repo_path, folder)
    path = "stages/shrink-batches.md"
    folder[path] = folder[path].replace("## Goal", "## Goal (our words)")
    edited = folder[path]
    output = generate(repo_path, folder)
    assert folder[path] == edited
    assert "stages/shrink-batches.advisor-new.md" in output.files
    assert output.notes and "stages/shrink-batches.md" in output.notes[0]


def test_a_changed_settings_file_is_written_beside_it(repo_path: Path) -> None:
    scenarios.trunk_squash(repo_path)
    folder: dict[str, str] = {}
    settings = {"automate": {"github/ruleset.json": '{"name": "x"}\n'}}
    generate(repo_path, folder, settings=settings)
    folder["protection/automate/github/ruleset.json"] = '{"name": "ours"}\n'
    output = generate(repo_path, folder, settings={"automate": {"github/ruleset.json": '{"name": "y"}\n'}})
    assert folder["protection/automate/github/ruleset.json"] == '{"name": "ours"}\n'
    assert output.files["protection/automate/github/ruleset.advisor-new.json"] == '{"name": "y"}\n'
    untouched: dict[str, str] = {}
    generate(repo_path, untouched, settings=settings)
    generate(repo_path, untouched, settings={"automate": {"github/ruleset.json": '{"name": "y"}\n'}})
    assert untouched["protection/automate/github/ruleset.json"] == '{"name": "y"}\n'


def test_a_branch_that_is_gone_ticks_its_item(repo_path: Path) -> None:
    builder = scenarios.trunk_with_an_idle_branch(repo_path, days=120)
    folder: dict[str, str] = {}
    now = START + timedelta(days=120)
    generate(repo_path, folder, now=now)
    wip = folder["stages/stop-adding-wip.md"]
    line = next(line for line in wip.splitlines() if "`old-idea`" in line)
    assert line.startswith("- [ ] Finish or delete `old-idea` (no commit for 120 days")
    builder.delete_branch("old-idea")
    generate(repo_path, folder, now=now + timedelta(days=1))
    line = next(line for line in folder["stages/stop-adding-wip.md"].splitlines() if "`old-idea`" in line)
    assert line.startswith("- [x] Finish or delete `old-idea`")
    assert "verified: the branch is no longer open, scan of 2024-05-01" in line


def test_broken_state_is_a_clear_error() -> None:
    for text in ("{", "[]", '{"format": 99}', '{"format": 1, "targets": {"a": "x"}}'):
        try:
            plandoc.read_state(text)
        except plandoc.BadState:
            continue
        raise AssertionError(f"accepted {text!r}")


HOSTILE = ["<img-src=x-onerror=alert(1)>", "x](www.evil.example)", "a|b", "`tick`", "#-head", 'x"-->evil(y',
           "<!--", "feature/__bold__", "a&amp;b"]  # all valid ref names: git forbids spaces, colons and a few more


def test_hostile_branch_names_stay_text_in_every_document(repo_path: Path) -> None:
    builder = RepoBuilder(repo_path)
    builder.commit("root", branch="main", at=0)
    for index, name in enumerate(HOSTILE):
        builder.branch(name, "main")
        builder.commit(f"{name} 1", branch=name, at=index + 1)
    for day in range(1, 130):
        builder.commit(f"work {day}", branch="main", at=24 * day)
    folder: dict[str, str] = {}
    generate(repo_path, folder, now=START + timedelta(days=130))
    parser = MarkdownIt("gfm-like")
    parser.linkify.set({"fuzzy_link": False})
    wip = folder["stages/stop-adding-wip.md"]
    for path, text in folder.items():
        if not path.endswith(".md"):
            continue
        rendered = parser.render(text)
        assert "<img" not in rendered and "<strong>bold" not in rendered and "a&b" not in rendered, path
        links = re.findall(r'href="([^"]*)"', rendered)
        assert all(not link.startswith(("http", "www", "mailto")) and "evil" not in link for link in links), links
        assert plandoc.parse(text) is not None, path  # "<!--" in a name cannot open a comment that eats markers
    html = parser.render(wip)
    for name in HOSTILE:
        assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") in html, name


def test_generated_markdown_is_lint_clean(repo_path: Path, tmp_path: Path) -> None:
    from pymarkdown.api import PyMarkdownApi

    scenarios.gitflow(repo_path)
    folder: dict[str, str] = {}
    generate(repo_path, folder)
    out = tmp_path / "plan"
    for path, text in folder.items():
        if path.endswith(".md"):
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_text(text)
    result = PyMarkdownApi().disable_rule_by_identifier("md013").scan_path(str(out), recurse_if_directory=True)
    assert [f"{f.scan_file}:{f.line_number} {f.rule_id} {f.rule_description}" for f in result.scan_failures] == []


def test_a_person_can_untick_a_tool_tick_and_it_stays_unticked_with_a_note(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    folder: dict[str, str] = {}
    generate(repo_path, folder)
    path, line = next((p, line) for p, text in folder.items() if p.startswith("stages/")
                      for line in text.splitlines() if " tool -->" in line and line.startswith("- [x]"))
    ident = re.search(r"advisor:item (\S+) tool", line)[1]  # type: ignore[index]
    folder[path] = folder[path].replace(line, line.replace("- [x]", "- [ ]", 1))
    for _ in range(2):  # and it stays so on every later run
        generate(repo_path, folder)
        kept = item_line(folder[path], ident)
        assert kept.startswith("- [ ]") and kept.endswith(" override -->")
        assert "unticked by a person; the 2024-06-01 scan measured" in kept
    # Ticking it again gives it back to the person.
    folder[path] = folder[path].replace(kept, kept.replace("- [ ]", "- [x]", 1))
    generate(repo_path, folder)
    assert item_line(folder[path], ident).startswith("- [x]")


def test_host_settings_are_never_ticked_by_the_tool_and_say_how_to_check_them(repo_path: Path) -> None:
    scenarios.gitflow(repo_path)
    folder: dict[str, str] = {}
    generate(repo_path, folder)
    lines = [line for p, text in folder.items() if p.startswith("stages/") for line in text.splitlines()
             if "(check: `gh api" in line]
    assert any("collapse-lines.lock" in line for line in lines)
    assert any("automate.review-rule" in line for line in lines)
    assert all(line.startswith("- [ ]") and " tool -->" not in line for line in lines)
    # Each GitHub call has its GitLab counterpart, for the same branch.
    assert all("; on GitLab `glab api projects/:id" in line for line in lines)
    lock = next(line for line in lines if "collapse-lines.lock" in line)
    assert "rules/branches/develop`" in lock and "protected_branches/develop`" in lock


def test_no_stage_is_done_beside_an_unticked_checklist(repo_path: Path) -> None:
    scenarios.release_branching(repo_path)
    folder: dict[str, str] = {}
    output = generate(repo_path, folder)
    state = json.loads(folder["plan.json"])
    for stage in output.plan.stages:
        text = folder[plandoc.stage_path(stage.id)]
        unticked = [line for line in text.splitlines() if line.startswith("- [ ]")]
        if unticked:
            assert stage.status.value != "done", stage.id
            assert state["status"][stage.id] != "done"
            assert f"**Status: done.**" not in text
    readme = folder["README.md"]
    for row in readme.splitlines():
        if row.startswith("| ") and "| done |" in row:
            ticked, total = re.search(r"\| (\d+) of (\d+) \|$", row).groups()  # type: ignore[union-attr]
            assert ticked == total, row


@pytest.mark.parametrize("model", ["gitflow", "github_flow", "trunk_squash", "trunk_direct", "release_branching",
                                   "environment_branches"])
def test_every_tool_tick_cites_a_measured_fact_from_a_named_scan(model: str, tmp_path: Path) -> None:
    path = tmp_path / "repo"
    getattr(scenarios, model)(path)
    folder: dict[str, str] = {}
    generate(path, folder)
    tip = json.loads(folder["plan.json"])["trunk_tip"][:10]
    for name, text in folder.items():
        for line in text.splitlines():
            if " tool -->" in line:
                assert line.startswith("- [x]")
                assert f"scan of 2024-06-01 at trunk `{tip}`" in line
                assert re.search(r"verified: (.* \d+.*\(target [≤≥] .*\)|the branch is no longer open)", line), line
