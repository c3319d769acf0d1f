"""What the terminal shows: the scan summary, the plan, the progress report.

Branch names, tag names and commit subjects are untrusted: `term` shows control
and bidi characters as escapes (an escape sequence could rewrite the screen).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from advisor import escape
from advisor import progress as _progress
from advisor.metrics import episodes_in_window
from advisor.model import STALE_DAYS, Distribution, counted, EpisodeKind, LineMergeKind, MergeMethod, human_days, human_hours
from advisor.proofs import Proof, trunk_choice
from advisor.protection import CiChecks
from advisor.recommend import Plan
from advisor.report.common import day, empty_message, progress_sections, trend_labels
from advisor.report.layout import PLAIN, Style, fit, paint, table, tier
from advisor.scan import Scan
from advisor.snapshot import MEASURES as _MEASURES

LIVE_ROWS = 15


def term(text: object) -> str:
    """Text safe to print on a terminal: control and bidi characters shown as escapes (`escape.terminal`)."""
    return escape.terminal(text)



_hours = human_hours


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _share(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{100 * part / whole:.0f}%"


def _distribution_row(label: str, dist: Distribution, fmt: Any) -> list[str]:
    return [label, str(dist.count), fmt(dist.p50), fmt(dist.p90), fmt(dist.max)]


def _table(style: Style, rows: Any, headers: Any = (), **options: Any) -> str:
    """A table indented by two spaces, fitted to the style's width."""
    width = None if style.width is None else style.width - 2
    return _indent(table(rows, headers, width=width, **options))


