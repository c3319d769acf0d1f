"""Where the history shows risk: the paths the window's failure fixes (reverts, hotfixes) changed.

DORA warns against heavyweight review for every change; FIELD-NOTES asks for Scorecard's tier 4
(two reviewers, code owners) only on high-risk paths. A path is risky here when at least
`RISKY_MIN_FIXES` distinct fixes changed something in it: a directory (the deepest one that
explains the fixes) or a file at the top of the tree. Each risky path carries the fixes that make
it so, with the git command that shows what each changed, and the people who most often change it.

Pure: a Scan, the paths each fix changed and the authors per path in, `RiskyPath`s out.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from advisor import proofs
from advisor.metrics import episodes_in_window, integration_line, is_hotfix
from advisor.model import MergeMethod, Window
from advisor.scan import Scan

RISKY_MIN_FIXES = 2  # one fix is an accident; two fixes in the same place are where risk concentrates
MAX_RISKY_PATHS = 10  # code-owner review on more of the tree would be the heavyweight review DORA warns of
MAX_FIXES_READ = 200  # the newest fixes of the window; older ones say less about where risk is now
OWNERS_PER_PATH = 2
SOURCE_RISKY = (f"advisor default: a path {RISKY_MIN_FIXES} or more reverts or hotfixes of the window changed; "
                "FIELD-NOTES asks for 2 reviewers or code owners only on high-risk paths (DORA's "
                "heavyweight-review pitfall)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fix:
    """A revert or a hotfix of the window, and the commits whose diff against their first parent is its change."""

    kind: str  # "revert" or "hotfix"
    commit: str  # the revert, or the commit that put the hotfix on its line
    commits: tuple[str, ...]  # diffed against their first parents
    at: datetime
    label: str  # "revert 1a2b3c4d5e" / "hotfix hotfix/1.2.1 (merge 1a2b3c4d5e)"
    command: str  # a read-only git command showing the paths it changed


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskyPath:
    pattern: str  # a CODEOWNERS pattern: "/lib/vtls/" (a directory) or "/Makefile" (a top-level file)
    fixes: tuple[Fix, ...]  # the fixes that changed something under it, newest first
    owners: tuple[tuple[str, str, int], ...] = ()  # (name, email, commits touching it in the window), most first
    owners_command: str = ""  # the git command that counts them

    @property
    def place(self) -> str:
        """The path as git shows it: "lib/vtls/" (a directory) or "lib/url.c"."""
        return self.pattern.lstrip("/")

    @property
    def reason(self) -> str:
        shown = ", ".join(f.label for f in self.fixes[:4]) + (f" and {len(self.fixes) - 4} more"
                                                              if len(self.fixes) > 4 else "")
        return f"changed by {len(self.fixes)} fixes in the window ({shown})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Risk:
    """The failure fixes read and the risky paths they point at (none when the window has no fix in common places)."""

    fixes: int = 0
    read: bool = False  # False: nobody looked (a plan built without the repository at hand)
    paths: tuple[RiskyPath, ...] = ()

    @property
    def none_reason(self) -> str:
        if not self.read:
            return "the paths the window's reverts and hotfixes changed were not read"
        if not self.fixes:
            return "the window has no revert or hotfix, so no path is marked risky"
        fixes = "1 failure fix" if self.fixes == 1 else f"{self.fixes} failure fixes"
        return f"no path was changed by {RISKY_MIN_FIXES} or more of the window's {fixes} (reverts and hotfixes)"


def _show(commits: Sequence[str], merge: bool) -> str:
    if merge:
        sha = shlex.quote(commits[0])
        return f"git diff --stat {sha}^1 {sha}"
    return "git show --stat --format='%h %s' " + " ".join(shlex.quote(c) for c in commits)


def failure_fixes(scan: Scan) -> tuple[Fix, ...]:
    """The window's reverts on a long-lived line and its hotfixes (as `metrics.failures` counts them), newest first."""
    history, window = scan.history, scan.window
    fixes = [Fix(kind="revert", commit=r.commit, commits=(r.commit,), at=r.at, label=f"revert {r.commit[:10]}",
                 command=_show((r.commit,), merge=False))
             for r in history.reverts if window.contains(r.at) and r.line is not None]
    beside = integration_line(history, window)
    for episode in episodes_in_window(history, window):
        if not is_hotfix(episode, history, beside):
            continue
        sha = episode.id.split(":")[0]
        merge = episode.method is MergeMethod.MERGE
        commits = (sha,) if merge or not episode.commits else tuple(episode.commits)
        name = "hotfix" + (f" {episode.source}" if episode.source else "") + (f" #{episode.pr}" if episode.pr else "")
        fixes.append(Fix(kind="hotfix", commit=sha, commits=commits, at=episode.merged_at,
                         label=f"{name} ({'merge' if merge else 'commit'} {sha[:10]})",
                         command=_show(commits, merge=merge)))
    fixes.sort(key=lambda f: (f.at, f.commit), reverse=True)
    return tuple(fixes[:MAX_FIXES_READ])


