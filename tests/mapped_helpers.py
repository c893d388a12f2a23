"""Helpers for the mapped-format tests: a lift context minting under the test base, and quad lookups."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pyoxigraph import Quad

from harvesters.geometry import Area
from harvesters.mapping import LiftContext
from hub.charter.area import ServiceArea
from hub.core.iris import Minter
from hub.core.profile import DEFAULT_PROFILE
from hub.core.vocabulary import default_vocabulary
from tests.conftest import BASE

SCHEMA = "https://schema.org/"


def lift_area(profile: Path = DEFAULT_PROFILE) -> Area:
    """A profile's service area as the hub hands it to lifters (hub/pipeline/lifting.py)."""
    area = ServiceArea.of(profile)
    return Area(area.name["en"], area.contains)


def context(document: str = "file:feed", source_id: str = "demo", language: str | None = None,
            area: Area | None = None) -> LiftContext:
    """A lift context as a harvest makes it: with the default profile's area unless another is given."""
    return LiftContext(document, source_id, Minter(BASE).entity, default_vocabulary().hierarchy.kind_of, language,
                       area or _default_area())


@cache
def _default_area() -> Area:
    return lift_area()


def values(quads: list[Quad], predicate: str, subject: object | None = None) -> list[str]:
    return sorted(str(getattr(q.object, "value", q.object)) for q in quads
                  if q.predicate.value == predicate and (subject is None or q.subject == subject))


def objects(quads: list[Quad], predicate: str) -> list[object]:
    return [q.object for q in quads if q.predicate.value == predicate]
