"""The plan as files a team commits: Markdown checklists, settings, and the plan's own state.

Pure: a Plan and the files already in the folder come in, the texts to write
come out. Re-generation keeps people's work:

- text outside the generated blocks (`<!-- advisor:begin NAME digest=... -->`
  ... `<!-- advisor:end NAME -->`) is the team's and is kept as it is;
- a box a person ticked stays ticked; a box the tool ticks names the scan
  that verified it (its date and trunk commit), kept while it still holds;
- a generated block a person edited, or a settings file changed since it was
  generated, is never overwritten: the new version is written beside it and
  the notes say so.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from typing_extensions import TypedDict  # pydantic reads the schema of this one on Python 3.11

from advisor import __version__
from advisor.markdown import code, environment, md
from advisor.model import human_hours
from advisor.recommend import (
    TARGET_RELEASE_BRANCHES,
    Action,
    Criterion,
    Plan,
    Prior,
    Stage,
    StageStatus,
    settle,
)
from advisor.scan import Scan
from advisor.targets import quantity

STATE_FILE = "plan.json"
STATE_FORMAT = 1
README = "README.md"
BESIDE_SUFFIX = ".advisor-new"
# Items about one branch: when the branch is gone, the item is done.
RESOLVED_WHEN_GONE = ("stop-adding-wip.delete-stale.", "stop-adding-wip.delete-merged.", "stop-adding-wip.land.")

_BEGIN = re.compile(r"^<!-- advisor:begin (?P<name>[a-z0-9-]+)(?: digest=(?P<digest>[0-9a-f]{16}))? -->$")
_END = re.compile(r"^<!-- advisor:end (?P<name>[a-z0-9-]+) -->$")
_ITEM = re.compile(r"^- \[(?P<mark>[ xX])\] (?P<text>.*) <!-- advisor:item (?P<id>[A-Za-z0-9._-]+)"
                   r"(?: (?P<flag>tool|override))? -->$")
_PLACEHOLDER = re.compile(r"\{(\d+)\}")


def stage_path(stage_id: str) -> str:
    return f"stages/{stage_id}.md"


# ---------------------------------------------------------------------------
# State kept in plan.json


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    at: str  # the scan's date, YYYY-MM-DD
    trunk: str  # the trunk commit the scan read


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """What the previous generation left in the folder: stages, targets, tool ticks, file digests."""

    stages: tuple[str, ...] = ()
    targets: Mapping[str, float] = field(default_factory=dict)
    verified: Mapping[str, Verification] = field(default_factory=dict)
    digests: Mapping[str, str] = field(default_factory=dict)  # path -> digest of the text last generated
    baselines: Mapping[str, float | None] = field(default_factory=dict)  # criterion -> the value its target stepped from
    baseline_over: Mapping[str, str] = field(default_factory=dict)  # criterion -> the trunk commit and window it was measured over

    @property
    def prior(self) -> Prior:
        return Prior(stages=self.stages, targets=self.targets, baselines=self.baselines,
                     baseline_over=self.baseline_over)


class BadState(ValueError):
    """plan.json exists but is not a plan state advisor can read."""


def read_state(text: str | None) -> State:
    if text is None:
        return State()
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise BadState(f"it is not format {STATE_FORMAT}")
        return State(
            stages=tuple(str(s) for s in data.get("stages", [])),
            targets={str(k): float(v) for k, v in data.get("targets", {}).items()},
            verified={str(k): Verification(at=str(v["at"]), trunk=str(v["trunk"]))
                      for k, v in data.get("verified", {}).items()},
            digests={str(k): str(v) for k, v in data.get("digests", {}).items()},
            baselines={str(k): None if v is None else float(v) for k, v in data.get("baselines", {}).items()},
            baseline_over={str(k): str(v) for k, v in data.get("baseline_over", {}).items()},
        )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BadState(str(error)) from None


class CriterionStateDocument(TypedDict):
    met: bool | None
    current: float | None


class VerificationDocument(TypedDict):
    at: str  # the verifying scan's date, YYYY-MM-DD
    trunk: str  # the trunk commit it read


class StateDocument(TypedDict):
    """plan.json (`advisor/schemas/plan-state.schema.json` is generated from this)."""

    format: int
    tool_version: str
    generated_at: str
    trunk: str
    trunk_tip: str
    current_stage: str | None
    stages: list[str]
    status: dict[str, str]  # stage id -> status
    targets: dict[str, float | None]  # criterion id -> target
    baselines: dict[str, float | None]  # criterion id -> the value its target stepped from
    baseline_over: dict[str, str]  # criterion id -> "TRUNK-COMMIT SINCE/UNTIL": what its baseline was measured over
    criteria: dict[str, CriterionStateDocument]
    verified: dict[str, VerificationDocument]  # item id -> the scan that ticked it
    digests: dict[str, str]  # path -> digest of the text last generated


def state_text(plan: Plan, verified: Mapping[str, Verification], digests: Mapping[str, str]) -> str:
    data: StateDocument = {
        "format": STATE_FORMAT,
        "tool_version": __version__,
        "generated_at": plan.scanned_at.isoformat(),
        "trunk": plan.trunk,
        "trunk_tip": plan.trunk_tip,
        "current_stage": plan.current_stage,
        "stages": [stage.id for stage in plan.stages],
        "status": {stage.id: stage.status.value for stage in plan.stages},
        "targets": {c.id: c.target for stage in plan.stages for c in stage.criteria},
        "baselines": {c.id: c.baseline for stage in plan.stages for c in stage.criteria},
        "baseline_over": {c.id: c.measured_over for stage in plan.stages for c in stage.criteria},
        "criteria": {c.id: {"met": c.met, "current": c.current} for stage in plan.stages for c in stage.criteria},
        "verified": {k: {"at": v.at, "trunk": v.trunk} for k, v in sorted(verified.items())},
        "digests": dict(sorted(digests.items())),
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------
# Documents made of text and generated blocks


@dataclass(frozen=True, slots=True)
class Block:
    name: str
    digest: str | None
    body: str


Segment = str | Block


def digest(body: str) -> str:
    """The digest of a generated block, blind to which boxes are ticked (people tick boxes)."""
    unticked = re.sub(r"^- \[[xX]\] ", "- [ ] ", body, flags=re.MULTILINE)
    return hashlib.sha256(unticked.encode("utf-8")).hexdigest()[:16]


def file_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def parse(text: str) -> list[Segment] | None:
    """Text and blocks in order; None when the markers are broken (unclosed, nested, repeated)."""
    segments: list[Segment] = []
    seen: set[str] = set()
    loose: list[str] = []
    block: tuple[str, str | None] | None = None
    body: list[str] = []
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        begin, end = _BEGIN.match(stripped), _END.match(stripped)
        if begin:
            if block is not None or begin["name"] in seen:
                return None
            block = (begin["name"], begin["digest"])
            seen.add(begin["name"])
            segments.append("".join(loose))
            loose, body = [], []
        elif end:
            if block is None or end["name"] != block[0]:
                return None
            segments.append(Block(block[0], block[1], "".join(body)))
            block = None
        elif block is not None:
            body.append(line)
        else:
            loose.append(line)
    if block is not None:
        return None
    segments.append("".join(loose))
    return segments


def join(segments: Sequence[Segment]) -> str:
    parts = []
    for segment in segments:
        if isinstance(segment, Block):
            parts.append(f"<!-- advisor:begin {segment.name} digest={digest(segment.body)} -->\n"
                         f"{segment.body}<!-- advisor:end {segment.name} -->\n")
        else:
            parts.append(segment)
    return "".join(parts)


def seal(text: str) -> str:
    """Add each block's digest to its begin marker."""
    segments = parse(text)
    assert segments is not None, "a template produced broken block markers"
    return join(segments)


