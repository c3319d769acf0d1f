"""What "the repository is never written to" means in a test: every file, folder and link
under a root, with its bytes, mode and modification time, compared before and after."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

State = dict[str, tuple[str, int, int]]


def state(root: Path) -> State:
    """relative path -> (content digest, mode, mtime in ns) of `root` and everything under it.

    Folders count too: a file created and removed again changes its folder's mtime.
    Access times are left out (reading a file may change them).
    """
    found: State = {}
    for folder, dirs, files in os.walk(root):
        for name in [".", *dirs, *files]:
            path = Path(folder) if name == "." else Path(folder) / name
            stat = path.lstat()
            if path.is_symlink():
                content = hashlib.sha256(os.readlink(path).encode()).hexdigest()
            elif path.is_file():
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = "dir"
            key = str(path.relative_to(root)) + ("/" if content == "dir" else "")
            found[key] = (content, stat.st_mode, stat.st_mtime_ns)
    return found


def differences(before: State, after: State) -> list[str]:
    """One line per path that appeared, vanished or changed: empty when nothing was written."""
    lines = []
    for path in sorted(set(before) | set(after)):
        if path not in after:
            lines.append(f"removed {path}")
        elif path not in before:
            lines.append(f"added {path}")
        elif before[path] != after[path]:
            was, now = before[path], after[path]
            what = [name for name, a, b in zip(("content", "mode", "mtime"), was, now) if a != b]
            lines.append(f"changed {path} ({', '.join(what)})")
    return lines
