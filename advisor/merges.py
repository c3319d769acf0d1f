"""Who merged what into what: merge and squash-merge messages of every common host.

Pure text parsing. `parse_merge_subject` reads the subject of a commit with two
or more parents; `parse_pr_reference` finds the pull or merge request behind a
single-parent commit (a squash merge) from its subject and the few body lines
git reading keeps: the lines `TRAILER_PATTERN` matches. Each format has one
small parser below and the registries try them in order, the most specific
first. Nothing here raises on odd input: an unknown message gives None.

The formats, and where their wording comes from:

* git `fmt-merge-msg.c` and `builtin/merge.c`: "Merge branch 'x'", "Merge
  branches 'a', 'b' and 'c' into y", "Merge remote-tracking branch 'origin/x'",
  "Merge tag 'v1'", "Merge commit 'sha'", "... of <url>", groups joined by "; ",
  "Merge branch 'x' (early part)", "Merge <url>" (pulling a remote's HEAD);
  git before 1.7.3 wrote "remote branch", 2005 git "Merge with <url>".
* GitHub: "Merge pull request #12 from owner/branch" (2011: "Merged pull
  request #12 from owner/branch."); with the "pull request title" merge message
  setting, "Title (#12)"; a pull fetched by hand: "Merge commit 'refs/pull/12'".
* GitLab: "Merge branch 'x' into 'y'" with "See merge request group/proj!45"
  in the body (GitLab 8 and 9 wrote "See merge request !45").
* Bitbucket Cloud: "Merged in x (pull request #12)". Bitbucket Server before
  7.0: "Merge pull request #12 in PROJ/repo from x to y"; from 7.0: "Pull
  request #12: Title" with "Merge in PROJ/repo from x to y" in the body.
* Azure DevOps: "Merged PR 12: Title"; TFS: "Merge pull request 12 from x into y".
* Gerrit `MergeUtil.java`: 'Merge "Title" into b', "Merge changes I1a2b3c4d,
  I5e6f7a8b into b", 'Merge changes from topic "t"'; AOSP's automerger appends
  "am: <sha>". Gitea: "Merge pull request 'Title' (#12) from x into y".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = [
    "TRAILER_PATTERN",
    "Host",
    "MergeInfo",
    "Trailers",
    "parse_merge_message",
    "parse_merge_subject",
    "parse_pr_reference",
    "cited_pull_request",
    "CITES_PR_GREP",
    "parse_trailers",
    "may_hold_trailers",
    "trailer_lines",
    "squash_body_commit_count",
]


class Host(StrEnum):
    GIT = "git"  # plain git merge messages
    GITHUB = "github"
    GITLAB = "gitlab"
    BITBUCKET = "bitbucket"
    AZURE = "azure-devops"
    GERRIT = "gerrit"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class MergeInfo:
    source: str | None  # source branch as the host wrote it, e.g. "feature/login"
    target: str | None  # target branch when the message names it ("into develop")
    pr: int | None  # pull / merge request number
    host: Host
    is_tag: bool = False  # "Merge tag 'v1.2'"
    is_remote_tracking: bool = False  # "Merge remote-tracking branch 'origin/x'": source "x", remote "origin"
    remote: str | None = None  # the remote of a remote-tracking branch, or the URL pulled from
    fork_owner: str | None = None  # GitHub "from owner/branch": owner; Bitbucket/Gitea fork: its owner
    sources: tuple[str, ...] = ()  # every merged name in message order (octopus merges have several)


@dataclass(frozen=True, slots=True)
class Trailers:
    cherry_picked_from: tuple[str, ...] = ()  # lowercase shas of "(cherry picked from commit <sha>)"
    reverts: tuple[str, ...] = ()  # lowercase shas of "This reverts commit <sha>."
    change_id: str | None = None  # Gerrit "Change-Id: I<40 hex>"
    merge_request: tuple[str | None, int] | None = None  # GitLab "See merge request <project>!<N>"
    closes: tuple[int, ...] = ()  # issues named by closing keywords: "Closes #12", "fixes #3"


# ---------------------------------------------------------------------------
# Body lines. Each fragment is used twice: inside TRAILER_PATTERN, which picks
# the lines worth keeping out of every body, and alone, to read a kept line.
# They use [ \t] rather than \s so that no match can run across a newline.

_CHERRY_PICK = r"\(cherry[- ]picked from commit (?P<pick>[0-9a-fA-F]{7,64})\)"
# "This reverts commit <sha>." and, reverting a merge, "This reverts commit <sha>, reversing".
_REVERT = r"This reverts (?:commit )?(?P<revert>[0-9a-fA-F]{7,64})\b"
_CHANGE_ID = r"Change-Id:[ \t]*(?P<change>I[0-9a-fA-F]{40})\b"
# GitLab 10+ names the project ("group/sub/proj!45"); 8 and 9 wrote "!45"; before that "#45".
_MERGE_REQUEST = r"See merge request (?P<project>[^\s!#]*)[!#](?P<mr>[0-9]+)\b"
_BITBUCKET_MERGED_IN = r"Merged in (?P<bb_source>\S+) \(pull request #(?P<bb_pr>[0-9]+)\)"
_BITBUCKET_MERGE_IN = r"Merge in (?P<bbs_repo>\S+) from (?P<bbs_source>\S+) to (?P<bbs_target>\S+)"
# Node.js and others land a pull request as commits carrying "PR-URL: https://github.com/o/r/pull/12".
_PR_URL = r"PR-URL:[ \t]*\S*/pulls?/(?P<pr_url>[0-9]+)"
# GitHub's closing keywords, any case, anywhere in a line; GitLab also allows "Closes #1, #2 and #3".
_CLOSING_KEYWORD = r"\b(?i:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?[ \t]+#"

# A squashed commit in a GitHub or Bitbucket squash body (column 0 only), not a header of git's
# merge.log summary ("* topic:"): every git.git merge body has those, and none is read.
_SQUASHED_COMMIT = r"\* (?![^\n]*:(?: \([0-9]+ commits\))?[^\S\n]*$)"
_AT_LINE_START = (r"[^\S\n]*(?:" + "|".join((_CHERRY_PICK, _REVERT, _CHANGE_ID, _MERGE_REQUEST, _BITBUCKET_MERGED_IN,
                                             _BITBUCKET_MERGE_IN, _PR_URL)) + r")")

TRAILER_PATTERN: re.Pattern[str] = re.compile(
    r"^(?:" + _SQUASHED_COMMIT + "|" + _AT_LINE_START + r"|[^\n]*?" + _CLOSING_KEYWORD + r"[0-9]" + r")[^\n]*$",
    re.MULTILINE,
)
"""Every body line the functions here read, as whole lines (apply with finditer; `trailer_lines` is faster)."""

# A cheap first look at a body (substring tests, at C speed): every line TRAILER_PATTERN
# keeps holds one of these, so only bodies that do are read further. tests/test_merges.py checks this
# against every kind of kept line.
_HINT_WORDS = ("#", "Merge", "(cherry", "This reverts", "Change-Id:", "merge request", "PR-URL")
_SQUASHED_COMMIT_AFTER_NEWLINE = re.compile("\n" + _SQUASHED_COMMIT, re.MULTILINE).search
_SQUASHED_COMMIT_HERE = re.compile(_SQUASHED_COMMIT, re.MULTILINE).match
# TRAILER_PATTERN in two parts that run fast: the lines that start so, and the closing keywords,
# searched only in the lines holding "#" and a digit (TRAILER_PATTERN's lazy scan of each line costs twice as much).
_KEPT_LINE_START = re.compile(r"^(?:" + _SQUASHED_COMMIT + "|" + _AT_LINE_START + ")", re.MULTILINE).finditer
_CLOSING_IN_LINE = re.compile(_CLOSING_KEYWORD + r"[0-9]").search
_ISSUE_REFERENCE = re.compile(r"#[0-9]").finditer


def may_hold_trailers(body: str) -> bool:
    """False when TRAILER_PATTERN cannot match anywhere in `body` (a commit message body)."""
    # Substring tests run at memchr speed; one regex alternation over the words cost 2 s of git.git's 10 s load.
    for word in _HINT_WORDS:
        if word in body:
            return True
    if "* " not in body:
        return False
    return (body.startswith("* ") and _SQUASHED_COMMIT_HERE(body) is not None) or (
        "\n* " in body and _SQUASHED_COMMIT_AFTER_NEWLINE(body) is not None)


def trailer_lines(body: str) -> tuple[str, ...]:
    """The lines of `body` TRAILER_PATTERN matches, stripped, in order (what the git reader keeps)."""
    if not may_hold_trailers(body):
        return ()
    starts = {match.start() for match in _KEPT_LINE_START(body)}
    if "#" in body:
        # The keyword and its "#1" share a line: only lines holding "#" and a digit are searched
        # (the case-blind keyword scan of whole bodies was most of the rest of the load).
        searched = -1
        for hit in _ISSUE_REFERENCE(body):
            line_start = body.rfind("\n", 0, hit.start()) + 1
            if line_start == searched:
                continue
            searched = line_start
            line_end = body.find("\n", hit.start())
            if _CLOSING_IN_LINE(body, line_start, line_end if line_end >= 0 else len(body)) is not None:
                starts.add(line_start)
    kept = []
    for start in sorted(starts):
        end = body.find("\n", start)
        kept.append((body[start:end] if end >= 0 else body[start:]).strip())
    return tuple(kept)


_CHERRY_PICK_LINE = re.compile(_CHERRY_PICK)
_REVERT_LINE = re.compile(_REVERT)
_CHANGE_ID_LINE = re.compile(_CHANGE_ID)
_MERGE_REQUEST_LINE = re.compile(_MERGE_REQUEST)
_BITBUCKET_MERGED_IN_LINE = re.compile(_BITBUCKET_MERGED_IN)
_BITBUCKET_MERGE_IN_LINE = re.compile(_BITBUCKET_MERGE_IN)
_CLOSES = re.compile(_CLOSING_KEYWORD + r"(?P<first>[0-9]+)(?P<more>(?:[ \t]*(?:,|and)[ \t]*#[0-9]+)*)")
_ISSUE_NUMBER = re.compile(r"#([0-9]+)")
# Headers of git's merge.log summary ("* topic:", "* tag 'v1': (12 commits)") and of
# Bitbucket Server's ("* commit 'abc':") also start with "* ": they are no squashed commits.
_SUMMARY_HEADER = re.compile(r"^\* .*:(?: \([0-9]+ commits\))?$")


def parse_trailers(trailers: tuple[str, ...]) -> Trailers:
    """Cherry-pick and revert references, Gerrit Change-Id, GitLab merge request, closed issues."""
    # Dicts as ordered sets, each reference kept once where first met: a list searched for each line
    # made a squash body of 18,000 such lines (a backport branch squashed) cost a scan 75 s.
    picks: dict[str, None] = {}
    reverts: dict[str, None] = {}
    change_id: str | None = None
    merge_request: tuple[str | None, int] | None = None
    closes: dict[int, None] = {}
    for raw in trailers:
        line = raw.strip()
        if match := _CHERRY_PICK_LINE.match(line):
            picks.setdefault(match.group("pick").lower())
        if match := _REVERT_LINE.match(line):
            reverts.setdefault(match.group("revert").lower())
        if match := _CHANGE_ID_LINE.match(line):
            change_id = "I" + match.group("change")[1:].lower()  # the last one wins, as in Gerrit
        if (match := _MERGE_REQUEST_LINE.match(line)) and (number := request_number(match.group("mr"))):
            merge_request = (match.group("project") or None, number)
        for match in _CLOSES.finditer(line):
            for digits in _ISSUE_NUMBER.findall(match.group(0)):
                if (issue := request_number(digits)) is not None:
                    closes.setdefault(issue)
    return Trailers(tuple(picks), tuple(reverts), change_id, merge_request, tuple(closes))


def squash_body_commit_count(trailers: tuple[str, ...]) -> int:
    """GitHub's default squash body lists each squashed commit as a line starting with '* '."""
    return sum(1 for line in trailers if line.startswith("* ") and not _SUMMARY_HEADER.match(line.rstrip()))


