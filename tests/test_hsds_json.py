"""Open Referral HSDS 3.0 through its API (format `hsds-json`), against a loopback server that answers as an HSDS
API does (the specification's openapi.json: `/organizations` and `/services?full=true`, `Page` objects with
`total_items`, `page_number`, `size` and `contents`, `page` and `per_page`).

The directory served is made up (Brussels health services: no directory's data); a second test serves the
specification's own examples (../shared/feeds/openreferral-hsds, read only, skipped when absent) and checks that the
API gives the records the CSV tables of the same examples give: one vocabulary, the same IRIs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from harvesters.hsds_json import api
from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.pipeline.harvest import RunSummary, harvest
from tests.conftest import BASE, SHARED_FEEDS, quiet
from tests.loopback import Answer, LoopbackServer, Request, serve
from tests.test_format_table import published

HSDS3 = SHARED_FEEDS / "openreferral-hsds"
SCHEMA = "https://schema.org/"


def service(number: int, name: str, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    """A fully nested service: its phones, schedules and its channel at a location, with the location."""
    return {"id": f"svc-{number}", "name": name, "description": f"{name} pour tous", "url": None,
            "email": None, "status": "active", "fees_description": "Gratuit", "organization_id": f"org-{number}",
            "program": None, "last_modified": "2026-03-01T10:00:00Z",
            "phones": [{"id": f"ph-{number}", "number": f"+32 2 000 00 0{number}", "type": "voice",
                        "extension": None, "description": "Accueil", "languages": []}],
            "schedules": [{"id": f"sch-{number}", "byday": "MO,TU,TH", "opens_at": "09:00:00",
                           "closes_at": "17:00:00", "freq": "WEEKLY", "description": "Sur rendez-vous"}],
            "service_at_locations": [{"id": f"sal-{number}", "description": "Au centre", "location": {
                "id": f"loc-{number}", "location_type": "physical", "organization_id": f"org-{number}",
                "name": f"Site {number}", "latitude": lat, "longitude": lon,
                "addresses": [{"id": f"adr-{number}", "address_1": f"Rue de la Santé {number}", "city": "Bruxelles",
                               "postal_code": "1000", "country": "BE", "address_type": "physical",
                               "state_province": None, "attention": None}]}}],
            **extra}


def term(identifier: str, name: str) -> dict[str, Any]:
    """An HSDS attribute: a taxonomy term attached to an organisation or a service."""
    return {"id": f"a-{identifier}", "link_type": "organization", "link_entity": "organization", "value": None,
            "taxonomy_term": {"id": identifier, "code": identifier.upper(), "name": name, "description": name,
                              "parent_id": None, "taxonomy": "Open Eligibility", "language": "en", "term_uri": None}}


def organisation(number: int, name: str, offered: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A fully nested organisation (`/organizations?full=true&full_service=true`): its services and locations."""
    return {"id": f"org-{number}", "name": name, "alternate_name": None, "description": f"{name}, à Bruxelles",
            "email": f"accueil@org{number}.example", "website": f"https://org{number}.example",
            "tax_status": None, "year_incorporated": 1990 + number, "legal_status": "asbl", "logo": None,
            "uri": None, "parent_organization_id": None, "services": [offered],
            "locations": [offered["service_at_locations"][0]["location"]], **extra}


ORGANISATIONS = [
    organisation(1, "Maison médicale des Marolles", service(1, "Médecine générale", 50.8366, 4.3468,
                                                            attributes=[term("t-2", "Primary Care")]),
                 attributes=[term("t-1", "Health")]),
    organisation(2, "Centre de planning familial", service(2, "Consultations de planning", 50.8450, 4.3560),
                 attributes=[term("t-9", "Planning familial")]),
    organisation(3, "Service de santé mentale Le Méridien", service(3, "Accueil psychologique", 50.8310, 4.3720),
                 contacts=[{"id": "c-1", "name": "Dr Anne Contact", "title": "Psychologue",
                            "email": "anne@private.example", "phones": []}],
                 attributes=[term("t-3", "Mental Health")]),
]


