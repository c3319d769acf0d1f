"""Where risk concentrates: the deepest files and directories at least two failure fixes changed."""

from __future__ import annotations

from datetime import datetime, timezone

from advisor.risk import MAX_RISKY_PATHS, RISKY_MIN_FIXES, Fix, Risk, group

AT = datetime(2024, 1, 1, tzinfo=timezone.utc)


def fix(sha: str) -> Fix:
    return Fix(kind="revert", commit=sha, commits=(sha,), at=AT, label=f"revert {sha}", command=f"git show {sha}")


def patterns(changed: dict[str, tuple[str, ...]]) -> list[tuple[str, int]]:
    return [(r.pattern, len(r.fixes)) for r in group([fix(sha) for sha in changed], changed)]


def test_a_file_two_fixes_changed_is_named_and_its_directory_only_with_fixes_of_its_own() -> None:
    assert RISKY_MIN_FIXES == 2
    assert patterns({"a": ("lib/url.c",), "b": ("lib/url.c", "lib/http.c")}) == [("/lib/url.c", 2)]
    # A third fix elsewhere in lib/ and b's lib/http.c: two fixes changed lib/ outside lib/url.c.
    assert patterns({"a": ("lib/url.c",), "b": ("lib/url.c", "lib/http.c"), "c": ("lib/ftp.c",)}) == [
        ("/lib/", 2), ("/lib/url.c", 2)]


def test_fixes_in_different_files_of_one_directory_name_the_directory() -> None:
    assert patterns({"a": ("src/parser/lexer.c",), "b": ("src/parser/tokens.c",), "c": ("docs/guide.md",)}) == [
        ("/src/parser/", 2)]


def test_one_fix_per_place_marks_nothing_and_says_so() -> None:
    assert patterns({"a": ("a.c",), "b": ("docs/b.md",)}) == []
    assert Risk(fixes=2, read=True).none_reason == "no path was changed by 2 or more of the window's 2 failure fixes (reverts and hotfixes)"
    assert Risk(read=True).none_reason == "the window has no revert or hotfix, so no path is marked risky"


def test_at_most_the_busiest_places_are_kept() -> None:
    changed = {f"{n}{k}": (f"dir{n}/file.c",) for n in range(MAX_RISKY_PATHS + 3) for k in "ab"}
    changed["extra"] = ("dir0/file.c",)
    found = patterns(changed)
    assert len(found) == MAX_RISKY_PATHS and ("/dir0/file.c", 3) in found
