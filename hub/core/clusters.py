"""Clusters of IRIs the links graph joins, and the one IRI each cluster is served under.

The linker (hub/pipeline/linking/) decides which IRIs name the same thing; the entity views (hub/store) and the
gateway's index (hub/gateway) read its `owl:sameAs` statements back into clusters with `clusters_of`, and all of
them serve a cluster under `canonical_iri`, so that they can never disagree on it.
"""

from __future__ import annotations

from collections.abc import Iterable


def canonical_iri(members: Iterable[str], base: str) -> str:
    """A cluster's IRI: its members' first IRI (in code-point order) that a feed gave, else its first IRI the hub
    minted (`{base}id/…`, for a record without an IRI of its own: less stable). Deterministic: the same members
    give the same IRI on every hub, whatever order they came in."""
    return min(members, key=lambda iri: (iri.startswith(base), iri))


class UnionFind:
    """Disjoint sets of strings (path halving, union by size)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        while parent != item:
            grand = self.parent[parent]
            self.parent[item] = grand
            item, parent = parent, self.parent[grand]
        return item

    def union(self, first: str, second: str) -> str:
        a, b = self.find(first), self.find(second)
        if a == b:
            return a
        if self.size.get(a, 1) < self.size.get(b, 1):
            a, b = b, a
        self.parent[b] = a
        self.size[a] = self.size.get(a, 1) + self.size.get(b, 1)
        return a

    def groups(self) -> list[list[str]]:
        found: dict[str, list[str]] = {}
        for item in self.parent:
            found.setdefault(self.find(item), []).append(item)
        return [sorted(members) for members in found.values()]


def clusters_of(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Each IRI of the pairs -> its cluster (the IRIs joined to it through any chain of pairs), sorted."""
    sets = UnionFind()
    for first, second in pairs:
        sets.union(first, second)
    return {member: members for members in sets.groups() for member in members}
