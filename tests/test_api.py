"""The HTTP API, through httpx (FastAPI's TestClient) on the harvested examples."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BASE
from tests.test_pipeline import REJECTED, SHARED_ORG

BRUSSELS_LON = (4.2, 4.5)
BRUSSELS_LAT = (50.7, 50.95)


def test_ask_answers_true(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "ASK {}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert response.json()["boolean"] is True


def test_select_over_the_union_of_named_graphs(client: TestClient) -> None:
    query = "PREFIX schema: <https://schema.org/> SELECT (COUNT(*) AS ?n) WHERE { ?e a schema:Event }"
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "10"


def test_direct_post_and_construct_as_turtle(client: TestClient) -> None:
    query = f"CONSTRUCT {{ <{SHARED_ORG}> ?p ?o }} WHERE {{ <{SHARED_ORG}> ?p ?o }}"
    response = client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert "Potager des Marolles" in response.text


def test_syntax_error_is_400_with_position(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert "line" in response.json()["detail"]


def test_updates_are_refused(client: TestClient) -> None:
    update = "INSERT DATA { GRAPH <http://x.example/g> { <http://x.example/s> <http://x.example/p> 1 } }"
    assert client.post("/sparql", data={"update": update}).status_code == 403
    assert client.post("/sparql", content=update,
                       headers={"Content-Type": "application/sparql-update"}).status_code == 403
    assert client.post("/sparql", content="x", headers={"Content-Type": "text/plain"}).status_code == 415


@pytest.mark.parametrize("dataset", [
    {},
    {"default-graph-uri": "{graph}"},
    {"named-graph-uri": "{graph}"},
    {"default-graph-uri": f"{BASE}graph/meta", "named-graph-uri": "{graph}"},
])
def test_rejected_records_never_appear_whatever_the_dataset(client: TestClient, dataset: dict[str, str]) -> None:
    for source_id, subject in REJECTED.items():
        quarantine = client.get(f"/api/sources/{source_id}/quarantine").json()
        graph = quarantine["records"][0]["graph"]
        params = {key: value.format(graph=graph) for key, value in dataset.items()}
        for query in (f"ASK {{ <{subject}> ?p ?o }}", f"ASK {{ GRAPH ?g {{ <{subject}> ?p ?o }} }}",
                      f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
            response = client.get("/sparql", params={"query": query, **params})
            assert response.json()["boolean"] is False, (query, params)


def test_every_reachable_quad_lies_in_a_described_named_graph(client: TestClient) -> None:
    # Described with a time: its own, or (a record graph, provenance model 2) its run's end.
    query = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
          FILTER NOT EXISTS {{ GRAPH <{BASE}graph/meta> {{
            {{ ?g prov:generatedAtTime ?t }}
            UNION {{ ?g prov:wasGeneratedBy ?run . ?run prov:endedAtTime ?t }} }} }} }}"""
    assert client.get("/sparql", params={"query": query}).json()["results"]["bindings"][0]["n"]["value"] == "0"
    response = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": "not an iri"})
    assert response.status_code == 400 and "absolute IRIs" in response.json()["detail"]


