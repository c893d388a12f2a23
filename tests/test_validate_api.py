"""Publishers check before they publish: POST /api/validate and /validate give the CLI's verdict."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.gateway.validate import RateLimiter
from hub.pipeline.check_worker import CheckRequest, WorkerLimits, check_in_worker
from hub.pipeline.fetch import FetchPolicy, fetch_context
from tests.conftest import BASE, EXAMPLES, ROOT, free_port
from tests.loopback import Canary, serve
from tests.test_cli import cli

FIXTURES = ROOT / "tests" / "fixtures"
DOCUMENTS = [
    (FIXTURES / "practitioner-one-recommendation.ttl", "text/turtle"),
    (FIXTURES / "organization-founder-without-consent.jsonld", "application/ld+json"),
    (FIXTURES / "person-without-consent.ttl", "text/turtle"),
    (EXAMPLES / "feeds" / "assiette-commune.ttl", "text/turtle"),
    (EXAMPLES / "feeds" / "savoirs-communs.jsonld", "application/ld+json"),
]


@pytest.fixture()
def fresh_client(tmp_path: Path) -> Any:
    """An app with no generation published: validation needs none, and stores nothing."""
    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """Everything but blank-node labels (fresh on every parse) and the document's name."""
    return {
        "conforms": report["conforms"],
        "records": sorted(((r["subject"], r["kind"], r["accepted"], tuple(sorted(
            (x["shape"], x["component"], x["severity"], x["path"], json.dumps(x["message"], sort_keys=True),
             None if str(x["value"]).startswith("_:") else x["value"]) for x in r["results"])))
            for r in report["records"]), key=str),
        "verification": report["verification"],
        "warnings": len(report["warnings"]),
    }


@pytest.mark.parametrize(("path", "media"), DOCUMENTS, ids=[p.name for p, _ in DOCUMENTS])
def test_the_api_gives_the_cli_verdict(fresh_client: TestClient, path: Path, media: str) -> None:
    result = cli("--base-iri", BASE, "validate", str(path), "--json")
    assert result.returncode in (0, 1), result.stderr
    from_cli = json.loads(result.stdout)
    response = fresh_client.post("/api/validate", content=path.read_bytes(), headers={"Content-Type": media})
    assert response.status_code == 200, response.text
    from_api = response.json()
    assert comparable(from_api) == comparable(from_cli)
    assert (result.returncode == 0) == from_api["conforms"]


def test_validate_reports_a_practitioner_with_one_recommendation_as_not_verified() -> None:
    result = cli("validate", str(FIXTURES / "practitioner-one-recommendation.ttl"))
    assert result.returncode == 0, result.stdout  # listed: the records conform
    assert ("practitioner https://fixtures.example/id/sage-femme: not verified: 1 recommendation(s) from "
            "distinct professionals (2 needed)") in result.stdout
    french = cli("validate", str(FIXTURES / "practitioner-one-recommendation.ttl"), "--lang", "fr")
    assert "non vérifié·e : 1 recommandation(s)" in french.stdout


def test_the_api_answers_verification_and_offending_values(fresh_client: TestClient) -> None:
    body = (FIXTURES / "person-without-consent.ttl").read_bytes()
    report = fresh_client.post("/api/validate", content=body, headers={"Content-Type": "text/turtle"}).json()
    [person] = report["records"]
    assert not person["accepted"] and not report["conforms"]
    [consent] = [r for r in person["results"] if r["shape"].endswith("PersonShape-consent")]
    assert set(consent["message"]) == {"fr", "nl", "en"} and consent["severity"] == "Violation"
    practitioner = fresh_client.post("/api/validate?format=turtle",
                                     content=(FIXTURES / "practitioner-one-recommendation.ttl").read_bytes()).json()
    assert practitioner["verification"]["https://fixtures.example/id/sage-femme"] == {
        "verified": False, "recommendations": 1,
        "label": {"fr": "non vérifié·e", "nl": "niet geverifieerd", "en": "not verified"}}
    bad_geo = fresh_client.post("/api/validate", content=b'@prefix s: <https://schema.org/> . <https://x.example/o> '
                                b'a s:Place ; s:name "P"@fr ; s:geo [ s:latitude 60.0 ; s:longitude 4.3 ] .',
                                headers={"Content-Type": "text/turtle"}).json()
    # The publisher's own value (as Oxigraph writes numbers: "60" for 60.0): the area rule gives the point.
    assert any(r["value"] in ("POINT(4.3 60)", "POINT(4.3 60.0)") and r["params"]["location"] == r["value"]
               for r in bad_geo["records"][0]["results"])


def test_nothing_submitted_is_stored(fresh_client: TestClient, tmp_path: Path) -> None:
    body = (EXAMPLES / "feeds" / "assiette-commune.ttl").read_bytes()
    assert fresh_client.post("/api/validate", content=body, headers={"Content-Type": "text/turtle"}).status_code == 200
    data = tmp_path / "data"
    assert not data.exists() or not any(p.is_file() for p in data.rglob("*"))


