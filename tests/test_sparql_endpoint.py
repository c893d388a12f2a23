"""`/sparql` beyond the W3C suite: deadlines, row caps, content negotiation, SERVICE refused, FROM,
the query page, the Service Description and `/.well-known/void`, on the harvested examples."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import RdfFormat, parse

from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.gateway.client_address import TrustedProxies
from hub.gateway.sparql import SparqlOptions
from hub.pipeline.harvest import HarvestSummary
from hub.sparql.formats import choose_graph_format, choose_solutions_format, negotiate
from hub.sparql.pool import QueryPool
from tests.conftest import BASE, TEST_STORE
from tests.loopback import SparqlCanary

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
SELECT_ORGS = ("PREFIX schema: <https://schema.org/> "
               "SELECT ?o ?name WHERE { ?o a schema:Organization ; schema:name ?name }")


def app_client(settings: Settings, **options: Any) -> TestClient:
    return TestClient(create_app(settings, SparqlOptions(**options)))


def proxied_client(settings: Settings, **options: Any) -> TestClient:
    """A client whose requests come from 127.0.0.1, a trusted proxy: X-Forwarded-For names other clients."""
    app = create_app(settings, SparqlOptions(**options), trusted_proxies=TrustedProxies.parse(["127.0.0.1"]))
    return TestClient(app, client=("127.0.0.1", 50000))


def workers_up(client: TestClient) -> set[int]:
    """The pool's workers, once all of them have started (they start in the background on the first query)."""
    pool = client.app.state.query_pool  # type: ignore[attr-defined]
    client.get("/sparql", params={"query": "ASK {}"})
    if not isinstance(pool, QueryPool):  # the store on a SPARQL server: its own processes run the queries
        return set()
    ends = time.monotonic() + 20
    while len(pool.pids()) < pool.size and time.monotonic() < ends:
        time.sleep(0.05)
    return set(pool.pids())


@pytest.fixture(scope="module")
def short_deadline(harvested: tuple[Settings, HarvestSummary]) -> Iterator[TestClient]:
    with proxied_client(harvested[0], deadline=2.0, max_rows=3) as client:
        yield client


def test_a_runaway_query_gets_503_at_the_deadline_while_others_are_answered(short_deadline: TestClient) -> None:
    pool = short_deadline.app.state.query_pool  # type: ignore[attr-defined]
    before = workers_up(short_deadline)
    killed = pool.killed
    results: dict[str, Any] = {}

    def runaway() -> None:
        started = time.monotonic()
        results["runaway"] = short_deadline.get("/sparql", params={"query": CARTESIAN})
        results["runaway_seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)  # the runaway holds a worker now
    started = time.monotonic()
    # From another client: since ISSUE-17 one client address never holds every worker, so the runaway's
    # own client would wait for it (test_query_limits.py), but anybody else is answered at once.
    simple = short_deadline.get("/sparql", params={"query": "ASK { ?s ?p ?o }"},
                                headers={"X-Forwarded-For": "192.0.2.10"})
    simple_seconds = time.monotonic() - started
    thread.join(10)
    assert simple.status_code == 200 and simple.json()["boolean"] is True
    assert simple_seconds < 1.5
    response = results["runaway"]
    assert response.status_code == 503
    assert "deadline of 2 s" in response.json()["detail"]
    assert results["runaway_seconds"] < 2.0 + 2.0
    assert pool.killed == killed + 1
    # The killed worker was replaced: still two workers, one of them new, and both answer (on a SPARQL server,
    # HUB_TEST_STORE, the server stopped the query and the hub has no worker of its own to replace).
    if TEST_STORE == "embedded":
        after = workers_up(short_deadline)
        assert len(after) == 2 and len(after - before) == 1
    for _ in range(3):
        assert short_deadline.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_max_rows_caps_and_says_so(short_deadline: TestClient) -> None:
    response = short_deadline.get("/sparql", params={"query": SELECT_ORGS})
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 3
    assert response.headers["results-truncated"] == "max-rows=3"
    small = short_deadline.get("/sparql", params={"query": SELECT_ORGS + " LIMIT 2"})
    assert len(small.json()["results"]["bindings"]) == 2 and "results-truncated" not in small.headers
    construct = short_deadline.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                                   headers={"Accept": "application/n-triples"})
    assert len(list(parse(construct.content, format=RdfFormat.N_TRIPLES))) == 3
    assert construct.headers["results-truncated"] == "max-rows=3"


