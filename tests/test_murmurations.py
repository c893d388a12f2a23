"""Murmurations end to end, against loopback servers that answer as its index and its nodes' profile hosts do.

The emulation is written from the Murmurations protocol's public description (index_api-v2.md: `GET /v2/nodes`
by schema, numbered pages, `data`, `links`, `meta`, each node's `profile_url`, `status` posted or deleted,
`last_updated`) and the schemas of its library (organizations_schema-v1.0.0, people_schema-v0.1.0), with made-up
nodes: no node's data. The shipped `format = "murmurations"` entry harvests it: the index page by page, each profile
from its host through the guarded fetcher (each failing alone), checked against its declared schema, lifted; a
deleted node's record leaves; people are published only with a consent."""

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

from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.pipeline.harvest import RunSummary, harvest
from tests.conftest import BASE, ROOT, quiet
from tests.loopback import Answer, LoopbackServer, Request, serve
from tests.test_format_table import published

HUB = "https://w3id.org/mutualisons/ns#"
SCHEMA = "https://schema.org/"
ORGS = "organizations_schema-v1.0.0"
PEOPLE = "people_schema-v0.1.0"


def organisation(name: str, primary: str, lat: float, lon: float, tags: list[str], **extra: Any) -> dict[str, Any]:
    return {"linked_schemas": [ORGS], "name": name, "primary_url": primary, "tags": tags,
            "geolocation": {"lat": lat, "lon": lon}, "country_iso_3166": "BE", **extra}


PROFILES = {
    "/profiles/foodcoop.json": organisation(
        "Brussels Food Coop", "foodcoop.example", 50.8466, 4.3528, ["food", "cooperative"],
        description="Une coopérative alimentaire", mission="Manger local", starts_at=1_420_070_400,
        urls=[{"name": "Blog", "url": "https://blog.foodcoop.example"}],
        contact_details={"email": "hello@foodcoop.example", "contact_form": "https://foodcoop.example/contact"},
        status="active", relationships=[{"predicate_url": "https://schema.org/member",
                                         "object_url": "https://network.example"}]),
    "/profiles/repair.json": organisation("Repair Together", "repair.example", 50.8275, 4.3719, ["repair"],
                                          full_address="Rue de la Réparation 3, 1050 Ixelles"),
    "/profiles/garden.json": organisation("Jardin des Voisins", "garden.example", 50.8602, 4.3601,
                                          ["permaculture", "voisinage"], telephone="+32 2 000 00 03"),
    "/profiles/alex.json": {"linked_schemas": [PEOPLE], "name": "Alex Exemple", "primary_url": "alex.example",
                            "tags": ["permaculture"], "geolocation": {"lat": 50.85, "lon": 4.35}},
    "/profiles/sam.json": {"linked_schemas": [PEOPLE], "name": "Sam Exemple", "primary_url": "sam.example",
                           "tags": ["repair"], "contact_details": {"email": "sam@sam.example"},
                           "consent": {"public_listing": "2026-01-20"}},
}


