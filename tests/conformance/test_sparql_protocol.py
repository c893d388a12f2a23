"""The W3C SPARQL 1.1 Protocol test suite, run against `/sparql`.

The suite (tests/conformance/sparql11-protocol, W3C test suite licence, see its LICENSE.md and
SOURCE.txt) is read from its manifest: the graphs it names are loaded with `mutualisons load`, the
`/sparql/` paths are rewritten to `/sparql`, and every request is sent as the manifest says. Every
query test must pass. The hub is read-only, so every update test must be refused: 403, or for the
malformed ones the 4xx the suite expects.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import RdfFormat, parse
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection

from hub.cli import main as cli_main
from hub.core.config import Settings
from hub.gateway.app import create_app
from tests.conftest import EXAMPLES

SUITE = Path(__file__).resolve().parent / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = BOOLEAN_TYPES + ("text/csv", "text/tab-separated-values")
RDF_TYPES = {"text/turtle": RdfFormat.TURTLE, "application/rdf+xml": RdfFormat.RDF_XML,
             "application/n-triples": RdfFormat.N_TRIPLES}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # "2xx", "3xx", "4xx"
    boolean: bool | None
    format: str | None


@dataclass
class ProtocolTest:
    name: str
    graphs: dict[str, Path] = field(default_factory=dict)  # graph IRI -> file
    requests: list[Request] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        # The manifest's names say it (update_*, bad_update_*, bad_multiple_updates); some bodies do not,
        # e.g. an update sent as text/plain.
        return "update" in self.name


def read_manifest() -> list[ProtocolTest]:
    graph = Graph().parse(SUITE / "manifest.ttl", format="turtle", publicID=SUITE.as_uri() + "/")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        test = ProtocolTest(str(entry).rsplit("#", 1)[-1])
        for data in graph.objects(entry, UT.graphData):
            file = Path(str(graph.value(data, UT.graph)).removeprefix("file://"))
            test.graphs[str(graph.value(data, RDFS.label))] = file
        action = graph.value(entry, MF.action)
        for node in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(node, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName)).lower()] = str(graph.value(header, HT.fieldValue))
            body = None
            body_node = graph.value(node, HT.body)
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            response = graph.value(node, HT.resp)
            statuses = {str(s).removeprefix(HTS) for s in graph.objects(response, MF.expectedStatus)}
            boolean = graph.value(response, MF.expectedBoolean)
            fmt = graph.value(response, MF.expectedFormat)
            path = str(graph.value(node, HT.absolutePath))
            assert path.startswith("/sparql/"), path
            test.requests.append(Request(
                method=str(graph.value(node, HT.methodName)),
                path="/sparql" + path.removeprefix("/sparql/"),
                headers=headers, body=body, statuses=statuses,
                boolean=None if boolean is None else bool(boolean.toPython()),
                format=None if fmt is None else str(fmt)))
        tests.append(test)
    return tests


TESTS = read_manifest()
QUERY_TESTS = [t for t in TESTS if not t.is_update]
UPDATE_TESTS = [t for t in TESTS if t.is_update]


def test_the_manifest_is_read_whole() -> None:
    assert len(TESTS) == 34
    assert len(QUERY_TESTS) == 20 and len(UPDATE_TESTS) == 14
    assert any(t.graphs for t in QUERY_TESTS)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("protocol-data")
    graphs: dict[str, Path] = {}
    for test in TESTS:
        graphs.update(test.graphs)
    for iri, file in sorted(graphs.items()):
        code = cli_main(["--data", str(data), "--base-iri", "http://hub.test/", "load", str(file), "--graph", iri,
                         "--by", "conformance test"])
        assert code == 0
    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=data, base_iri="http://hub.test/")
    with TestClient(create_app(settings)) as client:
        yield client


def send(client: TestClient, request: Request) -> tuple[int, str, bytes]:
    response = client.request(request.method, request.path, content=request.body, headers=request.headers)
    return response.status_code, response.headers.get("content-type", ""), response.content


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def parse_boolean(media_type: str, body: bytes) -> bool:
    if media_type.startswith("application/sparql-results+json"):
        return bool(json.loads(body)["boolean"])
    root = ET.fromstring(body)
    element = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert element is not None and element.text is not None
    return element.text.strip() == "true"


def check_format(request: Request, media_type: str, body: bytes) -> None:
    kind = media_type.split(";")[0].strip()
    if request.format == "boolean":
        assert kind in BOOLEAN_TYPES, kind
    elif request.format == "tabular":
        assert kind in TABULAR_TYPES, kind
        if kind == "application/sparql-results+json":
            assert json.loads(body)["results"]["bindings"][0]["value"]["value"] == "1"
        else:
            assert b"1" in body
    elif request.format == "RDF":
        assert kind in RDF_TYPES, kind
        list(parse(body, format=RDF_TYPES[kind]))  # well-formed
    if request.boolean is not None:
        assert parse_boolean(kind, body) is request.boolean


@pytest.mark.parametrize("test", QUERY_TESTS, ids=lambda t: t.name)
def test_query(endpoint: TestClient, test: ProtocolTest) -> None:
    for request in test.requests:
        status, media_type, body = send(endpoint, request)
        assert status_class(status) in request.statuses, (status, body[:300])
        if status < 300:
            check_format(request, media_type, body)


@pytest.mark.parametrize("test", UPDATE_TESTS, ids=lambda t: t.name)
def test_update_is_refused(endpoint: TestClient, test: ProtocolTest) -> None:
    first = test.requests[0]
    status, media_type, body = send(endpoint, first)
    if first.statuses == {"4xx"}:
        assert 400 <= status < 500, (status, body[:300])  # malformed: the 4xx the suite expects
    else:
        assert status == 403, (status, body[:300])  # a valid update: read-only endpoint
    assert media_type.startswith("application/problem+json")
    # And nothing changed: the loaded graphs are all still there, no other graph appeared.
    response = endpoint.get("/sparql", params={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"})
    graphs = {b["g"]["value"] for b in response.json()["results"]["bindings"]}
    loaded = {f"http://kasei.us/2009/09/sparql/data/data{n}.rdf" for n in (1, 2, 3)}
    assert graphs == loaded | {"http://hub.test/graph/meta"}
