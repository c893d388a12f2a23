"""Karte von Morgen / OpenFairDB end to end, against a loopback server that answers as OpenFairDB's API does.

The emulation is written from OpenFairDB's public API description (openapi.yaml) and source code: `/search` answers
`{"visible", "invisible"}` with compact entries, the best rated first, cut at `limit`; `/entries/{ids}` answers the
full entries (licence, version, contacts, categories, tags, rating ids); `/events?bbox=…` answers the events with
Unix times; no ETags. The entries are made up: no platform's data. The shipped `format = "openfairdb"` entry
harvests it tile by tile; its records are served in /api/organizations and /api/events with their coordinates, kinds
from the categories, tags as keywords and themes, the platform's ids and versions, each entry's own licence in
/api/provenance, and no contact person's name."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from harvesters.formats import DocumentContext, table
from harvesters.mapping import parse_mapping
from harvesters.openfairdb import COMPANY, INITIATIVE, api
from harvesters.suggest import suggest
from hub.core.config import Settings
from hub.core.iris import Minter
from hub.core.vocabulary import default_vocabulary
from hub.gateway.app import create_app
from hub.pipeline.harvest import RunSummary, harvest
from tests.conftest import BASE, quiet
from tests.loopback import Answer, LoopbackServer, Request, serve
from tests.test_format_table import published

HUB = "https://w3id.org/mutualisons/ns#"
SCHEMA = "https://schema.org/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
ODBL = "https://opendatacommons.org/licenses/odbl/1-0/"
EVENT = "c2dc278a2d6a4b9b8a50cb606fc017ed"


def entry(number: int, title: str, lat: float, lng: float, category: str, tags: list[str], license: str,
          rating: float, **extra: Any) -> dict[str, Any]:
    return {"id": f"{number:032x}", "created": 1_700_000_000 + number, "version": number % 3,
            "title": title, "description": f"{title}: une initiative de test", "lat": lat, "lng": lng,
            "street": f"Rue du Test {number}", "zip": "1000", "city": "Bruxelles", "country": "Belgien",
            "categories": [category], "tags": tags, "license": license, "ratings": [f"{number:031x}r"],
            "rating": rating, **extra}


ENTRIES = [
    entry(1, "Repair Café Saint-Gilles", 50.828, 4.345, INITIATIVE, ["repaircafe", "nachbarschaft"], "CC0-1.0", 2.0,
          contact_name="Anna Beispiel", email="repair@initiative.example", telephone="+32 2 000 00 01",
          homepage="https://repair.example"),
    entry(2, "Épicerie Vrac Ixelles", 50.827, 4.372, COMPANY, ["unverpackt", "bio"], "ODbL-1.0", 1.5,
          opening_hours="Mo-Fr 09:00-18:00", email="vrac@company.example"),
    entry(3, "Jardin collectif Schaerbeek", 50.866, 4.378, INITIATIVE, ["urbangardening"], "CC0-1.0", 1.0,
          founded_on="2015-04-01"),
    entry(4, "Vélo-atelier Molenbeek", 50.856, 4.330, INITIATIVE, ["fahrrad", "selbsthilfewerkstatt"], "CC0-1.0",
          0.5, links=[{"url": "https://velo.example/blog", "title": "Blog"}]),
    entry(5, "Coopérative d'énergie", 50.800, 4.400, COMPANY, ["energie", "genossenschaft"], "CC0-1.0", 0.2),
    entry(6, "Café solidaire", 50.880, 4.300, INITIATIVE, [], "CC0-1.0", 0.1),
    entry(7, "Outside the box (Leuven)", 50.880, 4.700, INITIATIVE, ["bio"], "CC0-1.0", 3.0),
]
EVENTS = [{"id": "e" * 32, "title": "Repair Café du samedi", "description": "On répare ensemble",
           "start": 1_804_327_200, "end": 1_804_338_000, "created_at": 1_760_000_000_000,
           "created_by": "anna@private.example", "organizer": "Anna Beispiel", "registration": "email",
           "lat": 50.828, "lng": 4.345, "street": "Rue du Test 1", "zip": "1060", "city": "Saint-Gilles",
           "country": "BE", "email": "repair@initiative.example", "tags": ["repaircafe"]}]


def _inside(item: dict[str, Any], box: list[float]) -> bool:
    south, west, north, east = box
    return south <= item["lat"] <= north and west <= item["lng"] <= east


def _compact(item: dict[str, Any]) -> dict[str, Any]:
    """A search result's entry: what openapi.yaml's SearchEntry has (average ratings, no contacts, no licence)."""
    return {"id": item["id"], "status": "confirmed", "lat": item["lat"], "lng": item["lng"], "title": item["title"],
            "description": item["description"], "categories": item["categories"], "tags": item["tags"],
            "ratings": {"total": item["rating"], "diversity": 0.0, "fairness": 0.0, "humanity": 0.0,
                        "renewable": 0.0, "solidarity": 0.0, "transparency": 0.0}}


@dataclass
class OpenFairDb:
    """OpenFairDB's public API under /v0: search (capped, best rated first), entries by ids, events by box."""

    entries: list[dict[str, Any]]
    events: list[dict[str, Any]]
    failing: set[str] = field(default_factory=set)  # paths (with their query) that answer 500
    served: list[str] = field(default_factory=list)

    def route(self, request: Request) -> Answer:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if request.path in self.failing:
            return 500, {"Retry-After": "0"}, b"Internal Server Error"
        self.served.append(request.path)
        if parts.path == "/v0/search":
            box = [float(v) for v in query["bbox"].split(",")]
            wanted = set(query.get("categories", f"{INITIATIVE},{COMPANY}").split(","))
            found = [e for e in self.entries if wanted & set(e["categories"])]
            best = sorted(found, key=lambda e: -e["rating"])
            visible = [_compact(e) for e in best if _inside(e, box)][:int(query.get("limit", "100"))]
            invisible = [_compact(e) for e in best if not _inside(e, box)][:5]
            return self._json({"visible": visible, "invisible": invisible})
        if parts.path.startswith("/v0/entries/"):
            ids = unquote(parts.path.removeprefix("/v0/entries/")).split(",")
            by_id = {e["id"]: e for e in self.entries}
            return self._json([{k: v for k, v in by_id[i].items() if k != "rating"} for i in ids if i in by_id])
        if parts.path == "/v0/events":
            box = [float(v) for v in query["bbox"].split(",")]
            return self._json([e for e in self.events if _inside(e, box)])
        return 404, {}, b"not found"

    @staticmethod
    def _json(data: Any) -> Answer:
        return 200, {"Content-Type": "application/json"}, json.dumps(data).encode()


