"""Paged HTTP APIs through the guarded fetcher, against loopback servers that answer as platforms' APIs do.

Numbered pages, offsets, `next` links (a JSON path or the Link header) and a bounding box cut into tiles when the
API caps its answers; each page a document of its own; a page that fails alone keeps its records and says why;
429/503 honour Retry-After; a re-harvest asks page by page with ETags and writes nothing when nothing changed;
caps on pages, records and bytes stop a walk with a clear message."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from harvesters.paging import Paging, PagingError, link_next, quarters, with_params
from hub.core.config import ConfigError, Settings, load_sources
from hub.pipeline.harvest import RunSummary, harvest
from tests.conftest import BASE, quiet
from tests.loopback import Answer, LoopbackServer, Request, serve
from tests.test_format_table import published

MAPPING = '''records = "data"
type = "schema:Organization"
key = "id"
fields.name = { property = "schema:name", lang = "fr" }
fields."geo.latitude" = "schema:geo/schema:latitude"
fields."geo.longitude" = "schema:geo/schema:longitude"
'''
NAMES = "SELECT ?v WHERE { ?o a schema:Organization ; schema:name ?v }"


def entry(number: int) -> dict[str, Any]:
    """An element of the emulated platform, in Brussels (written for the tests, no platform's data)."""
    return {"id": f"e{number}", "name": f"Lieu {number}",
            "geo": {"latitude": f"{50.80 + number / 1000:.4f}", "longitude": f"{4.30 + number / 1000:.4f}"}}


@dataclass
class Api:
    """A platform's elements API: `?page=N&limit=S` (or `offset`), `{"data": [...], "total": n}`, ETags and 304s,
    and failures on demand: path -> (status, headers, how many times)."""

    entries: list[dict[str, Any]]
    failures: dict[int, tuple[int, dict[str, str], int]] = field(default_factory=dict)
    etags: bool = True
    pages_served: list[str] = field(default_factory=list)

    def route(self, request: Request) -> Answer:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        size = int(query.get("limit", "2"))
        start = int(query["offset"]) if "offset" in query else (int(query.get("page", "1")) - 1) * size
        number = start // size + 1
        failing = self.failures.get(number)
        if failing is not None and failing[2] > 0:
            self.failures[number] = (failing[0], failing[1], failing[2] - 1)
            return failing[0], failing[1], b'{"error": "try later"}'
        body = json.dumps({"data": self.entries[start:start + size], "total": len(self.entries)}).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.etags and request.headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        self.pages_served.append(request.path)
        return 200, {"Content-Type": "application/json", **({"ETag": etag} if self.etags else {})}, body


def source(tmp_path: Path, server: LoopbackServer, paging: str, path: str = "/api/elements.json",
           extra: str = "") -> Settings:
    (tmp_path / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\nid = "carte"\nname = "Carte"\nurl = "{server.url(path)}"\nformat = "json"\n'
        f'mapping = "mapping.toml"\nlanguage = "fr"\nlicense = "https://opendatacommons.org/licenses/odbl/1-0/"\n'
        f'publisher = "Carte"\ncontact = "mailto:carte@carte.example"\ntrusted_hosts = ["{server.hostport}"]\n'
        f'{extra}[source.paging]\n{paging}\n', encoding="utf-8")
    return Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)


def run(settings: Settings) -> RunSummary:
    return harvest(settings, progress=quiet).runs[0]


@pytest.fixture()
def api() -> Iterator[tuple[Api, LoopbackServer]]:
    emulated = Api([entry(n) for n in range(1, 11)])  # 10 entries: 5 pages of 2
    for server in serve(emulated.route):
        yield emulated, server


PAGES = 'page = "page"\nsize_param = "limit"\nsize = 2\ntotal = "total"'


def test_a_page_failing_on_page_3_of_5_fails_alone_and_keeps_its_records(api: tuple[Api, LoopbackServer],
                                                                          tmp_path: Path) -> None:
    emulated, server = api
    settings = source(tmp_path, server, PAGES)
    first = run(settings)
    assert (first.status, first.counts["added"], first.counts["documents"]) == ("succeeded", 10, 5)
    # Each page is its own document, with its own fetch node.
    documents = published(settings.data_dir,
                          "SELECT DISTINCT ?v WHERE { GRAPH ?m { ?f a hub:Fetch ; hub:document ?v } }")
    assert documents == sorted(server.url(f"/api/elements.json?page={n}&limit=2") for n in range(1, 6))
    # Page 3 now answers 500 (after the retries, Retry-After: 0 keeps them quick); its two entries changed meanwhile.
    emulated.failures[3] = (500, {"Retry-After": "0"}, 4)
    emulated.entries[4]["name"] = emulated.entries[5]["name"] = "changed, but on a page that failed"
    emulated.entries[8]["name"] = "Lieu 9 renamed"  # on page 5, read
    second = run(settings)
    page3 = server.url("/api/elements.json?page=3&limit=2")
    assert second.status == "partial"
    assert second.errors == [f"{page3}: HTTP 500 Internal Server Error after 3 retries [fetch.http-status-retried]"]
    assert (second.counts["updated"], second.counts["removed"], second.counts["documents"]) == (1, 0, 5)
    names = published(settings.data_dir, NAMES)
    assert "Lieu 5" in names and "Lieu 6" in names  # page 3's records, as published before
    assert "Lieu 9 renamed" in names and len(names) == 10
    # Page 3 reads again: its records change, nothing else does.
    third = run(settings)
    assert (third.status, third.counts["updated"], third.counts["removed"]) == ("succeeded", 2, 0), third.errors


