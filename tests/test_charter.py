"""The charter, constraint by constraint: for every constraint of every shape, a conforming and a
violating record, with the exact shape and constraint component reported, its severity, and its
message in French, Dutch and English exactly as the shape says it.

Every record lives in one document validated once (validation is per batch, verdicts per record),
so the ~120 cases cost one pyshacl run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest
import rdflib
import rdflib.collection
from rdflib.namespace import SH

from hub.charter.messages import render
from hub.charter.validation import Charter
from hub.core.iris import Minter
from hub.pipeline.check import CheckReport, check_fetched
from hub.pipeline.fetch import Fetched, now_iso
from tests.conftest import BASE

HUBSH = "https://w3id.org/mutualisons/shapes#"
PREFIXES = """@prefix schema: <https://schema.org/> .
@prefix hub: <https://w3id.org/mutualisons/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""
DFC_TOMATO = "https://github.com/datafoodconsortium/taxonomies/releases/latest/download/productTypes.rdf#tomato"
CONSENT = 'hub:consent [ hub:consentScope hub:scope-public-listing ; dcterms:date "2026-01-01"^^xsd:date ] ;'
# One valid record per kind: the conforming example of every constraint of its shapes. One statement a
# line, so that a case can drop, replace or add a line.
BASES: dict[str, list[str]] = {
    "org": ["a schema:Organization ;", 'schema:name "Org"@fr ;', "schema:url <https://org.example/> ;",
            'schema:email "info@org.example" ;', "hub:theme hub:theme-food ;", "hub:legalForm hub:legal-form-asbl ;",
            "hub:audience hub:audience-children ;",
            'schema:address [ a schema:PostalAddress ; schema:postalCode "1000" ] ;',
            "schema:geo [ a schema:GeoCoordinates ; schema:latitude 50.85 ; schema:longitude 4.35 ] ;"],
    "space": ["a hub:AvailableSpace ;", 'schema:name "Salle"@fr ;', "schema:maximumAttendeeCapacity 40 ;",
              'schema:address [ a schema:PostalAddress ; schema:postalCode "1060" ] ;'],
    "good": ["a hub:GoodAddress ;", 'schema:name "Imprimerie"@fr ;', 'schema:description "Pas chère."@fr ;',
             'schema:address [ a schema:PostalAddress ; schema:addressCountry "BE" ] ;'],
    "event": ["a schema:Event ;", 'schema:name "Fête"@fr ;',
              'schema:startDate "2027-01-01T10:00:00+01:00"^^xsd:dateTime ;',
              'schema:endDate "2027-01-01T12:00:00+01:00"^^xsd:dateTime ;',
              "schema:location <https://place.example/p> ;", "schema:organizer <https://org.example/o> ;",
              "schema:url <https://event.example/> ;"],
    "resource": ["a schema:DigitalDocument ;", 'schema:name "Modèle de PV"@fr ;',
                 "schema:license <https://creativecommons.org/licenses/by/4.0/> ;",
                 "hub:toolboxCategory hub:toolbox-meetings ;", "schema:url <https://doc.example/pv> ;"],
    "knowledge": ["a hub:Experience ;", 'schema:name "Ce que nous avons appris"@fr ;',
                  'schema:description "Un récit."@fr ;', "schema:license <https://creativecommons.org/licenses/by/4.0/> ;",
                  "schema:author <https://org.example/o> ;", 'schema:dateCreated "2026-01-01"^^xsd:date ;'],
    "publication": ["a hub:Publication ;", 'schema:name "Étude"@fr ;',
                    "schema:license <https://creativecommons.org/licenses/by/4.0/> ;",
                    "schema:author <https://org.example/o> ;", 'schema:datePublished "2025"^^xsd:gYear ;',
                    "schema:url <https://pub.example/etude> ;"],
    "funding": ["a hub:Subsidy ;", 'schema:name "Appel à projets"@fr ;', "schema:funder <https://org.example/o> ;",
                "schema:url <https://fund.example/appel> ;", 'hub:applicationDeadline "2027-03-31"^^xsd:date ;',
                'hub:eligibility "Les asbl."@fr ;'],
    "person": ["a schema:Person ;", 'schema:name "Alex"@fr ;', 'schema:email "alex@mail.example" ;',
               "hub:contactRole hub:role-expert ;", CONSENT],
    "practitioner": ["a hub:HealthPractitioner ;", 'schema:name "Dr Alex"@fr ;', 'schema:jobTitle "Médecin"@fr ;',
                     'hub:informationSource "La praticienne."@fr ;', 'hub:experience "Dix ans."@fr ;',
                     'hub:socialPurpose "Soigner tout le monde."@fr ;', 'hub:costOfServices "Gratuit."@fr ;',
                     "hub:audience hub:audience-precarity ;",
                     'schema:openingHoursSpecification [ schema:dayOfWeek schema:Monday ; '
                     'schema:opens "09:00:00"^^xsd:time ; schema:closes "12:00:00"^^xsd:time ] ;', CONSENT],
    "recommendation": ["a hub:Recommendation ;", "hub:recommends <https://health.example/dr> ;",
                       "hub:recommender <https://health.example/nurse> ;",
                       'hub:recommenderProfession "Infirmière"@fr ;', 'schema:dateCreated "2026-01-01"^^xsd:date ;'],
    "product": ["a hub:Product ;", 'schema:name "Tomates cerises"@fr ;', "hub:suppliedBy <https://org.example/o> ;",
                f"schema:category <{DFC_TOMATO}> ;"],
}

