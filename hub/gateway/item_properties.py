"""Every other property a record states about its subject, kept whole for the gateway's items.

The collection index reads a few fields it filters and sorts on (names, points, address, themes…); everything
else the charter lets a record say (a place's e-mail, telephone and opening hours, a practitioner's experience,
cost, audiences and availability, a grant's deadline, eligibility and funder, a room's capacity…) is kept here as
it was stated, nested nodes (opening hours, contact points, consents) included, so that items are complete in every
format: JSON-LD (expanded, then compacted with the hub's context), GeoJSON properties and CSV columns (plain values,
langStrings in the request's language).

Values are plain tuples (picklable: a big generation's index is read in a child process):
`("literal", value, language, datatype)`, `("iri", value)` or `("node", iri or "", types, properties)` where
`properties` is a tuple of `(predicate, values)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pyoxigraph import Literal, NamedNode

from hub.core.namespaces import DCTERMS, HUB, PROV, RDF, SCHEMA, XSD
from hub.gateway.textsearch import fold

Value = tuple[Any, ...]
Properties = dict[str, list[Value]]
MAX_DEPTH = 3  # nested nodes read below the subject (opening hours, their days): deeper is not an item's business
# Read into the item's own fields (collection_index.py), or said by the gateway itself about the item (its
# sources, licences, record graphs, provenance, links): never repeated as "other" properties.
HANDLED = frozenset({
    RDF + "type", SCHEMA + "name", SCHEMA + "description", SCHEMA + "keywords", HUB + "theme", SCHEMA + "about",
    SCHEMA + "url", SCHEMA + "geo", SCHEMA + "latitude", SCHEMA + "longitude", SCHEMA + "address",
    SCHEMA + "startDate", SCHEMA + "endDate", SCHEMA + "eventStatus", SCHEMA + "subEvent",
    HUB + "verificationStatus", DCTERMS + "source", DCTERMS + "license", HUB + "recordGraph", HUB + "provenance",
    PROV + "generatedAtTime", PROV + "wasGeneratedBy", "http://www.w3.org/2002/07/owl#sameAs",
})
AUDIENCE = HUB + "audience"
COST = HUB + "costOfServices"
HOURS = SCHEMA + "openingHoursSpecification"
DAY = SCHEMA + "dayOfWeek"
# Days as `availability=` takes them: schema.org's names (the values of schema:dayOfWeek), French and Dutch.
DAYS = {
    "monday": "Monday", "lundi": "Monday", "maandag": "Monday",
    "tuesday": "Tuesday", "mardi": "Tuesday", "dinsdag": "Tuesday",
    "wednesday": "Wednesday", "mercredi": "Wednesday", "woensdag": "Wednesday",
    "thursday": "Thursday", "jeudi": "Thursday", "donderdag": "Thursday",
    "friday": "Friday", "vendredi": "Friday", "vrijdag": "Friday",
    "saturday": "Saturday", "samedi": "Saturday", "zaterdag": "Saturday",
    "sunday": "Sunday", "dimanche": "Sunday", "zondag": "Sunday",
}
_NUMBERS: dict[str, Callable[[str], Any]] = {
    XSD + "integer": int, XSD + "int": int, XSD + "long": int, XSD + "nonNegativeInteger": int,
    XSD + "positiveInteger": int, XSD + "decimal": float, XSD + "double": float, XSD + "float": float,
}


def read(subject: Any, objects_of: Callable[[Any], list[tuple[str, Any]]]) -> Properties:
    """The subject's properties but the handled ones; `objects_of(node)` gives a node's (predicate, object) pairs
    in the record graph (a blank node or an IRI described there is read as a nested node)."""
    found: Properties = {}
    for predicate, obj in objects_of(subject):
        if predicate in HANDLED:
            continue
        found.setdefault(predicate, []).append(_value(obj, objects_of, 1, {subject}))
    return found


def _value(obj: Any, objects_of: Callable[[Any], list[tuple[str, Any]]], depth: int, seen: set[Any]) -> Value:
    if isinstance(obj, Literal):
        return ("literal", obj.value, obj.language or "", obj.datatype.value if not obj.language else "")
    pairs = objects_of(obj) if depth <= MAX_DEPTH and obj not in seen else []
    if not pairs:
        return ("iri", obj.value) if isinstance(obj, NamedNode) else ("node", "", (), ())
    types = tuple(sorted(o.value for p, o in pairs if p == RDF + "type" and isinstance(o, NamedNode)))
    nested: dict[str, list[Value]] = {}
    for predicate, value in pairs:
        if predicate != RDF + "type":
            nested.setdefault(predicate, []).append(_value(value, objects_of, depth + 1, seen | {obj}))
    return ("node", obj.value if isinstance(obj, NamedNode) else "", types,
            tuple(sorted((p, tuple(sorted(set(v)))) for p, v in nested.items())))


def merge(into: Properties, other: Properties) -> None:
    """Another record's (or a cluster member's) properties added, each value once."""
    for predicate, values in other.items():
        kept = into.setdefault(predicate, [])
        kept += [value for value in values if value not in kept]


# -- filters ------------------------------------------------------------------------------------------
def iris(properties: Properties, predicate: str) -> set[str]:
    return {value[1] for value in properties.get(predicate, ()) if value[0] == "iri"}


def texts(properties: Properties, predicate: str) -> list[str]:
    return [value[1] for value in properties.get(predicate, ()) if value[0] == "literal"]


def days(properties: Properties) -> set[str]:
    """The days of the week the opening hours (availability) name, as schema.org's local names."""
    found: set[str] = set()
    for node in properties.get(HOURS, ()):
        if node[0] != "node":
            continue
        for predicate, values in node[3]:
            if predicate == DAY:
                found |= {v[1].rsplit("/", 1)[-1] for v in values if v[0] in ("iri", "literal")}
    return found