def merge(old: str, new: str) -> str | None:
    """The new blocks inside the old text; None when that cannot be done safely."""
    old_segments, new_segments = parse(old), parse(new)
    if old_segments is None or new_segments is None:
        return None
    old_blocks = [s for s in old_segments if isinstance(s, Block)]
    new_blocks = {s.name: s for s in new_segments if isinstance(s, Block)}
    if [b.name for b in old_blocks] != [s.name for s in new_segments if isinstance(s, Block)]:
        return None  # the layout changed: a person moved or removed blocks, or the template did
    if any(b.digest is None or b.digest != digest(b.body) for b in old_blocks):
        return None  # a person edited inside a generated block
    merged = [new_blocks[s.name] if isinstance(s, Block) else s for s in old_segments]
    return join(merged)


@dataclass(frozen=True, slots=True, kw_only=True)
class OldItem:
    ticked: bool
    by_tool: bool
    text: str  # the item's Markdown, without the note the tool added to it
    overridden: bool = False  # a person unticked a tool tick: it stays unticked


def old_items(text: str | None) -> dict[str, OldItem]:
    if text is None:
        return {}
    items = {}
    for line in text.splitlines():
        match = _ITEM.match(line)
        if match:
            text = re.sub(r" \((?:verified by|verified:|done:|unticked by a person)[^()]*(?:\([^()]*\)[^()]*)*\)$", "",
                          match["text"])
            ticked, flag = match["mark"] != " ", match["flag"]
            items[match["id"]] = OldItem(ticked=ticked, by_tool=flag == "tool" and ticked, text=text,
                                         overridden=flag in ("override", "tool") and not ticked)
    return items