# The entry a network copies into its sources.toml (docs/sources.md, "Karte von Morgen"), pointed at the emulation;
# the paging asks 3 entries a search so that the box is cut into tiles (the real cap is `limit`, 500 here).
SOURCE = '''[[source]]
id = "kvm"
name = "Karte von Morgen (Bruxelles)"
url = "{url}"
format = "openfairdb"
language = "fr"
license = "https://opendatacommons.org/licenses/odbl/1-0/"
publisher = "Karte von Morgen"
contact = "mailto:kvm@karte.example"
trusted_hosts = ["{host}"]

[source.paging]
bbox = [50.76, 4.24, 50.92, 4.48]
size_param = "limit"
size = 3
full_at = 3
'''
TILES = ["50.76,4.24,50.92,4.48", "50.76,4.24,50.84,4.36", "50.76,4.36,50.84,4.48", "50.84,4.24,50.92,4.36",
         "50.84,4.36,50.92,4.48"]
CATEGORIES = f"{INITIATIVE},{COMPANY}"


def search(box: str) -> str:
    return f"/v0/search?categories={CATEGORIES}&bbox={box}&limit=3"


@pytest.fixture()
def karte() -> Iterator[tuple[OpenFairDb, LoopbackServer]]:
    emulated = OpenFairDb([dict(e) for e in ENTRIES], [dict(e) for e in EVENTS])
    for server in serve(emulated.route):
        yield emulated, server


def harvested(tmp_path: Path, server: LoopbackServer) -> tuple[Settings, RunSummary]:
    (tmp_path / "sources.toml").write_text(SOURCE.format(url=server.url("/v0"), host=server.hostport),
                                           encoding="utf-8")
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    return settings, harvest(settings, progress=quiet).runs[0]


def _name(value: Any) -> str:
    return value if isinstance(value, str) else value[0]["@value"]


