"""Karte von Morgen / OpenFairDB (the map of sustainable initiatives and companies): the format `openfairdb`.

A source names the API (`url = "https://api.ofdb.io/v0"`, or its `/search?…` URL, whose `categories`, `tags` and
`text` parameters are kept) and a bounding box (`[source.paging] bbox`, or the URL's `bbox` parameter). Its document
source reads, each through the hub's guarded fetcher:

1. the search (`/search?categories=…&bbox=…&limit=500`) tile by tile (harvesters/paging.py): the search answers at
   most `limit` entries, the best rated first, so a tile that answers that many is cut in four and asked again. A
   search page gives ids only (its compact entries and their ratings are not lifted);
2. the full entries (`/entries/{id},{id},…`), the ids of every tile together, sorted, IDS_PER_REQUEST at a time: the
   same entries make the same URLs from one run to the next, so an unchanged map answers the same bytes;
3. the events in the box (`/events?bbox=…`), as agenda records.

Entries are lifted with the shipped mapping (harvesters/mappings/openfairdb.toml, `[tables.entries]` and
`[tables.events]`, or the source's own): Karte von Morgen's two categories become kinds (an initiative is a
`schema:Organization`, a company a `schema:LocalBusiness` too), tags are keywords and, through the theme table
(harvesters/themes/openfairdb.toml, the source's `themes` over it), the hub's themes; each entry's `license`
(CC0-1.0, ODbL-1.0) is its record's own licence (harvesters/platform.py); its `version` is kept, its ratings are
not; an entry's e-mail and telephone are the organisation's, and its contact person's name (`contact_name`), which
comes with no consent, is never lifted. Events' times (Unix seconds, written as the wall-clock time of the event)
become `xsd:dateTime`s; an event's organizer and creator, who may be persons, are not lifted.

Written from OpenFairDB's public API description (openapi.yaml) and source code, with no platform's data.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from harvesters.formats import (
    DocumentContext,
    DocumentFetchError,
    Failed,
    Format,
    LiftError,
    LiftResult,
    looks_like_json,
)
from harvesters.json_mapping import lift_json, read_json
from harvesters.jsonpath import values_at
from harvesters.mapping import Mapping, load_mapping, shipped_mapping
from harvesters.paging import Fetch, P, Paging, PagingError, fetch_alone, pages, parse, with_params
from harvesters.platform import unix_time

FORMAT = "openfairdb"
# Karte von Morgen's fixed category ids (openapi.yaml, `/search`'s `categories`): what kind an entry is.
INITIATIVE = "2cd00bebec0c48ba9db761da48678134"  # non-commercial
COMPANY = "77b3c33a92554bcf8e8c2c86cedd6f6f"  # commercial
SEARCH_LIMIT = 500  # entries a search is asked for; the server keeps to it up to its own cap (2000 today)
IDS_PER_REQUEST = 50  # ids in one `/entries/{ids}` URL: 50 × 33 characters stay far below any URL limit
_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")  # an id put in a URL path: nothing that could leave the segment
_ENDPOINTS = ("/search", "/entries", "/events", "/categories")
_SEARCH_MARK = re.compile(rb'^\s*\{\s*"(?:visible|invisible)"\s*:')
_ENTRY_MARK = re.compile(rb'"id"\s*:\s*"[0-9a-f]{32}"')
_ENTRY_FIELDS = (b'"license"', b'"lng"', b'"categories"')


def api(url: str) -> tuple[str, dict[str, str]]:
    """The API root (`https://api.ofdb.io/v0`) and the search parameters the configured URL gives (`categories`,
    `tags`, `text`, `bbox`…), from the root itself or any of its endpoints' URLs."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    for endpoint in _ENDPOINTS:
        cut = path.find(endpoint)
        if cut >= 0:
            path = path[:cut]
            break
    root = urlunsplit(parts._replace(path=path, query="", fragment=""))
    return root, dict(parse_qsl(parts.query, keep_blank_values=False))