# ---------------------------------------------------------------------------
# Rendering


def action_text(action: Action) -> str:
    """The action's words escaped as prose, its literal values as code spans."""
    parts, last = [], 0
    for match in _PLACEHOLDER.finditer(action.text):
        parts.append(md(action.text[last:match.start()]))
        index = int(match.group(1))
        parts.append(code(action.code[index]) if index < len(action.code) else md(match.group(0)))
        last = match.end()
    parts.append(md(action.text[last:]))
    return "".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkbox:
    id: str
    text: str  # Markdown, escaped
    ticked: bool
    note: str  # Markdown: the measured fact that ticked it, or why a person's untick stands
    override: bool = False  # a person unticked what the tool would tick

    @property
    def line(self) -> str:
        mark = "x" if self.ticked else " "
        flag = " override" if self.override else " tool" if self.note else ""
        note = f" ({self.note})" if self.note else ""
        return f"- [{mark}] {self.text}{note} <!-- advisor:item {self.id}{flag} -->"


def _verification_note(v: Verification, fact: str = "") -> str:
    scan = f"scan of {v.at} at trunk {code(v.trunk[:10])}"
    return f"verified: {fact}, {scan}" if fact else f"verified by the {scan}"


def criterion_fact(criterion: Criterion) -> str:
    """The measured fact behind a tool tick: "median branch lifetime 12 h (target ≤ 24 h)"."""
    sign = "≤" if criterion.direction == "at-most" else "≥"
    return (f"{md(criterion.name)} {_number(criterion.current, criterion.unit)} "
            f"(target {sign} {_number(criterion.target, criterion.unit)})")


def _checks(action: Action) -> str:
    """How to see a host setting no scan can: the gh call, and the glab call for GitLab."""
    calls = [code(action.verify)] if action.verify else []
    if action.verify_gitlab:
        calls.append(f"on GitLab {code(action.verify_gitlab)}")
    return f" (check: {'; '.join(calls)})" if calls else ""


def checkboxes(stage: Stage, old: Mapping[str, OldItem], verified: dict[str, Verification],
               fresh: Verification) -> list[Checkbox]:
    """The stage's checklist: person ticks kept, tool ticks where the criterion holds, gone branches done."""
    met = {c.id: c for c in stage.criteria if c.met}
    boxes = []
    current = {action.id for action in stage.actions}
    for action in stage.actions:
        previous = old.get(action.id)
        text = action_text(action) + _checks(action)
        if action.criterion in met:
            fact = criterion_fact(met[action.criterion])
            if previous is not None and previous.overridden:
                verified.pop(action.id, None)
                boxes.append(Checkbox(id=action.id, text=text, ticked=False, override=True,
                                      note=f"unticked by a person; the {fresh.at} scan measured {fact}"))
                continue
            verified.setdefault(action.id, fresh)
            boxes.append(Checkbox(id=action.id, text=text, ticked=True,
                                  note=_verification_note(verified[action.id], fact)))
            continue
        verified.pop(action.id, None)  # a tool tick that no longer holds is taken back
        person = previous is not None and previous.ticked and not previous.by_tool
        boxes.append(Checkbox(id=action.id, text=text, ticked=person, note=""))
    for ident, item in old.items():
        if ident in current or not ident.startswith(RESOLVED_WHEN_GONE):
            continue
        verified.setdefault(ident, fresh)
        boxes.append(Checkbox(id=ident, text=item.text, ticked=True,
                              note=_verification_note(verified[ident], "the branch is no longer open")))
    return boxes


def _number(value: float | None, unit: str) -> str:
    return quantity(value, unit)


