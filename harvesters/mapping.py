"""Declarative mappings: a small TOML file says how the fields of rows or features become hub properties.

Networks publish spreadsheets, GeoJSON layers and calendars, not RDF. A mapping (docs/mappings.md)
names, per field: the property (a path such as `schema:address/schema:postalCode`), value transforms
(split, trim, lower, number, date, language tag…), values to SKOS concepts, and links to rows of other
tables (`ref = "organizations.id"`). It also says which field is the stable key, what type a row
becomes, and constants for the whole source. The lifters (geojson, csv_table, ical) turn each row into a
dict of field -> value and call `TableMapping.lift_row`; every field that no rule maps is reported.

One row is one record. Rows of one document that share a key (the mapping's `key`, or for a table without one the
stable key the hub mints an IRI from: identifier, url, sameAs, then name and postal code) would otherwise fold into
one record; a `RowSet` keeps the later row, the way a spreadsheet's later line corrects an earlier one, and says
which rows shared what (docs/mappings.md, "Rows that share a key").
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from harvesters.geometry import Area, GeoError, SwappedAxes, check_axes, geo_quads, geometry_quads
from harvesters.jsonpath import PathError, parse_path
from harvesters.themes import ThemeTable
from harvesters.tomlfile import read_toml
from harvesters.wording import because

SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DEFAULT_PREFIXES = {
    "schema": SCHEMA,
    "hub": "https://w3id.org/mutualisons/ns#",
    # The themes scheme of the hub vocabulary (vocab/schemes.ttl): `theme:gardens-compost`, `theme:food`, …
    "theme": "https://w3id.org/mutualisons/ns#theme-",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": XSD,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "dcterms": "http://purl.org/dc/terms/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
# Intermediate nodes of a property path get these types, so an address is a schema:PostalAddress (a mapping's
# `nodes` table says otherwise: a contact point that is a person is typed schema:Person too).
NODE_TYPES = {
    SCHEMA + "address": SCHEMA + "PostalAddress",
    SCHEMA + "geo": SCHEMA + "GeoCoordinates",
    SCHEMA + "contactPoint": SCHEMA + "ContactPoint",
    "https://w3id.org/mutualisons/ns#consent": "https://w3id.org/mutualisons/ns#Consent",
    SCHEMA + "identifier": SCHEMA + "PropertyValue",  # a platform's id: propertyID and value
}
TRANSFORMS = ("trim", "lower", "upper", "number", "integer", "date", "datetime", "boolean", "iri", "country",
              "collapse")
SHIPPED = Path(__file__).resolve().parent / "mappings"
_RULE_KEYS = {"property", "transforms", "split", "lang", "datatype", "concepts", "values", "fallback", "ref",
              "inverse", "point", "also", "default_concept", "requires", "fields", "node", "key", "ignore", "flatten",
              "themes"}
FLATTEN = ("pairs", "values", "keys", "json")
# No `language`: untagged text takes the source's `language` (sources.toml) or a rule's `lang`.
_TABLE_KEYS = {"type", "key", "fields", "ignore", "constants", "files", "columns", "key_prefix", "nodes", "records",
               "withheld", "license", "upstream"}
_TOP_KEYS = _TABLE_KEYS | {"prefixes", "tables", "calendar", "mapping"}
# "Belgique", "belgië", "BE", "Belgium" are one country: ISO 3166-1 alpha-2 for the countries feeds name.
COUNTRIES = {
    "BE": ("be", "bel", "belgique", "belgië", "belgie", "belgium", "belgien", "belgio", "bélgica"),
    "NL": ("nl", "nld", "nederland", "netherlands", "pays-bas", "the netherlands", "holland"),
    "FR": ("fr", "fra", "france", "frankrijk", "frankreich", "frace"),
    "DE": ("de", "deu", "deutschland", "germany", "allemagne", "duitsland"),
    "LU": ("lu", "lux", "luxembourg", "luxemburg"),
    "AT": ("at", "aut", "österreich", "osterreich", "austria", "autriche"),
    "GB": ("gb", "uk", "united kingdom", "england", "scotland", "wales", "great britain", "royaume-uni"),
    "IT": ("it", "ita", "italy", "italia", "italie", "italu"),
    "ES": ("es", "esp", "spain", "españa", "espagne"),
    "PT": ("pt", "prt", "portugal", "portogallo"),
    "GR": ("gr", "grc", "greece", "ελλάδα", "grèce"),
    "IE": ("ie", "irl", "ireland", "irlande"),
    "PL": ("pl", "pol", "poland", "polska", "pologne"),
    "HU": ("hu", "hun", "hungary", "magyarország", "hongrie"),
    "RO": ("ro", "rou", "romania", "românia", "roumanie"),
    "CZ": ("cz", "cze", "czech republic", "czechia", "česko"),
    "HR": ("hr", "hrv", "croatia", "hrvatska"),
    "SI": ("si", "svn", "slovenia", "slovenija"),
    "SK": ("sk", "svk", "slovakia"),
    "BG": ("bg", "bgr", "bulgaria"),
    "CY": ("cy", "cyp", "cyprus", "cypres"),
    "EE": ("ee", "est", "estonia"),
    "LV": ("lv", "lva", "latvia", "latvija"),
    "FI": ("fi", "fin", "finland", "suomi"),
    "MT": ("mt", "mlt", "malta"),
}
_COUNTRY_OF = {alias: code for code, aliases in COUNTRIES.items() for alias in aliases}


class MappingError(Exception):
    """An invalid mapping file: names the file, the table, the field and the reason."""


class RowError(Exception):
    """One row or feature that cannot be lifted; the lifter adds its location (line, feature #)."""


Mint = Callable[[str, str], NamedNode]
KindOf = Callable[[list[str]], str | None]


@dataclass(frozen=True)
class LiftContext:
    """What a lifter needs from the hub, passed in so harvesters never import the core."""

    document: str
    source_id: str
    mint: Mint  # (kind, key) -> the entity IRI (hub.core.iris.Minter.entity)
    kind_of: KindOf  # types -> record kind, or None for a node that is no record
    language: str | None = None
    area: Area | None = None  # the hub's service area: points in [lat, lon] order are caught against it
    themes: ThemeTable | None = None  # the source's theme table, for rules with `themes = true`


@dataclass
class Lifted:
    """A lifted document: quads in the hub vocabulary, warnings, and the rows that failed (with location)."""

    quads: list[Quad] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)