@pytest.mark.parametrize(("accept", "media_type"), [
    (None, "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
    ("text/*;q=0.8, application/sparql-results+xml;q=0.1", "text/csv"),
    ("*/*", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
    ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
])
def test_select_negotiation(client: TestClient, accept: str | None, media_type: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": SELECT_ORGS + " ORDER BY ?o LIMIT 2"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]
    assert "Potager des Marolles" in response.text or "name" in response.text


def test_select_results_are_well_formed_in_every_format(client: TestClient) -> None:
    query = ('SELECT ?x ?y WHERE { VALUES (?x ?y) { ("a,\\"b\\"\\tc"@fr 1) (<https://x.example/i> UNDEF) '
             '(2.5 "plain") } }')
    rows = client.get("/sparql", params={"query": query}).json()["results"]["bindings"]
    assert rows[0]["x"] == {"type": "literal", "value": 'a,"b"\tc', "xml:lang": "fr"}
    assert rows[0]["y"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert "y" not in rows[1] and rows[2]["y"] == {"type": "literal", "value": "plain"}
    csv = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"}).text
    assert csv.splitlines()[0] == "x,y" and csv.splitlines()[1] == '"a,""b""\tc",1'
    tsv = client.get("/sparql", params={"query": query}, headers={"Accept": "text/tab-separated-values"}).text
    assert tsv.splitlines()[0] == "?x\t?y" and tsv.splitlines()[1].startswith('"a,\\"b\\"\\tc"@fr\t')
    xml = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+xml"}).text
    assert '<literal xml:lang="fr">a,"b"\tc</literal>' in xml and "<uri>https://x.example/i</uri>" in xml


@pytest.mark.parametrize(("accept", "fmt"), [
    (None, RdfFormat.TURTLE),
    ("application/n-triples", RdfFormat.N_TRIPLES),
    ("application/rdf+xml", RdfFormat.RDF_XML),
    ("application/ld+json", RdfFormat.JSON_LD),
    ("application/n-quads", RdfFormat.N_QUADS),
    ("application/trig", RdfFormat.TRIG),
    ("text/html;q=0.9, application/trig;q=0.2, */*;q=0.1", RdfFormat.TRIG),
])
def test_construct_negotiation(client: TestClient, accept: str | None, fmt: RdfFormat) -> None:
    query = "PREFIX schema: <https://schema.org/> CONSTRUCT { ?o schema:name ?n } WHERE { ?o schema:name ?n }"
    response = client.post("/sparql", data={"query": query}, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == fmt.media_type
    parsed = list(parse(response.content, format=fmt))
    assert any(q.object.value == "Potager des Marolles" for q in parsed)


def test_nothing_acceptable_is_406(client: TestClient) -> None:
    select = client.get("/sparql", params={"query": "SELECT * {}"}, headers={"Accept": "image/png"})
    assert select.status_code == 406 and "text/csv" in select.json()["detail"]
    construct = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                           headers={"Accept": "application/sparql-results+json"})
    assert construct.status_code == 406 and "text/turtle" in construct.json()["detail"]


def test_negotiation_rules() -> None:
    assert negotiate("text/csv;q=0", ["text/csv", "text/tab-separated-values"]) is None
    assert negotiate("text/*;q=0.3, text/csv;q=0", ["text/csv", "text/tab-separated-values"]) == \
        "text/tab-separated-values"
    assert negotiate("garbage", ["a/b"]) == "a/b"  # unreadable Accept: the default
    assert choose_solutions_format("application/xml")[0] == "application/sparql-results+xml"  # type: ignore[index]
    assert choose_graph_format("") == ("text/turtle", RdfFormat.TURTLE)


def test_protocol_errors(client: TestClient) -> None:
    assert client.put("/sparql", params={"query": "ASK {}"}).status_code == 405
    assert client.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")]).status_code == 400
    utf16 = client.post("/sparql", content="ASK {}".encode("utf-16"),
                        headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert utf16.status_code == 415 and "UTF-8" in utf16.json()["detail"]
    latin1 = client.post("/sparql", content="ASK { ?s ?p \"caf\xe9\" }".encode("latin-1"),
                         headers={"Content-Type": "application/sparql-query"})
    assert latin1.status_code == 400 and "not UTF-8" in latin1.json()["detail"]
    missing = client.post("/sparql", content="query=ASK%20%7B%7D")
    assert missing.status_code == 400 and missing.json()["title"] == "Missing media type"  # issue 23: was 415
    assert client.get("/sparql", params={"update": "CLEAR ALL"}).status_code == 403
    syntax = client.get("/sparql", params={"query": "SELECT * WHERE {\n  ?s ?p ?o"})
    assert syntax.status_code == 400 and syntax.json()["detail"].startswith("line 2, column")


def test_without_query_a_browser_gets_the_page_and_others_the_service_description(client: TestClient) -> None:
    page = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '/static/yasgui/yasgui.min.js' in page.text and "https://" not in page.text.split("<body>")[0]
    examples = json.loads(page.text.split('type="application/json">')[1].split("</script>")[0])
    assert {"records-per-source", "possible-duplicates", "statement-provenance"} <= {e["name"] for e in examples}
    assert client.get("/static/yasgui/yasgui.min.js").status_code == 200
    assert client.get("/static/yasgui/yasgui.min.css").status_code == 200
    for accept in (None, "text/turtle", "*/*"):
        description = client.get("/sparql", headers={"Accept": accept} if accept else {})
        assert description.headers["content-type"].startswith("text/turtle")
        triples = list(parse(description.content, format=RdfFormat.TURTLE))
        sd = "http://www.w3.org/ns/sparql-service-description#"
        assert any(t.predicate.value == sd + "endpoint" and t.object.value == f"{BASE}sparql" for t in triples)
        assert any(t.object.value == sd + "UnionDefaultGraph" for t in triples)
        assert any(t.object.value == "http://www.w3.org/ns/formats/SPARQL_Results_TSV" for t in triples)


def test_void_describes_triples_graphs_sources_and_licences(client: TestClient) -> None:
    response = client.get("/.well-known/void")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    triples = list(parse(response.content, format=RdfFormat.TURTLE))
    void = "http://rdfs.org/ns/void#"

    def objects(subject: str, predicate: str) -> list[str]:
        return [t.object.value for t in triples if t.subject.value == subject and t.predicate.value == predicate]

    dataset = f"{BASE}.well-known/void#dataset"
    health = client.get("/healthz").json()["counts"]
    assert objects(dataset, void + "triples") == [str(health["quads"])]
    assert objects(dataset, "https://w3id.org/mutualisons/ns#namedGraphs") == [str(health["graphs"])]
    assert objects(dataset, void + "sparqlEndpoint") == [f"{BASE}sparql"]
    subsets = objects(dataset, void + "subset")
    assert f"{BASE}source/potager-network" in subsets or len(subsets) >= 3
    licences = objects(dataset, "http://purl.org/dc/terms/license")
    assert licences and all(licence.startswith("http") for licence in licences)
    for subset in subsets:
        assert int(objects(subset, void + "triples")[0]) > 0
        assert objects(subset, "http://purl.org/dc/terms/license")


# The spellings of item 1 of the hardening issue: none may reach the canary through the endpoint.
TRICKY_SERVICE = [
    "SELECT * WHERE {{ ?s ?p 1.SERVICE <{target}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p 1.0SERVICE <{target}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p 1e1SERVICE <{target}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p .5SERVICE <{target}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p trueSERVICE <{target}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ SERVICESILENT<{target}>{{ ?a ?b ?c }} }}",
    "PREFIX c: <{target}> SELECT * WHERE {{ SERVICEc:x {{ ?a ?b ?c }} }}",
    "PREFIX h: <http://h.invalid:> SELECT * WHERE {{ ?s ?p h:SERVICE <{target}> {{ ?a ?b ?c }} }}",
    'SELECT * WHERE {{ ?s ?p "a\\u0022" . SERVICE <{target}> {{ ?a ?b ?c }} # "\n}}',
    "SELECT * WHERE {{ ?s ?p ?o FILTER(true || ?o <STR(':>')) SERVICE <{target}> {{ ?a ?b ?c }} # '\n}}",
    "BASE <{target}> SELECT * WHERE {{ SERVICE <relative> {{ ?a ?b ?c }} }}",
]


def test_service_by_any_spelling_gets_400_and_reaches_nothing(client: TestClient) -> None:
    canary = SparqlCanary()
    try:
        for template in TRICKY_SERVICE:
            query = template.format(target=canary.url("/sparql"))
            for response in (client.get("/sparql", params={"query": query}),
                             client.post("/sparql", content=query.encode(),
                                         headers={"Content-Type": "application/sparql-query"})):
                assert response.status_code == 400, query
                assert response.json()["title"] == "Query refused" and "SERVICE" in response.json()["detail"]
        assert canary.requests == []
        assert "BasicFederatedQuery" not in client.get("/sparql").text  # no federation advertised either
    finally:
        canary.close()


def _count(client: TestClient, query: str, **protocol: str) -> int:
    response = client.get("/sparql", params={"query": query, **protocol})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_a_querys_own_dataset_is_honoured_and_the_protocol_wins_over_it(client: TestClient) -> None:
    everything = _count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    nowhere = "http://nowhere.example/g"
    assert _count(client, f"SELECT (COUNT(*) AS ?n) FROM <{nowhere}> WHERE {{ ?s ?p ?o }}") == 0
    rows = client.get("/sparql", params={"query": f"""
        SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{BASE}graph/")
          && ?g != <{BASE}graph/meta>) }} GROUP BY ?g ORDER BY DESC(?n) ?g LIMIT 2"""}).json()["results"]["bindings"]
    (first, size), (second, other) = ((row["g"]["value"], int(row["n"]["value"])) for row in rows)
    assert 0 < size < everything
    assert _count(client, f"SELECT (COUNT(*) AS ?n) FROM <{first}> WHERE {{ ?s ?p ?o }}") == size
    assert _count(client, f"select (count(*) as ?n) from <{first}> from <{second}> {{ ?s ?p ?o }}") == size + other
    # FROM NAMED alone: those graphs for GRAPH, and an empty default graph (SPARQL 1.1, 13.2).
    assert _count(client, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{first}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}") == size
    assert _count(client, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{first}> WHERE {{ ?s ?p ?o }}") == 0
    # The protocol's default-graph-uri / named-graph-uri win over the query's FROM (SPARQL 1.1 Protocol, 2.1.4).
    assert _count(client, f"SELECT (COUNT(*) AS ?n) FROM <{nowhere}> WHERE {{ ?s ?p ?o }}",
                  **{"default-graph-uri": first}) == size
    assert _count(client, f"SELECT (COUNT(*) AS ?n) FROM <{first}> WHERE {{ ?s ?p ?o }}",
                  **{"default-graph-uri": nowhere}) == 0
    assert _count(client, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{nowhere}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                  **{"named-graph-uri": first}) == size
    # FROM in a string or a comment is no dataset: the union stays.
    assert _count(client, f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o BIND("FROM <{nowhere}>" AS ?t) }} '
                          f"# FROM <{nowhere}>") == everything


def test_serve_refuses_bad_query_options(tmp_path: Path) -> None:
    from hub.cli import main

    assert main(["--data", str(tmp_path), "serve", "--query-workers", "1"]) == 2
    for bad in (["--query-deadline", "0"], ["--max-rows", "-5"], ["--query-workers", "two"]):
        with pytest.raises(SystemExit) as exited:
            main(["--data", str(tmp_path), "serve", *bad])
        assert exited.value.code == 2


def test_workers_move_to_the_newest_generation_between_queries(tmp_path: Path) -> None:
    from hub.cli import main

    settings = Settings(sources_path=Path("examples/sources.toml"), data_dir=tmp_path / "data", base_iri=BASE)
    first, second = tmp_path / "a.nt", tmp_path / "b.nt"
    first.write_text("<https://a.example/s> <https://a.example/p> <https://a.example/o> .\n", encoding="utf-8")
    second.write_text("<https://b.example/s> <https://b.example/p> <https://b.example/o> .\n", encoding="utf-8")
    load = ["--data", str(settings.data_dir), "--base-iri", BASE, "load"]
    with app_client(settings) as client:
        assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 503  # nothing published yet
        assert main([*load, str(first), "--graph", "https://a.example/g"]) == 0
        for _ in range(4):  # every worker, whichever answers
            assert client.get("/sparql", params={"query": "ASK { GRAPH <https://a.example/g> {} }"}).json()["boolean"]
        assert main([*load, str(second), "--graph", "https://b.example/g"]) == 0
        every_graph = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
        for _ in range(4):
            response = client.get("/sparql", params={"query": every_graph})
            graphs = [row["g"]["value"] for row in response.json()["results"]["bindings"]]
            assert graphs == [f"{BASE}graph/meta", "https://a.example/g", "https://b.example/g"]


def test_a_large_answer_streams_whole_in_every_format(client: TestClient) -> None:
    count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    total = int(count.json()["results"]["bindings"][0]["n"]["value"])
    for _ in range(3):  # and the workers come back to the pool after each stream
        response = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }"})
        assert len(response.content) > 64 * 1024  # more than one chunk: the streamed path
        assert len(response.json()["results"]["bindings"]) == total
    tsv = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o }"},
                     headers={"Accept": "text/tab-separated-values"})
    assert len(tsv.text.splitlines()) == total + 1
    turtle = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert len(turtle.content) > 64 * 1024 and len(list(parse(turtle.content, format=RdfFormat.TURTLE))) > 0