Mutation = Callable[[list[str]], list[str]]


def drop(token: str) -> Mutation:
    return lambda lines: [line for line in lines if token not in line]


def replace(old: str, new: str) -> Mutation:
    def apply(lines: list[str]) -> list[str]:
        assert any(old in line for line in lines), old
        return [line.replace(old, new) for line in lines]
    return apply


def add(*extra: str) -> Mutation:
    return lambda lines: lines + list(extra)


@dataclass
class Case:
    shape: str  # local name in hubsh:
    component: str  # without "ConstraintComponent"
    base: str
    mutation: Mutation


GEO = "schema:geo [ a schema:GeoCoordinates ; schema:latitude 50.85 ; schema:longitude 4.35 ] ;"
HOURS = ('schema:openingHoursSpecification [ schema:dayOfWeek schema:Monday ; schema:opens "09:00:00"^^xsd:time ; '
         'schema:closes "12:00:00"^^xsd:time ] ;')


def geo(lat: str, lon: str) -> Mutation:
    return replace(GEO, f"schema:geo [ a schema:GeoCoordinates ; {lat} {lon} ] ;")


def hours(inner: str) -> Mutation:
    return replace(HOURS, f"schema:openingHoursSpecification [ {inner} ] ;")


def consent(inner: str) -> Mutation:
    return replace(CONSENT, f"hub:consent [ {inner} ] ;")


