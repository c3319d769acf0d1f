"""Merge and squash-merge messages of git and the hosts, read back into branches and numbers.

Where each format comes from is noted next to its rows: git's fmt-merge-msg.c and
builtin/merge.c, Gerrit's MergeUtil.java, Gitea's services/pull, GitVersion's merge
message formats (which cover Bitbucket Server, Bitbucket Cloud and Azure DevOps), and
subjects seen in public histories (Linux, git.git, AOSP).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.merges import (
    TRAILER_PATTERN,
    may_hold_trailers,
    trailer_lines,
    Host,
    cited_pull_request,
    MergeInfo,
    Trailers,
    parse_merge_message,
    parse_merge_subject,
    parse_pr_reference,
    parse_trailers,
    squash_body_commit_count,
)

GIT, GITHUB, GITLAB, BITBUCKET, AZURE, GERRIT, UNKNOWN = (
    Host.GIT, Host.GITHUB, Host.GITLAB, Host.BITBUCKET, Host.AZURE, Host.GERRIT, Host.UNKNOWN)


def info(source: str | None, target: str | None, pr: int | None, host: Host, **extra: Any) -> MergeInfo:
    """A MergeInfo whose `sources` default to the one source, as the parser builds them."""
    extra.setdefault("sources", (source,) if source else ())
    return MergeInfo(source, target, pr, host, **extra)


MERGE_SUBJECTS = [
    # git fmt-merge-msg.c: "Merge " + kind + quoted names [+ " of " url] [+ " into " branch]
    ("Merge branch 'x'", info("x", None, None, GIT)),
    ("Merge branch 'feature/login' into develop", info("feature/login", "develop", None, GIT)),
    ("Merge branch 'topic' into HEAD", info("topic", None, None, GIT)),  # detached HEAD: no branch
    ("Merge branches 'a' and 'b'", info("a", None, None, GIT, sources=("a", "b"))),
    ("Merge branches 'a', 'b' and 'c' into y", info("a", "y", None, GIT, sources=("a", "b", "c"))),
    ("Merge remote-tracking branch 'origin/x'", info("x", None, None, GIT, is_remote_tracking=True, remote="origin")),
    ("Merge remote-tracking branch 'upstream/feature/a/b' into feature/a/b",
     info("feature/a/b", "feature/a/b", None, GIT, is_remote_tracking=True, remote="upstream")),
    ("Merge remote-tracking branches 'origin/a' and 'origin/b'",
     info("a", None, None, GIT, is_remote_tracking=True, remote="origin", sources=("a", "b"))),
    # git before 1.7.3 said "remote branch" (seen in 2010 changelogs: "Merge remote branch 'origin/bz541281'")
    ("Merge remote branch 'origin/bz541281'", info("bz541281", None, None, GIT, is_remote_tracking=True, remote="origin")),
    ("Merge remote branch 'origin/master' into HEAD", info("master", None, None, GIT, is_remote_tracking=True, remote="origin")),
    ("Merge tag 'v1.0'", info("v1.0", None, None, GIT, is_tag=True)),
    ("Merge tags 'v1' and 'v2' into main", info("v1", "main", None, GIT, is_tag=True, sources=("v1", "v2"))),
    # Linux: "Merge tag 'drm-next-...' of git://anongit.freedesktop.org/drm/drm"
    ("Merge tag 'drm-next-2024-01-10' of git://anongit.freedesktop.org/drm/drm",
     info("drm-next-2024-01-10", None, None, GIT, is_tag=True, remote="git://anongit.freedesktop.org/drm/drm")),
    ("Merge branch 'master' of https://github.com/peltos/cops",
     info("master", None, None, GIT, remote="https://github.com/peltos/cops")),
    ("Merge branch 'for-linus' of git://git.kernel.org/pub/scm/linux/kernel/git/jikos/hid into main",
     info("for-linus", "main", None, GIT, remote="git://git.kernel.org/pub/scm/linux/kernel/git/jikos/hid")),
    ("Merge branch 'main' of github.com:o/r into feature", info("main", "feature", None, GIT, remote="github.com:o/r")),
    # pulling from two repositories: groups joined by "; "
    ("Merge branch 'a' of git://h/one; branch 'b' of git://h/two into x",
     info("a", "x", None, GIT, remote="git://h/one", sources=("a", "b"))),
    ("Merge branch 'a', tag 'v1'", info("a", None, None, GIT, sources=("a", "v1"))),
    # builtin/merge.c: a commit that is no ref
    ("Merge commit 'deadbeefcafe1234'", info(None, None, None, GIT)),
    ("Merge commit '1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d' into release", info(None, "release", None, GIT)),
    ("Merge commit 'v2.6.15'", info("v2.6.15", None, None, GIT)),
    ("Merge commit 'refs/heads/x'", info("x", None, None, GIT)),  # a full ref given to git merge
    ("Merge branch 'refs/heads/x'", info("refs/heads/x", None, None, GIT)),  # a branch named so (found by hypothesis)
    # pulling a pull request's head by URL (ROS changelogs): the number is in the ref
    ("Merge commit 'refs/pull/81/head' of github.com:code-iai/iai_kinect2 into devel",
     info(None, "devel", 81, GITHUB, remote="github.com:code-iai/iai_kinect2")),
    ("Merge commit 'refs/merge-requests/7/head' of https://gitlab.com/g/p",
     info(None, None, 7, GITLAB, remote="https://gitlab.com/g/p")),
    # a pull request fetched by its bare number (pytest, 2015) and GitHub's wording of 2011 (git-flow)
    ("Merge commit 'refs/pull/976'", info(None, None, 976, GITHUB)),
    ("Merge commit 'refs/pull/976' of github.com:o/r into main", info(None, "main", 976, GITHUB, remote="github.com:o/r")),
    ("Merged pull request #119 from jbernard/develop.", info("develop", None, 119, GITHUB, fork_owner="jbernard")),
    ("Merged pull request #7 from x/feature/a.b.", info("feature/a.b", None, 7, GITHUB, fork_owner="x")),
    # git.git and Linux: merging a branch~n gives "(early part)"
    ("Merge branch 'kn/for-each-ref-skip' (early part) into jch", info("kn/for-each-ref-skip", "jch", None, GIT)),
    ("Merge branch 'arm64-uaccess' (early part)", info("arm64-uaccess", None, None, GIT)),
    # pulling a repository's HEAD names only the URL (Linux 2005-2010)
    ("Merge git://git.kernel.org/pub/scm/linux/kernel/git/davem/net",
     info(None, None, None, GIT, remote="git://git.kernel.org/pub/scm/linux/kernel/git/davem/net")),
    ("Merge master.kernel.org:/pub/scm/linux/kernel/git/davem/net-2.6",
     info(None, None, None, GIT, remote="master.kernel.org:/pub/scm/linux/kernel/git/davem/net-2.6")),
    # 2005 git (Linux 2.6.13 shortlogs): "Merge with rsync://...", "Auto merge with /home/aegl/GIT/linus"
    ("Merge with rsync://rsync.kernel.org/pub/scm/linux/kernel/git/torvalds/linux-2.6.git",
     info(None, None, None, GIT, remote="rsync://rsync.kernel.org/pub/scm/linux/kernel/git/torvalds/linux-2.6.git")),
    ("Auto merge with /home/aegl/GIT/linus", info(None, None, None, GIT, remote="/home/aegl/GIT/linus")),
    ("Merge HEAD, branch 'x' of git://h/r", info(None, None, None, GIT, remote="git://h/r", sources=("x",))),
    # quote styles: double quotes (JGit users, hand edits), Linus's edited subjects
    ('Merge branch "x"', info("x", None, None, GIT)),
    ('Merge branch "feature/x" into "develop"', info("feature/x", "develop", None, GIT)),
    ("Merge branch 'akpm' (patches from Andrew)", info("akpm", None, None, GIT)),
    ("Merge branch 'x' into develop and fix the build", info("x", "develop", None, GIT)),
    # git-flow / git-flow-avh (git merge --no-ff)
    ("Merge branch 'feature/x' into develop", info("feature/x", "develop", None, GIT)),
    ("Merge branch 'release/1.2'", info("release/1.2", None, None, GIT)),
    ("Merge branch 'hotfix/1.2.1' into develop", info("hotfix/1.2.1", "develop", None, GIT)),
    ("Merge tag '1.2' into develop", info("1.2", "develop", None, GIT, is_tag=True)),
    # GitHub: "Merge pull request #N from owner/branch"; the branch may hold slashes
    ("Merge pull request #123 from owner/branch-name", info("branch-name", None, 123, GITHUB, fork_owner="owner")),
    ("Merge pull request #7 from owner/feature/a/b", info("feature/a/b", None, 7, GITHUB, fork_owner="owner")),
    ("Merge pull request #5 from owner/branch", info("branch", None, 5, GITHUB, fork_owner="owner")),
    ("Merge pull request #12 from dependabot/npm_and_yarn/lodash-4.17.21",
     info("npm_and_yarn/lodash-4.17.21", None, 12, GITHUB, fork_owner="dependabot")),
    ("Merge pull request #9 from branch", info("branch", None, 9, GITHUB)),
    # GitHub's merge commit titled after the pull request ("Default to pull request title")
    ("Some title (#123)", info(None, None, 123, GITHUB)),
    ("Revert \"Add login (#12)\" (#15)", info(None, None, 15, GITHUB)),
    ("Merge branch 'main' into feature (#44)", info("main", "feature", 44, GITHUB)),
    # GitLab merge_request.rb: "Merge branch '%{source_branch}' into '%{target_branch}'"
    ("Merge branch 'feature/x' into 'main'", info("feature/x", "main", None, GITLAB)),
    ("Merge branch '36262_merge_request_reference' into 'master'", info("36262_merge_request_reference", "master", None, GITLAB)),
    ("Update docs (!45)", info(None, None, 45, GITLAB)),  # %{local_reference} templates
    # Bitbucket Cloud: "Merged in <source branch name> (pull request #<N>)" (Atlassian KB)
    ("Merged in feature/x (pull request #12)", info("feature/x", None, 12, BITBUCKET)),
    ("Merged in feature/x (pull request #12) * commit one", info("feature/x", None, 12, BITBUCKET)),
    ("Merged develop into master", info("develop", "master", None, BITBUCKET)),
    # Bitbucket Server before 7.0 (GitVersion's BitBucketPull; forks as "PROJ/fork:branch")
    ("Merge pull request #12 in PROJ/repo from feature/x to master", info("feature/x", "master", 12, BITBUCKET)),
    ("Merge pull request #1 in ZAN/sample from ZAN/sample-teamfork:feature/f1 to integration",
     info("feature/f1", "integration", 1, BITBUCKET, fork_owner="ZAN")),
    ("Merge pull request #1 in FOO/bar from feature/ISSUE-1 to develop * commit '38560a7e': Updated jQuery",
     info("feature/ISSUE-1", "develop", 1, BITBUCKET)),
    # Bitbucket Server 7+: "Pull request #N: Title" (branches in the body, see parse_pr_reference)
    ("Pull request #456: Feature X", info(None, None, 456, BITBUCKET)),
    # Azure DevOps: "Merged PR 123: Title"; TFS: "Merge pull request 123 from x into y"
    ("Merged PR 123: Add login page", info(None, None, 123, AZURE)),
    ("Merged PR 77: Merge develop to main", info("develop", "main", 77, AZURE)),
    ("Merge pull request 123 from feature/x into main", info("feature/x", "main", 123, AZURE)),
    # Gerrit MergeUtil.summarize: title, change keys or topics; " into " unless master
    ('Merge "Title"', info(None, None, None, GERRIT)),
    ('Merge "Title" into branch', info(None, "branch", None, GERRIT)),
    ('Merge "Revert "Use the "into" keyword"" into stable-3.9', info(None, "stable-3.9", None, GERRIT)),
    ("Merge changes I1234abcd,I5678ef90 into branch", info(None, "branch", None, GERRIT)),
    ("Merge changes Ia1,Ib2,Ic3,Id4,Ie5, ...", info(None, None, None, GERRIT)),
    ('Merge changes from topic "x"', info(None, None, None, GERRIT)),
    ('Merge changes from topics "a", "b" into main', info(None, "main", None, GERRIT)),
    ("Merge change 23937 into eclair", info(None, "eclair", None, GERRIT)),
    # AOSP automerger (frameworks/base history)
    ('Merge "Fix theme cannot change due to there is no wallpaper colors." into pi-dev am: dee98726bf am: ff5c8bac7c',
     info(None, "pi-dev", None, GERRIT)),
    # Gitea services/pull/merge.go: "Merge pull request '%s' (#%d) from %s into %s"
    ("Merge pull request 'Add x' (#12) from feature/x into main", info("feature/x", "main", 12, UNKNOWN)),
    ("Merge pull request 'It's (#3) done' (#14) from alice/fork:fix into main",
     info("fix", "main", 14, UNKNOWN, fork_owner="alice")),
    # SmartGit's git-flow (GitVersion's SmartGit format)
    ("Finish release/1.2.0 into main", info("release/1.2.0", "main", None, GIT)),
    # hand-written and GUI subjects
    ("Merge develop into master", info("develop", "master", None, GIT)),
    ("Merge 'x' into y", info("x", "y", None, GIT)),
    ("Merge 'x'", info("x", None, None, GIT)),
    # tricky names: unicode, quotes, markup, trailing blanks, "into" inside names, spaces
    ("Merge branch 'функция/вход' into 'главная'", info("функция/вход", "главная", None, GITLAB)),
    ("Merge branch '機能/ログイン' into develop", info("機能/ログイン", "develop", None, GIT)),
    ("Merge branch 'it's' into main", info("it's", "main", None, GIT)),
    ("Merge branch 'say-\"hi\"'", info('say-"hi"', None, None, GIT)),
    ("Merge branch '<script>alert(1)</script>' into main", info("<script>alert(1)</script>", "main", None, GIT)),
    ("Merge branch 'x' into develop   ", info("x", "develop", None, GIT)),
    ("  Merge branch 'x'\n", info("x", None, None, GIT)),
    ("Merge branch 'feature/into-the-void' into develop", info("feature/into-the-void", "develop", None, GIT)),
    ("Merge branch 'into'", info("into", None, None, GIT)),
    ("Merge branch 'into' into into", info("into", "into", None, GIT)),
    ("Merge branch 'a into b'", info("a into b", None, None, GIT)),
    ("Merge branch 'my feature' into 'main'", info("my feature", "main", None, GITLAB)),
    ("Merge branch 'odd\x1b[2J'", info("odd\x1b[2J", None, None, GIT)),
    # a message whose first paragraph spans lines: git's %s joins them
    ("Merge pull request #4 in P/r from a to b\n* commit 'abc':\n  x", info("a", "b", 4, BITBUCKET)),
]

NOT_MERGE_SUBJECTS = [
    "Merge sort fix",
    "Merged the two lists",
    "Merge fix",
    "Merge conflicts resolved",
    'Revert "Merge pull request #1 from a/b"',
    "Revert \"Merge branch 'x' into y\"",
    "Fix (#12) in login",
    "Fix login (#12) and logout",
    "Add (#0)",
    "Merge pull request #0 from a/b",
    "Finish refactoring",
    "Pull requests are welcome",
    "Merged PR: no number",
    "",
    "   ",
    "Merge",
    "Merge branch",
    "Merge branch ''",
    "Merge pull request #99999999999999999999999 from a/b",
]


@pytest.mark.parametrize(("subject", "expected"), MERGE_SUBJECTS)
def test_merge_subjects(subject: str, expected: MergeInfo) -> None:
    assert parse_merge_subject(subject) == expected


@pytest.mark.parametrize("subject", NOT_MERGE_SUBJECTS)
def test_not_merge_subjects(subject: str) -> None:
    assert parse_merge_subject(subject) is None


MR = "See merge request group/sub/project!45"
CHANGE_ID = "Change-Id: I" + "0123456789abcdef" * 2 + "01234567"

PR_REFERENCES = [
    # GitHub squash: "Title (#123)" at the very end
    ("Add login page (#123)", (), info(None, None, 123, GITHUB)),
    ("Bump lodash from 4.17.20 to 4.17.21 (#1234)   ", (), info(None, None, 1234, GITHUB)),
    ("Backport fix (#12) (#30)", (), info(None, None, 30, GITHUB)),
    # Azure DevOps squash
    ("Merged PR 123: Add login page", (), info(None, None, 123, AZURE)),
    # Bitbucket Cloud squash, in the subject or the body
    ("Merged in feature/x (pull request #12)", ("* one", "* two"), info("feature/x", None, 12, BITBUCKET)),
    ("Add login page", ("Merged in feature/x (pull request #12)",), info("feature/x", None, 12, BITBUCKET)),
    # Bitbucket Server 7+: "Pull request #N: Title" + "Merge in PROJ/repo from x to y"
    ("Pull request #456: Feature X", ("Merge in PROJ/repo from feature/x to main",),
     info("feature/x", "main", 456, BITBUCKET)),
    ("Pull request #456: Feature X", ("Merge in PROJ/repo from ~ALICE/fork:feature/x to main",),
     info("feature/x", "main", 456, BITBUCKET, fork_owner="~ALICE")),
    # GitLab: the body line, with the subject's branches when it names them
    ("Add login page", (MR,), info(None, None, 45, GITLAB)),
    ("Merge branch 'feature/x' into 'main'", (MR,), info("feature/x", "main", 45, GITLAB)),
    ("Fix crash (#12)", ("See merge request !7",), info(None, None, 7, GITLAB)),
    # Gerrit: Change-Id, no number
    ("Fix crash", (CHANGE_ID,), info(None, None, None, GERRIT)),
    ("Merge branch 'x' into y", (CHANGE_ID,), info("x", "y", None, GERRIT)),
    ("Fix crash (#12)", (CHANGE_ID,), info(None, None, 12, GITHUB)),  # a number beats a Change-Id
    # merge subjects with a number
    ("Merge pull request #5 from a/b", (), info("b", None, 5, GITHUB, fork_owner="a")),
]

NO_PR_REFERENCE = [
    ("Fix typo", ()),
    ("Fix (#12) regression", ()),
    ('Revert "Fix login (#12)"', ()),
    ('Revert "Merge pull request #1 from a/b"', ()),
    ("Merge branch 'x' into y", ()),  # a merge, but no request behind it
    ("Add login page (#12).", ()),
    ("Fix crash", ("Closes #12", "Signed-off-by: A <a@example.com>")),
    ("Fix crash", ("(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)",)),
]


@pytest.mark.parametrize(("subject", "trailers", "expected"), PR_REFERENCES)
def test_pr_references(subject: str, trailers: tuple[str, ...], expected: MergeInfo) -> None:
    assert parse_pr_reference(subject, trailers) == expected


@pytest.mark.parametrize(("subject", "trailers"), NO_PR_REFERENCE)
def test_no_pr_reference(subject: str, trailers: tuple[str, ...]) -> None:
    assert parse_pr_reference(subject, trailers) is None


def test_merge_message_completes_the_subject_with_the_body() -> None:
    assert parse_merge_message("Merge branch 'x' into 'main'", (MR,)) == info("x", "main", 45, GITLAB)
    assert parse_merge_message("Merge branch 'x' into main") == info("x", "main", None, GIT)
    assert parse_merge_message("Pull request #3: T", ("Merge in P/r from a to b",)) == info("a", "b", 3, BITBUCKET)
    assert parse_merge_message("Merge sort fix") is None


SHA = "0123456789abcdef0123456789abcdef01234567"

TRAILER_CASES = [
    # git cherry-pick -x; sha lowercased
    (("(cherry picked from commit " + SHA.upper() + ")",), Trailers(cherry_picked_from=(SHA,))),
    (("(cherry picked from commit abc1234)", "(cherry picked from commit abc1234)"),
     Trailers(cherry_picked_from=("abc1234",))),
    # git revert: "This reverts commit <sha>." and, for merges, "..., reversing"
    (("This reverts commit " + SHA + ".",), Trailers(reverts=(SHA,))),
    (("This reverts commit abcdef0, reversing",), Trailers(reverts=("abcdef0",))),
    (("This reverts abcdef0123",), Trailers(reverts=("abcdef0123",))),
    (("This reverts commit 12345",), Trailers()),  # too short for a sha
    ((CHANGE_ID,), Trailers(change_id=CHANGE_ID.removeprefix("Change-Id: "))),
    (("Change-Id: I" + "A" * 40,), Trailers(change_id="I" + "a" * 40)),
    ((MR,), Trailers(merge_request=("group/sub/project", 45))),
    (("See merge request !45",), Trailers(merge_request=(None, 45))),
    (("Closes #12", "fixes #3 and resolves #4", "Fixed: #5", "Closes #1, #2 and #3", "FIXES #6"),
     Trailers(closes=(12, 3, 4, 5, 1, 2, 6))),
    (("prefixes #9", "Fixes org/repo#10", "closes #0", "Closes x#11", "hotfix #12"), Trailers()),
]


@pytest.mark.parametrize(("lines", "expected"), TRAILER_CASES)
def test_trailers(lines: tuple[str, ...], expected: Trailers) -> None:
    assert parse_trailers(lines) == expected


KEPT_LINES = [
    "(cherry picked from commit " + SHA + ")",
    "    (cherry picked from commit abcdef0)",
    "(cherry-picked from commit abcdef0)",
    "This reverts commit " + SHA + ".",
    CHANGE_ID,
    MR,
    "See merge request !45",
    "Merged in feature/x (pull request #12)",
    "Merge in PROJ/repo from feature/x to master",
    "* Add login page",
    "Closes #12",
    "This fixes #3.",
    "  - resolves #4",
]
DROPPED_LINES = [
    "Signed-off-by: A <a@example.com>",
    "Co-authored-by: B <b@example.com>",
    "  * an indented bullet",
    "*bold*",
    "* topic:",
    "* tag 'v1.2': (12 commits)",
    "Merge in progress",
    "Reviewed-on: https://review.example.com/c/p/+/123",
    "Fixes the #include order",
    "prefix #12",
    "",
]


@pytest.mark.parametrize("line", KEPT_LINES)
def test_trailer_pattern_keeps_the_lines_we_read(line: str) -> None:
    body = f"Subject line\n\nsome text\n{line}\nmore text\n"
    assert [m.group(0) for m in TRAILER_PATTERN.finditer(body)] == [line]


@pytest.mark.parametrize("line", KEPT_LINES)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_the_trailer_hints_let_every_kept_line_through(line: str, where: str) -> None:
    """The git reader only searches bodies `may_hold_trailers` passes: it must pass every body
    TRAILER_PATTERN keeps a line of, wherever the line is."""
    body = {"first": f"{line}\nmore", "middle": f"text\n{line}\nmore", "last": f"text\n\n{line}"}[where]
    assert list(TRAILER_PATTERN.finditer(body))
    assert may_hold_trailers(body)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(KEPT_LINES + DROPPED_LINES + ["* topic: (3 commits)", "* a: b", "x\r"]),
                          st.text(alphabet="* #:()\r\t abcfixClosesRv0123456789-\n", max_size=30)), max_size=8),
       st.sampled_from(["\n", "\r\n"]))
def test_trailer_lines_are_what_the_pattern_keeps(lines: list[str], newline: str) -> None:
    body = newline.join(lines)
    assert trailer_lines(body) == tuple(m.group(0).strip() for m in TRAILER_PATTERN.finditer(body))


def test_the_trailer_hints_skip_plain_bodies() -> None:
    assert not may_hold_trailers("Signed-off-by: A <a@example.com>\nReviewed-by: B <b@example.com>\n")
    assert not may_hold_trailers("text\n  * an indented bullet\n")


@pytest.mark.parametrize("line", DROPPED_LINES)
def test_trailer_pattern_drops_other_lines(line: str) -> None:
    assert list(TRAILER_PATTERN.finditer(f"text\n{line}\ntext")) == []


def test_trailer_pattern_handles_crlf_and_last_line() -> None:
    body = "x\r\nCloses #4\r\n(cherry picked from commit abcdef0)"
    assert [m.group(0).strip() for m in TRAILER_PATTERN.finditer(body)] == [
        "Closes #4", "(cherry picked from commit abcdef0)"]


GITHUB_SQUASH_BODY = """* Add login page

