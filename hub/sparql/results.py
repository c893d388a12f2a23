"""SELECT results written row by row in the four SPARQL results formats (JSON, XML, CSV, TSV).

pyoxigraph serializes a whole `QuerySolutions` at once and cannot stop at a row cap, so the query
workers write rows themselves: that lets a response stop at `--max-rows` and leave the worker as
bytes, chunk by chunk, in the negotiated format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, QueryResultsFormat, Triple

Write = Callable[[bytes], Any]
Row = Sequence[Any]  # one term (or None when unbound) per variable

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def write_solutions(fmt: QueryResultsFormat, variables: list[str], rows: Iterable[Row], write: Write) -> None:
    writer = {
        QueryResultsFormat.JSON: _json,
        QueryResultsFormat.XML: _xml,
        QueryResultsFormat.CSV: _csv,
        QueryResultsFormat.TSV: _tsv,
    }[fmt]
    writer(variables, rows, write)


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _json(variables: list[str], rows: Iterable[Row], write: Write) -> None:
    write(b'{"head":{"vars":' + json.dumps(variables).encode() + b'},"results":{"bindings":[')
    first = True
    for row in rows:
        binding = {name: _json_term(term) for name, term in zip(variables, row, strict=True) if term is not None}
        write((b"" if first else b",") + json.dumps(binding, ensure_ascii=False, separators=(",", ":")).encode())
        first = False
    write(b"]}}")


def _xml_term(term: Any) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}"
                f"</predicate><object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _xml(variables: list[str], rows: Iterable[Row], write: Write) -> None:
    head = "".join(f"<variable name={quoteattr(name)}/>" for name in variables)
    write(f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>{head}</head>'
          f"<results>".encode())
    for row in rows:
        bindings = "".join(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
                           for name, term in zip(variables, row, strict=True) if term is not None)
        write(f"<result>{bindings}</result>".encode())
    write(b"</results></sparql>\n")


def _csv_cell(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode | Literal):
        value = term.value
    elif isinstance(term, BlankNode):
        value = f"_:{term.value}"
    else:
        value = str(term)
    if any(ch in value for ch in ',"\r\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value


def _csv(variables: list[str], rows: Iterable[Row], write: Write) -> None:
    write((",".join(variables) + "\r\n").encode())
    for row in rows:
        write((",".join(_csv_cell(term) for term in row) + "\r\n").encode())


def _tsv_cell(term: Any) -> str:
    # N-Triples syntax, which escapes tabs and newlines inside literals as the format requires.
    return "" if term is None else str(term)


def _tsv(variables: list[str], rows: Iterable[Row], write: Write) -> None:
    write(("\t".join(f"?{name}" for name in variables) + "\n").encode())
    for row in rows:
        write(("\t".join(_tsv_cell(term) for term in row) + "\n").encode())