OK_HOURS = 'schema:dayOfWeek schema:Monday ; schema:opens "09:00:00"^^xsd:time ; schema:closes "12:00:00"^^xsd:time'
SCOPE = "hub:consentScope hub:scope-public-listing"
DATE = 'dcterms:date "2026-01-01"^^xsd:date'
CASES: list[Case] = [
    # organisations and places
    Case("OrganizationShape-name", "MinCount", "org", drop("schema:name")),
    Case("OrganizationShape-nameLanguage", "Datatype", "org", replace('"Org"@fr', '"Org"')),
    Case("OrganizationShape-address", "MaxCount", "org", add(*(
        f'schema:address [ schema:postalCode "10{n}0" ] ;' for n in range(3)))),
    Case("OrganizationShape-address", "Node", "org", replace('"1000"', '"1000", "1050"')),
    Case("PostalAddressShape-postalCode", "MaxCount", "org", replace('"1000"', '"1000", "1050"')),
    Case("OrganizationShape-geo", "MaxCount", "org", add(GEO.replace("50.85", "50.86"))),
    Case("OrganizationShape-geo", "Node", "org", geo('schema:latitude "north" ;', "schema:longitude 4.35")),
    Case("GeoCoordinatesShape-latitude", "MinCount", "org", geo("", "schema:longitude 4.35")),
    Case("GeoCoordinatesShape-latitude", "MaxCount", "org", geo("schema:latitude 50.85, 50.86 ;", "schema:longitude 4.35")),
    Case("GeoCoordinatesShape-latitude", "Datatype", "org", geo('schema:latitude "north" ;', "schema:longitude 4.35")),
    Case("GeoCoordinatesShape-longitude", "MinCount", "org", geo("schema:latitude 50.85", "")),
    Case("GeoCoordinatesShape-longitude", "MaxCount", "org", geo("schema:latitude 50.85 ;", "schema:longitude 4.35, 4.36")),
    Case("GeoCoordinatesShape-longitude", "Datatype", "org", geo("schema:latitude 50.85 ;", 'schema:longitude "east"')),
    Case("OrganizationShape-latitude", "MaxCount", "org", add("schema:latitude 50.85, 50.86 ;")),
    Case("OrganizationShape-latitude", "Datatype", "org", add('schema:latitude "north" ;')),
    Case("OrganizationShape-longitude", "MaxCount", "org", add("schema:longitude 4.35, 4.36 ;")),
    Case("OrganizationShape-longitude", "Datatype", "org", add('schema:longitude "east" ;')),
    # the service area (the default profile: Belgium)
    Case("OrganizationShape-inServiceArea", "SPARQL", "org", geo("schema:latitude 50.7753 ;", "schema:longitude 6.0839")),
    Case("OrganizationShape-addressInArea", "SPARQL", "org", lambda lines: replace(
        '"1000"', '"75011"')(drop("schema:geo")(lines))),
    Case("OrganizationShape-unlocated", "MinCount", "org", lambda lines: [
        line for line in lines if "schema:geo" not in line and "schema:address" not in line]),
    Case("OrganizationShape-url", "Pattern", "org", replace("<https://org.example/>", '"www.org.example"')),
    Case("OrganizationShape-email", "Pattern", "org", replace('"info@org.example"', '"info at org"')),
    Case("OrganizationShape-themeScheme", "SPARQL", "org", replace("hub:theme-food", "hub:audience-children")),
    Case("OrganizationShape-legalFormScheme", "SPARQL", "org", replace("hub:legal-form-asbl", "hub:theme-food")),
    Case("OrganizationShape-audienceScheme", "SPARQL", "org", replace("hub:audience hub:audience-children",
                                                                      "hub:audience hub:theme-food")),
    Case("AvailableSpaceShape-capacity", "MinCount", "space", drop("Capacity")),
    Case("AvailableSpaceShape-capacity", "MaxCount", "space", replace("Capacity 40", "Capacity 40, 50")),
    Case("AvailableSpaceShape-capacity", "Datatype", "space", replace("Capacity 40", 'Capacity "quarante"')),
    Case("AvailableSpaceShape-capacity", "MinInclusive", "space", replace("Capacity 40", "Capacity 0")),
    Case("GoodAddressShape-description", "MinCount", "good", drop("description")),
    # the health directory
    Case("PractitionerShape-profession", "MinCount", "practitioner", drop("jobTitle")),
    Case("HealthDirectoryShape-informationSource", "MinCount", "practitioner", drop("informationSource")),
    Case("HealthDirectoryShape-experience", "MinCount", "practitioner", drop("hub:experience")),
    Case("HealthDirectoryShape-socialPurpose", "MinCount", "practitioner", drop("socialPurpose")),
    Case("HealthDirectoryShape-costOfServices", "MinCount", "practitioner", drop("costOfServices")),
    Case("HealthDirectoryShape-openingHours", "NodeKind", "practitioner",
         replace(HOURS, 'schema:openingHoursSpecification "lundi matin" ;')),
    Case("HealthDirectoryShape-openingHours", "Node", "practitioner", hours(OK_HOURS.replace("schema:Monday", '"lundi"'))),
    Case("OpeningHoursShape-dayOfWeek", "MinCount", "practitioner",
         hours('schema:opens "09:00:00"^^xsd:time ; schema:closes "12:00:00"^^xsd:time')),
    Case("OpeningHoursShape-dayOfWeek", "In", "practitioner", hours(OK_HOURS.replace("schema:Monday", '"lundi"'))),
    Case("OpeningHoursShape-opens", "MaxCount", "practitioner",
         hours(OK_HOURS.replace('"09:00:00"^^xsd:time', '"09:00:00"^^xsd:time, "10:00:00"^^xsd:time'))),
    Case("OpeningHoursShape-opens", "Datatype", "practitioner", hours(OK_HOURS.replace('"09:00:00"^^xsd:time', '"9h"'))),
    Case("OpeningHoursShape-closes", "MaxCount", "practitioner",
         hours(OK_HOURS.replace('"12:00:00"^^xsd:time', '"12:00:00"^^xsd:time, "13:00:00"^^xsd:time'))),
    Case("OpeningHoursShape-closes", "Datatype", "practitioner", hours(OK_HOURS.replace('"12:00:00"^^xsd:time', '"midi"'))),
    # events
    Case("EventShape-name", "MinCount", "event", drop("schema:name")),
    Case("EventShape-nameLanguage", "Datatype", "event", replace('"Fête"@fr', '"Fête"')),
    Case("EventShape-startDate", "MinCount", "event", drop("startDate")),
    Case("EventShape-startDate", "MaxCount", "event", add('schema:startDate "2027-01-01T09:00:00+01:00"^^xsd:dateTime ;')),
    Case("EventShape-startDateType", "MaxCount", "event",
         add('schema:startDate "2027-01-01T09:00:00+01:00"^^xsd:dateTime ;')),
    Case("EventShape-startDateType", "Or", "event", replace('"2027-01-01T10:00:00+01:00"^^xsd:dateTime', '"bientôt"')),
    Case("EventShape-endDateType", "MaxCount", "event", add('schema:endDate "2027-01-01T13:00:00+01:00"^^xsd:dateTime ;')),
    Case("EventShape-endDateType", "Or", "event", replace('"2027-01-01T12:00:00+01:00"^^xsd:dateTime', '"plus tard"')),
    Case("EventShape-location", "NodeKind", "event", replace("<https://place.example/p>", '"la salle"')),
    Case("EventShape-organizer", "NodeKind", "event", replace("<https://org.example/o>", '"notre collectif"')),
    Case("EventShape-url", "Pattern", "event", replace("<https://event.example/>", '"event.example"')),
    Case("EventShape-endAfterStart", "SPARQL", "event",
         replace('"2027-01-01T12:00:00+01:00"^^xsd:dateTime', '"2027-01-01T08:00:00+01:00"^^xsd:dateTime')),
    # toolbox
    Case("ResourceShape-name", "MinCount", "resource", drop("schema:name")),
    Case("ResourceShape-license", "MinCount", "resource", drop("license")),
    Case("ResourceShape-license", "NodeKind", "resource",
         replace("<https://creativecommons.org/licenses/by/4.0/>", '"CC BY 4.0"')),
    Case("ResourceShape-toolboxCategory", "MinCount", "resource", drop("toolboxCategory")),
    Case("ResourceShape-toolboxCategory", "NodeKind", "resource", replace("hub:toolbox-meetings", '"réunions"')),
    Case("ResourceShape-toolboxCategoryScheme", "SPARQL", "resource", replace("hub:toolbox-meetings", "hub:theme-food")),
    Case("ResourceShape-url", "Pattern", "resource", replace("<https://doc.example/pv>", '"doc.example/pv"')),
    # knowledge
    Case("KnowledgeShape-name", "MinCount", "knowledge", drop("schema:name")),
    Case("KnowledgeShape-description", "MinCount", "knowledge", drop("description")),
    Case("KnowledgeShape-license", "MinCount", "knowledge", drop("license")),
    Case("KnowledgeShape-license", "NodeKind", "knowledge",
         replace("<https://creativecommons.org/licenses/by/4.0/>", '"libre"')),
    Case("KnowledgeShape-author", "NodeKind", "knowledge", replace("<https://org.example/o>", '"notre collectif"')),
    Case("KnowledgeShape-dateCreated", "MaxCount", "knowledge", add('schema:dateCreated "2026-02-01"^^xsd:date ;')),
    Case("KnowledgeShape-dateCreated", "Or", "knowledge", replace('"2026-01-01"^^xsd:date', '"hier"')),
    # publications
    Case("PublicationShape-name", "MinCount", "publication", drop("schema:name")),
    Case("PublicationShape-license", "MinCount", "publication", drop("license")),
    Case("PublicationShape-license", "NodeKind", "publication",
         replace("<https://creativecommons.org/licenses/by/4.0/>", '"libre"')),
    Case("PublicationShape-author", "MinCount", "publication", drop("author")),
    Case("PublicationShape-author", "NodeKind", "publication", replace("<https://org.example/o>", '"notre collectif"')),
    Case("PublicationShape-datePublished", "MaxCount", "publication", add('schema:datePublished "2024"^^xsd:gYear ;')),
    Case("PublicationShape-datePublished", "Or", "publication", replace('"2025"^^xsd:gYear', '"l\'an dernier"')),
    Case("PublicationShape-url", "Pattern", "publication", replace("<https://pub.example/etude>", '"pub.example"')),
    # funding
    Case("FundingShape-name", "MinCount", "funding", drop("schema:name")),
    Case("FundingShape-funder", "MinCount", "funding", drop("funder")),
    Case("FundingShape-funder", "NodeKind", "funding", replace("<https://org.example/o>", '"la Région"')),
    Case("FundingShape-url", "MinCount", "funding", drop("schema:url")),
    Case("FundingShape-url", "Pattern", "funding", replace("<https://fund.example/appel>", '"fund.example"')),
    Case("FundingShape-applicationDeadline", "MaxCount", "funding",
         add('hub:applicationDeadline "2027-04-30"^^xsd:date ;')),
    Case("FundingShape-applicationDeadline", "Datatype", "funding", replace('"2027-03-31"^^xsd:date', '"fin mars"')),
    Case("FundingShape-eligibility", "MinCount", "funding", drop("eligibility")),
    # people
    Case("PersonShape-consent", "MinCount", "person", drop("hub:consent")),
    Case("PersonShape-consent", "NodeKind", "person", replace(CONSENT, 'hub:consent "oui" ;')),
    Case("PersonShape-consentScope", "MinCount", "person", consent(DATE)),
    Case("PersonShape-consentScope", "In", "person", consent(f"hub:consentScope hub:theme-food ; {DATE}")),
    Case("PersonShape-consentDate", "MinCount", "person", consent(SCOPE)),
    Case("PersonShape-consentDate", "MaxCount", "person", consent(f'{SCOPE} ; {DATE}, "2026-02-01"^^xsd:date')),
    Case("PersonShape-consentDate", "Or", "person", consent(f'{SCOPE} ; dcterms:date "hier"')),
    Case("PersonShape-consentNotFuture", "SPARQL", "person", consent(f'{SCOPE} ; dcterms:date "2999-01-01"^^xsd:date')),
    Case("PersonShape-name", "MinCount", "person", drop("schema:name")),
    Case("PersonShape-email", "Pattern", "person", replace('"alex@mail.example"', '"alex"')),
    Case("PersonShape-contactRoleScheme", "SPARQL", "person", replace("hub:role-expert", "hub:theme-food")),
    # recommendations
    Case("RecommendationShape-recommends", "MinCount", "recommendation", drop("hub:recommends")),
    Case("RecommendationShape-recommends", "MaxCount", "recommendation", add("hub:recommends <https://health.example/k> ;")),
    Case("RecommendationShape-recommends", "NodeKind", "recommendation",
         replace("<https://health.example/dr>", '"Dr Alex"')),
    Case("RecommendationShape-recommender", "MinCount", "recommendation", drop("hub:recommender ")),
    Case("RecommendationShape-recommender", "MaxCount", "recommendation",
         add("hub:recommender <https://health.example/other> ;")),
    Case("RecommendationShape-recommender", "NodeKind", "recommendation",
         replace("<https://health.example/nurse>", '"une infirmière"')),
    Case("RecommendationShape-profession", "MinCount", "recommendation", drop("recommenderProfession")),
    Case("RecommendationShape-date", "MinCount", "recommendation", drop("dateCreated")),
    Case("RecommendationShape-date", "MaxCount", "recommendation", add('schema:dateCreated "2026-02-01"^^xsd:date ;')),
    Case("RecommendationShape-date", "Or", "recommendation", replace('"2026-01-01"^^xsd:date', '"hier"')),
    Case("RecommendationShape-notFuture", "SPARQL", "recommendation", replace('"2026-01-01"', '"2999-01-01"')),
    Case("RecommendationShape-notSelf", "SPARQL", "recommendation",
         replace("<https://health.example/nurse>", "<https://health.example/dr>")),
    # products
    Case("ProductShape-name", "MinCount", "product", drop("schema:name")),
    Case("ProductShape-nameLanguage", "Datatype", "product", replace('"Tomates cerises"@fr', '"Tomates cerises"')),
    Case("ProductShape-suppliedBy", "MinCount", "product", drop("hub:suppliedBy")),
    Case("ProductShape-suppliedBy", "NodeKind", "product", replace("<https://org.example/o>", '"la ferme"')),
    Case("ProductShape-category", "NodeKind", "product", replace(f"<{DFC_TOMATO}>", '"tomate"')),
    Case("ProductShape-categoryGiven", "MinCount", "product", drop("schema:category")),
]