def _paging(configured: Paging | None, params: dict[str, str], url: str) -> Paging:
    """The source's `[source.paging]` (records counted in `visible`), else tiles of the URL's `bbox`."""
    if configured is not None:
        return configured if configured.records is not None else replace(configured, records=("visible",))
    try:
        box = [float(value) for value in params.get("bbox", "").split(",")]
        return Paging.of({"bbox": box, "bbox_param": "bbox", "records": "visible", "size_param": "limit",
                          "size": SEARCH_LIMIT, "full_at": SEARCH_LIMIT})
    except (ValueError, PagingError) as error:
        raise DocumentFetchError(url, "Karte von Morgen's search needs a bounding box: give it as `bbox = [south, "
                                      "west, north, east]` in the source's [source.paging] table (e.g. [50.76, 4.24, "
                                      "50.92, 4.48]), or as the URL's bbox=SOUTH,WEST,NORTH,EAST") from error


def documents(url: str, fetch: Fetch[P]) -> Iterator[P | Failed]:
    """The search tiles, then the full entries they name, then the events of the box. A search tile or a batch of
    entries that fails, fails alone (the records it gave before are kept); a bound of the walk ends it."""
    root, params = api(url)
    paging = _paging(fetch.paging, params, url)
    search = {name: value for name, value in params.items() if name not in (paging.bbox_param, "limit")}
    search.setdefault("categories", f"{INITIATIVE},{COMPANY}")
    ids: set[str] = set()
    for page in pages(with_params(f"{root}/search", search), fetch, paging):
        yield page
        if not isinstance(page, Failed):
            ids.update(_ids(parse(page.body)))
    ordered = sorted(ids)
    for start in range(0, len(ordered), IDS_PER_REQUEST):
        yield from fetch_alone(fetch, f"{root}/entries/{','.join(ordered[start:start + IDS_PER_REQUEST])}")
    if paging.bbox is not None:
        box = paging.bbox_format.format(**dict(zip(("south", "west", "north", "east"), map(_degrees, paging.bbox),
                                                   strict=True)))
        for events in fetch_alone(fetch, with_params(f"{root}/events", {paging.bbox_param: box})):
            # No event in the box is no document (as an empty page is not): nothing to lift, nothing wrong.
            if isinstance(events, Failed) or parse(events.body) != []:
                yield events


def _ids(data: Any) -> set[str]:
    """The ids of a search page's entries in the box (`visible`; `invisible` ones lie outside it)."""
    return {item["id"] for item in values_at(data, "visible")
            if isinstance(item, dict) and isinstance(item.get("id"), str) and _ID.match(item["id"])}


def _degrees(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


# --- lifting ---------------------------------------------------------------------------------------------------

def lift(body: bytes, context: DocumentContext) -> LiftResult:
    data = read_json(body, context.document, FORMAT)
    if isinstance(data, dict) and ("visible" in data or "invisible" in data):
        return LiftResult(b"")  # a search page: the walk read its ids, the entries are lifted whole
    name = "events" if _is_events(data) else "entries"
    mapping = context.mapping or _shipped()
    table = mapping.tables.get(name) or (next(iter(mapping.tables.values())) if len(mapping.tables) == 1 else None)
    if table is None:
        raise LiftError(context.document, FORMAT, f"the mapping {mapping.path} has no [tables.{name}] for Karte von "
                                                   f"Morgen's {name}: copy harvesters/mappings/openfairdb.toml")
    if name == "events":
        body = json.dumps(_event_times(data), ensure_ascii=False).encode()
    one = Mapping(mapping.path, {table.name: table}, mapping.prefixes, mapping.calendar)
    given = replace(context, mapping=one)
    lifted = lift_json(body, given, FORMAT)
    return LiftResult.of(lifted.quads, lifted.warnings, lifted.row_errors)


def _is_events(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(
        isinstance(item, dict) and "start" in item and "license" not in item for item in data)


def _event_times(events: list[Any]) -> list[Any]:
    """Events with `start` and `end` as ISO date-times: OpenFairDB gives Unix seconds meant as the event's own
    wall-clock time (openapi.yaml, EventTime), so they are written without a time zone."""
    return [{**event, **{member: unix_time(event[member]) for member in ("start", "end") if member in event}}
            if isinstance(event, dict) else event for event in events]


@functools.cache
def _shipped() -> Mapping:
    return load_mapping(shipped_mapping(FORMAT))


def _sniff(head: bytes) -> int:
    if not looks_like_json(head):
        return 0
    if _SEARCH_MARK.match(head):
        return 80
    return 80 if _ENTRY_MARK.search(head) and all(mark in head for mark in _ENTRY_FIELDS) else 0


OPENFAIRDB = Format(FORMAT, lift, mapping="optional", json=True, sniff=_sniff, documents=documents, themes=FORMAT,
                    provenance=True)
