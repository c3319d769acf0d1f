"""The command line: options in, calls out, one error boundary, exit codes.

`AdvisorError` -> its one sentence on stderr, exit 1; usage errors -> 2
(click); anything unexpected -> one sentence and a crash log, exit 3;
`advisor check` finding a regression -> 4; Ctrl-C -> 130.
"""

from __future__ import annotations

import functools
import glob
import math
import os
import re
import shutil
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from advisor import __version__, dates, escape, gitread, interrupts, pipeline, scan, store
from advisor.console import Bar, Status
from advisor.report import jsonout
from advisor.errors import AdvisorError, BadOption, CannotWrite, ExitCode, UnreadablePath
from advisor.report import layout
from advisor.report.layout import Style, paint
from advisor.history import DEFAULT_BOT_PATTERNS, HistoryOptions
from advisor.model import counted

# The other commands' modules (plan, report, fleet, progress: templates, YAML, tables) are imported
# where they are used, so `advisor scan --format json` and `--version` do not load them.
if TYPE_CHECKING:
    from advisor import snapshot

EXIT_CODES = ("Exit codes: 0 done; 1 bad input or an unusable repository (one sentence on stderr); 2 a usage "
              "error; 3 an internal error (a crash log is written); 4 advisor check found a regression or a "
              "crossed threshold; 130 interrupted.")

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, wrapped to the terminal (readable at 80 columns)
    help="See how a team really branches, from git history alone, and what to change first.\n\n"
         "\b\nExamples:\n  advisor scan ~/src/project\n  advisor plan ~/src/project\n"
         "  advisor progress ~/src/project\n\nDates (--since, --until, --as-of) take " + dates.FORMS + ".",
    epilog=EXIT_CODES,
)

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    html = "html"


class Table(str, Enum):
    episodes = "episodes"
    live = "live"
    releases = "releases"


def boundary(command: F) -> F:
    """Turn every failure into one sentence and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        interrupts.interrupts_raise()  # from here a Ctrl-C unwinds (temporary files are removed) to the line below
        try:
            return command(*args, **kwargs)
        except AdvisorError as error:
            _error(str(error))
            raise typer.Exit(ExitCode.USER_ERROR) from None
        except KeyboardInterrupt:
            _error(interrupts.INTERRUPTED)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - the boundary for bugs
            where = _crash_log()
            _error(f"internal error ({type(error).__name__}: {error}); details in {where}")
            raise typer.Exit(ExitCode.CRASH) from None

    return wrapper  # type: ignore[return-value]


def _error(sentence: str) -> None:
    """One line on stderr: untrusted text in it (names, paths) escaped, line breaks included."""
    typer.echo(f"advisor: {escape.terminal(sentence)}", err=True)


def _say(text: str, *, err: bool = False, nl: bool = True, style: Style | None = None) -> None:
    """Everything advisor prints goes through here: values were escaped by the renderers; this
    escapes again whatever one of them missed (line breaks kept). With a colour style, the
    colour codes `layout.paint` writes are kept, and nothing else."""
    if style is not None and style.color:
        typer.echo(layout.keep_colour(text, escape.terminal_lines), err=err, nl=nl)
    else:
        typer.echo(escape.terminal_lines(text), err=err, nl=nl)


def _crash_log() -> str:
    try:
        return str(store.write_crash_log(store.default_cache_dir(os.environ), traceback.format_exc()))
    except Exception:  # noqa: BLE001 - a crash while reporting a crash
        return "(no crash log could be written)"


def parse_date(value: str | None, option: str, now: datetime | None = None, *, end: bool = False) -> datetime | None:
    """An option's date in any form `dates` accepts; `end` for options that end a span (--until, --as-of)."""
    return None if value is None else when(value, option, now or datetime.now(timezone.utc), end=end)


def when(value: str, option: str, now: datetime, *, end: bool = False) -> datetime:
    try:
        moment = dates.parse(value, option, now, end=end)
    except dates.NotADate as error:
        raise BadOption(str(error)) from None
    if not EARLIEST_DATE <= moment <= LATEST_DATE:
        raise BadOption(f"{option} {value} is out of range; use a date from {EARLIEST_DATE:%Y-%m-%d} "
                        f"to {LATEST_DATE:%Y-%m-%d}.")
    return moment


