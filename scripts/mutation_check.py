"""Plant plausible slips, one at a time, and check that the test meant to catch each one fails.

A test that guards a promise (nothing written to the repository, untrusted text
escaped, a person's tick kept, ...) is only worth something if it fails when the
promise is broken. Each slip below is applied to a fresh copy of the project in a
temporary folder; the named test runs there (with that copy first on the import
path); the slip is *caught* when the test fails, *missed* when it passes, and
*stale* when its text is no longer in the file (the code moved: update the slip).

    python scripts/mutation_check.py            # every slip
    python scripts/mutation_check.py -k gerrit  # the slips whose name holds "gerrit"

Exit 0 when every slip is caught.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Slip:
    name: str
    file: str
    old: str
    new: str
    test: str  # a pytest node id (or file), run in the copy


SLIPS = [
    Slip("markdown lets bidi through", "advisor/markdown.py",
         "    return escape.one_line(text)",
         '    return re.sub("[\\x00-\\x1f\\x7f-\\x9f]", "\\ufffd", str(text).replace("\\n", " "))',
         "tests/test_markdown.py::test_bidi_and_control_characters_never_reach_a_document"),
    Slip("shared escaping forgets bidi isolates", "advisor/escape.py",
         "\\u202a-\\u202e\\u2066-\\u2069]", "\\u202a-\\u202e]",
         "tests/test_escape.py::test_the_list_is_the_issue_list"),
    Slip("markdown leaves | unescaped in a table cell", "advisor/markdown.py",
         '_INLINE = re.compile(r"([\\\\`*_\\[\\]|~$@])")', '_INLINE = re.compile(r"([\\\\`*_\\[\\]~$@])")',
         "tests/test_markdown.py::test_a_pipe_in_a_cell_stays_in_its_cell"),
    Slip("a capital [X] tick reads as unticked", "advisor/plandoc.py",
         "(?P<mark>[ xX])", "(?P<mark>[ x])",
         "tests/test_plandoc.py::test_person_ticks_and_notes_survive_regeneration"),
    Slip("gerrit changes recorded as squashes", "advisor/history/labelling.py",
         "method = MergeMethod.SQUASH if info.host is not merges.Host.GERRIT else MergeMethod.REBASE",
         "method = MergeMethod.SQUASH",
         "tests/test_history.py::test_gerrit_changes_land_as_rebases_not_squashes"),
    Slip("gitflow score drops its back-merge term", "advisor/classify.py",
         "gitflow = 0.5 + 0.25 * min(1.0, releases / 2) + 0.25 * min(1.0, obs.back_merges / 2)",
         "gitflow = 0.5 + 0.25 * min(1.0, releases / 2)",
         "tests/test_classify.py::test_the_gitflow_score_is_pinned_with_each_of_its_terms"),
    Slip("a golden test rewrites its expectation", "tests/test_progress.py",
         "    path = GOLDEN / name\n",
         "    path = GOLDEN / name\n    if __import__('os').environ.get('ADVISOR_UPDATE_GOLDEN'):\n"
         "        path.write_text(actual)\n",
         "tests/test_architecture.py::test_tests_use_only_the_repository_and_what_they_build"),
    Slip("trial merges run in the scanned repository", "advisor/trialmerge.py",
         "repo = _scratch_repository(open_repository(git_dir))", "repo = open_repository(git_dir)",
         "tests/test_read_only.py::test_trial_merges_write_no_object_and_touch_no_pack"),
    Slip("the terminal sees the 8-bit CSI", "advisor/escape.py",
         '"[\\x00-\\x1f\\x7f-\\x9f', '"[\\x00-\\x1f\\x7f',
         "tests/test_escape.py::test_scan_and_error_lines_show_no_raw_control"),
    Slip("JSON records keep raw bidi", "advisor/report/jsonout.py",
         '    if pieces:\n        yield escape.json_text("".join(pieces))',
         '    if pieces:\n        yield "".join(pieces)',
         "tests/test_escape.py::test_scan_and_error_lines_show_no_raw_control"),
    Slip("error lines are printed raw", "advisor/cli.py",
         'typer.echo(f"advisor: {escape.terminal(sentence)}", err=True)', 'typer.echo(f"advisor: {sentence}", err=True)',
         "tests/test_escape.py::test_scan_and_error_lines_show_no_raw_control"),
    Slip("check passes on a missing history", "advisor/cli.py",
         "        if not first_run:\n", "        if False:\n",
         "tests/test_bad_input_matrix.py::test_row[check-history-missing]"),
    Slip("--since after --until is accepted", "advisor/cli.py",
         '    _check_window(parse_date(since, "--since"), parse_date(until, "--until"))\n', "",
         "tests/test_bad_input_matrix.py::test_row[since-after-until]"),
    Slip("a NaN time budget is accepted", "advisor/cli.py",
         "if not math.isfinite(seconds) or seconds < 0:", "if seconds < 0:",
         "tests/test_bad_input_matrix.py::test_row[merge-check-nan]"),
    Slip("killed writers' temporary files stay", "advisor/store.py",
         "    sweep_temporaries(path.parent)\n", "",
         "tests/test_store.py::test_a_dead_writers_temporary_file_goes_on_the_next_write_a_live_ones_stays"),
    Slip("a file given as the repository", "advisor/gitread.py",
         "    if not path.is_dir():\n", "    if False:\n",
         "tests/test_bad_input_matrix.py::test_row[a-file]"),
    Slip("libgit2's ownership refusal loses git's hint", "advisor/gitread.py",
         'if "owned" in message or "owner" in message:', 'if "owner" in message:',
         "tests/test_bad_input_matrix.py::test_a_repository_owned_by_someone_else_gets_gits_safe_directory_hint"),
    Slip("a planted pickle in the cache is unpickled", "advisor/store.py",
         '            with open(self._path(name), "rb") as stream:\n',
         '            with open(self._path(name), "rb") as stream:\n'
         '                with contextlib.suppress(Exception):\n'
         '                    __import__("pickle").load(stream)\n'
         '                stream.seek(0)\n',
         "tests/test_bad_input_matrix.py::test_a_planted_cache_entry_is_a_miss_and_runs_nothing"),
    Slip("dates past year 9999 are kept", "advisor/gitread.py",
         "    return min(int(text), LATEST_EPOCH)", "    return int(text)",
         "tests/test_gitread.py::test_commit_dates_git_cannot_print_or_datetime_cannot_hold_are_tolerated"),
    Slip("an empty commit date crashes the scan", "advisor/gitread.py",
         "        first, second = pairs[0] or pairs[1] or (0, 0), pairs[1] or pairs[0] or (0, 0)",
         "        first, second = pairs[0] or (int(author[:-6]), 0), pairs[1] or (int(committer[:-6]), 0)",
         "tests/test_bad_input_matrix.py::test_row[dates-1970-2099-past-9999-odd-zones-unreadable]"),
    Slip("a broken pyproject.toml that never names advisor stops the scan", "advisor/config.py",
         "        if name != DEDICATED and not _MENTIONS_ADVISOR.search(text):", "        if False:",
         "tests/test_bad_input_matrix.py::test_row[pyproject-invalid-without-advisor]"),
    Slip("Ctrl-C while importing prints a traceback", "advisor/launch.py",
         "    interrupts.interrupts_exit()\n", "",
         "tests/test_launch.py::test_ctrl_c_before_the_command_line_is_imported"),
    Slip("a failed write is a crash", "advisor/store.py",
         "        if isinstance(error, OSError):\n            raise cannot_write(path, error) from None\n", "",
         "tests/test_bad_input_matrix.py::test_a_failed_write_is_one_sentence"),
]


def _copy(target: Path) -> None:
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".pytest_cache", ".mypy_cache", "*.egg-info")
    shutil.copytree(ROOT, target, ignore=ignore, symlinks=True)


def run(slip: Slip, scratch: Path) -> tuple[str, float]:
    copy = scratch / "project"
    shutil.rmtree(copy, ignore_errors=True)
    _copy(copy)
    path = copy / slip.file
    text = path.read_text(encoding="utf-8")
    if text.count(slip.old) != 1:
        return "stale", 0.0
    path.write_text(text.replace(slip.old, slip.new), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    where = subprocess.run([sys.executable, "-c", "import advisor; print(advisor.__file__)"], cwd=copy, env=env,
                           capture_output=True, text=True, check=False).stdout.strip()
    if not where.startswith(str(copy)):
        raise SystemExit(f"the copy's advisor is not the one imported ({where}); is advisor installed non-editable?")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", slip.test],
                          cwd=copy, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if done.returncode == 1:
        return "caught", elapsed
    if done.returncode == 0:
        return "missed", elapsed
    return f"error (pytest exit {done.returncode}: {done.stdout.strip().splitlines()[-1:]})", elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", default="", help="only the slips whose name holds this text")
    args = parser.parse_args()
    chosen = [s for s in SLIPS if args.k.lower() in s.name.lower()]
    results = []
    with tempfile.TemporaryDirectory(prefix="advisor-mutants-") as folder:
        for slip in chosen:
            outcome, seconds = run(slip, Path(folder))
            results.append(outcome)
            print(f"{outcome:8} {seconds:5.1f}s  {slip.name}  ({slip.test})", flush=True)
    caught = results.count("caught")
    print(f"{caught} of {len(results)} slips caught")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
