"""The gateway's collections: filters, pagination across generations, formats, provenance, caching."""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.gateway.collection_index import IndexCache
from hub.pipeline.admin_load import load_file
from hub.pipeline.canonical import canonical_hash
from hub.pipeline.harvest import HarvestSummary, harvest
from hub.store.interface import Reader
from hub.store.reader import PublishedReader
from tests.conftest import BASE, embedded_only, quiet
from tests.test_pipeline import SHARED_ORG

THEMES = "https://w3id.org/mutualisons/ns#theme-"  # what `theme:` stands for


def geo(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/organizations", params={"format": "geojson", **params})
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def ids(document: dict[str, Any]) -> set[str]:
    return {feature["id"] for feature in document["features"]}


def test_bbox_edges_are_included_and_a_hair_outside_is_not(client: TestClient) -> None:
    everything = geo(client, limit=1000)
    target = next(f for f in everything["features"] if f["id"] == SHARED_ORG)
    lon, lat = target["geometry"]["coordinates"]
    for box in (f"{lon},{lat},{lon + 0.01},{lat + 0.01}", f"{lon - 0.01},{lat - 0.01},{lon},{lat}",
                f"{lon},{lat},{lon},{lat}"):
        assert SHARED_ORG in ids(geo(client, bbox=box)), box
    assert SHARED_ORG not in ids(geo(client, bbox=f"{lon + 1e-7},{lat},{lon + 0.01},{lat + 0.01}"))
    assert SHARED_ORG not in ids(geo(client, bbox=f"{lon - 0.01},{lat - 0.01},{lon},{lat - 1e-7}"))
    # Every feature the box returns lies in it, and every place in it is returned.
    box = (4.33, 50.83, 4.36, 50.86)
    # (A line or polygon is found by its representative point, `properties.point`: issue 23 serves its shape.)
    inside = {f["id"] for f in everything["features"]
              if box[0] <= f["properties"]["point"][0] <= box[2]
              and box[1] <= f["properties"]["point"][1] <= box[3]}
    assert inside and ids(geo(client, bbox=",".join(map(str, box)))) == inside


def test_near_with_a_radius_in_metres(client: TestClient) -> None:
    everything = geo(client, limit=1000)
    target = next(f for f in everything["features"] if f["id"] == SHARED_ORG)
    lon, lat = target["geometry"]["coordinates"]
    assert SHARED_ORG in ids(geo(client, near=f"{lon},{lat}", radius=1))
    wide = ids(geo(client, near=f"{lon},{lat}", radius=3000))
    assert SHARED_ORG in wide and 1 < len(wide) < len(everything["features"])
    # 0.001 degree of latitude is about 111 m: 100 m from the point misses it, 120 m reaches it.
    assert SHARED_ORG not in ids(geo(client, near=f"{lon},{lat + 0.001}", radius=100))
    assert SHARED_ORG in ids(geo(client, near=f"{lon},{lat + 0.001}", radius=120))


def test_q_ignores_accents_and_case_in_french_and_dutch(client: TestClient) -> None:
    accented = ids(geo(client, q="Épicerie"))
    assert accented and ids(geo(client, q="epicerie")) == accented == ids(geo(client, q="EPICERIE"))
    assert ids(geo(client, q="bulkkruidenier")) <= accented  # the Dutch name of one of them
    assert ids(geo(client, q="bulkkruidenier"))
    assert ids(geo(client, q="epicerie paysanne")) < accented  # every word must occur
    assert not ids(geo(client, q="zzzyx"))


def test_type_source_and_updated_since(client: TestClient) -> None:
    everything = ids(geo(client, limit=1000))
    food = ids(geo(client, source="assiette-commune"))
    assert SHARED_ORG in food and food < everything
    assert ids(geo(client, source=f"{BASE}source/assiette-commune")) == food
    assert ids(geo(client, type="Organization")) <= everything
    assert ids(geo(client, type="https://schema.org/Thing")) == everything  # superclasses match
    assert not ids(geo(client, type="Event"))
    assert ids(geo(client, updated_since="2000-01-01")) == everything
    assert not ids(geo(client, updated_since="2999-01-01"))
    assert not ids(geo(client, verified="true")) and ids(geo(client, verified="false")) == everything


def test_events_from_to_and_empty_collections(client: TestClient) -> None:
    events = client.get("/api/events", params={"format": "geojson"}).json()
    march = client.get("/api/events", params={"format": "geojson", "from": "2027-03-01", "to": "2027-04-01"}).json()
    assert events["numberMatched"] == 11 and 0 < march["numberMatched"] < 11
    for name in ("resources", "knowledge", "publications", "funding", "people"):
        page = client.get(f"/api/{name}").json()
        assert page["@type"] == "Collection" and page["totalItems"] >= 0
    assert client.get("/api/knowledge").json()["totalItems"] == 4  # the savoirs-communs examples


BAD = [
    ("bbox", "4.3,50.8,4.4"), ("bbox", "a,b,c,d"), ("bbox", "4.4,50.8,4.3,50.9"), ("bbox", "200,50,201,51"),
    ("near", "4.35"), ("near", "4.35,95"), ("radius", "-5"), ("radius", "far"), ("theme", ","), ("q", "  "),
    ("type", ","), ("source", ","), ("verified", "yes"), ("updated_since", "yesterday"), ("from", "soon"),
    ("to", "2027-13-45"), ("sort", "random"), ("limit", "0"), ("limit", "1001"), ("limit", "ten"),
    ("cursor", "not-a-cursor"), ("format", "kml"), ("lang", "de"),
]


@pytest.mark.parametrize(("parameter", "value"), BAD)
def test_every_malformed_parameter_is_a_400_problem_naming_it(client: TestClient, parameter: str,
                                                              value: str) -> None:
    params = {parameter: value}
    if parameter == "radius":
        params["near"] = "4.35,50.85"
    collection = "/api/events" if parameter in ("from", "to") else "/api/organizations"
    response = client.get(collection, params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and problem["parameter"] == parameter
    assert problem["detail"].startswith(parameter) and ("expect" in problem["detail"] or "must" in problem["detail"])


def test_ics_only_for_events_and_missing_required_parameters_are_400_not_422(client: TestClient) -> None:
    assert client.get("/api/organizations", params={"format": "ics"}).json()["parameter"] == "format"
    assert client.get("/api/organizations", params={"from": "2027-01-01"}).json()["parameter"] == "from"
    missing = client.get("/api/provenance")
    assert missing.status_code == 400 and missing.headers["content-type"].startswith("application/problem+json")


def test_geojson_is_valid_rfc7946_and_pages_follow_links(client: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/api/organizations?format=geojson&limit=7"
    pages = 0
    while url:
        response = client.get(url)
        document = response.json()
        assert document["type"] == "FeatureCollection" and document["numberMatched"] == 45
        for feature in document["features"]:
            assert feature["type"] == "Feature" and isinstance(feature["id"], str)
            # Issue 23: lines and polygons come as stored; every feature keeps its representative point.
            assert feature["geometry"]["type"] in ("Point", "LineString", "Polygon")
            point = feature["properties"]["point"]
            assert len(point) == 2 and all(isinstance(c, float | int) for c in point)
            assert -180 <= point[0] <= 180 and -90 <= point[1] <= 90
            assert isinstance(feature["properties"], dict)
            seen.append(feature["id"])
        links = {link["rel"]: link["href"] for link in document["links"]}
        assert ("next" in links) == ('rel="next"' in response.headers["link"])
        url = links.get("next")
        pages += 1
    assert pages == 7 and len(seen) == len(set(seen)) == 45 and seen == sorted(seen)


def test_jsonld_hydra_view_context_and_licences(client: TestClient) -> None:
    response = client.get("/api/organizations", params={"limit": 5, "sort": "name"})
    document = response.json()
    assert document["@context"] == "http://testserver/context.jsonld"
    assert document["@type"] == "Collection" and document["totalItems"] == 45 and len(document["member"]) == 5
    view = document["view"]
    assert view["@type"] == "PartialCollectionView" and "cursor=" in view["next"]
    context = client.get("/context.jsonld").json()["@context"]
    assert context["member"]["@id"] == "hydra:member"
    names = [m["name"][0]["@value"] for m in document["member"]]
    nxt = client.get(view["next"]).json()
    assert len(nxt["member"]) == 5 and not {m["@id"] for m in nxt["member"]} & {m["@id"] for m in document["member"]}
    for member in document["member"]:
        assert member["sources"] and member["license"] and member["records"]
        assert set(member["license"]) <= set(document["license"])
        assert {s for s in member["sources"]} <= {a["@id"] for a in document["attribution"]}
    assert names  # sorted by folded name
    assert all("name" in a and a["license"] for a in document["attribution"])


def test_language_by_parameter_and_header(client: TestClient) -> None:
    def shared_name(**kwargs: Any) -> str:
        response = client.get("/api/organizations", params={"format": "geojson", "limit": 1000,
                                                            **kwargs.pop("params", {})}, **kwargs)
        feature = next(f for f in response.json()["features"] if f["id"] == SHARED_ORG)
        return str(feature["properties"]["name"])

    assert shared_name() == "Potager des Marolles"
    assert shared_name(params={"lang": "nl"}) == "Moestuin van de Marollen"
    assert shared_name(headers={"Accept-Language": "nl-BE, fr;q=0.5"}) == "Moestuin van de Marollen"
    assert shared_name(params={"lang": "en"}) in ("Potager des Marolles", "Moestuin van de Marollen")


def test_csv_turtle_and_ics_formats(client: TestClient) -> None:
    table = list(csv.DictReader(io.StringIO(client.get("/api/organizations", params={"format": "csv"}).text)))
    assert len(table) == 45 and all(row["sources"] and row["licenses"] for row in table)
    turtle = client.get("/api/organizations", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    triples = list(parse(turtle.content, format=RdfFormat.TURTLE))
    assert any(t.subject.value == SHARED_ORG for t in triples)
    assert any(t.predicate.value == "http://purl.org/dc/terms/license" for t in triples)
    ics = client.get("/api/events", params={"format": "ics", "limit": 3})
    assert ics.headers["content-type"].startswith("text/calendar") and ics.text.count("BEGIN:VEVENT") == 3


def test_provenance_of_every_value_of_an_item(client: TestClient) -> None:
    member = next(m for m in client.get("/api/organizations").json()["member"] if m["@id"] == SHARED_ORG)
    graphs = {r["@id"] for r in member["records"]}
    assert len(graphs) == 2
    statements = client.get(member["provenance"]).json()["statements"]
    assert {s["graph"] for s in statements} == graphs
    for statement in statements:
        assert statement["source"] and statement["license"] and statement["run"] and statement["fetched"]
    shown = {n["@value"] if isinstance(n, dict) else n for n in member["name"]}
    traced = {s["object"]["value"] for s in statements if s["predicate"] == "https://schema.org/name"}
    assert shown == traced
    by_value = client.get("/api/provenance", params={"predicate": "https://schema.org/name",
                                                     "object": '"Potager des Marolles"@fr'}).json()["statements"]
    assert by_value and {s["subject"]["value"] for s in by_value} == {SHARED_ORG}
    bad = client.get("/api/provenance", params={"object": "Potager"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "object"


def test_etag_gives_304_and_gzip(client: TestClient) -> None:
    first = client.get("/api/organizations", params={"format": "geojson"})
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public") and first.headers["content-encoding"] == "gzip"
    again = client.get("/api/organizations", params={"format": "geojson"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/api/organizations", params={"format": "csv"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_pagination_has_no_gaps_or_repeats_while_a_harvest_publishes(examples_copy: Path, tmp_path: Path) -> None:
    settings = Settings(sources_path=examples_copy / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    harvest(settings, progress=quiet)
    feed = examples_copy / "feeds" / "quartiers-en-transition.jsonld"
    with TestClient(create_app(settings)) as client:
        before = geo(client, limit=1000)
        first = geo(client, limit=10)
        # A new generation: the shared place moves in one source (so the sources now disagree).
        feed.write_text(feed.read_text(encoding="utf-8").replace('"50.8375"', '"50.8391"'), encoding="utf-8")
        summary = harvest(settings, ["quartiers-en-transition"], progress=quiet)
        assert summary.generation is not None
        walked = [f["id"] for f in first["features"]]
        url = next(link["href"] for link in first["links"] if link["rel"] == "next")
        while url:
            page = client.get(url).json()
            assert page["generation"] == first["generation"]  # finished on the snapshot it began on
            walked += [f["id"] for f in page["features"]]
            url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        assert len(walked) == len(set(walked)) and set(walked) == ids(before)
        now = geo(client, limit=1000)
        assert now["generation"] > first["generation"]
        shared = next(f for f in now["features"] if f["id"] == SHARED_ORG)
        assert shared["geometry"]["coordinates"] == [4.346, 50.8391]  # the most recently changed record
        [alternative] = shared["properties"]["alternatives"]
        assert alternative["coordinates"] == [4.346, 50.8375]
        assert alternative["source"] == f"{BASE}source/assiette-commune"
    # A fresh server no longer holds the old index: the cursor resumes on the new generation by sort key.
    with TestClient(create_app(settings)) as fresh:
        resumed = fresh.get(next(link["href"] for link in first["links"] if link["rel"] == "next")
                            .replace("http://testserver", "")).json()
        rest = [f["id"] for f in resumed["features"]]
        assert rest and not set(rest) & {f["id"] for f in first["features"]} and rest[0] > walked[9]


def test_theme_follows_the_skos_hierarchy_found_in_the_store(examples_copy: Path, tmp_path: Path) -> None:
    settings = Settings(sources_path=examples_copy / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    harvest(settings, ["jardins-partages", "assiette-commune", "savoirs-communs"], progress=quiet)
    schemes = tmp_path / "themes.ttl"
    schemes.write_text(f"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{THEMES}nature> skos:narrower <{THEMES}gardens> ; skos:prefLabel "nature"@fr .
<{THEMES}compost> skos:broader <{THEMES}gardens> ; skos:prefLabel "compost"@fr .
<{THEMES}gardens> skos:prefLabel "jardins"@fr .
<{SHARED_ORG}> <https://w3id.org/mutualisons/ns#verificationStatus> <https://w3id.org/mutualisons/ns#Verified> .
""", encoding="utf-8")
    load_file(settings, schemes, "https://themes.example/graph", who="test")
    with TestClient(create_app(settings)) as client:
        # `theme:` names the hub scheme's concepts (vocab/schemes.ttl), which feeds use as hub:theme-….
        food = client.get("/api/knowledge", params={"theme": "theme:food", "format": "geojson"}).json()
        assert "https://savoirs-communs.example/id/experience-epicerie" in ids(food)
        compost = ids(geo(client, theme="theme:compost"))
        gardens = ids(geo(client, theme="theme:gardens"))
        nature = ids(geo(client, theme=f"{THEMES}nature"))
        assert compost and compost < gardens <= nature  # narrower concepts (two levels, both directions) match
        # A concept also matches items that only carry its label as a keyword (assiette-commune's "jardins").
        assert SHARED_ORG in gardens and SHARED_ORG not in compost
        assert ids(geo(client, theme="zero dechet")) == ids(geo(client, theme="zéro déchet")) != set()
        # hub:verificationStatus is read wherever the hub writes it, not only in record graphs.
        assert ids(geo(client, verified="true")) == {SHARED_ORG}
        assert SHARED_ORG not in ids(geo(client, verified="false", limit=1000))


def test_openapi_lists_the_collection_parameters_with_examples(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for name in ("organizations", "events", "resources", "knowledge", "publications", "funding", "people"):
        parameters = {p["name"]: p for p in paths[f"/api/{name}"]["get"]["parameters"]}
        assert {"bbox", "near", "radius", "theme", "q", "type", "source", "verified", "updated_since", "limit",
                "cursor", "format", "lang"} <= set(parameters)
        assert parameters["bbox"]["example"]
    assert "from" in {p["name"] for p in paths["/api/events"]["get"]["parameters"]}


def published(settings: Settings) -> Reader:
    """The published version, whichever backend holds it (HUB_TEST_STORE: tests/conftest.py)."""
    return PublishedReader(settings).published().store


def by_graph(quads: list[Quad]) -> dict[str, str]:
    grouped: dict[str, list[str]] = {}
    for quad in quads:
        line = f"{Quad(quad.subject, quad.predicate, quad.object)}"
        grouped.setdefault(quad.graph_name.value, []).append(line[:-2] + " .")  # type: ignore[union-attr]
    return {graph: canonical_hash(lines) for graph, lines in grouped.items()}


def test_entity_jsonld_equals_the_store_graph_by_graph(client: TestClient,
                                                       harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published(harvested[0])
    response = client.get("/id", params={"iri": SHARED_ORG}, headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    shown = by_graph(list(parse(response.content, format=RdfFormat.JSON_LD)))
    meta = NamedNode(f"{BASE}graph/meta")
    record_graphs = {q.graph_name for q in store.subject_quads(NamedNode(SHARED_ORG))}
    assert len(record_graphs) == 2
    expected = {g.value: store.graph_quads(g) for g in record_graphs}  # type: ignore[union-attr]
    expected_meta = [q for g in record_graphs for q in store.subject_quads(g, meta)]  # type: ignore[arg-type]
    # …and the descriptions of their fetch nodes: document, fetch time, payload, licence (provenance model 2).
    fetches = {q.object for q in expected_meta if q.predicate.value == "https://w3id.org/mutualisons/ns#fetch"}
    assert len(fetches) == 2
    expected_meta += [q for f in fetches for q in store.subject_quads(f, meta)]  # type: ignore[arg-type]
    assert shown == by_graph([q for quads in expected.values() for q in quads] + expected_meta)
    trig = client.get("/id", params={"iri": SHARED_ORG, "format": "trig"})
    assert by_graph(list(parse(trig.content, format=RdfFormat.TRIG))) == shown


def test_entity_html_shows_each_value_with_its_source(client: TestClient) -> None:
    page = client.get("/id", params={"iri": SHARED_ORG}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # The site's entity page: each value with a badge naming its source, the same name from both networks.
    for source in ("assiette-commune", "quartiers-en-transition"):
        assert source in page.text
    assert page.text.count("Potager des Marolles") >= 2
    assert client.get("/id", params={"iri": "https://nothing.example/x"}).status_code == 404
    assert client.get("/id", params={"iri": "not an iri"}).status_code == 400
    assert client.get("/id", params={"iri": SHARED_ORG, "format": "pdf"}).json()["parameter"] == "format"


def test_every_minted_iri_dereferences(client: TestClient, harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published(harvested[0])
    minted: set[str] = set()
    for row in store.select("SELECT DISTINCT ?x WHERE { { GRAPH ?g { ?x ?p ?o } } UNION { GRAPH ?x { ?s ?p ?o } } "
                            "UNION { GRAPH ?g { ?s ?p ?x } } }"):
        value = row["x"].value
        if isinstance(row["x"], NamedNode) and value.startswith(BASE) and value != BASE:  # BASE: the hub (agent)
            minted.add(value)
    kinds = {iri[len(BASE):].split("/", 1)[0] for iri in minted}
    assert {"source", "run", "graph", "payload", "id"} <= kinds
    for iri in sorted(minted):
        response = client.get(iri[len(BASE) - 1:], headers={"Accept": "application/n-quads"})
        assert response.status_code == 200, iri
        assert f"<{iri}>" in response.text, iri
    payload = next(iri for iri in minted if "/payload/" in iri)
    assert "byteSize" in client.get(payload[len(BASE) - 1:], headers={"Accept": "text/turtle"}).text


def test_change_feed_replayed_from_the_start_rebuilds_the_record_graphs(examples_copy: Path,
                                                                        tmp_path: Path) -> None:
    toml = examples_copy / "sources.toml"
    settings = Settings(sources_path=toml, data_dir=tmp_path / "data", base_iri=BASE)
    harvest(settings, progress=quiet)
    feed = examples_copy / "feeds" / "quartiers-en-transition.jsonld"
    feed.write_text(feed.read_text(encoding="utf-8").replace('"50.8375"', '"50.8391"'), encoding="utf-8")
    text = toml.read_text(encoding="utf-8")
    start = text.index('[[source]]\nid = "repair-cafes"')
    end = text.find("[[source]]", start + 10)
    toml.write_text(text[:start] + (text[end:] if end != -1 else ""), encoding="utf-8")
    reader = PublishedReader(settings)
    cache = IndexCache(reader.minter, patience=0)
    old = cache.get(reader.published())  # no index yet: the request waits for the build
    harvest(settings, progress=quiet)
    # A new generation: its index builds in the background while the last one built keeps answering.
    assert cache.get(reader.published()) is old
    deadline = time.monotonic() + 30
    while cache.get(reader.published()).generation == old.generation and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.get(reader.published()).generation == old.generation + 1
    with TestClient(create_app(settings)) as client:
        graphs: set[str] = set()
        kinds: set[str] = set()
        sequences: list[int] = []
        since: str | None = None
        while True:
            answer = client.get("/api/changes", params={"limit": 7, **({"since": since} if since else {})}).json()
            for change in answer["changes"]:
                kinds.add(change["type"])
                sequences.append(change["sequence"])
                assert change["version"].startswith(change["run"] + "#")
                if change["type"] == "as:Delete":
                    graphs.discard(change["graph"])
                else:
                    graphs.add(change["graph"])
            since = answer["next"]
            if not answer["more"]:
                break
        assert kinds == {"as:Create", "as:Update", "as:Delete"}
        assert sequences == list(range(1, len(sequences) + 1))
        store = published(settings)
        expected = {row["g"].value for row in store.select(
            f"PREFIX hub: <https://w3id.org/mutualisons/ns#> SELECT ?g WHERE {{ GRAPH <{BASE}graph/meta> "
            "{ ?g a hub:RecordGraph } }")}
        assert graphs == expected
        assert client.get("/api/changes", params={"since": "x"}).json()["parameter"] == "since"
        # The dump: every public quad, the meta graph included, listed in VoID.
        dump = client.get("/dump.nq.gz")
        assert dump.status_code == 200
        quads = list(parse(gzip.decompress(dump.content), format=RdfFormat.N_QUADS))
        assert len(quads) == store.count_quads()
        assert any(q.graph_name.value == f"{BASE}graph/meta" for q in quads)  # type: ignore[union-attr]
        assert f"<{BASE}dump.nq.gz>" in client.get("/.well-known/void").text


def test_events_carry_their_status_and_occurrences(client: TestClient) -> None:
    members = client.get("/api/events").json()["member"]
    series = next(m for m in members if "repair-cafe-mensuel" in m["@id"])
    assert len(series["subEvent"]) >= 4 and all("startDate" in s for s in series["subEvent"])
    cancelled = next(m for m in members if "marche-paysan-hiver" in m["@id"])
    assert cancelled["eventStatus"] == "EventCancelled"  # "@type": "@vocab" in the context


def test_collection_jsonld_reads_as_the_rdf_it_means(client: TestClient) -> None:
    document = client.get("/api/organizations", params={"source": "assiette-commune"}).json()
    document["@context"] = client.get("/context.jsonld").json()["@context"]  # what a JSON-LD processor fetches
    quads = list(parse(json.dumps(document).encode(), format=RdfFormat.JSON_LD))
    triples = {(q.subject.value, q.predicate.value, q.object.value) for q in quads}  # type: ignore[union-attr]
    page = document["@id"]
    assert (page, "http://www.w3.org/ns/hydra/core#member", SHARED_ORG) in triples
    assert (SHARED_ORG, "https://schema.org/name", "Moestuin van de Marollen") in triples
    assert (SHARED_ORG, "http://purl.org/dc/terms/source", f"{BASE}source/assiette-commune") in triples
    graphs = {o for s, p, o in triples if s == SHARED_ORG and p == "https://w3id.org/mutualisons/ns#recordGraph"}
    assert len(graphs) == 2 and all(g.startswith(f"{BASE}graph/") for g in graphs)
    assert any(p == "https://schema.org/latitude" for _, p, _ in triples)


def test_openapi_declares_every_path_parameter(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        named = {part.strip("{}") for part in path.split("/") if part.startswith("{")}
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == named, path
    assert {"/id/{kind}/{key}", "/graph/{source_id}/{key}", "/api/changes", "/dump.nq.gz"} <= set(paths)


@pytest.mark.parametrize("sort", ["name", "updated", "-updated"])
def test_every_sort_pages_without_gaps_or_repeats(client: TestClient, sort: str) -> None:
    seen: list[tuple[str, str]] = []
    url: str | None = f"/api/organizations?format=geojson&limit=6&sort={sort}"
    while url:
        page = client.get(url).json()
        seen += [(f["properties"]["updated"], f["id"]) for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == len({i for _, i in seen}) == 45
    if sort != "name":
        stamps = [stamp for stamp, _ in seen]
        assert stamps == sorted(stamps, reverse=sort.startswith("-"))
    other = "id" if sort != "id" else "name"
    cursor = client.get(f"/api/organizations?limit=6&sort={sort}&format=geojson").json()["links"][-1]["href"]
    wrong = client.get(cursor.replace(f"sort={sort}", f"sort={other}"))
    assert wrong.status_code == 400 and wrong.json()["parameter"] == "cursor"


@embedded_only  # a server's version is read through its protocol, never from a folder in a child process
def test_an_index_read_in_a_child_process_equals_one_read_here(harvested: tuple[Settings, HarvestSummary],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A big generation's index is read in a child process (the server's GIL stays free for requests):
    what comes back pickled must be the index a thread would have read."""
    import hub.gateway.collection_index as collection_index

    settings, _ = harvested
    reader = PublishedReader(settings)
    here = collection_index.CollectionIndex(reader.published(), reader.minter,
                                            collection_index.default_vocabulary().hierarchy)
    monkeypatch.setattr(collection_index, "CHILD_READ_BYTES", 0)  # every generation is "big"
    children: list[int] = []
    real = collection_index._read_in_child
    monkeypatch.setattr(collection_index, "_read_in_child", lambda *args: children.append(1) or real(*args))
    child = IndexCache(reader.minter).get(reader.published())
    assert children == [1]
    assert len(child.items) == len(here.items) > 10
    assert [(i.iri, i.names, i.kinds, i.point, i.text, i.records) for i in child.items] == \
        [(i.iri, i.names, i.kinds, i.point, i.text, i.records) for i in here.items]
    assert child.sources == here.sources and dict(child._by_kind) == dict(here._by_kind)
    assert child.grid.within(4.2, 50.7, 4.5, 50.95) == here.grid.within(4.2, 50.7, 4.5, 50.95) != set()


def test_an_index_is_still_read_when_no_child_process_can_be_had(harvested: tuple[Settings, HarvestSummary],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures.process import BrokenProcessPool

    import hub.gateway.collection_index as collection_index

    def broken(*_: object) -> None:
        raise BrokenProcessPool("the child process died")

    settings, _ = harvested
    reader = PublishedReader(settings)
    monkeypatch.setattr(collection_index, "CHILD_READ_BYTES", 0)
    monkeypatch.setattr(collection_index, "_read_in_child", broken)
    index = IndexCache(reader.minter).get(reader.published())
    assert len(index.items) > 10 and index.generation == reader.published().generation.number
