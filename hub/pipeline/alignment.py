"""Alignment of known vocabularies, so identical data is judged identically whatever its dialect.

Applied at harvest and in `mutualisons validate` (both go through hub/pipeline/lifting.py), before the split:

- schema.org terms are stored as `https://schema.org/`: `http://schema.org/` terms (what schema.org's
  own JSON-LD context produces) are rewritten, not kept (DESIGN.md: one namespace for schema.org);
- literals typed with schema.org's own datatypes (`schema:Date`, `schema:DateTime`, `schema:Time`: what
  schema.org's JSON-LD context gives `startDate` and friends) get the XSD datatype their lexical form
  fits (`xsd:date`, `xsd:dateTime`, `xsd:time`), so the charter reads them as dates;
- `schema:latitude`/`schema:longitude` given as double, float, integer, decimal or numeric string
  become `xsd:decimal`, so the charter compares numbers, not lexical forms;
- an untagged `schema:name` is tagged with the source's `language` when it declares one (and a warning
  says so); without one it stays untagged and the charter warns;
- Data Food Consortium enterprises, persons, addresses and supplied products, ESSGLOBAL initiatives, vCard
  and FOAF land in the hub's model: the hub's schema.org triples are ADDED next to the original ones. The originals
  are kept because they are what the publisher said (provenance shows the exact statement), queries
  written against DFC or vCard keep working on the hub, and the mapping loses detail the hub's model
  has no place for (a DFC address's own IRI, vCard's typed e-mails);
- a verification status or recommendation count a feed claims is stripped: the hub computes them
  (hub/charter/verification.py) and no feed can claim them;
- a DFC catalogue lands in the hub's product model (docs/api.md, `/api/products`): a supplied product's type and
  certifications become `schema:category` and `schema:hasCertification` (DFC's taxonomy concept IRIs kept as they
  are), and the enterprise that supplies it becomes its `hub:suppliedBy`, whether the enterprise says it
  (`dfc-b:supplies`), the product does (`dfc-b:suppliedBy`), or a catalogue item that references the product is
  managed by it (`dfc-b:manages`, `dfc-b:managedBy`, in the same document); a DFC person without a name gets one
  from their first and family names (the charter needs one); a DFC enterprise whose address (in the same
  document) gives coordinates gets them as its `schema:geo`, so that the map, the service area and bounding
  boxes see them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad

from hub.charter.messages import warning as coded
from hub.core.namespaces import DFC, DFC_POD, FOAF, HUB, RDF, SCHEMA, SCHEMA_HTTP, VCARD, XSD

RDF_TYPE = RDF + "type"
ESSGLOBAL_NAMESPACES = ("http://purl.org/essglobal/vocab/v2.0/", "http://purl.org/essglobal/vocab/v1.0/",
                        "https://w3id.org/essglobal/vocab/v2.0/")
GOOD_RELATIONS = "http://purl.org/goodrelations/v1#"
W3C_GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"

# Original class -> the schema.org class the hub adds.
CLASS_MAP: dict[str, str] = {
    DFC + "Enterprise": SCHEMA + "Organization",
    DFC + "Person": SCHEMA + "Person",
    DFC + "Address": SCHEMA + "PostalAddress",
    DFC_POD + "Enterprise": SCHEMA + "Organization",
    DFC_POD + "Person": SCHEMA + "Person",
    DFC_POD + "Address": SCHEMA + "PostalAddress",
    DFC + "SuppliedProduct": SCHEMA + "Product",
    DFC_POD + "SuppliedProduct": SCHEMA + "Product",
    VCARD + "Individual": SCHEMA + "Person",
    VCARD + "Organization": SCHEMA + "Organization",
    VCARD + "Address": SCHEMA + "PostalAddress",
    FOAF + "Person": SCHEMA + "Person",
    FOAF + "Organization": SCHEMA + "Organization",
    **{ns + "SSEInitiative": SCHEMA + "Organization" for ns in ESSGLOBAL_NAMESPACES},
    **{ns + "Address": SCHEMA + "PostalAddress" for ns in ESSGLOBAL_NAMESPACES},
}
# Original property -> the schema.org property the hub adds (same subject, same object).
PROPERTY_MAP: dict[str, str] = {
    DFC + "name": SCHEMA + "name",
    DFC + "firstName": SCHEMA + "givenName",
    DFC + "familyName": SCHEMA + "familyName",
    DFC + "description": SCHEMA + "description",
    DFC + "hasAddress": SCHEMA + "address",
    DFC + "hasStreet": SCHEMA + "streetAddress",
    DFC + "hasPostalCode": SCHEMA + "postalCode",
    DFC + "hasCity": SCHEMA + "addressLocality",
    DFC + "hasCountry": SCHEMA + "addressCountry",
    DFC + "latitude": SCHEMA + "latitude",
    DFC + "longitude": SCHEMA + "longitude",
    DFC + "email": SCHEMA + "email",
    DFC + "websitePage": SCHEMA + "url",
    **{DFC_POD + name: SCHEMA + target for name, target in (
        ("name", "name"), ("firstName", "givenName"), ("familyName", "familyName"), ("description", "description"),
        ("hasAddress", "address"), ("street", "streetAddress"), ("postcode", "postalCode"),
        ("city", "addressLocality"), ("country", "addressCountry"), ("latitude", "latitude"),
        ("longitude", "longitude"), ("email", "email"), ("websitePage", "url"))},
    # A supplied product's type and certifications: DFC taxonomy concepts, their IRIs kept as they are.
    **{ns + name: target for ns in (DFC, DFC_POD) for name, target in (
        ("hasType", SCHEMA + "category"), ("hasCertification", SCHEMA + "hasCertification"),
        ("image", SCHEMA + "image"), ("suppliedBy", HUB + "suppliedBy"))},
    VCARD + "fn": SCHEMA + "name",
    VCARD + "organization-name": SCHEMA + "name",
    VCARD + "given-name": SCHEMA + "givenName",
    VCARD + "family-name": SCHEMA + "familyName",
    VCARD + "hasAddress": SCHEMA + "address",
    VCARD + "street-address": SCHEMA + "streetAddress",
    VCARD + "postal-code": SCHEMA + "postalCode",
    VCARD + "locality": SCHEMA + "addressLocality",
    VCARD + "country-name": SCHEMA + "addressCountry",
    VCARD + "hasURL": SCHEMA + "url",
    VCARD + "note": SCHEMA + "description",
    FOAF + "name": SCHEMA + "name",
    FOAF + "homepage": SCHEMA + "url",
    FOAF + "givenName": SCHEMA + "givenName",
    FOAF + "familyName": SCHEMA + "familyName",
    GOOD_RELATIONS + "name": SCHEMA + "name",
    W3C_GEO + "lat": SCHEMA + "latitude",
    W3C_GEO + "long": SCHEMA + "longitude",
    **{ns + "hasAddress": SCHEMA + "address" for ns in ESSGLOBAL_NAMESPACES},
}
# Original property -> the hub property it states the other way round (object -> subject).
INVERSE_MAP: dict[str, str] = {DFC + "supplies": HUB + "suppliedBy", DFC_POD + "supplies": HUB + "suppliedBy"}
COORDINATES = frozenset({SCHEMA + "latitude", SCHEMA + "longitude"})
_NUMERIC_TYPES = frozenset(XSD + t for t in ("double", "float", "decimal", "integer", "string", "int", "long"))
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_SCHEMA_TEMPORAL = frozenset({SCHEMA + "Date", SCHEMA + "DateTime", SCHEMA + "Time"})
# Facts only the hub may state.
HUB_COMPUTED = frozenset({HUB + "verificationStatus", HUB + "recommendationCount"})
Node = NamedNode | BlankNode
Graph = NamedNode | BlankNode | DefaultGraph

def needs_alignment(nquads: bytes) -> bool:
    """Whether `align` would change anything in a document's N-Quads, found without term objects:
    a 100k-record feed already in the hub's dialect should not pay term-by-term work."""
    markers = [SCHEMA_HTTP, DFC, DFC_POD, VCARD, FOAF, GOOD_RELATIONS, W3C_GEO, *ESSGLOBAL_NAMESPACES,
               *(f"<{iri}>" for iri in HUB_COMPUTED), *(f"^^<{iri}>" for iri in _SCHEMA_TEMPORAL)]
    if any(marker.encode("utf-8") in nquads for marker in markers):
        return True
    return bool(_UNTAGGED_NAME.search(nquads) or any(pattern.search(nquads) for pattern in _NON_DECIMAL_COORDINATES))


