"""Atomic writes, caches that never serve stale data, and the refusal to write into .git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor import store
from advisor.errors import BadOption
from advisor.model import MergeCheck


def test_default_cache_dir_follows_xdg() -> None:
    assert store.default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/advisor")
    assert store.default_cache_dir({"HOME": "/home/u"}) == Path("/home/u/.cache/advisor")


def test_write_atomic_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.txt"
    store.write_text(target, "one")
    store.write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_an_interrupted_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"
    store.write_text(target, "old")

    def killed(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@pytest.mark.parametrize("inside", [".git", ".git/advisor", "bare.git/cache"])
def test_never_writes_into_a_git_directory(tmp_path: Path, inside: str) -> None:
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "bare.git" / "objects").mkdir(parents=True)
    (tmp_path / "bare.git" / "HEAD").write_text("ref: refs/heads/main\n")
    with pytest.raises(BadOption, match="inside a git directory"):
        store.write_text(tmp_path / inside / "x.txt", "no")


CHECKS = tuple[MergeCheck, ...]
VALUE = (MergeCheck(branch="topic", clean=False, conflicts=("a.txt",)),)


def test_cache_misses_on_a_different_key_and_on_garbage(tmp_path: Path) -> None:
    cache = store.Cache(tmp_path / "cache", tmp_path / "repo")
    cache.put("merge-checks", "k1", VALUE, CHECKS)
    assert cache.get("merge-checks", "k1", CHECKS) == VALUE
    assert cache.get("merge-checks", "k2", CHECKS) is None
    assert cache.get("merge-checks", "k1", tuple[str, ...]) is None  # asked for another type
    path = next((tmp_path / "cache").rglob("merge-checks.*.json"))
    path.write_bytes(b"garbage")
    assert cache.get("merge-checks", "k1", CHECKS) is None


class Planted:
    """Unpickling this runs a command: what a hostile user of a shared cache folder would plant."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def entry(cache: store.Cache, name: str) -> Path:
    return cache.folder / f"{name}.v{store.CACHE_FORMAT}.json"


def test_a_planted_pickle_is_a_miss_and_runs_nothing(tmp_path: Path) -> None:
    import pickle

    marker = tmp_path / "ran"
    cache = store.Cache(tmp_path / "cache", tmp_path / "repo")
    cache.folder.mkdir(parents=True)
    for name in ("history.v1.pickle", "line-stats.v1.pickle", f"history.v{store.CACHE_FORMAT}.json",
                 f"line-stats.v{store.CACHE_FORMAT}.json"):
        (cache.folder / name).write_bytes(pickle.dumps(("k1", Planted(marker))))
    assert cache.get("history", "k1", CHECKS) is None
    assert cache.line_stats(["a" * 40]) == {}
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["truncated", "extended", "altered", "other version", "other slot", "foreign",
                                    "header only", "huge length"])
def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path: Path, damage: str) -> None:
    import json

    cache = store.Cache(tmp_path / "cache", tmp_path / "repo")
    cache.put("merge-checks", "k1", VALUE, CHECKS)
    path = entry(cache, "merge-checks")
    data = path.read_bytes()
    header, _, body = data.partition(b"\n")
    fields = json.loads(header)
    if damage == "truncated":
        data = data[:-5]
    elif damage == "extended":
        data += b" "
    elif damage == "altered":
        data = header + b"\n" + body.replace(b"topic", b"tapic")
    elif damage in ("other version", "other slot", "foreign", "huge length"):
        key, value = {"other version": ("format", 1), "other slot": ("slot", "history"),
                      "foreign": ("magic", "someone-else"), "huge length": ("length", 1 << 60)}[damage]
        fields[key] = value
        data = json.dumps(fields).encode() + b"\n" + body
    elif damage == "header only":
        data = header + b"\n"
    path.write_bytes(data)
    assert cache.get("merge-checks", "k1", CHECKS) is None


