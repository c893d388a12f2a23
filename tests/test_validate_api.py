"""Publishers check before they publish: POST /api/validate and /validate give the CLI's verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.api.validate import RateLimiter
from hub.config import Settings
from tests.conftest import BASE, EXAMPLES, ROOT
from tests.loopback import Canary
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
    # The publisher's own value (as Oxigraph writes numbers: "60" for 60.0).
    assert any(r["value"] in ("60", "60.0") for r in bad_geo["records"][0]["results"])


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
