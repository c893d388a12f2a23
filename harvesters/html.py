"""Lift the structured data embedded in an HTML page (a shop's schema.org markup) to quads.

extruct finds the three syntaxes in one parse of the page:
- JSON-LD `<script type="application/ld+json">` blocks, parsed by pyoxigraph like a JSON-LD feed
  (a syntax error names the page line of the block);
- RDFa, as pyRdfa gives it (expanded JSON-LD, vocabulary expansion off, so it fetches nothing);
- microdata, converted to triples after the W3C "Microdata to RDF" note: the item's `itemid` or a
  blank node as subject, `itemtype` as rdf:type, a short property name in its type's vocabulary
  (schema.org for schema.org types), URL-valued elements (a, link, img…) as IRIs.

extruct (with rdflib, pyRdfa and bs4) takes a fifth of a second to import: it is imported when a page is
lifted, so that the format table, which imports this module for its entry, stays cheap.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import lxml.etree
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, parse
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from harvesters.formats import SURE, DocumentContext, Format, LiftError, LiftResult, PrepareJsonLd, opening
from harvesters.limits import TooDeep, check_json_depth
from harvesters.rdf import TOKEN_TOO_LONG, syntax_reason
from harvesters.wording import because

FORMAT = "html"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"
RDFA_USES_VOCABULARY = "http://www.w3.org/ns/rdfa#usesVocabulary"
_URL_ELEMENTS = frozenset({"a", "area", "link", "audio", "embed", "iframe", "img", "source", "track", "video",
                           "object"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


_HTML_START = re.compile(rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]",
                         re.IGNORECASE | re.DOTALL)


def lift_html(body: bytes, base_iri: str | None, document: str,
              prepare_jsonld: PrepareJsonLd | None = None) -> list[Quad]:
    from extruct.utils import parse_xmldom_html

    encoding = resolve_encoding(html_body_declared_encoding(body) or "utf-8") or "utf-8"
    try:
        tree = parse_xmldom_html(body, encoding=encoding)
    except (lxml.etree.ParserError, ValueError) as error:
        raise LiftError(document, FORMAT, "not an HTML page: " + because(
            error, "the markup cannot be parsed")) from error
    base = _page_base(tree, base_iri or "")
    quads = list(_jsonld_quads(tree, base, document, prepare_jsonld))
    quads += _rdfa_quads(tree, base, document)
    quads += _microdata_quads(tree, base, document)
    return quads


def _page_base(tree: Any, base_iri: str) -> str:
    """`<base href>` moves the page's base, as browsers (and RDFa, microdata) resolve against it."""
    hrefs = tree.xpath("//base/@href")
    return urljoin(base_iri, str(hrefs[0]).strip()) if hrefs else base_iri


def _jsonld_quads(tree: Any, base: str, document: str, prepare: PrepareJsonLd | None) -> Iterator[Quad]:
    from extruct.jsonld import JsonLdExtractor

    for script in JsonLdExtractor._xp_jsonld(tree):
        text = script.xpath("string()")
        if not text.strip():
            continue
        line = script.sourceline or 1
        payload = text.encode("utf-8")
        try:
            check_json_depth(payload)  # json.loads recurses: bounded before it starts
        except TooDeep as error:
            raise LiftError(document, FORMAT, f"JSON-LD block at line {line}: {error}",
                            line + (error.line or 1) - 1, error.column if (error.line or 1) > 1 else None) from error
        try:
            json.loads(text)
        except ValueError:
            # What pages really hold: control characters in strings, HTML or JS comments around
            # the JSON. extruct's lenient reading; only a block it cannot read either fails the page.
            try:
                items = list(JsonLdExtractor()._extract_items(script))
            except ValueError as error:
                where = getattr(error, "lineno", 1)
                column = getattr(error, "colno", None) if where > 1 else None
                raise LiftError(document, FORMAT, f"JSON-LD block at line {line}: {getattr(error, 'msg', error)}",
                                line + where - 1, column) from error
            payload = json.dumps(items).encode("utf-8")
        original = payload
        if prepare is not None:
            payload = prepare(payload)
        try:
            yield from parse(payload, format=RdfFormat.JSON_LD, base_iri=base)
        except MemoryError as error:
            raise LiftError(document, FORMAT, f"JSON-LD block at line {line}: {TOKEN_TOO_LONG}") from error
        except SyntaxError as error:
            # Positions map back to the page only when pyoxigraph read the block's own text.
            exact = payload is original and payload == text.encode("utf-8") and error.lineno
            raise LiftError(document, FORMAT, f"JSON-LD block at line {line}: {syntax_reason(error)}",
                            line + error.lineno - 1 if exact and error.lineno else line,
                            error.offset if exact and error.lineno and error.lineno > 1 else None) from error