@dataclass
class FieldRule:
    name: str
    path: list[NamedNode] = field(default_factory=list)
    transforms: list[str] = field(default_factory=list)
    split: str | None = None
    lang: str | None = None
    datatype: NamedNode | None = None
    concepts: dict[str, NamedNode] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    fallback: list[NamedNode] = field(default_factory=list)
    ref: tuple[str, str] | None = None
    inverse: NamedNode | None = None
    point: str | None = None  # "lonlat" or "latlon": a pair of coordinates in one field
    also: list[str] = field(default_factory=list)  # other spellings of the header (typos, languages)
    requires: list[str] = field(default_factory=list)  # lifted only in rows where these fields have a value
    # A nested object (JSON): its own fields, mapped onto a node of its own (one per object of an array).
    fields: dict[str, FieldRule] = field(default_factory=dict)
    node: list[NamedNode] = field(default_factory=list)  # that node's types (else those of its property's step)
    key: str | None = None  # the nested object's key field: its node gets an IRI minted from it
    ignore: set[str] = field(default_factory=set)  # the nested object's fields deliberately not lifted
    flatten: str | None = None  # an object's members as values: "pairs", "values", "keys" or "json"
    themes: bool = False  # values through the source's theme table (a platform's categories -> the hub's themes)


@dataclass
class TableMapping:
    name: str
    files: list[str]
    types: list[NamedNode]
    key: str | None
    rules: dict[str, FieldRule]  # by every accepted spelling of the field
    ignore: set[str]
    constants: list[tuple[list[NamedNode], Literal | NamedNode]]
    columns: list[str] | None = None  # a CSV without header: its column names
    key_prefix: str = ""
    mapping: Mapping | None = None
    # Path step -> the types of the node it creates (NODE_TYPES, with the mapping's `nodes` over them).
    node_types: dict[str, list[NamedNode]] = field(default_factory=dict)
    records: list[str] | None = None  # a JSON document: the paths of its records (None: found as suggest finds them)
    # Values a platform puts where it withholds one ("hidden", "private"): never published as values.
    withheld: set[str] = field(default_factory=set)
    # A JSON record's own licence and its upstream source (harvesters/platform.py): the paths that give them.
    license: str | None = None
    upstream: str | None = None

    def matches(self, document: str) -> bool:
        name = Path(unquote(urlparse(document).path)).name
        return any(fnmatch.fnmatch(name.lower(), pattern.lower()) for pattern in self.files)

    def subject(self, key_value: str, context: LiftContext) -> NamedNode:
        kind = context.kind_of([t.value for t in self.types]) or _local_name(self.types[0].value).lower()
        return context.mint(kind, f"{context.source_id}-{self.key_prefix}{key_value}")

    def keyed_subject(self, row: dict[str, Any], context: LiftContext) -> NamedNode | None:
        """The IRI a row's key gives its subject (None without a key, or a value in it)."""
        key_value = _text(row.get(self.key)) if self.key else ""
        return self.subject(key_value, context) if key_value else None

    def lift_row(self, row: dict[str, Any], context: LiftContext, report: RowReport,
                 geometry: dict[str, Any] | None = None) -> list[Quad]:
        """One row's quads; raises RowError for a row that cannot be lifted (the others are kept)."""
        subject: NamedNode | BlankNode
        if self.key:
            key_value = _text(row.get(self.key))
            if not key_value:
                raise RowError(f"no value in the key field {self.key!r}")
            subject = self.subject(key_value, context)
        else:
            subject = BlankNode()
        quads = [Quad(subject, RDF_TYPE, t) for t in self.types]
        nodes = _RowNodes(self.node_types)
        quads += _lift_fields(self, subject, row, self.rules, context, report, nodes, geometry, self.key)
        for path, term in self.constants:
            quads += _at_path(subject, path, term, nodes)
        return quads

    def _link(self, subject: NamedNode | BlankNode, rule: FieldRule, value: str,
              context: LiftContext) -> list[Quad]:
        assert rule.ref and self.mapping
        table = self.mapping.tables[rule.ref[0]]
        target = table.subject(value, context)
        quads = []
        if rule.path:
            quads.append(Quad(subject, rule.path[0], target))
        if rule.inverse:
            # The target carries the link, typed as its table says, so the target's record (merged across
            # the source's documents by the pipeline) reaches this row's node.
            quads.append(Quad(target, rule.inverse, subject))
            quads += [Quad(target, RDF_TYPE, t) for t in table.types]
        return quads


def term_refused(error: ValueError) -> str:
    """A row's value that pyoxigraph would not make a term of (an IRI with a space, a bad language tag), in words."""
    return "a value cannot be written as RDF: " + because(
        error, "it is not a valid IRI, literal or language tag") + "; correct it in the row"