def test_bad_requests_get_problems(fresh_client: TestClient) -> None:
    empty = fresh_client.post("/api/validate", content=b"  ", headers={"Content-Type": "text/turtle"})
    assert empty.status_code == 400 and empty.headers["content-type"].startswith("application/problem+json")
    broken = fresh_client.post("/api/validate", content=b"@prefix s: <https://schema.org/> .\n<a> s:b \"unclosed .",
                               headers={"Content-Type": "text/turtle"})
    assert broken.status_code == 422 and broken.json()["line"] == 2
    assert fresh_client.post("/api/validate?format=kml", content=b"x").status_code == 400
    assert fresh_client.post("/api/validate?language=not a tag", content=b"<a> <b> <c> .",
                             headers={"Content-Type": "text/turtle"}).status_code == 400
    # By URL, through the guarded fetcher: a loopback address is refused before any connection.
    canary = Canary()
    try:
        by_url = fresh_client.post(f"/api/validate?url=http://127.0.0.1:{canary.port}/feed.ttl")
        assert by_url.status_code == 422 and "non-public address" in by_url.json()["detail"]
        assert canary.connections() == 0
    finally:
        canary.close()
    assert fresh_client.post("/api/validate?url=file:///etc/passwd").status_code == 400
    remote = fresh_client.post("/api/validate", content=b'{"@context": "http://unknown.invalid/ctx.jsonld", '
                               b'"@type": "Organization", "name": "x"}',
                               headers={"Content-Type": "application/ld+json"})
    assert remote.status_code == 422 and "http://unknown.invalid/ctx.jsonld" in remote.json()["detail"]


