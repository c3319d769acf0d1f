"""What Ctrl-C does: one line, exit 130, from the process's first moment to its last.

While the command line is imported (pygit2, typer, jinja2 and the pipeline take a
noticeable moment) a Ctrl-C would print Python's traceback, so `launch` first
installs `interrupts_exit`: the same line the command prints later, and exit 130
at once (nothing has been written yet). When a command starts, `cli.boundary`
calls `interrupts_raise`, which hands Ctrl-C back to Python: it unwinds through
the code that removes temporary files, to the boundary, which prints the line.

It imports only the standard library and `errors`, so importing it costs nothing.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

from advisor.errors import ExitCode

INTERRUPTED = "interrupted."


def _exit_at_once(signum: int, frame: FrameType | None) -> None:
    os.write(2, f"advisor: {INTERRUPTED}\n".encode())
    os._exit(ExitCode.INTERRUPTED)


def interrupts_exit() -> None:
    """Ctrl-C ends the process at once with the one line (while nothing is being written)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _exit_at_once)


def interrupts_raise() -> None:
    """Ctrl-C raises KeyboardInterrupt again (the command's boundary turns it into the one line)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is _exit_at_once:
        signal.signal(signal.SIGINT, signal.default_int_handler)