class RowSet:
    """The lifted rows of one table in one document, one per key: a later row with the key of an earlier one
    replaces it, and `warnings` names the rows that shared a key and the one kept. The key is the mapping's `key`
    field, or for a table without one what hub/pipeline/split.py mints the row's IRI from (`_stable_key`: the
    first identifier, url or sameAs, else the first name with the postal code); a row with none of those keeps
    its own blank node, and the split hashes its content."""

    def __init__(self, table: TableMapping, document: str, noun: str = "row") -> None:
        self.table = table
        self.document = document
        self.noun = noun  # what the locations name: "line", "feature"
        self._rows: list[list[Quad] | None] = []
        self._index: dict[str, int] = {}  # key -> the position of the row kept
        self._where: dict[str, tuple[str, list[str]]] = {}  # key -> (what it is, where each row with it was)

    def add(self, location: str, row: dict[str, Any], quads: list[Quad]) -> None:
        """One row (its fields, and its quads: the first types its subject, as `lift_row` writes them) and where
        it was."""
        found = self._key(row, quads)
        if found is None:
            self._rows.append(quads)
            return
        key, what = found
        earlier = self._index.get(key)
        if earlier is not None:
            self._rows[earlier] = None
        self._index[key] = len(self._rows)
        self._rows.append(quads)
        self._where.setdefault(key, (what, []))[1].append(location)

    def quads(self) -> list[Quad]:
        return [quad for row in self._rows if row is not None for quad in row]

    @property
    def warnings(self) -> list[str]:
        out = []
        for what, locations in self._where.values():
            if len(locations) > 1:
                listed = ", ".join(locations[:-1]) + f" and {locations[-1]}"
                out.append(f"{self.document}: {self.noun}s {listed} share {what}: only the last, {locations[-1]}, is "
                           f"lifted (a later {self.noun} replaces an earlier one with the same key); give each "
                           f"{self.noun} its own key if they are different things")
        return out

    def _key(self, row: dict[str, Any], quads: list[Quad]) -> tuple[str, str] | None:
        """(key, what it is in words) of a row, or None."""
        if not quads:
            return None
        subject = quads[0].subject
        if self.table.key:  # the mapping's key made the subject
            return str(subject), f"the key {self.table.key}={_text(row.get(self.table.key))!r}"
        own = [quad for quad in quads if quad.subject == subject]
        for local in ("identifier", "url", "sameAs"):
            values = sorted(str(q.object) for q in own if q.predicate.value == SCHEMA + local)
            if values:
                return f"{local}={values[0]}", f"the {local} {values[0]}"
        names = sorted(str(q.object) for q in own if q.predicate.value == SCHEMA + "name")
        postal = next((str(q.object) for q in own if q.predicate.value == SCHEMA + "postalCode"), None)
        if postal is None:
            addresses = {q.object for q in own if q.predicate.value == SCHEMA + "address"}
            postal = next((str(q.object) for q in quads if q.subject in addresses
                           and q.predicate.value == SCHEMA + "postalCode"), None)
        if names and postal:
            return f"name={names[0]}|postalCode={postal}", f"the name {names[0]} and the postal code {postal}"
        return None


@dataclass
class RowReport:
    """What a document's rows did that the publisher should hear about: unmapped fields, misses."""

    document: str
    unmapped: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    misses: Counter[tuple[str, str]] = field(default_factory=Counter)  # (field, value) with no concept
    notes: list[str] = field(default_factory=list)
    invalid: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    withheld: Counter[str] = field(default_factory=Counter)  # field -> values the platform withheld
    themed: set[str] = field(default_factory=set)  # fields read through the theme table (`themes = true`)
    known_fields: list[str] = field(default_factory=list)

    def note_geometry_over_fields(self, point: tuple[Decimal, Decimal], rule: FieldRule,
                                  geometry: list[Quad]) -> None:
        """A feature with a geometry and a mapped point field: the geometry wins, disagreement is reported."""
        lat = next((Decimal(str(getattr(q.object, "value", ""))) for q in geometry
                    if q.predicate.value == SCHEMA + "latitude"), None)
        lon = next((Decimal(str(getattr(q.object, "value", ""))) for q in geometry
                    if q.predicate.value == SCHEMA + "longitude"), None)
        if lat is None or lon is None:
            return
        near = Decimal("0.001")
        if abs(point[0] - lon) < near and abs(point[1] - lat) < near:
            return
        if abs(point[0] - lat) < near and abs(point[1] - lon) < near:
            # The trap: a property that gives [lat, lon] while the geometry gives [lon, lat].
            order = "[lat, lon]" if rule.point == "lonlat" else "[lon, lat]"
            self.notes.append(f"field {rule.name!r} gives {order}, swapped against the geometry "
                              f"(the [lat, lon] trap); the geometry is used")
        else:
            self.notes.append(f"field {rule.name!r} disagrees with the geometry; the geometry is used")

    def warnings(self) -> list[str]:
        out = []
        for name, count in sorted(self.unmapped.items()):
            close = difflib.get_close_matches(name, self.known_fields, n=1, cutoff=0.8)
            hint = f" (a typo of {close[0]!r}? add it to that field's `also`)" if close else ""
            out.append(f"{self.document}: field {name!r} ({count} row(s), e.g. {self.samples.get(name, '')!r}) "
                       f"is not mapped and not lifted{hint}; map it or list it in `ignore`")
        by_field: dict[str, list[str]] = {}
        for (name, value), _ in self.misses.most_common():
            by_field.setdefault(name, []).append(value)
        for name, values in sorted(by_field.items()):
            shown = ", ".join(repr(v) for v in values[:8]) + (" …" if len(values) > 8 else "")
            where = "no theme in the theme table nor concept in the mapping" if name in self.themed else \
                "no concept in the mapping"
            out.append(f"{self.document}: field {name!r}: {len(values)} value(s) with {where}: {shown}")
        for (name, reason), values in sorted(self.invalid.items()):
            shown = ", ".join(repr(v) for v in values[:5]) + (" …" if len(values) > 5 else "")
            out.append(f"{self.document}: field {name!r}: {len(values)} value(s) {reason}, not lifted: {shown}")
        for name, count in sorted(self.withheld.items()):
            out.append(f"{self.document}: field {name!r}: {count} value(s) withheld by the platform (`withheld`), "
                       "not published")
        for note, count in Counter(self.notes).items():
            out.append(f"{self.document}: {note} ({count} feature(s))")
        return out