def scan_text(scan: Scan, style: Style = PLAIN, explain: bool = False) -> str:
    """The terminal summary; `style` fits it to a width and colours it (the default: neither).
    With `explain`, every evidence line and headline metric is followed by the git commands
    that reproduce it (`advisor.proofs`)."""
    history, summary = scan.history, scan.summary
    out: list[str] = []
    add = out.append
    add(f"advisor scan of {term(scan.repo.path)}")
    add(f"  {counted(scan.repo.commits, 'commit')}, {counted(scan.repo.branches, 'branch', 'branches')}, "
        f"{counted(scan.repo.tags, 'tag')}"
        + (f", {counted(scan.repo.pull_refs, 'pull-request ref')}" if scan.repo.pull_refs else "")
        + (" (shallow: older history missing)" if scan.repo.shallow else ""))
    add(f"  window: {scan.window.since:%Y-%m-%d} to {scan.window.until:%Y-%m-%d}")
    if scan.dormant is not None:
        add(f"  {term(scan.dormant.note)}")
    add("")
    _verdict(scan, add, style, explain)
    add("")
    _flow(scan, add, style)
    if explain:
        _metric_proofs(scan, add)
    add("")
    add(f"Trunk: {term(history.trunk.name)}  ({history.trunk.rule.value}; "
        f"{counted(history.trunk_commits, 'first-parent commit')}, all time)")
    fed = history.trunk.fast_forwarded
    if fed is not None:
        add(f"  {term(fed.line)} ({fed.rule.value}) only moves by fast-forward to {term(history.trunk.name)}: "
            f"they last met at {fed.met_at[:10]} ({fed.met_on:%Y-%m-%d}); since then {term(history.trunk.name)} took "
            f"{counted(fed.trunk_commits, 'first-parent commit')} ({counted(fed.trunk_integrations, 'integration')}) "
            f"and {term(fed.line)} {counted(fed.own_commits, 'commit')} of its own, no integration, all merged into "
            f"{term(history.trunk.name)}"
            + (f"; {counted(fed.passed_back_merges, 'merge')} of {term(fed.line)} into {term(history.trunk.name)} "
               f"{'was' if fed.passed_back_merges == 1 else 'were'} later passed by {term(fed.line)}'s first-parent "
               "chain" if fed.passed_back_merges else ""))
        if explain:
            seen: set[tuple[str, int | None]] = set()
            for proof in trunk_choice(history):
                _proof_lines(proof, add, "      ", seen)
    add("")
    add("Long-lived branches (all time: own commits, merges in, into trunk and tags count the whole history)")
    live_names = {branch.name for branch in history.live_branches}
    rows: list[list[Any]] = [
        # A line rebuilt from history whose name a branch still has: that branch has left the line (moved).
        [term(b.name), "yes" if b.live else "moved" if b.name in live_names else "deleted",
         f"{b.first_commit_at:%Y-%m-%d}", f"{b.last_commit_at:%Y-%m-%d}",
         b.mainline_commits, b.merges_received, b.merged_into_trunk, b.tags]
        for b in history.long_lived
    ]
    add(_table(style, rows, ["branch", "live", "first", "last", "own commits", "merges in", "into trunk", "tags"],
               wrap=(0,), drop=(7, 6, 5, 2)))
    add("")
    # Bots included here, unlike the model's evidence, which counts people's integrations: say so,
    # or the two counts read as a contradiction.
    bots_here = f", {summary.bot_episodes} of them by bots" if summary.bot_episodes else ""
    add(f"How changes reached {term(history.trunk.name)} in the window "
        f"({counted(summary.episodes_in_window, 'integration')}{bots_here})")
    rows = [[method, count, _share(count, summary.episodes_in_window)] for method, count in summary.methods.items()]
    add(_table(style, rows, ["method", "count", "share"]))
    add("")
    branch_count = sum(count for method, count in summary.methods.items() if method != MergeMethod.DIRECT.value)
    direct_total = sum(1 for e in history.episodes if e.kind is EpisodeKind.DIRECT)
    line = term(summary.work_line or history.trunk.name)
    add(f"Episodes rebuilt: {summary.episodes} in all ({counted(summary.episodes - direct_total, 'branch', 'branches')}, "
        f"{counted(direct_total, 'direct commit')}); {counted(branch_count, 'branch', 'branches')} merged into the "
        f"trunk in the window; {counted(summary.work_branches, 'work branch', 'work branches')} merged into {line}, "
        f"{summary.from_deleted_branches} of them from branches that no longer exist; "
        f"{counted(summary.release_branches, 'release / hotfix branch', 'release / hotfix branches')}"
        + (f"; {counted(summary.bot_episodes, 'integration')} by bots" if summary.bot_episodes else ""))
    rows = [
        _distribution_row(f"work into {line}: lifetime (first commit to merge)", summary.lifetime_hours, _hours),
        _distribution_row(f"work into {line}: size (commits)", summary.size_commits, _number),
        _distribution_row(f"work into {line}: size (lines added + deleted)", summary.size_lines, _number),
        _distribution_row(f"work into {line}: behind the line at merge", summary.behind_at_merge, _number),
        _distribution_row("release / hotfix: lifetime", summary.release_lifetime_hours, _hours),
        _distribution_row("release / hotfix: size (commits)", summary.release_size_commits, _number),
    ]
    add(_table(style, rows, ["branches", "n", "p50", "p90", "max"], wrap=(0,)))
    if summary.clock_skewed_episodes:
        add(f"  {counted(summary.clock_skewed_episodes, 'episode has', 'episodes have')} commits dated after their "
            "merge (clock skew): their lifetimes are left out.")
    add("")
    _patterns(scan, add, style)
    add("")
    _live(scan, add, style)
    add("")
    _releases(scan, add, style)
    anomalies = history.anomalies
    flagged = {
        "commits dated before their author date": anomalies.committer_before_author,
        "commits dated before a parent": anomalies.commit_before_parent,
        "commits dated in the future": anomalies.future_dated,
        "commits dated before 1980": anomalies.epoch_dated,
        "parents missing from the repository": anomalies.missing_parents,
    }
    notes = [f"{count} {label}" for label, count in flagged.items() if count]
    if notes:
        add("")
        add("Clock and history anomalies (tolerated, not trusted): " + "; ".join(notes))
    return fit("\n".join(out), style.width) + "\n"