@dataclass
class Murmurations:
    """The index (`/v2/nodes`, numbered pages, no ETags) and a profile host (`/profiles/…`, with ETags)."""

    nodes: list[dict[str, Any]]
    profiles: dict[str, dict[str, Any]]
    failing: set[str] = field(default_factory=set)
    served: list[str] = field(default_factory=list)
    url: str = ""

    def route(self, request: Request) -> Answer:
        parts = urlsplit(request.path)
        if parts.path in self.failing:
            return 500, {"Retry-After": "0"}, b"Internal Server Error"
        if parts.path == "/v2/nodes":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            page, size = int(query.get("page", "1")), int(query.get("page_size", "30"))
            found = [n for n in self.nodes if query.get("schema", "") in n["linked_schemas"]]
            pages = max(1, -(-len(found) // size))
            link = f"/v2/nodes?schema={query.get('schema', '')}&page_size={size}&page="
            body = {"data": found[(page - 1) * size:page * size],
                    "links": {"first": link + "1", "self": link + str(page), "last": link + str(pages),
                              **({"next": link + str(page + 1)} if page < pages else {})},
                    "meta": {"number_of_results": len(found), "total_pages": pages}}
            self.served.append(request.path)
            return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()
        profile = self.profiles.get(parts.path)
        if profile is None:
            return 404, {}, b"not found"
        data = json.dumps(profile).encode()
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        self.served.append(request.path)
        return 200, {"Content-Type": "application/json", "ETag": etag}, data


def node(server: LoopbackServer, path: str, profile: dict[str, Any], status: str = "posted",
         host: str | None = None) -> dict[str, Any]:
    """An index entry as the index gives it (index_api-v2.md, "Output")."""
    return {"profile_url": (host or server.url("/")).rstrip("/") + path, "primary_url": profile["primary_url"],
            "name": profile["name"], "last_updated": 1_760_000_000, "status": status, "tags": profile["tags"],
            "linked_schemas": profile["linked_schemas"], "locality": "Bruxelles", "country": "BE",
            "geolocation": profile.get("geolocation", {})}


# The entries a network copies into its sources.toml (docs/sources.md, "Murmurations"), pointed at the emulation
# (a page size of 2, so that the index has pages).
SOURCE = '''[[source]]
id = "{id}"
name = "Murmurations ({schema})"
url = "{url}"
format = "murmurations"
language = "fr"
license = "https://creativecommons.org/publicdomain/zero/1.0/"
publisher = "Murmurations"
contact = "mailto:index@murmurations.example"
trusted_hosts = ["{host}"]
{extra}
[source.paging]
page = "page"
size_param = "page_size"
size = 2
total = "meta.number_of_results"
records = "data"
'''


@pytest.fixture()
def network() -> Iterator[tuple[Murmurations, LoopbackServer]]:
    emulated = Murmurations([], {path: dict(p) for path, p in PROFILES.items()})
    for server in serve(emulated.route):
        emulated.nodes = [node(server, path, profile) for path, profile in emulated.profiles.items()]
        yield emulated, server


def settings_for(tmp_path: Path, server: LoopbackServer, schema: str = ORGS, extra: str = "",
                 source_id: str = "murmurations-orgs") -> Settings:
    (tmp_path / "sources.toml").write_text(SOURCE.format(
        id=source_id, schema=schema, url=server.url(f"/v2/nodes?schema={schema}"), host=server.hostport,
        extra=extra), encoding="utf-8")
    return Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)


def run(settings: Settings) -> RunSummary:
    return harvest(settings, progress=quiet).runs[0]


def _name(value: Any) -> str:
    return value if isinstance(value, str) else value[0]["@value"]


def test_the_index_and_each_profile_harvest_end_to_end(network: tuple[Murmurations, LoopbackServer],
                                                       tmp_path: Path) -> None:
    emulated, server = network
    settings = settings_for(tmp_path, server)
    first = run(settings)
    assert (first.status, first.counts["added"]) == ("succeeded", 3), first.errors
    # The index page by page, each page followed by its nodes' profiles.
    assert emulated.served == [f"/v2/nodes?schema={ORGS}&page=1&page_size=2", "/profiles/foodcoop.json",
                               "/profiles/repair.json", f"/v2/nodes?schema={ORGS}&page=2&page_size=2",
                               "/profiles/garden.json"]
    coop = f"{BASE}id/organization/murmurations-orgs-foodcoop.example"
    with TestClient(create_app(settings)) as client:
        features = client.get("/api/organizations", params={"format": "geojson"}).json()["features"]
        provenance = client.get("/api/provenance", params={"subject": coop, "predicate": SCHEMA + "name"}).json()
    coordinates = {_name(f["properties"]["name"]): f["geometry"]["coordinates"] for f in features}
    assert coordinates == {"Brussels Food Coop": pytest.approx([4.3528, 50.8466]),
                           "Repair Together": pytest.approx([4.3719, 50.8275]),
                           "Jardin des Voisins": pytest.approx([4.3601, 50.8602])}
    # Keyed by primary_url; the profile's URL kept as the platform's id; the profile is the record's document.
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{coop}> schema:identifier [ schema:propertyID "
                                        "'murmurations' ; schema:value ?v ] }") == [
        server.url("/profiles/foodcoop.json")]
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{coop}> schema:url|schema:sameAs ?v }}") == [
        "https://blog.foodcoop.example", "https://foodcoop.example"]
    assert provenance["statements"][0]["document"] == server.url("/profiles/foodcoop.json")
    # Tags: keywords, and themes through the shipped table; a date from Unix seconds; contacts the group's.
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{coop}> hub:theme ?v }}") == [
        HUB + "theme-food", HUB + "theme-social-economy"]
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{coop}> schema:keywords ?v }}") == [
        "cooperative", "food"]
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{coop}> schema:foundingDate ?v }}") == ["2015-01-01"]
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ <{coop}> schema:email ?v }}") == [
        "hello@foodcoop.example"]
    assert not [w for w in first.warnings if "not mapped" in w], first.warnings


