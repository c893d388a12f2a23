"""GoGoCarto end to end, against a loopback server that answers as a GoGoCarto instance's API does.

The emulation is written from GoGoCarto's public API description and its source code (the JSON it serialises:
`{"licence", "ontology", "data"}` pages of elements, `taxonomy.json` as categories and options), with made-up
elements: no platform's data. The shipped `format = "gogocarto"` entry harvests it; its records are served in
/api/organizations with their coordinates, themes mapped through the theme table, the platform's ids, the
taxonomy as SKOS concepts, nothing the instance withholds, and the upstream chain in /api/provenance."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from harvesters.gogocarto import api
from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.pipeline.harvest import RunSummary, harvest
from tests.conftest import BASE, quiet
from tests.loopback import Answer, LoopbackServer, Request, serve
from tests.test_format_table import published

HUB = "https://w3id.org/mutualisons/ns#"
TAXONOMY = [{"id": 1, "name": "Catégories", "options": [
    {"id": 11, "name": "Alimentation", "color": "#98A100", "icon": "icon-leaf", "subcategories": [
        {"id": 2, "name": "Type de lieu", "options": [{"id": 21, "name": "Épicerie vrac"},
                                                      {"id": 22, "name": "Marché"}]}]},
    {"id": 12, "name": "Réparation", "color": "#1E8065"},
    {"id": 13, "name": "Divers"}]}]


def element(number: int, name: str, options: list[int], categories: list[str], source_key: str,
            **extra: Any) -> dict[str, Any]:
    return {"id": f"g{number}", "name": name, "status": 1, "moderationState": 0,
            "geo": {"latitude": f"{50.84 + number / 500:.4f}", "longitude": f"{4.34 + number / 500:.4f}"},
            "address": {"streetAddress": f"Rue des Alternatives {number}", "postalCode": "1000",
                        "addressLocality": "Bruxelles", "addressCountry": "BE",
                        "customFormatedAddress": f"Rue des Alternatives {number}, 1000 Bruxelles"},
            "categories": categories, "optionValues": [{"optionId": str(o), "index": i, "description": ""}
                                                       for i, o in enumerate(options)],
            "sourceKey": source_key, "createdAt": "2024-03-01T10:00:00+01:00", "updatedAt": "2025-01-15T09:30:00+01:00",
            **extra}


ELEMENTS = [
    element(1, "Épicerie du Coin", [11, 21], ["Alimentation", "Épicerie vrac"], "OpenStreetMap",
            email="hidden", telephone="02 000 00 01", website="https://epicerie.example",
            openHours={"Mo": "09:00-18:00", "Sa": "09:00-13:00"}),
    element(2, "Repair Café des Marolles", [12], ["Réparation"], "Carte des alternatives", email="private",
            urls=[{"type": "facebook", "value": "https://social.example/repair"}]),
    element(3, "Marché du samedi", [11, 22], ["Alimentation", "Marché"], "OpenStreetMap"),
    element(4, "Atelier vélo", [13], ["Divers"], "Carte des alternatives", email="atelier@velo.example"),
    element(5, "Jardin des voisins", [13], ["Divers"], "Carte des alternatives"),
]


@dataclass
class Instance:
    """A GoGoCarto instance's public API: taxonomy.json, and elements.json by `limit` and `page`, with ETags."""

    elements: list[dict[str, Any]]
    taxonomy_status: int = 200
    served: list[str] = field(default_factory=list)

    def route(self, request: Request) -> Answer:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/api/taxonomy.json":
            if self.taxonomy_status != 200:
                return self.taxonomy_status, {}, b"unavailable"
            body = json.dumps(TAXONOMY).encode()
        elif parts.path == "/api/elements.json":
            limit, page = int(query.get("limit", "1000")), int(query.get("page", "1"))
            chunk = self.elements[(page - 1) * limit:page * limit]
            body = json.dumps({"licence": "https://opendatacommons.org/licenses/odbl/summary/",
                               "ontology": "gogofull", "data": chunk}).encode()
        else:
            return 404, {}, b"not found"
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        if request.headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        self.served.append(request.path)
        return 200, {"Content-Type": "application/json", "ETag": etag}, body


# The entry a network copies into its sources.toml (docs/sources.md, "Platforms"), pointed at the emulation.
SOURCE = '''[[source]]
id = "carte-alternatives"
name = "Carte des alternatives (GoGoCarto)"
url = "{url}"
format = "gogocarto"
language = "fr"
license = "https://opendatacommons.org/licenses/odbl/1-0/"
publisher = "Collectif de la carte"
contact = "mailto:carte@carte.example"
trusted_hosts = ["{host}"]

[source.paging]
page = "page"
size_param = "limit"
size = 2
records = "data"
'''


@pytest.fixture()
def instance() -> Iterator[tuple[Instance, LoopbackServer]]:
    emulated = Instance([dict(e) for e in ELEMENTS])
    for server in serve(emulated.route):
        yield emulated, server


def harvested(tmp_path: Path, server: LoopbackServer) -> tuple[Settings, RunSummary]:
    (tmp_path / "sources.toml").write_text(SOURCE.format(url=server.url("/"), host=server.hostport), encoding="utf-8")
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    return settings, harvest(settings, progress=quiet).runs[0]