# git cannot date a commit before 1970, and a window of a year must fit before datetime's end (year 9999).
EARLIEST_DATE = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST_DATE = datetime(9998, 12, 31, tzinfo=timezone.utc)


def _quiet_notice(_: str) -> None:
    pass


def _notice(status: Status) -> Callable[[str], None]:
    """A line on stderr that stays (the progress line, if shown, is cleared first)."""
    def say(sentence: str) -> None:
        status.clear()
        _error(sentence)
    return say


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"advisor {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """See how a team really branches, from git history alone, and what to change first."""


AS_OF_HELP = ("Scan the repository as it was on this date, from its history alone (later commits, branches and "
              "tags left out; no trial merges). --until defaults to it and may not pass it.")


# Options several commands share, declared once.
PathArgument = Annotated[str, typer.Argument(metavar="PATH", help="A clone, bare repository or mirror (default: here).",
                                             show_default=False)]
TrunkOption = Annotated[str | None, typer.Option(metavar="BRANCH", help="The trunk branch, when the default guess is wrong.")]
ShallowOption = Annotated[bool, typer.Option("--allow-shallow", help="Read a shallow clone anyway (older history is missing).")]
BotOption = Annotated[list[str] | None, typer.Option(metavar="REGEX", help="Regex of bot author names or emails (repeatable; "
                                                          "replaces the defaults).")]
CacheDirOption = Annotated[str | None, typer.Option(metavar="DIR", help="Cache folder (default: ~/.cache/advisor).")]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")]
MergeCheckOption = Annotated[float, typer.Option(metavar="SECONDS", help="Time budget for trial merges of live branches "
                                                      "(0 turns them off).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]
PLAN_DIR_HELP = ("The plan folder whose targets the snapshot's stage and criteria status is measured against "
                 "(default: advisor plan's default folder, when it exists).")
HISTORY_DIR_HELP = ("Folder of this repository's snapshots (default: $XDG_DATA_HOME/advisor/history/<repo-key>, "
                    "else ~/.local/share/advisor/history/<repo-key>).")
SinceOption = Annotated[str | None, typer.Option(metavar="DATE", help="Measure from this date (default: a year "
                                                                   "before --until).")]
UntilOption = Annotated[str | None, typer.Option(metavar="DATE", help="Measure up to this date (default: now).")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", metavar="DATE", help=AS_OF_HELP)]
HistoryDirOption = Annotated[str | None, typer.Option(metavar="DIR", help=HISTORY_DIR_HELP)]
PlanDirOption = Annotated[str | None, typer.Option(metavar="DIR", help=PLAN_DIR_HELP)]
NoColorOption = Annotated[bool, typer.Option("--no-color", help="No colour even on a terminal (NO_COLOR=1 does "
                                                                "the same).")]


def terminal_style(no_color: bool = False) -> Style:
    """The width and colour of what goes to stdout: COLUMNS, else the terminal's width (none for a
    file or a pipe); colour only on a terminal, unless NO_COLOR is set or --no-color given."""
    tty = sys.stdout.isatty()
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= 20:
        width: int | None = int(columns)
    else:
        width = shutil.get_terminal_size().columns if tty else None
    return Style(width=width, color=tty and not no_color and not os.environ.get("NO_COLOR"))


@app.command("scan")
@boundary
def scan_command(
    paths: Annotated[list[str] | None, typer.Argument(metavar="PATH...", show_default=False,
                                                      help="A clone, bare repository or mirror (default: here); "
                                                           "several make a fleet scan (see advisor fleet).")] = None,
    repos: Annotated[str | None, typer.Option(metavar="FILE", help="Scan the repositories this file lists, one a "
                                                                   "line (a fleet scan).")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text, json, or csv (one table: "
                                                                        "--table); a fleet scan also html.")] = (
        OutputFormat.text),
    table: Annotated[Table, typer.Option(help="With --format csv: the episodes merged in the window, the live "
                                              "branches, or the releases.")] = Table.episodes,
    trunk: TrunkOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    allow_shallow: ShallowOption = False,
    bot: BotOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    merge_check_seconds: MergeCheckOption = 10.0,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
    history_dir: HistoryDirOption = None,
    plan_dir: PlanDirOption = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Do not store a snapshot of this scan.")] = False,
    as_of: AsOfOption = None,
    explain: Annotated[bool, typer.Option("--explain", help="Under each evidence line and headline metric, the git "
                                          "commands that give the same number.")] = False,
) -> None:
    """Reconstruct the repository's branching history and summarise it.

    \b
    Examples:
      advisor scan ~/src/project
      advisor scan . --since "90 days ago" --format json > scan.json
      advisor scan /srv/mirrors/project.git --as-of 2025-Q4
      advisor scan . --format csv --table live > live-branches.csv
      advisor scan . --explain
      advisor scan ~/src/a ~/src/b ~/src/c          # a fleet: the portfolio
      advisor scan --repos repositories.txt --format html > fleet.html
    """
    if repos is not None or len(paths or []) > 1:
        from advisor import fleet

        listed = [Path(p) for p in paths or []] + (fleet.read_list(Path(repos)) if repos else [])
        _fleet(listed, output.value, None, cache_dir=cache_dir, no_cache=no_cache, allow_shallow=allow_shallow,
               merge_check_seconds=0.0, jobs=0, quiet=quiet, no_color=no_color)
        return
    if output is OutputFormat.html:
        raise BadOption("--format html is for a fleet scan (several paths or --repos); advisor report writes the "
                        "HTML report of one repository.")
    path = (paths or ["."])[0]
    request = scan_request(path, trunk=trunk, since=since, until=until, allow_shallow=allow_shallow, bot=bot,
                           cache_dir=cache_dir, no_cache=no_cache, merge_check_seconds=merge_check_seconds,
                           as_of=as_of)
    status = Status(enabled=not quiet and sys.stderr.isatty())
    try:
        result = pipeline.run_scan(request, status, notice=_quiet_notice if quiet else _notice(status))
    finally:
        status.clear()
    style = terminal_style(no_color)
    if output is OutputFormat.json:
        for chunk in jsonout.scan_json_chunks(result):  # written as it is made: never held whole
            _say(chunk, nl=False, style=style)
    elif output is OutputFormat.csv:
        from advisor.report import csvout

        _say(csvout.scan_csv(result, table.value), nl=False, style=style)
    else:
        from advisor.report import terminal

        _say(terminal.scan_text(result, style, explain), nl=False, style=style)
    if not no_history:
        _store_snapshot(request, result, path, history_dir, plan_dir, announce=status.enabled)


@app.command("report")
@boundary
def report_command(
    path: PathArgument = ".",
    out: Annotated[str, typer.Option("--out", "-o", metavar="FILE", help="The HTML file to write.")] = "advisor-report.html",
    trunk: TrunkOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    allow_shallow: ShallowOption = False,
    bot: BotOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    merge_check_seconds: MergeCheckOption = 10.0,
    quiet: QuietOption = False,
    history_dir: HistoryDirOption = None,
    plan_dir: PlanDirOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Write the HTML report: verdict, flow and tiers, charts, branches, trend and plan, in one file.

    The file is self-contained (no script, nothing fetched when it is opened), reads
    on a phone and prints. It stores no snapshot; the trend comes from the history.

    \b
    Examples:
      advisor report ~/src/project --out report.html
      advisor report . --since 2025-Q1 -o q1.html
    """
    from advisor import fleet, progress
    from advisor.report import html, terminal

    request = scan_request(path, trunk=trunk, since=since, until=until, allow_shallow=allow_shallow, bot=bot,
                           cache_dir=cache_dir, no_cache=no_cache, merge_check_seconds=merge_check_seconds,
                           as_of=as_of)
    status = Status(enabled=not quiet and sys.stderr.isatty())
    try:
        result = pipeline.run_scan(request, status)
        status("reading the plan and the history")
        plan = pipeline.plan_status(request, result, pipeline.plan_targets(_plan_folder(path, plan_dir))).plan
        folder = _history_folder(path, history_dir)
        report = progress.report(_read_history(folder)) if folder.is_dir() else None
    finally:
        status.clear()
    _write_document(out, html.report_html(result, plan, report, name=fleet.display_name(Path(path))))
    _say(f"advisor report: wrote {terminal.term(out)}")