# A schema:name literal followed by no language tag; a coordinate not typed xsd:decimal.
_UNTAGGED_NAME = re.compile(rb'<https://schema\.org/name> "(?:[^"\\\n]|\\.)*"(?:\^\^<http://www\.w3\.org/2001/'
                            rb'XMLSchema#string>)? [<_.]')
# One pattern per property: a pattern that starts with a whole IRI is searched for as a literal string
# first (fast); one that starts with `<https://schema.org/(?:…` tries every predicate of the feed.
_NON_DECIMAL_COORDINATES = [re.compile(rb'<https://schema\.org/' + name + rb'> (?:[<_]|"(?:[^"\\\n]|\\.)*"'
                                       rb'(?!\^\^<http://www\.w3\.org/2001/XMLSchema#decimal>))')
                            for name in (b"latitude", b"longitude")]


@dataclass
class AlignmentReport:
    rewritten_schema_terms: int = 0
    normalised_coordinates: int = 0
    typed_dates: int = 0
    tagged_names: int = 0
    untagged_names: int = 0
    stripped_claims: int = 0
    mapped: dict[str, int] = field(default_factory=dict)  # vocabulary -> triples added

    def warnings(self, document: str, language: str | None) -> list[str]:
        """What the alignment did, as coded warnings (`align.*`, hub/charter/messages.py): said in each reader's
        language from the run's English line."""
        lines = []
        if self.rewritten_schema_terms:
            lines.append(coded("align.schema-http", document=document, count=self.rewritten_schema_terms))
        if self.tagged_names:
            lines.append(coded("align.names-tagged", document=document, count=self.tagged_names,
                               language=language))
        if self.untagged_names:
            lines.append(coded("align.names-untagged", document=document, count=self.untagged_names))
        if self.stripped_claims:
            lines.append(coded("align.claims-ignored", document=document, count=self.stripped_claims))
        for vocabulary, count in sorted(self.mapped.items()):
            lines.append(coded("align.mapped", document=document, count=count, vocabulary=vocabulary))
        return lines

    def notes(self) -> list[str]:
        """What a record's description in the meta graph says about how it was aligned."""
        notes = []
        if self.rewritten_schema_terms:
            notes.append("http://schema.org/ terms rewritten to https://schema.org/")
        if self.normalised_coordinates:
            notes.append("coordinates normalised to xsd:decimal")
        if self.typed_dates:
            notes.append("schema.org Date/DateTime/Time literals typed as XSD")
        if self.tagged_names:
            notes.append("untagged names tagged with the source's language")
        for vocabulary in sorted(self.mapped):
            notes.append(f"{vocabulary} terms mapped to schema.org, originals kept")
        return notes


