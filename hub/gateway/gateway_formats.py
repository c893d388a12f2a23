"""One page of a collection in each format the gateway speaks: JSON-LD (pyld), GeoJSON, CSV, iCalendar, Turtle."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pyld import jsonld
from pyoxigraph import NamedNode, Quad, RdfFormat, serialize

from hub.core.namespaces import HUB
from hub.gateway import clusters, item_properties
from hub.gateway.collection_index import CollectionIndex, Item
from hub.gateway.context import context, short_name
from hub.gateway.ics_export import events_from_rows, to_ical
from hub.gateway.product_facts import ProductFacts
from hub.gateway.shapes_wkt import GEO, geojson_geometry
from hub.sparql import queries

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
COMPACTED_CACHE = 50_000  # compacted items kept per generation
RENDERED_CACHE = 100_000  # serialised GeoJSON features kept per generation


@dataclass
class PageView:
    """What every format needs besides the items: where the page is and what comes next."""
    index: CollectionIndex
    items: list[Item]
    total: int
    base: str  # the request's origin and root path, ending with "/"
    self_url: str
    first_url: str
    next_url: str | None
    languages: tuple[str, ...]
    products: bool = False  # the products collection: its CSV has the products' columns
    kinds: tuple[str, ...] = ()  # the collection's kinds: which properties its CSV has columns for
    fields: tuple[str, ...] | None = None  # `fields=`: only these properties (the IRI always), else all
    facets: dict[str, Any] | None = None  # `facets=`: counts under the page's filters (CollectionIndex.facets)


def _wanted(view: PageView, key: str) -> bool:
    """Whether a property (a JSON-LD term, a compact IRI or a GeoJSON key) is one `fields=` asks for."""
    return view.fields is None or key in ("@id", "id") or key in view.fields or key.split(":")[-1] in view.fields


def provenance_link(base: str, iri: str, cluster: bool = False) -> str:
    """`/api/provenance` of an item; of every member of a merged item (`cluster=true`)."""
    return f"{base}api/provenance?subject={quote(iri, safe='')}" + ("&cluster=true" if cluster else "")


def _cluster_properties(item: Item) -> dict[str, Any]:
    """A merged item's members (each with its own values and sources) and the values its sources disagree on."""
    if not item.parts:
        return {}
    return {"sameAs": item.members[1:], "members": clusters.member_values(item), "conflicts": clusters.conflicts(item)}


def _record_refs(item: Item) -> list[dict[str, Any]]:
    return [{"graph": r.graph, "source": r.source, "license": r.license, "changed": r.changed, "run": r.run}
            for r in sorted(item.records, key=lambda r: r.graph)]


def _attribution(view: PageView) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """Every source of the page's items with its name, publisher and licence; licences -> their sources."""
    licenses: dict[str, set[str]] = defaultdict(set)
    used: set[str] = set()
    for item in view.items:
        for record in item.records:
            used.add(record.source)
            if record.license:
                licenses[record.license].add(record.source)
    attribution = []
    for source in sorted(used):
        described = view.index.sources.get(source, {})
        entry: dict[str, Any] = {"source": source, "name": described.get("title"),
                                 "publisher": described.get("publisher")}
        entry["license"] = sorted(lic for lic, sources in licenses.items() if source in sources) or (
            [described["license"]] if "license" in described else [])
        attribution.append(entry)
    return attribution, licenses


