"""Lift one fetched document to records: detect the format, parse, align, split, apply consent.

Shared by the harvest and by `mutualisons validate`, so a publisher's check judges exactly what a
harvest would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pyoxigraph import Quad, RdfFormat, serialize

from harvesters.fetch import Fetched
from harvesters.jsonld import ContextError, Resolver, inline_contexts, shipped_resolver
from harvesters.rdf import LiftError, detect_format, lift_rdf_nquads
from hub.alignment import AlignmentReport, align, needs_alignment
from hub.consent import mentions_persons, remove_unconsented_persons
from hub.iris import Minter
from hub.ntriples import to_lines, to_quads
from hub.records import Record, split_records
from hub.vocabulary import Vocabulary, default_vocabulary


@dataclass
class LiftedDocument:
    document: str
    format: str
    records: list[Record]
    warnings: list[str] = field(default_factory=list)
    quad_count: int = 0
    # Rows or features that failed alone, each with its location: the run reports them and is partial.
    row_errors: list[str] = field(default_factory=list)
    upstream_descriptions: list[str] = field(default_factory=list)  # see SplitResult


MAPPED_FORMATS = ("geojson", "csv", "ical")
_MAPPED_MEDIA = {"application/geo+json": "geojson", "text/csv": "csv", "text/calendar": "ical"}
_MAPPED_EXTENSIONS = {".geojson": "geojson", ".csv": "csv", ".tsv": "csv", ".ics": "ical", ".ical": "ical"}


def lift_document(
    fetched: Fetched,
    *,
    configured_format: str | None,
    base_iri: str,
    minter: Minter,
    source_id: str,
    vocabulary: Vocabulary | None = None,
    mapping_path: Path | None = None,
    language: str | None = None,
    resolve_context: Resolver = shipped_resolver,
    today: date | None = None,
) -> LiftedDocument:
    """Raises harvesters.rdf.LiftError when the document cannot be parsed."""
    vocabulary = vocabulary or default_vocabulary()
    format_name = _mapped_format(configured_format, fetched) or detect_format(
        configured_format, fetched.content_type, fetched.url, fetched.body)
    row_errors: list[str] = []
    mapped_warnings: list[str] = []
    if format_name in MAPPED_FORMATS:
        quads, mapped_warnings, row_errors = _lift_mapped(fetched, format_name, mapping_path, minter, source_id,
                                                          vocabulary, language)
        nquads = serialize(quads, format=RdfFormat.N_QUADS) or b""
    else:
        # Relative IRIs resolve against the document URL, or for file: feeds against the source's base.
        document_base = fetched.url if fetched.url.startswith(("http://", "https://")) else base_iri
        # JSON-LD, and JSON-LD blocks of HTML pages, get their remote @contexts inlined first.
        nquads = lift_rdf_nquads(fetched.body, format_name, document_base, fetched.url,
                                 prepare_jsonld=lambda data: _with_inline_contexts(fetched.url, data, resolve_context))
    lines = nquads.decode("utf-8").splitlines()
    report = AlignmentReport()
    persons = mentions_persons(nquads)
    if needs_alignment(nquads):
        # Only documents with something to align pay for term-by-term work.
        aligned, report = align(to_quads(lines), language)
        lines = to_lines(aligned)
        persons = persons or mentions_persons("\n".join(lines).encode("utf-8"))
    split = split_records(
        lines=lines, hierarchy=vocabulary.hierarchy, minter=minter, source_id=source_id, document=fetched.url
    )
    warnings = mapped_warnings + list(split.warnings) + report.warnings(fetched.url, language)
    notes = report.notes()
    for record in split.records:
        record.notes = list(notes)
        if persons:
            warnings += remove_unconsented_persons(record, vocabulary.hierarchy, today)
    if split.orphan_subjects:
        warnings.append(f"{fetched.url}: {split.orphan_subjects} subjects belong to no record "
                        f"(no record class reaches them) and are not published")
    return LiftedDocument(fetched.url, format_name, split.records, warnings, len(lines), row_errors,
                          split.upstream_descriptions)


def _with_inline_contexts(document: str, body: bytes, resolve_context: Resolver) -> bytes:
    """JSON-LD with remote @contexts inlined: pyoxigraph loads none itself."""
    try:
        return inline_contexts(body, resolve_context)
    except ContextError as error:
        raise LiftError(document, "jsonld", str(error)) from error
    except ValueError as error:
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
        raise LiftError(document, "jsonld", f"not JSON: {getattr(error, 'msg', error)}", line, column) from error


def _mapped_format(configured: str | None, fetched: Fetched) -> str | None:
    if configured:
        return configured if configured in MAPPED_FORMATS else None
    media = (fetched.content_type or "").split(";")[0].strip().lower()
    if media in _MAPPED_MEDIA:
        return _MAPPED_MEDIA[media]
    path = fetched.url.lower().split("?")[0]
    return next((name for ext, name in _MAPPED_EXTENSIONS.items() if path.endswith(ext)), None)


def _lift_mapped(fetched: Fetched, format_name: str, mapping_path: Path | None, minter: Minter, source_id: str,
                 vocabulary: Vocabulary, language: str | None) -> tuple[list[Quad], list[str], list[str]]:
    """GeoJSON, CSV and iCalendar through their mapping, to quads in the hub vocabulary."""
    # Imported here: the mapped formats' libraries (icalendar, shapely, …) cost a second of start-up
    # that RDF feeds should not pay.
    from harvesters.csv_table import lift_csv
    from harvesters.geojson import lift_geojson
    from harvesters.ical import lift_ical
    from harvesters.mapping import LiftContext, MappingError, load_mapping

    mapping = None
    if mapping_path is not None:
        try:
            mapping = load_mapping(mapping_path)
        except MappingError as error:
            raise LiftError(fetched.url, format_name, f"mapping: {error}") from error
    elif format_name != "ical":
        raise LiftError(fetched.url, format_name, "no mapping (the source's `mapping` key, or `--mapping` of "
                        "validate); `mutualisons mapping suggest FILE` proposes one")
    context = LiftContext(fetched.url, source_id, minter.entity, vocabulary.hierarchy.kind_of, language)
    if format_name == "ical":
        lifted = lift_ical(fetched.body, mapping, context)
    else:
        assert mapping is not None
        lifted = (lift_geojson if format_name == "geojson" else lift_csv)(fetched.body, mapping, context)
    return lifted.quads, lifted.warnings, lifted.row_errors
