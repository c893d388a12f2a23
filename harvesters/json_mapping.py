"""Lift JSON documents (a platform's API, an export) through a declarative mapping: the format `json`.

The sibling of the GeoJSON and CSV mappings (docs/mappings.md, "JSON documents"). The mapping says where the
records are (`records = "data"`, `"visible"`, a dotted path, or the document itself when it is an array), and each
field is a path into a record (`address.postalCode`, `geo.latitude`, `categories[*]`, `openHours.Mo`). A nested
object is mapped through its own fields onto a node of its own (`fields` in the rule), or flattened by rule
(`flatten`); it is never stored as a Python repr. Numbers given as text (`"2.086475"`) are read as numbers by the
`number` transform and by coordinates. Everything else (keys, transforms, concepts, theme tables, consent
`requires`/`nodes`, the area check of points) is harvesters/mapping.py's, as for CSV rows and GeoJSON features.

A document that gives no record says why, with a coded message (hub/charter/messages.py): its records path leads
nowhere or to nothing (`lift.records-empty`, with what the document holds), or its items are of no record class
(`lift.no-record-class`, with the types seen). Nesting is bounded before json.loads recurses (harvesters/limits.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any

from pyoxigraph import NamedNode, Quad

from harvesters.formats import DocumentContext, Format, LiftError, LiftResult, looks_like_json, names_jsonld_keywords
from harvesters.jsonpath import PathError, describe, find_records, leaves, plain_path, value_at, values_at
from harvesters.limits import TooDeep, check_json_depth
from harvesters.mapping import (
    FieldRule,
    LiftContext,
    Lifted,
    MappingError,
    RowError,
    RowReport,
    TableMapping,
    check_paths,
)
from harvesters.platform import derived_from, describe_upstream, license_iri, record_license
from harvesters.suggest import suggest_from_rows

FORMAT = "json"
_GEOJSON_MARKS = (b'"FeatureCollection"', b'"Feature"', b'"features"')


def read_json(body: bytes, document: str, format_name: str = FORMAT) -> Any:
    """The parsed document; raises LiftError with the line and column of a syntax error, or for nesting too deep."""
    try:
        check_json_depth(body)  # json.loads recurses: bounded before it starts
    except TooDeep as error:
        raise LiftError(document, format_name, str(error), error.line, error.column) from error
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise LiftError(document, format_name, f"not UTF-8 (byte {error.start}); JSON is UTF-8 (RFC 8259)") from error
    except json.JSONDecodeError as error:
        raise LiftError(document, format_name, error.msg, error.lineno, error.colno) from error


def records_of(data: Any, paths: list[str] | None, document: str, format_name: str = FORMAT) -> tuple[str, list[Any]]:
    """(where, items) of a document's records: the table's `records` paths, else where `find_records` finds an
    array of objects. Raises a coded LiftError when that gives nothing."""
    if paths is None:
        found = find_records(data)
        if found is None:
            raise no_records(document, format_name, "(none found: say where with `records`)", data)
        where, items = found
        return where or "the document itself", items
    items = [item for path in paths for item in values_at(data, path)]
    where = ", ".join(repr(path) if path else "the document itself" for path in paths)
    if not items:
        raise no_records(document, format_name, where, data)
    return where, items


def no_records(document: str, format_name: str, where: str, data: Any) -> LiftError:
    found = describe(data)
    return LiftError(document, format_name, f"no record at {where}: the document holds {found}; say where its "
                     "records are with the mapping's `records` (a dotted path; \"\" for the document itself)",
                     code="lift.records-empty", params={"records": where, "found": found})


def no_record_class(document: str, format_name: str, count: int, where: str, types: list[str]) -> LiftError:
    seen = ", ".join(types) or "none"
    return LiftError(document, format_name, f"none of the {count} item(s) at {where} is of a record class "
                     f"(types seen: {seen}); give them a type the hub publishes (schema:Organization, schema:Place, "
                     "schema:Event…)", code="lift.no-record-class", params={"count": count, "records": where,
                                                                           "types": seen})


def row_of(item: dict[str, Any], table: TableMapping) -> dict[str, Any]:
    """A record as the mapping's lifter reads a row: each mapped field's path -> the value(s) it reaches."""
    row: dict[str, Any] = {}
    names = list(table.rules) + ([table.key] if table.key and table.key not in table.rules else [])
    for name in names:
        value = value_at(item, name)
        if value is not None:
            row[name] = value
    return row


def covered_paths(table: TableMapping) -> set[str]:
    """The plain paths a table maps or ignores: a record's leaves under none of them are reported as unmapped."""
    covered = {plain_path(name) for name in table.ignore}
    covered.update(plain_path(path) for path in (table.key, table.license, table.upstream) if path)

    def add(rules: dict[str, FieldRule], prefix: str) -> None:
        for name, rule in rules.items():
            path = prefix + plain_path(name)
            if rule.fields:
                add(rule.fields, path + ".")
                covered.update(path + "." + plain_path(ignored) for ignored in rule.ignore)
                if rule.key:
                    covered.add(path + "." + plain_path(rule.key))
            else:
                covered.add(path)

    add(table.rules, "")
    return covered


