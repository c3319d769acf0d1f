"""The only module that writes files: caches, crash logs, and documents.

Every write is atomic (a temporary file in the same folder, flushed, then
renamed over the target), so an interrupted run leaves either the old file or
the new one, never half of one. Nothing is ever written inside a `.git`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from advisor import __version__, codec, snapshot
from advisor.errors import BadOption, CannotWrite
from advisor.model import RECORD_SHAPE
from advisor.report.jsonout import encode

CACHE_FORMAT = 2  # 1 was pickle, which runs code planted in a shared cache folder
CACHE_MAGIC = "advisor-cache"
_HEADER_LIMIT = 4096


def _code_digest() -> str:
    """The package's own source, subpackages included (a resumed reconstruction relies on the labelling code
    that saved its state): a cache written by other code is never read back."""
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for source in sorted(root.rglob("*.py")):
        digest.update(str(source.relative_to(root)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


CODE_DIGEST = _code_digest()


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """$XDG_CACHE_HOME/advisor, else ~/.cache/advisor."""
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "advisor"


def refuse_git_dir(path: Path) -> None:
    """Outputs never go into a repository's git directory."""
    resolved = path.resolve()
    for part in (resolved, *resolved.parents):
        if part.name == ".git" or (part / "HEAD").is_file() and (part / "objects").is_dir():
            raise BadOption(f"{path} is inside a git directory; advisor never writes there. Choose another folder.")


# A writer's temporary file: `.<target>.advisor-<random>.tmp` beside its target, locked
# (flock) for as long as the writer lives. The lock dies with the process, however it
# dies, so the next write to the same folder removes what a killed writer left.
_TEMP_MARK = ".advisor-"
_WHY = {
    errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied", errno.EPERM: "permission denied",
    errno.EISDIR: "a folder of that name is in the way", errno.ENOTDIR: "a file is in the way of its folder",
    errno.EEXIST: "a file is in the way of its folder", errno.EFBIG: "the file is larger than this process may write",
    errno.ENAMETOOLONG: "the name is too long",
}


def reason(error: OSError) -> str:
    """Why a write failed, in a few words ("the disk is full")."""
    return _WHY.get(error.errno or 0) or (error.strerror or str(error)).lower()


def cannot_write(path: Path, error: OSError) -> CannotWrite:
    """The one sentence for a failed write: what failed, why, what to do."""
    if isinstance(error, CannotWrite):
        return error
    why = reason(error)
    advice = "free some space or choose another place" if error.errno in (errno.ENOSPC, errno.EDQUOT) else (
        "choose another place")
    return CannotWrite(f"{path} could not be written: {why}; {advice}.", error.errno)


def write_atomic(path: Path, data: bytes | Callable[[IO[bytes]], None]) -> None:
    """Write `data` (bytes, or a function that writes to a stream) to `path` all or nothing.

    A failure of the file system (full disk, read-only folder, a folder where the file
    should be) is a `CannotWrite` naming `path`; the target is then as it was.
    """
    refuse_git_dir(path.parent)
    if path.is_dir():
        raise CannotWrite(f"{path} is a folder; name a file to write to.", errno.EISDIR)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = _locked_temporary(path)
    except OSError as error:
        raise cannot_write(path, error) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, bytes):
                stream.write(data)
            else:
                data(stream)
            stream.flush()
            os.fsync(stream.fileno())
            os.replace(temporary, path)  # still locked: no sweeper takes a file about to be renamed
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise cannot_write(path, error) from None
        raise
    sweep_temporaries(path.parent)


def _locked_temporary(path: Path) -> tuple[int, str]:
    """A new temporary file beside `path`, open and locked by this process."""
    while True:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{_TEMP_MARK}", suffix=".tmp")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if os.stat(temporary).st_ino == os.fstat(handle).st_ino:
                return handle, temporary
        except FileNotFoundError:
            pass
        os.close(handle)  # a sweeper took it between creation and lock: make another


