"""Consent ends publication everywhere (DESIGN.md, "What must always hold"): when a feed withdraws a person's
consent, the harvest that publishes it leaves nothing of them in any public answer — SPARQL, the collections,
the entity pages, the change feed, the dump, the runs, the public quarantine — nor in any version of the
private history, on disk as through `/api/graphs/{source}/{key}/history`. Real harvests of feeds the tests
write, read back through the real API."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.archive.datadir import DataDir
from hub.core.config import Settings
from hub.core.iris import short_hash
from hub.gateway.app import create_app
from hub.pipeline import redaction
from hub.pipeline.harvest import HarvestSummary, Pipeline, harvest
from tests.conftest import BASE, quiet

ADMIN = "consent-admin-token"
ORG = "https://net.example/id/atelier"
NORA = "https://net.example/people/nora-jacobs"
# What the founder (a blank node in the organisation's record) and Nora (a person record) showed with consent.
FOUNDER = ("Jean Dupont", "jean.dupont@mail.example", "+32 2 555 01 01", "Rue Privée 1")
NORA_VALUES = ("Nora Jacobs", "nora.jacobs@mail.example", "+32 2 555 02 02", NORA)
EMPLOYEE = ("Ana Lopes", "ana.lopes@mail.example")
WITHDRAWN = FOUNDER + NORA_VALUES

PREFIXES = """@prefix schema: <https://schema.org/> .
@prefix hub: <https://w3id.org/mutualisons/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
CONSENT = 'hub:consent [ hub:consentScope hub:scope-public-listing ; dcterms:date "2025-01-01"^^xsd:date ]'


def feed(founder_consents: bool = True, employee: bool = True, nora_consents: bool = True,
         description: str = "Réparation de vélos") -> str:
    founder = f" ; {CONSENT}" if founder_consents else ""
    nora = f" ;\n    {CONSENT}" if nora_consents else ""
    employee_node = (' ;\n    schema:employee [ a schema:Person ; schema:name "Ana Lopes" ; '
                     f'schema:email "ana.lopes@mail.example" ; {CONSENT} ]') if employee else ""
    return PREFIXES + f"""
<{ORG}> a schema:Organization ;
    schema:name "Atelier vélo"@fr ;
    schema:description "{description}"@fr ;
    schema:address [ a schema:PostalAddress ; schema:streetAddress "Rue Haute 10" ; schema:postalCode "1000" ;
                     schema:addressLocality "Bruxelles" ] ;
    schema:geo [ a schema:GeoCoordinates ; schema:latitude 50.8405 ; schema:longitude 4.3490 ] ;
    schema:member <{NORA}> ;
    schema:founder [ a schema:Person ; schema:name "Jean Dupont" ; schema:email "jean.dupont@mail.example" ;
        schema:telephone "+32 2 555 01 01" ;
        schema:address [ a schema:PostalAddress ; schema:streetAddress "Rue Privée 1" ;
                         schema:postalCode "1000" ]{founder}
    ]{employee_node} .

<{NORA}> a schema:Person ;
    schema:name "Nora Jacobs" ;
    schema:email "nora.jacobs@mail.example" ;
    schema:telephone "+32 2 555 02 02" ;
    hub:contactRole hub:role-volunteer{nora} .
"""


def network(folder: Path, body: str) -> Settings:
    (folder / "feeds").mkdir(parents=True, exist_ok=True)
    (folder / "feeds" / "net.ttl").write_text(body, encoding="utf-8")
    toml = folder / "sources.toml"
    toml.write_text('[[source]]\nid = "net"\nname = "Net"\nurl = "file:feeds/net.ttl"\nformat = "turtle"\n'
                    'language = "fr"\nlicense = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Net"\n'
                    'contact = "mailto:net@net.example"\n', encoding="utf-8")
    return Settings(toml, folder / "data", BASE)


def history_path(subject: str) -> str:
    return f"/api/graphs/net/{short_hash(subject)}/history"


def history_files(settings: Settings) -> str:
    return "".join(path.read_text(encoding="utf-8")
                   for path in sorted((settings.data_dir / "private/versions/net").glob("*.nq")))


