"""The command line: options in, calls out, one error boundary, exit codes.

`AdvisorError` -> its one sentence on stderr, exit 1; usage errors -> 2
(click); anything unexpected -> one sentence and a crash log, exit 3;
Ctrl-C -> 130.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from advisor import __version__, gitread, pipeline, render, store
from advisor.errors import AdvisorError, BadOption, ExitCode
from advisor.history import DEFAULT_BOT_PATTERNS, HistoryOptions

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="See how a team really branches, from git history alone, and what to change first.",
)

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def boundary(command: F) -> F:
    """Turn every failure into one sentence and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AdvisorError as error:
            typer.echo(f"advisor: {error}", err=True)
            raise typer.Exit(ExitCode.USER_ERROR) from None
        except KeyboardInterrupt:
            typer.echo("advisor: interrupted.", err=True)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - the boundary for bugs
            where = _crash_log()
            typer.echo(f"advisor: internal error ({type(error).__name__}: {error}); details in {where}", err=True)
            raise typer.Exit(ExitCode.CRASH) from None

    return wrapper  # type: ignore[return-value]


def _crash_log() -> str:
    try:
        return str(store.write_crash_log(store.default_cache_dir(os.environ), traceback.format_exc()))
    except Exception:  # noqa: BLE001 - a crash while reporting a crash
        return "(no crash log could be written)"


def parse_date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadOption(f"{option} {value!r} is not a date; use YYYY-MM-DD or an ISO 8601 time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class _Status:
    """A one-line progress display on stderr, only when a person is watching."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def __call__(self, message: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[K{render.term(message)}…")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


@app.command("scan")
@boundary
def scan_command(
    path: Annotated[str, typer.Argument(help="A clone, bare repository or mirror (default: here).")] = ".",
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = OutputFormat.text,
    trunk: Annotated[str | None, typer.Option(help="The trunk branch, when the default guess is wrong.")] = None,
    since: Annotated[str | None, typer.Option(help="Report from this date (default: a year before --until).")] = None,
    until: Annotated[str | None, typer.Option(help="Report up to this date (default: now).")] = None,
    allow_shallow: Annotated[bool, typer.Option(help="Scan a shallow clone anyway (older history is missing).")] = False,
    bot: Annotated[list[str] | None, typer.Option(help="Regex of bot author names or emails (repeatable; "
                                                        "replaces the defaults).")] = None,
    cache_dir: Annotated[str | None, typer.Option(help="Cache folder (default: ~/.cache/advisor).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")] = False,
    merge_check_seconds: Annotated[float, typer.Option(help="Time budget for trial merges of live branches "
                                                            "(0 turns them off).")] = 10.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Reconstruct the repository's branching history and summarise it."""
    request = scan_request(path, trunk=trunk, since=since, until=until, allow_shallow=allow_shallow, bot=bot,
                           cache_dir=cache_dir, no_cache=no_cache, merge_check_seconds=merge_check_seconds)
    status = _Status(enabled=not quiet and sys.stderr.isatty())
    try:
        result = pipeline.run_scan(request, status)
    finally:
        status.clear()
    text = render.scan_json(result) if output is OutputFormat.json else render.scan_text(result)
    typer.echo(text, nl=False)


@app.command("plan")
@boundary
def plan_command(
    path: Annotated[str, typer.Argument(help="A clone, bare repository or mirror (default: here).")] = ".",
    out: Annotated[str | None, typer.Option("--out", "-o", help="Folder for the plan (default: "
                                                                "~/.local/share/advisor/plans/<repository>-<id>).")] = None,
    trunk: Annotated[str | None, typer.Option(help="The trunk branch, when the default guess is wrong.")] = None,
    since: Annotated[str | None, typer.Option(help="Measure from this date (default: a year before --until).")] = None,
    until: Annotated[str | None, typer.Option(help="Measure up to this date (default: now).")] = None,
    allow_shallow: Annotated[bool, typer.Option(help="Plan from a shallow clone anyway (older history is missing).")] = False,
    bot: Annotated[list[str] | None, typer.Option(help="Regex of bot author names or emails (repeatable; "
                                                        "replaces the defaults).")] = None,
    cache_dir: Annotated[str | None, typer.Option(help="Cache folder (default: ~/.cache/advisor).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")] = False,
    merge_check_seconds: Annotated[float, typer.Option(help="Time budget for trial merges of live branches "
                                                            "(0 turns them off).")] = 10.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Write the staged migration plan: Markdown checklists and branch-protection settings per stage."""
    request = scan_request(path, trunk=trunk, since=since, until=until, allow_shallow=allow_shallow, bot=bot,
                           cache_dir=cache_dir, no_cache=no_cache, merge_check_seconds=merge_check_seconds)
    folder = Path(out) if out else store.default_plan_dir(os.environ, gitread.locate(request.path).git_dir)
    status = _Status(enabled=not quiet and sys.stderr.isatty())
    try:
        run = pipeline.run_plan(request, folder, status)
    finally:
        status.clear()
    typer.echo(render.plan_text(run.plan, str(folder), len(run.written), run.notes, run.ci), nl=False)


def scan_request(path: str, *, trunk: str | None, since: str | None, until: str | None, allow_shallow: bool,
                 bot: list[str] | None, cache_dir: str | None, no_cache: bool,
                 merge_check_seconds: float) -> pipeline.ScanRequest:
    """The options every command that scans shares, checked and turned into a request."""
    request = pipeline.ScanRequest(
        path=Path(path),
        now=datetime.now(timezone.utc),
        options=HistoryOptions(trunk=trunk, bot_patterns=tuple(bot) if bot else DEFAULT_BOT_PATTERNS),
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
        allow_shallow=allow_shallow,
        cache_dir=None if no_cache else (Path(cache_dir) if cache_dir else store.default_cache_dir(os.environ)),
        merge_check_seconds=merge_check_seconds,
    )
    _check_bot_patterns(request.options.bot_patterns)
    return request


def _check_bot_patterns(patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise BadOption(f"--bot {pattern!r} is not a valid regular expression ({error}).") from None


def main() -> None:
    app()