@dataclass
class Mapping:
    path: str
    tables: dict[str, TableMapping]
    prefixes: dict[str, str]
    calendar: dict[str, Any] = field(default_factory=dict)

    def table_for(self, document: str) -> TableMapping | None:
        for table in self.tables.values():
            if table.matches(document):
                return table
        return None


def load_mapping(path: Path) -> Mapping:
    """Reads and checks a mapping file; raises MappingError naming the file, the table and the field."""
    _, document = read_toml(path, MappingError, " the mapping")
    return parse_mapping(document, str(path))


def shipped_mapping(name: str) -> Path:
    """A mapping shipped with the hub (`hsds` -> harvesters/mappings/hsds.toml)."""
    return SHIPPED / f"{name}.toml"


def parse_mapping(document: dict[str, Any], where: str) -> Mapping:
    _check_keys(document, _TOP_KEYS, where)
    prefixes = dict(DEFAULT_PREFIXES)
    extra = document.get("prefixes", {})
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise MappingError(f"{where}: [prefixes] maps a prefix to a namespace IRI")
    prefixes.update(extra)
    mapping = Mapping(where, {}, prefixes, dict(document.get("calendar", {})))
    tables = document.get("tables")
    if tables is None:
        single = {k: v for k, v in document.items() if k in _TABLE_KEYS}
        single.setdefault("files", ["*"])
        mapping.tables["rows"] = _table("rows", single, prefixes, where, key_prefix=single.get("key_prefix", ""))
    else:
        if not isinstance(tables, dict) or not tables:
            raise MappingError(f"{where}: [tables.NAME] sections: one per table")
        stray = [k for k in document if k in _TABLE_KEYS]
        if stray:
            raise MappingError(f"{where}: {stray[0]!r} belongs in a [tables.NAME] section when there are tables")
        for name, table in tables.items():
            if not isinstance(table, dict):
                raise MappingError(f"{where}: [tables.{name}] must be a table")
            mapping.tables[name] = _table(name, table, prefixes, where,
                                          key_prefix=str(table.get("key_prefix", f"{name}-")))
    for table in mapping.tables.values():
        table.mapping = mapping
        for rule in table.rules.values():
            if rule.ref:
                target, key = rule.ref
                if target not in mapping.tables:
                    raise MappingError(f"{where}: [{_label(table)}.fields.{rule.name}] ref {target}.{key}: "
                                       f"no table {target!r}{_hint(target, mapping.tables)}")
                if mapping.tables[target].key != key:
                    raise MappingError(f"{where}: [{_label(table)}.fields.{rule.name}] ref {target}.{key}: "
                                       f"{key!r} is not the key of table {target!r} "
                                       f"(its key is {mapping.tables[target].key!r})")
    return mapping


def _table(name: str, raw: dict[str, Any], prefixes: dict[str, str], where: str, key_prefix: str) -> TableMapping:
    label = "mapping" if name == "rows" else f"tables.{name}"
    _check_keys(raw, _TABLE_KEYS, f"{where}: [{label}]")
    types_raw = raw.get("type")
    if types_raw is None:
        raise MappingError(f"{where}: [{label}] needs a `type`, e.g. type = \"schema:Organization\"")
    types = [_iri(t, prefixes, f"{where}: [{label}] type") for t in _as_list(types_raw)]
    # A JSON table (it says where its records are) reads every document unless it names some; a CSV table reads
    # the files named like it.
    files = _as_list(raw.get("files", ["*"] if "records" in raw else [f"{name}.csv", f"*_{name}.csv"]))
    key = raw.get("key")
    if key is not None and not isinstance(key, str):
        raise MappingError(f"{where}: [{label}] key names one field")
    rules: dict[str, FieldRule] = {}
    fields_raw = raw.get("fields", {})
    if not isinstance(fields_raw, dict):
        raise MappingError(f"{where}: [{label}.fields] maps field names to rules")
    for field_name, spec in fields_raw.items():
        rule = _rule(field_name, spec, prefixes, f"{where}: [{label}.fields.{field_name}]")
        for spelling in [field_name, *rule.also]:
            rules[spelling] = rule
    constants = []
    constants_raw = raw.get("constants", {})
    if not isinstance(constants_raw, dict):
        raise MappingError(f"{where}: [{label}.constants] maps a property to a value")
    for prop, value in constants_raw.items():
        path = _path(prop, prefixes, f"{where}: [{label}.constants]")
        constants.append((path, _constant(value, prefixes, f"{where}: [{label}.constants] {prop}")))
    for rule in rules.values():
        for required in rule.requires:
            if required not in rules and required != key:
                raise MappingError(f"{where}: [{label}.fields.{rule.name}] requires {required!r}, which is not a "
                                   f"mapped field{_hint(required, rules)}")
    node_types = {step: [NamedNode(t)] for step, t in NODE_TYPES.items()}
    nodes_raw = raw.get("nodes", {})
    if not isinstance(nodes_raw, dict):
        raise MappingError(f"{where}: [{label}.nodes] maps a path step to the type(s) of the node it creates")
    for step, node_type in nodes_raw.items():
        node_types[_iri(step, prefixes, f"{where}: [{label}.nodes]").value] = [
            _iri(t, prefixes, f"{where}: [{label}.nodes] {step}") for t in _as_list(node_type)]
    if (raw.get("license") is not None or raw.get("upstream") is not None) and key is None:
        raise MappingError(f"{where}: [{label}] a record's own `license` or `upstream` needs the table's `key`: they "
                           "name the record by the IRI its key gives")
    columns = raw.get("columns")
    records = raw.get("records")
    if records is not None:
        records = [str(r) for r in _as_list(records)]
        for path in records:
            try:
                parse_path(path)
            except PathError as error:
                raise MappingError(f"{where}: [{label}] records: {error}") from error
    return TableMapping(name, [str(f) for f in files], types, key, rules, set(_as_list(raw.get("ignore", []))),
                        constants, [str(c) for c in columns] if columns else None, str(key_prefix),
                        node_types=node_types, records=records,
                        withheld={_normal(str(v)) for v in _as_list(raw.get("withheld", []))},
                        license=_optional_path(raw, "license", f"{where}: [{label}]"),
                        upstream=_optional_path(raw, "upstream", f"{where}: [{label}]"))