class Canary:
    """A TCP listener on loopback that records every connection it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ service   silent <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "PREFIX c: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ # SERVICE in a comment\n SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?x) SERVICE ?x {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_and_reaches_nothing(client: TestClient, template: str) -> None:
    canary = Canary()
    try:
        response = client.get("/sparql", params={"query": template.format(port=canary.port)})
        time.sleep(0.3)
        assert response.status_code == 400
        assert "SERVICE" in response.json()["detail"]
        assert canary.connections == 0
    finally:
        canary.close()


def test_service_in_strings_and_iris_is_not_mistaken(client: TestClient) -> None:
    query = 'SELECT * WHERE { ?s <http://x.example/SERVICE> "SERVICE <http://127.0.0.1:9/>" } # SERVICE'
    assert client.get("/sparql", params={"query": query}).status_code == 200


def test_organizations_as_geojson(client: TestClient) -> None:
    response = client.get("/api/organizations", params={"format": "geojson"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == 45  # every valid example place, the shared one once, the linked pair once
    ids = {f["id"] for f in features}
    assert SHARED_ORG in ids and not ids & set(REJECTED.values())
    for feature in features:
        lon, lat = feature["properties"]["point"]  # issue 23: a line or polygon's geometry is its shape
        assert BRUSSELS_LON[0] < lon < BRUSSELS_LON[1] and BRUSSELS_LAT[0] < lat < BRUSSELS_LAT[1]
        assert feature["properties"]["@id"] == feature["id"]
        # A merged item's provenance covers its cluster (every member's statements): `&cluster=true`.
        assert feature["properties"]["provenance"].removesuffix("&cluster=true").endswith(quote(feature["id"], safe=""))
        assert feature["properties"]["sources"]
    shared = next(f for f in features if f["id"] == SHARED_ORG)
    assert len(shared["properties"]["sources"]) == 2
    assert {entry["license"] for entry in collection["licenses"]} == {
        "https://creativecommons.org/licenses/by/4.0/", "https://creativecommons.org/publicdomain/zero/1.0/",
        "https://opendatacommons.org/licenses/odbl/1-0/", "https://creativecommons.org/licenses/by-sa/4.0/"}


def test_geojson_by_accept_header_and_jsonld_by_default(client: TestClient) -> None:
    geo = client.get("/api/organizations", headers={"Accept": "application/geo+json"})
    assert geo.json()["type"] == "FeatureCollection"
    linked = client.get("/api/organizations")
    assert linked.headers["content-type"].startswith("application/ld+json")
    graph = linked.json()["member"]  # Hydra: the page's items are the collection's members
    assert len(graph) == 45
    shared = next(item for item in graph if item["@id"] == SHARED_ORG)
    assert {"@value": "Moestuin van de Marollen", "@language": "nl"} in shared["name"]
    assert client.get("/api/organizations", params={"format": "kml"}).status_code == 400


def test_provenance_of_the_shared_organisation(client: TestClient) -> None:
    response = client.get("/api/provenance", params={"subject": SHARED_ORG})
    assert response.status_code == 200
    statements = response.json()["statements"]
    names = [s for s in statements if s["predicate"] == "https://schema.org/name"]
    assert {s["source"] for s in names} == {f"{BASE}source/assiette-commune", f"{BASE}source/quartiers-en-transition"}
    for statement in names:
        assert statement["run"].startswith(f"{BASE}run/")
        assert statement["document"].startswith("file:feeds/")
        assert statement["fetched"] and statement["license"] and statement["graph"].startswith(f"{BASE}graph/")
    assert client.get("/api/provenance", params={"subject": "not an iri"}).status_code == 400


def test_sources_with_their_last_run(client: TestClient) -> None:
    sources = client.get("/api/sources").json()["sources"]
    assert [s["id"] for s in sources] == sorted(["assiette-commune", "quartiers-en-transition", "sante-solidaire",
                                                 "savoirs-communs", "jardins-partages", "repair-cafes",
                                                 "agenda-alternatives"])
    for source in sources:
        run = source["last_run"]
        if source["id"] in ("assiette-commune", "quartiers-en-transition", "sante-solidaire"):
            assert run["status"] == "partial" and run["counts"]["rejected"] == 1
        elif source["id"] == "savoirs-communs":  # every record of it is valid
            assert run["status"] == "succeeded" and run["counts"]["rejected"] == 0
        else:  # the mapped examples: bad rows fail alone (partial), no record breaks the charter
            assert run["status"] in ("partial", "succeeded") and run["counts"]["rejected"] == 0
        assert run["ended"] >= run["started"]


def test_public_quarantine_view_says_what_is_wrong_never_the_values(client: TestClient) -> None:
    view = client.get("/api/sources/quartiers-en-transition/quarantine").json()
    [record] = view["records"]
    assert set(record) == {"subject", "type", "graph", "results"}
    assert record["subject"] == REJECTED["quartiers-en-transition"]
    for result in record["results"]:
        assert set(result) == {"shape", "path", "severity", "message"}
        assert set(result["message"]) == {"fr", "nl", "en"}
    assert any("Belgi" in r["message"]["nl"] for r in record["results"])
    text = json.dumps(view)
    assert "48.8566" not in text and "Paris" not in text
    assert client.get("/api/sources/nope/quarantine").status_code == 404


def test_map_sites_on_other_origins_may_read(client: TestClient) -> None:
    response = client.get("/api/organizations", headers={"Origin": "https://map.example"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_healthz_and_openapi(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["generation"] >= 1
    assert health["counts"]["graphs"] > 40 and health["harvest_running"] is False
    assert client.get("/docs").status_code == 200
    assert "/api/provenance" in client.get("/openapi.json").json()["paths"]
