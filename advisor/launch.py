"""The `advisor` command: Ctrl-C handled before anything heavy is imported (see `interrupts`)."""

from __future__ import annotations

import sys

from advisor import interrupts


def main() -> None:
    interrupts.interrupts_exit()
    if sys.argv[1:] == ["--version"]:  # answered before the commands are imported (a tenth of a second)
        from advisor import __version__

        print(f"advisor {__version__}")
        return
    from advisor import cli  # the heavy imports, after the handler

    cli.main()