def test_an_entry_with_a_matching_digest_but_another_shape_is_a_miss(tmp_path: Path) -> None:
    """The digest only finds damage; what is read is still checked against the type asked for."""
    import hashlib
    import json

    cache = store.Cache(tmp_path / "cache", tmp_path / "repo")
    body = b'{"len":[1],"items":{"fields":["branch","clean","conflicts"],"columns":[["b"],["yes"],[]]}}'
    header = {"magic": store.CACHE_MAGIC, "format": store.CACHE_FORMAT, "slot": "merge-checks", "key": "k1",
              "length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    cache.folder.mkdir(parents=True)
    entry(cache, "merge-checks").write_bytes(json.dumps(header).encode() + b"\n" + body)
    assert cache.get("merge-checks", "k1", CHECKS) is None


def test_line_stats_accumulate(tmp_path: Path) -> None:
    cache = store.Cache(tmp_path / "cache", tmp_path / "repo")
    cache.add_line_stats({"a" * 40: (1, 2)})
    cache.add_line_stats({"b" * 40: (3, 4)})
    assert cache.line_stats(["a" * 40, "b" * 40, "c" * 40]) == {"a" * 40: (1, 2), "b" * 40: (3, 4)}


def test_key_depends_on_every_part() -> None:
    assert store.Cache.key("a", 1) != store.Cache.key("a", 2)
    assert store.Cache.key("a", 1) == store.Cache.key("a", 1)


def test_crash_log(tmp_path: Path) -> None:
    path = store.write_crash_log(tmp_path, "trace")
    assert path.read_text() == "trace"


# -- the snapshot history -------------------------------------------------------

from datetime import datetime, timedelta, timezone  # noqa: E402 - this section's own imports

from advisor import snapshot  # noqa: E402


def make_snapshot(day: int, tip: str = "a" * 40) -> snapshot.Snapshot:
    moment = datetime(2024, 1, day, 12, tzinfo=timezone.utc)
    return snapshot.Snapshot(
        version=snapshot.VERSION, tool_version="0.1.0", scanned_at=moment, since=moment - timedelta(days=30),
        until=moment, repo="/src/repo", trunk="main", trunk_tip=tip, model="trunk-based", confidence="high",
        measures={m.name: float(day) for m in snapshot.MEASURES}, plan=None, metrics={}, verdict={"model": "x"},
    )


def test_default_history_dir_follows_xdg_data_home() -> None:
    assert store.default_history_dir({"XDG_DATA_HOME": "/d"}) == Path("/d/advisor/history")
    assert store.default_history_dir({"HOME": "/home/u"}) == Path("/home/u/.local/share/advisor/history")


def test_history_folder_is_per_repository_and_readable(tmp_path: Path) -> None:
    one = store.history_folder(tmp_path / "h", tmp_path / "service" / ".git")
    bare = store.history_folder(tmp_path / "h", tmp_path / "project.git")
    other = store.history_folder(tmp_path / "h", tmp_path / "elsewhere" / "service" / ".git")
    assert one.parent == tmp_path / "h"
    assert one.name.startswith("service-") and bare.name.startswith("project-")
    assert one != other  # same folder name, different repository


def test_snapshots_are_stored_one_file_each_and_read_back_in_order(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    for day in (3, 1, 2):
        store.save_snapshot(folder, make_snapshot(day))
    store.save_snapshot(folder, make_snapshot(2))  # the same scan again replaces itself
    assert len(store.snapshot_files(folder)) == 3
    found, warnings = store.read_snapshots(folder)
    assert warnings == []
    assert [s.until.day for s in found] == [1, 2, 3]
    assert found[0].source == store.snapshot_files(folder)[0].name


def test_unreadable_files_are_skipped_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    store.save_snapshot(folder, make_snapshot(1))
    (folder / "20240102T000000000000Z-bad.json").write_text("{ truncated")
    (folder / "notes.json").write_text('{"hello": 1}')
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00")
    (folder / "README.md").write_text("not a snapshot, not listed")
    found, warnings = store.read_snapshots(folder)
    assert len(found) == 1
    assert sorted(w.split(":")[0] for w in warnings) == [
        "skipped 20240102T000000000000Z-bad.json", "skipped binary.json", "skipped notes.json"]
    assert any("neither an advisor snapshot" in w for w in warnings)


def test_a_missing_history_folder_is_an_empty_history(tmp_path: Path) -> None:
    assert store.read_snapshots(tmp_path / "nothing") == ([], [])


def test_a_write_killed_midway_leaves_the_history_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "history"
    store.save_snapshot(folder, make_snapshot(1))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real_fdopen = os.fdopen

    class Dying:
        def __init__(self, stream: object) -> None:
            self.stream = stream

        def __enter__(self) -> Dying:
            return self

        def __exit__(self, *_: object) -> None:
            self.stream.close()  # type: ignore[attr-defined]

        def write(self, data: bytes) -> None:
            self.stream.write(data[: len(data) // 2])  # type: ignore[attr-defined]
            raise KeyboardInterrupt  # killed halfway through the document

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Dying(real_fdopen(fd, mode)))
    with pytest.raises(KeyboardInterrupt):
        store.save_snapshot(folder, make_snapshot(2))
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    found, warnings = store.read_snapshots(folder)
    assert [s.until.day for s in found] == [1] and warnings == []


def test_old_temporary_files_of_killed_writers_are_swept(tmp_path: Path) -> None:
    folder = tmp_path / "history"
    folder.mkdir()
    old = folder / ".20240101T000000000000Z-x.json.abc.tmp"
    fresh = folder / ".20240102T000000000000Z-y.json.def.tmp"
    for leftover in (old, fresh):
        leftover.write_text("half")
    os.utime(old, (0, 0))
    store.save_snapshot(folder, make_snapshot(3))
    assert not old.exists() and fresh.exists()  # a live writer's temporary file is left alone
    assert len(store.read_snapshots(folder)[0]) == 1


def test_the_history_is_never_written_into_a_git_directory(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git" / "objects").mkdir(parents=True)
    with pytest.raises(BadOption, match="inside a git directory"):
        store.save_snapshot(tmp_path / "repo" / ".git" / "advisor-history", make_snapshot(1))


def test_a_dead_writers_temporary_file_goes_on_the_next_write_a_live_ones_stays(tmp_path: Path) -> None:
    import fcntl

    folder = tmp_path / "history"
    folder.mkdir()
    dead = folder / ".a.json.advisor-dead0000.tmp"
    dead.write_text("half a snap")  # nobody holds its lock: its writer was killed
    live = folder / ".b.json.advisor-live0000.tmp"
    live.write_text("being written")
    handle = os.open(live, os.O_RDONLY)
    fcntl.flock(handle, fcntl.LOCK_EX)  # a writer at work holds its lock
    foreign = folder / ".notes.tmp"  # a file advisor did not make
    foreign.write_text("mine")
    try:
        store.write_text(folder / "c.json", "{}")
        assert not dead.exists() and live.exists() and foreign.exists()
    finally:
        os.close(handle)
    store.write_text(folder / "c.json", "{}")
    assert not live.exists() and foreign.exists()


def test_folder_names_say_which_repository_even_for_mirrors_named_repo(tmp_path: Path) -> None:
    root = tmp_path / "data"
    mirror = tmp_path / "mirrors" / "pi-hole+pi-hole" / "repo"
    mirror.mkdir(parents=True)
    folder = store.history_folder(root, mirror)
    assert folder.name.startswith("pi-hole+pi-hole-") and folder.parent == root
    clone = tmp_path / "src" / "web" / ".git"
    clone.mkdir(parents=True)
    assert store.history_folder(root, clone).name.startswith("web-")
    other = tmp_path / "elsewhere" / "pi-hole+pi-hole" / "repo"
    other.mkdir(parents=True)
    assert store.history_folder(root, other) != folder  # same name, different repository: different folders
    # a folder an older advisor named "repo-<digest>" keeps being used
    older = root / folder.name.replace("pi-hole+pi-hole", "repo")
    older.mkdir(parents=True)
    assert store.history_folder(root, mirror) == older