# -- GeoJSON ------------------------------------------------------------------------------------------
def _feature(view: PageView, item: Item) -> dict[str, Any]:
    point = item.point
    by_graph = {r.graph: r.source for r in item.records}
    # A line or polygon as stored; its representative point (what bbox and near use) stays in `point`.
    shape = geojson_geometry(item.shape) if item.shape else None
    return {
        "type": "Feature",
        "id": item.iri,
        "geometry": shape or (None if point is None else {"type": "Point", "coordinates": [point[0], point[1]]}),
        "properties": {
            "@id": item.iri,
            "point": None if point is None else [point[0], point[1]],
            "name": item.name(view.languages),
            "names": _names(item),
            "types": sorted(item.types),
            "kinds": sorted(item.kinds),
            "address": item.address or None,
            "url": item.url,
            "keywords": sorted(item.keywords),
            "themes": sorted(item.themes),
            **({"startDate": item.start, "endDate": item.end, "eventStatus": item.status,
                "occurrences": sorted(item.occurrences)} if item.start else {}),
            "verificationStatus": item.verification,
            "updated": item.changed,
            "sources": _record_refs(item),
            "provenance": provenance_link(view.base, item.iri, bool(item.parts)),
            "alternatives": [{"coordinates": [lon, lat], "graph": graph, "source": by_graph.get(graph)}
                             for lon, lat, graph in item.alternatives()],
            **(_product_properties(item.product) if item.product is not None else {}),
            **_cluster_properties(item),
        },
    }


def _full_feature(view: PageView, item: Item) -> dict[str, Any]:
    feature = _feature(view, item)
    properties = feature["properties"]
    # The stored geometry is the feature's geometry: not repeated among the properties.
    others = {p: v for p, v in item.properties.items() if p != GEO + "hasGeometry"}
    for key, values in item_properties.plain(others, view.languages, short_name).items():
        properties.setdefault(key, values)
    if view.fields is not None:
        feature["properties"] = {k: v for k, v in properties.items() if _wanted(view, k)}
    return feature


def _product_properties(product: ProductFacts) -> dict[str, Any]:
    """A product's facts as plain JSON (GeoJSON properties): the geometry is its supplier's."""
    return {
        "suppliedBy": sorted(product.suppliers),
        "categories": sorted(product.categories),
        "certifications": sorted(product.certifications),
        "quantity": None if product.quantity is None else {"value": product.quantity, "unit": product.quantity_unit},
        "offers": [{"price": o.price, "currency": o.currency, "unit": o.unit, "vatRate": o.vat_rate,
                    "stock": o.stock, "sku": o.sku} for o in product.offers],
    }


def geojson(view: PageView) -> bytes:
    features = []
    for item in view.items:
        # A feature is the same for every request of a generation with the same origin and language.
        key = ("geojson", view.base, view.languages, item.iri)
        feature = view.index.rendered.get(key) if view.fields is None else None
        if feature is None:
            feature = json.dumps(_full_feature(view, item), ensure_ascii=False)
            if view.fields is None and len(view.index.rendered) < RENDERED_CACHE:
                view.index.rendered[key] = feature
        features.append(feature)
    attribution, licenses = _attribution(view)
    document: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [],
        "numberMatched": view.total,
        "numberReturned": len(features),
        "generation": view.index.generation,
        "licenses": [{"license": lic, "sources": sorted(srcs)} for lic, srcs in sorted(licenses.items())],
        "attribution": attribution,
        "links": [{"rel": "self", "href": view.self_url}, {"rel": "first", "href": view.first_url}]
        + ([{"rel": "next", "href": view.next_url}] if view.next_url else []),
        **({"facets": view.facets} if view.facets is not None else {}),
    }
    head = json.dumps(document, ensure_ascii=False)
    # Splice the already serialised features into the empty list (its first occurrence: "features" comes first).
    body = head.replace('"features": []', '"features": [' + ", ".join(features) + "]", 1)
    return body.encode("utf-8")


def _names(item: Item) -> dict[str, str]:
    by_language: dict[str, str] = {}
    for language, value in sorted(item.names):
        by_language.setdefault(language or "und", value)
    return by_language


# -- JSON-LD ------------------------------------------------------------------------------------------
ADDRESS_TERMS = {"street": "streetAddress", "postal": "postalCode", "locality": "addressLocality",
                 "country": "addressCountry"}

