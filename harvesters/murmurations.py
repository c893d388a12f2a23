"""Murmurations (a distributed directory of the regenerative economy): the format `murmurations`.

A source names the index's node search (`url = "https://index.murmurations.network/v2/nodes?schema=
organizations_schema-v1.0.0&country=BE"`). Its document source reads, each through the hub's guarded fetcher:

1. the index's pages (`…&page=N&page_size=100`, harvesters/paging.py; the index says how many nodes it has in
   `meta.number_of_results`): each node gives its `profile_url`, its `primary_url`, its `status` and `last_updated`;
2. each node's profile, from wherever its node keeps it: every profile host is checked like any feed (trusted
   hosts, sizes, time), and a profile that fails fails alone (its record is kept). A node whose status is
   `deleted` is not asked for its profile (it is gone): once a walk reads every page, its record leaves the feed
   (a tombstone). `last_updated` drives incremental runs: a node whose `last_updated` is the one the same index
   page gave at the last run is taken as the profile kept then, with no request; any other is asked
   conditionally (ETag, Last-Modified).

An index page lifts to nothing itself (it is kept as a document of the run: what the hub saw). A profile is
checked against the schema it declares (`linked_schemas`: SCHEMAS lists the ones the hub reads, and what each
requires), then lifted with the shipped mapping's table for that schema (harvesters/mappings/murmurations.toml, or
the source's own): an organisation (organizations_schema) or a person (people_schema). A person is a person: the
hub publishes them only with a consent for public listing (docs/charter.md, "Consent"), which a Murmurations profile
does not carry by itself, so the shipped mapping publishes no person; a network whose profiles carry a dated consent
maps it in its own copy. Each record's key is its `primary_url`; the profile's URL is kept as its platform id.
Tags are keywords and, through the theme table (harvesters/themes/murmurations.toml), the hub's themes.

Written from the Murmurations protocol's public description (index_api-v2.md) and the schemas of its library, with
no node's data.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from harvesters.formats import DocumentContext, Failed, Format, LiftError, LiftResult, looks_like_json
from harvesters.json_mapping import lift_json, read_json
from harvesters.jsonpath import values_at
from harvesters.mapping import Mapping, load_mapping, shipped_mapping
from harvesters.paging import Fetch, P, Page, Paging, fetch_alone, pages, parse
from harvesters.platform import unix_time

FORMAT = "murmurations"
# What the index's search asks: numbered pages, the index saying how many nodes match.
PAGING = Paging(mode="page", page="page", size_param="page_size", size=100, total="meta.number_of_results",
                records=("data",))
_PROFILE_MARK = re.compile(rb'"linked_schemas"\s*:\s*\[')
_INDEX_MARK = re.compile(rb'"profile_url"\s*:')


@dataclass(frozen=True)
class Schema:
    """A Murmurations schema the hub reads: its name's prefix (any patch version), the mapping's table for it, the
    fields it requires, and the lifted fields whose JSON kind it fixes."""

    prefix: str
    table: str
    required: tuple[str, ...]
    kinds: tuple[tuple[str, type | tuple[type, ...]], ...] = ()


_TEXT = (("name", str), ("primary_url", str), ("description", str), ("image", str), ("telephone", str),
         ("tags", list), ("urls", list), ("images", list), ("geolocation", dict), ("contact_details", dict))
SCHEMAS = (
    Schema("organizations_schema-v1.", "organizations", ("linked_schemas", "name"),
           _TEXT + (("mission", str), ("nickname", str), ("full_address", str), ("country_iso_3166", str),
                    ("starts_at", int), ("ends_at", int))),
    Schema("people_schema-v0.1.", "people", ("linked_schemas", "name", "primary_url", "tags"),
           _TEXT + (("knows_language", list), ("street_address", str), ("locality", str), ("postal_code", str),
                    ("country_iso_3166", str))),
)


def documents(url: str, fetch: Fetch[P]) -> Iterator[P | Failed]:
    """The index's pages, each followed by the profiles of its nodes (a node met twice is asked once)."""
    asked: set[str] = set()
    for page in pages(url, fetch, fetch.paging or PAGING):
        yield page
        if isinstance(page, Failed):
            continue
        before = _last_updated(fetch.kept(page.url))  # what this page said at the last run
        for node in values_at(parse(page.body), "data"):
            target = node.get("profile_url") if isinstance(node, dict) else None
            if not isinstance(target, str) or urlsplit(target).scheme not in ("http", "https") or target in asked:
                continue
            if str(node.get("status", "posted")).lower() == "deleted":
                continue  # gone: not asked, so its record leaves once the walk is whole
            asked.add(target)
            if node.get("last_updated") is not None and before.get(target) == node["last_updated"]:
                # The index says the profile has not changed since the last run: the one kept then, no request.
                unchanged = fetch.kept(target)
                if unchanged is not None:
                    yield unchanged
                    continue
            yield from fetch_alone(fetch, target)


