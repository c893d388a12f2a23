"""The gateway's index of one published generation: one item per entity IRI, a spatial grid, folded text.

Built when the server starts or on the first collection request that meets a generation (a big
generation's read in a child process: see `CHILD_READ_BYTES`), from that generation's store, and
kept in memory keyed by generation number (the last few, so a cursor minted on an older generation can
finish its walk on the same snapshot: DESIGN.md, "Indexes are built per generation"). Nothing is written
to disk, so an index can never disagree with the store it was read from.
"""

from __future__ import annotations

import bisect
import datetime as dt
import multiprocessing
import pickle
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.core.closure import transitive_closure
from hub.core.cycles import without_cycle_collector
from hub.core.iris import Minter
from hub.core.namespaces import HUB, RDF, SCHEMA
from hub.core.vocabulary import ClassHierarchy, default_vocabulary
from hub.gateway import clusters, item_properties
from hub.gateway.context import short_name
from hub.gateway.ics_export import parse_when
from hub.gateway.product_facts import ProductFacts, concept_words, read_product
from hub.gateway.shapes_wkt import GEO
from hub.gateway.spatial import PointGrid
from hub.gateway.textsearch import TextIndex, fold, words
from hub.sparql import queries
from hub.store.embedded import ReadOnlyStore
from hub.store.interface import Reader
from hub.store.reader import Published

KEEP_INDEXES = 3
# `facets=`: what an item is counted under for each facet (see `facet_values`); a facet lists its most frequent
# values first, at most FACET_SIZE of them.
FACETS = ("theme", "keyword", "kind", "type", "source", "license", "audience", "verified", "locality", "postal_code",
          "availability")
FACET_SIZE = 100
AUDIENCES = HUB + "audience-"  # the hub:audiences scheme's concepts (vocab/schemes.ttl)
# A generation bigger than this on disk has its index read in a child process: reading 100k records
# takes half a minute of Python, which in a thread of the server would hold the GIL against every
# request (SPARQL answers slowed five-fold while it ran). Below it, a child costs more than it saves.
CHILD_READ_BYTES = 64 << 20
# "relevance" orders by how well an item matches `q=` (the default when `q` is given without a sort).
SORTS = ("id", "name", "updated", "-updated", "relevance")


@dataclass
class RecordRef:
    """One record graph that says something about an item: where each of its values comes from."""
    graph: str
    source: str
    license: str | None
    changed: str
    run: str | None


@dataclass
class Item:
    iri: str
    kinds: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    names: list[tuple[str, str]] = field(default_factory=list)  # (language or "", value)
    descriptions: list[tuple[str, str]] = field(default_factory=list)
    keywords: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)  # concept IRIs (hub:theme, schema:about)
    points: list[tuple[str, float, float, str]] = field(default_factory=list)  # (changed, lon, lat, graph)
    shapes: list[tuple[str, str]] = field(default_factory=list)  # (changed, WKT): lines and polygons as stored
    address: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    verification: str | None = None
    start: str | None = None
    end: str | None = None
    occurrences: list[str] = field(default_factory=list)
    status: str | None = None  # schema:eventStatus
    records: list[RecordRef] = field(default_factory=list)
    text: str = ""
    product: ProductFacts | None = None  # a product's suppliers, categories, quantity and offers
    # A cluster of IRIs the links graph joins (hub/gateway/clusters.py): its member IRIs (this one first) and
    # each member's own item, whose values the answers show side by side. Empty for an item of one IRI.
    members: list[str] = field(default_factory=list)
    parts: list[Item] = field(default_factory=list)
    # Every other property its records state (hub/gateway/item_properties.py): e-mail, opening hours, cost…
    properties: item_properties.Properties = field(default_factory=dict)

    @property
    def changed(self) -> str:
        return max(r.changed for r in self.records)

    @property
    def point(self) -> tuple[float, float] | None:
        """The geometry of the most recently changed record that has one (sources may disagree)."""
        if not self.points:
            return None
        _, lon, lat, _ = max(self.points)
        return lon, lat

    @property
    def shape(self) -> str | None:
        """The stored geometry (WKT) of the most recently changed record that has one, else None (a point)."""
        return max(self.shapes)[1] if self.shapes else None

    def alternatives(self) -> list[tuple[float, float, str]]:
        """The other sources' points, when they differ from the chosen one."""
        chosen = self.point
        seen: set[tuple[float, float]] = set()
        found = []
        for _, lon, lat, graph in sorted(self.points, reverse=True):
            if (lon, lat) != chosen and (lon, lat) not in seen:
                seen.add((lon, lat))
                found.append((lon, lat, graph))
        return found

    def name(self, languages: Iterable[str]) -> str | None:
        by_language: dict[str, str] = {}
        for language, value in sorted(self.names):
            by_language.setdefault(language, value)
        for language in (*languages, "fr", "nl", "en", ""):
            if language in by_language:
                return by_language[language]
        return next(iter(by_language.values()), None)

    def sort_value(self, sort: str) -> str:
        if sort == "name":
            return fold(self.name(()) or "")
        if sort in ("updated", "-updated"):
            return self.changed
        return ""