def _literal(language: str, value: str) -> Any:
    return {"@value": value, "@language": language} if language else value


def _geo(lon: float, lat: float) -> dict[str, Any]:
    return {"@type": "GeoCoordinates", "latitude": repr(lat), "longitude": repr(lon)}


def _node(item: Item, base: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": item.iri,
        "@type": sorted(item.types),
        "name": [_literal(lang, value) for lang, value in sorted(item.names)],
        "sources": sorted({r.source for r in item.records}),
        "license": sorted({r.license for r in item.records if r.license}),
        "records": [{"@id": r.graph, "sources": [r.source], "license": [r.license] if r.license else [],
                     "generatedAtTime": r.changed, **({"wasGeneratedBy": r.run} if r.run else {})}
                    for r in sorted(item.records, key=lambda r: r.graph)],
        "provenance": provenance_link(base, item.iri, bool(item.parts)),
        "dateModified": item.changed,
    }
    if item.parts:
        node["sameAs"] = item.members[1:]
        node["members"] = [{"@id": member["@id"], "sources": member["sources"], "records": member["records"],
                            "name": [_literal(lang, value) for lang, value in member["names"]],
                            **({"address": {"@type": "PostalAddress", **{ADDRESS_TERMS[k]: v for k, v in
                                                                         member["address"].items()}}}
                               if member["address"] else {}),
                            **({"url": member["url"]} if member["url"] else {}),
                            **({"geo": _geo(*member["point"])} if member["point"] else {})}
                           for member in clusters.member_values(item)]
        node["conflicts"] = [{"property": c["property"],
                              "values": [{"text": v["text"], "sources": v["sources"]} for v in c["values"]]}
                             for c in clusters.conflicts(item)]
    if item.descriptions:
        node["description"] = [_literal(lang, value) for lang, value in sorted(item.descriptions)]
    if item.keywords:
        node["keywords"] = sorted(item.keywords)
    if item.themes:
        node["theme"] = sorted(item.themes)
    point = item.point
    if point is not None:
        node["geo"] = _geo(*point)
        alternatives = item.alternatives()
        if alternatives:
            node["alternatives"] = [{**_geo(lon, lat), "records": [graph]} for lon, lat, graph in alternatives]
    if item.address:
        node["address"] = {"@type": "PostalAddress", **{ADDRESS_TERMS[k]: v for k, v in item.address.items()}}
    if item.url:
        node["url"] = item.url
    if item.verification:
        node["verificationStatus"] = item.verification
    if item.start:
        node["startDate"] = item.start
        if item.end:
            node["endDate"] = item.end
        if item.occurrences:
            node["subEvent"] = [{"@type": "Event", "startDate": start} for start in sorted(item.occurrences)]
    if item.status:
        node["eventStatus"] = {"@id": item.status}
    if item.product is not None:
        node.update(_product_node(item.product))
    node.update(item_properties.expanded(item.properties))
    return node


def _product_node(product: ProductFacts) -> dict[str, Any]:
    """A product's facts in schema.org terms (the hub's `suppliedBy`): offers with their price and currency,
    the quantity sold as `size`, the stock as `inventoryLevel`."""
    node: dict[str, Any] = {"suppliedBy": sorted(product.suppliers), "category": sorted(product.categories)}
    if product.certifications:
        node["hasCertification"] = sorted(product.certifications)
    if product.quantity is not None:
        node["size"] = {"@type": "QuantitativeValue", "value": product.quantity,
                        **({"unitCode": {"@id": product.quantity_unit}} if product.quantity_unit else {})}
    offers = []
    for offer in product.offers:
        described: dict[str, Any] = {"@type": "Offer"}
        if offer.price is not None:
            described["price"] = offer.price
        if offer.currency:
            described["priceCurrency"] = offer.currency
        if offer.sku:
            described["sku"] = offer.sku
        if offer.stock is not None:
            described["inventoryLevel"] = {"@type": "QuantitativeValue", "value": offer.stock}
        offers.append(described)
    if offers:
        node["offers"] = offers
    return node


