"""The vocabulary and schemes: complete in three languages, served, and loaded into graphs of their own."""

from __future__ import annotations

import json

import rdflib
from fastapi.testclient import TestClient
from pyoxigraph import RdfFormat, parse
from rdflib.namespace import RDF, RDFS, SKOS

from hub.core.config import Settings
from hub.core.namespaces import HUB, sparql_prefixes
from hub.pipeline.harvest import HarvestSummary
from tests.conftest import BASE, ROOT
from tests.test_pipeline import published_store

VOCAB = ROOT / "vocab"
LANGUAGES = {"fr", "nl", "en"}


def graph(*names: str) -> rdflib.Graph:
    g = rdflib.Graph()
    for name in names:
        g.parse(VOCAB / name, format="turtle")
    return g


def languages(g: rdflib.Graph, subject: rdflib.term.Node, predicate: rdflib.term.Node) -> set[str]:
    return {o.language for o in g.objects(subject, predicate) if isinstance(o, rdflib.Literal) and o.language}


def test_every_hub_class_and_property_has_label_and_comment_in_three_languages() -> None:
    g = graph("hub.ttl")
    terms = [s for s in g.subjects(RDF.type, None) if str(s).startswith(HUB)
             and (s, RDF.type, RDFS.Class) in g or (s, RDF.type, RDF.Property) in g]
    assert len(terms) > 30
    for term in terms:
        assert languages(g, term, RDFS.label) == LANGUAGES, term
        assert languages(g, term, RDFS.comment) == LANGUAGES, term


def test_schemes_are_labelled_and_their_hierarchies_consistent() -> None:
    g = graph("schemes.ttl")
    schemes = set(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert {str(s)[len(HUB):] for s in schemes} >= {"themes", "legalForms", "audiences", "toolboxCategories"}
    for concept in g.subjects(RDF.type, SKOS.Concept):
        assert languages(g, concept, SKOS.prefLabel) == LANGUAGES, concept
        [scheme] = list(g.objects(concept, SKOS.inScheme))
        assert scheme in schemes
        for broader in g.objects(concept, SKOS.broader):
            assert (broader, SKOS.narrower, concept) in g and (broader, SKOS.inScheme, scheme) in g
        assert (concept, SKOS.topConceptOf, scheme) in g or any(g.objects(concept, SKOS.broader))
    themes = {str(c)[len(HUB):] for c in g.subjects(SKOS.inScheme, rdflib.URIRef(HUB + "themes"))}
    assert {"theme-food", "theme-health", "theme-zero-waste", "theme-second-hand", "theme-housing"} <= themes


def test_the_context_maps_the_hub_terms() -> None:
    context = json.loads((VOCAB / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert context["@vocab"] == "https://schema.org/" and context["hub"] == HUB
    document = {"@context": context["@context"] if "@context" in context else context, "@type": "Recommendation",
                "recommends": "https://x.example/p", "name": "r"}
    quads = list(parse(json.dumps(document).encode(), format=RdfFormat.JSON_LD))
    assert {q.predicate.value for q in quads} >= {HUB + "recommends", "https://schema.org/name"}


def test_vocab_is_html_turtle_and_jsonld(client: TestClient) -> None:
    page = client.get("/vocab")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "hub:HealthPractitioner" in page.text
    assert "Praticien·ne de santé" in page.text and "Zorgverlener" in page.text
    assert "hub:theme-zero-waste" in page.text
    turtle = client.get("/vocab", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert (rdflib.URIRef(HUB + "Recommendation"), RDF.type, RDFS.Class) in g
    jsonld = client.get("/vocab", headers={"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert any(item.get("@id") == HUB + "themes" for item in jsonld.json())
    assert client.get("/vocab", params={"format": "ttl"}).headers["content-type"].startswith("text/turtle")
    assert client.get("/vocab", headers={"Accept": "image/png"}).status_code == 406


def test_shapes_and_context_are_served(client: TestClient) -> None:
    page = client.get("/shapes")
    assert page.status_code == 200 and "hubsh:OrganizationShape-inServiceArea" in page.text
    assert "De coördinaten moeten in het werkgebied van de hub liggen" in page.text
    turtle = client.get("/shapes", params={"format": "ttl"})
    g = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert len(g) > 500
    context = client.get("/context.jsonld")
    assert context.headers["content-type"].startswith("application/ld+json")
    assert context.json()["@context"]["hub"] == HUB


def test_vocabulary_schemes_shapes_and_verification_have_graphs_with_provenance(
        harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    for name in ("vocabulary", "schemes", "shapes", "verification"):
        g = f"{BASE}graph/{name}"
        assert store.ask(f"ASK {{ GRAPH <{g}> {{ ?s ?p ?o }} }}"), name
        assert store.ask(sparql_prefixes() + f"""ASK {{ GRAPH <{BASE}graph/meta> {{
            <{g}> a hub:HubGraph ; dcterms:title ?t ; prov:generatedAtTime ?at ; dcterms:license ?l }} }}"""), name
    assert store.ask(sparql_prefixes() + f"""ASK {{ GRAPH <{BASE}graph/schemes> {{
        hub:theme-second-hand skos:inScheme hub:themes ; skos:broader hub:theme-zero-waste }} }}""")


def test_the_hub_computes_verification_from_published_recommendations(
        harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    rows = store.select(sparql_prefixes() + f"""SELECT ?p ?status ?n WHERE {{ GRAPH <{BASE}graph/verification> {{
        ?p hub:verificationStatus ?status ; hub:recommendationCount ?n }} }}""")
    statuses = {r["p"].value: (r["status"].value, int(r["n"].value)) for r in rows}
    assert statuses == {
        "https://sante-solidaire.example/id/dr-lemaire": (HUB + "Verified", 2),
        "https://sante-solidaire.example/id/kine-dubois": (HUB + "NotVerified", 1),
    }
    # Only the hub's graph says it: no record graph carries a verification status.
    assert not store.ask(sparql_prefixes() + f"""ASK {{ GRAPH ?g {{ ?p hub:verificationStatus ?s }}
        FILTER(?g != <{BASE}graph/verification>) }}""")


def test_record_descriptions_note_their_alignment(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    # Said once per document, on the fetch node its record graphs link to (provenance model 2).
    assert store.ask(sparql_prefixes() + f"""ASK {{ GRAPH <{BASE}graph/meta> {{
        ?g dcterms:source <{BASE}source/savoirs-communs> ; hub:fetch ?fetch .
        ?fetch hub:alignment "http://schema.org/ terms rewritten to https://schema.org/"@en }} }}""")
    assert not store.ask(sparql_prefixes() + f"""ASK {{ GRAPH <{BASE}graph/meta> {{
        ?g dcterms:source <{BASE}source/assiette-commune> ; hub:fetch ?fetch . ?fetch hub:alignment ?note }} }}""")


def test_no_person_is_published_without_consent(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    people = store.select(sparql_prefixes() + """SELECT DISTINCT ?p WHERE { GRAPH ?g {
        ?p a ?type . VALUES ?type { schema:Person foaf:Person vcard:Individual hub:HealthPractitioner } } }""")
    # The practitioners, the consenting founder and organizer (issue 22: the contact book's persons are never public)
    assert len(people) >= 4
    assert not store.select(sparql_prefixes() + """SELECT ?p WHERE { GRAPH ?g {
        ?p a ?type . VALUES ?type { schema:Person foaf:Person vcard:Individual hub:HealthPractitioner }
        FILTER NOT EXISTS { ?p hub:consent ?c . ?c hub:consentScope ?scope ; dcterms:date ?date } } }""")