def _vocabulary_of(iri: str) -> str:
    if iri.startswith((DFC, DFC_POD)):
        return "DFC"
    if iri.startswith(VCARD):
        return "vCard"
    if iri.startswith(FOAF):
        return "FOAF"
    if iri.startswith(ESSGLOBAL_NAMESPACES):
        return "ESSGLOBAL"
    if iri.startswith(GOOD_RELATIONS):
        return "GoodRelations"
    return "W3C geo"


def _https(node: NamedNode, report: AlignmentReport) -> NamedNode:
    if node.value.startswith(SCHEMA_HTTP):
        report.rewritten_schema_terms += 1
        return NamedNode(SCHEMA + node.value[len(SCHEMA_HTTP):])
    return node


def _decimal(obj: Literal) -> Literal | None:
    """The coordinate as xsd:decimal, or None when it is no number (the charter then says so)."""
    if obj.datatype.value == XSD + "decimal":
        return obj  # already what the charter reads; its lexical form is the publisher's
    if obj.language or obj.datatype.value not in _NUMERIC_TYPES or not _NUMBER.match(obj.value):
        return None
    try:
        value = Decimal(obj.value.strip())
    except InvalidOperation:
        return None
    text = format(value.normalize(), "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=NamedNode(XSD + "decimal"))


def _xsd_temporal(obj: Literal) -> Literal | None:
    """schema:Date "2027-01-21T18:30:00" -> xsd:dateTime; None when the form fits no XSD type."""
    value = obj.value.strip()
    if _DATE_TIME.match(value):
        value = re.sub(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?!:)", r"\1:00", value)  # xsd:dateTime needs seconds
        return Literal(value, datatype=NamedNode(XSD + "dateTime"))
    if _DATE.match(value):
        return Literal(value, datatype=NamedNode(XSD + "date"))
    if _TIME.match(value):
        return Literal(value if value.count(":") >= 2 else value + ":00", datatype=NamedNode(XSD + "time"))
    return None


def align(quads: Iterable[Quad], language: str | None = None) -> tuple[list[Quad], AlignmentReport]:
    report = AlignmentReport()
    aligned: list[Quad] = []
    seen: set[Quad] = set()

    def emit(quad: Quad) -> None:
        if quad not in seen:
            seen.add(quad)
            aligned.append(quad)

    for quad in quads:
        subject, predicate, obj = quad.subject, _https(quad.predicate, report), quad.object
        if isinstance(subject, NamedNode):
            subject = _https(subject, report)
        if isinstance(obj, NamedNode):
            obj = _https(obj, report)
        elif isinstance(obj, Literal) and obj.datatype.value.startswith(SCHEMA_HTTP):
            obj = Literal(obj.value, datatype=_https(obj.datatype, report))
        if isinstance(obj, Literal) and obj.datatype.value in _SCHEMA_TEMPORAL:
            temporal = _xsd_temporal(obj)
            if temporal is not None:
                report.typed_dates += 1
                obj = temporal
        if predicate.value in HUB_COMPUTED:
            report.stripped_claims += 1
            continue
        if predicate.value in COORDINATES and isinstance(obj, Literal):
            normalised = _decimal(obj)
            if normalised is not None and normalised != obj:
                report.normalised_coordinates += 1
                obj = normalised
        if predicate.value == SCHEMA + "name" and isinstance(obj, Literal) and not obj.language \
                and obj.datatype.value == XSD + "string":
            if language:
                report.tagged_names += 1
                obj = Literal(obj.value, language=language)
            else:
                report.untagged_names += 1
        emit(Quad(subject, predicate, obj, quad.graph_name))
        # The hub's model next to the original statement.
        if predicate.value == RDF_TYPE and isinstance(obj, NamedNode) and obj.value in CLASS_MAP:
            emit(Quad(subject, predicate, NamedNode(CLASS_MAP[obj.value]), quad.graph_name))
            vocabulary = _vocabulary_of(obj.value)
            report.mapped[vocabulary] = report.mapped.get(vocabulary, 0) + 1
        elif predicate.value in INVERSE_MAP and isinstance(obj, NamedNode | BlankNode):
            emit(Quad(obj, NamedNode(INVERSE_MAP[predicate.value]), subject, quad.graph_name))
            report.mapped["DFC"] = report.mapped.get("DFC", 0) + 1
        elif predicate.value in PROPERTY_MAP:
            target = PROPERTY_MAP[predicate.value]
            mapped_obj = obj
            if target in COORDINATES and isinstance(obj, Literal):
                mapped_obj = _decimal(obj) or obj
            if target == SCHEMA + "name" and isinstance(obj, Literal) and not obj.language and language \
                    and obj.datatype.value == XSD + "string":
                mapped_obj = Literal(obj.value, language=language)
            emit(Quad(subject, NamedNode(target), mapped_obj, quad.graph_name))
            vocabulary = _vocabulary_of(predicate.value)
            report.mapped[vocabulary] = report.mapped.get(vocabulary, 0) + 1
    if any(q.predicate.value.startswith((DFC, DFC_POD)) for q in aligned):
        for quad in _dfc_statements(aligned):
            emit(quad)
            report.mapped["DFC"] = report.mapped.get("DFC", 0) + 1
    return aligned, report


def _dfc_statements(quads: list[Quad]) -> list[Quad]:
    """What a DFC document says across several of its statements, in the hub's model (the module's docstring):
    products' suppliers through catalogue items, persons' names, enterprises' coordinates."""
    managed_by: dict[Node, list[Node]] = {}  # catalogue item -> enterprises
    references: dict[Node, list[Node]] = {}  # catalogue item -> products
    first: dict[Node, str] = {}
    family: dict[Node, str] = {}
    named: set[Node] = set()
    enterprises: set[Node] = set()
    addresses: dict[Node, list[Node]] = {}  # subject -> its addresses, in document order
    latitude: dict[Node, Literal] = {}
    longitude: dict[Node, Literal] = {}
    located: set[Node] = set()
    graph_of: dict[Node, Graph] = {}
    for quad in quads:
        subject, local, obj = quad.subject, _dfc_local(quad.predicate.value), quad.object
        if not isinstance(subject, NamedNode | BlankNode):
            continue
        graph_of.setdefault(subject, quad.graph_name)
        if quad.predicate.value in (SCHEMA + "name", DFC + "name", DFC_POD + "name"):
            named.add(subject)
        elif quad.predicate.value in (SCHEMA + "geo", SCHEMA + "latitude"):
            located.add(subject)
        elif quad.predicate.value == RDF_TYPE and obj in _ENTERPRISES:
            enterprises.add(subject)
        if local is None:
            continue
        if local == "manages" and isinstance(obj, NamedNode | BlankNode):
            managed_by.setdefault(obj, []).append(subject)
        elif local == "managedBy" and isinstance(obj, NamedNode | BlankNode):
            managed_by.setdefault(subject, []).append(obj)
        elif local == "references" and isinstance(obj, NamedNode | BlankNode):
            references.setdefault(subject, []).append(obj)
        elif local == "firstName" and isinstance(obj, Literal):
            first.setdefault(subject, obj.value.strip())
        elif local == "familyName" and isinstance(obj, Literal):
            family.setdefault(subject, obj.value.strip())
        elif local == "hasAddress" and isinstance(obj, NamedNode | BlankNode):
            addresses.setdefault(subject, []).append(obj)
        elif local == "latitude" and isinstance(obj, Literal):
            latitude.setdefault(subject, obj)
        elif local == "longitude" and isinstance(obj, Literal):
            longitude.setdefault(subject, obj)
    added: list[Quad] = []
    supplied_by = NamedNode(HUB + "suppliedBy")
    for item, products in references.items():
        for product in products:
            for enterprise in managed_by.get(item, []):
                added.append(Quad(product, supplied_by, enterprise, graph_of.get(item)))
    for person in sorted(set(first) | set(family), key=str):
        if person in named:
            continue
        name = " ".join(part for part in (first.get(person), family.get(person)) if part)
        if name:
            added.append(Quad(person, NamedNode(SCHEMA + "name"), Literal(name), graph_of.get(person)))
    for enterprise in sorted(enterprises - located, key=str):
        for address in addresses.get(enterprise, []):
            lat, lon = latitude.get(address), longitude.get(address)
            lat_decimal, lon_decimal = (_decimal(lat), _decimal(lon)) if lat and lon else (None, None)
            if lat_decimal is None or lon_decimal is None:
                continue
            geo, graph = BlankNode(), graph_of.get(enterprise)
            added += [Quad(enterprise, NamedNode(SCHEMA + "geo"), geo, graph),
                      Quad(geo, NamedNode(RDF_TYPE), NamedNode(SCHEMA + "GeoCoordinates"), graph),
                      Quad(geo, NamedNode(SCHEMA + "latitude"), lat_decimal, graph),
                      Quad(geo, NamedNode(SCHEMA + "longitude"), lon_decimal, graph)]
            break
    return added


_ENTERPRISES = frozenset({NamedNode(DFC + "Enterprise"), NamedNode(DFC_POD + "Enterprise")})


def _dfc_local(iri: str) -> str | None:
    """The local name of a DFC term (either namespace), or None for any other term."""
    for namespace in (DFC, DFC_POD):
        if iri.startswith(namespace):
            return iri[len(namespace):]
    return None