def _compact(node: dict[str, Any]) -> dict[str, Any]:
    # pyld expands against the hub context and compacts back: only terms the context defines survive as
    # short names, and the output is guaranteed to be the JSON-LD the context says it is.
    compacted: dict[str, Any] = jsonld.compact({"@context": context(), **node}, {"@context": context()})
    compacted.pop("@context", None)
    return compacted


def _member(view: PageView, item: Item) -> dict[str, Any]:
    """An item compacted once per generation and origin (pyld takes about a millisecond per item)."""
    key = (view.base, item.iri)
    cached = view.index.compacted.get(key)
    if cached is None:
        cached = _compact(_node(item, view.base))
        if len(view.index.compacted) < COMPACTED_CACHE:
            view.index.compacted[key] = cached
    if view.fields is not None:
        return {k: v for k, v in cached.items() if _wanted(view, k)}
    return cached


def jsonld_document(view: PageView) -> dict[str, Any]:
    attribution, licenses = _attribution(view)
    page_view: dict[str, Any] = {"@id": view.self_url, "@type": "PartialCollectionView", "first": view.first_url}
    if view.next_url:
        page_view["next"] = view.next_url
    envelope = _compact({
        "@id": view.self_url,
        "@type": "Collection",
        "totalItems": view.total,
        "view": page_view,
        "license": sorted(licenses),
        "attribution": [{"@id": entry["source"], "name": [entry["name"]] if entry["name"] else [],
                         **({"publisherName": entry["publisher"]} if entry["publisher"] else {}),
                         "license": entry["license"]} for entry in attribution],
    })
    # Facets are a JSON literal (the context's `facets` term is `@json`): counts, not statements about the items.
    return {"@context": f"{view.base}context.jsonld", **envelope,
            **({"facets": view.facets} if view.facets is not None else {}),
            "member": [_member(view, item) for item in view.items]}


def jsonld_bytes(view: PageView) -> bytes:
    return json.dumps(jsonld_document(view), ensure_ascii=False).encode("utf-8")


# -- CSV ----------------------------------------------------------------------------------------------
CSV_COLUMNS = ["id", "name", "types", "longitude", "latitude", "street", "postal_code", "locality", "url",
               "keywords", "themes", "start", "end", "updated", "sources", "licenses", "provenance", "same_as"]
# The products collection adds what a purchasing group orders by; several offers are separated by "; ", in
# the same order in each column.
PRODUCT_COLUMNS = ["supplied_by", "categories", "certifications", "quantity", "quantity_unit", "price", "currency",
                   "vat_rate", "stock", "sku"]


# What `fields=` names the CSV columns by when they differ from the GeoJSON property (either name selects them).
CSV_FIELDS = {"longitude": "geometry", "latitude": "geometry", "street": "address", "postal_code": "address",
              "locality": "address", "start": "startDate", "end": "endDate", "licenses": "license",
              "same_as": "sameAs"}


def csv_bytes(view: PageView) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    # Every property the collection's items state in this generation has its column (the same on every page).
    extra = [name for name in view.index.property_names(view.kinds) if name not in CSV_COLUMNS]
    columns = CSV_COLUMNS + (PRODUCT_COLUMNS if view.products else []) + extra
    chosen = [i for i, column in enumerate(columns)
              if _wanted(view, column) or (column in CSV_FIELDS and _wanted(view, CSV_FIELDS[column]))]
    writer.writerow([columns[i] for i in chosen])
    for item in view.items:
        point = item.point
        plain = item_properties.plain(item.properties, view.languages, short_name)
        row = [
            item.iri, item.name(view.languages) or "", " ".join(sorted(item.types)),
            "" if point is None else point[0], "" if point is None else point[1],
            item.address.get("street", ""), item.address.get("postal", ""), item.address.get("locality", ""),
            item.url or "", "; ".join(sorted(item.keywords)), " ".join(sorted(item.themes)),
            item.start or "", item.end or "", item.changed,
            " ".join(sorted({r.source for r in item.records})),
            " ".join(sorted({r.license for r in item.records if r.license})),
            provenance_link(view.base, item.iri, bool(item.parts)), " ".join(item.members[1:]),
        ] + (_product_cells(item.product) if view.products else []) + [
            item_properties.cell(plain.get(name, [])) for name in extra]
        writer.writerow([row[i] for i in chosen])
    return out.getvalue().encode("utf-8")