def _unmapped(item: dict[str, Any], covered: set[str], report: RowReport) -> None:
    seen: set[str] = set()
    for path, value in leaves(item):
        if path in seen or any(path == c or path.startswith(c + ".") for c in covered if c):
            continue
        seen.add(path)
        report.unmapped[path] += 1
        report.samples.setdefault(path, ("true" if value else "false") if isinstance(value, bool) else str(value)[:40])


def lift_json(body: bytes, context: DocumentContext, format_name: str = FORMAT) -> Lifted:
    document = context.document
    data = read_json(body, document, format_name)
    mapping = context.required_mapping(format_name)
    tables = [table for table in mapping.tables.values() if table.matches(document)]
    if not tables:
        raise LiftError(document, format_name, f"no table of the mapping {mapping.path} matches this document's name")
    rows = LiftContext(document, context.source_id, context.mint, context.kind_of, context.language, context.area,
                       context.themes)
    lifted = Lifted()
    # A table of nodes (HSDS services) may read a document beside a table of records (the locations in it).
    records = any(context.kind_of([t.value for t in table.types]) is not None for table in tables)
    for table in tables:
        try:
            check_paths(table)
        except MappingError as error:
            raise LiftError(document, format_name, f"mapping {mapping.path}: {error}") from error
        where, items = records_of(data, table.records, document, format_name)
        if not records:
            raise no_record_class(document, format_name, len(items), where, [t.value for t in table.types])
        report = RowReport(document, known_fields=sorted(table.rules))
        covered = covered_paths(table)
        label = "" if len(tables) == 1 else f"[{table.name}] "
        for number, item in enumerate(items, start=1):
            place = f"{document}: {label}record #{number}"
            if not isinstance(item, dict):
                lifted.row_errors.append(f"{place}: not an object but {describe(item)}")
                continue
            row = row_of(item, table)
            _unmapped(item, covered, report)
            try:
                lifted.quads += table.lift_row(row, rows, report)
                lifted.quads += _provenance(item, table, rows, report)
            except (RowError, ValueError, PathError) as error:  # ValueError: a term pyoxigraph refuses
                key = row.get(table.key) if table.key else None
                lifted.row_errors.append(place + (f" ({table.key}={key})" if key is not None else "") + f": {error}")
        lifted.warnings += report.warnings()
    return lifted


def _provenance(item: dict[str, Any], table: TableMapping, context: LiftContext, report: RowReport) -> list[Quad]:
    """A record's own licence and upstream source, where the mapping names the fields that give them
    (`license`, `upstream`): said on its record graph's description, not in its data (harvesters/platform.py)."""
    subject = table.keyed_subject(row_of(item, table), context) if table.license or table.upstream else None
    if subject is None:
        return []
    quads: list[Quad] = []
    if table.license:
        name = value_at(item, table.license)
        iri = license_iri(str(name)) if isinstance(name, str | int | float) else None
        if iri is not None:
            quads.append(record_license(subject, iri))
        elif name not in (None, ""):
            report.invalid[(table.license, "not a licence the hub knows (an SPDX name such as CC0-1.0, or an "
                                           "IRI): the source's licence applies")].append(str(name)[:40])
    if table.upstream:
        name = value_at(item, table.upstream)
        if isinstance(name, str) and name.strip():
            upstream = NamedNode(name.strip()) if name.strip().startswith(("http://", "https://")) else \
                context.mint("upstream", f"{context.source_id}-{slug(name)}")
            quads.append(derived_from(subject, upstream))
            quads += describe_upstream(upstream, name.strip())
    return quads


def slug(text: str) -> str:
    """A name as an IRI's last segment: "Open Street Map" -> "open-street-map"."""
    return re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
                  .lower()).strip("-") or hashlib.sha256(text.encode()).hexdigest()[:12]


def _sniff(head: bytes) -> int:
    # Any JSON that is neither JSON-LD nor GeoJSON: a platform's API, an export. Platform formats that recognise
    # their own marks answer surer than this.
    if not looks_like_json(head) or names_jsonld_keywords(head) or any(mark in head for mark in _GEOJSON_MARKS):
        return 0
    return 30


def _lift(body: bytes, context: DocumentContext) -> LiftResult:
    lifted = lift_json(body, context)
    return LiftResult.of(lifted.quads, lifted.warnings, lifted.row_errors)


def flat_rows(items: list[Any]) -> list[dict[str, Any]]:
    """Records as rows of plain paths -> value (a list where the path reaches several), for `mapping suggest`."""
    rows = []
    for item in items:
        if not isinstance(item, dict):
            continue
        row: dict[str, Any] = {}
        for path, value in leaves(item):
            if isinstance(value, bool):
                value = "true" if value else "false"
            if path in row:
                row[path] = (row[path] if isinstance(row[path], list) else [row[path]]) + [value]
            else:
                row[path] = value
        rows.append(row)
    return rows


def _suggest(body: bytes, document: str, name: str) -> str:
    data = read_json(body, document)
    found = find_records(data)
    if found is None:
        raise no_records(document, FORMAT, "(none found)", data)
    where, items = found
    return suggest_from_rows(name, FORMAT, "records", flat_rows(items), has_geometry=False, records=where)


JSON = Format(FORMAT, _lift, mapping="required", json=True, sniff=_sniff, suggest=_suggest, provenance=True)