def _places(paths: Sequence[str]) -> set[str]:
    """Every directory a path sits in ("lib/", "lib/vtls/"), and the file itself ("lib/url.c")."""
    places = set()
    for path in paths:
        parts = path.split("/")
        places.add(path)
        for depth in range(1, len(parts)):
            places.add("/".join(parts[:depth]) + "/")
    return places


def _under(path: str, place: str) -> bool:
    return path.startswith(place) if place.endswith("/") else path == place


def group(fixes: Sequence[Fix], changed: Mapping[str, Sequence[str]]) -> list[RiskyPath]:
    """The places (files, directories) at least RISKY_MIN_FIXES fixes changed: the deepest first; a
    directory only when enough fixes changed it outside the places already chosen below it."""
    touched = {f.commit: sorted({p for c in f.commits for p in changed.get(c, ())}) for f in fixes}
    counts: dict[str, int] = {}
    for fix in fixes:
        for place in _places(touched[fix.commit]):
            counts[place] = counts.get(place, 0) + 1
    candidates = sorted((p for p, n in counts.items() if n >= RISKY_MIN_FIXES), key=lambda p: (-p.rstrip("/").count("/"), p))
    chosen: list[tuple[str, list[Fix]]] = []
    for place in candidates:
        below = [c for c, _ in chosen if place.endswith("/") and c != place and c.startswith(place)]
        explaining = [f for f in fixes
                      if any(_under(p, place) and not any(_under(p, b) for b in below) for p in touched[f.commit])]
        if len(explaining) >= RISKY_MIN_FIXES:
            chosen.append((place, explaining))
    chosen.sort(key=lambda item: (-len(item[1]), item[0]))
    return sorted((RiskyPath(pattern="/" + place, fixes=tuple(found)) for place, found in chosen[:MAX_RISKY_PATHS]),
                  key=lambda r: r.pattern)


def risky_paths(fixes: Sequence[Fix], changed: Mapping[str, Sequence[str]],
                authors: Callable[[str], Sequence[tuple[str, str, int]]],
                is_bot: Callable[[str], bool], window: Window, ref: str) -> Risk:
    """The risky paths of the fixes, with their most frequent human authors (`authors(place)`)."""
    result = []
    for risky in group(fixes, changed):
        people = tuple((name, email, n) for name, email, n in authors(risky.place)
                       if not is_bot(name) and "[bot]" not in email and email)[:OWNERS_PER_PATH]
        command = (f"git log --no-merges --format=%aE {proofs.span(window)} {shlex.quote(ref)} -- "
                   f"{shlex.quote(risky.place.rstrip('/') or '.')} | sort | uniq -c | sort -rn")
        result.append(RiskyPath(pattern=risky.pattern, fixes=risky.fixes, owners=people, owners_command=command))
    return Risk(fixes=len(fixes), read=True, paths=tuple(result))
