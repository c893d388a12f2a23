"""Helpers for the mapped-format tests: a lift context minting under the test base, and quad lookups."""

from __future__ import annotations

from pyoxigraph import Quad

from harvesters.mapping import LiftContext
from hub.core.iris import Minter
from hub.core.vocabulary import default_vocabulary
from tests.conftest import BASE

SCHEMA = "https://schema.org/"


def context(document: str = "file:feed", source_id: str = "demo", language: str | None = None) -> LiftContext:
    return LiftContext(document, source_id, Minter(BASE).entity, default_vocabulary().hierarchy.kind_of, language)


def values(quads: list[Quad], predicate: str, subject: object | None = None) -> list[str]:
    return sorted(str(getattr(q.object, "value", q.object)) for q in quads
                  if q.predicate.value == predicate and (subject is None or q.subject == subject))


def objects(quads: list[Quad], predicate: str) -> list[object]:
    return [q.object for q in quads if q.predicate.value == predicate]