def leaked(text: str, values: tuple[str, ...] = WITHDRAWN) -> list[str]:
    return [value for value in values if value in text]


@dataclass
class Withdrawal:
    settings: Settings
    before: dict[str, Any]  # what the API and the disk showed while everyone consented
    summary: HarvestSummary  # the harvest that withdrew the founder's and Nora's consent


@pytest.fixture(scope="module")
def withdrawn(tmp_path_factory: pytest.TempPathFactory) -> Withdrawal:
    folder = tmp_path_factory.mktemp("consent")
    settings = network(folder, feed())
    first = harvest(settings, progress=quiet)
    with TestClient(create_app(settings)) as client:
        before = {"org": client.get(history_path(ORG)).json(), "nora": client.get(history_path(NORA)).json(),
                  "dump": gzip.decompress(client.get("/dump.nq.gz").content).decode("utf-8"),
                  "files": history_files(settings),
                  "dumps": sorted(p.name for p in (settings.data_dir / "dumps").glob("*"))}
    before["generation"] = first.generation
    (folder / "feeds" / "net.ttl").write_text(feed(founder_consents=False, nora_consents=False), encoding="utf-8")
    return Withdrawal(settings, before, harvest(settings, progress=quiet))


@pytest.fixture(scope="module")
def client(withdrawn: Withdrawal) -> Iterator[TestClient]:
    with TestClient(create_app(withdrawn.settings)) as test_client:
        yield test_client


def test_while_they_consent_the_history_and_the_dump_show_them(withdrawn: Withdrawal) -> None:
    before = withdrawn.before
    assert leaked(json.dumps(before["org"], ensure_ascii=False), FOUNDER) == list(FOUNDER)
    assert leaked(json.dumps(before["nora"], ensure_ascii=False), NORA_VALUES) == list(NORA_VALUES)
    assert leaked(before["dump"]) == list(WITHDRAWN) and leaked(before["files"]) == list(WITHDRAWN)
    assert before["dumps"] == [f"{before['generation']}.nq.gz"]


def test_the_harvest_withdraws_them_and_keeps_the_organisation(withdrawn: Withdrawal) -> None:
    [run] = withdrawn.summary.runs
    assert run.counts["updated"] == 1 and run.counts["removed"] == 1 and run.counts["rejected"] == 1
    assert any("removed a nested person" in w and "schema:founder" in w for w in run.warnings)
    # The organisation named Nora's record: that statement went with her consent.
    assert any(w.startswith(ORG) and "removed a reference to a person record" in w and "schema:member" in w
               for w in run.warnings)
    assert not leaked(" ".join(run.warnings))


