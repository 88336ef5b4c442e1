"""Dependency graphs (jobs in a workflow, workflows among themselves): deterministic order and cycles."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence


def find_cycle(edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle as [a, b, ..., a] (a depends on b ...), the first found visiting names in sorted order."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(set(edges.get(node, ()))):
            if nxt not in edges:
                continue  # unknown names are reported elsewhere
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def topological_order(names: Iterable[str], depends_on: Mapping[str, Sequence[str]]) -> list[str]:
    """Every name after the names it depends on; among those ready at once, alphabetical (a min-heap).

    Raises ValueError naming a cycle. This order is part of the plan contract (render_plan).
    """
    nodes = list(dict.fromkeys(names))
    waiting = {n: {d for d in depends_on.get(n, ()) if d in depends_on or d in nodes} for n in nodes}
    dependents: dict[str, list[str]] = {n: [] for n in nodes}
    for node, deps in waiting.items():
        for dep in deps:
            dependents.setdefault(dep, []).append(node)
    ready = [n for n, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for child in dependents.get(node, ()):
            waiting[child].discard(node)
            if not waiting[child]:
                heapq.heappush(ready, child)
    if len(order) != len(nodes):
        cycle = find_cycle({n: list(depends_on.get(n, ())) for n in nodes}) or sorted(set(nodes) - set(order))
        raise ValueError("cycle: " + " -> ".join(cycle))
    return order
