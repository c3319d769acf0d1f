"""The `advisor` command: Ctrl-C handled before anything heavy is imported (see `interrupts`)."""

from __future__ import annotations

import atexit
import os
import sys
import threading

from advisor import interrupts


def main() -> None:
    interrupts.interrupts_exit()
    if sys.argv[1:] == ["--version"]:  # answered before the commands are imported (a tenth of a second)
        from advisor import __version__

        print(f"advisor {__version__}")
        return
    from advisor import cli  # the heavy imports, after the handler

    try:
        cli.main()
    except SystemExit as done:
        _end_at_once(done.code)
        raise


def _end_at_once(code: object) -> None:
    """End the process with `code` once what it printed is out, without tearing down its heap.

    Every file advisor writes is complete and closed before a command returns; what the interpreter
    would still do is free, one by one, the records a scan kept (a history of 200k commits: a
    quarter of a second). What is registered to run at exit still runs. With a thread still
    running, an exit code that is not a number, or output that cannot be flushed (a closed pipe),
    the interpreter ends the usual way."""
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if (code is not None and type(code) is not int) or threading.active_count() != 1 or run_exit_functions is None:
        return
    try:
        run_exit_functions()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None: the process was started with that descriptor closed
                stream.flush()
    except (OSError, ValueError, AttributeError):
        return
    os._exit(code or 0)
