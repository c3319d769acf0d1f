"""Errors a user can cause, each one clear sentence, and the process exit codes.

`cli` is the single boundary that turns an `AdvisorError` into its message on
stderr and `ExitCode.USER_ERROR`; everything else is a bug (`ExitCode.CRASH`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    USER_ERROR = 1
    USAGE = 2
    CRASH = 3
    REGRESSED = 4  # `advisor check`: a met criterion regressed, or a configured threshold is crossed
    INTERRUPTED = 130


class AdvisorError(Exception):
    """Bad input or an unusable repository: the message is shown as-is."""


class NotARepository(AdvisorError):
    pass


class EmptyRepository(AdvisorError):
    pass


class UnbornHead(AdvisorError):
    pass


class ShallowClone(AdvisorError):
    pass


class TrunkNotFound(AdvisorError):
    pass


class CorruptObject(AdvisorError):
    pass


class UnreadablePath(AdvisorError):
    pass


class GitFailed(AdvisorError):
    pass


class BadOption(AdvisorError):
    pass


class CannotWrite(AdvisorError, OSError):
    """A file advisor writes could not be written (full disk, read-only folder, a folder in the way).

    Also an `OSError`, so code that shrugs off a failed write (a cache) still does.
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno

    def __str__(self) -> str:
        return self.message
