"""Consent on every path in: a node is a person for the consent rule typed or not (hub/charter/personhood.py).

Through `validate`'s code path (check_fetched) and through a real harvest read back from the published store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from hub.charter.personhood import organisation_marks, why_a_person
from hub.core.config import Settings
from hub.core.namespaces import HUB, SCHEMA, VCARD
from hub.core.vocabulary import default_vocabulary
from hub.pipeline.harvest import harvest
from hub.store.reader import PublishedReader
from tests.conftest import BASE, quiet
from tests.test_consent_alignment import check_text, only_verdict

PREFIXES = """@prefix schema: <https://schema.org/> .
@prefix hub: <https://w3id.org/mutualisons/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
CONSENT = ' ; hub:consent [ hub:consentScope hub:scope-public-listing ; dcterms:date "2025-01-01"^^xsd:date ]'


def organisation(iri: str, nested: str) -> str:
    return f"""<{iri}> a schema:Organization ; schema:name "Atelier"@fr ;
    schema:address [ a schema:PostalAddress ; schema:streetAddress "Rue Haute 10" ; schema:postalCode "1000" ] ;
    schema:geo [ a schema:GeoCoordinates ; schema:latitude 50.8405 ; schema:longitude 4.3490 ] ;
    {nested} .
"""


def checked(nested: str) -> tuple[list[str], list[str]]:
    """(the record's lines, the document's warnings) of one organisation with `nested` inside."""
    report = check_text(PREFIXES + organisation("https://net.example/org", nested), "text/turtle")
    verdict = only_verdict(report)
    assert verdict.accepted, [r.private() for r in verdict.results]
    return verdict.record.triples, report.warnings


def removed(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "removed a nested person" in w and "[consent.nested-person]" in w]


def test_an_untyped_employee_without_consent_is_removed_with_a_warning() -> None:
    lines, warnings = checked('schema:employee [ schema:name "Ana Lopes" ; schema:telephone "+32 2 555 01 01" ]')
    assert not [line for line in lines if "Ana Lopes" in line or "555 01 01" in line or "employee" in line]
    [warning] = removed(warnings)
    assert "schema:employee" in warning and "untyped" in warning and "Ana Lopes" not in warning


def test_an_untyped_employee_with_consent_stays_as_a_person() -> None:
    lines, warnings = checked('schema:employee [ schema:name "Ana Lopes" ; schema:telephone "+32 2 555 01 01"'
                              + CONSENT + " ]")
    assert not removed(warnings)
    [name] = [line for line in lines if "Ana Lopes" in line]
    node = name.split(" ", 1)[0]
    assert f"{node} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SCHEMA}Person> ." in lines
    assert any(line.startswith(f"{node} <{HUB}consent>") for line in lines)


def test_an_untyped_member_with_an_organisations_marks_stays_an_organisation() -> None:
    for member in ('[ schema:name "Les Amis du Parc asbl" ]', '[ schema:name "Potager" ; schema:vatID "BE0123456789" ]',
                   '[ schema:name "Potager" ; schema:identifier "0123.456.789" ]',
                   '[ schema:name "Potager" ; schema:url <https://potager.example/> ; '
                   'schema:address [ schema:postalCode "1000" ] ]', '[ schema:name "Vereniging De Moestuin" ]'):
        lines, warnings = checked(f"schema:member {member}")
        assert not removed(warnings), member
        assert any("/member>" in line for line in lines), member
        assert not any(f"<{SCHEMA}Person>" in line for line in lines), member


def test_an_untyped_member_founder_or_author_without_marks_is_a_person() -> None:
    for prop in ("member", "founder", "author", "organizer"):
        lines, warnings = checked(f'schema:{prop} [ schema:name "Marc Peeters" ; schema:email "marc@mail.example" ]')
        assert not [line for line in lines if "Peeters" in line or "marc@" in line], prop
        [warning] = removed(warnings)
        assert f"schema:{prop}" in warning and "without an organisation's marks" in warning


def test_a_typed_organisation_under_member_is_judged_by_its_type() -> None:
    report = check_text(PREFIXES + organisation("https://net.example/org", 'schema:member [ a schema:Organization ; '
                                                'schema:name "Marc Peeters"@fr ]'), "text/turtle")
    assert not removed(report.warnings)
    assert any("Marc Peeters" in line for verdict in report.verdicts for line in verdict.record.triples)


def test_contact_points_naming_someone_are_persons_and_a_bare_phone_line_is_not() -> None:
    lines, warnings = checked('schema:contactPoint [ a schema:ContactPoint ; schema:givenName "Lea" ; '
                              'schema:familyName "Maes" ; schema:telephone "+32 2 555 03 03" ], '
                              '[ schema:name "Lea Maes" ; schema:email "lea@mail.example" ], '
                              '[ a schema:ContactPoint ; schema:telephone "+32 2 000 00 00" ; '
                              'schema:contactType "accueil" ], '
                              '[ a schema:ContactPoint ; schema:name "Service accueil" ; schema:telephone "+32 2 1" ]')
    assert not [line for line in lines if "Maes" in line or "Lea" in line or "555 03 03" in line]
    assert len(removed(warnings)) == 2
    assert any("+32 2 000 00 00" in line for line in lines) and any("Service accueil" in line for line in lines)