def record(subject: str, lines: list[str]) -> str:
    body = "\n    ".join(lines)
    return f"<{subject}> {body.rstrip(' ;')} .\n"


def good(base: str) -> str:
    return f"https://charter.example/good/{base}"


def bad(index: int) -> str:
    return f"https://charter.example/bad/{index}"


@cache
def charter_report() -> CheckReport:
    text = PREFIXES + "".join(record(good(name), lines) for name, lines in BASES.items())
    text += "".join(record(bad(i), case.mutation(list(BASES[case.base]))) for i, case in enumerate(CASES))
    fetched = Fetched(url="urn:test:charter", body=text.encode("utf-8"), content_type="text/turtle",
                      fetched_at=now_iso())
    return check_fetched(fetched, None, Minter(BASE))


@cache
def shapes_graph() -> rdflib.Graph:
    return Charter().shapes_graph


def expected_coded(code: str) -> dict[str, str]:
    area = Charter().area
    return render(code, {"area": area.name, "countries": ", ".join(area.area.countries)})


def expected_messages(shape: str) -> dict[str, str]:
    """The shape's sh:message, or for a coded rule (`hubsh:code`) its sentence in hub/charter/messages.py
    with the default profile's words."""
    graph = shapes_graph()
    node = rdflib.URIRef(HUBSH + shape)
    code = graph.value(node, rdflib.URIRef(HUBSH + "code"))
    if code is not None:
        return expected_coded(str(code))
    holders = [node, *graph.objects(node, SH.sparql)]
    return {m.language: str(m) for h in holders for m in graph.objects(h, SH.message)
            if isinstance(m, rdflib.Literal) and m.language}