def test_a_karte_von_morgen_map_harvests_end_to_end_tile_by_tile(karte: tuple[OpenFairDb, LoopbackServer],
                                                                 tmp_path: Path) -> None:
    emulated, server = karte
    settings, run = harvested(tmp_path, server)
    assert (run.status, run.counts["added"]) == ("succeeded", 7), run.errors
    # The box answered 3 (full): cut in four; every quarter answers fewer. Then the 6 entries in one batch (sorted
    # ids), then the events of the box.
    ids = ",".join(f"{n:032x}" for n in range(1, 7))
    assert emulated.served == [search(tile) for tile in TILES] + [f"/v0/entries/{ids}",
                                                                  "/v0/events?bbox=50.76,4.24,50.92,4.48"]
    kvm = f"{BASE}id/organization/kvm-{1:032x}"
    with TestClient(create_app(settings)) as client:
        features = client.get("/api/organizations", params={"format": "geojson"}).json()["features"]
        events = client.get("/api/events", params={"format": "geojson"}).json()["features"]
        provenance = client.get("/api/provenance", params={"subject": kvm, "predicate": SCHEMA + "name"}).json()
    coordinates = {_name(f["properties"]["name"]): f["geometry"]["coordinates"] for f in features}
    assert len(coordinates) == 6 and "Outside the box (Leuven)" not in coordinates
    assert coordinates["Épicerie Vrac Ixelles"] == pytest.approx([4.372, 50.827])
    # Kinds from Karte von Morgen's categories: a company is a LocalBusiness too.
    assert published(settings.data_dir, "SELECT ?v WHERE { ?o a schema:LocalBusiness ; schema:name ?v }") == [
        "Coopérative d'énergie", "Épicerie Vrac Ixelles"]
    # Tags: keywords always, and the hub's themes through the shipped theme table.
    vrac = f"{BASE}id/organization/kvm-{2:032x}"
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{vrac}> hub:theme ?v }}") == [
        HUB + "theme-food", HUB + "theme-food-bulk", HUB + "theme-zero-waste"]
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{vrac}> schema:keywords ?v }}") == ["bio", "unverpackt"]
    assert any("selbsthilfewerkstatt" in w for w in run.warnings), run.warnings  # a tag the table does not know
    # The platform's ids and versions kept; ratings not lifted.
    assert len(published(settings.data_dir, "SELECT ?v WHERE { ?o schema:identifier [ schema:propertyID "
                                            "'openfairdb' ; schema:value ?v ] }")) == 7
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{vrac}> schema:version ?v }}") == ["2"]
    assert published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?g { ?s ?p ?v } FILTER(STRENDS(STR(?v), "
                                        "'r') && STRSTARTS(STR(?v), '0000000')) }") == []
    # Contacts are the organisation's; the contact person's name, and the event's organizer, never published.
    repair = f"{BASE}id/organization/kvm-{1:032x}"
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{repair}> schema:email|schema:telephone ?v }}") == [
        "+32 2 000 00 01", "repair@initiative.example"]
    assert published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?g { ?s ?p ?v } FILTER(CONTAINS(STR(?v), 'Anna') "
                                        "|| CONTAINS(STR(?v), 'private.example')) }") == []
    # Each entry's own licence: said on the records whose licence differs from the source's (ODbL).
    own = published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?m { ?g a hub:RecordGraph ; hub:recordSubject ?s ; "
                                       "dcterms:license ?l } BIND(CONCAT(STR(?s), ' ', STR(?l)) AS ?v) }")
    assert len(own) == 5 and f"{repair} {CC0}" in own and not any(vrac in line for line in own)
    assert [s["license"] for s in provenance["statements"]] == [CC0]
    assert provenance["statements"][0]["document"] == server.url(f"/v0/entries/{ids}")
    # The event: an agenda record, its Unix times as the event's own wall-clock time.
    assert [(_name(f["properties"]["name"]), f["geometry"]["coordinates"]) for f in events] == [
        ("Repair Café du samedi", pytest.approx([4.345, 50.828]))]
    assert published(settings.data_dir, "SELECT ?v WHERE { ?e a schema:Event ; schema:startDate ?v }") == [
        "2027-03-06T10:00:00"]
    assert not [w for w in run.warnings if "not mapped" in w], run.warnings


