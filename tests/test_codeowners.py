"""CODEOWNERS text: patterns escaped, owners that cannot be one replaced by a placeholder, a GitLab section."""

from __future__ import annotations

from advisor import codeowners
from advisor.codeowners import CodeOwner


def entry(pattern: str, owners: tuple[str, ...] = ("bob@example.com",)) -> CodeOwner:
    return CodeOwner(pattern=pattern, owners=owners, reason="changed by 2 fixes", commands=("git show abc",))


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_spaces_and_hashes_are_escaped_and_unprintable_patterns_left_out() -> None:
    text = codeowners.github((entry("/my dir/#x.c"), entry("/bad\nname")), "automate")
    assert lines(text) == ["/my\\ dir/\\#x.c bob@example.com"]
    assert "\nname" not in text


def test_an_owner_without_an_email_gets_the_placeholder() -> None:
    assert lines(codeowners.github((entry("/lib/", ("", "not an email")),), "automate")) == [
        f"/lib/ {codeowners.PLACEHOLDER}"]


def test_gitlab_asks_for_two_code_owner_approvals_in_a_section() -> None:
    text = codeowners.gitlab((entry("/lib/"),), "automate")
    assert lines(text) == [f"[{codeowners.SECTION}][{codeowners.GITLAB_APPROVALS}]", "/lib/ bob@example.com"]


def test_the_readme_says_why_there_are_no_code_owners() -> None:
    assert "1 approval everywhere, no code owners: nothing risky." in "\n".join(codeowners.readme((), "nothing risky"))