def _optional_path(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{where} {key}: the path of a record's field, e.g. {key} = \"{key}\"")
    try:
        parse_path(value)
    except PathError as error:
        raise MappingError(f"{where} {key}: {error}") from error
    return value.strip()


def check_paths(table: TableMapping) -> None:
    """For a JSON document: every field name of the table is a path into a record (`address.postalCode`);
    raises MappingError naming the first that cannot be read. (A CSV header is a name, never read as a path.)"""
    def check(rule: FieldRule, where: str) -> None:
        for name in [rule.name, *rule.also, *([rule.key] if rule.key else [])]:
            try:
                parse_path(name)
            except PathError as error:
                raise MappingError(f"{where}: {error}") from error
        for sub in rule.fields.values():
            check(sub, f"{where}.fields.{sub.name}")

    for name in [table.key] if table.key else []:
        try:
            parse_path(name)
        except PathError as error:
            raise MappingError(f"[{_label(table)}] key: {error}") from error
    for rule in {id(r): r for r in table.rules.values()}.values():
        check(rule, f"[{_label(table)}.fields.{rule.name}]")


def _rule(name: str, spec: Any, prefixes: dict[str, str], where: str) -> FieldRule:
    if isinstance(spec, str):
        spec = {"property": spec}
    if not isinstance(spec, dict):
        raise MappingError(f"{where}: a property (\"schema:name\") or a table of options")
    _check_keys(spec, _RULE_KEYS, where)
    rule = FieldRule(name)
    if "property" in spec:
        rule.path = _path(spec["property"], prefixes, where)
    rule.transforms = [str(t) for t in _as_list(spec.get("transforms", []))]
    for transform in rule.transforms:
        if transform not in TRANSFORMS:
            raise MappingError(f"{where}: unknown transform {transform!r}{_hint(transform, TRANSFORMS)}; "
                               f"known: {', '.join(TRANSFORMS)}")
    rule.split = spec.get("split")
    rule.lang = spec.get("lang")
    if "datatype" in spec:
        rule.datatype = _iri(spec["datatype"], prefixes, where)
    rule.concepts = {_normal(str(k)): _iri(v, prefixes, f"{where} concepts") for k, v in
                     dict(spec.get("concepts", {})).items()}
    rule.values = {_normal(str(k)): str(v) for k, v in dict(spec.get("values", {})).items()}
    if "fallback" in spec:
        rule.fallback = _path(spec["fallback"], prefixes, where)
    if "ref" in spec:
        target = str(spec["ref"])
        if target.count(".") != 1:
            raise MappingError(f"{where}: ref must be written \"table.keyfield\", e.g. \"organizations.id\"")
        table, key = target.split(".")
        rule.ref = (table, key)
    if "inverse" in spec:
        rule.inverse = _iri(spec["inverse"], prefixes, where)
    if "point" in spec:
        if spec["point"] not in ("lonlat", "latlon"):
            raise MappingError(f"{where}: point is \"lonlat\" (GeoJSON order) or \"latlon\"")
        rule.point = spec["point"]
    rule.also = [str(a) for a in _as_list(spec.get("also", []))]
    rule.requires = [str(r) for r in _as_list(spec.get("requires", []))]
    if "flatten" in spec:
        if spec["flatten"] not in FLATTEN:
            raise MappingError(f"{where}: flatten is one of {', '.join(repr(f) for f in FLATTEN)}"
                               f"{_hint(str(spec['flatten']), FLATTEN)}")
        rule.flatten = str(spec["flatten"])
    if "themes" in spec:
        if not isinstance(spec["themes"], bool):
            raise MappingError(f"{where}: themes is true (values through the source's theme table) or false")
        rule.themes = spec["themes"]
    if "fields" in spec:
        nested = spec["fields"]
        if not isinstance(nested, dict) or not nested:
            raise MappingError(f"{where}: fields maps the nested object's fields to rules, e.g. "
                               f"fields.number = \"schema:telephone\"")
        if not (rule.path or rule.inverse):
            raise MappingError(f"{where}: a nested object needs a property (or an inverse) that links its node")
        for sub_name, sub_spec in nested.items():
            sub = _rule(sub_name, sub_spec, prefixes, f"{where}.fields.{sub_name}")
            for spelling in [sub_name, *sub.also]:
                rule.fields[spelling] = sub
        rule.node = [_iri(t, prefixes, f"{where} node") for t in _as_list(spec.get("node", []))]
        rule.key = str(spec["key"]) if "key" in spec else None
        rule.ignore = {str(i) for i in _as_list(spec.get("ignore", []))}
        for required in (r for sub in rule.fields.values() for r in sub.requires):
            if required not in rule.fields and required != rule.key:
                raise MappingError(f"{where}: requires {required!r}, which is not a field of the nested object"
                                   f"{_hint(required, rule.fields)}")
        return rule
    stray = [k for k in ("node", "key", "ignore") if k in spec]
    if stray:
        raise MappingError(f"{where}: {stray[0]!r} belongs to a nested object's rule (one with `fields`)")
    if not (rule.path or rule.ref or rule.point):
        raise MappingError(f"{where}: say where the field goes: property, ref or point")
    if rule.ref and not (rule.path or rule.inverse):
        raise MappingError(f"{where}: a ref needs a property, an inverse, or both")
    return rule


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise MappingError(f"{where}: unknown key {key!r}{_hint(key, allowed)}")


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _label(table: TableMapping) -> str:
    return "mapping" if table.name == "rows" else f"tables.{table.name}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _iri(value: Any, prefixes: dict[str, str], where: str) -> NamedNode:
    if not isinstance(value, str) or not value:
        raise MappingError(f"{where}: expected an IRI or a prefixed name, got {value!r}")
    if value.startswith(("http://", "https://", "urn:", "mailto:")):
        return NamedNode(value)
    prefix, _, local = value.partition(":")
    if not _ or prefix not in prefixes:
        raise MappingError(f"{where}: {value!r} is neither an IRI nor a prefixed name "
                           f"(known prefixes: {', '.join(sorted(prefixes))})")
    return NamedNode(prefixes[prefix] + local)


def _path(value: Any, prefixes: dict[str, str], where: str) -> list[NamedNode]:
    if not isinstance(value, str):
        raise MappingError(f"{where}: property must be a string such as \"schema:address/schema:postalCode\"")
    return [_iri(step.strip(), prefixes, where) for step in value.split("/")]


def _constant(value: Any, prefixes: dict[str, str], where: str) -> Literal | NamedNode:
    if isinstance(value, dict):
        if "iri" in value:
            return _iri(value["iri"], prefixes, where)
        if "value" in value and "lang" in value:
            return Literal(str(value["value"]), language=str(value["lang"]))
        raise MappingError(f"{where}: write {{ iri = \"…\" }} or {{ value = \"…\", lang = \"fr\" }}")
    if isinstance(value, bool):
        return Literal(str(value).lower(), datatype=NamedNode(XSD + "boolean"))
    if isinstance(value, int | float):
        return Literal(str(value), datatype=NamedNode(XSD + "decimal"))
    return Literal(str(value))


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]