def severity_of(shape: str) -> str:
    return str(shapes_graph().value(rdflib.URIRef(HUBSH + shape), SH.severity)).rsplit("#", 1)[-1]


def verdicts_by_subject() -> dict[str, object]:
    return {v.record.subject.value: v for v in charter_report().verdicts}


def test_every_base_record_conforms_without_any_result() -> None:
    verdicts = verdicts_by_subject()
    for name in BASES:
        verdict = verdicts[good(name)]
        assert verdict.accepted and not verdict.results, (name, [r.private() for r in verdict.results])


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{c.shape}:{c.component}" for c in CASES])
def test_each_constraint_reports_itself_in_three_languages(index: int) -> None:
    case = CASES[index]
    verdict = verdicts_by_subject()[bad(index)]
    found = [r for r in verdict.results
             if r.shape == HUBSH + case.shape and r.component == case.component + "ConstraintComponent"]
    assert found, (case.shape, case.component, [(r.shape, r.component) for r in verdict.results])
    severity = severity_of(case.shape)
    messages = expected_messages(case.shape)
    assert set(messages) == {"fr", "nl", "en"}
    for result in found:
        assert result.severity == severity
        assert result.message == messages
        if result.code is not None:  # a coded rule: its sentence, with the default profile's words
            assert result.message == expected_coded(result.code)
    # A violation rejects the record; a warning or a hint keeps it.
    assert verdict.accepted == (severity != "Violation" and all(r.severity != "Violation" for r in verdict.results))
    # The conforming example of the same constraint: the base record of that kind reports nothing from it.
    assert not [r for r in verdicts_by_subject()[good(case.base)].results if r.shape == HUBSH + case.shape]