# ---------------------------------------------------------------------------
# Small helpers


def request_number(digits: str) -> int | None:
    """A request number: positive, and short enough to be one (int() refuses huge digit strings)."""
    if not digits or len(digits) > 12:
        return None
    value = int(digits)
    return value if value > 0 else None


def _info(host: Host, source: str | None = None, target: str | None = None, pr: int | None = None, *,
          fork_owner: str | None = None, remote: str | None = None, is_tag: bool = False,
          is_remote_tracking: bool = False, sources: tuple[str, ...] | None = None) -> MergeInfo:
    source, target = source or None, target or None
    if sources is None:
        sources = (source,) if source else ()
    return MergeInfo(source=source, target=target, pr=pr, host=host, is_tag=is_tag,
                     is_remote_tracking=is_remote_tracking, remote=remote or None,
                     fork_owner=fork_owner or None, sources=sources)


def _first_paragraph(text: str) -> str:
    """What git's %s gives: the first paragraph, its lines joined by spaces."""
    lines: list[str] = []
    for line in text.strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


def _unquote(text: str) -> tuple[str, str]:
    """(text without one pair of surrounding quotes, the quote character or "")."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1], text[0]
    return text, ""


def _short_branch(name: str) -> str:
    return name.removeprefix("refs/heads/")


def _target(text: str | None) -> str | None:
    """A target branch as written; quotes dropped. A detached "HEAD" is no branch."""
    if not text:
        return None
    name = _short_branch(_unquote(text)[0])
    return name if name and name != "HEAD" else None


def _fork(ref: str) -> tuple[str | None, str]:
    """ "owner/repo:branch" (Gitea, Bitbucket Server forks) -> (owner, branch); git refs never hold ':'."""
    repository, colon, branch = ref.rpartition(":")
    if not colon or not repository or not branch:
        return None, ref
    return repository.split("/", 1)[0] or None, branch


_URL = re.compile(r"(?:\S*://\S+|[^\s/:]+:\S*|[/.~]\S*)")


def _looks_like_url(text: str) -> bool:
    return _URL.fullmatch(text) is not None


# ---------------------------------------------------------------------------
# Pull-request formats of the hosts


# "Merge pull request #123 from owner/feature/a/b" (GitHub; owner is the head repository's);
# GitHub in 2011 wrote "Merged pull request #119 from owner/branch." with a full stop.
_GITHUB_PULL = re.compile(r"Merge(d?) pull request #([0-9]+) from (\S+?)(?: into (\S+))?(?=\s|$)")


def _github_pull_request(subject: str) -> MergeInfo | None:
    match = _GITHUB_PULL.match(subject)
    if match is None or (pr := request_number(match.group(2))) is None:
        return None
    head = match.group(3).removesuffix(".") if match.group(1) else match.group(3)  # 2011's full stop
    owner, slash, branch = head.partition("/")
    if not slash or not branch:
        owner, branch = "", head
    return _info(Host.GITHUB, branch, _target(match.group(4)), pr, fork_owner=owner)


# "Merge pull request #12 in PROJ/repo from feature/x to master" (Bitbucket Server before 7.0);
# a fork's branch is "PROJ/fork:feature/x" or "~USER/fork:feature/x".
_BITBUCKET_SERVER_PULL = re.compile(r"Merge pull request #([0-9]+) in (\S+) from (\S+?)(?: to (\S+))?(?=\s|$)")


def _bitbucket_server_pull_request(subject: str) -> MergeInfo | None:
    match = _BITBUCKET_SERVER_PULL.match(subject)
    if match is None or (pr := request_number(match.group(1))) is None:
        return None
    owner, branch = _fork(match.group(3))
    return _info(Host.BITBUCKET, _short_branch(branch), _target(match.group(4)), pr, fork_owner=owner)


# "Merge pull request 123 from feature/x into main" (TFS and early Azure DevOps; no '#')
_AZURE_PULL = re.compile(r"Merge pull request ([0-9]+) from (\S+) into (\S+)(?=\s|$)")


def _azure_pull_request(subject: str) -> MergeInfo | None:
    match = _AZURE_PULL.match(subject)
    if match is None or (pr := request_number(match.group(1))) is None:
        return None
    return _info(Host.AZURE, _short_branch(match.group(2)), _target(match.group(3)), pr)


# "Merge pull request 'Title' (#12) from feature/x into main"; forks "owner/repo:branch" (Gitea, Forgejo)
_GITEA_PULL = re.compile(r"Merge pull request '.*' \(#([0-9]+)\) from (\S+) into (\S+)$")


def _gitea_pull_request(subject: str) -> MergeInfo | None:
    match = _GITEA_PULL.match(subject)
    if match is None or (pr := request_number(match.group(1))) is None:
        return None
    owner, branch = _fork(match.group(2))
    return _info(Host.UNKNOWN, branch, _target(match.group(3)), pr, fork_owner=owner)  # no Gitea host yet


# "Merged in feature/x (pull request #12)" (Bitbucket Cloud, merge and squash alike; text may follow)
_BITBUCKET_CLOUD_PULL = re.compile(_BITBUCKET_MERGED_IN)


def _bitbucket_cloud_pull_request(subject: str) -> MergeInfo | None:
    match = _BITBUCKET_CLOUD_PULL.match(subject)
    if match is None or (pr := request_number(match.group("bb_pr"))) is None:
        return None
    return _info(Host.BITBUCKET, match.group("bb_source"), None, pr)


# "Pull request #12: Title" (Bitbucket Server 7+; the branches are in the body's "Merge in" line)
_BITBUCKET_SERVER_TITLE = re.compile(r"Pull request #([0-9]+)(?::|$)")


def _bitbucket_server_pull_request_title(subject: str) -> MergeInfo | None:
    match = _BITBUCKET_SERVER_TITLE.match(subject)
    if match is None or (pr := request_number(match.group(1))) is None:
        return None
    return _info(Host.BITBUCKET, None, None, pr)


# "Merged PR 123: Title" (Azure DevOps, merge and squash alike). Titles Azure suggests for
# release pull requests, "Merge develop to main", still name the branches.
_AZURE_MERGED = re.compile(r"Merged PR ([0-9]+)(?::[ \t]*(.*))?$")
_AZURE_TITLE = re.compile(r"Merge (?:branch )?(['\"]?)([^\s'\"]\S*?)\1 (?:to|into) (\S+)$")


def _azure_merged_pr(subject: str) -> MergeInfo | None:
    match = _AZURE_MERGED.match(subject)
    if match is None or (pr := request_number(match.group(1))) is None:
        return None
    title = _AZURE_TITLE.match(match.group(2) or "")
    if title is None:
        return _info(Host.AZURE, None, None, pr)
    return _info(Host.AZURE, _short_branch(title.group(2)), _target(title.group(3)), pr)


# ---------------------------------------------------------------------------
# Gerrit

# AOSP's automerger forwards merges with "am: <sha>" (or "am: skipped: <sha>", "-s ours") appended.
# Single spaces, as in the subjects git writes: "\s+" here would make long blank runs quadratic.
_AUTOMERGER_SUFFIX = re.compile(r"(?: (?:am|skipped)(?:: skipped)?: ?[0-9a-fA-F]{6,40}(?: -s ours)?)+$")
# 'Merge "Title"' / 'Merge "Title" into branch'; the title may hold quotes, so the last one closes it.
_GERRIT_CHANGE = re.compile(r'Merge "(.*)"(?: into (\S+))?$')
# "Merge changes I1a2b3c4d,I5e6f7a8b[, ...] into b", 'Merge changes from topic[s] "t"[, "u"] into b';
# Gerrit 2.0 wrote "Merge change 1234 into cupcake".
_GERRIT_CHANGES = re.compile(
    r"Merge (?:changes? (?:I?[0-9a-fA-F]+)(?:,I?[0-9a-fA-F]+)*(?:, \.\.\.)?|changes from topics? \".*\")"
    r"(?: into (\S+))?$"
)


def _gerrit_change(subject: str) -> MergeInfo | None:
    match = _GERRIT_CHANGE.match(_AUTOMERGER_SUFFIX.sub("", subject))
    return None if match is None else _info(Host.GERRIT, None, _target(match.group(2)))


def _gerrit_changes(subject: str) -> MergeInfo | None:
    match = _GERRIT_CHANGES.match(_AUTOMERGER_SUFFIX.sub("", subject))
    return None if match is None else _info(Host.GERRIT, None, _target(match.group(1)))


# ---------------------------------------------------------------------------
# git's own merge messages (fmt-merge-msg)
#
#   "Merge " group ("; " group)* [" into " target]
#   group = [HEAD ", "] kind names (", " kind names)* [" of " url] | url
#   names = 'a' | 'a', 'b' and 'c'      (each maybe followed by " (early part)")
#
# git refuses spaces in ref names, so names, URLs and targets are single tokens;
# names may hold quotes, unicode, '<' or ';'.

_KINDS = {
    "branch": "branch", "branches": "branch",
    "remote-tracking branch": "remote", "remote-tracking branches": "remote",
    "remote branch": "remote", "remote branches": "remote",  # git before 1.7.3
    "tag": "tag", "tags": "tag",
    "commit": "commit", "commits": "commit",
}
_GIT_TOKEN = re.compile(
    r"(?P<kind>(?:remote-tracking |remote )?branch(?:es)? |tags? |commits? )"
    r"|(?P<q>['\"])(?P<name>\S+?)(?P=q)(?: \(early part\))?(?=, | and |$)"
    r"|(?P<sep>, | and )"
    r"|(?P<head>HEAD)(?=, )"
)
_GIT_TITLE = re.compile(r"Merge (.+?)(?: into (\S+))?$")
_HEX_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
# "refs/pull/976" without "/head" is what the merge message named when someone fetched the bare number.
_PULL_REF = re.compile(r"refs/(pull|merge-requests)/([0-9]+)(?:/(?:head|merge))?")


@dataclass(frozen=True, slots=True)
class _GitRef:
    kind: str  # branch, remote, tag, commit, head (the HEAD of a pulled URL)
    name: str | None
    url: str | None = None


def _git_group(text: str) -> list[_GitRef] | None:
    """The refs of one group without its " of <url>", or None when it is no such list."""
    refs: list[_GitRef] = []
    kind: str | None = None
    previous = "sep"
    position = 0
    while position < len(text):
        token = _GIT_TOKEN.match(text, position)
        if token is None:
            return None
        if token.group("kind"):
            if previous != "sep":
                return None
            kind, previous = _KINDS[token.group("kind").strip()], "kind"
        elif token.group("name") is not None:
            if kind is None or previous not in ("kind", "sep"):
                return None
            refs.append(_GitRef(kind, token.group("name")))
            previous = "name"
        elif token.group("sep"):
            if previous not in ("name", "head"):
                return None
            previous = "sep"
        else:  # "HEAD, ": the pulled repository's HEAD came along
            if position != 0:
                return None
            refs.append(_GitRef("head", None))
            previous = "head"
        position = token.end()
    return refs if previous == "name" else None


def _git_refs(body: str) -> list[_GitRef] | None:
    refs: list[_GitRef] = []
    for group in body.split("; "):
        names, of, url = group.rpartition(" of ")
        if not of:
            names, url = group, ""
        if of and (not url or any(c.isspace() for c in url)):
            return None
        parsed = _git_group(names)
        if parsed is None:
            if of or not _looks_like_url(names):
                return None
            parsed, url = [_GitRef("head", None)], names  # "Merge <url>": pulled a remote's HEAD
        refs.extend(replace(ref, url=url or None) for ref in parsed)
    return refs


def _resolve(ref: _GitRef) -> MergeInfo:
    """One merged ref as a MergeInfo without target."""
    name = ref.name or ""
    if ref.kind == "remote":
        remote, _, branch = name.partition("/")
        return _info(Host.GIT, branch, is_remote_tracking=True, remote=remote)
    if ref.kind == "tag":
        return _info(Host.GIT, name, is_tag=True, remote=ref.url)
    if ref.kind == "commit":
        if pull := _PULL_REF.fullmatch(name):  # "Merge commit 'refs/pull/81/head' of github.com:o/r"
            host = Host.GITHUB if pull.group(1) == "pull" else Host.GITLAB
            return _info(host, None, None, request_number(pull.group(2)), remote=ref.url)
        if _HEX_SHA.fullmatch(name):
            return _info(Host.GIT, None, remote=ref.url)
        if name.startswith("refs/remotes/"):
            return _resolve(_GitRef("remote", name.removeprefix("refs/remotes/")))
        if name.startswith("refs/tags/"):
            return _info(Host.GIT, name.removeprefix("refs/tags/"), is_tag=True, remote=ref.url)
        return _info(Host.GIT, _short_branch(name), remote=ref.url)
    return _info(Host.GIT, name, remote=ref.url)  # git writes branch names short already


def _from_git_refs(refs: list[_GitRef], target_text: str | None) -> MergeInfo:
    resolved = [_resolve(ref) for ref in refs]
    first = resolved[0]
    sources = tuple(info.source for info in resolved if info.source)
    pr = next((info.pr for info in resolved if info.pr), None)
    host = next((info.host for info in resolved if info.pr), Host.GIT)
    # git never quotes the target; GitLab always does: "Merge branch 'x' into 'main'".
    if host is Host.GIT and target_text and _unquote(target_text)[1] == "'":
        host = Host.GITLAB
    return replace(first, target=_target(target_text), pr=pr, host=host, sources=sources)


def _git_merge(subject: str) -> MergeInfo | None:
    match = _GIT_TITLE.match(subject)
    if match is None:
        return None
    body, target = match.group(1), match.group(2)
    refs = _git_refs(body)
    if refs is None and target is not None:  # " into " belonged to a name after all
        body, target = f"{body} into {target}", None
        refs = _git_refs(body)
    return None if not refs else _from_git_refs(refs, target)


# 2005 git: "Merge with rsync://rsync.kernel.org/...", "Auto merge with /home/aegl/GIT/linus"
_OLD_GIT_PULL = re.compile(r"(?:Auto )?[Mm]erge (?:with|of) (\S+)$")


def _old_git_pull(subject: str) -> MergeInfo | None:
    match = _OLD_GIT_PULL.match(subject)
    if match is None or not _looks_like_url(match.group(1)):
        return None
    return _info(Host.GIT, None, remote=match.group(1))


# Edited git subjects: one quoted name, then anything ("Merge branch 'akpm' (patches from Andrew)",
# a name with spaces, a target followed by words).
_GIT_LENIENT = re.compile(
    r"Merge (remote-tracking branch|remote branch|branch|tag|commit) (['\"])(.+?)\2(?=\s|$)"
    r"(?: \(early part\))?(?: of (\S+))?(?: into (\S+))?"
)


def _git_merge_lenient(subject: str) -> MergeInfo | None:
    match = _GIT_LENIENT.match(subject)
    if match is None:
        return None
    ref = _GitRef(_KINDS[match.group(1)], match.group(3), match.group(4))
    return _from_git_refs([ref], match.group(5))


# ---------------------------------------------------------------------------
# Looser formats, tried last


# "Fix login (#123)": GitHub's merge commit titled after the pull request (also its squash title).
# GitLab's %{local_reference} template gives "Title (!45)". The rest may itself be a merge subject.
_TITLE_NUMBER = re.compile(r"\((#|!)([0-9]+)\)$")


def _title_with_number(subject: str) -> MergeInfo | None:
    match = _TITLE_NUMBER.search(subject)
    if match is None or (pr := request_number(match.group(2))) is None:
        return None
    host = Host.GITHUB if match.group(1) == "#" else Host.GITLAB
    inner = _parse(subject[:match.start()].rstrip(), inner=True)
    return _info(host, None, None, pr) if inner is None else replace(inner, pr=pr, host=host)


# "Merged develop into master" (Bitbucket; "Merged in" is its pull-request form)
_BITBUCKET_BRANCH = re.compile(r"Merged (?!in )(\S+) into (\S+)$")


def _bitbucket_branch_merge(subject: str) -> MergeInfo | None:
    match = _BITBUCKET_BRANCH.match(subject)
    return None if match is None else _info(Host.BITBUCKET, match.group(1), _target(match.group(2)))


# "Finish feature/x into develop" (SmartGit's git-flow; the prefix keeps "Finish refactoring" out)
_SMARTGIT_FINISH = re.compile(r"Finish (\S+/\S+)(?: into (\S+))?$")


def _smartgit_finish(subject: str) -> MergeInfo | None:
    match = _SMARTGIT_FINISH.match(subject)
    return None if match is None else _info(Host.GIT, match.group(1), _target(match.group(2)))


# Hand-written and GUI subjects: "Merge develop into master", "Merge 'x' into y", "Merge 'x'".
_HAND_WRITTEN = re.compile(
    r"Merge (?:branch )?(?:(['\"])(\S+?)\1(?: into (\S+))?|([^\s'\"]\S*) into (\S+))$"
)


def _hand_written_merge(subject: str) -> MergeInfo | None:
    match = _HAND_WRITTEN.match(subject)
    if match is None:
        return None
    name, target = (match.group(2), match.group(3)) if match.group(2) else (match.group(4), match.group(5))
    return _info(Host.GIT, _short_branch(name), _target(target))


# ---------------------------------------------------------------------------
# Registries and the public functions

_EXACT_FORMATS = (
    _github_pull_request,
    _bitbucket_server_pull_request,
    _azure_pull_request,
    _gitea_pull_request,
    _bitbucket_cloud_pull_request,
    _bitbucket_server_pull_request_title,
    _azure_merged_pr,
    _gerrit_change,
    _gerrit_changes,
    _git_merge,
    _old_git_pull,
)
_LOOSE_FORMATS = (
    _git_merge_lenient,
    _bitbucket_branch_merge,
    _smartgit_finish,
    _hand_written_merge,
)
# The title-with-number check goes between: "Merge branch 'x' into main (#12)" is GitHub's title
# of a pull request, which the lenient git parser would otherwise take without its number.
_SUBJECT_FORMATS = (*_EXACT_FORMATS, _title_with_number, *_LOOSE_FORMATS)


_GIT_PREFIXES = ("Merge branch ", "Merge branches ", "Merge remote-tracking branch ", "Merge tag ")


def _parse(subject: str, *, inner: bool = False) -> MergeInfo | None:
    """The first format's reading of `subject`; `inner` for the title part of "Title (#12)"."""
    if not subject.startswith(("Merge", "merge", "Pull", "Finish", "Auto")) and not subject.endswith(")"):
        return None  # every format starts or ends so; most single-parent subjects stop here
    if subject.startswith(_GIT_PREFIXES) and (info := _git_merge(subject)) is not None:
        # No format before _git_merge in the registry reads these prefixes, so trying it
        # first gives the registry's answer; it saves a dozen failed matches per merge.
        return info
    for parse in _SUBJECT_FORMATS:
        if inner and parse is _title_with_number:
            continue
        info = parse(subject)
        if info is not None:
            return info
    return None