def test_a_second_harvest_of_an_unchanged_api_writes_nothing_and_one_changed_entry_rewrites_one_record(
        api: tuple[Api, LoopbackServer], tmp_path: Path) -> None:
    emulated, server = api
    settings = source(tmp_path, server, PAGES)
    assert run(settings).counts["added"] == 10
    served = len(emulated.pages_served)
    again = run(settings)
    # Conditional requests page by page: every page answered 304, nothing transferred, nothing written.
    assert len(emulated.pages_served) == served
    assert (again.status, again.counts["added"], again.counts["updated"], again.counts["removed"],
            again.counts["unchanged"], again.counts["bytes"]) == ("succeeded", 0, 0, 0, 10, 0)
    emulated.entries[6]["name"] = "Lieu 7 renamed"
    changed = run(settings)
    assert (changed.counts["added"], changed.counts["updated"], changed.counts["removed"],
            changed.counts["unchanged"]) == (0, 1, 0, 9)
    assert emulated.pages_served[served:] == ["/api/elements.json?page=4&limit=2"]  # only its page came again
    assert "Lieu 7 renamed" in published(settings.data_dir, NAMES)
    # An entry gone from a complete walk leaves the feed; the others stay.
    del emulated.entries[0]
    gone = run(settings)
    assert (gone.counts["removed"], gone.counts["accepted"]) == (1, 9)