def test_a_gogocarto_instance_harvests_end_to_end(instance: tuple[Instance, LoopbackServer], tmp_path: Path) -> None:
    emulated, server = instance
    settings, run = harvested(tmp_path, server)
    assert (run.status, run.counts["added"], run.counts["documents"]) == ("succeeded", 5, 4), run.errors
    assert emulated.served == ["/api/taxonomy.json", "/api/elements.json?page=1&limit=2",
                               "/api/elements.json?page=2&limit=2", "/api/elements.json?page=3&limit=2"]
    org = f"{BASE}id/organization/carte-alternatives-g1"
    with TestClient(create_app(settings)) as client:
        features = client.get("/api/organizations", params={"format": "geojson"}).json()["features"]
        provenance = client.get("/api/provenance", params={"subject": org, "predicate": "https://schema.org/name"})
    # Served with their coordinates right ([lon, lat], from coordinates GoGoCarto gives as text).
    coordinates = {f["properties"]["name"] if isinstance(f["properties"]["name"], str) else
                   f["properties"]["name"][0]["@value"]: f["geometry"]["coordinates"] for f in features}
    assert len(coordinates) == 5
    assert coordinates["Épicerie du Coin"] == pytest.approx([4.342, 50.842])
    # Themes through the shipped theme table: "Épicerie vrac" means two themes; "Divers" none (a keyword).
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{org}> hub:theme ?v }}") == [
        HUB + "theme-food", HUB + "theme-food-bulk", HUB + "theme-zero-waste"]
    assert published(settings.data_dir, "SELECT ?v WHERE { ?o schema:name 'Atelier vélo'@fr ; schema:keywords ?v }"
                     ) == ["Divers"]
    # The platform's ids kept.
    assert published(settings.data_dir, "SELECT ?v WHERE { ?o schema:identifier [ schema:propertyID 'gogocarto' ; "
                                        "schema:value ?v ] }") == ["g1", "g2", "g3", "g4", "g5"]
    # The taxonomy as SKOS concepts of the source's own scheme, each element linked to its options, aligned.
    options = published(settings.data_dir, f"SELECT DISTINCT ?v WHERE {{ <{org}> dcterms:subject ?c . "
                                           "?c skos:prefLabel ?l ; skos:inScheme ?s . OPTIONAL { ?c skos:broader/"
                                           "skos:prefLabel ?b } BIND(CONCAT(?l, ' < ', COALESCE(?b, '-')) AS ?v) }")
    assert options == ["Alimentation < Catégories", "Épicerie vrac < Type de lieu"]
    assert published(settings.data_dir, "SELECT DISTINCT ?v WHERE { ?c skos:prefLabel 'Épicerie vrac'@fr ; "
                                        "skos:closeMatch ?v }") == [HUB + "theme-food-bulk", HUB + "theme-zero-waste"]
    # What the instance withholds is never published.
    assert published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?g { ?s ?p ?v } FILTER(STR(?v) IN ('hidden', "
                                        "'private')) }") == []
    assert published(settings.data_dir, "SELECT ?v WHERE { ?o schema:email ?v }") == ["atelier@velo.example"]
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{org}> schema:openingHours ?v }}") == [
        "Mo 09:00-18:00", "Sa 09:00-13:00"]
    # sourceKey: the upstream source, described, in the record's provenance.
    statements = provenance.json()["statements"]
    assert statements[0]["upstream"] == [{"iri": f"{BASE}id/upstream/carte-alternatives-openstreetmap",
                                          "title": "OpenStreetMap"}]
    assert statements[0]["document"] == server.url("/api/elements.json?page=1&limit=2")
    # Nothing unmapped, nothing private reported as a value.
    assert not [w for w in run.warnings if "not mapped" in w], run.warnings


def test_a_second_harvest_writes_nothing_and_one_changed_element_rewrites_one_record(
        instance: tuple[Instance, LoopbackServer], tmp_path: Path) -> None:
    emulated, server = instance
    settings, first = harvested(tmp_path, server)
    assert first.counts["added"] == 5
    served = len(emulated.served)
    second = harvest(settings, progress=quiet).runs[0]
    assert len(emulated.served) == served  # every document answered 304
    assert (second.counts["added"], second.counts["updated"], second.counts["removed"],
            second.counts["unchanged"]) == (0, 0, 0, 5)
    emulated.elements[3]["name"] = "Atelier vélo solidaire"
    third = harvest(settings, progress=quiet).runs[0]
    assert (third.counts["added"], third.counts["updated"], third.counts["removed"],
            third.counts["unchanged"]) == (0, 1, 0, 4)
    assert emulated.served[served:] == ["/api/elements.json?page=2&limit=2"]


def test_without_its_taxonomy_the_elements_are_not_read_and_every_record_stays(
        instance: tuple[Instance, LoopbackServer], tmp_path: Path) -> None:
    emulated, server = instance
    settings, first = harvested(tmp_path, server)
    assert first.counts["added"] == 5
    emulated.taxonomy_status = 404
    emulated.elements[0]["name"] = "renamed while the taxonomy is away"
    second = harvest(settings, progress=quiet).runs[0]
    assert second.status == "failed"
    assert second.errors == [f"{server.url('/api/taxonomy.json')}: HTTP 404 Not Found [fetch.http-status]"]
    assert "Épicerie du Coin" in published(settings.data_dir, "SELECT ?v WHERE { ?o a schema:Organization ; "
                                                              "schema:name ?v }")


def test_the_instance_s_api_root() -> None:
    assert api("https://carte.example") == api("https://carte.example/") == "https://carte.example/api"
    assert api("https://carte.example/api/elements.json?limit=10") == "https://carte.example/api"
    assert api("https://x.example/sub/api/taxonomy.json") == "https://x.example/sub/api"
