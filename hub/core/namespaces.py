"""The vocabularies the hub speaks, as IRI prefixes and pyoxigraph terms.

The hub vocabulary lives under one fixed namespace, independent of the base IRI a hub runs on,
so every hub, query and context agrees on it (DESIGN.md, "Names and IRIs").
"""

from pyoxigraph import NamedNode

HUB = "https://w3id.org/mutualisons/ns#"
SCHEMA = "https://schema.org/"
SCHEMA_HTTP = "http://schema.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SH = "http://www.w3.org/ns/shacl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
# Vocabularies feeds speak that the hub aligns to its own (hub/pipeline/alignment.py); the charter reads them too.
DFC = "https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#"
# The namespace DFC's Solid-pod examples use (dfc-b:), with their shorter address properties.
DFC_POD = "https://www.datafoodconsortium.org#"

PREFIXES: dict[str, str] = {
    "hub": HUB,
    "schema": SCHEMA,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "prov": PROV,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "foaf": FOAF,
    "vcard": VCARD,
    "sh": SH,
    "skos": SKOS,
}


def sparql_prefixes() -> str:
    """The PREFIX lines every query the hub writes starts with."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())


def term(namespace: str, local: str) -> NamedNode:
    return NamedNode(namespace + local)


RDF_TYPE = term(RDF, "type")