def _normal(value: str) -> str:
    """Concept and value lookups ignore case, accents kept, and surrounding space."""
    return " ".join(value.split()).casefold()


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):  # JSON's true and false, as XSD writes them
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _values(raw: Any, rule: FieldRule, report: RowReport | None = None, where: str = "") -> list[str]:
    """A field's values as text. An object (JSON, GeoJSON properties) is a value only as its rule's `flatten`
    says; otherwise it is reported and dropped (never stored as a Python repr, nor as JSON text by chance)."""
    if _empty(raw):
        return []
    items = raw if isinstance(raw, list) else [raw]
    values: list[str] = []
    for item in items:
        if isinstance(item, dict | list):
            if rule.flatten is None:
                if report is not None and not _empty(item):
                    report.invalid[(where + rule.name, "an object or array, not a value: map its fields "
                                                       f"(\"{rule.name}.FIELD\"), give the rule `fields` for a "
                                                       "node of its own, or `flatten` it")].append(
                        json.dumps(item, ensure_ascii=False, sort_keys=True)[:40])
                continue
            values += flattened(item, rule.flatten)
            continue
        text = _text(item) if not isinstance(item, str) else item
        values += text.split(rule.split) if rule.split else [text]
    return [v for v in values if v.strip()] if rule.split else [v for v in values if v != ""]


def flattened(item: dict[str, Any] | list[Any], how: str) -> list[str]:
    """An object's members as values (`flatten`): "pairs" gives `key value` (opening hours `{"Mo": "09:00-12:00"}`
    -> `Mo 09:00-12:00`), "values" its values, "keys" the keys whose value is set (true, a text, a number), "json"
    the object as canonical JSON text."""
    if how == "json":
        return [json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))]
    members = list(item.items()) if isinstance(item, dict) else [(None, value) for value in item]
    out: list[str] = []
    for key, value in members:
        if _empty(value) or value is False:
            continue
        if isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        else:
            text = "true" if value is True else _text(value)
        if how == "keys":
            out += [str(key)] if key is not None else [text]
        elif how == "values" or key is None:
            out.append(text)
        else:
            out.append(f"{key} {text}")
    return out