def _merged_files(given: list[str]) -> list[Path]:
    """The files --merge names: each as given, or the files a glob in it matches when no file has that
    name (a quoted glob, or a shell that did not expand it), in order; a glob that matches none is an error."""
    files: list[Path] = []
    for name in given:
        if not Path(name).exists() and any(mark in name for mark in "*?["):
            matches = sorted(glob.glob(name))
            if not matches:
                raise BadOption(f"--merge {name!r} matches no file.")
            files.extend(Path(match) for match in matches)
        else:
            files.append(Path(name))
    return files


@app.command("fleet")
@boundary
def fleet_command(
    folder: Annotated[list[str] | None, typer.Argument(metavar="DIR", show_default=False,
                                                       help="Scan every repository under this folder (with "
                                                            "--merge: more JSON files).")] = None,
    merge: Annotated[list[str] | None, typer.Option(metavar="FILE", help="Build the portfolio from these "
                                                    "JSON files (advisor scan --format json, or portfolios of "
                                                    "advisor fleet --format json), scanning nothing: --merge "
                                                    "scans/*.json, or a quoted glob advisor expands itself "
                                                    "(--merge 'scans/*.json'); repeatable.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text, json, csv or html.")] = (
        OutputFormat.text),
    out: Annotated[str | None, typer.Option("--out", "-o", metavar="FILE", help="Write the portfolio to this file "
                                                                                "instead of printing it.")] = None,
    jobs: Annotated[int, typer.Option(min=0, help="Repositories scanned at once (0: one per core).")] = 0,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    allow_shallow: ShallowOption = False,
    merge_check_seconds: Annotated[float, typer.Option(metavar="SECONDS", help="Trial merges per repository "
                                                       "(the portfolio does not show them; default off).")] = 0.0,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
) -> None:
    """A portfolio of many repositories, sorted by what needs attention first.

    Each repository is scanned in its own process (one per core); one line per
    repository reports its progress on stderr. A repository that fails to scan
    gets its error in its row and does not stop the others; the exit code is 1
    when any failed. For thousands of repositories, run one `advisor scan REPO
    --format json > REPO.json` per CI job and merge the files (docs/fleet.md).

    \b
    Examples:
      advisor fleet ~/src
      advisor fleet /srv/mirrors --format html --out fleet.html
      advisor fleet --merge scans/*.json --format csv > fleet.csv
    """
    from advisor import fleet

    paths = folder or []
    if merge:
        # `--merge scans/*.json`: the shell hands the first file to --merge and the others on as arguments.
        if any(Path(p).is_dir() for p in paths):
            raise BadOption("advisor fleet takes a folder to scan, or --merge with JSON files, and not both.")
        rows = list(fleet.merge(_merged_files([*merge, *paths])))
        _show_portfolio(rows, output.value, out, no_color)
        return
    if len(paths) != 1:
        raise BadOption("advisor fleet takes a folder to scan, or --merge with JSON files, and not both."
                        if not paths else "advisor fleet scans one folder; to scan several repositories, give "
                        "their paths to advisor scan (advisor scan A B C) or list them with --repos.")
    found = fleet.find(Path(paths[0]))
    if not found:
        raise BadOption(f"{paths[0]} holds no git repository.")
    _fleet(found, output.value, out, cache_dir=cache_dir, no_cache=no_cache, allow_shallow=allow_shallow,
           merge_check_seconds=merge_check_seconds, jobs=jobs, quiet=quiet, no_color=no_color)


