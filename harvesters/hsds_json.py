"""Open Referral HSDS 3.0 through its API (JSON): the format `hsds-json`, the sibling of the shipped HSDS CSV mapping.

A source names the API (`url = "https://directory.example/api"`), or one of its list endpoints
(`…/organizations`, `…/services`); the URL's own parameters (a `search`, a `taxonomy_term_id`…) are kept. Its
document source reads, through the hub's guarded fetcher and page by page (`page`, `per_page`, the API saying how
many items it has in `total_items`; harvesters/paging.py), one of:

- `/organizations?full=true&full_service=true` (the API's root, or its `/organizations`): fully nested
  organisations, each with its services (their phones, schedules, channels at locations) and its locations. An
  organisation's record and its locations' come whole from one page, so a page that fails keeps them as they were;
- `/services?full=true` (a `/services` URL: the one list the specification requires), fully nested services with
  their organisation's id and their locations. An organisation whose services lie on several pages is made of
  those pages: while one fails, its record lacks that page's services.

The pages are the HSDS API's `Page` objects (`{"total_items", "total_pages", "page_number", "size", "contents"}`);
an API that answers a bare array, or one organisation or service, is read the same way. Each document is laid out
as three lists (`organizations`, `services` with their `organization_id`, `locations` each once with theirs), then
lifted with the shipped mapping (harvesters/mappings/hsds-json.toml, or the source's own), in the vocabulary and
with the IRIs of the HSDS CSV mapping (harvesters/mappings/hsds.toml): the same directory published as CSV tables
or through its API gives the same records. The taxonomy terms of organisations and services
(`attributes[*].taxonomy_term.name`) reach the hub's themes through the theme table (harvesters/themes/
hsds-json.toml, the source's `themes` over it): a health organisation lands in the health directory. HSDS
`contacts` are persons with no consent: never lifted.

Written from the HSDS 3.0 API specification (openapi.json and its schemas), with no directory's data.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from harvesters.formats import DocumentContext, Failed, Format, LiftError, LiftResult, looks_like_json
from harvesters.json_mapping import lift_json, read_json
from harvesters.mapping import Mapping, load_mapping, shipped_mapping
from harvesters.paging import Fetch, P, Paging, pages, with_params

FORMAT = "hsds-json"
ENDPOINTS = ("organizations", "services")
# What the HSDS API specification's list endpoints take and give.
PAGING = Paging(mode="page", page="page", size_param="per_page", size=100, total="total_items",
                records=("contents",))
_PAGE_MARK = re.compile(rb'"(?:total_items|total_pages|page_number)"\s*:')
_CONTENTS = re.compile(rb'"contents"\s*:\s*\[')
_SERVICE_MARKS = ("organization_id", "organization", "service_at_locations", "status", "fees_description",
                  "eligibility_description", "application_process")


def api(url: str) -> tuple[str, str, dict[str, str]]:
    """(the API root, the list endpoint to read, the URL's own parameters): `services` for a `/services` URL,
    else `organizations`."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    params = {name: value for name, value in parse_qsl(parts.query) if name not in ("page", "per_page")}
    root = path[: -len(last) - 1] if last in ENDPOINTS else path
    return urlunsplit(parts._replace(path=root, query="", fragment="")), \
        last if last in ENDPOINTS else "organizations", params


def documents(url: str, fetch: Fetch[P]) -> Iterator[P | Failed]:
    """The endpoint's pages, fully nested (a page that fails, fails alone)."""
    root, endpoint, params = api(url)
    nested = {"full": "true", "full_service": "true"} if endpoint == "organizations" else {"full": "true"}
    yield from pages(with_params(f"{root}/{endpoint}", {**params, **nested}), fetch, fetch.paging or PAGING)


def lift(body: bytes, context: DocumentContext) -> LiftResult:
    data = read_json(body, context.document, FORMAT)
    laid = laid_out(data)
    mapping = context.mapping or _shipped()
    tables = {name: table for name, table in mapping.tables.items() if laid.get(name)}
    if not tables:
        if any(laid.values()):
            raise LiftError(context.document, FORMAT, f"the mapping {mapping.path} has no table for what this "
                                                       f"document holds ({', '.join(n for n in laid if laid[n])}): "
                                                       "copy harvesters/mappings/hsds-json.toml")
        return LiftResult(b"")  # an empty page: nothing to lift, and the walk's first page says so by its count
    given = replace(context, mapping=Mapping(mapping.path, tables, mapping.prefixes, mapping.calendar))
    lifted = lift_json(json.dumps(laid, ensure_ascii=False).encode(), given, FORMAT)
    return LiftResult.of(lifted.quads, lifted.warnings, lifted.row_errors)


def laid_out(data: Any) -> dict[str, list[dict[str, Any]]]:
    """A page (or a bare array, or one item) of organisations or services as the three lists the mapping reads:
    each service with its organisation's id, each location once with its organisation's id."""
    items = data.get("contents") if isinstance(data, dict) and isinstance(data.get("contents"), list) else data
    laid: dict[str, list[dict[str, Any]]] = {"organizations": [], "services": [], "locations": []}
    seen: set[str] = set()

    def location(place: Any, organization: Any) -> None:
        if isinstance(place, dict) and str(place.get("id")) not in seen:
            seen.add(str(place.get("id")))
            laid["locations"].append({**place, "organization_id": place.get("organization_id") or organization})

    def service(item: dict[str, Any], organization: Any) -> None:
        nested = item.get("organization")
        organization = item.get("organization_id") or (nested.get("id") if isinstance(nested, dict) else None) \
            or organization
        laid["services"].append({**item, "organization_id": organization})
        for channel in item.get("service_at_locations") or ():
            if isinstance(channel, dict):
                location(channel.get("location"), organization)

    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict):
            continue
        if _is_service(item):
            service(item, None)
            continue
        laid["organizations"].append(item)
        for place in item.get("locations") or ():
            location(place, item.get("id"))
        for offered in item.get("services") or ():
            if isinstance(offered, dict):
                service(offered, item.get("id"))
    return laid


def _is_service(item: dict[str, Any]) -> bool:
    """A service, not an organisation: what only a service has (HSDS 3.0 schemas), and no services of its own."""
    return "services" not in item and any(name in item for name in _SERVICE_MARKS)


@functools.cache
def _shipped() -> Mapping:
    return load_mapping(shipped_mapping(FORMAT))


def _sniff(head: bytes) -> int:
    return 80 if looks_like_json(head) and _PAGE_MARK.search(head) and _CONTENTS.search(head) else 0


HSDS_JSON = Format(FORMAT, lift, mapping="optional", json=True, sniff=_sniff, documents=documents, themes=FORMAT)