def _terms(value: str, rule: FieldRule, report: RowReport,
           themes: ThemeTable | None = None) -> list[tuple[list[NamedNode], Literal | NamedNode]]:
    """A field value -> (path, term) pairs, after transforms, values and concepts (or the source's theme table)."""
    datatype = rule.datatype
    as_iri = False
    for transform in rule.transforms:
        if transform == "trim":
            value = value.strip()
        elif transform == "collapse":
            value = " ".join(value.split())
        elif transform == "lower":
            value = value.lower()
        elif transform == "upper":
            value = value.upper()
        elif transform == "number":
            value, datatype = str(_decimal(value, rule.name)), NamedNode(XSD + "decimal")
        elif transform == "integer":
            value, datatype = str(int(_decimal(value, rule.name))), NamedNode(XSD + "integer")
        elif transform in ("date", "datetime"):
            value, datatype = _date(value, rule.name)
        elif transform == "boolean":
            value, datatype = _boolean(value, rule.name), NamedNode(XSD + "boolean")
        elif transform == "iri":
            as_iri = True
        elif transform == "country":
            value = _country(value)
    if rule.values:
        value = rule.values.get(_normal(value), value)
    if not value:
        return []
    if rule.concepts or rule.themes:
        concept = rule.concepts.get(_normal(value))
        if concept is not None:
            return [(rule.path, concept)]
        aligned = themes.lookup(value) if rule.themes and themes is not None else None
        if aligned is not None:
            return [(rule.path, NamedNode(theme)) for theme in aligned]  # [] where the table says "no theme"
        report.misses[(rule.name, value)] += 1
        if rule.themes:
            report.themed.add(rule.name)
        return [(rule.fallback, Literal(value, language=rule.lang) if rule.lang else Literal(value))] \
            if rule.fallback else []
    if as_iri:
        if not re.match(r"^(https?|mailto|tel|urn):", value):
            value = "https://" + value if re.match(r"^[\w.-]+\.[a-z]{2,}(/.*)?$", value) else value
        if not re.match(r"^(https?|mailto|tel|urn):[^\s<>\"{}|\\^`]+$", value):
            # A junk web address loses the value, not the row: reported with the others.
            report.invalid[(rule.name, "not an IRI")].append(value)
            return []
        try:
            return [(rule.path, NamedNode(value))]
        except ValueError:
            report.invalid[(rule.name, "not an IRI")].append(value)
            return []
    if datatype is not None:
        return [(rule.path, Literal(value, datatype=datatype))]
    if rule.lang:
        return [(rule.path, Literal(value, language=rule.lang))]
    return [(rule.path, Literal(value))]


def _decimal(value: Any, name: str) -> Decimal:
    text = str(value).strip().replace(",", ".") if not isinstance(value, int | float) else repr(value)
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise RowError(f"field {name!r}: {value!r} is not a number") from error
    if not number.is_finite():
        raise RowError(f"field {name!r}: {value!r} is not a finite number")
    return number


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
# Spreadsheet and survey timestamps (Google Forms, LimeSurvey, Excel): local times, kept without a zone.
_DATE_TIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                      "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")


