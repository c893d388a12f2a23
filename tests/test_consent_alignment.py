"""Consent, alignment and the charter's must-show cases, through the same lifting as a harvest."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from hub.core.iris import Minter
from hub.core.namespaces import HUB, SCHEMA, XSD
from hub.core.vocabulary import default_vocabulary
from hub.pipeline.alignment import DFC, align
from hub.pipeline.check import CheckReport, check_fetched, check_file
from hub.pipeline.fetch import Fetched, now_iso
from hub.pipeline.lifting import LiftOptions, lift_document
from tests.conftest import BASE, ROOT, SHARED_FEEDS

FIXTURES = ROOT / "tests" / "fixtures"
HUBSH = "https://w3id.org/mutualisons/shapes#"


def check_text(text: str, content_type: str, language: str | None = None) -> CheckReport:
    fetched = Fetched(url="urn:test:document", body=text.encode("utf-8"), content_type=content_type,
                      fetched_at=now_iso())
    return check_fetched(fetched, None, Minter(BASE), language=language)


def only_verdict(report: CheckReport):  # type: ignore[no-untyped-def]
    assert len(report.verdicts) == 1, [v.record.subject.value for v in report.verdicts]
    return report.verdicts[0]


# ---------------------------------------------------------------- the plain schema.org organisation

ORG_TURTLE = """@prefix schema: <{ns}> .
<https://plain.example/org> a schema:Organization ;
    schema:name "Maison de quartier"@fr ;
    schema:address [ a schema:PostalAddress ; schema:streetAddress "Rue Haute 1" ; schema:postalCode "1000" ] ;
    schema:geo [ a schema:GeoCoordinates ; schema:latitude {lat} ; schema:longitude {lon} ] .
