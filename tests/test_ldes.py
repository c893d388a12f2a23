"""`/ldes`: the Linked Data Event Stream of record versions (hub/gateway/event_stream.py, hub/gateway/ldes.py).

Against the examples' store: the stream's description (paths, retention, view, DCAT in VoID), its pages (every
change of the change feed a member, each with its provenance, each current version's statements hashing to the
store's content hash), caching (immutable pages but the newest, strong ETags, 304), formats by Accept; and a
consent that ends: the page that held the person is re-issued with a new ETag and a deletion member.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from hub.gateway import event_stream
from hub.gateway.app import create_app
from hub.pipeline.canonical import canonical_hash
from hub.pipeline.harvest import HarvestSummary, harvest
from tests.conftest import BASE, quiet
from tests.test_consent_withdrawal import NORA, feed, leaked, network

LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
AS = "https://www.w3.org/ns/activitystreams#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
HUB = "https://w3id.org/mutualisons/ns#"
NQ = {"accept": "application/n-quads"}


@pytest.fixture()
def small_pages(client: TestClient) -> Iterator[TestClient]:
    """The examples' stream cut into pages of 20 members (80 changes: 4 pages)."""
    client.app.state.ldes_page_size = 20  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        del client.app.state.ldes_page_size  # type: ignore[attr-defined]


def quads(response: Any) -> list[Quad]:
    assert response.status_code == 200, response.text
    return list(parse(response.content, format=RdfFormat.N_QUADS))


def pages(client: TestClient) -> list[list[Quad]]:
    root = quads(client.get("/ldes/root", headers=NQ))
    targets = sorted(q.object.value for q in root if q.predicate.value == TREE + "node")
    return [quads(client.get(target.removeprefix(BASE.rstrip("/")), headers=NQ)) for target in targets]


def members(page: list[Quad]) -> list[str]:
    return [q.object.value for q in page if q.predicate.value == TREE + "member"]


def objects(page: list[Quad], subject: str, predicate: str) -> list[str]:
    return [q.object.value for q in page if q.subject.value == subject and q.predicate.value == predicate
            and q.graph_name.__class__.__name__ == "DefaultGraph"]


