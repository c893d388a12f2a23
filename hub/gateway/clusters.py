"""One item per cluster: the items of IRIs the links graph joins (`owl:sameAs`, hub/pipeline/linking/) become one,
served under the cluster's canonical IRI (hub/core/clusters.py), with each member's own values kept.

The merged item's fields are the union of its members' (names, types, themes, points, record graphs), so filters,
the bounding box and search see everything any source said; where sources disagree on a value (a name in one
language, the address, the web site, the point), `conflicts` lists every value with the sources that give it, side
by side, and `member_values` each member's values whole: nothing is silently picked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyoxigraph import NamedNode

from hub.core.clusters import canonical_iri, clusters_of
from hub.gateway import item_properties
from hub.gateway.spatial import distance_m
from hub.sparql import queries
from hub.store.interface import Reader

# Items are hub/gateway/collection_index.py's `Item`, which imports this module: typed `Any` here so the two never
# import each other (tests/test_layout.py refuses circles).
Item = Any
SAME_POINT_METRES = 25.0  # two sources' pins closer than this say the same place


def same_as_pairs(store: Reader, links_graph: NamedNode) -> list[tuple[str, str]]:
    """The links in force: the `owl:sameAs` statements of the links graph."""
    rows = store.select(queries.render("same-as-links", links=links_graph))
    return [(row["a"].value, row["b"].value) for row in rows]


def merge(items: list[Item], pairs: Iterable[tuple[str, str]], base: str) -> list[Item]:
    """The items with each cluster's members merged into one item (its IRI the cluster's canonical one); a member
    no record describes (a linked record just removed) is left out."""
    by_iri = {item.iri: item for item in items}
    clusters = clusters_of((a, b) for a, b in pairs if a in by_iri and b in by_iri)
    done: set[str] = set()
    merged: list[Item] = []
    for item in items:
        members = clusters.get(item.iri)
        if members is None:
            merged.append(item)
            continue
        if item.iri in done:
            continue
        done.update(members)
        canonical = canonical_iri(members, base)
        ordered = [canonical, *(m for m in members if m != canonical)]
        parts = [by_iri[m] for m in ordered]
        merged.append(_merged(type(item)(canonical), parts))
    return merged


def _merged(item: Item, parts: list[Item]) -> Item:
    item.members = [part.iri for part in parts]
    item.parts = parts
    for part in parts:
        item.kinds |= part.kinds
        item.types |= part.types
        item.keywords |= part.keywords
        item.themes |= part.themes
        item.names += [name for name in part.names if name not in item.names]
        item.descriptions += [d for d in part.descriptions if d not in item.descriptions]
        item.points += part.points
        item.shapes += part.shapes
        item.occurrences += [o for o in part.occurrences if o not in item.occurrences]
        item.records += part.records
        item_properties.merge(item.properties, part.properties)
        for key, value in part.address.items():
            item.address.setdefault(key, value)
        for field in ("url", "verification", "start", "end", "status"):
            if getattr(item, field) is None:
                setattr(item, field, getattr(part, field))
    return item


def _sources(part: Item) -> list[str]:
    return sorted({record.source for record in part.records})


def member_values(item: Item) -> list[dict[str, Any]]:
    """Each member of a merged item with its own values and sources (empty for an item that is not merged)."""
    found = []
    for part in item.parts:
        point = part.point
        found.append({"@id": part.iri, "sources": _sources(part), "records": sorted(r.graph for r in part.records),
                      "names": sorted(part.names), "address": part.address or None, "url": part.url,
                      "point": list(point) if point else None})
    return found


def conflicts(item: Item) -> list[dict[str, Any]]:
    """The properties the members of a merged item give different values for, each value with its sources."""
    found: list[dict[str, Any]] = []

    def compare(name: str, values: list[tuple[str, list[str]]]) -> None:
        distinct: dict[str, list[str]] = {}
        for value, sources in values:
            distinct.setdefault(value, [])
            distinct[value] = sorted(set(distinct[value]) | set(sources))
        if len(distinct) > 1:
            found.append({"property": name, "values": [{"text": value, "sources": sources}
                                                       for value, sources in sorted(distinct.items())]})

    parts = item.parts
    languages = sorted({language for part in parts for language, _ in part.names})
    for language in languages:
        given = [(value, _sources(part)) for part in parts for lang, value in part.names if lang == language]
        if len({p.iri for p in parts if any(lang == language for lang, _ in p.names)}) > 1:
            compare(f"name@{language}" if language else "name", given)
    compare("url", [(part.url, _sources(part)) for part in parts if part.url])
    for key in ("street", "postal", "locality"):
        compare(f"address.{key}", [(part.address[key], _sources(part)) for part in parts if key in part.address])
    points = [(part.point, _sources(part)) for part in parts if part.point]
    pins = [point for point, _ in points]
    if any(distance_m(*pins[0], *other) > SAME_POINT_METRES for other in pins[1:]):
        compare("geo", [(f"{lon},{lat}", sources) for (lon, lat), sources in points])
    return found