def _rdfa_quads(tree: Any, base: str, document: str) -> list[Quad]:
    from extruct.rdfa import RDFaExtractor

    try:
        nodes = RDFaExtractor().extract_items(tree, base_url=base, expanded=True)
    except Exception as error:  # noqa: BLE001 - pyRdfa/rdflib raise anything on hostile markup; one clear error
        raise LiftError(document, FORMAT, "RDFa could not be read: " + because(
            error, "its attributes (about, property, typeof, vocab, prefix) do not make RDFa the reader takes; "
                   "check them with an RDFa validator, or publish the data as JSON-LD")) from error
    # Processing notes, not data: which vocabulary the page declared.
    nodes = [{k: v for k, v in node.items() if k != RDFA_USES_VOCABULARY} for node in nodes]
    nodes = [node for node in nodes if set(node) - {"@id"}]
    if not nodes:
        return []
    try:
        return list(parse(json.dumps(nodes).encode("utf-8"), format=RdfFormat.JSON_LD, base_iri=base))
    except SyntaxError as error:
        raise LiftError(document, FORMAT, f"RDFa: {syntax_reason(error)}") from error


class _Url(str):
    """A microdata value read from a URL attribute (href, src, data): an IRI, not text."""


class _Time(str):
    """A microdata value read from a <time datetime>: typed as xsd:date or xsd:dateTime when it is one."""


@functools.cache
def _microdata_extractor() -> Any:
    """extruct's microdata reader, remembering which values came from URL or time elements."""
    from extruct.w3cmicrodata import LxmlMicrodataExtractor

    class MicrodataExtractor(LxmlMicrodataExtractor):
        def _extract_property_value(self, node: Any, items_seen: Any, base_url: Any, itemids: Any,
                                    force: bool = False) -> Any:
            value = super()._extract_property_value(node, items_seen, base_url, itemids, force)
            if isinstance(value, str) and (force or node.get("itemscope") is None):
                if node.tag in _URL_ELEMENTS:
                    return _Url(value)
                if node.tag == "time" and node.get("datetime"):
                    return _Time(value)
            return value

    return MicrodataExtractor


def _microdata_quads(tree: Any, base: str, document: str) -> list[Quad]:
    try:
        items = _microdata_extractor()(strict=True).extract_items(tree, base_url=base)
    except Exception as error:  # noqa: BLE001 - as for RDFa: a hostile page fails with one clear error
        raise LiftError(document, FORMAT, "microdata could not be read: " + because(
            error, "its itemscope, itemtype, itemprop and itemref attributes do not make microdata the reader "
                   "takes; check them with a microdata validator, or publish the data as JSON-LD")) from error
    quads: list[Quad] = []
    for item in items:
        _item_quads(item, None, base, quads)
    return quads


def _item_quads(item: dict[str, Any], inherited_vocabulary: str | None, base: str,
                quads: list[Quad]) -> NamedNode | BlankNode:
    subject = _iri(urljoin(base, item["id"])) if item.get("id") else None
    node: NamedNode | BlankNode = subject or BlankNode()
    types = [t for t in item.get("type", []) if _ABSOLUTE.match(t) and _iri(t)]
    for type_iri in types:
        quads.append(Quad(node, RDF_TYPE, NamedNode(type_iri)))
    vocabulary = _vocabulary(types[0]) if types else inherited_vocabulary
    for name, values in item.get("properties", {}).items():
        predicate = _iri(name) if _ABSOLUTE.match(name) else (_iri(vocabulary + name) if vocabulary else None)
        if predicate is None:
            continue  # a short name in an item without type: no vocabulary gives it an IRI
        for value in values:
            term = _value_term(value, vocabulary, base, quads)
            if term is not None:
                quads.append(Quad(node, predicate, term))
    return node


def _value_term(value: Any, vocabulary: str | None, base: str,
                quads: list[Quad]) -> NamedNode | BlankNode | Literal | None:
    if isinstance(value, dict):
        if "type" in value or "properties" in value or "id" in value:
            return _item_quads(value, vocabulary, base, quads)
        return None  # schema.org action annotations (valueRequired…): not data about the item
    if isinstance(value, _Url):
        return _iri(value) or Literal(value)
    if isinstance(value, _Time):
        if _DATE.match(value):
            return Literal(value, datatype=NamedNode(XSD + "date"))
        if _DATETIME.match(value):
            return Literal(value, datatype=NamedNode(XSD + "dateTime"))
    return Literal(str(value))


def _vocabulary(type_iri: str) -> str:
    """The vocabulary of a type: its IRI up to the last `/` or `#` (https://schema.org/Place -> https://schema.org/)."""
    return type_iri[: max(type_iri.rfind("/"), type_iri.rfind("#")) + 1]


def _iri(text: str) -> NamedNode | None:
    try:
        return NamedNode(text.strip())
    except ValueError:
        return None


def _sniff(head: bytes) -> int:
    return SURE if _HTML_START.match(opening(head)) else 0


def _lift(body: bytes, context: DocumentContext) -> LiftResult:
    return LiftResult.of(lift_html(body, context.base_iri, context.document, context.prepare_jsonld))


HTML = Format(FORMAT, _lift, media_types=("text/html", "application/xhtml+xml"), extensions=(".html", ".htm", ".xhtml"),
              graphs=True, sniff=_sniff)