def test_the_stream_describes_itself(client: TestClient) -> None:
    stream = quads(client.get("/ldes", headers=NQ))
    s = f"{BASE}ldes"
    assert set(objects(stream, s, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")) == {
        LDES + "EventStream", "http://www.w3.org/ns/dcat#Dataset"}
    assert objects(stream, s, LDES + "timestampPath") == [PROV + "generatedAtTime"]
    assert objects(stream, s, LDES + "versionOfPath") == [DCTERMS + "isVersionOf"]
    assert objects(stream, s, TREE + "view") == [f"{BASE}ldes/root"]
    policies = objects(stream, s, LDES + "retentionPolicy")
    amounts = {q.object.value for q in stream if q.subject.value in policies or
               any(q.subject == p.object for p in stream if p.predicate.value == LDES + "retentionPolicy")
               if q.predicate.value in (LDES + "amount", HUB + "keepRuns")}
    assert amounts == {"1", "5"}  # the latest version always; every version of a source's last 5 runs (keep_runs)
    void = client.get("/.well-known/void").text
    assert f"<{BASE}ldes>" in void and "ldes#EventStream" in void  # the stream's DCAT description in VoID


def test_every_change_is_a_member_with_its_provenance(client: TestClient) -> None:
    changes = client.get("/api/changes").json()["changes"]
    found = pages(client)
    listed = [member for page in found for member in members(page)]
    assert listed == [change["version"] for change in changes]  # in commit order, none twice
    page = [q for page in found for q in page]
    for change in changes:
        v = change["version"]
        assert objects(page, v, DCTERMS + "isVersionOf") == [change["graph"]]
        assert objects(page, v, PROV + "wasGeneratedBy") == [change["run"]]
        assert objects(page, v, DCTERMS + "source") == [change["source"]]
        assert len(objects(page, v, PROV + "generatedAtTime")) == 1
        fetch = objects(page, v, HUB + "fetch")
        assert len(fetch) == 1 and objects(page, fetch[0], HUB + "document")  # the fetch node is described
        assert objects(page, v, DCTERMS + "license") == objects(page, fetch[0], DCTERMS + "license")


def test_each_version_holds_the_record_as_the_store_serves_it(client: TestClient) -> None:
    page = [q for page in pages(client) for q in page]
    rows = client.get("/sparql", params={"query": f"""SELECT ?g ?hash WHERE {{ GRAPH <{BASE}graph/meta> {{
        ?g a <{HUB}RecordGraph> ; <{HUB}contentHash> ?hash }} }}"""},
                      headers={"accept": "application/sparql-results+json"}).json()["results"]["bindings"]
    stored = {row["g"]["value"]: row["hash"]["value"] for row in rows}
    latest: dict[str, str] = {}
    for q in page:
        if q.predicate.value == DCTERMS + "isVersionOf":
            latest[q.object.value] = q.subject.value
    assert set(latest) == set(stored)
    for graph, version in latest.items():
        triples = [f"{q.subject} {q.predicate} {q.object} ." for q in page
                   if isinstance(q.graph_name, NamedNode) and q.graph_name.value == version]
        assert canonical_hash(triples) == stored[graph]
        assert objects(page, version, HUB + "contentHash") == [stored[graph]]


def test_pages_but_the_newest_are_immutable(small_pages: TestClient) -> None:
    reader = small_pages.app.state.reader  # type: ignore[attr-defined]
    root = quads(small_pages.get("/ldes/root", headers=NQ))
    relations = [q for q in root if q.predicate.value == TREE + "relation"]
    assert len(relations) == 4
    for relation in relations:
        kinds = [q.object.value for q in root if q.subject == relation.object
                 and q.predicate.value == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"]
        assert kinds == [TREE + "GreaterThanOrEqualToRelation"]
    for number in (1, 2, 3, 4):
        response = small_pages.get(f"/ldes/{number}", headers=NQ)
        # Pages of 20 changes; the newest holds the rest (the examples' changes are not a multiple of 20).
        count = len(members(quads(response)))
        assert response.status_code == 200 and (count == 20 if number < 4 else 0 < count <= 20)
        etag = response.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")  # strong
        control = response.headers["cache-control"]
        assert ("immutable" in control) == (number < 4), control
        again = small_pages.get(f"/ldes/{number}", headers={**NQ, "if-none-match": etag})
        assert again.status_code == 304 and again.content == b""
    rebuilt = event_stream.StreamCache()  # a restarted server builds the page anew: the same bytes, the same ETag
    store, generation = reader.published().store, reader.published().generation.number
    stream = rebuilt.stream(reader.data, store, reader.minter, generation, 20)
    assert rebuilt.page(reader.data, store, reader.minter, stream, 1) == \
        event_stream.StreamCache().page(reader.data, store, reader.minter, stream, 1)
    assert small_pages.get("/ldes/5").status_code == 404
    assert small_pages.get("/ldes/0").status_code == 404
    assert small_pages.get("/ldes/x").status_code == 404
    root_answer = small_pages.get("/ldes/root", headers=NQ)
    assert "immutable" not in root_answer.headers["cache-control"]
    unchanged = small_pages.get("/ldes/root", headers={**NQ, "if-none-match": root_answer.headers["etag"]})
    assert unchanged.status_code == 304


def test_formats_by_accept(client: TestClient) -> None:
    expected = {"application/n-quads": "application/n-quads", "application/trig": "application/trig",
                "text/turtle": "text/turtle", "application/ld+json": "application/ld+json",
                "": "application/ld+json"}
    for accept, media in expected.items():
        response = client.get("/ldes/1", headers={"accept": accept} if accept else {})
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    trig = list(parse(client.get("/ldes/1", headers={"accept": "application/trig"}).content, format=RdfFormat.TRIG))
    jsonld = list(parse(client.get("/ldes/1", headers={"accept": "application/ld+json"}).content,
                        format=RdfFormat.JSON_LD))
    nquads = quads(client.get("/ldes/1", headers=NQ))
    assert len(trig) == len(jsonld) == len(nquads)
    assert client.get("/ldes/1", headers={"accept": "image/png"}).status_code == 406
    assert client.get("/ldes/1", params={"format": "xml"}).status_code == 400


def test_a_withdrawn_persons_page_is_reissued_with_a_deletion_member(tmp_path: Path) -> None:
    settings = network(tmp_path, feed())
    harvest(settings, progress=quiet)
    with TestClient(create_app(settings)) as client:
        client.app.state.ldes_page_size = 1  # type: ignore[attr-defined]
        before = {number: client.get(f"/ldes/{number}", headers=NQ) for number in (1, 2)}
        nora_page = next(n for n, r in before.items() if "Nora Jacobs" in r.text)
        (tmp_path / "feeds" / "net.ttl").write_text(feed(founder_consents=False, nora_consents=False),
                                                    encoding="utf-8")
        summary: HarvestSummary = harvest(settings, progress=quiet)
        assert summary.generation is not None
        after = client.get(f"/ldes/{nora_page}", headers=NQ)
        assert after.headers["etag"] != before[nora_page].headers["etag"]  # re-issued
        page = quads(after)
        [member] = members(page)
        assert member.endswith("-withdrawn")
        assert set(objects(page, member, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")) == {
            HUB + "RecordVersion", AS + "Delete"}
        everything = "".join(client.get(f"/ldes/{n}", headers=NQ).text
                             for n in range(1, 1 + len([q for q in quads(client.get("/ldes/root", headers=NQ))
                                                        if q.predicate.value == TREE + "relation"])))
        assert leaked(everything) == []  # neither Nora nor the founder, in any page
        assert f"<{NORA}>" not in everything
        deletions = [q.subject.value for q in parse(everything.encode(), format=RdfFormat.N_QUADS)
                     if q.object == NamedNode(AS + "Delete")]
        assert any(not d.endswith("-withdrawn") for d in deletions)  # and the run that withdrew her deleted her
        assert "Atelier vélo" in everything  # the organisation stays, without them


def test_retention_follows_keep_runs(tmp_path: Path) -> None:
    """keep_runs = 1: a version superseded before the source's last run leaves its page, which is re-issued; the
    current version of every record stays a member."""
    settings = network(tmp_path, feed())
    settings.sources_path.write_text(settings.sources_path.read_text(encoding="utf-8") + "keep_runs = 1\n",
                                     encoding="utf-8")
    harvest(settings, progress=quiet)
    with TestClient(create_app(settings)) as client:
        client.app.state.ldes_page_size = 1  # type: ignore[attr-defined]
        stream = quads(client.get("/ldes", headers=NQ))
        assert "1" in {q.object.value for q in stream if q.predicate.value == HUB + "keepRuns"}
        first = {n: client.get(f"/ldes/{n}", headers=NQ) for n in (1, 2)}
        org_page = next(n for n, r in first.items() if "Atelier v" in r.text)
        for description in ("Réparation de vélos et de trottinettes", "Réparation de vélos, le samedi"):
            (tmp_path / "feeds" / "net.ttl").write_text(feed(description=description), encoding="utf-8")
            harvest(settings, progress=quiet)
        again = client.get(f"/ldes/{org_page}", headers=NQ)
        assert again.headers["etag"] != first[org_page].headers["etag"]  # re-issued without the pruned version
        assert members(quads(again)) == []
        everything = [q for page in pages(client) for q in page]
        assert "le samedi" in " ".join(str(q.object) for q in everything)  # the current version stays
        assert "trottinettes" not in " ".join(str(q.object) for q in everything)  # superseded, pruned
