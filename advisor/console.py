"""What a person watching a command sees on stderr while it works: a status line or a progress bar.

Both show only when enabled (stderr is a terminal and --quiet was not given), and
escape what they show: a message names branches and paths.
"""

from __future__ import annotations

import sys

from advisor import escape


class Status:
    """A one-line progress display on stderr, only when a person is watching."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def __call__(self, message: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[K{escape.terminal(message)}…")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


class Bar:
    """A progress bar on stderr with a time estimate, only when a person is watching; gone when done.

    Also a status callback: a message replaces the bar's description until the next step."""

    def __init__(self, enabled: bool, total: int, label: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.enabled, self.label = enabled, label
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("eta"), TimeRemainingColumn(), transient=True,
                                 console=Console(stderr=True), disable=not enabled)
        self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, message: str) -> None:
        from advisor.report import terminal

        self.progress.update(self.task, description=f"{self.label}: {terminal.term(message)}"[:60])

    def advance(self, message: str = "") -> None:
        from advisor.report import terminal

        self.progress.update(self.task, advance=1, description=f"{self.label}{': ' if message else ''}"
                                                               f"{terminal.term(message)}"[:60])
