"""The `ldes` format's walk (harvesters/ldes.py) against streams served on loopback: the current state it composes
(the latest version of each entity, deletions gone, a plain LDES member's statements given to its entity), a view
whose relations loop, and an endless stream, which the hub's bounds stop (run in a child under an address-space
limit and a timeout)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from pyoxigraph import NamedNode, RdfFormat, parse

from harvesters.formats import table
from hub.pipeline.documents import walk
from hub.pipeline.fetch import FetchPolicy
from tests.conftest import ROOT
from tests.loopback import Answer, Canary, LoopbackServer, Request

PREFIXES = """@prefix ldes: <https://w3id.org/ldes#> . @prefix tree: <https://w3id.org/tree#> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix schema: <https://schema.org/> .
@prefix as: <https://www.w3.org/ns/activitystreams#> .
"""
E = "https://upstream.example/graph/"


def version(page: str, name: str, entity: str, time: str, body: str = "", kind: str = "as:Create") -> str:
    return (f'<{page}> tree:member <{name}> . <{name}> a {kind} ; dcterms:isVersionOf <{E}{entity}> ; '
            f'prov:generatedAtTime "{time}"^^xsd:dateTime .\n' + (f"<{name}> {{ {body} }}\n" if body else ""))


def stream(server_url: str) -> dict[str, str]:
    s, p1, p2 = server_url + "stream", server_url + "p1", server_url + "p2"
    return {
        "/stream": PREFIXES + f"<{s}> a ldes:EventStream ; ldes:versionOfPath dcterms:isVersionOf ; "
                              f"ldes:timestampPath prov:generatedAtTime ; tree:view <{p1}> .",
        "/p1": PREFIXES + f"<{p1}> tree:relation [ tree:node <{p2}> ] .\n"
        + version(s, "urn:v1", "one", "2026-01-01T00:00:00Z", '<urn:x1> a schema:NGO ; schema:name "old" .')
        + version(s, "urn:v2", "two", "2026-01-01T00:00:00Z", '<urn:x2> a schema:NGO ; schema:name "two" .'),
        "/p2": PREFIXES + f"<{p2}> tree:relation [ tree:node <{p1}> ] .\n"  # back to the first: a loop
        + version(s, "urn:v3", "one", "2026-02-01T00:00:00Z", '<urn:x1> a schema:NGO ; schema:name "new" .',
                  "as:Update")
        + version(s, "urn:v4", "two", "2026-02-01T00:00:00Z", kind="as:Delete")
        + f'<{s}> tree:member <urn:v5> . <urn:v5> dcterms:isVersionOf <{E}three> ; '
          'prov:generatedAtTime "2026-02-01T00:00:00Z"^^xsd:dateTime ; a schema:Place ; schema:name "plain" .\n',
    }


def test_the_walk_composes_the_latest_version_of_each_entity_once(canary: Canary) -> None:
    pages: dict[str, str] = {}

    def route(request: Request) -> Answer:
        if request.path not in pages:
            return 404, {}, b""
        return 200, {"Content-Type": "application/trig", "Cache-Control": "public, max-age=60"}, \
            pages[request.path].encode()

    server = LoopbackServer(route)
    try:
        pages.update(stream(server.url("/")))
        # A relation to another origin (a port of this machine): not followed, whatever the page says.
        pages["/p1"] += f"<{server.url('/p1')}> tree:relation [ tree:node <http://127.0.0.1:{canary.port}/x> ] .\n"
        [document] = list(walk(table().get("ldes"), server.url("/stream"),
                               FetchPolicy(trusted_hosts=(server.hostport,))))
        assert document.url == server.url("/stream") and document.content_type == "application/n-quads"
        assert sorted(r.path for r in server.requests) == ["/p1", "/p2", "/stream"]  # the loop read once
        assert canary.connections() == 0
        quads = list(parse(document.body, format=RdfFormat.N_QUADS))
        by_graph: dict[str, set[str]] = {}
        for q in quads:
            if isinstance(q.graph_name, NamedNode):
                by_graph.setdefault(q.graph_name.value, set()).add(f"{q.subject} {q.predicate} {q.object}")
        assert set(by_graph) == {E + "one", E + "three"}  # "two" was deleted last
        assert '<urn:x1> <https://schema.org/name> "new"' in by_graph[E + "one"]
        assert not any('"old"' in line for line in by_graph[E + "one"])
        assert by_graph[E + "three"] == {  # a plain member: its statements, but the stream's terms
            f'<{E}three> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Place>',
            f'<{E}three> <https://schema.org/name> "plain"'}
        described = {str(q.predicate) for q in quads if q.subject == NamedNode(E + "one")
                     and not isinstance(q.graph_name, NamedNode)}
        assert described == {"<http://www.w3.org/ns/prov#generatedAtTime>"}  # the version's time, as provenance
    finally:
        server.close()


ENDLESS = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from harvesters.formats import table
from hub.pipeline.documents import walk
from hub.pipeline.fetch import FetchPolicy
url, host = sys.argv[1], sys.argv[2]
try:
    list(walk(table().get("ldes"), url, FetchPolicy(trusted_hosts=(host,))))
    print(json.dumps("no error"))
except Exception as error:
    print(json.dumps(f"{type(error).__name__}: {error}"))
"""


def test_an_endless_stream_stops_at_the_walks_bound() -> None:
    def route(request: Request) -> Answer:
        here = request.path.strip("/")
        number = int(here[1:]) if here.startswith("p") else 0
        base = server.url("/")
        if here == "stream":
            body = PREFIXES + f"<{base}stream> a ldes:EventStream ; tree:view <{base}p0> ."
        else:  # every page links the next, and the next one again: a view with no end
            body = PREFIXES + f"<{base}p{number}> tree:relation [ tree:node <{base}p{number + 1}> ] , " \
                              f"[ tree:node <{base}p{number + 2}> ] ."
        return 200, {"Content-Type": "text/turtle"}, body.encode()

    server = LoopbackServer(route)
    try:
        result = subprocess.run([sys.executable, "-c", textwrap.dedent(ENDLESS), server.url("/stream"),
                                 server.hostport], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        message = json.loads(result.stdout.strip().splitlines()[-1])
        assert message.startswith("WalkLimit") and "more than 1000 fetches" in message, message
        assert 1000 <= len(server.requests) <= 1001
    finally:
        server.close()
