"""Paged HTTP APIs: which pages make a source's documents, read through the fetch function the hub gives.

A platform's API rarely answers everything at once. A source's `[source.paging]` table (docs/sources.md, "Paged
APIs") says how to read it, in one of four ways:

- `next`: each page names the next one, at a JSON path (`links.next`, `next`, `links[rel=next].href`) or in the
  HTTP `Link` header (`next = "header:Link"`, RFC 8288 `rel="next"`);
- `page`: a page-number parameter (`page = "page"`, from `first_page`), with the page size in `size_param`;
- `offset`: an offset parameter (`offset = "offset"`), moved on by the records each page gave;
- `bbox`: a bounding box cut into tiles, for an API that caps its answers (Karte von Morgen's search stops at a
  fixed number of results): a tile that answers `full_at` records or more may have lost some, so it is cut in
  four and each quarter asked again, down to `max_depth` cuts.

Each page is a document of its own (the hub keeps it, with its payload and fetch, like any fetched document). Page
URLs are built from the configured URL and the parameters in a fixed order, so a page keeps its URL from one run to
the next; `next` links are taken as the API gives them. A page whose fetch fails is yielded as `Failed` (the hub
keeps the records it gave before) and the walk goes on with the next page where the next page's URL is known
(numbered pages, offsets, tiles); a `next` walk ends there, since the failed page held the link. A page with no
record is not a document (an empty tile, the empty page after the last), unless the very first page has none:
then it is yielded, and its lift says why. The walk stops with WalkStopped at `max_pages` pages, `max_records`
records, or three failed pages in a row; the hub bounds the fetches and the bytes of a walk as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from harvesters.jsonpath import PathError, find_records, parse_path, value_at, values_at
from harvesters.limits import TooDeep, check_json_depth

MODES = ("next", "page", "offset", "bbox")
LINK_HEADER = "header:Link"
MAX_FAILED_IN_A_ROW = 3
_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')
KEYS = {"records", "next", "page", "first_page", "offset", "size_param", "size", "total", "bbox", "bbox_param",
        "bbox_format", "full_at", "max_depth", "max_pages", "max_records", "delay"}


class DocumentFetchError(Exception):
    """A document a document source asked for could not be fetched (the hub's FetchError is one): `url` and
    `reason`. A document source may catch it to go on with the next page; see `Failed`. A reason the hub's table
    of coded messages holds also carries its `code` and `params` (as LiftError does), so the hub says it in French,
    Dutch and English; `reason` is its English."""

    def __init__(self, url: str, reason: str, code: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.code = code
        self.params = dict(params or {})


class WalkStopped(DocumentFetchError):
    """A bound of the whole walk was reached (fetches, bytes, pages, records): the walk ends here, whatever the
    document source would do (it must not catch this one)."""


# The bounds of a walk as coded messages: this module imports nothing of the hub, so it writes the English itself,
# the same as the hub's `charter` catalog says under the code (tests/test_i18n.py checks it), and the hub says it
# in French and Dutch from there.
STOPPED = {
    "walk.max-pages": "the pages of {url} pass max_pages={max_pages}: the walk stops here (raise `max_pages` in "
                      "[source.paging] if the API really has more)",
    "walk.max-records": "the pages of {url} hold more than max_records={max_records} records: the walk stops here "
                        "(raise `max_records` in [source.paging] if that is expected)",
}


def stopped(at: str, code: str, **params: object) -> WalkStopped:
    """The walk stopped at a bound, at the URL `at`, with its coded message (`STOPPED`)."""
    return WalkStopped(at, STOPPED[code].format(**params), code, params)


@dataclass(frozen=True)
class Failed:
    """What a document source yields for a document that failed alone (a page answering 500): the hub reports it
    and keeps that document's previously published records, and the walk goes on."""

    url: str
    reason: str
    code: str | None = None  # the coded message of `reason`, when its fetch error had one (DocumentFetchError)
    params: dict[str, object] | None = None


class Page(Protocol):
    """A fetched page as the walk reads it (hub/pipeline/fetch.py's Fetched is one)."""

    @property
    def url(self) -> str: ...

    @property
    def body(self) -> bytes: ...

    @property
    def headers(self) -> dict[str, str]: ...


P = TypeVar("P", bound=Page)
P_co = TypeVar("P_co", bound=Page, covariant=True)


class Fetch(Protocol[P_co]):
    """The fetch function the hub gives a document source: the guarded fetcher with the source's rules (trusted
    hosts, sizes, deadline), conditional requests per URL, and the source's `[source.paging]` table as `paging`
    (None without one). A 304 answer comes back with the body the hub kept last time (`status` 304), so that a
    source can still read a page's links."""

    @property
    def paging(self) -> Paging | None: ...

    def __call__(self, url: str, /) -> P_co: ...

    def kept(self, url: str, /) -> P_co | None:
        """The document as the hub kept it from its last run, given back without a request (`status` 304), for a
        source whose index already says it has not changed (Murmurations' `last_updated`); None when the hub kept
        none."""
        ...


class PagingError(ValueError):
    """An invalid `[source.paging]` table: names the key and the reason."""

    def __init__(self, key: str | None, reason: str) -> None:
        super().__init__(reason)
        self.key = key


@dataclass(frozen=True)
class Paging:
    """How to read a paged API (the keys of `[source.paging]`, docs/sources.md)."""

    mode: str  # one of MODES
    records: tuple[str, ...] | None = None  # where a page's records are (None: found as `mapping suggest` finds them)
    next: str | None = None  # a JSON path, or LINK_HEADER
    page: str | None = None
    first_page: int = 1
    offset: str | None = None
    size_param: str | None = None
    size: int | None = None
    total: str | None = None  # the JSON path of the number of records the API has
    bbox: tuple[float, float, float, float] | None = None  # south, west, north, east
    bbox_param: str = "bbox"
    bbox_format: str = "{south},{west},{north},{east}"
    full_at: int | None = None
    max_depth: int = 8
    max_pages: int = 1000
    max_records: int = 1_000_000
    delay: float = 0.0  # seconds between two requests of the walk (an API's rate limit)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, table: Any) -> Paging:
        """A `[source.paging]` table, checked; raises PagingError naming the key."""
        if not isinstance(table, dict):
            raise PagingError(None, "'paging' must be a table: write [source.paging] under the [[source]]")
        for key in table:
            if key not in KEYS:
                raise PagingError(key, f"unknown key {key!r} in [source.paging]; known: {', '.join(sorted(KEYS))}")
        modes = [mode for mode in MODES if mode in table]
        if len(modes) != 1:
            raise PagingError(None, "[source.paging] says how to find the pages with exactly one of `next` (a JSON "
                                    "path, or \"header:Link\"), `page`, `offset` or `bbox`" +
                              (f", not {' and '.join(modes)}" if modes else ""))
        mode = modes[0]

        def text(key: str) -> str | None:
            value = table.get(key)
            if value is None:
                return None
            if not isinstance(value, str) or not value.strip():
                raise PagingError(key, f"{key!r} must be a non-empty string")
            return value.strip()

        def number(key: str, default: int | None, low: int = 1) -> int | None:
            value = table.get(key, default)
            if value is None:
                return None
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise PagingError(key, f"{key!r} must be an integer of at least {low}")
            return value

        def path(key: str) -> str | None:
            value = text(key)
            if value is not None and value != LINK_HEADER:
                try:
                    parse_path(value)
                except PathError as error:
                    raise PagingError(key, str(error)) from error
            return value

        records = table.get("records")
        if records is not None:
            records = [records] if isinstance(records, str) else records
            if not isinstance(records, list) or not all(isinstance(r, str) for r in records):
                raise PagingError("records", "'records' is a JSON path, or a list of them")
            for item in records:
                try:
                    parse_path(item)
                except PathError as error:
                    raise PagingError("records", str(error)) from error
        bbox = table.get("bbox")
        if bbox is not None:
            if not (isinstance(bbox, list) and len(bbox) == 4 and
                    all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox)):
                raise PagingError("bbox", "'bbox' is [south, west, north, east] in degrees, e.g. "
                                          "[50.76, 4.24, 50.92, 4.48]")
            south, west, north, east = (float(v) for v in bbox)
            if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
                raise PagingError("bbox", "'bbox' is [south, west, north, east]: south below north, west left of "
                                          "east, in degrees")
            bbox = (south, west, north, east)
        fmt = text("bbox_format") or "{south},{west},{north},{east}"
        try:
            fmt.format(south=0, west=0, north=0, east=0)
        except (KeyError, IndexError, ValueError) as error:
            raise PagingError("bbox_format", "'bbox_format' writes a box with {south}, {west}, {north} and {east}, "
                                             "e.g. \"{south},{west},{north},{east}\"") from error
        delay = table.get("delay", 0)
        if not isinstance(delay, int | float) or isinstance(delay, bool) or not 0 <= delay <= 60:
            raise PagingError("delay", "'delay' is a number of seconds between two requests, from 0 to 60")
        size = number("size", None)
        paging = cls(mode=mode, records=tuple(records) if records is not None else None, next=path("next"),
                     page=text("page"), first_page=number("first_page", 1, low=0) or 0, offset=text("offset"),
                     size_param=text("size_param"), size=size, total=path("total"), bbox=bbox,
                     bbox_param=text("bbox_param") or "bbox", bbox_format=fmt, full_at=number("full_at", None),
                     max_depth=number("max_depth", 8, low=0) or 0, max_pages=number("max_pages", 1000) or 1000,
                     max_records=number("max_records", 1_000_000) or 1_000_000, delay=float(delay))
        if mode == "offset" and size is None:
            raise PagingError("size", "offsets move on by the page size: give `size` (and `size_param`, the "
                                      "parameter that asks for it, e.g. \"limit\")")
        if size is not None and paging.size_param is None:
            raise PagingError("size_param", "'size' needs `size_param`: the parameter that asks for it, e.g. \"limit\"")
        if mode == "bbox" and paging.full_at is None:
            raise PagingError("full_at", "a bbox walk needs `full_at`: the number of results at which the API cuts "
                                         "its answer (a tile answering that many is cut in four)")
        return paging