def plan_text(plan: Plan, folder: str, files: int, notes: Sequence[str], ci: CiChecks, style: Style = PLAIN) -> str:
    """What `advisor plan` prints: where the plan went, the stages, and what to do now."""
    lines = [f"Plan written to {term(folder)} ({counted(files, 'file')}).",
             f"From {term(plan.current_model)} ({term(plan.confidence)} confidence) to {term(plan.target_model)}.",
             "CI configuration: " + (f"{term(ci.provider)} ({term(', '.join(ci.files))}); required checks: "
                                     f"{term(', '.join(ci.checks)) or 'none named'}" if ci.provider else
                                     "none found on the trunk; the settings leave required checks empty"), ""]
    rows = []
    for number, stage in enumerate(plan.stages, 1):
        met = sum(1 for c in stage.criteria if c.met)
        rows.append([number, term(stage.title), stage.status.value, f"{met} of {len(stage.criteria)}",
                     paint("<- work on this", "bold", style) if stage.id == plan.current_stage else ""])
    lines.append(table(rows, ["", "stage", "status", "criteria met", ""], width=style.width, wrap=(1,)))
    for skipped in plan.skipped:
        lines.append(f"  left out: {term(skipped.title)} ({term(skipped.reason)})")
    if plan.current_stage:
        lines += ["", f"Next: {term(folder)}/stages/{plan.current_stage}.md, "
                      f"settings in {term(folder)}/protection/{plan.current_stage}/"]
    for note in notes:
        lines.append(f"note: {term(note)}")
    return fit("\n".join(lines), style.width) + "\n"


def _proof_lines(proof: Proof, add: Any, indent: str, seen: set[tuple[str, int | None]] | None = None) -> None:
    """One proof: what it proves and its value, then each signed command on a line of its own
    (never wrapped, so it can be pasted), or how it was computed; a proof already shown is named."""
    value = "" if proof.value is None else f" = {proof.value}"
    if seen is not None and proof.terms:
        if (proof.what, proof.value) in seen:
            add(f"{indent}{term(proof.what)}{value} (commands above)")
            return
        seen.add((proof.what, proof.value))
    add(f"{indent}{term(proof.what)}{value}" + (":" if proof.terms else ""))
    for number, item in enumerate(proof.terms):
        sign = ("" if item.sign > 0 else "minus ") if number == 0 else ("plus " if item.sign > 0 else "minus ")
        add(f"{indent}  {sign}{term(item.label)}")
        add(f"{indent}    $ {term(item.command)}")
    if proof.how:
        add(f"{indent}  how: {term(proof.how)}")
    if proof.episodes and not proof.terms:
        shown = ", ".join(term(e[:10]) for e in proof.episodes[:8])
        more = f" and {len(proof.episodes) - 8} more" if len(proof.episodes) > 8 else ""
        add(f"{indent}  episodes ({len(proof.episodes)}, listed in --format json): {shown}{more}")


def _metric_proofs(scan: Scan, add: Any) -> None:
    add("")
    add("How to check the flow numbers (run in the repository; bash)")
    for group, found in scan.proofs.items():
        for proof in found:
            _proof_lines(proof, add, f"  {group}: ")


def _verdict(scan: Scan, add: Any, style: Style, explain: bool = False) -> None:
    verdict = scan.verdict
    if verdict.thin:
        add(f"Model: unknown ({term(verdict.thin)})")
    else:
        habit = f"; work reaches the trunk {verdict.trunk_habit}-style" if (
            verdict.trunk_habit and verdict.trunk_habit != verdict.model) else ""
        add(f"Model: {verdict.model} (confidence {verdict.confidence}{habit})")
    ranked = sorted(verdict.scores.items(), key=lambda item: (-item[1], item[0]))
    add("  scores: " + ", ".join(f"{name} {value:.2f}" for name, value in ranked))
    seen: set[tuple[str, int | None]] = set()
    for item in verdict.evidence if explain else verdict.evidence[:6]:
        add(f"  - {term(item.text)}")
        if explain:
            for proof in item.reproduce:
                _proof_lines(proof, add, "      ", seen)
    changes = [p for p in verdict.periods if p.integrations]
    if len({p.model for p in changes if p.model != "unknown"}) > 1:
        add("  by quarter: " + ", ".join(f"{p.period} {p.model}" for p in changes))
    passed = sum(c.passed for c in verdict.conformance.checks)
    add(f"  trunk-based conformance: {passed} of {counted(len(verdict.conformance.checks), 'check')} "
        f"pass{'es' if len(verdict.conformance.checks) == 1 else ''}")
    for check in verdict.conformance.checks:
        add(f"    {'[x]' if check.passed else paint('[ ]', 'bad', style)} {check.name}: {term(check.value)} (target {check.threshold}; "
            f"{check.source})")


_TIER = {"elite": "elite", "high": "high", "medium": "medium", "low": "low", None: "-"}


