"""Declarative mappings: parsing errors, transforms, concepts, stable keys, refs between tables, CLI suggest."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from harvesters.mapping import MappingError, RowError, RowReport, load_mapping, parse_mapping, shipped_mapping
from tests.conftest import BASE, ROOT
from tests.mapped_helpers import SCHEMA, context, values

THEME = "https://w3id.org/mutualisons/ns#theme-"


def mapping(**extra: object) -> dict[str, object]:
    return {"type": "schema:Organization", "key": "id", "fields": {"nom": {"property": "schema:name", "lang": "fr"}},
            **extra}


def test_transforms_concepts_and_fallback() -> None:
    table = parse_mapping(mapping(fields={
        "nom": {"property": "schema:name", "lang": "fr"},
        "themes": {"property": "hub:theme", "split": ";", "transforms": ["trim", "lower"],
                   "concepts": {"potager": "theme:gardens-compost"}, "fallback": "schema:keywords"},
        "cp": {"property": "schema:address/schema:postalCode", "transforms": ["trim"]},
        "ville": {"property": "schema:address/schema:addressLocality"},
        "pays": {"property": "schema:address/schema:addressCountry", "transforms": ["country"]},
        "depuis": {"property": "schema:foundingDate", "transforms": ["date"]},
        "membres": {"property": "schema:numberOfEmployees", "transforms": ["integer"]},
    }), "test").tables["rows"]
    report = RowReport("file:feed")
    quads = table.lift_row({"id": "7", "nom": "Le Potager", "themes": " Potager ; Vélo;", "cp": " 1060 ",
                            "ville": "Saint-Gilles", "pays": "Belgique", "depuis": "03/02/2019", "membres": "12"},
                           context(), report)
    subject = NamedNode(f"{BASE}id/organization/demo-7")
    assert Literal("Le Potager", language="fr") in [q.object for q in quads if q.subject == subject]
    assert values(quads, "https://w3id.org/mutualisons/ns#theme") == [THEME + "gardens-compost"]
    assert values(quads, SCHEMA + "keywords") == ["Vélo".lower()]  # no concept: kept as a keyword and reported
    assert values(quads, SCHEMA + "postalCode") == ["1060"] and values(quads, SCHEMA + "addressCountry") == ["BE"]
    assert values(quads, SCHEMA + "foundingDate") == ["2019-02-03"]
    assert any("'vélo'" in w and "no concept" in w for w in report.warnings())
    # One address node for the row, typed.
    assert len(values(quads, SCHEMA + "address")) == 1
    assert values(quads, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type").count(SCHEMA + "PostalAddress") == 1


def test_stable_key_gives_the_same_iri_across_harvests_and_missing_key_fails_the_row() -> None:
    table = parse_mapping(mapping(), "test").tables["rows"]
    first = table.lift_row({"id": "a1", "nom": "X"}, context(), RowReport("d"))
    second = table.lift_row({"id": "a1", "nom": "X renamed"}, context(), RowReport("d"))
    assert first[0].subject == second[0].subject == NamedNode(f"{BASE}id/organization/demo-a1")
    with pytest.raises(RowError, match="no value in the key field 'id'"):
        table.lift_row({"id": " ", "nom": "Y"}, context(), RowReport("d"))


def test_unmapped_fields_are_reported_with_a_typo_hint_and_aliases_absorb_typos() -> None:
    table = parse_mapping(mapping(fields={"nom": {"property": "schema:name", "also": ["nmo"]},
                                          "latitude": {"property": "schema:geo/schema:latitude"}},
                                  ignore=["_version"]), "test").tables["rows"]
    report = RowReport("file:feed", known_fields=sorted(table.rules))
    quads = table.lift_row({"id": "1", "nmo": "Typo name", "lattitude": "x", "_version": "3", "autre": "z"},
                           context(), report)
    assert values(quads, SCHEMA + "name") == ["Typo name"]
    warnings = "\n".join(report.warnings())
    assert "'lattitude'" in warnings and "a typo of 'latitude'" in warnings
    assert "'autre'" in warnings and "_version" not in warnings


def test_swapped_latitude_and_longitude_fields_fail_the_row() -> None:
    table = parse_mapping(mapping(fields={
        "lat": {"property": "schema:geo/schema:latitude", "transforms": ["number"]},
        "lon": {"property": "schema:geo/schema:longitude", "transforms": ["number"]}}), "test").tables["rows"]
    ok = table.lift_row({"id": "1", "lat": "50,85", "lon": "4.35"}, context(), RowReport("d"))
    assert values(ok, SCHEMA + "latitude") == ["50.85"]
    with pytest.raises(RowError, match=r"look like \[lat, lon\]"):
        table.lift_row({"id": "2", "lat": "4.35", "lon": "50.85"}, context(), RowReport("d"))


def test_refs_link_rows_of_other_tables_to_their_minted_iris() -> None:
    parsed = parse_mapping({"tables": {
        "organizations": {"type": "schema:Organization", "key": "id", "fields": {"name": "schema:name"}},
        "services": {"type": "schema:Service", "key": "id", "fields": {
            "name": "schema:name",
            "organization_id": {"ref": "organizations.id", "property": "schema:provider",
                                "inverse": "hub:offersService"}}},
    }}, "test")
    quads = parsed.tables["services"].lift_row({"id": "s1", "name": "Aide", "organization_id": "o1"}, context(),
                                               RowReport("d"))
    org = NamedNode(f"{BASE}id/organization/demo-organizations-o1")
    service = NamedNode(f"{BASE}id/service/demo-services-s1")
    assert values(quads, SCHEMA + "provider", service) == [org.value]
    assert values(quads, "https://w3id.org/mutualisons/ns#offersService", org) == [service.value]


@pytest.mark.parametrize(("document", "message"), [
    ({"key": "id"}, "needs a `type`"),
    ({"type": "schema:Thing", "fields": {"a": {"property": "nope:x"}}}, "neither an IRI nor a prefixed name"),
    ({"type": "schema:Thing", "fields": {"a": {"property": "schema:x", "transforms": ["lowercase"]}}},
     "did you mean 'lower'"),
    ({"type": "schema:Thing", "fields": {"a": {"propety": "schema:x"}}}, "did you mean 'property'"),
    ({"tables": {"s": {"type": "schema:Thing", "fields": {"o": {"ref": "orgs.id", "property": "schema:x"}}}}},
     "no table 'orgs'"),
    ({"tables": {"o": {"type": "schema:Thing", "key": "id"},
                 "s": {"type": "schema:Thing", "fields": {"o": {"ref": "o.code", "property": "schema:x"}}}}},
     "'code' is not the key of table 'o'"),
])
def test_bad_mappings_are_refused_with_the_place_and_the_reason(document: dict[str, object], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mapping(document, "bad.toml")


def test_the_shipped_hsds_mapping_and_the_examples_load() -> None:
    hsds = load_mapping(shipped_mapping("hsds"))
    assert {"organizations", "services", "locations", "phones", "schedules"} <= set(hsds.tables)
    assert hsds.table_for("file:x/all_resources_services_at_location.csv").name == "service_at_location"  # type: ignore[union-attr]
    for path in (ROOT / "examples" / "mappings").glob("*.toml"):
        load_mapping(path)


def test_a_missing_mapping_is_a_config_error_pointing_to_suggest(tmp_path: Path) -> None:
    from hub.core.config import ConfigError, load_sources

    toml = tmp_path / "sources.toml"
    toml.write_text('[[source]]\nid = "x"\nname = "X"\nurl = "file:x.csv"\nformat = "csv"\n'
                    'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "P"\n'
                    'contact = "mailto:a@b.example"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping suggest"):
        load_sources(toml)


def test_cli_suggest_prints_a_mapping_that_loads(tmp_path: Path) -> None:
    feed = tmp_path / "lieux.csv"
    feed.write_text("identifiant;naam;breedtegraad;lengtegraad;site web;catégories\n"
                    "1;De Moestuin;50.85;4.35;https://moestuin.example;tuin|compost\n"
                    "2;Het Fietsatelier;50.84;4.36;https://fiets.example;fiets\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "hub.cli", "mapping", "suggest", str(feed)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "lieux.toml"
    out.write_text(result.stdout, encoding="utf-8")
    suggested = load_mapping(out).tables["rows"]
    assert suggested.key == "identifiant"
    assert suggested.rules["naam"].lang == "nl" or suggested.rules["naam"].path[0].value == SCHEMA + "name"
    assert suggested.rules["breedtegraad"].path[-1].value == SCHEMA + "latitude"
    assert "2/2 rows (100%)" in result.stdout
    missing = subprocess.run([sys.executable, "-m", "hub.cli", "mapping", "suggest", str(tmp_path / "none.csv")],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_suggest_for_a_calendar_gives_a_loadable_mapping() -> None:
    from harvesters.suggest import suggest_mapping

    text = suggest_mapping(ROOT / "examples" / "feeds" / "agenda-alternatives.ics")
    parsed = parse_mapping(tomllib.loads(text), "suggested")
    assert parsed.tables["rows"].key == "UID" and parsed.calendar["timezone"] == "Europe/Brussels"


def test_requires_lifts_a_field_only_beside_another_and_nodes_type_what_a_path_creates() -> None:
    table = parse_mapping(mapping(fields={
        "nom": {"property": "schema:name", "lang": "fr"},
        "contact": "schema:contactPoint/schema:name",
        "stamp": {"property": "schema:contactPoint/hub:consent/dcterms:date", "transforms": ["date"],
                  "requires": ["contact"]}},
        nodes={"schema:contactPoint": ["schema:ContactPoint", "schema:Person"]}), "test").tables["rows"]
    named = table.lift_row({"id": "1", "nom": "A", "contact": "Marie Dupont", "stamp": "02/03/2025 10:15:00"},
                           context(), RowReport("d"))
    assert values(named, "http://purl.org/dc/terms/date") == ["2025-03-02T10:15:00"]
    types = values(named, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert SCHEMA + "Person" in types and SCHEMA + "ContactPoint" in types
    assert "https://w3id.org/mutualisons/ns#Consent" in types  # the consent node is typed as the vocabulary says
    alone = table.lift_row({"id": "2", "nom": "B", "contact": "", "stamp": "02/03/2025 10:15:00"}, context(),
                           RowReport("d"))
    assert not values(alone, "http://purl.org/dc/terms/date") and not values(alone, SCHEMA + "contactPoint")
    with pytest.raises(MappingError, match="requires 'contatc', which is not a mapped field"):
        parse_mapping(mapping(fields={"nom": "schema:name", "x": {"property": "schema:email",
                                                                  "requires": "contatc"}}), "test")
    with pytest.raises(MappingError, match=r"\[mapping.nodes\]"):
        parse_mapping(mapping(nodes="schema:Person"), "test")