def pages(url: str, fetch: Fetch[P], paging: Paging | None = None) -> Iterator[P | Failed]:
    """The pages of a paged API from `url`, each fetched through `fetch` (the hub's guarded fetcher)."""
    paging = paging or fetch.paging
    if paging is None:
        yield fetch(url)
        return
    walk = _Walk(url, fetch, paging)
    if paging.mode == "next":
        yield from walk.by_next()
    elif paging.mode == "bbox":
        yield from walk.by_tiles()
    else:
        yield from walk.by_number()


def fetch_alone(fetch: Fetch[P], url: str) -> Iterator[P | Failed]:
    """One document a document source asks for beyond the pages (a batch of entries, a profile): the page, or
    `Failed` when its fetch failed alone; a bound of the walk (WalkStopped) still ends the walk."""
    try:
        yield fetch(url)
    except WalkStopped:
        raise
    except DocumentFetchError as error:
        yield Failed(error.url, error.reason, error.code, error.params)


class _Walk:
    def __init__(self, url: str, fetch: Fetch[Any], paging: Paging) -> None:
        self.url = url
        self.fetch = fetch
        self.paging = paging
        self.pages = 0
        self.records = 0
        self.failed_in_a_row = 0

    def get(self, url: str) -> tuple[Any, Failed | None]:
        """(the page, None), or (None, why it failed alone); raises WalkStopped at a bound."""
        if self.pages >= self.paging.max_pages:
            raise stopped(url, "walk.max-pages", url=self.url, max_pages=self.paging.max_pages)
        self.pages += 1
        try:
            page = self.fetch(url)
        except WalkStopped:
            raise
        except DocumentFetchError as error:
            self.failed_in_a_row += 1
            if self.failed_in_a_row >= MAX_FAILED_IN_A_ROW:
                raise WalkStopped(error.url, f"{error.reason}; {MAX_FAILED_IN_A_ROW} pages failed in a row: the walk "
                                             "stops here") from error
            return None, Failed(error.url, error.reason, error.code, error.params)
        self.failed_in_a_row = 0
        return page, None

    def count(self, page: Any) -> tuple[Any, int | None]:
        """(the page's JSON, how many records it holds), (None, None) when it is not JSON that can be read."""
        data = parse(page.body)
        if data is None:
            return None, None
        if self.paging.records is not None:
            found = sum(len(values_at(data, path)) for path in self.paging.records)
        else:
            located = find_records(data)
            found = len(located[1]) if located is not None else 0
        self.records += found
        if self.records > self.paging.max_records:
            raise stopped(page.url, "walk.max-records", url=self.url, max_records=self.paging.max_records)
        return data, found

    def by_next(self) -> Iterator[Any]:
        current: str | None = self.url
        seen: set[str] = set()
        first = True
        while current is not None and current not in seen:
            seen.add(current)
            page, failed = self.get(current)
            if failed is not None:
                yield failed
                return  # the next page's URL was on the failed one
            data, found = self.count(page)
            if found or first or found is None:
                yield page
            first = False
            current = self.next_of(page, data)

    def next_of(self, page: Any, data: Any) -> str | None:
        assert self.paging.next is not None
        if self.paging.next == LINK_HEADER:
            target = link_next(dict(getattr(page, "headers", {}) or {}).get("link", ""))
        else:
            value = value_at(data, self.paging.next) if data is not None else None
            target = value if isinstance(value, str) and value.strip() else None
        return urljoin(page.url, target.strip()) if target else None

    def by_number(self) -> Iterator[Any]:
        paging = self.paging
        index, offset, total = 0, 0, None
        while True:
            params: dict[str, Any] = {}
            if paging.page is not None:
                params[paging.page] = paging.first_page + index
            else:
                assert paging.offset is not None and paging.size is not None
                params[paging.offset] = offset
            if paging.size_param and paging.size:
                params[paging.size_param] = paging.size
            target = with_params(self.url, params)
            page, failed = self.get(target)
            index += 1
            offset += paging.size or 0
            if failed is not None:
                yield failed
                if total is not None and offset >= total:
                    return
                continue
            data, found = self.count(page)
            if found is None:  # not JSON: its lift says why; the next page may be whole again
                yield page
                continue
            if total is None and paging.total and data is not None:
                total = _integer(value_at(data, paging.total))
            if found == 0:
                if index == 1:
                    yield page  # the API has nothing: the lift says what the page holds
                return
            yield page
            if total is not None and (offset if paging.offset else index * (paging.size or found)) >= total:
                return
            if paging.size and found < paging.size:
                return

    def by_tiles(self) -> Iterator[Any]:
        paging = self.paging
        assert paging.bbox is not None and paging.full_at is not None
        tiles: list[tuple[tuple[float, float, float, float], int]] = [(paging.bbox, 0)]
        first = True
        while tiles:
            box, depth = tiles.pop(0)
            params: dict[str, Any] = {paging.bbox_param: paging.bbox_format.format(
                south=_degrees(box[0]), west=_degrees(box[1]), north=_degrees(box[2]), east=_degrees(box[3]))}
            if paging.size_param and paging.size:
                params[paging.size_param] = paging.size
            target = with_params(self.url, params)
            page, failed = self.get(target)
            if failed is not None:
                yield failed
                first = False
                continue
            _, found = self.count(page)
            if found is not None and found >= paging.full_at:
                if depth < paging.max_depth:
                    tiles += [(quarter, depth + 1) for quarter in quarters(box)]
                    self.records -= found  # counted again in its quarters
                    first = False
                    continue
                yield Failed(target, f"this tile still answers {found} records (full_at={paging.full_at}) after "
                                     f"{paging.max_depth} cuts: some of its entries may be missing, so its records "
                                     "are kept as they were (raise `max_depth`, or narrow `bbox`)")
                first = False
                continue
            if found or first or found is None:
                yield page
            first = False