@dataclass
class Filters:
    kinds: tuple[str, ...]
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None  # lon, lat, radius in metres
    themes: tuple[str, ...] = ()
    q: list[str] | None = None
    types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    verified: bool | None = None
    updated_since: dt.datetime | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    enterprises: tuple[str, ...] = ()  # products supplied by any of these (IRIs)
    categories: tuple[str, ...] = ()  # products of any of these categories (concept IRIs or labels)
    audiences: tuple[str, ...] = ()  # hub:audience concepts (IRIs or labels), narrower ones included
    costs: tuple[str, ...] = ()  # words of hub:costOfServices ("gratuit"), any language
    days: tuple[str, ...] = ()  # schema.org day names the opening hours (availability) include


@dataclass
class Page:
    items: list[Item]
    total: int
    next_key: tuple[str, str] | None  # (sort value, IRI) of the last item, when more follow


@dataclass
class IndexParts:
    """What an index reads from its generation's store. Plain data, so that a big generation's can be
    read in a child process (see `IndexCache`) and handed over pickled."""

    items: list[Item]  # sorted by IRI, each with its folded text
    sources: dict[str, dict[str, str]]  # source IRI -> title, license, publisher
    narrower: dict[str, set[str]]  # theme concept -> its narrower concepts
    labels: dict[str, set[str]]  # theme concept -> its folded labels


GRAPHS_READ_TOGETHER = 1000


def read_parts(store: Reader, minter: Minter) -> IndexParts:
    """Every item of a generation (from its record graphs), the sources' attribution and the themes."""
    rows = store.select(queries.render("record-graphs", meta=minter.meta_graph()))
    hierarchy = default_vocabulary().hierarchy
    by_iri: dict[str, Item] = {}
    graphs: dict[str, list[Quad]] = {}
    for number, row in enumerate(rows):
        if number % GRAPHS_READ_TOGETHER == 0:
            # A thousand record graphs read together: one request on a SPARQL server, not one per record
            # (docs/stores.md), and no more of them in memory at once.
            chunk = rows[number:number + GRAPHS_READ_TOGETHER]
            graphs = store.graphs_quads(list({r["g"].value: NamedNode(r["g"].value) for r in chunk}.values()))
        subject = row["s"].value
        item = by_iri.setdefault(subject, Item(subject))
        ref = RecordRef(row["g"].value, row["source"].value, _value(row.get("license")),
                        row["changed"].value, _value(row.get("run")))
        item.records.append(ref)
        quads = graphs[ref.graph]
        # The record's kind, from its types as the split found it (the description does not repeat it).
        kind = hierarchy.kind_of(q.object.value for q in quads if q.predicate.value == RDF + "type"
                                 and isinstance(q.subject, NamedNode) and q.subject.value == subject
                                 and isinstance(q.object, NamedNode))
        if kind is not None:
            item.kinds.add(kind)
        _read_record(item, ref, quads, product=kind == "product")
    # The hub computes verification itself (two recommendations…), possibly in a graph of its own.
    for row in store.select(queries.load("verification-status")):
        if row["s"].value in by_iri and isinstance(row["status"], NamedNode | Literal):
            by_iri[row["s"].value].verification = row["status"].value
    # IRIs of one alternative the links graph joins are one item (its canonical IRI), their values kept per member.
    merged = clusters.merge(list(by_iri.values()), clusters.same_as_pairs(store, minter.links_graph()), minter.base)
    items = sorted(merged, key=lambda item: item.iri)
    _locate_products(items, by_iri)
    sources: dict[str, dict[str, str]] = {}
    for row in store.select(queries.load("source-attribution")):
        sources.setdefault(row["source"].value, {
            "title": row["title"].value,
            **({"license": row["license"].value} if "license" in row else {}),
            **({"publisher": (row.get("publisherName") or row["publisher"]).value}
               if "publisher" in row else {}),
        })
    narrower: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, set[str]] = defaultdict(set)
    for row in store.select(queries.load("theme-hierarchy")):
        if "broader" in row:
            narrower[row["broader"].value].add(row["narrower"].value)
        else:
            labels[row["concept"].value].add(fold(row["label"].value))
    for item in items:
        # A product is found by its categories' names too ("tomate" finds the products typed as tomatoes).
        concepts = sorted(item.product.categories | item.product.certifications) if item.product else []
        item.text = fold(" ".join([v for _, v in item.names] + [v for _, v in item.descriptions]
                                  + sorted(item.keywords) + list(item.address.values())
                                  + [concept_words(c) for c in concepts]
                                  + [label for c in concepts for label in sorted(labels.get(c, ()))]))
    return IndexParts(items, sources, dict(narrower), dict(labels))


