"""N generated places as the gateway's index holds them, without a harvest: for the map at 100,000 places.

Harvesting 100,000 records takes minutes (about 2.5 ms a record here) and reading them back into the index
half a minute more; the map's clustering, paging and drawing only need the index. The places are like
bench/feeds.py's organisations (names, addresses, random points over Brussels), each with one theme of
the hub's scheme (vocab/schemes.ttl) in turn, every ninth one with none. Give `places_reader(n)` to
`IndexCache(read=…)`: the generation's own records are then replaced by these.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from bench.feeds import POSTAL_CODES
from hub.gateway.collection_index import IndexParts, Item, RecordRef
from hub.gateway.textsearch import fold
from hub.store.reader import Published

SCHEMES = Path(__file__).resolve().parent.parent / "vocab" / "schemes.ttl"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SOURCE_ID = "generated"
LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"
CHANGED = "2026-12-01T00:00:00Z"
ORGANIZATION = "https://schema.org/Organization"


def _themes() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The theme scheme's narrower links and folded labels, read from the vocabulary file."""
    narrower: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, set[str]] = defaultdict(set)
    for quad in parse(path=str(SCHEMES), format=RdfFormat.TURTLE):
        subject, predicate, obj = quad.subject, quad.predicate.value, quad.object
        if not isinstance(subject, NamedNode):
            continue
        if predicate == SKOS + "narrower" and isinstance(obj, NamedNode):
            narrower[subject.value].add(obj.value)
        elif predicate == SKOS + "broader" and isinstance(obj, NamedNode):
            narrower[obj.value].add(subject.value)
        elif predicate == SKOS + "prefLabel" and isinstance(obj, Literal):
            labels[subject.value].add(fold(obj.value))
    return dict(narrower), dict(labels)


def place(index: int, themes: list[str], base: str, rng: random.Random) -> Item:
    lat = round(50.77 + rng.random() * 0.14, 5)
    lon = round(4.25 + rng.random() * 0.23, 5)
    item = Item(f"https://bench.example/org/{index}", kinds={"organization"}, types={ORGANIZATION},
                names=[("fr", f"Initiative {index}"), ("nl", f"Initiatief {index}")],
                descriptions=[("fr", f"Une initiative citoyenne numéro {index}.")],
                address={"street": f"Rue du Test {index % 300 + 1}", "postal": POSTAL_CODES[index % len(POSTAL_CODES)],
                         "locality": "Bruxelles", "country": "BE"},
                url=f"https://bench.example/site/{index}")
    graph = f"{base}graph/{SOURCE_ID}/{index}"
    item.points.append((CHANGED, lon, lat, graph))
    if index % 9:
        item.themes.add(themes[index % len(themes)])
    item.records.append(RecordRef(graph, f"{base}source/{SOURCE_ID}", LICENSE, CHANGED, None))
    item.text = fold(" ".join([v for _, v in item.names] + [v for _, v in item.descriptions]
                              + list(item.address.values())))
    return item


def generated_parts(count: int, base: str) -> IndexParts:
    """`count` places, their source minted under the hub's `base` IRI (so `source=generated` finds them)."""
    narrower, labels = _themes()
    children = {c for found in narrower.values() for c in found}
    themes = sorted(c for c in labels if c.rsplit("#", 1)[-1].startswith("theme-") and c not in children)
    rng = random.Random(7)  # one generator: seeding one per place would take longer than making the place
    items = sorted((place(index, themes, base, rng) for index in range(count)), key=lambda item: item.iri)
    sources = {f"{base}source/{SOURCE_ID}": {"title": "Generated places", "license": LICENSE, "publisher": "Bench"}}
    return IndexParts(items, sources, narrower, labels)


def places_reader(count: int, base: str) -> Callable[[Published], IndexParts]:
    """What `IndexCache(read=…)` takes: every generation's index holds `count` generated places."""
    def read(_: Published) -> IndexParts:
        return generated_parts(count, base)
    return read