def day_of(text: str) -> str | None:
    return DAYS.get(fold(text).strip())


# -- rendering ----------------------------------------------------------------------------------------
def expanded(properties: Properties) -> dict[str, list[Any]]:
    """JSON-LD, keyed by full IRIs (pyld compacts them with the hub's context)."""
    return {predicate: [_expanded(value) for value in values] for predicate, values in sorted(properties.items())}


def _expanded(value: Value) -> Any:
    if value[0] == "literal":
        _, text, language, datatype = value
        if language:
            return {"@value": text, "@language": language}
        if datatype and datatype != XSD + "string":
            return {"@value": text, "@type": datatype}
        return text
    if value[0] == "iri":
        return {"@id": value[1]}
    _, iri, types, nested = value
    node: dict[str, Any] = {"@id": iri} if iri else {}
    if types:
        node["@type"] = list(types)
    for predicate, values in nested:
        node[predicate] = [_expanded(v) for v in values]
    return node


def plain(properties: Properties, languages: Iterable[str], short: Callable[[str], str]) -> dict[str, list[Any]]:
    """Plain JSON (GeoJSON properties): every property a list, keyed by its short name; numbers as numbers;
    text in a language, the request's (else fr, nl, en, then any), as `name` is."""
    wanted = tuple(languages)
    return {short(predicate): _plain_values(values, wanted, short) for predicate, values in sorted(properties.items())}


def _plain_values(values: Iterable[Value], languages: tuple[str, ...], short: Callable[[str], str]) -> list[Any]:
    values = list(values)
    tagged = {v[2] for v in values if v[0] == "literal" and v[2]}
    chosen_language = next((lang for lang in (*languages, "fr", "nl", "en") if lang in tagged), None)
    if chosen_language is None and tagged:
        chosen_language = sorted(tagged)[0]
    found: list[Any] = []
    for value in values:
        if value[0] == "literal":
            _, text, language, datatype = value
            if language and language != chosen_language:
                continue
            convert = _NUMBERS.get(datatype)
            if convert is not None:
                try:
                    found.append(convert(text))
                    continue
                except ValueError:
                    pass
            found.append(text)
        elif value[0] == "iri":
            found.append(value[1])
        else:
            _, iri, types, nested = value
            node: dict[str, Any] = {"id": iri} if iri else {}
            if types:
                node["type"] = [short(t) for t in types]
            for predicate, inner in nested:
                node[short(predicate)] = _plain_values(inner, languages, short)
            found.append(node)
    return found


def cell(values: list[Any]) -> str:
    """One CSV cell: values separated by "; ", nested nodes as compact JSON."""
    return "; ".join(json.dumps(v, ensure_ascii=False, separators=(",", ":")) if isinstance(v, dict)
                     else f"{v:g}" if isinstance(v, float) else str(v) for v in values)