def _product_cells(product: ProductFacts | None) -> list[str]:
    if product is None:
        return [""] * len(PRODUCT_COLUMNS)

    def cell(value: object) -> str:
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    offers = product.offers
    return [" ".join(sorted(product.suppliers)), " ".join(sorted(product.categories)),
            " ".join(sorted(product.certifications)), cell(product.quantity), cell(product.quantity_unit),
            *("; ".join(cell(getattr(o, name)) for o in offers)
              for name in ("price", "currency", "vat_rate", "stock", "sku"))]


# -- Turtle -------------------------------------------------------------------------------------------
def turtle_bytes(view: PageView) -> bytes:
    """The page's record graphs merged, plus each graph's description from the meta graph (its provenance)
    and that of its fetch node (document, fetch time, payload, licence), once per page."""
    store = view.index.published.store
    meta = view.index.minter.meta_graph()
    triples: list[Quad] = []
    fetches: dict[str, NamedNode] = {}
    for item in view.items:
        for record in item.records:
            graph = NamedNode(record.graph)
            triples += [Quad(q.subject, q.predicate, q.object) for q in store.graph_quads(graph)]
            triples.append(Quad(NamedNode(item.iri), NamedNode(HUB + "recordGraph"), graph))
            for q in store.subject_quads(graph, meta):
                triples.append(Quad(q.subject, q.predicate, q.object))
                if q.predicate.value == HUB + "fetch" and isinstance(q.object, NamedNode):
                    fetches[q.object.value] = q.object
    for fetch in sorted(fetches):
        triples += [Quad(q.subject, q.predicate, q.object) for q in store.subject_quads(fetches[fetch], meta)]
    # A merged item's links, as the links graph says them (each traces to its rule, score and evidence).
    links = view.index.minter.links_graph()
    for item in view.items:
        for member in item.members:
            triples += [Quad(q.subject, q.predicate, q.object) for q in store.subject_quads(NamedNode(member), links)
                        if q.predicate.value == OWL_SAME_AS]
    prefixes = {"schema": "https://schema.org/", "hub": HUB, "dcterms": "http://purl.org/dc/terms/",
                "prov": "http://www.w3.org/ns/prov#", "xsd": "http://www.w3.org/2001/XMLSchema#"}
    return serialize(triples, format=RdfFormat.TURTLE, prefixes=prefixes) or b""


# -- iCalendar ----------------------------------------------------------------------------------------
def ics_bytes(view: PageView) -> bytes:
    wanted = [item.iri for item in view.items]
    rows = view.index.published.store.select(queries.render("events", meta=view.index.minter.meta_graph()))
    by_iri = {event.iri: event for event in events_from_rows(rows)}
    for item in view.items:
        event = by_iri.get(item.iri)
        if event is not None:
            # Who says it and under which licence, as the page's JSON answers say it.
            event.licenses = sorted({r.license for r in item.records if r.license})
            event.attribution = [_credit(view.index.sources.get(source, {}), source)
                                 for source in sorted({r.source for r in item.records})]
    return to_ical([by_iri[iri] for iri in wanted if iri in by_iri])


def _credit(described: dict[str, str], source: str) -> str:
    name = described.get("title") or source
    return f"{name} ({described['publisher']})" if described.get("publisher") else name