def sweep_temporaries(folder: Path) -> int:
    """Remove the temporary files of writers that died (their lock is free); the number removed."""
    removed = 0
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return 0
    for name in names:
        if not (name.startswith(".") and name.endswith(".tmp") and _TEMP_MARK in name):
            continue
        leftover = folder / name
        try:
            handle = os.open(leftover, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(leftover, follow_symlinks=False).st_ino == os.fstat(handle).st_ino:
                os.unlink(leftover)
                removed += 1
        except OSError:
            pass  # a live writer holds it
        finally:
            os.close(handle)
    return removed


def write_text(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def write_crash_log(folder: Path, text: str) -> Path:
    path = folder / "crash" / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    write_text(path, text)
    return path


class Cache:
    """Per-repository caches, keyed by content so a stale entry is never used.

    An entry is one file: a JSON header line (magic, format, slot, key, the body's
    length and SHA-256), then the value as `codec` JSON, decoded only into the type the
    caller asks for. Nothing in it can run code. A missing, unreadable, truncated,
    foreign or other-version entry is a miss, never an error: the cache only saves time.
    """

    def __init__(self, root: Path, git_dir: Path) -> None:
        refuse_git_dir(root)
        self.root = root
        self.folder = root / "repos" / hashlib.sha256(str(git_dir.resolve()).encode()).hexdigest()[:20]

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.v{CACHE_FORMAT}.json"

    def _read(self, name: str, key: str | None, shape: Any) -> Any:
        """The entry's value, or None when there is no valid entry of `shape` under `key` (None: any key)."""
        try:
            with open(self._path(name), "rb") as stream:
                header = json.loads(stream.readline(_HEADER_LIMIT))
                if (type(header) is not dict or header.get("magic") != CACHE_MAGIC
                        or header.get("format") != CACHE_FORMAT or header.get("slot") != name
                        or (key is not None and header.get("key") != key)):
                    return None
                length = header.get("length")
                if type(length) is not int or length != os.fstat(stream.fileno()).st_size - stream.tell():
                    return None  # truncated or extended
                body = stream.read(length)
            if len(body) != length or hashlib.sha256(body).hexdigest() != header.get("sha256"):
                return None  # altered, or changed while read
            return codec.loads(body, shape)
        except (OSError, ValueError, RecursionError, MemoryError):
            return None  # codec.Invalid is a ValueError

    def _write(self, name: str, key: str, value: Any, shape: Any) -> None:
        try:
            body = codec.dumps(value, shape)
        except (codec.Invalid, TypeError, ValueError):
            return  # a value the format cannot hold is simply not cached
        header = json.dumps({"magic": CACHE_MAGIC, "format": CACHE_FORMAT, "slot": name, "key": key,
                             "length": len(body), "sha256": hashlib.sha256(body).hexdigest()}).encode()

        def write(stream: IO[bytes]) -> None:
            stream.write(header + b"\n")
            stream.write(body)

        try:
            write_atomic(self._path(name), write)
        except OSError:
            pass  # a read-only or full disk costs speed, not correctness

    @staticmethod
    def key(*parts: object) -> str:
        return hashlib.sha256(repr((__version__, CACHE_FORMAT, RECORD_SHAPE, CODE_DIGEST, parts)).encode()).hexdigest()

    def get(self, name: str, key: str, shape: Any) -> Any:
        """The value stored under `key`, of type `shape` (e.g. `tuple[RepoFacts, History]`); None on a miss."""
        return self._read(name, key, shape)

    def latest(self, name: str, shape: Any) -> Any:
        """The value stored in slot `name` under whatever key (the last one written), of type `shape`; None on a miss."""
        return self._read(name, None, shape)

    def put(self, name: str, key: str, value: Any, shape: Any) -> None:
        self._write(name, key, value, shape)

    def line_stats(self, shas: Iterable[str]) -> dict[str, tuple[int, int]]:
        known = self._read("line-stats", None, _LINE_STATS)
        if not known:
            return {}
        return {sha: known[sha] for sha in shas if sha in known}

    def add_line_stats(self, fresh: Mapping[str, tuple[int, int]]) -> None:
        if not fresh:
            return
        known = self._read("line-stats", None, _LINE_STATS)
        merged = dict(known) if known else {}
        merged.update(fresh)
        self._write("line-stats", "", merged, _LINE_STATS)


_LINE_STATS = dict[str, tuple[int, int]]


# ---------------------------------------------------------------------------
# Plan folders


def default_plan_dir(env: Mapping[str, str], git_dir: Path) -> Path:
    """$XDG_DATA_HOME/advisor/plans/<repository>-<hash>, else ~/.local/share/advisor/plans/...

    Data, not cache: a plan holds ticks people made, so it must not live where caches are cleared.
    """
    return history_folder(_data_home(env) / "advisor" / "plans", git_dir)


def _data_home(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME, else ~/.local/share: where a person's data lives (plans, snapshots)."""
    return Path(env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".local", "share"))


def _inside(folder: Path, relative: str) -> Path:
    path = (folder / relative).resolve()
    if folder.resolve() not in path.parents:
        raise BadOption(f"{relative!r} would be written outside {folder}.")
    return path


def plan_reader(folder: Path) -> Callable[[str], str | None]:
    """Read files of an existing plan folder by relative path; None when absent."""
    refuse_git_dir(folder)
    if folder.exists() and not folder.is_dir():
        raise BadOption(f"{folder} exists and is not a folder.")

    def read(relative: str) -> str | None:
        path = _inside(folder, relative)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise BadOption(f"cannot read {path} ({error}); advisor will not overwrite it.") from None

    return read


def write_plan(folder: Path, files: Mapping[str, str], last: str) -> list[Path]:
    """Write the plan's files, each atomically; `last` (the state file) after all the others."""
    refuse_git_dir(folder)
    if folder.exists() and not folder.is_dir():
        raise BadOption(f"{folder} exists and is not a folder.")
    written = []
    for relative in sorted(files, key=lambda name: (name == last, name)):
        path = _inside(folder, relative)
        write_text(path, files[relative])
        written.append(path)
    return written


# Snapshot history: one JSON file per scan, never a shared mutable index
#
# A snapshot file is written once, atomically, under a name made of the moment
# it describes and the trunk tip (snapshot.file_name), so two scans at once
# write two files and a scan killed mid-write leaves at most a hidden
# temporary file, which listing ignores and the next write removes (its lock
# died with its writer). The history is the folder's listing.

HISTORY_TEMP_MAX_AGE_SECONDS = 24 * 3600


def default_history_dir(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME/advisor/history, else ~/.local/share/advisor/history."""
    return _data_home(env) / "advisor" / "history"


GENERIC_NAMES = {"repo", "repository", "git", "mirror", "clone", "src", "source", "code", "checkout", "bare", "work"}


def repository_folder_name(git_dir: Path) -> str:
    """The name a repository's folders carry: its folder's name, or its parent's when that name says nothing
    (`/srv/mirrors/pi-hole/repo` is `pi-hole`, as mirrors are often laid out)."""
    resolved = git_dir.resolve()
    folder = resolved.parent if resolved.name == ".git" else resolved
    name = folder.name.removesuffix(".git")
    if name.lower() in GENERIC_NAMES and folder.parent.name:
        name = folder.parent.name.removesuffix(".git")
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name).strip(".") or "repo"


def history_folder(root: Path, git_dir: Path) -> Path:
    """One repository's folder under `root` (its snapshots, or its plan): its name (`repository_folder_name`) and
    a digest of its git directory, so two clones of the same name never share one. A folder an older advisor
    named after a generic folder name (`repo-<digest>`) is still used when it exists."""
    resolved = git_dir.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    folder = root / f"{repository_folder_name(git_dir)[:40]}-{digest}"
    plain = resolved.parent.name if resolved.name == ".git" else resolved.name
    older = root / f"{''.join(c if c.isalnum() or c in '-_.' else '_' for c in plain).strip('.')[:40] or 'repo'}-{digest}"
    return older if older != folder and older.is_dir() and not folder.exists() else folder


def save_snapshot(folder: Path, snap: snapshot.Snapshot) -> Path:
    """Store a snapshot as its own file; the same scan stored twice replaces itself."""
    refuse_git_dir(folder)
    path = folder / snapshot.file_name(snap)
    write_text(path, encode(snapshot.to_document(snap), 0) + "\n")  # sweeps what killed writers left
    _sweep_unlocked_temporaries(folder)
    return path


def _sweep_unlocked_temporaries(folder: Path) -> None:
    """Temporary files of older versions, which took no lock: removed once a day old."""
    limit = time.time() - HISTORY_TEMP_MAX_AGE_SECONDS
    for leftover in folder.glob(".*.tmp"):
        if _TEMP_MARK in leftover.name:
            continue
        try:
            if leftover.stat().st_mtime < limit:
                leftover.unlink()
        except OSError:
            pass


def snapshot_files(folder: Path) -> list[Path]:
    """The snapshot files of a history folder: visible `*.json` files, by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith(".") and p.is_file())


def read_snapshots(folder: Path) -> tuple[list[snapshot.Snapshot], list[str]]:
    """Every readable snapshot of `folder`, oldest first, and one warning per file that is not."""
    found: list[snapshot.Snapshot] = []
    warnings: list[str] = []
    for path in snapshot_files(folder):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            found.append(snapshot.with_source(snapshot.from_document(document), path.name))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
            warnings.append(f"skipped {path.name}: it cannot be read as JSON ({type(error).__name__}).")
        except snapshot.SnapshotError as error:
            warnings.append(f"skipped {path.name}: {error}.")
    found.sort(key=lambda s: (s.until, s.scanned_at, s.source))
    return found, warnings