def _date(value: str, name: str) -> tuple[str, NamedNode]:
    text = value.strip()
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            return dt.date.fromisoformat(text).isoformat(), NamedNode(XSD + "date")
        if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed.isoformat(), NamedNode(XSD + "dateTime")
        for pattern in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, pattern).date().isoformat(), NamedNode(XSD + "date")
            except ValueError:
                continue
        for pattern in _DATE_TIME_FORMATS:
            try:
                return dt.datetime.strptime(text, pattern).isoformat(), NamedNode(XSD + "dateTime")
            except ValueError:
                continue
        if re.match(r"^\d{4}$", text):
            return text, NamedNode(XSD + "gYear")
    except ValueError as error:  # "month must be in 1..12": Python's words, but about the value
        raise RowError(f"field {name!r}: {value!r} is not a date: {because(error, 'no such day')}") from error
    raise RowError(f"field {name!r}: {value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def date_kind(value: str) -> str | None:
    """What the `date` transform makes of a value (`date`, `dateTime`, `gYear`), or None when it refuses it."""
    try:
        return _date(value, "")[1].value.rsplit("#", 1)[1]
    except RowError:
        return None


def _boolean(value: str, name: str) -> str:
    text = value.strip().casefold()
    if text in ("1", "true", "yes", "oui", "ja", "y", "x", "vrai", "waar"):
        return "true"
    if text in ("0", "false", "no", "non", "nee", "n", "faux", "onwaar", ""):
        return "false"
    raise RowError(f"field {name!r}: {value!r} is not a yes/no value")


def _country(value: str) -> str:
    """Country names in any of the usual languages, or codes, to ISO 3166-1 alpha-2; unknown kept."""
    return _COUNTRY_OF.get(_normal(value), value.strip())


def _pair(rule: FieldRule, raw: Any, check: bool = True, area: Area | None = None) -> tuple[Decimal, Decimal]:
    """A point field -> (lon, lat), caught when its axis order does not match what the mapping says."""
    items = raw if isinstance(raw, list) else re.split(r"[,;\s]+", str(raw).strip().strip("[]()"))
    if len(items) != 2:
        raise RowError(f"field {rule.name!r}: {raw!r} is not a pair of coordinates")
    first, second = (_decimal(item, rule.name) for item in items)
    lon, lat = (first, second) if rule.point == "lonlat" else (second, first)
    if not check:
        return lon, lat
    try:
        check_axes(lon, lat, area, "geo.swapped-pair", field=repr(rule.name),
                   order="latlon" if rule.point == "lonlat" else "lonlat")
    except SwappedAxes as error:
        raise RowError(str(error)) from error
    return lon, lat


class _RowNodes(dict[tuple[str, ...], BlankNode]):
    """The intermediate nodes of one row, by path prefix, and the types a path step gives the node it creates."""

    def __init__(self, types: dict[str, list[NamedNode]]) -> None:
        super().__init__()
        self.types = types


def _at_path(subject: NamedNode | BlankNode, path: list[NamedNode], term: Literal | NamedNode | BlankNode,
             nodes: _RowNodes) -> list[Quad]:
    """`schema:address/schema:postalCode` -> one address node per row, shared by its fields."""
    quads = []
    current: NamedNode | BlankNode = subject
    for depth, step in enumerate(path[:-1]):
        key = tuple(p.value for p in path[:depth + 1])
        node = nodes.get(key)
        if node is None:
            node = nodes[key] = BlankNode()
            quads.append(Quad(current, step, node))
            quads += [Quad(node, RDF_TYPE, node_type) for node_type in nodes.types.get(step.value, ())]
        current = node
    quads.append(Quad(current, path[-1], term))
    return quads


def _lift_fields(table: TableMapping, subject: NamedNode | BlankNode, row: dict[str, Any],
                 rules: dict[str, FieldRule], context: LiftContext, report: RowReport, nodes: _RowNodes,
                 geometry: dict[str, Any] | None = None, key: str | None = None, ignore: set[str] | None = None,
                 where: str = "") -> list[Quad]:
    """The quads of a row's (or a nested object's) fields on `subject`: values, points, nested nodes, links."""
    ignore = table.ignore if ignore is None else ignore
    quads: list[Quad] = []
    geo_fields: dict[str, Decimal] = {}
    point: tuple[Decimal, Decimal] | None = None
    point_field: tuple[FieldRule, Any] | None = None
    for name, raw in row.items():
        rule = rules.get(name)
        if rule is None:
            if name != key and name not in ignore and not _empty(raw):
                report.unmapped[where + name] += 1
                report.samples.setdefault(where + name, _text(raw)[:40])
            continue
        if rule.requires and not _has_values(rules, row, rule.requires):
            continue
        if rule.point:
            if not _empty(raw):
                point_field = (rule, raw)
            continue
        if rule.fields:
            quads += _nested(table, subject, rule, raw, context, report, nodes, where)
            continue
        for value in _values(raw, rule, report, where):
            if table.withheld and _normal(value) in table.withheld:
                report.withheld[where + name] += 1
                continue
            if rule.ref:
                quads += table._link(subject, rule, value, context)
                continue
            terms = _terms(value, rule, report, context.themes)
            if rule.path and rule.path[0].value == SCHEMA + "geo" and len(rule.path) == 2:
                leaf = _local_name(rule.path[1].value)
                if leaf in ("latitude", "longitude"):
                    geo_fields[leaf] = _decimal(value, name)
                    continue
            for path, term in terms:
                quads += _at_path(subject, path, term, nodes)
    if geometry is not None:
        try:
            shape_quads = geometry_quads(subject, geometry, context.area)
        except GeoError as error:
            raise RowError(str(error)) from error
        if point_field:
            report.note_geometry_over_fields(_pair(*point_field, check=False), point_field[0], shape_quads)
        elif "latitude" in geo_fields and "longitude" in geo_fields:
            report.note_geometry_over_fields((geo_fields["longitude"], geo_fields["latitude"]),
                                             FieldRule("latitude/longitude", point="lonlat"), shape_quads)
        quads += shape_quads
    else:
        if point_field:
            point = _pair(*point_field, area=context.area)
        if "latitude" in geo_fields and "longitude" in geo_fields:
            point = (geo_fields["longitude"], geo_fields["latitude"])
            try:
                check_axes(point[0], point[1], context.area, "geo.swapped-fields")
            except SwappedAxes as error:
                raise RowError(str(error)) from error
        elif geo_fields:
            raise RowError(f"only the {next(iter(geo_fields))} of a point is given")
        if point:
            quads += geo_quads(subject, point[0], point[1])
    return quads


def _nested(table: TableMapping, subject: NamedNode | BlankNode, rule: FieldRule, raw: Any, context: LiftContext,
            report: RowReport, nodes: _RowNodes, where: str) -> list[Quad]:
    """A nested object (or each of an array of them) as a node of its own, its fields mapped onto it."""
    from harvesters.jsonpath import value_at  # the nested fields are paths into the object

    quads: list[Quad] = []
    for item in raw if isinstance(raw, list) else [raw]:
        if not isinstance(item, dict):
            if not _empty(item):
                report.invalid[(where + rule.name, "not an object, so not a node of its own")].append(_text(item)[:40])
            continue
        node: NamedNode | BlankNode = BlankNode()
        types = rule.node or (nodes.types.get(rule.path[-1].value, []) if rule.path else [])
        if rule.key:
            key_value = _text(value_at(item, rule.key))
            if key_value:
                kind = context.kind_of([t.value for t in types]) or (
                    _local_name(types[0].value).lower() if types else "node")
                node = context.mint(kind, f"{context.source_id}-{table.key_prefix}{_local_name(rule.name)}-{key_value}")
        if rule.path:
            quads += _at_path(subject, rule.path, node, nodes)
        if rule.inverse:
            quads.append(Quad(node, rule.inverse, subject))
        quads += [Quad(node, RDF_TYPE, t) for t in types]
        sub_row = {name: value_at(item, name) for name in rule.fields}
        quads += _lift_fields(table, node, sub_row, rule.fields, context, report, _RowNodes(nodes.types),
                              key=rule.key, ignore=rule.ignore, where=f"{where}{rule.name}.")
    return quads


def _has_values(rules: dict[str, FieldRule], row: dict[str, Any], fields: list[str]) -> bool:
    """Whether the row has a value in each of these fields (under any spelling its rule accepts)."""
    for name in fields:
        rule = rules.get(name)
        spellings = [rule.name, *rule.also] if rule else [name]
        if all(_empty(row.get(spelling)) for spelling in spellings):
            return False
    return True


__all__ = ["GeoError", "Lifted", "LiftContext", "Mapping", "MappingError", "RowError", "RowReport", "RowSet",
           "TableMapping", "date_kind", "load_mapping", "parse_mapping", "shipped_mapping"]