def test_a_person_property_anywhere_and_a_vcard_individual_kind_make_a_person() -> None:
    lines, warnings = checked('schema:knowsAbout [ schema:givenName "Tom" ; schema:familyName "Claes" ] ;\n'
                              '    schema:subjectOf [ vcard:kind "individual" ; vcard:fn "Eva Janssens" ]')
    assert not [line for line in lines if "Claes" in line or "Janssens" in line]
    assert len(removed(warnings)) == 2


def test_the_rule_one_place() -> None:
    hierarchy = default_vocabulary().hierarchy
    node, org = BlankNode(), NamedNode("https://net.example/org")
    employee = Quad(org, NamedNode(SCHEMA + "employee"), node)
    named = [Quad(node, NamedNode(SCHEMA + "name"), Literal("Ana Lopes"))]
    assert why_a_person("_:x", named, [], [employee], hierarchy) is not None
    # Typed as something that is no person (a role of the Role pattern): judged by its type.
    assert why_a_person("_:x", named, [SCHEMA + "EmployeeRole"], [employee], hierarchy) is None
    assert why_a_person("_:x", named, [VCARD + "Individual"], [], hierarchy) == "typed as a person"
    assert organisation_marks([Quad(node, NamedNode(SCHEMA + "name"), Literal("Sa Nguyen"))], [], hierarchy) == []
    assert organisation_marks([Quad(node, NamedNode(SCHEMA + "name"), Literal("Brico SA"))], [], hierarchy) != []
    assert organisation_marks([Quad(node, NamedNode(SCHEMA + "legalName"), Literal("X"))], [],
                              hierarchy) == ["schema:legalName"]


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[str], str]:
    folder = tmp_path_factory.mktemp("personhood")
    (folder / "feeds").mkdir()
    body = PREFIXES + organisation(
        "https://net.example/a", 'schema:employee [ schema:name "Ana Lopes" ; schema:telephone "+32 2 555 01 01" ] ;'
        '\n    schema:member [ schema:name "Les Amis du Parc asbl" ]') + organisation(
        "https://net.example/b", 'schema:employee [ schema:name "Bram Wouters" ; schema:telephone "+32 2 555 02 02"'
        + CONSENT + " ]")
    (folder / "feeds" / "net.ttl").write_text(body, encoding="utf-8")
    toml = folder / "sources.toml"
    toml.write_text('[[source]]\nid = "net"\nname = "Net"\nurl = "file:feeds/net.ttl"\nformat = "turtle"\n'
                    'language = "fr"\nlicense = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Net"\n'
                    'contact = "mailto:net@net.example"\n', encoding="utf-8")
    settings = Settings(toml, folder / "data", BASE)
    [run] = harvest(settings, progress=quiet).runs
    dump = PublishedReader(settings).published().store.dump_nquads().decode("utf-8")
    return settings, run.warnings, dump


def test_a_harvest_removes_the_untyped_employee_without_consent(harvested: tuple[Settings, list[str], str]) -> None:
    _, warnings, store = harvested
    assert "Ana Lopes" not in store and "555 01 01" not in store
    assert [w for w in removed(warnings) if w.startswith("https://net.example/a") and "schema:employee" in w]
    assert "Les Amis du Parc asbl" in store  # the member with an organisation's marks stays


def test_a_harvest_keeps_the_consenting_employee_as_a_person(harvested: tuple[Settings, list[str], str]) -> None:
    settings, _, _ = harvested
    rows = PublishedReader(settings).published().store.select(
        "PREFIX schema: <https://schema.org/> PREFIX hub: <https://w3id.org/mutualisons/ns#> "
        "SELECT ?name ?scope WHERE { GRAPH ?g { ?org schema:employee ?p . ?p a schema:Person ; schema:name ?name ; "
        "hub:consent/hub:consentScope ?scope } }")
    assert [(r["name"].value, r["scope"].value) for r in rows] == [("Bram Wouters", HUB + "scope-public-listing")]


def test_the_gate_finds_untyped_persons_without_parsing() -> None:
    from hub.charter.consent import mentions_persons

    employee = f"<https://o.example/a> <{SCHEMA}employee> _:b0 .\n_:b0 <{SCHEMA}name> \"A\" .\n".encode()
    described = (f"<https://o.example/a> <{SCHEMA}member> <https://o.example/p> .\n"
                 f"<https://o.example/p> <{SCHEMA}name> \"P\" .\n").encode()
    reference = f"<https://o.example/a> <{SCHEMA}member> <https://o.example/elsewhere> .\n".encode()
    assert mentions_persons(employee) and mentions_persons(described)
    assert not mentions_persons(reference)  # an IRI the document does not describe holds nobody's data here


def test_documents_without_persons_keep_their_records(tmp_path: Path) -> None:
    lines, warnings = checked('schema:contactPoint [ a schema:ContactPoint ; schema:email "info@atelier.example" ]')
    assert not removed(warnings) and any("info@atelier.example" in line for line in lines)


def test_a_persons_name_given_as_text_goes_and_an_organisations_stays() -> None:
    lines, warnings = checked('schema:employee "Ana Lopes" ; schema:founder "Jean Dupont" ; '
                              'schema:member "Collectif Santé Solidaire", "Les Amis du Parc asbl"')
    assert not [line for line in lines if "Ana Lopes" in line or "Jean Dupont" in line]
    assert sum(1 for line in lines if "Collectif Santé Solidaire" in line or "Les Amis du Parc asbl" in line) == 2
    text = [w for w in warnings if "[consent.person-as-text]" in w]
    assert len(text) == 2 and any("schema:employee" in w for w in text) and not any("Ana" in w for w in text)
