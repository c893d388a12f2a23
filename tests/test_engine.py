"""The harvest engine end to end over loopback HTTP: conditional GET, unchanged feeds, a single edit,
410 Gone, a killed harvest, the audit trail and admin calls."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import DefaultGraph, NamedNode, Quad

from bench.feeds import PREFIXES, organisation, reserialised, write_feed
from hub.archive import quarantine
from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.namespaces import RDF, sparql_prefixes
from hub.core.ntriples import to_lines
from hub.core.records import Record, Verdict
from hub.gateway.app import create_app
from hub.pipeline.canonical import canonical_hash
from hub.pipeline.harvest import HarvestSummary, harvest
from hub.store import generations
from hub.store.embedded import ReadOnlyStore
from tests.conftest import BASE, ROOT, quiet
from tests.loopback import Canary, LoopbackServer, Request

ADMIN = "test-admin-token"


class Feed:
    """A feed served over loopback with an ETag; `gone` makes it answer 410."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.gone = False
        self.server = LoopbackServer(self.route)

    def route(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        if self.gone:
            return 410, {}, b"gone"
        etag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": "text/turtle", "ETag": etag}, self.body


@pytest.fixture()
def feed() -> Iterator[Feed]:
    served = Feed(b"")
    try:
        yield served
    finally:
        served.server.close()


def sources_for(folder: Path, feed: Feed, gone_grace: str = "P7D", keep_runs: int | None = None) -> Settings:
    toml = folder / "sources.toml"
    toml.write_text(
        '[[source]]\nid = "net"\nname = "Net"\n'
        f'url = "{feed.server.url("/feed.ttl")}"\nformat = "turtle"\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Net"\n'
        f'contact = "mailto:net@net.example"\ntrusted_hosts = ["{feed.server.hostport}"]\n'
        f'gone_grace = "{gone_grace}"\n' + (f"keep_runs = {keep_runs}\n" if keep_runs else ""), encoding="utf-8")
    return Settings(toml, folder / "data", BASE)


def organisations(count: int, edited: int | None = None) -> bytes:
    return (PREFIXES + "".join(organisation(i, " (v2)" if i == edited else "") for i in range(count))).encode()


def store_of(settings: Settings) -> ReadOnlyStore:
    generation = generations.current(DataDir(settings.data_dir))
    assert generation is not None
    return ReadOnlyStore(generation.path)


def counts(summary: HarvestSummary) -> dict[str, int]:
    [run] = summary.runs
    return run.counts


def graph_hash(store: ReadOnlyStore, graph: str) -> str:
    """The canonical hash of a record graph's statements (blank-node labels do not count)."""
    return canonical_hash(to_lines(Quad(q.subject, q.predicate, q.object, DefaultGraph())
                                   for q in store.graph_quads(NamedNode(graph))))


def test_conditional_get_costs_nothing(tmp_path: Path, feed: Feed) -> None:
    feed.body = organisations(20)
    settings = sources_for(tmp_path, feed)
    assert counts(harvest(settings, progress=quiet))["added"] == 20
    again = harvest(settings, progress=quiet)
    assert feed.server.requests[-1].headers.get("if-none-match")  # the second fetch was conditional
    assert counts(again)["unchanged"] == 20 and counts(again)["bytes"] == 0
    assert again.runs[0].status == "succeeded"


def test_reserialised_feed_rewrites_nothing(tmp_path: Path, feed: Feed) -> None:
    feed.body = organisations(50)
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    # As a state written before shape digests existed: the next harvest gives the records theirs.
    state_file = settings.data_dir / "private/state/net.json"
    state = json.loads(state_file.read_text())
    state["records"] = {graph: facts[:4] for graph, facts in state["records"].items()}
    state_file.write_text(json.dumps(state))
    feed.body = reserialised(feed.body, 3)  # new bytes, fresh blank-node labels, another order
    result = counts(harvest(settings, progress=quiet))
    assert (result["added"], result["updated"], result["removed"], result["unchanged"]) == (0, 0, 0, 50)
    state = json.loads(state_file.read_text())
    assert all(len(facts) == 5 and facts[4] for facts in state["records"].values())  # every shape digest kept
    # Re-serialised again with one street changed inside an address (a blank node): the records
    # known by their shape digest are not canonicalised again, and the changed one is still seen.
    edited = feed.body.replace(b'"Rue du Test 8"@fr', b'"Rue du Test 8bis"@fr', 1)
    assert edited != feed.body
    feed.body = reserialised(edited, 4)
    result = counts(harvest(settings, progress=quiet))
    assert (result["added"], result["updated"], result["removed"], result["unchanged"]) == (0, 1, 0, 49)
    assert store_of(settings).ask('ASK { ?org <https://schema.org/address> ?a . '
                                  '?a <https://schema.org/streetAddress> "Rue du Test 8bis"@fr }')


def test_editing_one_record_in_10k_rewrites_only_its_graph(tmp_path: Path, feed: Feed) -> None:
    feed.body = organisations(10_000)
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    feed.body = organisations(10_000, edited=4321)
    result = harvest(settings, progress=quiet)
    assert (counts(result)["updated"], counts(result)["added"], counts(result)["removed"]) == (1, 0, 0)
    assert counts(result)["unchanged"] == 9_999
    store = store_of(settings)
    rows = store.select(sparql_prefixes() + f"""SELECT ?g WHERE {{ GRAPH ?meta {{
        ?g a hub:RecordGraph ; prov:wasGeneratedBy <{result.runs[0].run}> }} }}""")
    assert len(rows) == 1
    assert store.ask('ASK { <https://bench.example/org/4321> <https://schema.org/name> "Initiative 4321 (v2)"@fr }')


def test_a_changed_record_is_patched_statement_by_statement(tmp_path: Path, feed: Feed) -> None:
    """A record whose literals changed loses only its changed statements (its blank nodes stay the same
    nodes); one whose blank nodes changed is replaced whole; either way the graph then holds exactly
    the new record, and its description exactly one version of each fact."""
    from pyoxigraph import BlankNode

    def edited(names: dict[int, str], moved: int | None = None) -> bytes:
        text = "".join(organisation(i, names.get(i, "")) for i in range(30))
        if moved is not None:  # one record's coordinates: a change inside a blank node
            text = text.replace(organisation(moved, names.get(moved, "")),
                                organisation(moved, names.get(moved, "")).replace('"50.', '"50.0'))
        return (PREFIXES + text).encode()

    def graph_of(store: ReadOnlyStore, index: int) -> str:
        [row] = store.select(sparql_prefixes() + f"""SELECT ?g WHERE {{ GRAPH ?meta {{
            ?g hub:recordSubject <https://bench.example/org/{index}> }} }}""")
        return str(row["g"].value)

    def content(store: ReadOnlyStore, graph: str) -> tuple[str, list[str]]:
        """The graph's canonical hash, and its description's content hash(es)."""
        hashes = store.select(sparql_prefixes() + f"""SELECT ?h WHERE {{ GRAPH ?meta {{
            <{graph}> hub:contentHash ?h }} }}""")
        return graph_hash(store, graph), sorted(row["h"].value for row in hashes)

    def check(store: ReadOnlyStore, graph: str, run: str, fresh: ReadOnlyStore) -> set[str]:
        """The graph and its description are those a first harvest of the same feed writes."""
        assert content(store, graph) == content(fresh, graph)
        described = store.select(sparql_prefixes() + f"""SELECT ?p ?o WHERE {{ GRAPH ?meta {{ <{graph}> ?p ?o }} }}""")
        facts: dict[str, list[str]] = {}
        for row in described:
            facts.setdefault(row["p"].value, []).append(row["o"].value)
        assert facts["http://www.w3.org/ns/prov#wasGeneratedBy"] == [run]
        assert len(facts["https://w3id.org/mutualisons/ns#fetch"]) == 1  # the run's fetch node, no other
        return {q.subject.value for q in store.graph_quads(NamedNode(graph)) if isinstance(q.subject, BlankNode)}

    feed.body = edited({})
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    store = store_of(settings)
    blanks_before = {i: {q.subject.value for q in store.graph_quads(NamedNode(graph_of(store, i)))
                         if isinstance(q.subject, BlankNode)} for i in (7, 8)}
    del store
    for round_, names in enumerate(({7: " (v2)"}, {7: " (v3)", 8: " (v2)"}), start=1):
        feed.body = edited(names, moved=8 if round_ == 2 else None)
        result = harvest(settings, progress=quiet)
        assert counts(result)["updated"] == len(names)
        (tmp_path / f"fresh-{round_}").mkdir()
        fresh_settings = sources_for(tmp_path / f"fresh-{round_}", feed)
        harvest(fresh_settings, progress=quiet)
        fresh = store_of(fresh_settings)
        store = store_of(settings)
        run = result.runs[0].run
        assert check(store, graph_of(store, 7), run, fresh) == blanks_before[7]  # patched: the same blank nodes
        assert store.ask(f'ASK {{ <https://bench.example/org/7> <https://schema.org/name> '
                         f'"Initiative 7{names[7]}"@fr }}')
        assert not store.ask('ASK { <https://bench.example/org/7> <https://schema.org/name> "Initiative 7"@fr }')
        if round_ == 2:
            assert check(store, graph_of(store, 8), run, fresh).isdisjoint(blanks_before[8])  # replaced whole
            assert not store.ask('ASK { <https://bench.example/org/8> <https://schema.org/name> "Initiative 8"@fr }')
        del store, fresh


def test_a_patch_written_in_many_chunks_equals_a_fresh_harvest(tmp_path: Path, feed: Feed,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every record changed, the patch's deletions and additions interleaved in chunks of a few
    statements: the store then holds exactly what a first harvest of the same feed writes."""
    from hub.pipeline import record_writer

    def published(settings: Settings) -> dict[str, tuple[str, list[str]]]:
        """Each record graph: the canonical hash of its statements, and its description (run and fetch
        node left out: they differ between the two harvests)."""
        store = store_of(settings)
        described: dict[str, list[str]] = {}
        for row in store.select(sparql_prefixes() + """SELECT ?g ?p ?o WHERE { GRAPH ?meta {
                ?g a hub:RecordGraph ; ?p ?o
                FILTER(?p NOT IN (prov:wasGeneratedBy, hub:fetch)) } }"""):
            described.setdefault(row["g"].value, []).append(f"{row['p'].value} {row['o']}")
        return {graph: (graph_hash(store, graph), sorted(facts)) for graph, facts in described.items()}

    feed.body = organisations(40)
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    monkeypatch.setattr(record_writer, "CHUNK", 1)  # deletions every 10 statements
    monkeypatch.setattr(record_writer, "ADDITIONS_CHUNK", 7)
    feed.body = (PREFIXES + "".join(organisation(i, " (v2)") for i in range(40))).encode()
    result = harvest(settings, progress=quiet)
    assert counts(result)["updated"] == 40
    (tmp_path / "fresh").mkdir()
    fresh = sources_for(tmp_path / "fresh", feed)
    harvest(fresh, progress=quiet)
    patched, expected = published(settings), published(fresh)
    assert len(expected) == 40 and patched == expected
    store = store_of(settings)
    assert store.ask('ASK { <https://bench.example/org/39> <https://schema.org/name> "Initiative 39 (v2)"@fr }')
    assert not store.ask('ASK { ?s <https://schema.org/name> "Initiative 39"@fr }')


def test_gone_feed_keeps_its_records_until_gone_grace(tmp_path: Path, feed: Feed) -> None:
    feed.body = organisations(5)
    settings = sources_for(tmp_path, feed, gone_grace="P7D")
    harvest(settings, progress=quiet)
    feed.gone = True
    kept = harvest(settings, progress=quiet)
    assert kept.runs[0].status == "failed" and counts(kept)["removed"] == 0
    assert any("410" in error and "kept until gone_grace" in error for error in kept.runs[0].errors)
    settings = sources_for(tmp_path, feed, gone_grace="PT0S")
    removed = harvest(settings, progress=quiet)
    assert counts(removed)["removed"] == 5
    assert store_of(settings).ask(sparql_prefixes() + """ASK { GRAPH ?m { ?g a hub:Tombstone ;
        hub:tombstoneReason "the feed answered 410 Gone for longer than gone_grace" } }""")


def test_a_killed_harvest_leaves_the_last_generation_whole(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    write_feed(feeds / "feed.ttl", 300)
    toml = tmp_path / "sources.toml"
    toml.write_text('[[source]]\nid = "big"\nname = "Big"\nurl = "file:feeds/feed.ttl"\nformat = "turtle"\n'
                    'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "B"\n'
                    'contact = "mailto:b@b.example"\n', encoding="utf-8")
    settings = Settings(toml, tmp_path / "data", BASE)
    harvest(settings, progress=quiet)
    before = store_of(settings).count_quads()
    write_feed(feeds / "feed.ttl", 30_000, edit=" (v2)")
    child = subprocess.Popen([sys.executable, "-m", "hub.cli", "--sources", str(toml), "--data",
                              str(settings.data_dir), "--base-iri", BASE, "harvest"], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(3)  # well into parsing, validating or writing 30k records
    child.send_signal(signal.SIGKILL)
    child.wait()
    data = DataDir(settings.data_dir)
    assert data.dirty_marker.exists() or child.returncode == 0
    assert store_of(settings).count_quads() == before  # readers still see the last generation, whole
    write_feed(feeds / "feed.ttl", 300, edit=" (v3)")
    result = harvest(settings, progress=quiet)
    assert counts(result)["updated"] == 300 and counts(result)["removed"] == 0
    assert not data.dirty_marker.exists()
    assert store_of(settings).ask('ASK { ?s <https://schema.org/name> "Initiative 7 (v3)"@fr }')


def test_audit_trail_and_admin_calls(tmp_path: Path, feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    feed.body = organisations(3)
    settings = sources_for(tmp_path, feed)
    first = harvest(settings, progress=quiet)
    feed.body = organisations(3, edited=1)
    harvest(settings, progress=quiet)
    monkeypatch.delenv("MUTUALISONS_ADMIN_TOKEN", raising=False)
    with TestClient(create_app(settings)) as client:
        runs = client.get("/api/sources/net/runs").json()["runs"]
        assert len(runs) == 2 and runs[0]["counts"]["updated"] == 1 and runs[1]["counts"]["added"] == 3
        detail = client.get(runs[1]["path"]).json()
        assert detail["payloads"][0]["document"] == feed.server.url("/feed.ttl")
        # Three graphs written; one of them since rewritten by the second run.
        assert detail["payloads"][0]["status"] == "200" and detail["graphs_total"] == 2
        graph = next(g["graph"] for g in client.get(runs[0]["path"]).json()["graphs"])
        key = graph.rsplit("/", 1)[-1]
        # A version written by a harvest killed before it published is not part of the history.
        unpublished = settings.data_dir / "private/versions/net/29991231T000000000000Z.nq"
        unpublished.write_text(f'<https://x.example/s> <https://x.example/p> "never published" <{graph}> .\n',
                               encoding="utf-8")
        history = client.get(f"/api/graphs/net/{key}/history").json()
        assert len(history["versions"]) == 2 and history["published"] is True
        # Its quarantine likewise: the view stays that of the last published run.
        ghost = Record(subject=NamedNode("https://x.example/ghost"), kind="organization", types=[],
                       triples=[], document="https://x.example/", graph_key="ghost")
        quarantine.write(DataDir(settings.data_dir), "net", "29991231T000000000000Z", "https://x.example/run",
                         [Verdict(ghost)], {"https://x.example/ghost": "https://x.example/graph"})
        assert client.get("/api/sources/net/quarantine").json()["records"] == []
        assert any("(v2)" in line for line in history["versions"][1]["added"])
        payload_path = runs[1]["path"] + "/payload"
        assert client.get(payload_path).status_code == 403  # no admin token configured
        monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)
        assert client.get(payload_path, headers={"Authorization": "Bearer wrong"}).status_code == 403
        raw = client.get(payload_path, headers={"Authorization": f"Bearer {ADMIN}"})
        assert raw.status_code == 200 and raw.content == organisations(3)
        assert client.get("/api/sources/net/quarantine?full=true").status_code == 403
        full = client.get("/api/sources/net/quarantine?full=true", headers={"Authorization": f"Bearer {ADMIN}"})
        assert full.json()["run"] == runs[0]["run"] and full.json()["records"] == []
        started = client.post("/api/sources/net/harvest", headers={"Authorization": f"Bearer {ADMIN}"})
        assert started.status_code == 202
        deadline = time.monotonic() + 60
        while generations.current(DataDir(settings.data_dir)).number < first.generation + 2:  # type: ignore[union-attr,operator]
            assert time.monotonic() < deadline, "the triggered harvest did not publish"
            time.sleep(0.2)
        assert client.get("/api/sources/nope/runs").status_code == 404


def test_due_harvests_only_what_is_due(tmp_path: Path, feed: Feed) -> None:
    feed.body = organisations(2)
    settings = sources_for(tmp_path, feed)
    assert len(harvest(settings, progress=quiet, due_only=True).runs) == 1  # never harvested: due
    assert harvest(settings, progress=quiet, due_only=True).runs == []  # P1D has not passed
    state = json.loads((settings.data_dir / "private/state/net.json").read_text())
    assert state["last_run_end"] and state["documents"]
    os.utime(settings.data_dir)  # nothing else to check: the state says when it last ran


def test_a_hub_harvesting_a_hub_keeps_the_upstream_chain(tmp_path: Path) -> None:
    upstream_graph = "https://upstream.example/graph/net/abc"
    meta = "<https://upstream.example/graph/meta>"
    org = "<https://org.example/o>"
    (tmp_path / "dump.nq").write_text("\n".join([
        f"{org} <{RDF}type> <https://schema.org/Organization> <{upstream_graph}> .",
        f'{org} <https://schema.org/name> "Upstream org"@fr <{upstream_graph}> .',
        f"<{upstream_graph}> <http://purl.org/dc/terms/source> <https://upstream.example/source/net> {meta} .",
        f"<{upstream_graph}> <http://www.w3.org/ns/prov#wasDerivedFrom> <https://first.example/feed.ttl> {meta} .",
    ]) + "\n", encoding="utf-8")
    toml = tmp_path / "sources.toml"
    toml.write_text('[[source]]\nid = "hub2"\nname = "Another hub"\nurl = "file:dump.nq"\nformat = "nquads"\n'
                    'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "H"\n'
                    'contact = "mailto:h@h.example"\n', encoding="utf-8")
    settings = Settings(toml, tmp_path / "data", BASE)
    assert counts(harvest(settings, progress=quiet))["added"] == 1
    store = store_of(settings)
    assert store.ask(sparql_prefixes() + f"""ASK {{
        GRAPH ?meta {{ ?g hub:recordSubject <https://org.example/o> ; prov:wasDerivedFrom <{upstream_graph}> }}
        GRAPH <{BASE}graph/hub2/upstream> {{ <{upstream_graph}> prov:wasDerivedFrom <https://first.example/feed.ttl> }}
        GRAPH ?meta {{ <{BASE}graph/hub2/upstream> a hub:UpstreamGraph ; dcterms:source <{BASE}source/hub2> }}
    }}""")


DFC_DATASET = ROOT.parent / "shared" / "feeds" / "dfc-solid-dataset" / "main" / "dataset"


@pytest.mark.skipif(not DFC_DATASET.is_dir(), reason="../shared/feeds/dfc-solid-dataset is absent (a user's clone)")
def test_dfc_pod_documents_fail_alone_and_the_rest_land(tmp_path: Path) -> None:
    """The Data Food Consortium's Solid-pod example, as published: two hand-written documents do not
    parse; each fails alone with its place, and the enterprise of the others is aligned and judged."""
    feeds = tmp_path / "dfc"
    urls = []
    for path in sorted(DFC_DATASET.rglob("*.ttl")):
        target = feeds / path.relative_to(DFC_DATASET)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
        urls.append(f"file:dfc/{path.relative_to(DFC_DATASET).as_posix()}")
    toml = tmp_path / "sources.toml"
    toml.write_text('[[source]]\nid = "dfc"\nname = "DFC pod"\nurl = [' + ", ".join(f'"{u}"' for u in urls) + ']\n'
                    'format = "turtle"\nbase = "https://example.pod/username/datafoodconsortium/"\n'
                    'license = "https://opensource.org/licenses/MIT"\npublisher = "DFC"\n'
                    'contact = "https://datafoodconsortium.org/"\n', encoding="utf-8")
    settings = Settings(toml, tmp_path / "data", BASE)
    [run] = harvest(settings, progress=quiet).runs
    assert run.status == "partial"
    unparsable = [error for error in run.errors if "turtle line" in error]
    assert len(unparsable) == 2 and len(unparsable) < len(urls) // 2  # they fail alone
    folder = settings.data_dir / "private/quarantine/dfc"
    judged = json.loads((folder / (folder / "latest").read_text().strip()).read_text())["records"]
    enterprise = [entry for entry in judged if "https://schema.org/Organization" in entry["type"]]
    # The pod's enterprise has no name: aligned to schema:Organization, the charter rejects it and says why.
    assert enterprise and any(r["path"] == "https://schema.org/name" for r in enterprise[0]["results"])


def test_remote_contexts_go_through_the_guarded_fetcher_once_per_harvest(tmp_path: Path) -> None:
    context = b'{"@context": {"@vocab": "https://schema.org/", "nom": "https://schema.org/name"}}'

    def document(index: int) -> bytes:
        return json.dumps({"@context": f"{server.url('/ctx.jsonld')}", "@id": f"https://ctx.example/o{index}",
                           "@type": "Organization", "nom": {"@value": f"Org {index}", "@language": "fr"},
                           "address": {"@type": "PostalAddress", "postalCode": "1000"}}).encode()

    def route(request: Request) -> tuple[int, dict[str, str], bytes]:
        if request.path == "/ctx.jsonld":
            return 200, {"Content-Type": "application/ld+json"}, context
        return 200, {"Content-Type": "application/ld+json"}, document(int(request.path.strip("/doc")))

    server = LoopbackServer(route)
    try:
        toml = tmp_path / "sources.toml"
        urls = ", ".join(f'"{server.url(f"/doc{i}")}"' for i in range(3))
        toml.write_text(f'[[source]]\nid = "ctx"\nname = "Ctx"\nurl = [{urls}]\nformat = "jsonld"\n'
                        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "C"\n'
                        f'contact = "mailto:c@c.example"\ntrusted_hosts = ["{server.hostport}"]\n', encoding="utf-8")
        settings = Settings(toml, tmp_path / "data", BASE)
        [run] = harvest(settings, progress=quiet).runs
        assert run.counts["added"] == 3, run
        assert [r.path for r in server.requests].count("/ctx.jsonld") == 1  # fetched once, used three times
        assert store_of(settings).ask('ASK { <https://ctx.example/o2> <https://schema.org/name> "Org 2"@fr }')
    finally:
        server.close()


def test_a_context_on_an_untrusted_loopback_port_is_refused_and_never_reached(tmp_path: Path) -> None:
    canary = Canary()
    try:
        (tmp_path / "feed.jsonld").write_text(json.dumps({
            "@context": f"http://127.0.0.1:{canary.port}/context.jsonld", "@id": "https://c.example/o",
            "@type": "Organization", "name": "x"}), encoding="utf-8")
        toml = tmp_path / "sources.toml"
        toml.write_text('[[source]]\nid = "ctx"\nname = "Ctx"\nurl = "file:feed.jsonld"\nformat = "jsonld"\n'
                        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "C"\n'
                        'contact = "mailto:c@c.example"\n', encoding="utf-8")
        [run] = harvest(Settings(toml, tmp_path / "data", BASE), progress=quiet).runs
        assert run.status == "failed"
        assert any(f"127.0.0.1:{canary.port}" in error and "non-public" in error for error in run.errors), run.errors
        assert canary.connections() == 0
    finally:
        canary.close()


def test_payloads_of_the_last_runs_are_kept_and_the_rest_pruned(tmp_path: Path, feed: Feed) -> None:
    """The raw bytes of each source's last `keep_runs` runs (sources.toml, default 5) stay under
    data/private/payloads, content-addressed; older ones go, and so do the half-written files of a
    killed harvest."""
    from hub.core.config import DEFAULT_KEEP_RUNS

    assert DEFAULT_KEEP_RUNS == 5
    keep_runs = 3
    settings = sources_for(tmp_path, feed, keep_runs=keep_runs)
    folder = DataDir(settings.data_dir).payloads
    bodies = [organisations(3, edited=i) for i in range(keep_runs + 2)]
    for index, body in enumerate(bodies):
        feed.body = body
        harvest(settings, progress=quiet)
        if index == 0:
            stale = folder / "00" / "0000.12345.tmp"  # a killed harvest's unfinished write
            stale.parent.mkdir(parents=True, exist_ok=True)
            stale.write_bytes(b"half")
    kept = {path.name for path in folder.glob("*/*")}
    assert kept == {hashlib.sha256(body).hexdigest() for body in bodies[-keep_runs:]}
    for name in kept:
        assert (folder / name[:2] / name).read_bytes() in bodies


def test_old_history_keeps_current_versions_and_every_change_feed_entry(tmp_path: Path, feed: Feed) -> None:
    """Retention: run files older than the last `keep_runs` keep whole only the versions still
    current (the next patch reads them) and the mark of the others, so the change feed is unchanged;
    the quarantines of old runs go."""
    from hub.archive import history
    from hub.core.iris import Minter

    bodies = [organisations(4), organisations(4, edited=1), organisations(4, edited=2), organisations(3, edited=2)]
    pruned_dir, whole_dir = tmp_path / "pruned", tmp_path / "whole"
    for folder, keep in ((whole_dir, 100), (pruned_dir, 2)):
        folder.mkdir()
        settings = sources_for(folder, feed, keep_runs=keep)
        for body in bodies:
            feed.body = body
            harvest(settings, progress=quiet)
    feeds = {}
    for folder in (whole_dir, pruned_dir):
        with TestClient(create_app(sources_for(folder, feed))) as client:
            feeds[folder] = [(c["type"], c["graph"], c["run"].rsplit("/", 1)[-1])
                             for c in client.get("/api/changes", params={"limit": 100}).json()["changes"]]
    # Same entries, same order (the run segment differs: the runs of the two folders are not the same).
    assert [entry[:2] for entry in feeds[pruned_dir]] == [entry[:2] for entry in feeds[whole_dir]]
    assert [entry[0] for entry in feeds[pruned_dir]] == ["as:Create"] * 4 + ["as:Update"] * 3 + ["as:Delete"]

    data = DataDir(pruned_dir / "data")
    files = sorted(history.folder(data, "net").glob("*.nq"))
    assert len(files) == 4
    assert [path.read_text(encoding="utf-8").startswith("# pruned\n") for path in files] == [True, True, False,
                                                                                                False]
    minter = Minter(BASE)
    graph = {i: minter.graph("net", minter.graph_key_for_subject(f"https://bench.example/org/{i}")).value
             for i in range(4)}
    first, second = files[0].stem, files[1].stem
    # Organisation 0 never changed: its version of the first run is current, and still whole.
    [(found, lines)] = list(history.written(data, "net", {first: {graph[0]}}))
    assert found == graph[0] and any('"Initiative 0"@fr' in line for line in lines)
    # Organisation 1 changed in the second run and back in the third: both older versions are marks.
    assert list(history.written(data, "net", {first: {graph[1]}, second: {graph[1]}})) == []
    versions = history.versions(data, "net", graph[1])
    assert [v.triples is None for v in versions] == [True, True, False]
    key = graph[1].rsplit("/", 1)[-1]
    with TestClient(create_app(sources_for(pruned_dir, feed))) as client:
        shown = client.get(f"/api/graphs/net/{key}/history").json()["versions"]
    assert [v["pruned"] for v in shown] == [True, True, False]
    assert shown[2]["triples"] > 0 and shown[2]["added"] is None  # nothing to compare it with
    assert len(list((pruned_dir / "data/private/quarantine/net").glob("*.json"))) == 2
    assert len(list((whole_dir / "data/private/quarantine/net").glob("*.json"))) == 4
    # A second pass leaves pruned files as they are; the whole history was much bigger.
    before = [path.read_bytes() for path in files]
    assert history.prune(data, "net", {}, keep_runs=2).files == 0
    assert [path.read_bytes() for path in files] == before
    assert sum(p.stat().st_size for p in files) < sum(
        p.stat().st_size for p in history.folder(DataDir(whole_dir / "data"), "net").glob("*.nq"))


def test_a_harvest_that_writes_much_publishes_a_compacted_store(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Bulk loads leave overlapping files that make every read of the generation slower: past
    COMPACT_AFTER statements written in bulk, the store is compacted before it is published."""
    import hub.store.embedded

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    write_feed(feeds / "feed.ttl", 12_000)  # three chunks of records, each a bulk load
    toml = tmp_path / "sources.toml"
    toml.write_text('[[source]]\nid = "big"\nname = "Big"\nurl = "file:feeds/feed.ttl"\nformat = "turtle"\n'
                    'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "B"\n'
                    'contact = "mailto:b@b.example"\n', encoding="utf-8")
    files, messages = {}, {}
    for name, threshold in (("kept", 10**12), ("compacted", 1000)):
        monkeypatch.setattr(hub.store.embedded, "COMPACT_AFTER", threshold)
        settings = Settings(toml, tmp_path / name, BASE)
        said: list[str] = []
        harvest(settings, progress=said.append, compact=True)
        messages[name] = [line for line in said if line.startswith("compacting the store after")]
        generation = generations.current(DataDir(settings.data_dir))
        assert generation is not None
        files[name] = len(list(generation.path.glob("*.sst")))
        assert store_of(settings).count_quads() > 12_000 * 18
    assert messages["kept"] == [] and len(messages["compacted"]) == 1
    assert int(messages["compacted"][0].split()[4]) > 12_000 * 18
    assert files["compacted"] < files["kept"]


def test_a_compaction_that_fails_still_publishes_the_harvest(tmp_path: Path, feed: Feed,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import hub.store.embedded

    def disk_full(self: hub.store.embedded.WorkingStore) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(hub.store.embedded, "COMPACT_AFTER", 0)
    monkeypatch.setattr(hub.store.embedded.WorkingStore, "compact", disk_full)
    feed.body = organisations(5)
    settings = sources_for(tmp_path, feed)
    said: list[str] = []
    harvest(settings, progress=said.append)
    assert not any("compact" in line for line in said)  # not asked for
    feed.body = organisations(5, edited=4)
    result = harvest(settings, progress=said.append, compact=True)
    assert counts(result)["updated"] == 1 and result.generation == 2
    assert any("compacting the store failed (No space left on device)" in line for line in said)
    assert store_of(settings).ask('ASK { ?s <https://schema.org/name> "Initiative 4 (v2)"@fr }')
    assert not DataDir(settings.data_dir).dirty_marker.exists()


def test_the_working_store_opens_at_first_use_and_not_after_closing(tmp_path: Path) -> None:
    from hub.store.embedded import WorkingStore

    store = WorkingStore(tmp_path / "working")
    assert list((tmp_path / "working").iterdir()) == []  # nothing opened yet: RocksDB has written nothing
    assert store.count_quads() == 0
    assert list((tmp_path / "working").iterdir()) != []
    store.close()
    with pytest.raises(RuntimeError, match="was closed"):
        store.count_quads()


def test_the_admin_trigger_harvests_what_sources_toml_names(tmp_path: Path, feed: Feed,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A source just added to sources.toml can be triggered before anything was published; an id
    sources.toml does not name cannot; an unreadable sources.toml is said as such."""
    monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    feed.body = organisations(2)
    settings = sources_for(tmp_path, feed)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/sources").status_code == 503  # nothing published yet
        unknown = client.post("/api/sources/other/harvest", headers=admin)
        assert unknown.status_code == 404 and "sources.toml" in unknown.json()["detail"]
        started = client.post("/api/sources/net/harvest", headers=admin)
        assert started.status_code == 202 and started.json()["pid"] > 0
        deadline = time.monotonic() + 60
        while generations.current(DataDir(settings.data_dir)) is None:
            assert time.monotonic() < deadline, "the triggered harvest did not publish"
            time.sleep(0.2)
        while client.get("/healthz").json()["harvest_running"]:
            assert time.monotonic() < deadline, "the triggered harvest did not end"
            time.sleep(0.2)
        assert [s["id"] for s in client.get("/api/sources").json()["sources"]] == ["net"]
        settings.sources_path.write_text("[[source]]\nid = 'net'\n", encoding="utf-8")
        broken = client.post("/api/sources/net/harvest", headers=admin)
        assert broken.status_code == 503 and "missing required key" in broken.json()["detail"]


def published_names(settings: Settings) -> int:
    return len(store_of(settings).select("SELECT DISTINCT ?s WHERE { ?s <https://schema.org/name> ?n }"))


def test_an_empty_body_is_held_and_the_same_bytes_fail_again(tmp_path: Path, feed: Feed) -> None:
    """An empty 200 once tombstoned every record of its source and said "succeeded"; fetched again, the
    same broken bytes said "succeeded (unchanged)". Now the run is held, and so is the next one."""
    feed.body = organisations(20)
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    feed.body = b""
    held = harvest(settings, progress=quiet)
    [run] = held.runs
    assert held.failed and run.status == "failed" and counts(held)["removed"] == 0
    # The valve's line first, then why the document gave no record (issue 19: no silent outcomes).
    assert run.errors == [
        "held: this run would remove all 20 published records of this source (its documents gave no record at "
        "all), which needs a confirmation; nothing of the source was changed. If the feed really dropped them, "
        "confirm with `mutualisons confirm-removal net` or POST /api/sources/net/confirm-removal (admin) and "
        "the next harvest removes them; otherwise they stay until the feed gives them back",
        f"{feed.server.url('/feed.ttl')}: no record: the document holds no statement. Check that it is the right "
        "document (and, for a mapped format, that its mapping reads its rows) [document.empty]"]
    assert published_names(settings) == 20 and held.generation == 2
    again = harvest(settings, progress=quiet)  # a conditional GET: 304, the very bytes that were held
    assert again.runs[0].status == "failed" and again.runs[0].errors == run.errors
    assert feed.server.requests[-1].headers.get("if-none-match")
    feed.body = organisations(20)  # the feed comes back: nothing to write, nothing held
    back = harvest(settings, progress=quiet)
    assert back.runs[0].status == "succeeded" and counts(back)["unchanged"] == 20 and not back.runs[0].errors
    assert published_names(settings) == 20


def test_a_feed_losing_60_percent_is_held_until_an_admin_confirms(tmp_path: Path, feed: Feed) -> None:
    from hub.archive import state as harvest_state

    feed.body = organisations(5)
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    data = DataDir(settings.data_dir)
    with pytest.raises(harvest_state.NothingHeld, match="nothing to confirm for source 'net'"):
        harvest_state.confirm_removal(data, "net", "test")
    feed.body = organisations(2)
    held = harvest(settings, progress=quiet)
    assert held.runs[0].errors[0].startswith(
        "held: this run would remove 3 of the 5 published records of this source (60%), more than its "
        "max_removal (50%); nothing of the source was changed.")
    assert published_names(settings) == 5
    confirmation = harvest_state.confirm_removal(data, "net", "test")
    assert confirmation.held == 3 and confirmation.run == held.runs[0].run
    removed = harvest(settings, progress=quiet)  # the same bytes, let through once
    assert removed.runs[0].status == "succeeded" and counts(removed)["removed"] == 3
    assert published_names(settings) == 2
    assert harvest_state.load(data, "net").removal_confirmed is None  # used up
    assert harvest_state.load(data, "net").failure is None


def test_max_removal_lets_a_smaller_share_through(tmp_path: Path, feed: Feed) -> None:
    """Raised after a run was held, it applies to the same bytes at once: a failure is replayed only
    while the source's entry in sources.toml (and its mapping, the charter, the hub) stay the same."""
    feed.body = organisations(5)
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    feed.body = organisations(2)
    assert harvest(settings, progress=quiet).runs[0].errors[0].startswith("held: ")
    settings.sources_path.write_text(settings.sources_path.read_text() + 'max_removal = "80%"\n')
    result = harvest(settings, progress=quiet)
    assert result.runs[0].status == "succeeded" and counts(result)["removed"] == 3


def test_the_admin_confirms_a_held_removal_over_the_api(tmp_path: Path, feed: Feed,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    feed.body = organisations(4)
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    feed.body = organisations(1)
    held = harvest(settings, progress=quiet)
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/sources/net/confirm-removal").status_code == 403
        assert client.post("/api/sources/other/confirm-removal", headers=admin).status_code == 404
        confirmed = client.post("/api/sources/net/confirm-removal", headers=admin)
        assert confirmed.status_code == 202, confirmed.text
        assert confirmed.json()["records"] == 3 and confirmed.json()["held_run"] == held.runs[0].run
        deadline = time.monotonic() + 60
        while generations.current(DataDir(settings.data_dir)).number < held.generation + 1:  # type: ignore[union-attr,operator]
            assert time.monotonic() < deadline, "the confirmed harvest did not publish"
            time.sleep(0.2)
        while client.get("/healthz").json()["harvest_running"]:
            assert time.monotonic() < deadline, "the confirmed harvest did not end"
            time.sleep(0.2)
        assert published_names(settings) == 1
        again = client.post("/api/sources/net/confirm-removal", headers=admin)
        assert again.status_code == 409 and "nothing to confirm" in again.json()["detail"]


KILLED_CHILD = r"""
import os, signal, sys
from pathlib import Path
import hub.store.generations, hub.archive.unpublished
from hub.core.config import Settings
from hub.pipeline.harvest import harvest

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[3] == "publishing":
    class KilledAtTheSwitch:  # dies as the pointer file is switched in: the checkpoint and CURRENT.<pid>.tmp stay
        def __getattr__(self, name):
            return getattr(os, name)
        def replace(self, source, target):
            if Path(source).name.startswith("CURRENT."):
                die()
            os.replace(source, target)
    hub.store.generations.os = KilledAtTheSwitch()
else:  # published, killed before the journal of unpublished files went
    hub.archive.unpublished.Journal.published = die
harvest(Settings(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[4]), progress=lambda line: None)
"""


@pytest.mark.parametrize("killed", ["publishing", "after publishing"])
def test_what_a_killed_harvest_left_is_cleaned_at_the_next_start(tmp_path: Path, feed: Feed, killed: str) -> None:
    """Killed while publishing: the pointer file never switched in, the checkpoint nobody opened and the
    version files of the runs never published go at the next harvest. Killed just after publishing: the
    version files belong to the published generation and stay."""
    feed.body = organisations(3)
    settings = sources_for(tmp_path, feed)
    harvest(settings, progress=quiet)
    data = DataDir(settings.data_dir)
    versions = data.private / "versions" / "net"
    [first] = list(versions.glob("*.nq"))
    feed.body = organisations(3, edited=1)
    child = subprocess.run([sys.executable, "-c", KILLED_CHILD, str(settings.sources_path), str(settings.data_dir),
                            killed, BASE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    [second] = [path for path in versions.glob("*.nq") if path != first]
    assert (data.private / "unpublished.json").exists()
    if killed == "publishing":
        assert list(data.generations.glob("CURRENT.*.tmp")) and (data.generations / "2").is_dir()
        assert generations.current(data).number == 1  # type: ignore[union-attr]
    said: list[str] = []
    feed.body = organisations(3, edited=2)
    result = harvest(settings, progress=said.append)
    assert not list(data.generations.glob("CURRENT.*.tmp")) and not (data.private / "unpublished.json").exists()
    assert first.exists()
    if killed == "publishing":
        assert not second.exists()  # its run was never published, nor its quarantine
        assert not (data.quarantine / "net" / f"{second.stem}.json").exists()
        # The pointer file, the checkpoint, the version file, the quarantine and the warnings (issue 22) of the
        # unpublished run.
        assert "removed 5 file(s) an interrupted harvest or publication left behind" in said
        assert result.generation == 2 and counts(result)["updated"] == 1
    else:
        assert second.exists()  # published: its versions are history now
        assert (data.quarantine / "net" / f"{second.stem}.json").exists()
        assert result.generation == 3 and counts(result)["updated"] == 2
    assert store_of(settings).ask('ASK { <https://bench.example/org/2> <https://schema.org/name> '
                                  '"Initiative 2 (v2)"@fr }')
