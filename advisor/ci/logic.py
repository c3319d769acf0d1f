"""Three-valued logic (true, false, not known from the file) and dependency order, for CI conditions."""

from __future__ import annotations

from collections.abc import Iterable

Tri = bool | None  # True, False, or not known from the file


class Unknown:
    """A value the file does not tell."""


UNKNOWN = Unknown()


def topological(count: int, deps: list[list[int]]) -> tuple[list[int], list[int]]:
    """Nodes 0..count-1 in an order where each follows what it depends on; and those caught in cycles."""
    waiting = [len(set(d)) for d in deps]
    dependents: list[list[int]] = [[] for _ in range(count)]
    for node, ds in enumerate(deps):
        for dep in set(ds):
            dependents[dep].append(node)
    ready = [node for node in range(count) if waiting[node] == 0]
    order: list[int] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for dependent in dependents[node]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
    done = set(order)
    return order, [node for node in range(count) if node not in done]


def all3(values: Iterable[Tri]) -> Tri:
    result: Tri = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def and3(a: Tri, b: Tri) -> Tri:
    if a is False or b is False:
        return False
    return True if a is True and b is True else None
