"""From scored pairs and people's decisions to links: which pairs are linked, which wait for review, which stay
apart, and the clusters the links make.

A person's decision wins over the score: a confirmed pair is linked whatever it scores, a rejected one never is.
Links are applied strongest first (confirmed, then strong identifiers, then by score), and a link that would put a
rejected or vetoed pair into one cluster through other links is not applied: it goes to the review queue with that
reason, so no chain of links ever joins what a person (or two enterprise numbers) kept apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hub.archive.links import Decision
from hub.core.clusters import UnionFind
from hub.pipeline.linking.scoring import Scored

STATUSES = ("accepted", "confirmed", "pending", "rejected")


@dataclass(slots=True)
class Link:
    key: str
    first: str
    second: str
    status: str  # accepted (by the rule) | confirmed (by a person) | pending (review queue) | rejected (by a person)
    rule: str  # identifier | score | decision
    score: float | None
    evidence: list[str] = field(default_factory=list)
    decision: Decision | None = None

    @property
    def same_as(self) -> bool:
        return self.status in ("accepted", "confirmed")


def decide(scored: Mapping[str, Scored], decisions: Mapping[str, Decision], present: set[str],
           link_at: float, review_at: float) -> list[Link]:
    """The links of this generation (`present`: the IRIs of the entities published now; a decision on a pair of
    which one side is gone waits for it to come back)."""
    candidates: list[Link] = []
    apart: list[tuple[str, str, str]] = []  # (first, second, why) never to be joined
    for key, decision in decisions.items():
        if decision.first not in present or decision.second not in present:
            continue
        pair = scored.get(key)
        link = Link(key, decision.first, decision.second, decision.verdict, "decision",
                    pair.score if pair else None, list(pair.evidence) if pair else [], decision)
        candidates.append(link)
        if decision.verdict == "rejected":
            apart.append((decision.first, decision.second, f"rejected by {decision.by} on {decision.at[:10]}"))
    for key, pair in scored.items():
        if key in decisions:
            continue
        if pair.rule == "veto":
            apart.append((pair.first, pair.second, pair.evidence[0]))
            continue
        if pair.strong or pair.score >= link_at:
            status = "accepted"
        elif pair.score >= review_at or pair.branch:
            status = "pending"
        else:
            continue
        candidates.append(Link(key, pair.first, pair.second, status, pair.rule, pair.score, list(pair.evidence)))
    order = {"confirmed": 0, "accepted": 1}
    candidates.sort(key=lambda link: (order.get(link.status, 2), link.rule != "identifier", -(link.score or 0),
                                      link.key))
    clusters = _Constrained(apart)
    for link in candidates:
        if not link.same_as:
            continue
        conflict = clusters.join(link.first, link.second)
        if conflict is not None:
            link.status = "pending"
            link.evidence.append(f"kept apart: linking would join {conflict[0]} and {conflict[1]} ({conflict[2]})")
    return sorted(candidates, key=lambda link: link.key)


class _Constrained:
    """Clusters under cannot-link pairs."""

    def __init__(self, apart: list[tuple[str, str, str]]) -> None:
        self.sets = UnionFind()
        self.members: dict[str, list[str]] = {}
        self.apart: dict[str, list[tuple[str, str]]] = {}
        for first, second, why in apart:
            self.apart.setdefault(first, []).append((second, why))
            self.apart.setdefault(second, []).append((first, why))

    def join(self, first: str, second: str) -> tuple[str, str, str] | None:
        """Joins the two clusters, or returns the pair (and why) that forbids it."""
        a, b = self.sets.find(first), self.sets.find(second)
        if a == b:
            return None
        mine, theirs = self.members.get(a, [a]), self.members.get(b, [b])
        smaller, other = (mine, b) if len(mine) <= len(theirs) else (theirs, a)
        for member in smaller:
            for kept, why in self.apart.get(member, ()):
                if self.sets.find(kept) == other:
                    return member, kept, why
        root = self.sets.union(a, b)
        self.members[root] = mine + theirs
        self.members.pop(a if root == b else b, None)
        return None

