"""YAML as CI files are written: PyYAML's safe loader, made to accept what CI systems accept."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from typing import Any

import yaml


class _MergeBudget(yaml.constructor.SafeConstructor):
    """`<<` merges with a budget: merges of merges of the same mapping could otherwise make work
    (and, in some PyYAML versions, lists) that grow exponentially with the number of lines."""

    budget: int  # mapping entries the merges may handle in all

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        super().flatten_mapping(node)
        seen: set[tuple[str, Any]] = set()
        kept: list[tuple[yaml.Node, yaml.Node]] = []
        for key, value in reversed(node.value):  # the last of equal keys is the one that counts
            if isinstance(key, yaml.ScalarNode):
                if (key.tag, key.value) in seen:
                    continue
                seen.add((key.tag, key.value))
            kept.append((key, value))
        kept.reverse()
        node.value = kept
        self.budget -= len(kept)
        if self.budget < 0:
            raise yaml.YAMLError("too much merging")


class Loader(yaml.SafeLoader, _MergeBudget):
    """PyYAML's safe loader, with two changes: `<<` merges have a budget (`_MergeBudget`), and an
    anchor may be defined again, an alias naming the latest definition: YAML 1.2 allows it and
    CircleCI accepts it (large configurations do it), where PyYAML refuses the whole file."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.budget = 20 * len(text) + 10_000

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if not self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor  # type: ignore[no-untyped-call]
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


# libyaml's parser, where the PyYAML wheel has it: the same documents ~10x faster (a backfill
# reads a project's workflows at every date; on curl that was 20 of 70 s). It refuses a redefined
# anchor, as PyYAML's own composer does: such a file, or any it refuses, is parsed again by `Loader`.
_FAST_LOADERS: tuple[type, ...] = ()
if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(yaml.CSafeLoader, _MergeBudget):
        def __init__(self, text: str) -> None:
            super().__init__(text)
            self.budget = 20 * len(text) + 10_000

    _FAST_LOADERS = (_FastLoader,)


def load_yaml(text: str) -> Any:
    """The document, or None when it is not YAML (or is YAML of nothing useful).

    Texts read before are not parsed again (backfill reads the same CI files at every date, and
    PyYAML's loader takes seconds over a project's workflows): each caller gets its own copy.
    """
    document = _parsed(text) if len(text) <= _REMEMBERED_CHARS else _parse(text)
    if document is None:
        return None
    try:
        return copy.deepcopy(document)
    except RecursionError:  # deeper than a copy can walk: parsed again, as it was before
        return _parse(text)


_REMEMBERED_CHARS = 1 << 18  # larger files are parsed each time: the memory stays bounded (256 x 256 kB)


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> Any:
    return _parse(text)


def _parse(text: str) -> Any:
    for loader_class in (*_FAST_LOADERS, Loader):
        try:
            loader = loader_class(text)
            try:
                document = loader.get_single_data()
            finally:
                loader.dispose()
        except (yaml.YAMLError, ValueError, TypeError, RecursionError):
            continue
        return document if isinstance(document, dict) else None
    return None


def strings(value: Any) -> Iterator[str]:
    """Every string in a YAML value, each shared node once (YAML aliases can make a list of lists
    of the same list: walked as a tree, a few lines would take forever)."""
    seen: set[int] = set()
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, (list, dict)) and id(item) not in seen:
            seen.add(id(item))
            todo.extend(reversed(list(item.values() if isinstance(item, dict) else item)))
