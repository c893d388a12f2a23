"""A strict, well-described API: every wrong call gets a precise 4xx, HEAD answers every GET, /docs and /redoc
render from vendored files, OpenAPI describes each format's answer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from hub.gateway.gateway_params import known_classes


@pytest.mark.parametrize(("params", "parameter", "suggested"), [
    ({"bboxx": "4.3,50.8,4.4,50.9"}, "bboxx", "bbox"),
    ({"theme": "foo"}, "theme", None),
    ({"theme": "jardinss"}, "theme", "jardins"),
    ({"source": "assiete-commune"}, "source", "assiette-commune"),
    ({"type": "GroceryStor"}, "type", "GroceryStore"),
    ({"format": "geojsn"}, "format", "geojson"),
    ({"fields": "nmae"}, "fields", "name"),
    ({"facets": "themes"}, "facets", "theme"),
    ({"from": "2027-01-01"}, "from", None),  # an events-only parameter on organisations
])
def test_unknown_parameters_and_values_are_400_problems_with_a_suggestion(
        client: TestClient, params: dict[str, str], parameter: str, suggested: str | None) -> None:
    response = client.get("/api/organizations", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["parameter"] == parameter and problem["detail"].startswith(parameter)
    if suggested is not None:
        assert problem["suggestion"] == suggested and f"did you mean {suggested!r}" in problem["detail"]


def test_a_cache_buster_is_still_harmless(client: TestClient) -> None:
    assert client.get("/api/organizations", params={"_": "1700000000"}).status_code == 200


@pytest.mark.parametrize(("accept", "expected"), [
    ("application/xml", 406), ("text/html;q=0, application/pdf", 406), ("image/*", 406),
    ("*/*", "application/ld+json"), ("text/*", "text/csv"), ("application/*;q=0.5, text/turtle", "text/turtle"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/ld+json"),
    ("application/geo+json", "application/geo+json"),
])
def test_accept_is_honoured_or_refused_with_406(client: TestClient, accept: str, expected: int | str) -> None:
    response = client.get("/api/organizations", headers={"Accept": accept})
    if expected == 406:
        assert response.status_code == 406 and response.json()["title"] == "Not acceptable"
        assert "application/geo+json" in response.json()["offered"]
    else:
        assert response.status_code == 200 and response.headers["content-type"].startswith(str(expected))
    # format= wins over Accept, and a calendar path answers whatever a calendar client accepts.
    assert client.get("/api/organizations", params={"format": "csv"}, headers={"Accept": accept}).status_code == 200
    assert client.get("/api/events.ics", headers={"Accept": accept}).status_code == 200


def sample(path: str) -> str:
    """A GET path with its path parameters filled with something it may answer (or refuse cleanly)."""
    return re.sub(r"\{[^}]+\}", "example", path)


def get_paths(routes: list[Any]) -> set[str]:
    """Every GET path of the application, included routers walked (FastAPI keeps them whole, without a prefix
    here)."""
    found: set[str] = set()
    for route in routes:
        if isinstance(route, APIRoute | Route) and "GET" in (route.methods or set()):
            found.add(route.path)
        elif hasattr(route, "original_router"):
            found |= get_paths(route.original_router.routes)
    return found


def test_head_answers_every_get(client: TestClient) -> None:
    paths = sorted(get_paths(client.app.routes))  # type: ignore[attr-defined]
    assert {"/", "/api/organizations", "/sparql", "/docs", "/redoc", "/openapi.json", "/agenda"} <= set(paths)
    for path in paths:
        url = sample(path)
        params = {"query": "ASK {}"} if path == "/sparql" else {}
        got = client.get(url, params=params)
        head = client.head(url, params=params)
        assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
        assert head.content == b"", path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        if "content-length" in got.headers and "etag" in got.headers:
            assert head.headers["content-length"] == got.headers["content-length"], path
    assert client.head("/api/organizations", params={"bboxx": "1"}).status_code == 400


def test_unknown_paths_are_problems_for_clients_and_a_localised_page_for_browsers(client: TestClient) -> None:
    api = client.get("/api/organisationz")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["status"] == 404
    assert client.get("/nowhere", headers={"Accept": "application/json"}).headers["content-type"].startswith(
        "application/problem+json")
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for language, words in (("nl", "Niet gevonden"), ("fr", "Introuvable"), ("en", "Not found")):
        page = client.get("/nowhere", headers={**browser, "Accept-Language": language})
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert f'<html lang="{language}">' in page.text and words in page.text and "/nowhere" in page.text


def test_docs_and_redoc_load_nothing_from_elsewhere(client: TestClient) -> None:
    for path, asset in (("/docs", "/static/vendor/swagger-ui/swagger-ui-bundle.js"),
                        ("/redoc", "/static/vendor/redoc/redoc.standalone.js")):
        page = client.get(path)
        assert page.status_code == 200 and asset in page.text
        # Every script and stylesheet is the hub's own: the page renders with the network cable out.
        for reference in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert reference.startswith("/"), (path, reference)
        assert "fonts.googleapis" not in page.text and "cdn.jsdelivr" not in page.text
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 100_000
    assert client.get("/static/vendor/swagger-ui/swagger-ui.css").status_code == 200
    assert "Apache License" in client.get("/static/vendor/swagger-ui/LICENSE").text
    assert "MIT" in client.get("/static/vendor/redoc/LICENSE").text


def test_openapi_has_a_schema_and_an_example_per_format(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/organizations", "/api/events", "/api/people"):
        responses = spec["paths"][path]["get"]["responses"]
        content = responses["200"]["content"]
        expected = {"application/ld+json", "application/geo+json", "text/csv", "text/turtle"}
        assert expected | ({"text/calendar"} if path == "/api/events" else set()) == set(content)
        for media, described in content.items():
            assert described["schema"] and described["example"], (path, media)
        for status in ("400", "406"):
            assert responses[status]["content"]["application/problem+json"]["schema"]["required"]
        names = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert {"fields", "facets", "audience", "cost", "availability"} <= names
    # The real answers have what the schemas require.
    geo = client.get("/api/organizations", params={"format": "geojson", "limit": 2}).json()
    geo_schema = spec["paths"]["/api/organizations"]["get"]["responses"]["200"]["content"]["application/geo+json"]
    assert set(geo_schema["schema"]["required"]) <= set(geo)
    feature_schema = geo_schema["schema"]["properties"]["features"]["items"]
    assert all(set(feature_schema["required"]) <= set(f) for f in geo["features"])
    ld = client.get("/api/organizations", params={"limit": 2}).json()
    ld_schema = spec["paths"]["/api/organizations"]["get"]["responses"]["200"]["content"]["application/ld+json"]
    assert set(ld_schema["schema"]["required"]) <= set(ld)


def test_sparql_post_without_a_content_type_is_a_400(client: TestClient) -> None:
    response = client.post("/sparql", content=b"ASK {}")
    assert response.status_code == 400 and response.json()["title"] == "Missing media type"


def test_type_shorthands_cover_the_hub_classes() -> None:
    classes: dict[str, Any] = known_classes()
    for local in ("AvailableSpace", "GoodAddress", "HealthStructure", "HealthPractitioner", "Subsidy",
                  "FundingSource", "ToolboxResource"):
        assert classes[local] == f"https://w3id.org/mutualisons/ns#{local}"
    assert classes["Organization"] == "https://schema.org/Organization"


def test_the_other_api_resources_refuse_parameters_they_do_not_take(client: TestClient) -> None:
    for path, params, suggested in (("/api/changes", {"sinse": "0"}, "since"),
                                    ("/api/sources", {"limit": "3"}, None),
                                    ("/api/provenance", {"subjet": "https://x.example/a"}, "subject")):
        response = client.get(path, params=params)
        assert response.status_code == 400, (path, response.text)
        problem = response.json()
        assert problem["parameter"] == next(iter(params)) and problem["detail"].startswith(next(iter(params)))
        assert problem.get("suggestion") == suggested
    assert client.get("/api/changes", params={"since": "0", "_": "1"}).status_code == 200
    assert client.get("/api/sources").status_code == 200