def _locate_products(items: list[Item], by_iri: dict[str, Item]) -> None:
    """A product lies where its supplier does: `bbox` and `near` find products through their enterprise's
    coordinates (a product record has none of its own)."""
    for item in items:
        if item.product is None or item.points:
            continue
        for supplier in sorted(item.product.suppliers):
            enterprise = by_iri.get(supplier)
            if enterprise is not None:
                item.points += enterprise.points


def read_generation_parts(path: str, base_iri: str) -> bytes:
    """`read_parts` of a generation opened here, pickled (what the child process runs): the server
    unpickles it itself, with the cycle collector off."""
    return pickle.dumps(read_parts(ReadOnlyStore(Path(path)), Minter(base_iri)), protocol=pickle.HIGHEST_PROTOCOL)


class CollectionIndex:
    def __init__(self, published: Published, minter: Minter, hierarchy: ClassHierarchy,
                 parts: IndexParts | None = None) -> None:
        """An index of `published`, from the parts read from it (read here when not given)."""
        self.published = published
        self.generation = published.generation.number
        self.minter = minter
        self.hierarchy = hierarchy
        self._orders: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
        self._member_sets: dict[tuple[str, ...], set[int]] = {}
        self._names: dict[tuple[str, str], list[str]] = {}
        self._themes_used: tuple[set[str], set[str]] | None = None
        self._facet_values: dict[str, list[tuple[str, ...]]] = {}
        self._facet_cache: dict[tuple[str, str], list[tuple[str, int]]] = {}
        self.compacted: dict[tuple[str, str], dict[str, Any]] = {}  # (origin, IRI) -> JSON-LD, filled by the API
        self.rendered: dict[tuple[str, str, tuple[str, ...], str], str] = {}  # GeoJSON features, idem
        parts = parts or read_parts(published.store, minter)
        self.items: list[Item] = parts.items
        self.sources = parts.sources
        self._narrower: dict[str, set[str]] = defaultdict(set, parts.narrower)
        self._labels: dict[str, set[str]] = defaultdict(set, parts.labels)
        self._by_kind: dict[str, list[int]] = defaultdict(list)
        # Products' concepts by the words of their local names, for `category=` given as a label.
        self._concepts_by_words: dict[str, set[str]] = defaultdict(set)
        self.grid = PointGrid()
        self.position_of: dict[str, int] = {}  # every IRI an item answers for (a cluster's members too)
        for position, item in enumerate(self.items):
            for kind in item.kinds:
                self._by_kind[kind].append(position)
            for concept in (item.product.categories | item.product.certifications) if item.product else ():
                self._concepts_by_words[concept_words(concept)].add(concept)
            # A cluster is found by any of its members' points: a box around one source's pin finds it (the
            # chosen point last: `near` measures from it).
            point = item.point
            for lon, lat, _ in item.alternatives():
                self.grid.add(lon, lat, position)
            if point is not None:
                self.grid.add(point[0], point[1], position)
            for iri in item.members or [item.iri]:
                self.position_of[iri] = position
        # Substring search over names and the rest (the text already holds the names: a name counts in both).
        self._texts = [item.text for item in self.items]  # by position, for words too short for trigrams
        self.text = TextIndex((p, " ".join(v for _, v in item.names), item.text) for p, item in enumerate(self.items))

    # -- themes -----------------------------------------------------------------------------------
    def expand_theme(self, theme: str) -> tuple[set[str], set[str]]:
        """A concept and everything narrower (transitively), as IRIs and folded labels/keywords."""
        iris = transitive_closure(theme, lambda concept: self._narrower.get(concept, ()))
        labels = {fold(theme)}
        for iri in iris:
            labels |= self._labels.get(iri, set())
        return iris, labels

    def knows_theme(self, theme: str) -> bool:
        """Whether `theme=` names something of this generation: a concept (of any scheme the store holds, or one
        an item uses), a concept's label, or an item's keyword (accents and case ignored)."""
        if theme.startswith(("http://", "https://")):
            return theme in self._labels or theme in self._narrower or theme in self._used_themes()[0]
        folded = fold(theme)
        return folded in self._used_themes()[1] or any(folded in labels for labels in self._labels.values())

    def theme_names(self) -> set[str]:
        """What a misspelt `theme=` may have meant: the concepts' labels and the items' keywords."""
        return {label for labels in self._labels.values() for label in labels} | self._used_themes()[1]

    def _used_themes(self) -> tuple[set[str], set[str]]:
        if self._themes_used is None:
            self._themes_used = ({t for item in self.items for t in item.themes},
                                 {fold(k) for item in self.items for k in item.keywords})
        return self._themes_used

    def audience_concepts(self, audience: str) -> set[str]:
        """The hub:audiences concepts an `audience=` value means (an IRI, `audience:local`, the local name after
        `audience-`, or a label in any language), each with its narrower concepts; empty when none."""
        if audience.startswith(("http://", "https://")):
            named = {audience}
        else:
            local = audience.removeprefix("audience:")
            wanted = fold(local)
            named = {concept for concept in self.audience_names()
                     if concept == AUDIENCES + local or wanted in self._labels.get(concept, ())}
        found: set[str] = set()
        for concept in named:
            found |= transitive_closure(concept, lambda c: self._narrower.get(c, ()))
        return found

    def audience_names(self) -> set[str]:
        """Every audience concept the generation knows (the hub:audiences scheme's, by their IRIs)."""
        return {c for c in set(self._labels) | set(self._narrower) if c.startswith(AUDIENCES)}

    def theme_concepts(self) -> set[str]:
        """Every concept of the generation's schemes that has a label or a narrower concept."""
        return set(self._labels) | set(self._narrower)

    def narrower_of(self, concept: str) -> set[str]:
        """The concepts directly narrower than `concept`."""
        return set(self._narrower.get(concept, ()))

    def category_concepts(self, category: str) -> set[str]:
        """The concepts a `category=` value means, each with its narrower concepts: a concept IRI, or a label
        (a SKOS label the hub holds, or a concept's local name as words: "round tomato", "organic ab")."""
        if category.startswith(("http://", "https://")):
            named = {category}
        else:
            wanted = " ".join(words(category))
            named = set(self._concepts_by_words.get(wanted, set()))
            named |= {concept for concept, labels in self._labels.items()
                      if fold(category) in labels or wanted in {" ".join(words(label)) for label in labels}}
        found: set[str] = set()
        for concept in named:
            found |= transitive_closure(concept, lambda c: self._narrower.get(c, ()))
        return found

    # -- querying ---------------------------------------------------------------------------------
    def query(self, filters: Filters, sort: str, after: tuple[str, str] | None, limit: int) -> Page:
        positions, scores = self.candidates(filters)
        if positions is not None:
            # The spatial or text index already cut the candidates down: order only those.
            chosen = sorted(self._key(p, sort, scores) for p in positions)
            start = bisect.bisect_right(chosen, (*after, len(self.items))) if after else 0
            total = len(chosen)
            window = chosen[start:start + limit + 1]
        else:
            check = self._predicate(filters)
            order = self._order(filters.kinds, sort)
            # No filter at all: the ordered list itself, cut by bisection, without a pass over it.
            all_matching = order if check is None else [entry for entry in order if check(self.items[entry[2]])]
            total = len(all_matching)
            start = bisect.bisect_right(all_matching, (*after, len(self.items))) if after else 0
            window = all_matching[start:start + limit + 1]
        more = len(window) > limit
        window = window[:limit]
        next_key = (window[-1][0], window[-1][1]) if more and window else None
        return Page([self.items[entry[2]] for entry in window], total, next_key)

    def candidates(self, filters: Filters) -> tuple[set[int] | None, dict[int, float]]:
        """The positions matching every filter when an index (spatial, text) narrows them, else None (then the
        caller walks the kind's ordered list); and the text relevance of each, when `q` is given."""
        spatial: set[int] | None = None
        if filters.bbox is not None:
            spatial = self.grid.within(*filters.bbox)
        if filters.near is not None:
            around = self.grid.near(*filters.near)
            spatial = around if spatial is None else spatial & around
        scores: dict[int, float] = {}
        if filters.q:
            scores = self.text.search(filters.q, self._texts)
            spatial = set(scores) if spatial is None else spatial & set(scores)
        if spatial is None:
            return None, scores
        members = self._members(filters.kinds)
        check = self._predicate(filters)
        return {p for p in spatial if p in members and (check is None or check(self.items[p]))}, scores

    # -- facets -----------------------------------------------------------------------------------------
    def facets(self, filters: Filters, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """How many of the items matching every filter have each value of each facet (as Datasette counts under
        the current filters): `{"theme": {"results": [{"value", "count"}…], "truncated": bool}}`, most frequent
        first, ties by value. Each facet's values are computed once per generation; with no filter, its counts
        too."""
        names = list(names)
        positions: Iterable[int] | None = None
        unfiltered = _unfiltered(filters)
        found: dict[str, dict[str, Any]] = {}
        for name in names:
            key = ("|".join(filters.kinds), name)
            counts = self._facet_cache.get(key) if unfiltered else None
            if counts is None:
                if positions is None:
                    positions = self.matching(filters)
                values = self.facet_values(name)
                counter: Counter[str] = Counter()
                for position in positions:
                    counter.update(values[position])
                counts = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
                if unfiltered:
                    self._facet_cache[key] = counts
            found[name] = {"results": [{"value": value, "count": count} for value, count in counts[:FACET_SIZE]],
                           "truncated": len(counts) > FACET_SIZE}
        return found

    def matching(self, filters: Filters) -> list[int]:
        """Every position matching the filters, in no particular order."""
        positions, _ = self.candidates(filters)
        if positions is not None:
            return list(positions)
        check = self._predicate(filters)
        members = self._members(filters.kinds)
        return list(members) if check is None else [p for p in members if check(self.items[p])]

    def facet_values(self, name: str) -> list[tuple[str, ...]]:
        """Each item's values for a facet, by position (read once per generation)."""
        values = self._facet_values.get(name)
        if values is None:
            read = _FACET_READERS[name]
            values = [tuple(sorted(set(read(item)))) for item in self.items]
            self._facet_values[name] = values
        return values

    def property_names(self, kinds: tuple[str, ...]) -> list[str]:
        """The short names of every other property the items of these kinds state (their CSV columns)."""
        key = ("properties", "|".join(kinds))
        if key not in self._names:
            self._names[key] = sorted({short_name(p) for position in self._members(kinds)
                                       for p in self.items[position].properties})
        return self._names[key]

    def _members(self, kinds: tuple[str, ...]) -> set[int]:
        members = self._member_sets.get(kinds)
        if members is None:
            members = {p for kind in kinds for p in self._by_kind.get(kind, ())}
            self._member_sets[kinds] = members
        return members

    def _key(self, position: int, sort: str, scores: dict[int, float] | None = None) -> tuple[str, str, int]:
        item = self.items[position]
        if sort == "relevance":
            # Best first, as text that sorts ascending (a cursor carries it); ties by IRI.
            return f"{max(0.0, 1e9 - (scores or {}).get(position, 0.0)):020.6f}", item.iri, position
        value = item.sort_value(sort)
        if sort == "-updated":
            value = _descending(value)
        return value, item.iri, position

    def _order(self, kinds: tuple[str, ...], sort: str) -> list[tuple[str, str, int]]:
        key = ("|".join(kinds), sort)
        if key not in self._orders:
            self._orders[key] = sorted(self._key(p, sort) for p in self._members(kinds))
        return self._orders[key]

    def _predicate(self, filters: Filters) -> Callable[[Item], bool] | None:
        """One test for every filter but the spatial ones, or None when there is none."""
        tests: list[Callable[[Item], bool]] = []
        if filters.themes:
            wanted_iris: set[str] = set()
            wanted_labels: set[str] = set()
            for theme in filters.themes:
                iris, labels = self.expand_theme(theme)
                wanted_iris |= iris
                wanted_labels |= labels
            tests.append(lambda item: bool(item.themes & wanted_iris)
                         or any(fold(k) in wanted_labels for k in item.keywords))
        if filters.types:
            wanted_types = set(filters.types)
            tests.append(lambda item: any(self.hierarchy.superclasses(t) & wanted_types for t in item.types))
        if filters.sources:
            wanted_sources = set(filters.sources)
            tests.append(lambda item: any(r.source in wanted_sources for r in item.records))
        if filters.verified is not None:
            wanted = filters.verified
            tests.append(lambda item: _is_verified(item.verification) == wanted)
        if filters.updated_since is not None:
            since = filters.updated_since
            tests.append(lambda item: _moment(item.changed) >= since)
        if filters.start is not None or filters.end is not None:
            start, end = filters.start, filters.end
            tests.append(lambda item: _happens_between(item, start, end))
        if filters.enterprises:
            enterprises = set(filters.enterprises)
            tests.append(lambda item: item.product is not None and bool(item.product.suppliers & enterprises))
        if filters.categories:
            concepts = {c for category in filters.categories for c in self.category_concepts(category)}
            tests.append(lambda item: item.product is not None
                         and bool((item.product.categories | item.product.certifications) & concepts))
        if filters.audiences:
            audiences: set[str] = set()
            for audience in filters.audiences:
                audiences |= self.audience_concepts(audience)
            tests.append(lambda item: bool(item_properties.iris(item.properties, item_properties.AUDIENCE)
                                           & audiences))
        if filters.costs:
            costs = [fold(cost) for cost in filters.costs]
            tests.append(lambda item: any(cost in fold(text) for cost in costs
                                          for text in item_properties.texts(item.properties, item_properties.COST)))
        if filters.days:
            wanted_days = set(filters.days)
            tests.append(lambda item: bool(item_properties.days(item.properties) & wanted_days))
        if not tests:
            return None
        return lambda item: all(test(item) for test in tests)


_FACET_READERS: dict[str, Callable[[Item], Iterable[str]]] = {
    "theme": lambda item: item.themes,
    "keyword": lambda item: item.keywords,
    "kind": lambda item: item.kinds,
    "type": lambda item: item.types,
    "source": lambda item: (r.source for r in item.records),
    "license": lambda item: (r.license for r in item.records if r.license),
    "audience": lambda item: item_properties.iris(item.properties, item_properties.AUDIENCE),
    "verified": lambda item: ("true" if _is_verified(item.verification) else "false",),
    "locality": lambda item: [item.address["locality"]] if "locality" in item.address else [],
    "postal_code": lambda item: [item.address["postal"]] if "postal" in item.address else [],
    "availability": lambda item: item_properties.days(item.properties),
}


def _unfiltered(filters: Filters) -> bool:
    """Whether the filters name nothing but the collection's kinds."""
    return not any(value for name, value in vars(filters).items() if name != "kinds")


def _read_record(item: Item, ref: RecordRef, quads: list[Quad], product: bool = False) -> None:
    """Reads the fields the gateway shows from one record graph's quads."""
    by_subject: dict[Any, list[Quad]] = defaultdict(list)
    for quad in quads:
        by_subject[quad.subject].append(quad)
    subject = NamedNode(item.iri)

    def objects(node: Any, predicate: str) -> list[Any]:
        return [q.object for q in by_subject.get(node, ()) if q.predicate.value == predicate]

    if product:
        def subjects(predicate: str, node: Any) -> list[Any]:
            return [q.subject for q in quads if q.predicate.value == predicate and q.object == node]

        _merge_product(item, read_product(subject, objects, subjects))
    else:  # a product's facts are its own fields (product_facts.py)
        item_properties.merge(item.properties, item_properties.read(
            subject, lambda node: [(q.predicate.value, q.object) for q in by_subject.get(node, ())]))

    for quad in by_subject.get(subject, ()):
        predicate, obj = quad.predicate.value, quad.object
        if predicate == RDF + "type" and isinstance(obj, NamedNode):
            item.types.add(obj.value)
        elif predicate == SCHEMA + "name" and isinstance(obj, Literal):
            if (obj.language or "", obj.value) not in item.names:
                item.names.append((obj.language or "", obj.value))
        elif predicate == SCHEMA + "description" and isinstance(obj, Literal):
            item.descriptions.append((obj.language or "", obj.value))
        elif predicate in (SCHEMA + "keywords", HUB + "theme", SCHEMA + "about"):
            if isinstance(obj, Literal):
                item.keywords.update(k.strip() for k in obj.value.split(",") if k.strip())
            elif isinstance(obj, NamedNode):
                item.themes.add(obj.value)
        elif predicate == SCHEMA + "url" and item.url is None and isinstance(obj, NamedNode | Literal):
            item.url = obj.value
        elif predicate == HUB + "verificationStatus" and isinstance(obj, NamedNode | Literal):
            item.verification = obj.value
        elif predicate == SCHEMA + "eventStatus" and isinstance(obj, NamedNode):
            item.status = obj.value
        elif predicate == SCHEMA + "startDate" and isinstance(obj, Literal):
            item.start = obj.value
        elif predicate == SCHEMA + "endDate" and isinstance(obj, Literal):
            item.end = obj.value
    for sub in objects(subject, SCHEMA + "subEvent"):
        item.occurrences += [o.value for o in objects(sub, SCHEMA + "startDate")]
    # Coordinates on the subject, its schema:geo, or its schema:location's geo (events).
    holders = [subject, *objects(subject, SCHEMA + "location")]
    for holder in holders:
        for node in [holder, *objects(holder, SCHEMA + "geo")]:
            lat, lon = objects(node, SCHEMA + "latitude"), objects(node, SCHEMA + "longitude")
            if lat and lon:
                try:
                    item.points.append((ref.changed, float(lon[0].value), float(lat[0].value), ref.graph))
                except ValueError:
                    pass
                break
        else:
            continue
        break
    for geometry in objects(subject, GEO + "hasGeometry"):
        for wkt in objects(geometry, GEO + "asWKT"):
            if isinstance(wkt, Literal):
                item.shapes.append((ref.changed, wkt.value))
    for holder in holders:
        for address in objects(holder, SCHEMA + "address"):
            if isinstance(address, BlankNode | NamedNode):
                for key, predicate in (("street", "streetAddress"), ("postal", "postalCode"),
                                       ("locality", "addressLocality"), ("country", "addressCountry")):
                    found = objects(address, SCHEMA + predicate)
                    if found and key not in item.address:
                        item.address[key] = found[0].value
            elif isinstance(address, Literal) and "street" not in item.address:
                item.address["street"] = address.value


def _merge_product(item: Item, facts: ProductFacts) -> None:
    """One product described by several records (sources): their facts together."""
    if item.product is None:
        item.product = facts
        return
    item.product.suppliers |= facts.suppliers
    item.product.categories |= facts.categories
    item.product.certifications |= facts.certifications
    item.product.offers += facts.offers
    if item.product.quantity is None:
        item.product.quantity, item.product.quantity_unit = facts.quantity, facts.quantity_unit


def _value(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _descending(value: str) -> str:
    # Timestamps sort as text; inverting each character orders them newest first, still as text.
    return "".join(chr(0x10FFFF - ord(c)) for c in value)


def _moment(value: str) -> dt.datetime:
    when = parse_when(value)
    if isinstance(when, dt.datetime):
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(when, dt.time(), tzinfo=dt.UTC)


def _happens_between(item: Item, start: dt.datetime | None, end: dt.datetime | None) -> bool:
    """Like the agenda's overlap test: the event or one of its occurrences starts in [start, end)."""
    if item.start is None:
        return False
    for value in [item.start, *item.occurrences]:
        try:
            moment = _moment(value)
        except ValueError:
            continue
        if (start is None or moment >= start) and (end is None or moment < end):
            return True
    return False


def _is_verified(status: str | None) -> bool:
    """hub:verificationStatus holds a concept or a literal; its last segment says "verified" or not."""
    if status is None:
        return False
    return status.rsplit("#", 1)[-1].rsplit("/", 1)[-1].casefold() == "verified"


class IndexCache:
    """The indexes of the last few generations, each built once, in a background thread (which waits for
    a child process that reads a big generation).

    While the newest generation's index is being built (tens of seconds at 100k records), requests are
    answered from the newest index already built, which names its own generation in every answer, rather
    than made to wait; a request waits only when no index exists yet, or for up to `patience` seconds
    (so a small store, built in milliseconds, is always answered from its newest generation).
    """

    def __init__(self, minter: Minter, patience: float = 2.0,
                 read: Callable[[Published], IndexParts] | None = None) -> None:
        """`read` replaces the reading of a generation's parts (a bench or test of 100k generated places
        builds its index without harvesting them first)."""
        self.minter = minter
        self.patience = patience
        self._read = read
        self._indexes: dict[int, CollectionIndex] = {}
        self._building: dict[int, threading.Event] = {}
        self._errors: dict[int, BaseException] = {}
        self._lock = threading.Lock()

    def warm(self, published: Published) -> None:
        """Starts building a generation's index without waiting for it (at server start)."""
        with self._lock:
            self._start(published)

    def _start(self, published: Published) -> threading.Event:
        number = published.generation.number
        done = self._building.get(number)
        if done is None:
            done = threading.Event()
            if number in self._indexes:
                done.set()
                return done
            self._building[number] = done
            threading.Thread(target=self._build, args=(published, done), daemon=True, name=f"index-{number}").start()
        return done

    def get(self, published: Published) -> CollectionIndex:
        number = published.generation.number
        with self._lock:
            index = self._indexes.get(number)
            if index is not None:
                return index
            done = self._start(published)
            fallback = max(self._indexes) if self._indexes else None
        if fallback is None:
            done.wait()
        else:
            done.wait(self.patience)
        with self._lock:
            error = self._errors.pop(number, None)
            if error is not None:
                raise error
            if number in self._indexes:
                return self._indexes[number]
            assert fallback is not None
            return self._indexes[fallback]

    def _build(self, published: Published, done: threading.Event) -> None:
        number = published.generation.number
        try:
            parts = None if self._read is None else self._read(published)
            # A server's version is read here, through its protocol; a large generation in a child.
            path = published.generation.path
            if parts is None and path is not None and _bytes_on_disk(path) >= CHILD_READ_BYTES:
                try:
                    parts = _read_in_child(published, self.minter)
                except (OSError, BrokenProcessPool):  # no child to be had (or it died): read here, slower
                    parts = None
            index = CollectionIndex(published, self.minter, default_vocabulary().hierarchy, parts)
        except BaseException as error:  # handed to the waiting request, never lost in the thread
            with self._lock:
                self._errors[number] = error
                del self._building[number]
            done.set()
            return
        with self._lock:
            self._indexes[number] = index
            del self._building[number]
            for old in sorted(self._indexes)[:-KEEP_INDEXES]:
                del self._indexes[old]
        done.set()

    def cached(self, number: int) -> CollectionIndex | None:
        with self._lock:
            return self._indexes.get(number)


def _read_in_child(published: Published, minter: Minter) -> IndexParts:
    """`read_parts` in a child process (forkserver, like the query workers: the server has threads)."""
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        pickled = pool.submit(read_generation_parts, str(published.generation.path), minter.base).result()
    # Unpickling holds the GIL against the server's requests: 1 s at 100k items, 5 s with the collector on.
    with without_cycle_collector():
        parts: IndexParts = pickle.loads(pickled)
    return parts


def _bytes_on_disk(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())


def query_words(text: str) -> list[str]:
    return words(text)