def test_without_etags_the_same_bytes_write_nothing(tmp_path: Path) -> None:
    emulated = Api([entry(n) for n in range(1, 6)], etags=False)
    for server in serve(emulated.route):
        settings = source(tmp_path, server, 'offset = "offset"\nsize_param = "limit"\nsize = 2')
        assert run(settings).counts["added"] == 5
        again = run(settings)
    assert (again.counts["added"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 5)
    assert emulated.pages_served.count("/api/elements.json?offset=0&limit=2") == 2
    # A short page is the last one: nothing is asked after it.
    assert "/api/elements.json?offset=6&limit=2" not in emulated.pages_served


def test_retry_after_is_honoured_within_its_bound(api: tuple[Api, LoopbackServer], tmp_path: Path) -> None:
    emulated, server = api
    emulated.failures[2] = (429, {"Retry-After": "1"}, 1)
    emulated.failures[4] = (503, {"Retry-After": "1"}, 1)
    settings = source(tmp_path, server, PAGES)
    started = time.monotonic()
    first = run(settings)
    assert (first.status, first.counts["added"]) == ("succeeded", 10)
    assert time.monotonic() - started >= 2.0  # two waits of a second, as asked
    # A Retry-After beyond the hub's bound (60 s) fails that page at once, saying so; the others are read.
    emulated.failures[2] = (503, {"Retry-After": "3600"}, 1)
    emulated.entries[0]["name"] = "Lieu 1 renamed"
    started = time.monotonic()
    second = run(settings)
    assert time.monotonic() - started < 30
    assert second.errors == [f"{server.url('/api/elements.json?page=2&limit=2')}: HTTP 503: the server asks to retry "
                             "after 3600 s, more than the 60 s the hub waits [fetch.retry-after-too-long]"]
    assert (second.status, second.counts["updated"], second.counts["removed"]) == ("partial", 1, 0)


@pytest.mark.parametrize(("paging", "extra", "message"), [
    ('page = "page"\nsize_param = "limit"\nsize = 2\nmax_pages = 2', "",
     "the pages of {url} pass max_pages=2: the walk stops here (raise `max_pages` in [source.paging] if the API "
     "really has more) [walk.max-pages]"),
    ('page = "page"\nsize_param = "limit"\nsize = 2\nmax_records = 5', "",
     "the pages of {url} hold more than max_records=5 records: the walk stops here (raise `max_records` in "
     "[source.paging] if that is expected) [walk.max-records]"),
    ('page = "page"\nsize_param = "limit"\nsize = 2', "max_bytes = 400\n",
     "the json documents of {url} exceed max_bytes=400 together: the walk stops here [walk.max-bytes]"),
])
def test_caps_stop_a_walk_with_a_clear_message_and_keep_what_was_read(api: tuple[Api, LoopbackServer], tmp_path: Path,
                                                                     paging: str, extra: str, message: str) -> None:
    _, server = api
    settings = source(tmp_path, server, paging, extra=extra)
    stopped = run(settings)
    url = server.url("/api/elements.json")
    assert stopped.status == "partial"
    assert len(stopped.errors) == 1 and stopped.errors[0].endswith(message.format(url=url)), stopped.errors
    assert 0 < stopped.counts["accepted"] < 10


def test_next_links_in_the_json_or_the_link_header(tmp_path: Path) -> None:
    entries = [entry(n) for n in range(1, 6)]

    def route(request: Request) -> Answer:
        number = int(parse_qs(urlsplit(request.path).query).get("cursor", ["0"])[0])
        following = f"/api/nodes?cursor={number + 2}" if number + 2 < len(entries) else None
        body = {"data": entries[number:number + 2], "links": [{"rel": "self", "href": request.path}] +
                ([{"rel": "next", "href": following}] if following else [])}
        headers = {"Content-Type": "application/json"}
        if following:
            headers["Link"] = f'<{following}>; rel="next", </api/nodes>; rel="first"'
        return 200, headers, json.dumps(body).encode()

    for server in serve(route):
        for number, paging in enumerate(('next = "links[rel=next].href"', 'next = "header:Link"')):
            (tmp_path / str(number)).mkdir()
            settings = source(tmp_path / str(number), server, paging, path="/api/nodes")
            walked = run(settings)
            assert (walked.status, walked.counts["added"], walked.counts["documents"]) == ("succeeded", 5, 3), paging
    assert link_next('<https://a.example/2>; rel="next"') == "https://a.example/2"
    assert link_next('<https://a.example/1>; rel="prev first"') is None


def test_a_capped_search_is_read_tile_by_tile(tmp_path: Path) -> None:
    """Like Karte von Morgen's search: at most `full_at` results per bounding box, so a full tile is cut in four."""
    entries = [entry(n) for n in range(1, 21)]
    asked: list[tuple[float, ...]] = []

    def route(request: Request) -> Answer:
        south, west, north, east = (float(v) for v in parse_qs(urlsplit(request.path).query)["bbox"][0].split(","))
        asked.append((south, west, north, east))
        inside = [e for e in entries if south <= float(e["geo"]["latitude"]) < north
                  and west <= float(e["geo"]["longitude"]) < east]
        return 200, {"Content-Type": "application/json"}, json.dumps({"visible": inside[:8], "invisible": []}).encode()

    for server in serve(route):
        settings = source(tmp_path, server, 'bbox = [50.79, 4.29, 50.83, 4.33]\nfull_at = 8\nrecords = "visible"',
                          path="/search")
        (tmp_path / "mapping.toml").write_text(MAPPING.replace('records = "data"', 'records = "visible"'))
        tiled = run(settings)
    assert (tiled.status, tiled.counts["added"]) == ("succeeded", 20), tiled.errors
    assert len(asked) > 1 and asked[0] == (50.79, 4.29, 50.83, 4.33)
    assert quarters((0.0, 0.0, 2.0, 4.0)) == [(0.0, 0.0, 1.0, 2.0), (0.0, 2.0, 1.0, 4.0), (1.0, 0.0, 2.0, 2.0),
                                             (1.0, 2.0, 2.0, 4.0)]


def test_page_urls_are_stable() -> None:
    assert with_params("https://a.example/api/elements.json?token=x&page=9", {"page": 2, "limit": 100}) == \
        "https://a.example/api/elements.json?token=x&page=2&limit=100"
    assert with_params("https://a.example/search", {"bbox": "50.8,4.3,50.9,4.4"}) == \
        "https://a.example/search?bbox=50.8,4.3,50.9,4.4"


@pytest.mark.parametrize(("table", "message"), [
    ('page = "page"\nnext = "next"', "exactly one of `next`"),
    ('pages = "page"', "unknown key 'pages' in [source.paging]"),
    ('offset = "offset"', "offsets move on by the page size: give `size`"),
    ('bbox = [50.9, 4.2, 50.8, 4.4]\nfull_at = 100', "south below north"),
    ('next = "links..next"', "path 'links..next': cannot read it"),
    ('page = "page"\ndelay = 600', "'delay' is a number of seconds between two requests, from 0 to 60"),
])
def test_a_paging_table_that_cannot_be_used_is_refused_with_its_line(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "carte"\nname = "Carte"\nurl = "https://carte.example/api"\nformat = "json"\n'
        'mapping = "m.toml"\nlicense = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Carte"\n'
        f'contact = "mailto:c@carte.example"\n\n[source.paging]\n{table}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")) as error:
        load_sources(tmp_path / "sources.toml")
    assert int(str(error.value).split(":")[1]) >= 10  # the line of the table, or of its key
    with pytest.raises(PagingError):
        Paging.of(dict(line.split(" = ") for line in ["page = x", "offset = y"]))


def test_a_delay_between_requests_keeps_to_an_api_s_rate_limit(api: tuple[Api, LoopbackServer], tmp_path: Path) -> None:
    _, server = api
    settings = source(tmp_path, server, PAGES + "\ndelay = 0.4")
    started = time.monotonic()
    paced = run(settings)
    assert (paced.status, paced.counts["added"]) == ("succeeded", 10)
    assert time.monotonic() - started >= 4 * 0.4  # five pages, four waits