def _fleet(paths: list[Path], output: str, out: str | None, *, cache_dir: str | None, no_cache: bool,
           allow_shallow: bool, merge_check_seconds: float, jobs: int, quiet: bool, no_color: bool) -> None:
    from advisor import fleet
    from advisor.report import terminal

    options = fleet.Options(cache_dir=None if no_cache else (Path(cache_dir) if cache_dir
                                                             else store.default_cache_dir(os.environ)),
                            merge_check_seconds=merge_check_seconds, allow_shallow=allow_shallow)
    workers = jobs or os.cpu_count() or 1
    started = datetime.now(timezone.utc)
    with Bar(not quiet and sys.stderr.isatty(), len(paths), "fleet") as bar:
        def done(row: Any, number: int, total: int) -> None:
            outcome = (f"failed: {row.error}" if row.error else f"{row.model} ({row.confidence})")
            line = f"[{number}/{total}] {row.name}: {outcome}, {row.seconds or 0:.1f} s"
            if not quiet:
                if bar.enabled:
                    bar.progress.console.print(terminal.term(line), markup=False, highlight=False)
                else:
                    _say(line, err=True)
            bar.advance(row.name)

        rows = fleet.scan_all(paths, options, workers, done)
    if not quiet:
        seconds = (datetime.now(timezone.utc) - started).total_seconds()
        _say(f"advisor fleet: {counted(len(rows), 'repository', 'repositories')} in {seconds:.1f} s with "
             f"{counted(min(workers, len(paths)), 'worker')}", err=True)
    _show_portfolio(rows, output, out, no_color)


