"""Networks run their own data (issue 22): publisher tokens, pushed documents, a source's private views, reports.

Against the real application and store (TestClient) and a real harvest in a child process (the trigger)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.archive import tokens
from hub.archive.datadir import DataDir
from hub.cli import main
from hub.core.config import Settings
from hub.core.lock import running_pid
from hub.gateway.app import create_app
from hub.gateway.validate import RateLimiter
from hub.pipeline.harvest import harvest
from hub.store import generations
from tests.conftest import BASE, EXAMPLES, quiet

ADMIN = "publishers-admin-token"
# One good row, one whose coordinates lie in Paris: rejected by the charter, its values for its network only.
CSV = ("id;nom;code_postal;commune;latitude;longitude;site\n"
       "p-1;Épicerie du Coin;1050;Ixelles;50.8275;4.3721;https://epicerie.example/\n"
       "p-2;Loin d'ici;75004;Paris;48.8566;2.3522;https://loin.example/\n").encode()
MAPPING = """type = "schema:Organization"
key = "id"
[constants]
"schema:address/schema:addressCountry" = "BE"
[fields.nom]
property = "schema:name"
lang = "fr"
[fields.code_postal]
property = "schema:address/schema:postalCode"
[fields.commune]
property = "schema:address/schema:addressLocality"
[fields.latitude]
property = "schema:geo/schema:latitude"
transforms = ["number"]
[fields.longitude]
property = "schema:geo/schema:longitude"
transforms = ["number"]
[fields.site]
property = "schema:url"
transforms = ["iri"]
"""


def _settings(folder: Path) -> Settings:
    (folder / "map.toml").write_text(MAPPING, encoding="utf-8")
    other_feed = (EXAMPLES / "feeds" / "assiette-commune.ttl").read_bytes()
    (folder / "other.ttl").write_bytes(other_feed)
    (folder / "sources.toml").write_text(
        '[[source]]\nid = "pushed"\nname = "Pushed"\npush = true\nformat = "csv"\nmapping = "map.toml"\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Pushed asbl"\n'
        'contact = "mailto:pushed@pushed.example"\nmax_bytes = 4096\n\n'
        '[[source]]\nid = "other"\nname = "Other"\nurl = "file:other.ttl"\nformat = "turtle"\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Other asbl"\n'
        'contact = "mailto:other@other.example"\n', encoding="utf-8")
    return Settings(folder / "sources.toml", folder / "data", BASE)


def _token(settings: Settings, source: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["--sources", str(settings.sources_path), "--data", str(settings.data_dir), "--base-iri", BASE,
                 "token", "create", source, "--label", f"{source} network"]) == 0
    return capsys.readouterr().out.strip()


def _wait_for_generation(settings: Settings, beyond: int) -> None:
    data = DataDir(settings.data_dir)
    deadline = time.monotonic() + 90
    while True:
        current = generations.current(data)
        if current is not None and current.number > beyond and running_pid(data.lock_file) is None:
            return
        assert time.monotonic() < deadline, "the triggered harvest did not publish"
        time.sleep(0.2)


@pytest.fixture()
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[Settings, TestClient, dict[str, str]]]:
    monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)
    settings = _settings(tmp_path)
    harvest(settings, progress=quiet)  # "other" published; "pushed" has nothing yet
    secrets = {source: _token(settings, source, capsys) for source in ("pushed", "other")}
    with TestClient(create_app(settings)) as client:
        yield settings, client, secrets


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_tokens_are_printed_once_and_kept_as_hashes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = _settings(tmp_path)
    secret = _token(settings, "pushed", capsys)
    stored = (settings.data_dir / "private" / "tokens.json").read_text(encoding="utf-8")
    assert secret.startswith(tokens.PREFIX) and secret not in stored
    [token] = tokens.tokens(DataDir(settings.data_dir))
    assert tokens.find(DataDir(settings.data_dir), secret) == token and token.label == "pushed network"
    args = ["--sources", str(settings.sources_path), "--data", str(settings.data_dir), "--base-iri", BASE, "token"]
    assert main([*args, "list"]) == 0
    listed = capsys.readouterr().out
    assert token.id in listed and "pushed" in listed and secret not in listed
    assert main([*args, "create", "nope"]) == 2
    assert "unknown source id 'nope'" in capsys.readouterr().err
    assert main([*args, "revoke", token.id]) == 0
    assert tokens.find(DataDir(settings.data_dir), secret) is None
    assert main([*args, "revoke", token.id]) == 2


def test_a_network_pushes_a_csv_and_reads_its_rejected_row(hub: tuple[Settings, TestClient, dict[str, str]]) -> None:
    settings, client, secrets = hub
    before = generations.current(DataDir(settings.data_dir))
    assert before is not None
    pushed = client.put("/api/sources/pushed/documents/feed.csv", content=CSV,
                        headers={**bearer(secrets["pushed"]), "Content-Type": "text/csv"})
    assert pushed.status_code == 202, pushed.text
    answer = pushed.json()
    assert answer["harvest"] == "started" and answer["document"] == f"{BASE}api/sources/pushed/documents/feed.csv"
    _wait_for_generation(settings, before.number)

    runs = client.get("/api/sources/pushed/runs").json()["runs"]
    assert runs[0]["status"] == "partial" and runs[0]["counts"]["accepted"] == 1
    assert runs[0]["counts"]["rejected"] == 1
    detail = client.get(runs[0]["path"]).json()
    # Same provenance as a fetched document: the payload of the pushed bytes, under the document's own URL.
    assert detail["payloads"][0]["document"] == answer["document"]
    assert detail["payloads"][0]["payload"].endswith(answer["sha256"])
    organisations = client.get("/api/organizations", params={"q": "Épicerie"}).text
    assert "Épicerie du Coin" in organisations

    full = client.get("/api/sources/pushed/quarantine?full=true", headers=bearer(secrets["pushed"]))
    assert full.status_code == 200
    [rejected] = full.json()["records"]
    assert "48.8566" in rejected["nquads"] and "Loin d'ici" in rejected["nquads"]
    payload = client.get(runs[0]["path"] + "/payload", headers=bearer(secrets["pushed"]))
    assert payload.status_code == 200 and payload.content == CSV
    raw = client.get("/api/sources/pushed/documents/feed.csv?raw=true", headers=bearer(secrets["pushed"]))
    assert raw.content == CSV

    # Without a token: the public view, what is wrong without the values.
    public = client.get("/api/sources/pushed/quarantine")
    assert public.status_code == 200 and public.json()["records"][0]["results"]
    assert "48.8566" not in public.text and "Loin d'ici" not in public.text and "nquads" not in public.text
    described = client.get("/api/sources/pushed/documents/feed.csv")
    assert described.status_code == 200 and described.json()["sha256"] == answer["sha256"]
    assert "Paris" not in described.text
    for path in ("/api/sources/pushed/quarantine?full=true", runs[0]["path"] + "/payload",
                 "/api/sources/pushed/documents", "/api/sources/pushed/documents/feed.csv?raw=true"):
        refused = client.get(path)
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json", path

    # Another source's token: 403 on all of it, reads and writes.
    other = bearer(secrets["other"])
    for method, path in (("GET", "/api/sources/pushed/quarantine?full=true"), ("GET", runs[0]["path"] + "/payload"),
                         ("GET", "/api/sources/pushed/documents"),
                         ("GET", "/api/sources/pushed/documents/feed.csv?raw=true"),
                         ("PUT", "/api/sources/pushed/documents/feed.csv"),
                         ("POST", "/api/sources/pushed/documents/evil.csv"),
                         ("DELETE", "/api/sources/pushed/documents/feed.csv"),
                         ("POST", "/api/sources/pushed/harvest"), ("POST", "/api/sources/pushed/confirm-removal")):
        refused = client.request(method, path, headers=other, content=CSV if method in ("PUT", "POST") else None)
        assert refused.status_code == 403, (method, path)
        assert refused.json()["title"] == "Not this source's token" and "'other'" in refused.json()["detail"]
    assert client.get("/api/sources/pushed/documents/feed.csv?raw=true").status_code == 403
    assert client.get("/api/sources/pushed/documents/feed.csv?raw=true", headers=bearer(secrets["pushed"])).content \
        == CSV  # nothing the other token tried changed it

    # The admin token keeps working everywhere.
    assert client.get("/api/sources/pushed/quarantine?full=true", headers=bearer(ADMIN)).status_code == 200
    assert client.get("/api/sources/other/quarantine?full=true", headers=bearer(ADMIN)).status_code == 200
    assert client.get("/api/sources/pushed/documents", headers=bearer(ADMIN)).json()["documents"][0]["name"] \
        == "feed.csv"

    # The network starts its own source's harvest: the same bytes, unchanged, the rejected row still reported.
    published = generations.current(DataDir(settings.data_dir))
    assert published is not None
    started = client.post("/api/sources/pushed/harvest", headers=bearer(secrets["pushed"]))
    assert started.status_code == 202 and started.json()["started"] is True
    _wait_for_generation(settings, published.number)
    latest = client.get("/api/sources/pushed/runs").json()["runs"][0]
    assert latest["run"] != runs[0]["run"] and latest["counts"]["unchanged"] == 1
    assert latest["counts"]["rejected"] == 1


def test_pushes_are_bounded_and_refused_clearly(hub: tuple[Settings, TestClient, dict[str, str]]) -> None:
    _, client, secrets = hub
    mine, theirs = bearer(secrets["pushed"]), bearer(secrets["other"])
    too_big = client.put("/api/sources/pushed/documents/big.csv?harvest=false", content=b"x" * 5000, headers=mine)
    assert too_big.status_code == 413 and "4096" in too_big.json()["detail"]
    empty = client.put("/api/sources/pushed/documents/empty.csv?harvest=false", content=b"", headers=mine)
    assert empty.status_code == 400
    bad_name = client.put("/api/sources/pushed/documents/..hidden?harvest=false", content=CSV, headers=mine)
    assert bad_name.status_code == 400 and "cannot name a document" in bad_name.json()["detail"]
    not_enabled = client.put("/api/sources/other/documents/x.ttl?harvest=false", content=b"<a> <b> <c> .",
                             headers=theirs)
    assert not_enabled.status_code == 409 and "push = true" in not_enabled.json()["detail"]
    assert client.put("/api/sources/nope/documents/x.csv", content=CSV, headers=bearer(ADMIN)).status_code == 404
    unknown = client.put("/api/sources/pushed/documents/x.csv", content=CSV, headers=bearer("mps_forged"))
    assert unknown.status_code == 403 and unknown.json()["title"] == "Unknown token"
    stored = client.put("/api/sources/pushed/documents/feed.csv?harvest=false", content=CSV, headers=mine)
    assert stored.status_code == 202 and stored.json()["harvest"] == "not started"
    assert client.delete("/api/sources/pushed/documents/feed.csv", headers=mine).json()["removed"] is True
    assert client.delete("/api/sources/pushed/documents/feed.csv", headers=mine).status_code == 404
    listed = client.get("/api/sources/pushed/documents", headers=mine).json()
    assert listed["documents"] == []


def test_a_push_source_needs_no_url_but_others_do(tmp_path: Path) -> None:
    from hub.core.config import ConfigError, load_sources

    settings = _settings(tmp_path)
    [pushing, other] = load_sources(settings.sources_path)
    assert pushing.push and pushing.urls == () and not other.push
    broken = tmp_path / "broken.toml"
    broken.write_text(settings.sources_path.read_text(encoding="utf-8").replace('url = "file:other.ttl"\n', ""),
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="push = true"):
        load_sources(broken)


ENTITY = "https://assiette-commune.example/id/reseau"


def test_a_report_is_listed_to_its_networks_token_and_to_nobody_else(
        hub: tuple[Settings, TestClient, dict[str, str]]) -> None:
    settings, client, secrets = hub
    what = "L'adresse a changé <script>alert(1)</script>"
    filed = client.post("/api/reports", json={"entity": ENTITY, "what": what, "contact": "ana@example.org",
                                              "website": ""})
    assert filed.status_code == 201, filed.text
    report_id = filed.json()["id"]
    assert "ana@example.org" not in filed.text

    mine = client.get("/api/sources/other/reports", headers=bearer(secrets["other"]))
    [listed] = mine.json()["reports"]
    assert listed["id"] == report_id and listed["what"] == what and listed["contact"] == "ana@example.org"
    assert mine.headers["content-type"] == "application/json"  # data, never markup a browser would run
    for headers in ({}, bearer(secrets["pushed"]), bearer("mps_forged")):
        refused = client.get("/api/sources/other/reports", headers=headers)
        assert refused.status_code == 403 and "ana@example.org" not in refused.text
        closing = client.post(f"/api/sources/other/reports/{report_id}/close", headers=headers)
        assert closing.status_code == 403
    # The other network, asking through its own source, is not even told the report exists.
    assert client.get("/api/sources/pushed/reports", headers=bearer(secrets["pushed"])).json()["reports"] == []
    assert client.post(f"/api/sources/pushed/reports/{report_id}/close",
                       headers=bearer(secrets["pushed"])).status_code == 404
    assert client.get("/api/sources/other/reports", headers=bearer(ADMIN)).json()["reports"][0]["id"] == report_id

    # The entity page says a report is open, never its text or contact; its form replaced the mailto link.
    page = client.get("/id", params={"iri": ENTITY, "lang": "en"}, headers={"Accept": "text/html"}).text
    assert "Open report(s) on this entry: 1" in page and 'action="/api/reports"' in page
    assert "alert(1)" not in page and "ana@example.org" not in page and "mailto:contact" not in page
    assert client.get("/api/reports/open", params={"entity": ENTITY}).json() == {"entity": ENTITY, "open": 1}

    # Closing deletes the contact; the report stays, closed, and the page no longer says one is open.
    closed = client.post(f"/api/sources/other/reports/{report_id}/close", headers=bearer(secrets["other"]))
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["contact"] is None
    stored = (settings.data_dir / "private" / "reports" / f"{report_id}.json").read_text(encoding="utf-8")
    assert "ana@example.org" not in stored
    assert client.get("/api/sources/other/reports", headers=bearer(secrets["other"])).json()["reports"] == []
    assert client.get("/api/sources/other/reports?status=closed",
                      headers=bearer(secrets["other"])).json()["reports"][0]["id"] == report_id
    assert client.get("/api/reports/open", params={"entity": ENTITY}).json()["open"] == 0


def test_reports_are_bounded(hub: tuple[Settings, TestClient, dict[str, str]]) -> None:
    settings, client, secrets = hub
    folder = settings.data_dir / "private" / "reports"
    # A bot fills the honeypot: told nothing, nothing kept.
    bot = client.post("/api/reports", json={"entity": ENTITY, "what": "buy now", "website": "https://spam.example"})
    assert bot.status_code == 201 and not list(folder.glob("*.json"))
    # A form, as the entity page sends it: back to the page, which thanks the reporter.
    sent = client.post("/api/reports", data={"entity": ENTITY, "what": "fermé", "lang": "fr", "website": ""},
                       headers={"Accept": "text/html"}, follow_redirects=False)
    assert sent.status_code == 303 and "report=sent" in sent.headers["location"]
    assert len(list(folder.glob("*.json"))) == 1
    assert "Merci" in client.get(sent.headers["location"], headers={"Accept": "text/html"}).text
    assert client.post("/api/reports", json={"entity": ENTITY, "what": "x" * 2001}).status_code == 413
    assert client.post("/api/reports", json={"entity": "https://nobody.example/x", "what": "?"}).status_code == 404
    assert client.post("/api/reports", json={"entity": ENTITY}).json()["parameter"] == "what"
    # Five reports an hour per client address, whatever they were: the sixth gets 429 with Retry-After.
    limited = client.post("/api/reports", json={"entity": ENTITY, "what": "encore"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert len(list(folder.glob("*.json"))) == 1
    client.app.state.report_limiter = RateLimiter()  # type: ignore[attr-defined]  # another hour
    assert client.post("/api/reports", content=b"x" * 9000,
                       headers={"Content-Type": "application/json"}).status_code == 413
    assert client.post("/api/reports", content=b"<p>hi</p>", headers={"Content-Type": "text/html"}).status_code == 415
    assert client.get("/api/sources/other/reports", headers=bearer(secrets["other"])).json()["reports"][0]["what"] \
        == "fermé"


def test_warnings_are_kept_with_their_record_until_it_is_fixed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.feeds import PREFIXES, organisation

    monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "ttl"\nname = "Turtle"\npush = true\nformat = "turtle"\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "T"\n'
        'contact = "mailto:t@t.example"\n', encoding="utf-8")
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    harvest(settings, progress=quiet)
    secret = _token(settings, "ttl", capsys)
    untagged = organisation(0).replace('"Initiative 0"@fr , "Initiatief 0"@nl', '"Initiative 0"')
    founder = organisation(1).replace("schema:keywords", 'schema:founder [ a schema:Person ; schema:name "Ana" ] ;'
                                                         "\n  schema:keywords")
    with TestClient(create_app(settings)) as client:
        def run_of(body: bytes | None) -> tuple[dict[str, object], dict[str, object]]:
            if body is not None:
                assert client.put("/api/sources/ttl/documents/feed.ttl?harvest=false", content=body,
                                  headers=bearer(secret)).status_code == 202
            harvest(settings, ["ttl"], progress=quiet)
            path = client.get("/api/sources/ttl/runs").json()["runs"][0]["path"]
            return client.get(path, headers=bearer(secret)).json(), client.get(path).json()

        first, public = run_of((PREFIXES + untagged + founder).encode())
        assert first["counts"]["warned"] == 3  # type: ignore[index]
        warned = {w["kind"]: w for w in first["warnings"]}  # type: ignore[union-attr]
        charter, consent, document = warned["charter"], warned["record"], warned["document"]
        assert charter["record"] == "https://bench.example/org/0" and charter["public"] is True
        assert charter["graph"].startswith(f"{BASE}graph/ttl/") and charter["message"]["nl"]
        assert consent["record"] == "https://bench.example/org/1" and consent["code"] == "consent.nested-person"
        assert "without a language tag" in document["text"] and document["record"] is None
        shown = {w["kind"]: w for w in public["warnings"]}  # type: ignore[union-attr]
        assert shown["charter"]["message"] == charter["message"]  # the shape's words quote no value
        assert shown["record"]["message"] == "withheld" and shown["record"]["code"] == "consent.nested-person"
        assert shown["document"]["message"] == "withheld"
        assert "_:" not in str(public["warnings"]) and "params" not in shown["charter"]

        # The same bytes again: nothing is read again, every warning still holds, said since the first run.
        again, _ = run_of(None)
        assert again["counts"]["warned"] == 3  # type: ignore[index]
        assert {w["carried"] for w in again["warnings"]} == {first["run"]}  # type: ignore[union-attr]

        # Another record changes: the unchanged record keeps its charter warning; the document's is said anew.
        edited, _ = run_of((PREFIXES + untagged + organisation(1, " (v2)")).encode())
        kept = {w["kind"]: w for w in edited["warnings"]}  # type: ignore[union-attr]
        assert set(kept) == {"charter", "document"} and edited["counts"]["updated"] == 1  # type: ignore[index]
        assert kept["charter"]["record"] == "https://bench.example/org/0"
        assert kept["charter"]["carried"] == first["run"] and not kept["document"].get("carried")

        # Fixed: the warning is gone.
        fixed, _ = run_of((PREFIXES + organisation(0) + organisation(1, " (v2)")).encode())
        assert fixed["warnings"] == [] and fixed["counts"]["warned"] == 0  # type: ignore[index]


CONTACT_FEED = """@prefix schema: <https://schema.org/> .
@prefix hub: <https://w3id.org/mutualisons/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix s: <https://sante.example/id/> .
s:dr-public a hub:HealthPractitioner ; schema:name "Claire Publique"@fr ; schema:jobTitle "Médecin"@fr ;
    hub:consent [ hub:consentScope hub:scope-public-listing ; dcterms:date "2026-01-02"^^xsd:date ] .