def flow_rows(scan: Scan) -> list[list[str]]:
    """The flow table: (metric, value, tier or ""), as the terminal and the HTML report show it."""
    metrics = scan.metrics
    releases, lead, wip, flow, fail = (metrics.releases, metrics.lead_time, metrics.wip, metrics.integration,
                                       metrics.failures)
    patches = ("patch releases are routine" if fail.patches_are_routine
               else counted(fail.quick_patch_releases, "quick patch", "quick patches"))
    rows = [
        ["release frequency", f"{counted(releases.count, 'release')} ({releases.per_week:.2f}/week, from {releases.source})",
         _TIER[releases.tier]],
        ["release interval p50 / p90", f"{_days(releases.interval_days.p50)} / {_days(releases.interval_days.p90)}",
         ""],
        ["release size p50 (commits / changes)",
         f"{_number(releases.size_commits.p50)} / {_number(releases.size_changes.p50)}", ""],
        [f"lead time p50 ({lead.tier_basis})",
         _hours(lead.to_release_hours.p50 if lead.tier_basis.endswith("release") else lead.to_trunk_hours.p50),
         _TIER[lead.tier]],
        ["branch lifetime p50 / p90", f"{_hours(flow.lifetime_hours.p50)} / {_hours(flow.lifetime_hours.p90)}"
         + (f" (work; release / hotfix: {_hours(flow.release_lifetime_hours.p50)}, {flow.release_branches})"
            if flow.release_branches else ""), ""],
        ["merged within a day", "-" if flow.merged_within_a_day is None else f"{flow.merged_within_a_day:.0%}", ""],
        ["integrations per working day", f"{flow.per_working_day:.2f}", ""],
        ["work in progress", f"{counted(wip.active_branches, 'active branch', 'active branches')}, "
                             f"{wip.stale_branches} stale"
                             + ("" if wip.unreleased_trunk_commits is None
                                else f", {counted(wip.unreleased_trunk_commits, 'unreleased commit')} on the trunk"),
         ""],
        ["change failure (proxy)", "-" if fail.change_failure_rate is None else
         f"{fail.change_failure_rate:.0%} ({patches}, {counted(fail.hotfixes, 'hotfix', 'hotfixes')}"
         + (f" ({fail.hotfixes_unnamed} merged straight into {term(scan.history.trunk.name)})"
            if fail.hotfixes_unnamed else "") + f", {counted(fail.reverts, 'revert')})",
         _TIER[fail.change_failure_tier]],
        ["time to restore (proxy) p50", _hours(fail.restore_hours.p50), _TIER[fail.restore_tier]],
    ]
    return rows


def _flow(scan: Scan, add: Any, style: Style) -> None:
    metrics, lead = scan.metrics, scan.metrics.lead_time
    add("Flow in the window (tiers: DORA 2023)")
    rows = [[metric, value, tier(shown, style)] for metric, value, shown in flow_rows(scan)]
    add(_table(style, rows, ["metric", "value", "tier"], wrap=(1, 0)))
    add(f"  {lead.constraint_sentence}")
    for sentence in scan.summary.lifetime_notes:
        add(f"  {term(sentence)}")
    if metrics.death_spiral.warning:
        add(f"  Death-spiral warning: {metrics.death_spiral.reason}.")
    if metrics.freeze.suspected:
        add(f"  Freeze suspected: {metrics.freeze.dips} of {counted(metrics.freeze.releases_checked, 'release')} "
            "followed a "
            "week of trunk integrations under half the usual rate.")
    if scan.first_steps:
        add("")
        add("What to do first")
        for number, step in enumerate(scan.first_steps, start=1):
            add(f"  {number}. {term(step.text)} ({step.source})")


_days = human_days


def _indent(block: str) -> str:
    return "\n".join("  " + line for line in block.splitlines())