def parse_merge_subject(subject: str) -> MergeInfo | None:
    """For a commit with 2+ parents. None when the subject is no known merge format."""
    return _parse(_first_paragraph(subject))


def parse_pr_reference(subject: str, trailers: tuple[str, ...] = ()) -> MergeInfo | None:
    """The pull or merge request behind a single-parent commit (a squash merge candidate) or behind
    a merge whose subject parse failed.

    GitHub 'Title (#123)' at the end of the subject; Azure DevOps 'Merged PR 123: title'; Bitbucket
    'Merged in branch (pull request #12)' (subject or body) and 'Pull request #12: Title' with its
    'Merge in' body line; GitLab body line 'See merge request group/proj!45'. A Gerrit 'Change-Id'
    trailer gives host GERRIT with pr None. None when there is no reference.
    """
    return _with_request(parse_merge_subject(subject), trailers)


def _with_request(info: MergeInfo | None, trailers: tuple[str, ...]) -> MergeInfo | None:
    """The subject's reading completed by the body lines, when together they name a request."""
    found = parse_trailers(trailers)
    if info is not None and info.host is Host.BITBUCKET and info.source is None:
        info = _with_merge_in_line(info, trailers)
    if found.merge_request is not None:
        # The body line is GitLab's own; a "(#12)" in the title would name an issue there.
        number = found.merge_request[1]
        return replace(info, pr=number, host=Host.GITLAB) if info else _info(Host.GITLAB, None, None, number)
    if info is not None and info.pr is not None:
        return info
    for line in trailers:
        if (match := _BITBUCKET_MERGED_IN_LINE.match(line.strip())) and (pr := request_number(match.group("bb_pr"))):
            return _info(Host.BITBUCKET, match.group("bb_source"), None, pr)
    if found.change_id is not None:
        return replace(info, host=Host.GERRIT) if info else _info(Host.GERRIT)
    return None