def test_documents_are_size_capped(fresh_client: TestClient) -> None:
    fresh_client.app.state.validate_max_bytes = 1000  # type: ignore[attr-defined]
    response = fresh_client.post("/api/validate", content=b"#" * 1001, headers={"Content-Type": "text/turtle"})
    assert response.status_code == 413
    page = fresh_client.post("/validate", content=b"document=" + b"%23" * 1001 + b"+" * 100,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413


def test_checks_are_rate_limited(fresh_client: TestClient) -> None:
    fresh_client.app.state.validate_limiter = RateLimiter(limit=3, window=60)  # type: ignore[attr-defined]
    codes = [fresh_client.post("/api/validate", content=b" ", headers={"Content-Type": "text/turtle"}).status_code
             for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    limited = fresh_client.post("/api/validate", content=b" ")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_the_validate_page_checks_a_pasted_document(fresh_client: TestClient) -> None:
    page = fresh_client.get("/validate")
    assert page.status_code == 200 and "<textarea" in page.text and 'type="file"' in page.text
    document = (FIXTURES / "person-without-consent.ttl").read_text(encoding="utf-8")
    from urllib.parse import urlencode
    answer = fresh_client.post("/validate", content=urlencode({"document": document, "lang": "nl"}).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200
    assert "Een persoon mag enkel met toestemming gepubliceerd worden" in answer.text
    assert "rejected" in answer.text and "niet conform" in answer.text


# ---------------------------------------------------------------- hostile documents, on a real server

SERVE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from hub.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`mutualisons serve` (uvicorn) on a free loopback port, under a 3 GiB address space, over one small
    published source; stopped (and killed if need be) at the end."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "f.ttl").write_bytes((EXAMPLES / "feeds" / "assiette-commune.ttl").read_bytes())
    toml = tmp_path / "sources.toml"
    toml.write_text('[[source]]\nid = "f"\nname = "F"\nurl = "file:feeds/f.ttl"\nformat = "turtle"\n'
                    'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "F"\n'
                    'contact = "mailto:a@feed.example"\n', encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    common = ["--sources", str(toml), "--data", str(tmp_path / "data"), "--base-iri", base]
    assert cli(*common, "harvest").returncode in (0, 1)
    server = subprocess.Popen([sys.executable, "-c", SERVE, *common, "serve", "--host", "127.0.0.1", "--port",
                               str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "healthz", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def nested_document(levels: int) -> bytes:
    return ("@prefix schema: <https://schema.org/> .\n<http://feed.example/bad> a schema:NGO ; schema:name \"Bad\"@fr ;"
            " schema:description " + "[ schema:description " * levels + '"x"' + " ]" * levels + " .\n").encode()


def costly_document() -> bytes:
    """Nested identical siblings: about ten seconds of RDFC-1.0 (which the canonicalisation child stops)."""
    def tree(depth: int) -> str:
        return "[ <http://x.test/p> 1 ]" if depth == 0 else \
            "[ <http://x.test/p> " + " , ".join(tree(depth - 1) for _ in range(10)) + " ]"
    return ("<http://feed.example/t> a <https://schema.org/NGO> ; <https://schema.org/name> \"T\" ; "
            f"<http://x.test/q> {tree(2)} .\n").encode()


def test_hostile_documents_never_stop_the_server(served: tuple[str, subprocess.Popen[bytes]]) -> None:
    """The 17 KB and 170 KB documents that froze (99 s) and killed the hub: checked in worker processes,
    while /healthz, probed every 0.2 s, keeps answering in under a second and the server lives."""
    base, server = served
    latencies: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=5, trust_env=False) as http:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    http.get(base + "healthz").raise_for_status()
                    latencies.append(time.monotonic() - started)
                except httpx.HTTPError:
                    latencies.append(99.0)
                time.sleep(0.2)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    try:
        answers = []
        with httpx.Client(timeout=60, trust_env=False) as http:
            for document in (nested_document(800), nested_document(8000), costly_document()):
                answers.append(http.post(base + "api/validate", content=document,
                                         headers={"Content-Type": "text/turtle"}))
    finally:
        stop.set()
        prober.join(timeout=10)
    assert server.poll() is None
    assert len(latencies) >= 10
    assert sum(1 for seconds in latencies if seconds < 1) >= 0.99 * len(latencies), latencies
    assert max(latencies) < 3, latencies
    for answer, levels in zip(answers[:2], (800, 8000), strict=True):
        assert len(nested_document(levels)) in range(15_000, 200_000)
        assert answer.status_code == 200, answer.text
        [record] = answer.json()["records"]
        assert not record["accepted"] and not answer.json()["conforms"]
        [result] = record["results"]
        assert result["message"]["en"] == (f"the record is beyond the hub's limits: {levels} levels of nested nodes, "
                                           "at most 100; split it into smaller records or give its nodes IRIs")
        assert result["shape"] == "https://w3id.org/mutualisons/ns#RecordLimits"
    [costly] = answers[2].json()["records"]
    assert "more than 10 seconds of canonicalisation" in costly["results"][0]["message"]["en"]


def test_sigterm_stops_a_server_that_is_checking_a_hostile_document(
        served: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, server = served
    answers: list[int] = []

    def post() -> None:
        try:
            answers.append(httpx.post(base + "api/validate", content=costly_document(), timeout=30,
                                      headers={"Content-Type": "text/turtle"}, trust_env=False).status_code)
        except httpx.HTTPError:
            answers.append(0)

    poster = threading.Thread(target=post, daemon=True)
    poster.start()
    time.sleep(1.5)  # the worker is canonicalising by now
    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)
    assert time.monotonic() - started < 6
    poster.join(timeout=10)
    assert answers and answers[0] != 200  # cancelled, not answered after the fact


def test_a_check_past_its_deadline_or_memory_gets_a_problem(fresh_client: TestClient) -> None:
    fresh_client.app.state.validate_limits = WorkerLimits(seconds=1.0)  # type: ignore[attr-defined]
    started = time.monotonic()
    slow = fresh_client.post("/api/validate", content=costly_document(), headers={"Content-Type": "text/turtle"})
    assert time.monotonic() - started < 5
    assert slow.status_code == 422 and slow.headers["content-type"] == "application/problem+json"
    assert slow.json()["detail"] == ("checking it needed more than 1 s, all a check may take; split it into smaller "
                                     "documents, or check it with `mutualisons validate`")
    fresh_client.app.state.validate_slots = None  # type: ignore[attr-defined]
    fresh_client.app.state.validate_limits = WorkerLimits(memory=128 << 20)  # type: ignore[attr-defined]
    many = ("@prefix schema: <https://schema.org/> .\n" + "".join(
        f'<http://feed.example/o{i}> a schema:NGO ; schema:name "Org {i}" ; '
        f'schema:address [ schema:postalCode "1000" ] .\n'
        for i in range(9000))).encode()  # just under the 1 MiB a check takes, and some 150 MiB to check
    big = fresh_client.post("/api/validate", content=many, headers={"Content-Type": "text/turtle"})
    assert big.status_code == 413
    assert big.json()["detail"] == ("checking it needed more than 128 MiB of memory, all a check may take; split it "
                                    "into smaller documents")


def test_remote_contexts_are_fetched_by_the_server_and_handed_to_the_worker() -> None:
    """The worker has no network: it names the contexts it needs, the server fetches them (here from a
    trusted loopback server) and runs a fresh worker with them."""
    context = json.dumps({"@context": {"@vocab": "https://schema.org/"}}).encode()
    document = json.dumps({"@context": "CONTEXT", "@id": "http://feed.example/o", "@type": "NGO",
                           "name": "Org"}).encode()
    for server in serve(lambda _: (200, {"Content-Type": "application/ld+json"}, context)):
        url = server.url("/ctx.jsonld")
        request = CheckRequest(document.replace(b"CONTEXT", url.encode()), "application/ld+json", None, BASE)
        trusted = FetchPolicy(trusted_hosts=(server.hostport,))
        report = asyncio.run(check_in_worker(request, lambda u, policy=trusted: fetch_context(u, policy)))
        assert [r["types"] for r in report["records"]] == [["https://schema.org/NGO"]]
        assert [r.path for r in server.requests] == ["/ctx.jsonld"]
        assert request.contexts == {url: context}