def _show_portfolio(rows: list[Any], output: str, out: str | None, no_color: bool) -> None:
    from advisor.report import html, portfolio

    style = Style() if out else terminal_style(no_color)
    if output == "json":
        text = jsonout.encode(portfolio.document(rows), 0) + "\n"
    elif output == "csv":
        text = portfolio.to_csv(rows)
    elif output == "html":
        text = html.fleet_html(rows)
    else:
        text = portfolio.text(rows, style)
    if out:
        _write_document(out, text)
    else:
        _say(text, nl=False, style=style if output == "text" else None)
    failures = sum(1 for row in rows if row.error)
    if failures:
        _say(f"advisor fleet: {failures} of {counted(len(rows), 'repository', 'repositories')} could not be "
             "scanned.", err=True)
        raise typer.Exit(ExitCode.USER_ERROR)


@app.command("plan")
@boundary
def plan_command(
    path: PathArgument = ".",
    out: Annotated[str | None, typer.Option("--out", "-o", help="Folder for the plan (default: "
                                                                "~/.local/share/advisor/plans/<repository>-<id>).")] = None,
    trunk: TrunkOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    allow_shallow: ShallowOption = False,
    bot: BotOption = None,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    merge_check_seconds: MergeCheckOption = 10.0,
    quiet: QuietOption = False,
    no_color: NoColorOption = False,
    as_of: AsOfOption = None,
) -> None:
    """Write the staged migration plan: Markdown checklists and branch-protection settings per stage.

    \b
    Examples:
      advisor plan ~/src/project
      advisor plan . --out docs/trunk-plan
    """
    from advisor.report import terminal

    request = scan_request(path, trunk=trunk, since=since, until=until, allow_shallow=allow_shallow, bot=bot,
                           cache_dir=cache_dir, no_cache=no_cache, merge_check_seconds=merge_check_seconds,
                           as_of=as_of)
    folder = Path(out) if out else store.default_plan_dir(os.environ, gitread.locate(request.path).git_dir)
    status = Status(enabled=not quiet and sys.stderr.isatty())
    try:
        run = pipeline.run_plan(request, folder, status)
    finally:
        status.clear()
    style = terminal_style(no_color)
    _say(terminal.plan_text(run.plan, str(folder), len(run.written), run.notes, run.ci, style), nl=False,
         style=style)


def scan_request(path: str, *, trunk: str | None, since: str | None, until: str | None, allow_shallow: bool,
                 bot: list[str] | None, cache_dir: str | None, no_cache: bool,
                 merge_check_seconds: float, as_of: str | None = None) -> pipeline.ScanRequest:
    """The options every command that scans shares, checked and turned into a request."""
    now = datetime.now(timezone.utc)
    _check_window(parse_date(since, "--since"), parse_date(until, "--until"))
    _check_budget(merge_check_seconds)
    request = pipeline.ScanRequest(
        path=Path(path),
        now=now,
        as_of=_check_as_of(parse_date(as_of, "--as-of", now, end=True), parse_date(until, "--until", now, end=True),
                           now),
        options=_history_options(path, trunk, bot),
        since=parse_date(since, "--since", now),
        until=parse_date(until, "--until", now, end=True),
        allow_shallow=allow_shallow,
        cache_dir=None if no_cache else (Path(cache_dir) if cache_dir else store.default_cache_dir(os.environ)),
        merge_check_seconds=merge_check_seconds,
    )
    _check_bot_patterns(request.options.bot_patterns)
    return request


