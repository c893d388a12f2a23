"""Fetch errors said in French, Dutch and English (issue 22): a run stores "<url>: English sentence [fetch.…]",
the runs API's `said` and the /sources page say it in the reader's language.

A real harvest from a loopback server whose documents answer 500 (after the retries), 404, 410, a Content-Length
over the source's max_bytes, and a body that grows past it without one."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.charter import messages
from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.locale import LANGUAGES
from hub.pipeline.harvest import RunSummary, harvest
from tests.conftest import BASE, quiet
from tests.loopback import Answer, LoopbackServer, Request, serve

MAX_BYTES = 2000


def route(request: Request) -> Answer:
    if request.path == "/broken.ttl":
        return 500, {"Retry-After": "0"}, b"down"  # Retry-After: 0 keeps the three retries quick
    if request.path == "/gone.ttl":
        return 410, {}, b""
    if request.path == "/big.ttl":
        return 200, {"Content-Type": "text/turtle"}, b"#" * (MAX_BYTES * 2)
    if request.path == "/stream.ttl":  # no Content-Length: the cap is met while reading
        return 200, {"Content-Type": "text/turtle"}, (b"#" * 500 for _ in range(10))
    return 404, {}, b"no such page"


PATHS = ("/broken.ttl", "/missing.ttl", "/gone.ttl", "/big.ttl", "/stream.ttl")
# What each document's line is, by code, with the parameters the run keeps.
EXPECTED = {
    "/broken.ttl": ("fetch.http-status-retried", {"status": "500", "phrase": "Internal Server Error", "retries": "3"}),
    "/missing.ttl": ("fetch.http-status", {"status": "404", "phrase": "Not Found"}),
    "/gone.ttl": ("fetch.gone-kept", None),  # since: the run's time; grace: the source's default
    "/big.ttl": ("fetch.too-large-declared", {"declared": str(MAX_BYTES * 2), "max_bytes": str(MAX_BYTES)}),
    "/stream.ttl": ("fetch.too-large", {"max_bytes": str(MAX_BYTES)}),
}
SAID = {  # a few words each language must show, so a catalog that fell back to English fails
    "fr": ("le serveur a répondu HTTP 500 Internal Server Error (réessayé 3 fois)",
           "le serveur a répondu HTTP 404 Not Found", "l'éditeur a retiré ce flux",
           f"Content-Length {MAX_BYTES * 2} dépasse max_bytes={MAX_BYTES}",
           f"le document dépasse max_bytes={MAX_BYTES}"),
    "nl": ("de server antwoordde HTTP 500 Internal Server Error (3 keer opnieuw geprobeerd)",
           "de server antwoordde HTTP 404 Not Found", "de uitgever heeft deze feed ingetrokken",
           f"Content-Length {MAX_BYTES * 2} overschrijdt max_bytes={MAX_BYTES}",
           f"het document overschrijdt max_bytes={MAX_BYTES}"),
    "en": ("HTTP 500 Internal Server Error after 3 retries", "HTTP 404 Not Found",
           "HTTP 410 Gone: the publisher has withdrawn this feed",
           f"Content-Length {MAX_BYTES * 2} exceeds max_bytes={MAX_BYTES}", f"body exceeds max_bytes={MAX_BYTES}"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    yield from serve(route)


@pytest.fixture(scope="module")
def hub(server: LoopbackServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, RunSummary]:
    folder: Path = tmp_path_factory.mktemp("fetchwords")
    urls = ", ".join(f'"{server.url(path)}"' for path in PATHS)
    (folder / "sources.toml").write_text(
        f'[[source]]\nid = "net"\nname = "Réseau test"\nurl = [{urls}]\nformat = "turtle"\n'
        f'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Net"\n'
        f'contact = "mailto:net@net.example"\ntrusted_hosts = ["{server.hostport}"]\nmax_bytes = {MAX_BYTES}\n',
        encoding="utf-8")
    settings = Settings(folder / "sources.toml", folder / "data", BASE)
    [run] = harvest(settings, progress=quiet).runs
    return settings, run


def test_a_run_stores_each_fetch_error_with_its_code(hub: tuple[Settings, RunSummary],
                                                     server: LoopbackServer) -> None:
    _, run = hub
    by_url = {line.split(": ", 1)[0]: line for line in run.errors}
    assert sorted(by_url) == sorted(server.url(path) for path in PATHS) and len(run.errors) == len(PATHS)
    for path in PATHS:
        code, params, line = *EXPECTED[path], by_url[server.url(path)]
        assert line.startswith(f"{server.url(path)}: ") and line.endswith(f" [{code}]"), line
        read = messages.read_line(line)
        assert read is not None and read[1].code == code
        if params is not None:
            assert dict(read[1].params) == params
    # The English sentence is the one the hub wrote before the codes: a stored run reads the same.
    assert f"{server.url('/broken.ttl')}: HTTP 500 Internal Server Error after 3 retries [fetch.http-status-retried]" \
        in run.errors


def test_the_runs_api_says_fetch_errors_in_the_asked_language(hub: tuple[Settings, RunSummary]) -> None:
    settings, run = hub
    client = TestClient(create_app(settings))
    path = "/api/runs/" + run.run.split("/run/", 1)[1]
    for lang in LANGUAGES:
        answer = client.get(path, headers={"Accept-Language": lang}).json()
        assert sorted(answer["errors"]) == sorted(run.errors)  # stored in English with codes, whatever the language
        said = [line["text"] for line in answer["said"]["errors"]]
        assert sorted(line["code"] for line in answer["said"]["errors"]) == sorted(code for code, _ in
                                                                                   EXPECTED.values())
        for words in SAID[lang]:
            assert any(words in text for text in said), (lang, words, said)
        if lang != "en":
            assert not any("after 3 retries" in text or "exceeds" in text for text in said), said


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_the_sources_page_shows_fetch_errors_in_its_language(hub: tuple[Settings, RunSummary], lang: str) -> None:
    settings, run = hub
    page = TestClient(create_app(settings)).get("/sources", params={"lang": lang}).text
    for words in SAID[lang]:
        assert escape(words) in page, (lang, words)
    for line in run.errors:
        assert escape(line.rsplit(" [", 1)[0]) not in page  # the address and the English sentence: not shown
        assert escape(str(messages.localize(line, lang)["text"])) in page