def _last_updated(page: Page | None) -> dict[str, Any]:
    """profile_url -> last_updated, as an index page gives them."""
    if page is None:
        return {}
    return {node["profile_url"]: node.get("last_updated") for node in values_at(parse(page.body), "data")
            if isinstance(node, dict) and isinstance(node.get("profile_url"), str)}


# --- lifting ---------------------------------------------------------------------------------------------------

def lift(body: bytes, context: DocumentContext) -> LiftResult:
    data = read_json(body, context.document, FORMAT)
    if isinstance(data, dict) and "linked_schemas" not in data and isinstance(data.get("data"), list):
        return LiftResult(b"")  # an index page: the walk read its nodes, their profiles are the records
    if not isinstance(data, dict):
        raise LiftError(context.document, FORMAT, "a Murmurations profile is a JSON object; this document is not one")
    schema = _schema_of(data, context.document)
    mapping = context.mapping or _shipped()
    table = mapping.tables.get(schema.table) or (
        next(iter(mapping.tables.values())) if len(mapping.tables) == 1 else None)
    if table is None:
        raise LiftError(context.document, FORMAT, f"the mapping {mapping.path} has no [tables.{schema.table}] for "
                                                   f"profiles of {schema.prefix}*: copy "
                                                   "harvesters/mappings/murmurations.toml")
    profile = {**data, "profile_url": context.document}
    for member in ("starts_at", "ends_at"):
        if member in profile:
            profile[member] = unix_time(profile[member], date_only=True)
    given = replace(context, mapping=Mapping(mapping.path, {table.name: table}, mapping.prefixes, mapping.calendar))
    lifted = lift_json(json.dumps(profile, ensure_ascii=False).encode(), given, FORMAT)
    return LiftResult.of(lifted.quads, lifted.warnings, lifted.row_errors)


def _schema_of(profile: dict[str, Any], document: str) -> Schema:
    """The first schema the profile declares that the hub reads, the profile checked against it; raises LiftError
    (the profile fails alone) saying what is wrong."""
    declared = profile.get("linked_schemas")
    if not isinstance(declared, list) or not all(isinstance(name, str) for name in declared) or not declared:
        raise LiftError(document, FORMAT, "a Murmurations profile declares its schemas in `linked_schemas` (a list "
                                          "of names); this one does not, so it cannot be checked")
    schema = next((s for name in declared for s in SCHEMAS if name.startswith(s.prefix)), None)
    if schema is None:
        known = ", ".join(s.prefix + "x" for s in SCHEMAS)
        raise LiftError(document, FORMAT, f"its schemas ({', '.join(declared)}) are none the hub reads ({known}): "
                                          "give the source a mapping for it, or leave this profile out")
    missing = [name for name in schema.required if profile.get(name) in (None, "", [])]
    if missing:
        raise LiftError(document, FORMAT, f"not a valid {schema.prefix}x profile: {', '.join(missing)} "
                                          f"{'is' if len(missing) == 1 else 'are'} required and missing")
    wrong = [f"{name} ({_kind(profile[name])}, not {_kind(kind)})" for name, kind in schema.kinds
             if profile.get(name) is not None and not _is(profile[name], kind)]
    if wrong:
        raise LiftError(document, FORMAT, f"not a valid {schema.prefix}x profile: {', '.join(wrong)}")
    return schema


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not (isinstance(value, bool) and kind is int)


def _kind(value: Any) -> str:
    kind = value if isinstance(value, type) else type(value)
    return {str: "a text", int: "a number", list: "a list", dict: "an object", float: "a number",
            bool: "a boolean"}.get(kind, kind.__name__)


@functools.cache
def _shipped() -> Mapping:
    return load_mapping(shipped_mapping(FORMAT))


def _sniff(head: bytes) -> int:
    if not looks_like_json(head):
        return 0
    return 80 if _PROFILE_MARK.search(head) or _INDEX_MARK.search(head) else 0


MURMURATIONS = Format(FORMAT, lift, mapping="optional", json=True, sniff=_sniff, documents=documents, themes=FORMAT,
                      provenance=True)
