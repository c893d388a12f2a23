"""What a platform's lift may say about a record beyond its data: its own licence, where it came from upstream,
and the platform's own id for it.

A platform gives more than its records' data. Karte von Morgen gives each entry its licence; GoGoCarto aggregates
other maps and says which one each element came from (`sourceKey`); every platform has its own ids. A lift says so
with the statements these helpers make, and the hub carries them where provenance model 2 puts them
(docs/provenance.md): a licence of the record's own, and each upstream source, on the record graph's description
(`dcterms:license`, `prov:wasDerivedFrom`), the upstream sources described in the source's upstream graph
(`{base}graph/{source}/upstream`), so that the chain of provenance goes on past the platform.

Those statements are put in one reserved graph, PROVENANCE_GRAPH, which the hub takes out of the lifted statements
before it splits them into records: they are never a record's data, and never hashed with it. They name the
record by its subject IRI (a mapping with a `key`, or an IRI the format minted): a blank-node subject has no
name they could use. The platform id, on the other hand, is data: `schema:identifier` with a
`schema:PropertyValue` naming the platform, kept in the record.
"""

from __future__ import annotations

import datetime as dt

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

HUB = "https://w3id.org/mutualisons/ns#"
SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PROVENANCE_GRAPH = NamedNode(HUB + "lift-provenance")
LICENSE = NamedNode(DCTERMS + "license")
DERIVED_FROM = NamedNode(PROV + "wasDerivedFrom")

# Licences as platforms name them (SPDX identifiers, mostly) -> their IRIs.
LICENSES = {
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "odbl-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odc-by-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "pddl-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
    "etalab-2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "lo-2.0": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}


def license_iri(name: str | None) -> str | None:
    """A licence as a platform names it (`CC0-1.0`, `ODbL-1.0`, or an IRI) -> its IRI, or None if unknown."""
    if not name:
        return None
    text = name.strip()
    if text.startswith(("http://", "https://")):
        return text
    return LICENSES.get(text.lower().replace(" ", "-"))


def record_license(subject: NamedNode, license: str) -> Quad:
    """The record's own licence (an IRI), where it differs from its source's."""
    return Quad(subject, LICENSE, NamedNode(license), PROVENANCE_GRAPH)


def derived_from(subject: NamedNode, upstream: NamedNode) -> Quad:
    """The record comes from `upstream` (a source the platform took it from): see `describe_upstream`."""
    return Quad(subject, DERIVED_FROM, upstream, PROVENANCE_GRAPH)


def describe_upstream(upstream: NamedNode, title: str, homepage: str | None = None,
                      license: str | None = None) -> list[Quad]:
    """What the hub says of an upstream source, in the source's upstream graph: a prov:Entity with its title
    (and homepage, licence where known)."""
    quads = [Quad(upstream, RDF_TYPE, NamedNode(PROV + "Entity"), PROVENANCE_GRAPH),
             Quad(upstream, NamedNode(DCTERMS + "title"), Literal(title), PROVENANCE_GRAPH)]
    if homepage:
        quads.append(Quad(upstream, NamedNode(FOAF + "homepage"), NamedNode(homepage), PROVENANCE_GRAPH))
    if license:
        quads.append(Quad(upstream, LICENSE, NamedNode(license), PROVENANCE_GRAPH))
    return quads


def platform_identifier(subject: NamedNode | BlankNode, platform: str, value: str) -> list[Quad]:
    """The platform's own id of a record, kept as data: `schema:identifier [ a schema:PropertyValue ;
    schema:propertyID "gogocarto" ; schema:value "abc" ]`."""
    node = BlankNode()
    return [Quad(subject, NamedNode(SCHEMA + "identifier"), node),
            Quad(node, RDF_TYPE, NamedNode(SCHEMA + "PropertyValue")),
            Quad(node, NamedNode(SCHEMA + "propertyID"), Literal(platform)),
            Quad(node, NamedNode(SCHEMA + "value"), Literal(value))]


def unix_time(value: object, date_only: bool = False) -> object:
    """A platform's Unix time (seconds, as Karte von Morgen's events and Murmurations' profiles give them) as an
    ISO date-time without a time zone (or a date), for the mapping's date transforms; any other value as it is
    (the transform then reports it, with its record)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    try:
        moment = dt.datetime.fromtimestamp(value, dt.UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return str(value)
    return moment.date().isoformat() if date_only else moment.isoformat()