"""
ORG_JSONLD = """{{"@context": "{ns}", "@id": "https://plain.example/org", "@type": "Organization",
  "name": {{"@value": "Maison de quartier", "@language": "fr"}},
  "address": {{"@type": "PostalAddress", "streetAddress": "Rue Haute 1", "postalCode": "1000"}},
  "geo": {{"@type": "GeoCoordinates", "latitude": {lat}, "longitude": {lon}}}}}"""
VARIANTS = [(template, ns, media) for ns in ("http://schema.org/", "https://schema.org/")
            for template, media in ((ORG_TURTLE, "text/turtle"), (ORG_JSONLD, "application/ld+json"))]


@pytest.mark.parametrize(("template", "ns", "media"), VARIANTS,
                         ids=[f"{m.split('/')[1]}-{n.split(':')[0]}" for _, n, m in VARIANTS])
def test_a_plain_schema_org_organization_in_brussels_conforms(template: str, ns: str, media: str) -> None:
    report = check_text(template.format(ns=ns, lat="50.8466", lon="4.3528"), media)
    verdict = only_verdict(report)
    assert report.conforms and verdict.accepted and not verdict.results
    assert verdict.record.types == [SCHEMA + "Organization"]
    assert all(not q.predicate.value.startswith("http://schema.org/") for q in verdict.record.quads)
    # schema.org's own JSON-LD context (served for both http and https) writes http://schema.org/ terms.
    assert ("http://schema.org/ terms stored as https://schema.org/" in " ".join(report.warnings)) == \
        (ns.startswith("http:") or "json" in media)


@pytest.mark.parametrize(("template", "ns", "media"), VARIANTS,
                         ids=[f"{m.split('/')[1]}-{n.split(':')[0]}" for _, n, m in VARIANTS])
def test_the_same_organization_with_swapped_coordinates_is_rejected_as_a_swap(template: str, ns: str,
                                                                               media: str) -> None:
    verdict = only_verdict(check_text(template.format(ns=ns, lat="4.3528", lon="50.8466"), media))
    assert not verdict.accepted
    # The area rule's code says why the point is outside (hub/charter/messages.py).
    [swap] = [r for r in verdict.results if r.code == "area.swapped"]
    assert swap.shape == HUBSH + "OrganizationShape-inServiceArea" and swap.severity == "Violation"
    assert "inversées" in swap.message["fr"] and "verwisseld" in swap.message["nl"] and "swapped" in swap.message["en"]


def test_coordinates_as_double_integer_or_string_are_judged_as_decimals() -> None:
    for lat, lon in (('"50.8466"^^<http://www.w3.org/2001/XMLSchema#double>', "4"), ('"50.8466"', '"4.3528"'),
                     ("5.08466e1", "4.3528e0")):
        verdict = only_verdict(check_text(ORG_TURTLE.format(ns="https://schema.org/", lat=lat, lon=lon),
                                          "text/turtle"))
        assert verdict.accepted, (lat, lon, [r.private() for r in verdict.results])
        values = [q.object for q in verdict.record.quads if q.predicate.value in (SCHEMA + "latitude",
                                                                                SCHEMA + "longitude")]
        assert values and all(isinstance(v, Literal) and v.datatype.value == XSD + "decimal" for v in values)
    # Not a number: the charter says so, the value is not invented.
    verdict = only_verdict(check_text(ORG_TURTLE.format(ns="https://schema.org/", lat='"north"', lon="4.35"),
                                      "text/turtle"))
    assert any(r.component == "DatatypeConstraintComponent" for r in verdict.results) and not verdict.accepted


def test_an_untagged_name_is_a_warning_or_tagged_with_the_source_language() -> None:
    text = ORG_TURTLE.format(ns="https://schema.org/", lat="50.8466", lon="4.3528").replace('"@fr', '"')
    text = text.replace('"Maison de quartier"@fr', '"Maison de quartier"')
    untagged = only_verdict(check_text(text, "text/turtle"))
    assert untagged.accepted
    assert [r.shape for r in untagged.results] == [HUBSH + "OrganizationShape-nameLanguage"]
    assert untagged.results[0].severity == "Warning"
    report = check_text(text, "text/turtle", language="nl")
    tagged = only_verdict(report)
    assert tagged.accepted and not tagged.results
    assert Literal("Maison de quartier", language="nl") in [q.object for q in tagged.record.quads]
    assert any("tagged @nl" in warning for warning in report.warnings)


# ---------------------------------------------------------------- consent

def test_a_founder_without_consent_is_removed_and_the_organization_kept() -> None:
    report = check_file(FIXTURES / "organization-founder-without-consent.jsonld", None, Minter(BASE))
    verdict = only_verdict(report)
    assert verdict.accepted
    quads = verdict.record.quads
    assert not any(q.predicate.value == SCHEMA + "founder" for q in quads)
    assert not any(isinstance(q.object, Literal) and q.object.value in ("Jean Dupont", "jean.dupont@mail.example",
                                                                        "Rue Privée 1") for q in quads)
    assert any(q.predicate.value == SCHEMA + "address" for q in quads)  # the organisation's own address stays
    [warning] = [w for w in report.warnings if "removed a nested person" in w]
    assert "https://fixtures.example/id/asbl-velo" in warning and "schema:founder" in warning
    assert "Jean Dupont" not in warning  # named by its place, not by the name it did not consent to show


def test_an_organizer_without_consent_is_removed_and_the_event_kept() -> None:
    report = check_file(FIXTURES / "event-organizer-without-consent.ttl", None, Minter(BASE))
    verdict = only_verdict(report)
    assert verdict.accepted and verdict.record.kind == "event"
    assert not any(q.predicate.value == SCHEMA + "organizer" for q in verdict.record.quads)
    assert not any("Marie" in getattr(q.object, "value", "") for q in verdict.record.quads)
    assert any("schema:organizer" in w and "removed a nested person" in w for w in report.warnings)


def test_a_nested_person_with_consent_stays() -> None:
    text = (FIXTURES / "organization-founder-without-consent.jsonld").read_text(encoding="utf-8").replace(
        '"name": "Jean Dupont",', '"name": "Jean Dupont", "https://w3id.org/mutualisons/ns#consent": {'
        '"https://w3id.org/mutualisons/ns#consentScope": {"@id": "https://w3id.org/mutualisons/ns#scope-public-listing"},'
        '"http://purl.org/dc/terms/date": {"@value": "2026-01-01", "@type": "http://www.w3.org/2001/XMLSchema#date"}},')
    report = check_text(text, "application/ld+json")
    verdict = only_verdict(report)
    assert verdict.accepted and any(q.predicate.value == SCHEMA + "founder" for q in verdict.record.quads)
    assert not any("removed a nested person" in w for w in report.warnings)
    # A consent dated in the future is no consent yet: the founder goes.
    future = check_text(text.replace("2026-01-01", "2999-01-01"), "application/ld+json")
    assert not any(q.predicate.value == SCHEMA + "founder" for q in only_verdict(future).record.quads)


def test_a_person_without_consent_is_rejected_in_three_languages() -> None:
    verdict = only_verdict(check_file(FIXTURES / "person-without-consent.ttl", None, Minter(BASE)))
    assert not verdict.accepted
    [result] = [r for r in verdict.results if r.shape == HUBSH + "PersonShape-consent"]
    assert result.component == "MinCountConstraintComponent" and result.severity == "Violation"
    assert result.message == {
        "fr": "Une personne ne peut être publiée qu'avec son consentement (hub:consent) : il manque.",
        "nl": "Een persoon mag enkel met toestemming gepubliceerd worden (hub:consent): die ontbreekt.",
        "en": "A person may only be published with their consent (hub:consent): it is missing.",
    }


def test_a_local_business_without_a_name_is_rejected() -> None:
    verdict = only_verdict(check_file(FIXTURES / "localbusiness-without-name.ttl", None, Minter(BASE)))
    assert verdict.record.kind == "organization" and not verdict.accepted
    assert [(r.shape, r.component) for r in verdict.results] == [
        (HUBSH + "OrganizationShape-name", "MinCountConstraintComponent")]


def test_subclasses_reach_the_organization_shape() -> None:
    for cls in ("NGO", "MedicalClinic", "GroceryStore"):
        text = ORG_TURTLE.format(ns="https://schema.org/", lat="50.85", lon="4.35").replace(
            "schema:Organization", f"schema:{cls}").replace('schema:name "Maison de quartier"@fr ;', "")
        verdict = only_verdict(check_text(text, "text/turtle"))
        violations = [r.shape for r in verdict.results if r.severity == "Violation"]
        assert violations == [HUBSH + "OrganizationShape-name"], cls


# ---------------------------------------------------------------- verification

def test_a_feed_cannot_claim_verification() -> None:
    report = check_file(FIXTURES / "practitioner-one-recommendation.ttl", None, Minter(BASE))
    practitioner = next(v for v in report.verdicts if v.record.subject.value.endswith("sage-femme"))
    assert not any(q.predicate.value == HUB + "verificationStatus" for q in practitioner.record.quads)
    assert any("verification claim(s) ignored" in w for w in report.warnings)
    status = report.verification["https://fixtures.example/id/sage-femme"]
    assert not status.verified and status.counted == 1  # two recommendations, one professional


def test_two_distinct_professionals_verify() -> None:
    text = (FIXTURES / "practitioner-one-recommendation.ttl").read_text(encoding="utf-8")
    text = text.replace("t:reco-2 a hub:Recommendation ;\n    hub:recommender t:medecin ;",
                        "t:reco-2 a hub:Recommendation ;\n    hub:recommender t:infirmier ;")
    text += ('\nt:infirmier a schema:Person ; schema:name "Luc Maes"@nl ; hub:consent [ hub:consentScope '
             'hub:scope-contact-book ; dcterms:date "2026-01-12"^^xsd:date ] .\n')
    report = check_text(text, "text/turtle")
    assert report.verification["https://fixtures.example/id/sage-femme"].verified


# ---------------------------------------------------------------- other vocabularies

DFC_DOC = f"""@prefix dfc: <{DFC}> .
<https://dfc.example/ent/1> a dfc:Enterprise ;
    dfc:name "Ferme du Chant des Cailles"@fr ;
    dfc:hasAddress <https://dfc.example/addr/1> .