COMPONENTS = {SH.minCount: "MinCount", SH.maxCount: "MaxCount", SH.datatype: "Datatype", SH.pattern: "Pattern",
              SH.minInclusive: "MinInclusive", SH.maxInclusive: "MaxInclusive", SH["in"]: "In", SH.node: "Node",
              SH.nodeKind: "NodeKind", SH["or"]: "Or", SH.sparql: "SPARQL", SH.minExclusive: "MinExclusive",
              SH.maxExclusive: "MaxExclusive", SH.minLength: "MinLength", SH.maxLength: "MaxLength",
              SH.hasValue: "HasValue", SH.languageIn: "LanguageIn", SH.uniqueLang: "UniqueLang"}


def test_every_constraint_of_every_shape_has_a_case() -> None:
    graph = shapes_graph()
    constraints = set()
    for shape in set(graph.subjects(SH.severity, None)):
        for predicate, component in COMPONENTS.items():
            if (shape, predicate, None) in graph:
                constraints.add((str(shape)[len(HUBSH):], component))
    covered = {(case.shape, case.component) for case in CASES}
    assert constraints - covered == set(), "constraints without a test case"
    assert covered - constraints == set(), "cases for constraints that do not exist"


def test_every_constraint_has_a_severity_and_three_messages() -> None:
    graph = shapes_graph()
    constrained = {s for p in COMPONENTS for s in graph.subjects(p, None)
                   if isinstance(s, rdflib.URIRef) and ((s, SH.path, None) in graph or (s, SH.sparql, None) in graph)}
    for shape in constrained:
        local = str(shape)[len(HUBSH):]
        assert severity_of(local) in {"Violation", "Warning", "Info"}, local
        assert set(expected_messages(local)) == {"fr", "nl", "en"}, local