def criterion_rows(stage: Stage) -> list[dict[str, str]]:
    rows = []
    for c in stage.criteria:
        sign = "≤" if c.direction == "at-most" else "≥"
        if c.unit == "" and c.ideal in (0.0, 1.0) and c.target == c.ideal and c.direction == "at-least":
            target, current = "yes", ("not measured" if c.current is None else "yes" if c.current >= 1 else "no")
        else:
            target = f"{sign} {_number(c.target, c.unit)}"
            if c.ideal != c.target:
                target += f" (then {sign} {_number(c.ideal, c.unit)})"
            current = _number(c.current, c.unit)
        rows.append({"name": c.name, "target": target, "current": current,
                     "met": "not measured" if c.met is None else "met" if c.met else "not yet",
                     "source": c.source})
    return rows


STATUS_LABEL = {StageStatus.DONE: "done", StageStatus.CURRENT: "current", StageStatus.LATER: "later"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    files: dict[str, str]  # path relative to the plan folder -> text to write
    notes: tuple[str, ...]  # what a person should know: files written beside, state reset
    plan: Plan  # the plan with each stage's status from its criteria and its checklist


def _flow(scan: Scan, plan: Plan) -> dict[str, Any]:
    """Nodes and edges of the current and the target branch flow, for Mermaid."""
    verdict = scan.verdict
    trunk = plan.trunk
    current: list[tuple[str, str, str]] = []
    work = verdict.integration_line or trunk
    current.append(("feature branches", work, "merge"))
    if verdict.integration_line and verdict.integration_line != trunk:
        current.append((verdict.integration_line, trunk, "release merge"))
    fed = scan.history.trunk.fast_forwarded
    # A production line only ever fast-forwarded to the trunk takes no merge, and the tags are the trunk's.
    moved_by_ff = fed is not None and fed.line == verdict.production_line
    if verdict.production_line and verdict.production_line != trunk:
        current.append((trunk, verdict.production_line, "fast-forward" if moved_by_ff else "release merge"))
    drawn = {trunk, verdict.integration_line, verdict.production_line}
    for line in scan.history.long_lived:
        if line.live and line.name not in drawn:
            label = ("fixes and backports" if line.name in plan.maintenance_lines
                     else "promotion" if line.name in plan.environment_lines else "long-lived branch")
            current.append((trunk, line.name, label))
    release_from = trunk if moved_by_ff else verdict.production_line or trunk
    current.append((release_from, "release tags", "tag"))
    target: list[tuple[str, str, str]] = [("short-lived branches", trunk, "merge within a day"),
                                          (trunk, "release tags", "tag")]
    if plan.target_model == TARGET_RELEASE_BRANCHES:
        target.append((trunk, "release/* branches", "cherry-pick fixes"))
    return {"current": current, "target": target}


def announcements(stage: Stage, previous: Stage | None) -> list[str]:
    """What this stage's settings refuse that the previous stage's allowed: what to tell the team."""
    before = {rule.pattern: rule for rule in previous.policy.rules} if previous else {}
    said = []
    for rule in stage.policy.rules:
        old = before.get(rule.pattern)
        name = stage.policy.trunk if rule.is_trunk else rule.pattern
        bypass = " (admins and maintainers may still push)" if rule.bypass else ""
        if rule.lock and not (old and old.lock):
            said.append(f"{name} becomes read-only: pushes and merges into it are refused.")
            continue
        if rule.require_pull_request and not (old and old.require_pull_request):
            said.append(f"Changes to {name} go through a pull request with {rule.required_approvals} approval"
                        f"{'s' if rule.required_approvals != 1 else ''}{bypass}.")
        if rule.required_checks and not (old and old.required_checks):
            said.append(f"A pull request into {name} merges only when its {len(rule.required_checks)} required "
                        f"check{'s' if len(rule.required_checks) != 1 else ''} pass.")
        if rule.linear_history and not (old and old.linear_history):
            said.append(f"Merge commits are refused on {name}: merge by squash or rebase.")
        if old is None and not rule.is_trunk and not rule.lock:
            said.append(f"{name} can no longer be deleted or force-pushed.")
    if previous is None:
        said.append(f"{stage.policy.trunk} can no longer be deleted or force-pushed.")
    return said


def restepped_targets(plan: Plan) -> list[str]:
    """The criteria whose target was stepped again because the same history (the same trunk commit
    and window) now measures differently from the baseline plan.json kept, each as a sentence."""
    lines = []
    for stage in plan.stages:
        for c in stage.criteria:
            if c.restepped_from is None:
                continue
            bound = "≤" if c.direction == "at-most" else "≥"
            lines.append(f"{c.name} ({c.id}): the baseline was {quantity(c.restepped_from, c.unit)}, and the same "
                         f"trunk commit and window now measure {quantity(c.current, c.unit)}; the target steps "
                         f"from that: {bound} {quantity(c.target, c.unit)}")
    return lines


def checklists(plan: Plan, old: Callable[[str], str | None],
               verified: dict[str, Verification]) -> dict[str, list[Checkbox]]:
    """Each stage's checklist as the folder's stage files and `verified` (plan.json's tool ticks) hold
    it, ticked anew from this plan's measured criteria. `verified` is updated with the new tool ticks."""
    fresh = Verification(at=plan.scanned_at.date().isoformat(), trunk=plan.trunk_tip)
    return {stage.id: checkboxes(stage, old_items(old(stage_path(stage.id))), verified, fresh)
            for stage in plan.stages}


def settled(plan: Plan, boxes: Mapping[str, Sequence[Checkbox]]) -> Plan:
    """A stage is done when its exit criteria hold and its checklist is done, not on the criteria alone."""
    return settle(plan, {ident: all(box.ticked for box in stage) for ident, stage in boxes.items()})


def render(plan: Plan, scan: Scan, *, old: Callable[[str], str | None], state: State,
           settings: Mapping[str, Mapping[str, str]]) -> Output:
    """Every file of the plan folder, merged with what is there.

    `old(path)` reads a file already in the folder (None when absent);
    `settings` maps a stage id to its protection files (path -> text).
    """
    env = environment()
    old = functools.cache(old)  # each file is read once: for its ticks and for the merge
    verified = dict(state.verified)
    generated: dict[str, str] = {}
    stage_boxes = checklists(plan, old, verified)
    plan = settled(plan, stage_boxes)
    for number, stage in enumerate(plan.stages, start=1):
        path = stage_path(stage.id)
        boxes = stage_boxes[stage.id]
        generated[path] = seal(env.get_template("plan-stage.md.j2").render(
            plan=plan, stage=stage, number=number, boxes=boxes,
            announce=announcements(stage, plan.stages[number - 2] if number > 1 else None),
            criteria=criterion_rows(stage), settings=sorted(settings.get(stage.id, {})),
            status=STATUS_LABEL[stage.status]))
    metrics = scan.metrics
    restepped = restepped_targets(plan)
    generated[README] = seal(env.get_template("plan-readme.md.j2").render(
        plan=plan, scan=scan, restepped=restepped, metrics=metrics, flow=_flow(scan, plan), days=_days, hours=human_hours,
        share=_share, tier=lambda value: value or "-",
        stages=[(stage, STATUS_LABEL[stage.status], stage_path(stage.id),
                 sum(b.ticked for b in stage_boxes[stage.id]), len(stage_boxes[stage.id])) for stage in plan.stages],
        evidence=scan.verdict.evidence[:6]))
    for stage_id, stage_files in settings.items():
        for name, text in stage_files.items():
            generated[f"protection/{stage_id}/{name}"] = text
    files: dict[str, str] = {}
    notes: list[str] = [f"target stepped again: {line}" for line in restepped]
    digests: dict[str, str] = {}
    for path, text in generated.items():
        existing = old(path)
        digests[path] = file_digest(text)
        if existing is None or existing == text:
            files[path] = text
            continue
        if "<!-- advisor:begin " in text:  # a document with generated blocks: merge around them
            merged = merge(existing, text)
        else:  # wholly generated: replaced only if nobody changed it since advisor wrote it
            merged = text if state.digests.get(path) == file_digest(existing) else None
        if merged is None:
            beside = _beside(path)
            files[beside] = text
            digests[path] = state.digests.get(path, "")
            notes.append(f"{path} was changed by hand where advisor generates it; the new version is in {beside}.")
        else:
            files[path] = merged
    files[STATE_FILE] = state_text(plan, verified, digests)
    return Output(files=files, notes=tuple(notes), plan=plan)


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _beside(path: str) -> str:
    stem, dot, extension = path.rpartition(".")
    return f"{stem}{BESIDE_SUFFIX}.{extension}" if dot and "/" not in extension else f"{path}{BESIDE_SUFFIX}"


_HOSTED = re.compile(r"^(?:https?://(?:[^@/]+@)?|ssh://(?:[^@/]+@)?|git@)(?P<host>[^/:]+)[:/](?:\d+/)?"
                     r"(?P<path>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)/?$")


def repository_slug(url: str | None) -> str | None:
    """OWNER/NAME (GitLab: GROUP/SUBGROUP/NAME) from a remote URL, for the settings scripts; None if unknown."""
    if not url:
        return None
    match = _HOSTED.match(url.strip())
    return match["path"].removesuffix(".git") if match else None
