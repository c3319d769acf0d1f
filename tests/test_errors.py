"""Exit codes are distinct and every user error is an AdvisorError."""

from __future__ import annotations

from advisor import errors


def test_exit_codes_are_distinct() -> None:
    codes = [code.value for code in errors.ExitCode]
    assert len(codes) == len(set(codes))
    assert errors.ExitCode.INTERRUPTED == 130


def test_every_error_is_a_user_error() -> None:
    for name in ("NotARepository", "EmptyRepository", "UnbornHead", "ShallowClone", "TrunkNotFound",
                 "CorruptObject", "UnreadablePath", "GitFailed", "BadOption"):
        assert issubclass(getattr(errors, name), errors.AdvisorError)