def _check_window(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise BadOption(f"--since {since:%Y-%m-%d %H:%M} is not before --until {until:%Y-%m-%d %H:%M}; "
                        "the window would be empty. Swap them, or leave one out.")


def _check_budget(seconds: float) -> None:
    if not math.isfinite(seconds) or seconds < 0:
        raise BadOption(f"--merge-check-seconds {seconds} is not a time budget; give a number of seconds, "
                        "0 or more (0 turns trial merges off).")


def _check_as_of(as_of: datetime | None, until: datetime | None, now: datetime) -> datetime | None:
    """--as-of is in the past, and --until (which defaults to it) does not pass it."""
    if as_of is None:
        return None
    if as_of > now:
        raise BadOption(f"--as-of {as_of.isoformat()} is in the future; the history does not reach it yet.")
    if until is not None and until > as_of:
        raise BadOption(f"--until {until.isoformat()} is after --as-of {as_of.isoformat()}; "
                        "a scan of the past cannot look further than its date.")
    return as_of


def _check_bot_patterns(patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise BadOption(f"--bot {pattern!r} is not a valid regular expression ({error}).") from None


# ---------------------------------------------------------------------------
# History of scans: snapshots, progress, check, backfill (docs/progress.md)



class ProgressFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    csv = "csv"
    html = "html"


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


class Every(str, Enum):
    week = "week"
    month = "month"


def _history_options(path: str, trunk: str | None, bot: list[str] | None) -> HistoryOptions:
    """Options and flags win over the repository's settings, which win over the defaults."""
    settings = pipeline.repository_settings(Path(path), trunk)
    patterns = tuple(bot) if bot else (settings.bot_patterns or DEFAULT_BOT_PATTERNS)
    return HistoryOptions(trunk=trunk or settings.trunk, bot_patterns=patterns)


def _history_folder(path: str, history_dir: str | None) -> Path:
    if history_dir:
        return Path(history_dir)
    return store.history_folder(store.default_history_dir(os.environ), gitread.locate(Path(path)).git_dir)


def _plan_folder(path: str, plan_dir: str | None) -> Path | None:
    """The plan whose targets a snapshot's plan status is measured against: --plan-dir, else the default folder."""
    if plan_dir:
        return Path(plan_dir)
    folder = store.default_plan_dir(os.environ, gitread.locate(Path(path)).git_dir)
    return folder if folder.is_dir() else None


def _store_snapshot(request: pipeline.ScanRequest, result: scan.Scan, path: str, history_dir: str | None,
                    plan_dir: str | None, *, announce: bool) -> Path | None:
    """Store the scan's snapshot. A default folder that cannot be written costs a warning; a named one, an error."""
    from advisor import snapshot
    from advisor.report import terminal

    folder = _history_folder(path, history_dir)
    status = pipeline.plan_status(request, result, pipeline.plan_targets(_plan_folder(path, plan_dir)))
    try:
        stored = store.save_snapshot(folder, snapshot.from_scan(result, status.plan, status.checklists))
    except OSError as error:
        message = f"the snapshot could not be stored in {folder} ({store.reason(error)})"
        if history_dir:
            raise CannotWrite(f"The{message[3:]}; choose another --history-dir.") from None
        _error(f"warning: {message}; pass --history-dir to store it elsewhere, or --no-history.")
        return None
    if announce:
        _say(f"advisor: snapshot stored in {terminal.term(stored)}", err=True)
    return stored


def _read_history(folder: Path) -> list[snapshot.Snapshot]:
    found, warnings = store.read_snapshots(folder)
    for warning in warnings:
        _error(f"warning: {warning}")
    return found


@app.command("progress")
@boundary
def progress_command(
    path: Annotated[str, typer.Argument(help="The repository whose snapshots to compare (default: here).")] = ".",
    output: Annotated[ProgressFormat, typer.Option("--format", "-f", help="text, json, markdown, csv (the trend) or html "
                                                                   "(one self-contained page).")] = (
        ProgressFormat.text),
    history_dir: HistoryDirOption = None,
    out: Annotated[str | None, typer.Option(help="Write the report to this file (atomically) instead of "
                                                 "printing it.")] = None,
    no_color: NoColorOption = False,
) -> None:
    """Progress since the previous scan and since the first: every measure, criteria, the stage, trends.

    \b
    Examples:
      advisor progress ~/src/project
      advisor progress . --format markdown --out progress.md
      advisor progress . --format html --out progress.html
    """
    from advisor import fleet, progress
    from advisor.report import csvout, html, markdown, terminal

    folder = _history_folder(path, history_dir)
    report = progress.report(_read_history(folder))
    style = Style() if out else terminal_style(no_color)
    where = str(folder)
    if output is ProgressFormat.json:
        text = jsonout.progress_json(report)
    elif output is ProgressFormat.markdown:
        text = markdown.progress_markdown(report, where)
    elif output is ProgressFormat.csv:
        text = csvout.trend_csv(report)
    elif output is ProgressFormat.html:
        text = html.progress_html(report, where, fleet.display_name(Path(path)))
    else:
        text = terminal.progress_text(report, where, style)
    if out:
        target = Path(out)
        if target.is_dir():
            raise BadOption(f"--out {out} is a folder; name the file to write the report to.")
        store.write_atomic(target, (text if output in (ProgressFormat.json, ProgressFormat.csv, ProgressFormat.html)
                                    else escape.terminal_lines(text))
                           .encode("utf-8"))
    else:
        _say(text, nl=False, style=style)


@app.command("check")
@boundary
def check_command(
    path: Annotated[str, typer.Argument(help="The repository whose latest snapshot to check (default: here).")] = ".",
    history_dir: HistoryDirOption = None,
    first_run: Annotated[bool, typer.Option("--first-run", help="No snapshot yet is expected (the first run of a "
                                                                "new gate): pass instead of failing.")] = False,
    output: Annotated[CheckFormat, typer.Option("--format", "-f", help="text, json, or sarif (SARIF 2.1.0, for "
                                                                       "code scanning).")] = CheckFormat.text,
    out: Annotated[str | None, typer.Option(metavar="FILE", help="Write the json or sarif document to this file "
                                                                 "(atomically) and print the text.")] = None,
    no_color: NoColorOption = False,
) -> None:
    """For CI: exit 4 when a criterion that held has regressed or a configured threshold is crossed.

    A missing or empty history fails (exit 1), since a mistyped --history-dir would
    otherwise pass every build, unless --first-run says none is expected yet.

    \b
    Examples:
      advisor scan . --quiet > /dev/null && advisor check .
      advisor check . --format sarif --out advisor.sarif
    """
    from advisor import config, progress
    from advisor.report import sarif, terminal

    settings = pipeline.repository_settings(Path(path), None)
    folder = _history_folder(path, history_dir)
    found = _read_history(folder)
    if not found:
        what = "does not exist" if not folder.exists() else "holds no snapshot"
        if not first_run:
            raise UnreadablePath(f"{folder} {what}, so there is nothing to check; store a snapshot first "
                                 "(advisor scan), fix --history-dir, or pass --first-run if none is expected yet.")
        _say(f"advisor check: {terminal.term(folder)} {what} yet; nothing to check (--first-run).")
        return
    findings = progress.check(found, settings.thresholds, fail_on_regression=settings.fail_on_regression)
    failed = [f for f in findings if f.failed]
    latest = found[-1].until
    if output is not CheckFormat.text:
        anchor = settings.source or config.DEDICATED
        document = (jsonout.check_json(findings, snapshot=latest, snapshots=len(found))
                    if output is CheckFormat.json else sarif.check_sarif(
                        findings, tool_version=__version__, anchor=anchor,
                        lines={t.key: t.line for t in settings.thresholds if t.line is not None}))
        if out is None:
            _say(document, nl=False)
            if failed:
                raise typer.Exit(ExitCode.REGRESSED)
            return
        _write_document(out, document)
    style = terminal_style(no_color)
    for finding in findings:
        _say(paint(terminal.term(finding.text), "bad" if finding.failed else None, style), style=style)
    if failed:
        _say(f"advisor check: {len(failed)} problem{'s' if len(failed) != 1 else ''} in the snapshot of "
                   f"{latest:%Y-%m-%d} (exit {int(ExitCode.REGRESSED)}).")
        raise typer.Exit(ExitCode.REGRESSED)
    held = "no criterion regressed" if len(found) > 1 else "one snapshot, no criterion to compare"
    _say(f"advisor check: ok: {held}; {len(settings.thresholds)} threshold"
               f"{'s' if len(settings.thresholds) != 1 else ''} checked (snapshot of {latest:%Y-%m-%d}).")


def _write_document(out: str, document: str) -> None:
    target = Path(out)
    if target.is_dir():
        raise BadOption(f"--out {out} is a folder; name the file to write to.")
    try:
        store.write_atomic(target, document.encode("utf-8"))
    except OSError as error:
        raise UnreadablePath(f"{out} cannot be written ({error.strerror or error}).") from None


@app.command("backfill")
@boundary
def backfill_command(
    since: Annotated[str, typer.Option(metavar="DATE", help="The first date to scan as of (e.g. 2025-01-01, '1 year ago', "
                                            "2025-Q1).")],
    path: PathArgument = ".",
    until: Annotated[str | None, typer.Option(metavar="DATE", help="The last date (default: today).")] = None,
    every: Annotated[Every, typer.Option(help="One snapshot every week or every month.")] = Every.week,
    history_dir: HistoryDirOption = None,
    plan_dir: PlanDirOption = None,
    trunk: TrunkOption = None,
    bot: BotOption = None,
    allow_shallow: ShallowOption = False,
    cache_dir: CacheDirOption = None,
    no_cache: NoCacheOption = False,
    quiet: QuietOption = False,
    window_days: Annotated[int, typer.Option(min=7, help="Each snapshot measures the days before its date "
                                                         "(default 365, as advisor scan does).")] = 365,
) -> None:
    """Seed the history with one snapshot per week or month, as the repository was on each date.

    \b
    Examples:
      advisor backfill ~/src/project --since "1 year ago"
      advisor backfill . --since 2025-Q1 --until 2025-Q4 --every month
    """
    from advisor import asof, snapshot
    from advisor.report import terminal

    now = datetime.now(timezone.utc)
    start = when(since, "--since", now)
    end = parse_date(until, "--until", now, end=True) or now
    if start > end:
        raise BadOption(f"--since {since} is after --until; nothing to backfill.")
    request = pipeline.ScanRequest(
        path=Path(path), now=end, options=_history_options(path, trunk, bot), allow_shallow=allow_shallow,
        cache_dir=None if no_cache else (Path(cache_dir) if cache_dir else store.default_cache_dir(os.environ)),
        merge_check_seconds=0.0,  # trial merges of branches as they were in the past add nothing a snapshot keeps
        window_days=window_days,
    )
    _check_bot_patterns(request.options.bot_patterns)
    if until is None and (dormant := pipeline.dormancy(request)) is not None:
        # A dormant repository: dates after its newest commit would store empty windows.
        end = dormant[0]
        _say(f"note: {dormant[1].note}")
        if start > end:
            raise BadOption(f"--since {since} is after the newest commit ({dormant[1].newest:%Y-%m-%d}); "
                            "pass an earlier --since, or --until to backfill the quiet dates anyway.")
        request = replace(request, now=end)
    dates = asof.dates_between(start, end, every.value)
    folder = _history_folder(path, history_dir)
    stored = 0
    targets = pipeline.plan_targets(_plan_folder(path, plan_dir))  # read once, not per date
    with Bar(not quiet and sys.stderr.isatty(), len(dates), "backfill") as bar:
        for result in pipeline.backfill(request, dates, status=bar):
            # The ticks of a past date are not known: no checklist is recorded, and no stage is done. No
            # snapshot records the code owners a plan proposes: they are not looked up (a git log a date).
            status = pipeline.plan_status(request, result, targets, checklists=False, owners=False)
            store.save_snapshot(folder, snapshot.from_scan(result, status.plan, status.checklists))
            stored += 1
            bar.advance(f"{result.scanned_at:%Y-%m-%d} stored")
    _say(f"advisor backfill: stored {stored} snapshot{'s' if stored != 1 else ''} in {terminal.term(folder)}"
               + (f", {dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d} every {every.value}." if dates else "."))


def main() -> None:
    app()