s:nurse-hidden a schema:Person ; schema:name "Inès Cachée"@fr ; schema:email "ines@nurse.example" ;
    hub:consent [ hub:consentScope SCOPE ; dcterms:date "2026-01-02"^^xsd:date ] .
s:reco-1 a hub:Recommendation ; hub:recommender s:nurse-hidden ; hub:recommends s:dr-public ;
    hub:recommenderProfession "Infirmière"@fr ; schema:dateCreated "2026-02-01"^^xsd:date .
"""
HIDDEN = ("Inès Cachée", "ines@nurse.example", "https://sante.example/id/nurse-hidden")


def test_networks_only_persons_are_never_public_and_read_by_publisher_tokens_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    from hub.pipeline.contact_book import pseudonym
    from hub.store.reader import PublishedReader

    monkeypatch.setenv("MUTUALISONS_ADMIN_TOKEN", ADMIN)
    feed = tmp_path / "sante.ttl"
    feed.write_text(CONTACT_FEED.replace("SCOPE", "hub:scope-public-listing"), encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "sante"\nname = "Santé"\nurl = "file:sante.ttl"\nformat = "turtle"\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "S"\ncontact = "mailto:s@s.example"\n'
        '\n[[source]]\nid = "other"\nname = "Other"\npush = true\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "O"\ncontact = "mailto:o@o.example"\n',
        encoding="utf-8")
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    harvest(settings, progress=quiet)  # listed publicly first
    with TestClient(create_app(settings)) as client:
        assert "Inès Cachée" in client.get("/api/people").text
        key = client.get("/api/provenance", params={"subject": HIDDEN[2]}).json()["statements"][0]["graph"]
        key = key.rsplit("/", 1)[-1]

    # The person narrows their consent to the networks' contact book.
    feed.write_text(CONTACT_FEED.replace("SCOPE", "hub:scope-contact-book"), encoding="utf-8")
    summary = harvest(settings, ["sante"], progress=quiet)
    [run] = summary.runs
    assert run.status == "succeeded" and run.counts["accepted"] == 3, run
    other = _token(settings, "other", capsys)
    store = PublishedReader(settings).published().store
    assert not store.select("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), 'Cach')"
                            f" || ?s = <{HIDDEN[2]}> || ?o = <{HIDDEN[2]}>) }} }}")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/provenance", params={"subject": HIDDEN[2]}).json()["statements"] == []
        page = client.get("/id", params={"iri": HIDDEN[2]}, headers={"Accept": "text/html"})
        assert page.status_code == 404 and "Cachée" not in page.text and "nurse.example" not in page.text
        public = [client.get("/api/people").text, client.get("/api/changes").text,
                  gzip.decompress(client.get("/dump.nq.gz").content).decode("utf-8"),
                  client.get(f"/api/graphs/sante/{key}/history").text,
                  client.post("/sparql", data={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"},
                              headers={"Accept": "application/sparql-results+json"}).text]
        for text in public:
            assert not any(value in text for value in HIDDEN), text[:300]
        # The recommendation names them by the hub's pseudonym: still one professional, nothing of them.
        recommendation = client.get("/api/provenance", params={"subject": "https://sante.example/id/reco-1"}).json()
        recommenders = [s["object"]["value"] for s in recommendation["statements"]
                        if s["predicate"].endswith("recommender")]
        assert recommenders == [pseudonym(client.app.state.reader.minter, HIDDEN[2])]  # type: ignore[attr-defined]

        # Any publisher token (here another source's) reads the contact book, and the admin; nobody else.
        assert client.get("/api/contacts").status_code == 403
        assert client.get("/api/contacts", headers=bearer("mps_forged")).status_code == 403
        book = client.get("/api/contacts", headers=bearer(other)).json()["persons"]
        assert [(p["source"], p["subject"], p["pseudonym"]) for p in book] == [
            ("sante", HIDDEN[2], recommenders[0])]
        assert "Inès Cachée" in book[0]["nquads"] and "ines@nurse.example" in book[0]["nquads"]
        assert client.get("/api/contacts", headers=bearer(ADMIN)).json()["persons"] == book

    # The same bytes again: still listed privately, still counted.
    [again] = harvest(settings, ["sante"], progress=quiet).runs
    assert again.counts["accepted"] == 3 and len(json.loads(
        (settings.data_dir / "private" / "contacts" / "sante.json").read_text(encoding="utf-8"))["persons"]) == 1


def test_a_nested_person_for_the_networks_only_leaves_the_public_record() -> None:
    from tests.test_consent_alignment import check_text

    text = (CONTACT_FEED.replace("SCOPE", "hub:scope-contact-book").split("s:reco-1")[0]
            + 's:org a schema:Organization ; schema:name "Maison"@fr ; schema:employee [ a schema:Person ; '
              'schema:name "Léa"@fr ; hub:consent [ hub:consentScope hub:scope-contact-book ; '
              'dcterms:date "2026-01-02"^^xsd:date ] ] .\n')
    report = check_text(text, "text/turtle")
    org = next(v.record for v in report.verdicts if v.record.subject.value == "https://sante.example/id/org")
    assert not any("Léa" in line for line in org.triples)
    assert any("[consent.networks-only]" in w for w in report.warnings)
