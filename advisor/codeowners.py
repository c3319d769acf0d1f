"""CODEOWNERS files for the paths the history shows as risky, in GitHub's and GitLab's formats.

GitHub rulesets and classic protection cannot ask for more approvals on some paths only: the way
is a CODEOWNERS file that lists just those paths, with `require_code_owner_review`. GitLab's
CODEOWNERS sections can ask for a number of code-owner approvals (`[Section][2]`), enforced by
the protected branch's `code_owner_approval_required`. Owners are the people who most often
changed each path, by the email git records: both hosts take an email only when it is a verified
address of that person's account, so the README gives the calls that map an email to a handle.

Pure: entries in, file texts out.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.markdown import code, md

GITLAB_APPROVALS = 2  # code-owner approvals GitLab asks for on a risky path
PLACEHOLDER = "@OWNER"  # nobody but bots changed the path in the window: a person or team to choose
GITHUB_PLACE = ".github/CODEOWNERS"
GITLAB_PLACE = ".gitlab/CODEOWNERS"
SECTION = "Risky paths"


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeOwner:
    pattern: str  # "/lib/vtls/" or "/Makefile"
    owners: tuple[str, ...]  # emails, most frequent author first
    reason: str  # the measured fact that makes the path risky
    commands: tuple[str, ...]  # read-only git commands that show it
    owners_command: str = ""  # the git command that counts who changed the path most


def _pattern(text: str) -> str | None:
    """`text` as a CODEOWNERS pattern (spaces and `#` escaped); None when no line can hold it."""
    if any(not c.isprintable() for c in text):
        return None
    return text.replace("\\", "\\\\").replace(" ", "\\ ").replace("#", "\\#")


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def _owner(email: str) -> str | None:
    return email if email and all(c.isprintable() and not c.isspace() for c in email) and "@" in email else None


def _entries(entries: tuple[CodeOwner, ...]) -> list[str]:
    lines = []
    for entry in entries:
        pattern = _pattern(entry.pattern)
        if pattern is None:
            continue
        owners = [o for o in (_owner(e) for e in entry.owners) if o] or [PLACEHOLDER]
        lines.append(f"# {_comment(entry.pattern)}: {_comment(entry.reason)}")
        lines += [f"#   {_comment(command)}" for command in entry.commands]
        lines.append(f"{pattern} {' '.join(owners)}")
        lines.append("")
    return lines


def github(entries: tuple[CodeOwner, ...], stage: str) -> str:
    return "\n".join([
        f"# Code owners for the paths advisor found risky (stage {_comment(stage)}). Commit as {GITHUB_PLACE}",
        "# on the trunk before applying the ruleset: with require_code_owner_review, a pull request that",
        "# changes one of these paths needs a code owner's approval; every other change still needs one approval.",
        "# Owners are commit emails: GitHub takes one only when it is a verified email of that person's account",
        "# (see the README beside this file for the call that finds the handle).",
        "",
        *_entries(entries),
    ]).rstrip("\n") + "\n"


def gitlab(entries: tuple[CodeOwner, ...], stage: str) -> str:
    return "\n".join([
        f"# Code owners for the paths advisor found risky (stage {_comment(stage)}). Commit as {GITLAB_PLACE}",
        f"# on the default branch. The section asks for {GITLAB_APPROVALS} code-owner approvals on these paths "
        "(GitLab Premium),",
        "# enforced by code_owner_approval_required on the protected branch.",
        "",
        f"[{SECTION}][{GITLAB_APPROVALS}]",
        *_entries(entries),
    ]).rstrip("\n") + "\n"


def readme(entries: tuple[CodeOwner, ...], none_reason: str) -> list[str]:
    """The README section: which paths, why, who, and how to turn emails into handles."""
    out = ["## Reviews for risky paths", ""]
    if not entries:
        return out + [f"1 approval everywhere, no code owners: {md(none_reason)}.", ""]
    out += [f"Code owners review the {len(entries)} path(s) below, where the window's failure fixes concentrated; "
            "every other change needs 1 approval. GitHub cannot ask for 2 approvals on some paths only, so "
            f"`github/CODEOWNERS` (commit it as {code(GITHUB_PLACE)}) with `require_code_owner_review` does it; "
            f"on GitLab `gitlab/CODEOWNERS` (as {code(GITLAB_PLACE)}) asks for {GITLAB_APPROVALS} code-owner "
            "approvals there, with `code_owner_approval_required`.", ""]
    for entry in entries:
        owners = ", ".join(code(o) for o in entry.owners) or f"nobody but automation: choose one ({code(PLACEHOLDER)})"
        out.append(f"- {code(entry.pattern)}: {md(entry.reason)}; owners (most commits there in the window): {owners}")
        out += [f"  - check: {code(command)}" for command in entry.commands]
        if entry.owners_command:
            out.append(f"  - owners: {code(entry.owners_command)}")
    out += ["", "The owners are commit emails, not GitHub or GitLab handles. A host takes an email only when it is "
            "a verified address of the person's account; otherwise replace it with the handle:", "",
            "- GitHub: `gh api 'search/commits?q=author-email:EMAIL' --jq '.items[0].author.login'` "
            "(then `@LOGIN`; they need write access to be an owner)",
            "- GitLab: `glab api 'users?search=EMAIL' | jq -r '.[0].username'` (then `@USERNAME`)", ""]
    return out