def _patterns(scan: Scan, add: Any, style: Style) -> None:
    history = scan.history
    in_window = [m for m in history.line_merges if scan.window.contains(m.merged_at)]
    kinds = {kind: sum(1 for m in in_window if m.kind is kind) for kind in LineMergeKind}
    episodes = episodes_in_window(history, scan.window)
    hotfixes = scan.summary.hotfix_branches
    releases = scan.summary.release_branches - hotfixes
    repeats = sum(1 for e in episodes if e.repeat_of is not None)
    picks = [p for p in history.cherry_picks if scan.window.contains(p.at)]
    reverts = [r for r in history.reverts if scan.window.contains(r.at) and r.line is not None]
    add("Patterns in the window")
    rows = [
        ["merges between long-lived lines", " ".join(f"{k.value} {v}" for k, v in kinds.items() if v) or "none"],
        ["release / hotfix branches merged", f"{releases} / {hotfixes}"],
        ["branches merged into a second line", repeats],
        ["cherry-picks (trunk->branch / branch->trunk / other)",
         " / ".join(str(sum(1 for p in picks if p.direction.value == d))
                    for d in ("trunk-to-branch", "branch-to-trunk", "other"))],
        ["reverts", len(reverts)],
        ["octopus merges", len({e.id.split(":")[0] for e in episodes if ":" in e.id})],
    ]
    add(_table(style, rows, tablefmt="plain", wrap=(1, 0)))


LEFT_OUT_ROWS = 5


def _live(scan: Scan, add: Any, style: Style) -> None:
    reports = [r for r in scan.live if not r.branch.merged]
    merged = [r for r in scan.live if r.branch.merged]
    stale = sum(1 for r in reports if r.stale)
    add(f"Live branches: {len(reports)} not yet in the trunk ({len(reports) - stale} active, {stale} stale: "
        f"no commit in {STALE_DAYS} days); {len(merged)} merged but not deleted")
    ordered = sorted(reports, key=lambda r: (r.stale, r.idle_days, r.branch.name))
    rows = []
    for report in ordered[:LIVE_ROWS]:
        merge = report.merge
        if merge is None or merge.clean is None:
            mergeable = "not checked"
        elif merge.clean:
            mergeable = "clean"
        else:
            mergeable = f"{len(merge.conflicts)} conflicting: " + ", ".join(term(p) for p in merge.conflicts[:3])
        rows.append([
            term(report.branch.name) + (" (long-lived)" if report.branch.long_lived else ""), report.branch.ahead, report.branch.behind,
            "-" if report.age_days is None else f"{report.age_days:.0f} d", f"{report.idle_days:.0f} d",
            "stale" if report.stale else "active", mergeable,
        ])
    if rows:
        add(_table(style, rows, ["branch", "ahead", "behind", "age", "idle", "state", "merge today"],
                   wrap=(6, 0), drop=(3, 2)))
    if len(ordered) > LIVE_ROWS:
        add(f"  ... and {len(ordered) - LIVE_ROWS} more (see --format json)")
    if scan.left_out:
        shown = "; ".join(f"{term(r.ref)} ({term(r.reason)})" for r in scan.left_out[:LEFT_OUT_ROWS])
        more = f"; and {len(scan.left_out) - LEFT_OUT_ROWS} more (see --format json)" if len(
            scan.left_out) > LEFT_OUT_ROWS else ""
        add(f"  Not named as branches ({len(scan.left_out)}): {shown}{more}")


def _releases(scan: Scan, add: Any, style: Style) -> None:
    releases = scan.history.releases
    in_window = [r for r in releases if scan.window.contains(r.at)]
    pre = sum(1 for r in in_window if r.prerelease)
    add(f"Releases (version tags): {len(releases)} in all, {len(in_window)} in the window"
        + (f" ({pre} pre-releases)" if pre else ""))
    years = scan.metrics.release_years
    if years:
        add("  final releases per year (all time): " + ", ".join(f"{y.year} {y.releases}" for y in years[-8:])
            + (f" (and {len(years) - 8} earlier years)" if len(years) > 8 else ""))
    latest = releases[-5:]
    marked = any(r.prerelease for r in latest)  # the pre-release column only when a row is one
    rows = [
        [term(r.tag), f"{r.at:%Y-%m-%d}", term(r.line or (f"branch {r.branch}" if r.branch else "-")),
         r.new_commits, *(["yes" if r.prerelease else "no"] if marked else [])]
        for r in latest
    ]
    if rows:
        add(_table(style, rows, ["latest tags", "date", "on", "new commits", *(["pre-release"] if marked else [])],
                   wrap=(0, 2), drop=(3,)))


# ---------------------------------------------------------------------------
# Progress between snapshots (`advisor progress`)


_DIRECTION_COLOUR = {"worse": "bad", "better": "good"}