def test_a_second_harvest_writes_nothing_and_one_changed_entry_rewrites_one_record(
        karte: tuple[OpenFairDb, LoopbackServer], tmp_path: Path) -> None:
    emulated, server = karte
    settings, first = harvested(tmp_path, server)
    assert first.counts["added"] == 7
    second = harvest(settings, progress=quiet).runs[0]  # no ETags: the same bytes write nothing
    assert (second.status, second.counts["added"], second.counts["updated"], second.counts["removed"],
            second.counts["unchanged"]) == ("succeeded", 0, 0, 0, 7)
    emulated.entries[3]["title"] = "Vélo-atelier de Molenbeek"
    emulated.entries[3]["version"] += 1
    third = harvest(settings, progress=quiet).runs[0]
    assert (third.counts["added"], third.counts["updated"], third.counts["removed"],
            third.counts["unchanged"]) == (0, 1, 0, 6)
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{BASE}id/organization/kvm-{4:032x}> schema:version ?v "
                                        "}") == ["2"]


def test_a_failing_tile_fails_alone_and_keeps_its_records(karte: tuple[OpenFairDb, LoopbackServer],
                                                          tmp_path: Path) -> None:
    emulated, server = karte
    settings, first = harvested(tmp_path, server)
    assert first.counts["added"] == 7
    # The north-east tile (the Schaerbeek garden) fails; meanwhile an entry of another tile changed.
    emulated.failing.add(search(TILES[4]))
    emulated.entries[0]["title"] = "Repair Café de Saint-Gilles"
    second = harvest(settings, progress=quiet).runs[0]
    assert second.status == "partial"
    assert second.errors == [f"{server.url(search(TILES[4]))}: HTTP 500 Internal Server Error after 3 retries "
                             "[fetch.http-status-retried]"]
    assert (second.counts["updated"], second.counts["removed"]) == (1, 0)
    names = published(settings.data_dir, "SELECT ?v WHERE { ?o a schema:Organization ; schema:name ?v }")
    assert "Jardin collectif Schaerbeek" in names and "Repair Café de Saint-Gilles" in names and len(names) == 6
    # Whole again: nothing is lost, nothing rewritten but the tile's own batch.
    emulated.failing.clear()
    third = harvest(settings, progress=quiet).runs[0]
    assert (third.status, third.counts["removed"], third.counts["added"]) == ("succeeded", 0, 0), third.errors


def test_a_box_is_needed_and_the_api_root_is_found() -> None:
    assert api("https://api.ofdb.io/v0") == ("https://api.ofdb.io/v0", {})
    assert api("https://api.ofdb.io/v0/search?bbox=1,2,3,4&tags=bio") == ("https://api.ofdb.io/v0",
                                                                           {"bbox": "1,2,3,4", "tags": "bio"})
    assert api("https://api.ofdb.io/v0/entries/abc") == ("https://api.ofdb.io/v0", {})


def test_a_source_without_a_box_says_what_to_write(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(
        SOURCE.split("[source.paging]")[0].format(url="http://127.0.0.1:9/v0", host="127.0.0.1:9"), encoding="utf-8")
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    run = harvest(settings, progress=quiet).runs[0]
    assert run.status == "failed"
    assert run.errors == ["http://127.0.0.1:9/v0: Karte von Morgen's search needs a bounding box: give it as `bbox = "
                          "[south, west, north, east]` in the source's [source.paging] table (e.g. [50.76, 4.24, "
                          "50.92, 4.48]), or as the URL's bbox=SOUTH,WEST,NORTH,EAST"]


def test_mapping_suggest_on_karte_von_morgen_entries_lifts_every_entry(tmp_path: Path) -> None:
    """`mapping suggest` on a saved `/entries/{ids}` answer proposes a mapping that lifts every entry."""
    document = [{k: v for k, v in e.items() if k != "rating"} for e in ENTRIES]
    path = tmp_path / "entries.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    suggestion = suggest(path)
    assert 'records = ""' in suggestion.text
    assert suggestion.check[0] == f"Self-check: lifted with this mapping, entries.json gives {len(ENTRIES)} " \
                                  "record(s); 0 row(s) fail."
    mapping = parse_mapping(tomllib.loads(suggestion.text), "suggested")
    minter = Minter(BASE)
    context = DocumentContext(path.as_uri(), None, "kvm", minter.entity, default_vocabulary().hierarchy.kind_of,
                              mapping=mapping)
    lifted = table().get("json").lift(path.read_bytes(), context)  # type: ignore[union-attr]
    assert lifted.row_errors == []
    assert lifted.nquads.count(b"<https://schema.org/name>") == len(ENTRIES)