ALLOWED_SHACL = {SH[name] for name in (
    "NodeShape", "PropertyShape", "SPARQLConstraint", "targetClass", "property", "path", "inversePath",
    "minCount", "maxCount", "datatype", "nodeKind", "pattern", "flags", "minInclusive", "maxInclusive",
    "minExclusive", "maxExclusive", "minLength", "maxLength", "in", "hasValue", "languageIn", "uniqueLang",
    "node", "or", "sparql", "select", "message", "prefixes", "severity", "declare", "prefix", "namespace",
    "alternativePath",
    "Violation", "Warning", "Info", "IRI", "BlankNodeOrIRI", "Literal", "BlankNode", "IRIOrLiteral",
    "BlankNodeOrLiteral")}


def test_shapes_use_only_what_the_sparql_compiler_supports() -> None:
    """Only sh:targetClass targets, IRI/inverse/sequence paths and the agreed constraints; never sh:class."""
    graph = shapes_graph()
    used = {t for triple in graph for t in triple if isinstance(t, rdflib.URIRef) and str(t).startswith(str(SH))}
    assert used <= ALLOWED_SHACL, sorted(used - ALLOWED_SHACL)
    for path in graph.objects(None, SH.path):
        if isinstance(path, rdflib.URIRef):
            continue
        inverse = graph.value(path, SH.inversePath)
        if inverse is not None:
            assert isinstance(inverse, rdflib.URIRef)
            continue
        alternatives = graph.value(path, SH.alternativePath)  # IRIs or sequences of IRIs (area.unlocated)
        for option in rdflib.collection.Collection(graph, alternatives) if alternatives is not None else [path]:
            if isinstance(option, rdflib.URIRef) and alternatives is not None:
                continue
            steps = list(rdflib.collection.Collection(graph, option))
            assert len(steps) >= 2 and all(isinstance(step, rdflib.URIRef) for step in steps), path
    for constraint in graph.objects(None, SH.sparql):
        select = str(graph.value(constraint, SH.select))
        assert "$this" in select and graph.value(constraint, SH.prefixes) is not None