* Fix tests

more words about the fix

* Review comments
  * nested bullet in a body

---------

Co-authored-by: B <b@example.com>
"""


def kept(body: str) -> tuple[str, ...]:
    """What the git reader stores for a body."""
    return tuple(m.group(0).strip() for m in TRAILER_PATTERN.finditer(body))


def test_squash_body_commit_count() -> None:
    assert squash_body_commit_count(kept(GITHUB_SQUASH_BODY)) == 3
    assert squash_body_commit_count(()) == 0
    assert squash_body_commit_count(("Closes #1",)) == 0
    # git's merge.log summary and Bitbucket Server's list are headers, not squashed commits
    assert squash_body_commit_count(("* topic:", "* 'x' of https://h/r: (21 commits)", "* commit 'abc1234':")) == 0


def test_patterns_stay_linear_on_long_input() -> None:
    started = time.perf_counter()
    for text in (" " * 50_000 + "(#1)", "Merge " + " " * 50_000 + "x", "Merge \"" + '"' * 50_000,
                 "Merge branch '" + "'" * 50_000, "Merge pull request '" + "' (#1) from" * 5_000,
                 "x" + " \t" * 50_000 + "fix", "Fixes " * 20_000, "(cherry picked from commit " + "a" * 50_000):
        parse_merge_subject(text)
        parse_pr_reference(text, (text,))
        list(TRAILER_PATTERN.finditer(text))
        parse_trailers((text,))
    assert time.perf_counter() - started < 5


# ---------------------------------------------------------------------------
# Properties


def assert_sane(result: MergeInfo | None) -> None:
    if result is None:
        return
    assert isinstance(result.host, Host)
    assert result.pr is None or (type(result.pr) is int and result.pr > 0)
    assert result.source is None or result.source in result.sources or not result.sources
    assert all(isinstance(name, str) and name for name in result.sources)


@settings(max_examples=400, deadline=None)
@given(st.text(), st.lists(st.text(), max_size=5))
def test_no_function_raises_and_numbers_are_positive(text: str, lines: list[str]) -> None:
    trailers = tuple(lines)
    assert_sane(parse_merge_subject(text))
    assert_sane(parse_pr_reference(text, trailers))
    assert_sane(parse_merge_message(text, trailers))
    found = parse_trailers(trailers)
    assert all(type(n) is int and n > 0 for n in found.closes)
    assert found.merge_request is None or found.merge_request[1] > 0
    assert all(re.fullmatch(r"[0-9a-f]{7,64}", sha) for sha in found.cherry_picked_from + found.reverts)
    assert squash_body_commit_count(trailers) >= 0


MESSAGE_PIECES = st.sampled_from([
    "Merge ", "branch ", "branches ", "remote-tracking branch ", "tag ", "commit ", "pull request ",
    "Merged in ", "Merged PR ", "Pull request ", " into ", " of ", " and ", ", ", "; ", " to ", " from ",
    "'", '"', "#", "!", "(#12)", "(", ")", "12", "0", "origin/", "feature/x", "main", "HEAD", "I", ":",
    " (early part)", "am: ", "abc1234", " ", "\n", "changes ", "topic ",
])


@settings(max_examples=600, deadline=None)
@given(st.lists(MESSAGE_PIECES, max_size=12).map("".join))
def test_merge_like_text_never_raises(text: str) -> None:
    assert_sane(parse_merge_subject(text))
    assert_sane(parse_pr_reference(text, (text,)))


BODY_PIECES = st.one_of(
    st.text(max_size=20),
    st.sampled_from([
        "\n", "\r\n", " ", "\t", "* ", "  ", "#", "#12", "Closes ", "fixes ", "Resolved: ", " and ", ", ",
        "(cherry picked from commit ", "abcdef0123", ")", "This reverts commit ", "This reverts ", ".",
        "Change-Id: I" + "a" * 40, "See merge request ", "group/p!", "!", "45", "Merged in ", "feature/x",
        " (pull request #", "Merge in ", " from ", " to ", "prefix", "x",
    ]),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(BODY_PIECES, max_size=25).map("".join))
def test_trailer_pattern_matches_whole_lines_only(body: str) -> None:
    for match in TRAILER_PATTERN.finditer(body):
        assert match.start() == 0 or body[match.start() - 1] == "\n"
        assert match.end() == len(body) or body[match.end()] == "\n"
        assert "\n" not in match.group(0) and match.group(0)


@settings(max_examples=600, deadline=None)
@given(st.lists(BODY_PIECES, max_size=25).map("".join), st.sampled_from(["Fix", "Pull request #3: T", "Add (#4)"]))
def test_kept_lines_carry_everything_the_parsers_read(body: str, subject: str) -> None:
    every_line = tuple(line.strip() for line in body.split("\n"))
    assert parse_trailers(kept(body)) == parse_trailers(every_line)
    assert parse_pr_reference(subject, kept(body)) == parse_pr_reference(subject, every_line)


# git refuses whitespace and control characters in ref names; anything else goes.
NAMES = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=30).filter(
    lambda name: not any(c.isspace() for c in name))
TARGETS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,20}", fullmatch=True).filter(lambda t: t != "HEAD")


@settings(max_examples=400, deadline=None)
@given(NAMES, TARGETS)
def test_any_branch_name_round_trips_through_git_messages(name: str, target: str) -> None:
    assert parse_merge_subject(f"Merge branch '{name}'") == info(name, None, None, GIT)
    assert parse_merge_subject(f"Merge branch '{name}' into {target}") == info(name, target, None, GIT)
    assert parse_merge_subject(f"Merge branches '{name}' and '{target}'") == info(
        name, None, None, GIT, sources=(name, target))


@settings(max_examples=400, deadline=None)
@given(NAMES.filter(lambda n: "/" not in n), NAMES, st.integers(min_value=1, max_value=10**9))
def test_any_branch_name_round_trips_through_github_messages(owner: str, branch: str, number: int) -> None:
    assert parse_merge_subject(f"Merge pull request #{number} from {owner}/{branch}") == info(
        branch, None, number, GITHUB, fork_owner=owner)


@pytest.mark.parametrize(("subject", "body", "number"), [
    ("lib: fix a leak", "A longer text.\n\nCloses #22638", 22638),  # curl
    ("lib: fix a leak", "closes: #12\nCloses #13", 12),
    ("Closed #7 by reworking the parser", "", 7),
    ("http: parse trailers", "PR-URL: https://github.com/nodejs/node/pull/5123\nReviewed-By: A <a@b.c>", 5123),
    ("docs: typo", "Fixes #40", None),  # an issue, not the request that landed it
    ("docs: typo", "This closes #40 in passing", None),  # not at the start of a line
    ("docs: typo", "Closes #0", None),
    ("docs: typo", "", None),
])
def test_a_commit_cites_the_pull_request_it_landed(subject: str, body: str, number: int | None) -> None:
    kept = tuple(m.group(0).strip() for m in TRAILER_PATTERN.finditer(body))  # what git reading keeps
    assert cited_pull_request(subject, kept) == number