def parse(body: bytes) -> Any:
    """A page's JSON, or None when it is not JSON the hub reads (its lift says why)."""
    try:
        check_json_depth(body)
        return json.loads(body.decode("utf-8-sig"))
    except (TooDeep, UnicodeDecodeError, ValueError):
        return None


def with_params(url: str, params: dict[str, Any]) -> str:
    """The URL with these query parameters set (replacing any of the same name), the URL's own first, then
    these in the order given: the same page always gets the same URL."""
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name not in params]
    query += [(name, str(value)) for name, value in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query, safe=",;:")))


def link_next(header: str) -> str | None:
    """The `rel="next"` target of an HTTP Link header (RFC 8288), or None."""
    for target, attributes in _LINK.findall(header or ""):
        for attribute in attributes.split(";"):
            name, _, value = attribute.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').lower().split():
                return target
    return None


def quarters(box: tuple[float, float, float, float]) -> list[tuple[float, float, float, float]]:
    """A box (south, west, north, east) cut in four at its middle, south-west first."""
    south, west, north, east = box
    middle_lat, middle_lon = (south + north) / 2, (west + east) / 2
    return [(south, west, middle_lat, middle_lon), (south, middle_lon, middle_lat, east),
            (middle_lat, west, north, middle_lon), (middle_lat, middle_lon, north, east)]


def _degrees(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _integer(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
