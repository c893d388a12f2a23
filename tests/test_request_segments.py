"""What a client puts in a path segment or a cursor is the client's mistake, never the server's: a 4xx
problem saying what was expected, never a 500 (issue 17, item 6)."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from hub.core.config import Settings
from hub.pipeline.harvest import HarvestSummary
from tests.browser import serve
from tests.conftest import ROOT, free_port

ADMIN = "segments-admin-token"


def cursor_of(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


HOSTILE_CURSORS = {
    "g=1e400": b'{"g":1e400,"s":"id","k":["a","b"]}',
    "g=1.5": b'{"g":1.5,"s":"id","k":["a","b"]}',
    "g=NaN": b'{"g":NaN,"s":"id","k":["a","b"]}',
    "g=-Infinity": b'{"g":-Infinity,"s":"id","k":["a","b"]}',
    "g=10**40": b'{"g":10000000000000000000000000000000000000000,"s":"id","k":["a","b"]}',
    "g=-1": b'{"g":-1,"s":"id","k":["a","b"]}',
    "g=true": b'{"g":true,"s":"id","k":["a","b"]}',
    "g as text": b'{"g":"3","s":"id","k":["a","b"]}',
    "s a number": b'{"g":3,"s":7,"k":["a","b"]}',
    "3000 nested [": b"[" * 3000,
    "3000 nested { in k": b'{"g":1,"s":"id","k":' + b'{"a":' * 3000 + b"1" + b"}" * 3000 + b"}",
    "not UTF-8": b"\xff\xfe{}",
}


@pytest.mark.parametrize("raw", HOSTILE_CURSORS.values(), ids=HOSTILE_CURSORS.keys())
def test_a_cursor_that_is_not_one_of_ours_is_a_400_problem(client: TestClient, raw: bytes) -> None:
    answer = client.get("/api/organizations", params={"cursor": cursor_of(raw)})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["parameter"] == "cursor" and "Link rel=\"next\"" in answer.json()["detail"]


def test_an_oversized_cursor_is_refused_before_it_is_decoded(client: TestClient) -> None:
    answer = client.get("/api/organizations", params={"cursor": "W" * 20_000})
    assert answer.status_code == 400 and "at most 4096 characters" in answer.json()["detail"]
    # A cursor the API gave still works.
    first = client.get("/api/organizations", params={"limit": 2})
    following = first.links["next"]["url"]
    assert client.get(following).status_code == 200


# The decoding of hostile cursors runs in a child whose address space and time are capped: a regression
# that let json recurse or Python build huge numbers fails there, cleanly, instead of taking the machine.
CHILD = """
import base64, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))
from hub.gateway.gateway_params import BadParameter, decode_cursor
for raw in (b'{"g":1e400,"s":"id","k":["a","b"]}', b"[" * 3000, b"[" * 3_000_000, b'{"g":' + b"9" * 4000 + b"}"):
    try:
        decode_cursor(base64.urlsafe_b64encode(raw).decode("ascii"))
        print("ACCEPTED")
    except BadParameter as error:
        print("REFUSED", error.parameter)
"""


def test_hostile_cursors_are_refused_within_bounds() -> None:
    result = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:-1] == ["REFUSED cursor"] * 4


def test_the_change_feed_cursor_takes_ascii_digits_only(client: TestClient) -> None:
    for since in ("²", "1e400", "9" * 5000, "-1", "1.5"):
        answer = client.get("/api/changes", params={"since": since})
        assert answer.status_code == 400 and answer.json()["parameter"] == "since", since
    assert client.get("/api/changes", params={"limit": "١"}).status_code == 400  # an Arabic-Indic digit


# Characters a minted key never holds (the minter percent-encodes them): a space, `>`, `<`, a quote, NUL,
# a newline, braces, a backslash, a caret, a backtick, an invalid UTF-8 byte.
SEGMENTS = ["a b", "a>b", "a<b", 'a"b', "a%00b", "a%0Ab", "a{b}", "a\\b", "a^b", "a`b", "a|b", "%FF", "a%3Eb"]
ROUTES = [
    "/graph/assiette-commune/{}", "/graph/{}", "/graph/{}/key", "/id/organization/{}", "/id/{}/key", "/source/{}",
    "/run/{}/20261129T045825253419Z", "/run/assiette-commune/{}", "/payload/{}",
    "/api/graphs/{}/key/history", "/api/graphs/assiette-commune/{}/history", "/api/sources/{}/runs",
    "/api/sources/{}/quarantine", "/api/runs/{}/20261129T045825253419Z", "/api/runs/assiette-commune/{}",
    "/api/runs/{}/20261129T045825253419Z/payload", "/api/runs/assiette-commune/{}/payload",
]


@pytest.mark.parametrize("route", ROUTES)
def test_a_segment_no_minted_iri_holds_is_a_4xx_problem(client: TestClient, route: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)  # so the admin routes look at their segments too
    for segment in SEGMENTS:
        for accept in ("text/html", "application/ld+json"):
            answer = client.get(route.format(segment), headers={"Accept": accept,
                                                                 "Authorization": f"Bearer {ADMIN}"})
            assert answer.status_code in (400, 404), (route, segment, accept, answer.status_code)
            if answer.headers["content-type"] == "application/problem+json":
                assert answer.json()["detail"], (route, segment)
            else:  # the site's own "not found" page, for an entity that could exist
                assert answer.headers["content-type"].startswith("text/html"), (route, segment)


def test_a_harvest_is_not_started_for_a_segment_no_source_holds(client: TestClient,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)
    for segment in ("a b", "a>b", "a%00b"):
        for action in ("harvest", "confirm-removal"):
            answer = client.post(f"/api/sources/{segment}/{action}", headers={"Authorization": f"Bearer {ADMIN}"})
            assert answer.status_code == 404 and answer.json()["title"] == "Unknown source", action


def test_raw_characters_through_a_real_server_are_4xx(harvested: tuple[Settings, HarvestSummary]) -> None:
    """A client library percent-encodes `>`, `"` or `{`; a hostile one sends them raw, which uvicorn passes on."""
    settings, _ = harvested
    with serve(settings, free_port()) as base:
        port = int(base.rsplit(":", 1)[1])
        for path in ("/graph/assiette-commune/a>b", '/id/organization/a"b', "/api/runs/assiette-commune/a>b",
                     "/api/graphs/a{b}/key/history", "/run/a|b/x", "/source/a^b"):
            status, body = raw_get(port, path)
            assert status == 404, (path, status)  # the hub's own answer, not the HTTP parser's
            assert json.loads(body)["detail"], path


def raw_get(port: int, path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
                           "Connection: close\r\n\r\n".encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body