def _delta_row(delta: _progress.Delta, style: Style = PLAIN) -> list[str]:
    direction = delta.direction.value
    return [delta.label, _progress.format_value(delta.before, delta.unit), _progress.format_value(delta.after, delta.unit),
            _progress.format_change(delta), paint(direction, _DIRECTION_COLOUR.get(direction), style),
            f"{delta.better} is better"]


def _criterion_line(change: _progress.CriterionDelta) -> str:
    bound = "at most" if change.direction == "at-most" else "at least"
    return (f"{change.id} ({change.name}): {_progress.criterion_value(change.before, change.unit)} -> "
            f"{_progress.criterion_value(change.current, change.unit)} (target {bound} "
            f"{_progress.criterion_value(change.target, change.unit)})")


def progress_text(report: _progress.Report, where: str, style: Style = PLAIN) -> str:
    out: list[str] = []
    add = out.append
    if report.latest is None or report.baseline is None:
        return fit(term(empty_message(where)), style.width) + "\n"
    latest, baseline = report.latest, report.baseline
    add(f"advisor progress: {counted(report.snapshots, 'snapshot')} in {term(where)}, "
        f"{day(baseline.at)} to {day(latest.at)}")
    add(f"  latest: {day(latest.at)}, trunk {term(latest.trunk)} at {latest.trunk_tip[:12]}, "
        f"model {latest.model} (confidence {latest.confidence})")
    if latest.window_note is not None:
        add(f"  window: {term(latest.window_note)}")
    add("")
    _progress_plan_text(report, add)
    if report.snapshots == 1:
        add("")
        add("One snapshot: it is the baseline; the next scan is compared with it.")
        rows = [[m.label, _progress.format_value(latest.measures.get(m.name), m.unit), f"{m.better} is better"]
                for m in _MEASURES]
        add(_table(style, rows, ["measure", "baseline", "direction"], wrap=(0,)))
    for title, comparison in progress_sections(report):
        add("")
        add(f"{title} ({day(comparison.since.at)}): {comparison.better} better, {comparison.worse} worse")
        if comparison.model_changed:
            add(f"  model: {comparison.since.model} -> {comparison.to.model}")
        rows = [_delta_row(d, style) for d in comparison.deltas]
        add(_table(style, rows, ["measure", "then", "now", "change", "direction", ""], wrap=(0,), drop=(5,),
                   disable_numparse=True))
        met = [c for c in comparison.criteria if c.change is _progress.CriterionChange.MET]
        regressed = [c for c in comparison.criteria if c.change is _progress.CriterionChange.REGRESSED]
        for label, items in (("criteria that became true", met), ("criteria that regressed", regressed)):
            if items:
                add(f"  {label}:")
                for item in items:
                    line = term(_criterion_line(item))
                    add(f"    - {paint(line, 'bad', style) if label.endswith('regressed') else line}")
        for stage in comparison.stages:
            add(f"  stage {term(stage.id)} ({term(stage.title)}): {stage.before or 'new'} -> {stage.after}")
    add("")
    add("Trend")
    headers = ["date", "trunk tip", "model", "stage"] + [short for _, short in _progress.TREND_MEASURES]
    rows = [[label, p.trunk_tip[:12], p.model, term(p.stage or "-")]
            + [_progress.format_value(p.measures.get(n), _progress.measure_of(n).unit) for n, _ in _progress.TREND_MEASURES]
            for label, p in zip(trend_labels(report.trend), report.trend)]
    # At a narrow width the trunk tip goes first, then the counts, then the conformance score.
    add(_table(style, rows, headers, wrap=(3,), drop=(1, 9, 8, 7, 10), disable_numparse=True))
    return fit("\n".join(out), style.width) + "\n"


def _progress_plan_text(report: _progress.Report, add: Any) -> None:
    stage = report.current_stage
    if not report.has_plan:
        add("Plan: the latest snapshot has no plan status (`advisor plan` writes one).")
    elif report.plan_done:
        add("Plan: every stage is done.")
    elif stage is not None:
        add(f"Current stage: {term(stage.id)} ({term(stage.title)}): {stage.met} of {stage.total} exit criteria hold, "
            f"{stage.checklist}")
        for criterion in stage.open:
            bound = "at most" if criterion.direction == "at-most" else "at least"
            add(f"  [ ] {term(criterion.name)}: {_progress.criterion_value(criterion.current, criterion.unit)} "
                f"(target {bound} {_progress.criterion_value(criterion.target, criterion.unit)})")