# A commit that cites the pull request it landed: a line starting "Closes #N" (curl's maintainers
# land pull requests as commits ending so) or "PR-URL: …/pull/N". "Fixes #N" names an issue, not
# the request, so it is not read as one. CITES_PR_GREP is the same test for `git log -i -E --grep`.
_CITES_PR = (re.compile(r"^[ \t]*(?:closes?|closed):?[ \t]+#(?P<n>[0-9]+)", re.IGNORECASE),
             re.compile(r"^[ \t]*PR-URL:[ \t]*\S*/pulls?/(?P<n>[0-9]+)", re.IGNORECASE))
CITES_PR_GREP: tuple[str, ...] = ("^[[:space:]]*(closes?|closed):?[[:space:]]+#[0-9]",
                                  "^[[:space:]]*pr-url:[[:space:]]*[^[:space:]]*/pulls?/[0-9]")


def cited_pull_request(subject: str, trailers: tuple[str, ...] = ()) -> int | None:
    """The pull request a single-parent commit says it landed ("Closes #12", "PR-URL: …/pull/12"),
    from its subject or its kept body lines; None when it cites none."""
    for line in (subject, *trailers):
        for pattern in _CITES_PR:
            if (match := pattern.match(line)) and (number := request_number(match.group("n"))) is not None:
                return number
    return None


def parse_merge_message(subject: str, trailers: tuple[str, ...] = ()) -> MergeInfo | None:
    """For a merge commit: its subject's parse, completed by the kept body lines (GitLab's merge
    request number, Bitbucket Server's branches)."""
    info = parse_merge_subject(subject)
    return _with_request(info, trailers) or info


def _with_merge_in_line(info: MergeInfo, trailers: tuple[str, ...]) -> MergeInfo:
    """Bitbucket Server 7+: "Merge in PROJ/repo from feature/x to master" names the branches."""
    for line in trailers:
        if match := _BITBUCKET_MERGE_IN_LINE.match(line.strip()):
            owner, branch = _fork(match.group("bbs_source"))
            return replace(info, source=branch, sources=(branch,), target=_target(match.group("bbs_target")),
                           fork_owner=owner)
    return info