def test_not_in_sparql_nor_in_any_graph_of_the_store(client: TestClient) -> None:
    answer = client.get("/sparql", params={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"},
                        headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200
    assert not leaked(answer.text)
    assert "Ana Lopes" in answer.text and "Atelier vélo" in answer.text  # the rest of the record stays
    # Nora's tombstone says a graph went, not whose it was.
    tombstone = client.get("/sparql", params={"query": f"""PREFIX hub: <https://w3id.org/mutualisons/ns#>
        SELECT ?subject WHERE {{ GRAPH ?m {{ <{BASE}graph/net/{short_hash(NORA)}> a hub:Tombstone .
        OPTIONAL {{ <{BASE}graph/net/{short_hash(NORA)}> hub:recordSubject ?subject }} }} }}"""},
                           headers={"Accept": "application/sparql-results+json"}).json()
    assert tombstone["results"]["bindings"] == [{}]


def test_not_in_the_collections_nor_the_entity_pages(client: TestClient) -> None:
    for collection in ("organizations", "people", "events", "resources", "knowledge", "publications", "funding"):
        for wanted in ("jsonld", "geojson", "csv", "ttl"):
            answer = client.get(f"/api/{collection}", params={"format": wanted})
            assert answer.status_code == 200, (collection, wanted)
            assert not leaked(answer.text), (collection, wanted)
    organisations = client.get("/api/organizations", params={"format": "ttl"}).text
    assert "Atelier vélo" in organisations and "Ana Lopes" in organisations
    assert client.get("/id", params={"iri": NORA, "format": "jsonld"}).status_code == 404
    for path in (f"/id?iri={ORG}&format=jsonld", f"/api/provenance?subject={ORG}",
                 f"/graph/net/{short_hash(NORA)}?format=jsonld", f"/graph/net/{short_hash(ORG)}?format=trig"):
        answer = client.get(path)
        assert answer.status_code == 200 and not leaked(answer.text), path


def test_not_in_the_change_feed(client: TestClient) -> None:
    feed_text = client.get("/api/changes").text
    assert not leaked(feed_text)
    entries = json.loads(feed_text)["changes"]
    nora_graph = f"{BASE}graph/net/{short_hash(NORA)}"
    assert [e["type"] for e in entries if e["graph"] == nora_graph] == ["as:Create", "as:Delete"]
    assert set(entries[0]) == {"sequence", "type", "graph", "version", "run", "source"}  # no values at all


def test_not_in_the_dump_and_no_older_dump_survives(withdrawn: Withdrawal, client: TestClient) -> None:
    dumps = withdrawn.settings.data_dir / "dumps"
    # The harvest that withdrew them removed the dump of the generation that still held them.
    assert not list(dumps.glob("*"))
    text = gzip.decompress(client.get("/dump.nq.gz").content).decode("utf-8")
    assert not leaked(text) and "Atelier vélo" in text and "Ana Lopes" in text
    assert [p.name for p in dumps.glob("*")] == [f"{withdrawn.summary.generation}.nq.gz"]


def test_not_in_any_version_of_the_history_public_or_on_disk(withdrawn: Withdrawal, client: TestClient) -> None:
    on_disk = history_files(withdrawn.settings)
    assert not leaked(on_disk)
    assert "Ana Lopes" in on_disk and "Atelier vélo" in on_disk  # who still consents, and the organisation
    assert not list((withdrawn.settings.data_dir / "private/versions/net").glob("*.tmp"))
    assert not list((withdrawn.settings.data_dir / "private/redactions").glob("*"))  # the note was carried out
    org = client.get(history_path(ORG))
    assert org.status_code == 200 and not leaked(org.text)
    first, second = org.json()["versions"]
    assert first["redacted"] is True and second["redacted"] is False
    assert any("Atelier vélo" in t for t in first["added"]) and any("Ana Lopes" in t for t in first["added"])
    # What changed next no longer speaks of the founder either (blank-node labels differ between versions,
    # so the lines about blank nodes show as changed; the organisation's own statements do not).
    assert not leaked(second["diff"]) and not any("Atelier vélo" in t for t in second["added"])
    # Nora's graph: nothing of her is left, and the history does not even say she was listed.
    nora = client.get(history_path(NORA))
    assert nora.status_code == 404 and not leaked(nora.text)


def test_not_in_the_runs(withdrawn: Withdrawal, client: TestClient) -> None:
    runs = client.get("/api/sources/net/runs")
    assert runs.status_code == 200 and not leaked(runs.text)
    for run in runs.json()["runs"]:
        detail = client.get(run["path"])
        assert detail.status_code == 200 and not leaked(detail.text), run["path"]
    latest = client.get(runs.json()["runs"][0]["path"]).json()
    [gone] = [g for g in latest["graphs"] if g["change"] == "removed"]
    assert gone == {"graph": f"{BASE}graph/net/{short_hash(NORA)}", "subject": None, "change": "removed",
                    "reason": "rejected by the charter"}


def test_the_public_quarantine_never_names_the_person(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    view = client.get("/api/sources/net/quarantine")
    assert view.status_code == 200 and not leaked(view.text)
    [record] = view.json()["records"]
    assert record["subject"] == "a person record" and record["graph"] is None
    assert any("consent" in result["message"]["en"] for result in record["results"])
    # The administrator still sees the record whole, as before.
    monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)
    full = client.get("/api/sources/net/quarantine?full=true", headers={"Authorization": f"Bearer {ADMIN}"})
    assert full.status_code == 200 and "Nora Jacobs" in full.text


def test_an_old_unredacted_history_file_is_still_filtered_as_it_is_read(withdrawn: Withdrawal,
                                                                         client: TestClient) -> None:
    """A file this hub wrote before it redacted anything (or a redaction that has not run yet) still
    holds the persons: the history endpoint serves none of them."""
    folder = withdrawn.settings.data_dir / "private/versions/net"
    first = sorted(folder.glob("*.nq"))[0]
    redacted = first.read_text(encoding="utf-8")
    whole = [block for block in withdrawn.before["files"].split("# version ") if "Jean Dupont" in block]
    assert whole
    try:
        first.write_text(withdrawn.before["files"], encoding="utf-8")  # the first run's file, as it was written
        assert "Jean Dupont" in first.read_text(encoding="utf-8")
        org = client.get(history_path(ORG))
        assert org.status_code == 200 and not leaked(org.text) and "Ana Lopes" in org.text
        assert org.json()["versions"][0]["redacted"] is True
        nora = client.get(history_path(NORA))
        assert nora.status_code == 404 and not leaked(nora.text)
    finally:
        first.write_text(redacted, encoding="utf-8")


def test_a_nested_person_dropped_from_the_feed_leaves_the_history(tmp_path: Path) -> None:
    """The feed no longer lists the employee at all (no consent to judge): the earlier versions lose them,
    the founder who still consents stays in every version."""
    settings = network(tmp_path, feed())
    harvest(settings, progress=quiet)
    assert "Ana Lopes" in history_files(settings)
    (tmp_path / "feeds" / "net.ttl").write_text(feed(employee=False), encoding="utf-8")
    [run] = harvest(settings, progress=quiet).runs
    assert run.counts["updated"] == 1
    on_disk = history_files(settings)
    assert not leaked(on_disk, EMPLOYEE) and "Jean Dupont" in on_disk
    assert on_disk.count("Jean Dupont") == 2  # both versions keep the founder
    with TestClient(create_app(settings)) as client:
        answer = client.get(history_path(ORG))
        assert answer.status_code == 200 and not leaked(answer.text, EMPLOYEE) and "Jean Dupont" in answer.text


class Killed(Exception):
    """Stands for a harvest killed right after it published."""


def test_a_harvest_killed_after_publishing_leaves_the_redaction_to_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = network(tmp_path, feed())
    harvest(settings, progress=quiet)
    (tmp_path / "feeds" / "net.ttl").write_text(feed(founder_consents=False), encoding="utf-8")

    def killed(self: Pipeline) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(Pipeline, "redact_history", killed)
        with pytest.raises(Killed):
            harvest(settings, progress=quiet)
    notes = settings.data_dir / "private/redactions"
    assert len(list(notes.glob("*.json"))) == 1 and "Jean Dupont" in history_files(settings)
    # A note of a run that was never published (killed before it published) is dropped, doing nothing.
    # Carried out, it would take every person out of the organisation's versions.
    redaction.plan(DataDir(settings.data_dir), "net", "29991231T000000000000Z",
                   f"{BASE}run/net/29991231T000000000000Z", changed=[],
                   removed=[f"{BASE}graph/net/{short_hash(ORG)}"])
    summary = harvest(settings, progress=quiet)  # the same bytes: nothing to commit, the note is carried out
    assert summary.runs[0].counts["updated"] == 0
    assert not list(notes.glob("*")) and not leaked(history_files(settings), FOUNDER)
    assert "Ana Lopes" in history_files(settings)


# ---------------------------------------------------------------- the parts, on their own

GRAPH = f"{BASE}graph/net/org"
META = f"<{BASE}graph/meta>"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
S = "https://schema.org/"
H = "https://w3id.org/mutualisons/ns#"


def person(label: str, name: str, consented: bool = True) -> list[str]:
    lines = [f"<{ORG}> <{S}founder> _:{label} .", f"_:{label} {TYPE} <{S}Person> .",
             f'_:{label} <{S}name> "{name}" .', f"_:{label} <{S}address> _:{label}a .",
             f'_:{label}a <{S}streetAddress> "Rue de {name}" .']
    if consented:
        lines += [f"_:{label} <{H}consent> _:{label}c .", f"_:{label}c <{H}consentScope> <{H}scope-public-listing> .",
                  f'_:{label}c <http://purl.org/dc/terms/date> "2025-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .']
    return lines


def test_a_blank_person_is_known_across_versions_by_what_names_them() -> None:
    from hub.core.vocabulary import default_vocabulary

    hierarchy = default_vocabulary().hierarchy
    organisation = [f'<{ORG}> <{S}name> "Atelier vélo"@fr .', f"<{ORG}> {TYPE} <{S}Organization> ."]
    current = organisation + person("n1", "Jean Dupont")  # Jean still consents; Ana is no longer listed
    earlier = organisation + person("x7", "Jean Dupont") + person("x8", "Ana Lopes")
    kept = redaction.kept_persons(current, hierarchy)
    assert kept.iris == frozenset() and (f"{S}name", "Jean Dupont") in kept.names
    shown = redaction.without_withdrawn(earlier, kept, hierarchy)
    assert shown is not None and sorted(shown) == sorted(organisation + person("x7", "Jean Dupont"))
    # Nothing to take: None, so the file is left as it is; and a person without consent now goes.
    assert redaction.without_withdrawn(current, kept, hierarchy) is None
    withdrawn_now = redaction.kept_persons(organisation + person("n1", "Jean Dupont", consented=False), hierarchy)
    assert redaction.without_withdrawn(earlier, withdrawn_now, hierarchy) == organisation
    # A withdrawn person record is taken out wherever another record names it.
    named = organisation + [f"<{ORG}> <{S}member> <{NORA}> ."]
    assert redaction.without_withdrawn(named, redaction.NOBODY, hierarchy, frozenset({NORA})) == organisation


def test_rewrite_changes_only_the_versions_asked_and_keeps_every_mark(tmp_path: Path) -> None:
    from hub.archive import history

    def version(graph: str, value: str) -> tuple[str, list[str], list[str]]:
        return graph, [f'<https://e.example/s> <https://e.example/p> "{value}" .'], [f'<{graph}> <{H}h> "d" {META} .']

    other, gone = f"{BASE}graph/net/other", f"{BASE}graph/net/gone"
    for size in (5, 64, 1 << 20):  # marks cut by the read chunks, or not
        data = DataDir(tmp_path / str(size))
        history.write(data, "net", "20260101T000000000000Z", [version(GRAPH, "secret"), (gone, [], []),
                                                               version(other, "kept")])
        history.write(data, "net", "20260102T000000000000Z", [version(other, "kept too")])
        history.write(data, "net", "20260103T000000000000Z", [version(GRAPH, "secret, current")])
        folder = history.folder(data, "net")
        untouched = (folder / "20260102T000000000000Z.nq").read_bytes()
        current = (folder / "20260103T000000000000Z.nq").read_bytes()

        def without_secrets(graph: str, lines: list[str]) -> list[str] | None:
            assert graph == GRAPH
            kept = [line for line in lines if "secret" not in line]
            return kept if kept != lines else None

        assert history.rewrite(data, "net", "20260103T000000000000Z", {GRAPH}, without_secrets, read_size=size) == 1
        text = (folder / "20260101T000000000000Z.nq").read_text(encoding="utf-8")
        assert "secret" not in text and f"# redacted <{GRAPH}>" in text and f"# removed <{gone}>" in text
        assert '"kept"' in text and f'<{GRAPH}> <{H}h> "d" {META} .' in text  # its description stays
        assert (folder / "20260102T000000000000Z.nq").read_bytes() == untouched  # nothing to change: not rewritten
        assert (folder / "20260103T000000000000Z.nq").read_bytes() == current  # the current version is not touched
        assert not list(folder.glob("*.tmp"))
        first, last = history.versions(data, "net", GRAPH)
        assert first.redacted and first.triples == [] and not last.redacted and last.triples
        assert [v.triples for v in history.versions(data, "net", gone)] == [[]]  # the removal stays a removal


def test_a_source_removed_from_sources_toml_takes_its_persons_out_of_the_history(tmp_path: Path) -> None:
    settings = network(tmp_path, feed())
    harvest(settings, progress=quiet)
    assert leaked(history_files(settings)) == list(WITHDRAWN)
    # Another source takes its place in sources.toml: the net's records are all tombstoned.
    (tmp_path / "feeds" / "other.ttl").write_text(PREFIXES + """<https://other.example/id/o> a schema:Organization ;
        schema:name "Autre"@fr ; schema:address [ a schema:PostalAddress ; schema:postalCode "1000" ] ;
        schema:geo [ a schema:GeoCoordinates ; schema:latitude 50.85 ; schema:longitude 4.35 ] .
        """, encoding="utf-8")
    settings.sources_path.write_text(settings.sources_path.read_text(encoding="utf-8").replace(
        'id = "net"', 'id = "other"').replace("net.ttl", "other.ttl"), encoding="utf-8")
    summary = harvest(settings, progress=quiet)
    assert [run.counts.get("removed") for run in summary.runs if run.source_id == "net"] == [2]
    assert not leaked(history_files(settings), WITHDRAWN + EMPLOYEE)
    assert "Atelier vélo" in history_files(settings)  # the organisation's own statements stay in its history
    with TestClient(create_app(settings)) as client:
        assert client.get(history_path(NORA)).status_code == 404
        answer = client.get(history_path(ORG))
        assert answer.status_code == 200 and not leaked(answer.text) and "Atelier vélo" in answer.text
        everything = client.get("/sparql", params={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"},
                                headers={"Accept": "application/sparql-results+json"}).text
        assert not leaked(everything) and f"{BASE}graph/net/{short_hash(ORG)}" in everything  # its tombstone


def test_a_change_that_keeps_every_person_costs_no_redaction(tmp_path: Path) -> None:
    settings = network(tmp_path, feed())
    harvest(settings, progress=quiet)
    first = sorted((settings.data_dir / "private/versions/net").glob("*.nq"))[0]
    before = first.read_bytes()
    (tmp_path / "feeds" / "net.ttl").write_text(feed(description="Réparation et prêt de vélos"), encoding="utf-8")
    lines: list[str] = []
    [run] = harvest(settings, progress=lines.append).runs
    assert run.counts["updated"] == 1
    assert not any("history: persons" in line for line in lines)  # nothing noted, no file read for it
    assert first.read_bytes() == before
    # The same organisation losing its founder's consent: noted, and carried out.
    (tmp_path / "feeds" / "net.ttl").write_text(feed(founder_consents=False, description="Réparation et prêt de vélos"),
                                                encoding="utf-8")
    lines.clear()
    harvest(settings, progress=lines.append)
    assert any("[net] history: persons without consent taken out of the earlier versions of 1 graph(s), "
               "2 file(s) rewritten" in line for line in lines)
    assert not leaked(history_files(settings), FOUNDER)


def test_a_run_that_fails_after_noting_a_redaction_redacts_nothing(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The run is rolled back (its writes undone, its files removed): the founder is still published, so
    their earlier versions must stay whole, and the run's note goes with its other files."""
    from hub.archive import quarantine

    settings = network(tmp_path, feed())
    harvest(settings, progress=quiet)
    (tmp_path / "feeds" / "net.ttl").write_text(feed(founder_consents=False, nora_consents=False), encoding="utf-8")

    def disk_full(*_: object, **__: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(quarantine, "write", disk_full)  # the last write of the run, after its note
    [run] = harvest(settings, progress=quiet).runs
    assert run.status == "failed"
    assert not list((settings.data_dir / "private/redactions").glob("*"))
    assert leaked(history_files(settings)) == list(WITHDRAWN)
    with TestClient(create_app(settings)) as client:  # both still consent, as published
        assert "Jean Dupont" in client.get(history_path(ORG)).text
        assert "Nora Jacobs" in client.get(history_path(NORA)).text
