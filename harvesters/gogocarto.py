"""GoGoCarto (the platform behind Transiscope and dozens of regional maps of alternatives): the format `gogocarto`.

A source names an instance (`url = "https://carte.example"`, or its `/api/elements.json`). Its document source
reads the instance's taxonomy (`/api/taxonomy.json`), then its elements (`/api/elements.json`) page by page with
`limit` and `page` (harvesters/paging.py; a source's `[source.paging]` table says otherwise, e.g. `bounds` tiles).
Without the taxonomy the elements are not read (their categories would lose their names): the walk stops there
and every published record is kept.

- The taxonomy's categories and options become SKOS concepts of the source's own scheme
  (`{base}id/concept/{source}-{id}`, in `{base}id/scheme/{source}-taxonomy`), each with its name, its place in
  the tree (`skos:broader`, upwards only, so that a record holds its concepts and their ancestors, never the whole
  tree), and `skos:closeMatch` the hub's themes its name means in the theme table (harvesters/themes/gogocarto.toml
  with the source's own laid over it).
- Elements are lifted with the shipped mapping (harvesters/mappings/gogocarto.toml) or the source's own (`mapping`):
  coordinates, address, contacts, opening hours, links, the platform's id as `schema:identifier`, categories'
  names as the hub's themes through the theme table; the options an element fills (`optionValues[*].optionId`,
  `categoriesFull[*].id`) are linked as `dcterms:subject` to the concepts above; what the instance withholds
  ("hidden", "private") is never published; `sourceKey` (GoGoCarto aggregates other maps) becomes an upstream source
  of the record (`prov:wasDerivedFrom`, described with its title: docs/provenance.md).

Written from GoGoCarto's public API description and source code (the JSON it serialises), with no platform's data.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pyoxigraph import Literal, NamedNode, Quad

from harvesters.formats import DocumentContext, Failed, Format, LiftError, LiftResult, looks_like_json
from harvesters.json_mapping import lift_json, read_json, row_of
from harvesters.jsonpath import values_at
from harvesters.mapping import LiftContext, Mapping, load_mapping, shipped_mapping
from harvesters.paging import Fetch, P, Paging, pages

FORMAT = "gogocarto"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SUBJECT = NamedNode("http://purl.org/dc/terms/subject")
# What GoGoCarto's own JavaScript asks: pages of elements, as many as an instance answers at once.
PAGING = Paging(mode="page", page="page", size_param="limit", size=1000, records=("data",))
OPTION_IDS = ("optionValues[*].optionId", "categoriesFull[*].id")
_MARK = re.compile(rb'"ontology"\s*:\s*"gogo')


def api(url: str) -> str:
    """The instance's API root, from its address or any of its API URLs: `https://carte.example/api`."""
    parts = urlsplit(url)
    path = parts.path
    cut = path.find("/api/")
    root = path[:cut] if cut >= 0 else path.rstrip("/")
    return urlunsplit(parts._replace(path=root + "/api", query="", fragment=""))


def documents(url: str, fetch: Fetch[P]) -> Iterator[P | Failed]:
    """The taxonomy, then the elements page by page. A taxonomy that cannot be fetched ends the walk (its error
    is not caught): the elements are not read without their categories' names, and every record stays."""
    root = api(url)
    yield fetch(f"{root}/taxonomy.json")
    yield from pages(f"{root}/elements.json", fetch, fetch.paging or PAGING)


def _is_taxonomy(data: Any) -> bool:
    tree = data if isinstance(data, list) else [data]
    return bool(tree) and all(isinstance(node, dict) and ("options" in node or "subcategories" in node)
                              for node in tree)


def lift(body: bytes, context: DocumentContext) -> LiftResult:
    data = read_json(body, context.document, FORMAT)
    if _is_taxonomy(data):
        return LiftResult.of(taxonomy(data, context))
    mapping = context.mapping or _shipped()
    given = DocumentContext(context.document, context.base_iri, context.source_id, context.mint, context.kind_of,
                            context.language, mapping, context.prepare_jsonld, context.area, context.themes)
    lifted = lift_json(body, given, FORMAT)
    lifted.quads += _options(data, mapping, given)
    return LiftResult.of(lifted.quads, lifted.warnings, lifted.row_errors)


@functools.cache
def _shipped() -> Mapping:
    return load_mapping(shipped_mapping(FORMAT))


def concept(context: DocumentContext, option: Any) -> NamedNode:
    return context.mint("concept", f"{context.source_id}-{option}")


def taxonomy(data: Any, context: DocumentContext) -> list[Quad]:
    """The instance's categories and options as SKOS concepts of the source's own scheme."""
    scheme = context.mint("scheme", f"{context.source_id}-taxonomy")
    quads = [Quad(scheme, RDF_TYPE, NamedNode(SKOS + "ConceptScheme")),
             Quad(scheme, NamedNode(SKOS + "prefLabel"), Literal(f"GoGoCarto taxonomy of {context.source_id}",
                                                                 language="en"))]
    seen: set[str] = set()

    def label(name: str) -> Literal:
        return Literal(name, language=context.language) if context.language else Literal(name)

    def walk(node: dict[str, Any], parent: NamedNode | None, depth: int) -> None:
        if depth > 64 or "id" not in node:  # the JSON is bounded (harvesters/limits.py); so is this walk
            return
        key = str(node["id"])
        me = concept(context, key)
        if key not in seen:
            seen.add(key)
            quads.extend([Quad(me, RDF_TYPE, NamedNode(SKOS + "Concept")),
                          Quad(me, NamedNode(SKOS + "inScheme"), scheme),
                          Quad(me, NamedNode(SKOS + "notation"), Literal(key))])
            name = node.get("name")
            if isinstance(name, str) and name.strip():
                quads.append(Quad(me, NamedNode(SKOS + "prefLabel"), label(name.strip())))
                themes = context.themes.lookup(name) if context.themes is not None else None
                quads.extend(Quad(me, NamedNode(SKOS + "closeMatch"), NamedNode(theme)) for theme in themes or ())
            if parent is not None:
                quads.append(Quad(me, NamedNode(SKOS + "broader"), parent))
        for member in ("options", "subcategories", "suboptions", "categories"):
            for child in node.get(member) or ():
                if isinstance(child, dict):
                    walk(child, me, depth + 1)

    for root in data if isinstance(data, list) else [data]:
        walk(root, None, 0)
    if not seen:
        raise LiftError(context.document, FORMAT, "the taxonomy holds no category or option with an id")
    return quads


def _options(data: Any, mapping: Mapping, context: DocumentContext) -> list[Quad]:
    """Each element's options, linked to the taxonomy's concepts by their ids."""
    rows = LiftContext(context.document, context.source_id, context.mint, context.kind_of, context.language,
                       context.area, context.themes)
    quads: list[Quad] = []
    for table in mapping.tables.values():
        if not table.matches(context.document) or not table.key:
            continue
        for path in table.records or ["data"]:
            for item in values_at(data, path):
                if not isinstance(item, dict):
                    continue
                subject = table.keyed_subject(row_of(item, table), rows)
                if subject is None:
                    continue
                ids = {str(value) for option in OPTION_IDS for value in values_at(item, option)
                       if isinstance(value, str | int) and str(value).strip()}
                quads.extend(Quad(subject, SUBJECT, concept(context, option)) for option in sorted(ids))
    return quads


def _sniff(head: bytes) -> int:
    return 80 if looks_like_json(head) and _MARK.search(head) else 0


GOGOCARTO = Format(FORMAT, lift, mapping="optional", json=True, sniff=_sniff, documents=documents,
                   themes=FORMAT, provenance=True)
