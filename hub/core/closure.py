"""The one transitive-closure walk: a class and its subclasses or ancestors (hub/core/vocabulary.py), a
theme and its narrower concepts (the gateway's index), an entity and its `owl:sameAs` names (entity views)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def transitive_closure(start: Node, neighbours: Callable[[Node], Iterable[Node]],
                       limit: int | None = None) -> set[Node]:
    """`start` and every node reachable from it through `neighbours`, each visited once (so a cycle
    ends); with `limit`, the walk stops once it has found that many nodes."""
    seen = {start}
    stack = [start]
    while stack:
        for other in neighbours(stack.pop()):
            if other in seen:
                continue
            if limit is not None and len(seen) >= limit:
                return seen
            seen.add(other)
            stack.append(other)
    return seen