<https://dfc.example/addr/1> a dfc:Address ;
    dfc:hasStreet "Rue de la Ferme 1" ; dfc:hasPostalCode "1170" ; dfc:hasCity "Watermael-Boitsfort" .
"""
ESS_DOC = """@prefix ess: <http://purl.org/essglobal/vocab/v2.0/> .
@prefix gr: <http://purl.org/goodrelations/v1#> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
<https://ess.example/i/1> a ess:SSEInitiative ; gr:name "Coopérative du Marais"@fr ;
    geo:lat "50.85"^^<http://www.w3.org/2001/XMLSchema#double> ;
    geo:long "4.36"^^<http://www.w3.org/2001/XMLSchema#double> .
"""
VCARD_DOC = """@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
<https://vcard.example/o/1> a vcard:Organization ; vcard:organization-name "Épicerie sociale"@fr ;
    vcard:hasAddress [ a vcard:Address ; vcard:street-address "Rue Haute 5" ; vcard:postal-code "1000" ;
                       vcard:locality "Bruxelles" ] .
"""


@pytest.mark.parametrize(("text", "original"), [(DFC_DOC, DFC + "name"),
                                                (ESS_DOC, "http://purl.org/goodrelations/v1#name"),
                                                (VCARD_DOC, "http://www.w3.org/2006/vcard/ns#organization-name")],
                         ids=["DFC", "ESSGLOBAL", "vCard"])
def test_other_vocabularies_land_in_the_hub_model_with_their_originals_kept(text: str, original: str) -> None:
    report = check_text(text, "text/turtle")
    verdict = only_verdict(report)
    assert verdict.record.kind == "organization" and verdict.accepted, [r.private() for r in verdict.results]
    predicates = {q.predicate.value for q in verdict.record.quads}
    assert SCHEMA + "name" in predicates and original in predicates
    assert any("mapped to schema.org (originals kept)" in w for w in report.warnings)


def test_alignment_keeps_postal_codes_of_dfc_addresses_checkable() -> None:
    verdict = only_verdict(check_text(DFC_DOC.replace('"1170"', '"B-1170"'), "text/turtle"))
    assert not verdict.accepted
    # The DFC enterprise has no coordinates: its address is what the profile judges (area.postcode).
    assert "area.postcode" in {r.code for r in verdict.results}


def test_align_rewrites_http_schema_org_everywhere() -> None:
    quads, report = align([Quad(NamedNode("http://schema.org/x"), NamedNode("http://schema.org/name"),
                                Literal("v", datatype=NamedNode("http://schema.org/Text")))])
    assert quads[0].subject.value == SCHEMA + "x" and quads[0].predicate.value == SCHEMA + "name"
    assert quads[0].object.datatype.value == SCHEMA + "Text"  # type: ignore[union-attr]
    assert report.rewritten_schema_terms == 3


# ---------------------------------------------------------------- schema.org's own examples

SCHEMAORG_EXAMPLES = SHARED_FEEDS / "schemaorg" / "examples-jsonld"


def _top_level_types(document: object) -> list[str]:
    nodes = document if isinstance(document, list) else (
        document.get("@graph", [document]) if isinstance(document, dict) else [])
    types: list[str] = []
    for node in nodes:
        value = node.get("@type") if isinstance(node, dict) else None
        types += value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return types


@pytest.mark.skipif(not SCHEMAORG_EXAMPLES.is_dir(), reason=f"{SCHEMAORG_EXAMPLES} is absent (shared feeds)")
def test_schema_org_examples_of_organisations_places_and_events_lift_into_the_hub_vocabulary() -> None:
    hierarchy = default_vocabulary().hierarchy
    lifted = 0
    for path in sorted(SCHEMAORG_EXAMPLES.glob("*.jsonld")):
        body = path.read_bytes()
        try:
            document = json.loads(body)
        except ValueError:
            continue  # listed in _not_strict_json.txt: not JSON as published
        kinds = {hierarchy.kind_of([SCHEMA + t]) for t in _top_level_types(document)}
        if not kinds & {"organization", "event"}:
            continue
        result = lift_document(Fetched(url=path.as_uri(), body=body, content_type="application/ld+json",
                                       fetched_at=now_iso()),
                               LiftOptions(minter=Minter(BASE), source_id="t", base_iri=f"{BASE}source/t/"))
        records = [r for r in result.records if r.kind in ("organization", "event")]
        assert records, path.name
        for record in result.records:
            assert all(not q.predicate.value.startswith("http://schema.org/") for q in record.quads), path.name
            assert not any(t.startswith("http://schema.org/") for t in record.types), (path.name, record.types)
        lifted += 1
    assert lifted >= 40  # 48 in release 30.0


def test_example_feeds_conform_except_their_deliberate_mistakes() -> None:
    deliberate = {"https://assiette-commune.example/id/sans-nom", "https://sante-solidaire.example/id/hors-belgique"}
    feeds = ROOT / "examples" / "feeds"
    for path in [*feeds.glob("*.ttl"), *feeds.glob("*.jsonld"), *(feeds / "sante-solidaire").glob("*.ttl")]:
        report = check_file(path, None, Minter(BASE), language="fr")
        assert report.verdicts, path
        for verdict in report.verdicts:
            subject = verdict.record.subject.value
            if subject in deliberate or "quartiers-en-transition" in path.name and not verdict.accepted:
                continue
            assert verdict.accepted, (path.name, subject, [r.private() for r in verdict.results])
    transition = check_file(feeds / "quartiers-en-transition.jsonld", None, Minter(BASE), language="fr")
    assert sum(1 for v in transition.verdicts if not v.accepted) == 1


def test_every_kind_has_example_data() -> None:
    kinds: set[str] = set()
    feeds = ROOT / "examples" / "feeds"
    for path in [*feeds.glob("*.ttl"), *feeds.glob("*.jsonld"), *(feeds / "sante-solidaire").glob("*.ttl")]:
        kinds |= {v.record.kind for v in check_file(path, None, Minter(BASE)).verdicts if v.accepted}
    from hub.core.vocabulary import RECORD_KINDS
    assert kinds == set(RECORD_KINDS)

