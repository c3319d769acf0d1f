"""Atomic writes, caches that never serve stale data, and the refusal to write into .git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor import store
from advisor.errors import BadOption


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


def test_cache_misses_on_a_different_key_and_on_garbage(tmp_path: Path) -> None:
    cache = store.Cache(tmp_path / "cache", tmp_path / "repo")
    cache.put("history", "k1", {"a": 1})
    assert cache.get("history", "k1") == {"a": 1}
    assert cache.get("history", "k2") is None
    path = next((tmp_path / "cache").rglob("history.*.pickle"))
    path.write_bytes(b"garbage")
    assert cache.get("history", "k1") is None


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