def test_a_second_harvest_writes_nothing_a_changed_profile_one_record_and_a_deleted_node_leaves(
        network: tuple[Murmurations, LoopbackServer], tmp_path: Path) -> None:
    emulated, server = network
    settings = settings_for(tmp_path, server)
    assert run(settings).counts["added"] == 3
    served, asked = len(emulated.served), len(server.requests)
    again = run(settings)
    assert (again.status, again.counts["added"], again.counts["updated"], again.counts["removed"],
            again.counts["unchanged"]) == ("succeeded", 0, 0, 0, 3)
    # last_updated drives the run: the index says no profile changed, so none is even asked.
    assert [r.path for r in server.requests[asked:]] == [f"/v2/nodes?schema={ORGS}&page={n}&page_size=2"
                                                         for n in (1, 2)]
    # A profile changes and the index says so: that profile alone is asked again, and its record rewritten.
    emulated.profiles["/profiles/repair.json"]["name"] = "Repair Together asbl"
    emulated.nodes[1]["last_updated"] += 60
    asked = len(server.requests)
    changed = run(settings)
    assert (changed.counts["added"], changed.counts["updated"], changed.counts["removed"],
            changed.counts["unchanged"]) == (0, 1, 0, 2)
    assert [r.path for r in server.requests[asked:] if r.path.startswith("/profiles/")] == ["/profiles/repair.json"]
    # The index says the garden's node is deleted: its profile is not asked, its record leaves (a tombstone).
    emulated.nodes[2]["status"] = "deleted"
    del emulated.profiles["/profiles/garden.json"]
    gone = run(settings)
    assert (gone.status, gone.counts["removed"], gone.counts["unchanged"]) == ("succeeded", 1, 2), gone.errors
    assert "/profiles/garden.json" not in emulated.served[served:]
    assert published(settings.data_dir, "SELECT ?v WHERE { ?o a schema:Organization ; schema:name ?v }") == [
        "Brussels Food Coop", "Repair Together asbl"]
    assert published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?m { ?t a hub:Tombstone ; hub:recordSubject ?v } }"
                     ) == [f"{BASE}id/organization/murmurations-orgs-garden.example"]


def test_each_profile_fails_alone_its_host_checked_like_any_feed(network: tuple[Murmurations, LoopbackServer],
                                                                  tmp_path: Path) -> None:
    emulated, server = network
    settings = settings_for(tmp_path, server)
    assert run(settings).counts["added"] == 3
    # The food coop's host answers 500; the repair profile loses its name (invalid for its schema); a new node keeps
    # its profile on another host, which the source does not trust (a private address, here the loopback).
    emulated.failing.add("/profiles/foodcoop.json")
    emulated.profiles["/profiles/repair.json"].pop("name")
    for changed in emulated.nodes[:2]:
        changed["last_updated"] += 60  # the index says both changed
    for other in serve(lambda request: (200, {"Content-Type": "application/json"}, b"{}")):
        stranger = node(server, "/profiles/stranger.json", PROFILES["/profiles/garden.json"], host=other.url("/"))
        emulated.nodes.append(stranger)
        second = run(settings)
        assert other.requests == []  # refused before any connection
    assert second.status == "partial"
    errors = "\n".join(second.errors)
    assert f"{server.url('/profiles/foodcoop.json')}: HTTP 500 Internal Server Error after 3 retries" in errors
    assert (f"{server.url('/profiles/repair.json')}: murmurations: not a valid organizations_schema-v1.x profile: "
            "name is required and missing") in errors
    assert stranger["profile_url"] in errors and "trusted_hosts" in errors
    # Every record stays as it was published.
    assert published(settings.data_dir, "SELECT ?v WHERE { ?o a schema:Organization ; schema:name ?v }") == [
        "Brussels Food Coop", "Jardin des Voisins", "Repair Together"]


def test_people_are_published_only_with_a_consent(network: tuple[Murmurations, LoopbackServer],
                                                  tmp_path: Path) -> None:
    _, server = network
    # The shipped mapping: a Murmurations profile carries no consent, so no person is published.
    settings = settings_for(tmp_path, server, PEOPLE, source_id="murmurations-people")
    shipped = run(settings)
    assert shipped.counts["added"] == 0
    assert published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?g { ?s ?p ?v } FILTER(CONTAINS(STR(?v), "
                                        "'Exemple')) }") == []
    # A network whose profiles carry a dated consent maps it in its copy of the shipped mapping.
    own = (ROOT / "harvesters" / "mappings" / "murmurations.toml").read_text(encoding="utf-8").replace(
        '[tables.people.constants]\n',
        '[tables.people.constants]\n"hub:consent/hub:consentScope" = { iri = "hub:scope-public-listing" }\n').replace(
        '[tables.people.fields]\n',
        '[tables.people.fields]\n"consent.public_listing" = { property = "hub:consent/dcterms:date", '
        'transforms = ["date"] }\n')
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "people.toml").write_text(own, encoding="utf-8")
    settings = settings_for(tmp_path / "own", server, PEOPLE, extra='mapping = "people.toml"\n',
                            source_id="murmurations-people")
    consented = run(settings)
    assert consented.counts["added"] == 1, (consented.counts, consented.warnings, consented.errors)
    assert published(settings.data_dir, "SELECT ?v WHERE { ?p a schema:Person ; schema:name ?v }") == ["Sam Exemple"]
    assert published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?g { ?s ?p ?v } FILTER(CONTAINS(STR(?v), "
                                        "'Alex')) }") == []