def test_a_record_no_shape_targets_is_rejected_in_three_languages(tmp_path: object) -> None:
    from pathlib import Path

    from hub.core.vocabulary import SHAPES_DIR
    shapes = Path(str(tmp_path))
    for name in ("common.ttl", "event.ttl"):
        (shapes / name).write_text((SHAPES_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    fetched = Fetched(url="urn:test:no-shape", content_type="text/turtle", fetched_at=now_iso(), body=(
        PREFIXES + record(good("org"), BASES["org"])).encode("utf-8"))
    report = check_fetched(fetched, None, Minter(BASE), Charter(shapes_dir=shapes))
    [verdict] = report.verdicts
    assert not verdict.accepted
    [result] = verdict.results
    assert result.shape == "no-shape"
    assert result.message == {
        "fr": "aucune forme de la charte ne s'applique à https://schema.org/Organization",
        "nl": "geen vorm van het charter is van toepassing op https://schema.org/Organization",
        "en": "no charter shape applies to https://schema.org/Organization"}


def _verdict_summary(report: CheckReport) -> dict[str, tuple[bool, list[tuple[str, ...]]]]:
    return {v.record.subject.value: (v.accepted, sorted(
        (r.shape, str(r.component), r.severity, str(r.path), json.dumps(r.message, sort_keys=True),
         "" if r.value is None or r.value.startswith("_:") else r.value) for r in v.results))
        for v in report.verdicts}


def test_batch_sparql_constraints_give_pyshacl_verdicts() -> None:
    """pyshacl stays the reference: SHACL-SPARQL run once per batch must judge exactly as it does."""
    text = PREFIXES + "".join(record(good(name), lines) for name, lines in BASES.items())
    text += "".join(record(bad(i), case.mutation(list(BASES[case.base]))) for i, case in enumerate(CASES))
    fetched = Fetched(url="urn:test:charter", body=text.encode("utf-8"), content_type="text/turtle",
                      fetched_at=now_iso())
    reference = check_fetched(fetched, None, Minter(BASE), Charter(sparql="pyshacl"))
    batch = check_fetched(fetched, None, Minter(BASE), Charter(engine="pyshacl"))
    assert _verdict_summary(batch) == _verdict_summary(reference)
    sparql_results = sum(1 for v in reference.verdicts for r in v.results if r.component == "SPARQLConstraintComponent")
    assert sparql_results >= 12  # the comparison covers every SHACL-SPARQL constraint


def test_the_compiled_charter_judges_as_pyshacl() -> None:
    """The default engine (the shapes compiled to SPARQL) gives every record pyshacl's verdict and every
    constraint pyshacl reports. It may say more, never less: when a value has the wrong kind, it also
    explains nested shapes the value cannot meet; Oxigraph writes decimals in canonical form ("48", not
    "48.0"); and a SHACL-SPARQL comparison of ill-typed dates (which the Or constraint already rejects)
    is an error in SPARQL, hence no result."""
    text = PREFIXES + "".join(record(good(name), lines) for name, lines in BASES.items())
    text += "".join(record(bad(i), case.mutation(list(BASES[case.base]))) for i, case in enumerate(CASES))
    fetched = Fetched(url="urn:test:charter", body=text.encode("utf-8"), content_type="text/turtle",
                      fetched_at=now_iso())
    reference = check_fetched(fetched, None, Minter(BASE), Charter(sparql="pyshacl"))
    compiled = charter_report()
    assert Charter().compiled is not None  # the shipped shapes compile: the fast engine is the one in use
    expected = {v.record.subject.value: v for v in reference.verdicts}
    for verdict in compiled.verdicts:
        other = expected[verdict.record.subject.value]
        assert verdict.accepted == other.accepted, verdict.record.subject.value
        found = {(r.shape, r.component, r.severity) for r in verdict.results}
        wanted = {(r.shape, r.component, r.severity) for r in other.results
                  if not (r.component == "SPARQLConstraintComponent" and not other.accepted)}
        assert wanted <= found, (verdict.record.subject.value, wanted - found)