@dataclass
class HsdsApi:
    """An HSDS 3.0 API under /api: `Page` objects, `page` and `per_page`, `full` and `full_service`, no ETags."""

    organizations: list[dict[str, Any]]
    services: list[dict[str, Any]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    served: list[str] = field(default_factory=list)

    def route(self, request: Request) -> Answer:
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if request.path in self.failing:
            return 500, {"Retry-After": "0"}, b"Internal Server Error"
        items = {"/api/organizations": self.organizations, "/api/services": self.services}.get(parts.path)
        if items is None:
            return 404, {}, b"not found"
        self.served.append(request.path)
        if query.get("full") != "true":  # the list's one-to-one fields only
            items = [{k: v for k, v in item.items() if not isinstance(v, list | dict)} for item in items]
        page, size = int(query.get("page", "1")), int(query.get("per_page", "50"))
        chunk = items[(page - 1) * size:page * size]
        pages = max(1, -(-len(items) // size))
        body = {"total_items": len(items), "total_pages": pages, "page_number": page, "size": len(chunk),
                "first_page": page == 1, "last_page": page >= pages, "empty": not chunk, "contents": chunk}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


# The entry a network copies into its sources.toml (docs/sources.md, "Open Referral HSDS"), pointed at the
# emulation (2 items a page, so that each list has pages).
SOURCE = '''[[source]]
id = "{id}"
name = "Annuaire santé (HSDS)"
url = "{url}"
format = "hsds-json"
language = "fr"
license = "https://creativecommons.org/licenses/by-sa/4.0/"
publisher = "Réseau santé"
contact = "mailto:annuaire@sante.example"
trusted_hosts = ["{host}"]

[source.paging]
page = "page"
size_param = "per_page"
size = 2
total = "total_items"
records = "contents"
'''


@pytest.fixture()
def directory() -> Iterator[tuple[HsdsApi, LoopbackServer]]:
    emulated = HsdsApi(json.loads(json.dumps(ORGANISATIONS)))
    for server in serve(emulated.route):
        yield emulated, server


def settings_for(folder: Path, server: LoopbackServer, source_id: str = "sante") -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources.toml").write_text(SOURCE.format(id=source_id, url=server.url("/api"), host=server.hostport),
                                         encoding="utf-8")
    return Settings(folder / "sources.toml", folder / "data", BASE)


def run(settings: Settings) -> RunSummary:
    return harvest(settings, progress=quiet).runs[0]


def values(settings: Settings, subject: str, path: str) -> list[str]:
    """The distinct values a property path reaches from a subject (a node copied into two records is one)."""
    return published(settings.data_dir, f"SELECT DISTINCT ?v WHERE {{ <{subject}> {path} ?v }}")


def _name(value: Any) -> str:
    return value if isinstance(value, str) else value[0]["@value"]


def test_an_hsds_api_harvests_end_to_end_page_by_page(directory: tuple[HsdsApi, LoopbackServer],
                                                      tmp_path: Path) -> None:
    emulated, server = directory
    settings = settings_for(tmp_path, server)
    first = run(settings)
    # Three organisations and the three locations of their services: records; services and the rest: nodes.
    assert (first.status, first.counts["added"]) == ("succeeded", 6), first.errors
    assert emulated.served == [f"/api/organizations?full=true&full_service=true&page={n}&per_page=2" for n in (1, 2)]
    org = f"{BASE}id/organization/sante-organizations-org-1"
    with TestClient(create_app(settings)) as client:
        features = client.get("/api/organizations", params={"format": "geojson"}).json()["features"]
        health = client.get("/api/organizations", params={"format": "geojson", "theme": "theme:health"}).json()
    # Taxonomy terms through the theme table: the health organisations land in the health directory; a term the
    # table does not know stays a keyword.
    assert {_name(f["properties"]["name"]) for f in health["features"]} == {
        "Maison médicale des Marolles", "Service de santé mentale Le Méridien"}
    assert values(settings, f"{BASE}id/organization/sante-organizations-org-2", "schema:keywords") == [
        "Planning familial"]
    assert values(settings, f"{BASE}id/service/sante-services-svc-1", "hub:theme") == [
        "https://w3id.org/mutualisons/ns#theme-health"]
    located = {_name(f["properties"]["name"]): f["geometry"]["coordinates"] for f in features if f["geometry"]}
    assert located == {"Site 1": pytest.approx([4.3468, 50.8366]), "Site 2": pytest.approx([4.356, 50.845]),
                       "Site 3": pytest.approx([4.372, 50.831])}
    # The HSDS CSV mapping's vocabulary: the organisation offers its service, which has its phone, its opening
    # days, its channel at the location; the location is the organisation's.
    service_iri = f"{BASE}id/service/sante-services-svc-1"
    place = f"{BASE}id/organization/sante-locations-loc-1"
    assert values(settings, org, "hub:offersService") == [service_iri]
    assert values(settings, org, "schema:location") == [place]
    assert values(settings, service_iri, "schema:provider") == [org]
    assert values(settings, service_iri, "schema:contactPoint/schema:telephone") == ["+32 2 000 00 01"]
    assert values(settings, service_iri, "schema:hoursAvailable/schema:dayOfWeek") == [
        SCHEMA + "Monday", SCHEMA + "Thursday", SCHEMA + "Tuesday"]
    assert values(settings, service_iri, "schema:availableChannel/schema:serviceLocation") == [place]
    assert values(settings, place, "schema:address/schema:streetAddress") == ["Rue de la Santé 1"]
    assert values(settings, service_iri, "hub:cost") == ["Gratuit"]
    # A contact person has no consent: never published.
    assert published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?g { ?s ?p ?v } FILTER(CONTAINS(STR(?v), 'Anne') "
                                        "|| CONTAINS(STR(?v), 'private.example')) }") == []
    assert not [w for w in first.warnings if "not mapped" in w], first.warnings


def test_a_failing_page_fails_alone_and_a_second_harvest_writes_nothing(directory: tuple[HsdsApi, LoopbackServer],
                                                                        tmp_path: Path) -> None:
    emulated, server = directory
    settings = settings_for(tmp_path, server)
    assert run(settings).counts["added"] == 6
    again = run(settings)
    assert (again.status, again.counts["added"], again.counts["updated"], again.counts["removed"],
            again.counts["unchanged"]) == ("succeeded", 0, 0, 0, 6)
    # The first page fails; meanwhile its first organisation changed, and the third one's location moved (page 2).
    first_page = "/api/organizations?full=true&full_service=true&page=1&per_page=2"
    emulated.failing.add(first_page)
    emulated.organizations[0]["name"] = "changed, but on the page that failed"
    emulated.organizations[2]["locations"][0]["latitude"] = 50.8320
    partial = run(settings)
    assert partial.status == "partial"
    assert partial.errors == [f"{server.url(first_page)}: HTTP 500 Internal Server Error after 3 retries "
                              "[fetch.http-status-retried]"]
    # The failed page's records stay whole (their services too); the moved location is rewritten, nothing else.
    assert (partial.counts["updated"], partial.counts["removed"], partial.counts["unchanged"]) == (1, 0, 1)
    assert published(settings.data_dir, "SELECT DISTINCT ?v WHERE { ?o hub:offersService ?v }") == [
        f"{BASE}id/service/sante-services-svc-{n}" for n in (1, 2, 3)]
    assert "Maison médicale des Marolles" in published(settings.data_dir, "SELECT ?v WHERE { ?o schema:name ?v }")
    # The page reads again: its changed organisation is rewritten.
    emulated.failing.clear()
    whole = run(settings)
    assert (whole.status, whole.counts["updated"], whole.counts["removed"]) == ("succeeded", 1, 0), whole.errors


def test_the_api_root_and_its_endpoints() -> None:
    assert api("https://d.example/api") == api("https://d.example/api/organizations") == (
        "https://d.example/api", "organizations", {})
    assert api("https://d.example/api/services?search=sant%C3%A9&page=3") == ("https://d.example/api", "services",
                                                                             {"search": "santé"})


def test_the_specification_s_examples_give_through_the_api_what_its_csv_tables_give(tmp_path: Path) -> None:
    """The HSDS 3.0 examples (the specification's own, read only): the same organisation, service and location
    through the API as through the CSV tables and the shipped `hsds` mapping, with the same IRIs; the example's
    location (latitude 100, longitude 101) is rejected either way."""
    if not HSDS3.is_dir():
        pytest.skip(f"{HSDS3} is absent: this test needs ../shared/feeds next to the project")
    full = json.loads((HSDS3 / "examples_organization_full.json").read_text(encoding="utf-8"))
    emulated = HsdsApi([full])
    for server in serve(emulated.route):
        through_api = settings_for(tmp_path / "api", server, "hsds3")
        by_api = run(through_api)
    tables = tmp_path / "csv" / "tables"
    tables.mkdir(parents=True)
    for path in HSDS3.glob("examples_csv_*.csv"):
        shutil.copy(path, tables / path.name.removeprefix("examples_csv_"))
    (tmp_path / "csv" / "sources.toml").write_text(
        '[[source]]\nid = "hsds3"\nname = "HSDS examples"\nurl = "file:tables/"\nformat = "csv"\nmapping = "hsds"\n'
        'language = "en"\nlicense = "https://creativecommons.org/licenses/by-sa/4.0/"\npublisher = "Open Referral"\n'
        'contact = "mailto:info@openreferral.example"\n', encoding="utf-8")
    through_csv = Settings(tmp_path / "csv" / "sources.toml", tmp_path / "csv" / "data", BASE)
    by_csv = run(through_csv)
    assert by_api.counts["accepted"] >= 1 and by_csv.counts["accepted"] >= 1, (by_api.errors, by_csv.errors)
    assert not [w for w in by_api.warnings if "not mapped" in w], by_api.warnings  # every field read or ignored
    query = ("SELECT ?v WHERE { ?o a schema:Organization ; hub:offersService ?s . ?s schema:name ?n ; "
             "schema:provider ?o . BIND(CONCAT(STR(?o), ' ', STR(?s), ' ', STR(?n)) AS ?v) }")
    assert published(through_api.data_dir, query) == published(through_csv.data_dir, query) == [
        f"{BASE}id/organization/hsds3-organizations-d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610 "
        f"{BASE}id/service/hsds3-services-ac148810-d857-441c-9679-408f346de14b Community Counselling"]
    # The example's location, at latitude 100, is rejected either way.
    for settings in (through_api, through_csv):
        quarantined = json.dumps([json.loads(p.read_text(encoding="utf-8")) for p in
                                  (settings.data_dir / "private" / "quarantine" / "hsds3").glob("*.json")])
        assert "3a19ff88-4620-4d17-9830-ac1d859eb5d5" in quarantined
