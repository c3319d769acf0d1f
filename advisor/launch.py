"""The `advisor` command: Ctrl-C handled before anything heavy is imported (see `interrupts`)."""

from __future__ import annotations

from advisor import interrupts


def main() -> None:
    interrupts.interrupts_exit()
    from advisor import cli  # the heavy imports, after the handler

    cli.main()
