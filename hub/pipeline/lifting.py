"""Lift one fetched document to records: detect the format, parse, align, split, apply consent.

Shared by the harvest and by `mutualisons validate`, so a publisher's check judges exactly what a
harvest would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pyoxigraph import Quad, RdfFormat, serialize

from harvesters.jsonld import ContextError, Resolver, inline_contexts, shipped_resolver
from harvesters.limits import MAX_LITERAL_CHARS, TooDeep, check_json_depth, literal_too_long
from harvesters.rdf import LiftError, detect_format, lift_rdf_nquads, sniff
from hub.charter.area import ServiceArea
from hub.charter.consent import mentions_persons, remove_references_to_unconsented, remove_unconsented_persons
from hub.core.iris import Minter, document_iri
from hub.core.ntriples import RDF_TYPE_TOKEN, lines_of, to_lines, to_quads
from hub.core.vocabulary import Vocabulary, default_vocabulary
from hub.pipeline.alignment import AlignmentReport, align, needs_alignment
from hub.pipeline.fetch import Fetched, FetchError
from hub.pipeline.halves import lift_in_halves, worth_halves
from hub.pipeline.split import Record, split_records


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
GRAPHLESS_FORMATS = ("turtle", "ntriples", "rdfxml")  # syntaxes that cannot name a graph
_MAPPED_MEDIA = {"application/geo+json": "geojson", "text/csv": "csv", "text/calendar": "ical"}
_MAPPED_EXTENSIONS = {".geojson": "geojson", ".csv": "csv", ".tsv": "csv", ".ics": "ical", ".ical": "ical"}


@dataclass(frozen=True)
class LiftOptions:
    """How a source's documents are read: the same for a harvest and for `mutualisons validate`."""

    minter: Minter
    source_id: str
    base_iri: str  # for relative IRIs of file: documents (http ones resolve against their own URL)
    configured_format: str | None = None  # else the Content-Type, else sniffing
    vocabulary: Vocabulary | None = None
    mapping_path: Path | None = None  # for GeoJSON and CSV
    language: str | None = None  # for untagged literals
    resolve_context: Resolver = shipped_resolver  # remote JSON-LD contexts
    scratch: Path | None = None  # a folder for temporary files (a harvest's own, emptied at its start)
    area: ServiceArea | None = None  # the hub's service area: mapped points in [lat, lon] order are caught


@dataclass
class LiftedLines:
    """One document lifted to aligned N-Quads lines, not yet split into records."""

    document: str
    format: str
    lines: list[str]
    warnings: list[str] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was aligned
    persons: bool = False  # whether it types any node as a person
    graphs: bool = True  # whether a line may name a graph (False for the syntaxes that have none)


@dataclass
class SplitOutcome:
    records: list[Record]
    warnings: list[str]
    upstream_descriptions: list[str]


def lift_lines(fetched: Fetched, options: LiftOptions) -> LiftedLines:
    """Detect, parse (or map) and align one document. Raises LiftError when it cannot be read."""
    vocabulary = options.vocabulary or default_vocabulary()
    base_iri, language = options.base_iri, options.language
    format_name = _format_of(fetched, options)
    row_errors: list[str] = []
    mapped_warnings: list[str] = []
    halves = None if format_name in MAPPED_FORMATS else \
        lift_in_halves(fetched.body, _line_based(format_name, fetched.body), scratch=options.scratch)
    if halves is not None:  # a big N-Triples or N-Quads document, read in two processes at once
        lines, persons, to_align = halves.lines, halves.persons, halves.needs_alignment
    else:
        if format_name in MAPPED_FORMATS:
            quads, mapped_warnings, row_errors = _lift_mapped(fetched, format_name, options.mapping_path,
                                                              options.minter, options.source_id, vocabulary,
                                                              language, options.area)
            nquads = serialize(quads, format=RdfFormat.N_QUADS) or b""
        else:
            # Relative IRIs resolve against the document URL, or for file: feeds against the source's base.
            document_base = document_iri(fetched.url) if fetched.url.startswith(("http://", "https://")) else base_iri
            # JSON-LD, and JSON-LD blocks of HTML pages, get their remote @contexts inlined first.
            nquads = lift_rdf_nquads(fetched.body, format_name, document_base, fetched.url,
                                     prepare_jsonld=lambda data: _with_inline_contexts(fetched.url, data,
                                                                                       options.resolve_context))
        lines, persons, to_align = lines_of(nquads), mentions_persons(nquads), needs_alignment(nquads)
        del nquads
    too_long = literal_too_long(lines)
    if too_long is not None:  # before alignment, the split and the charter, which copy every literal
        line, size = too_long
        subject, predicate = line.split(" ", 2)[:2]
        raise LiftError(fetched.url, format_name, f"a literal of {size} characters, more than the {MAX_LITERAL_CHARS} "
                        f"the hub takes, at {subject} {predicate}: shorten it or link to it")
    report = AlignmentReport()
    if to_align:
        # Only documents with something to align pay for term-by-term work.
        aligned, report = align(to_quads(lines), language)
        lines = to_lines(aligned)
        persons = persons or mentions_persons("\n".join(lines).encode("utf-8"))
    warnings = mapped_warnings + report.warnings(fetched.url, language)
    return LiftedLines(fetched.url, format_name, lines, warnings, row_errors, report.notes(), persons,
                       graphs=format_name not in GRAPHLESS_FORMATS)


def read_in_two_processes(fetched: Fetched, options: LiftOptions) -> bool:
    """Whether `lift_lines` will parse this document in two processes (hub/pipeline/halves.py)."""
    format_name = _format_of(fetched, options)
    return format_name not in MAPPED_FORMATS and worth_halves(fetched.body, _line_based(format_name, fetched.body))


def _format_of(fetched: Fetched, options: LiftOptions) -> str:
    """The configured format, else the Content-Type's, else the file extension's, else sniffed."""
    configured = options.configured_format
    return _mapped_format(configured, fetched) or detect_format(configured, fetched.content_type, fetched.url,
                                                                fetched.body)


def split_lifted(parts: list[LiftedLines], *, minter: Minter, source_id: str, vocabulary: Vocabulary | None = None,
                 today: date | None = None, known: Mapping[str, tuple[str, str]] | None = None) -> SplitOutcome:
    """The records of a source's documents, split together: a record reaches the nodes another of the
    source's documents describes (an HSDS service in services.csv, its phones in phones.csv). Each
    record belongs to the document that typed its subject first. `known`: see split_records (not
    used when a document mentions persons: the consent check reads every record's statements)."""
    vocabulary = vocabulary or default_vocabulary()
    if not parts:
        return SplitOutcome([], [], [])
    document_of: dict[str, str] = {}
    notes_of: dict[str, list[str]] = {part.document: part.notes for part in parts}
    for part in parts if len(parts) > 1 else ():  # one document: every record is its own
        for line in part.lines:
            if RDF_TYPE_TOKEN in line:
                document_of.setdefault(line.split(" ", 1)[0], part.document)
    lines = [line for part in parts for line in part.lines]
    for part in parts:
        part.lines = []  # split_records consumes the lines: none of them is kept twice
    split = split_records(lines=lines, hierarchy=vocabulary.hierarchy, minter=minter, source_id=source_id,
                          document=parts[0].document, document_of=document_of,
                          graphs=any(part.graphs for part in parts),
                          known=None if any(part.persons for part in parts) else known)
    warnings = list(split.warnings)
    persons = any(part.persons for part in parts)
    for record in split.records:
        record.notes = list(notes_of.get(record.document, []))
        if persons:
            warnings += remove_unconsented_persons(record, vocabulary.hierarchy, today)
    if persons:
        warnings += remove_references_to_unconsented(split.records, vocabulary.hierarchy, today)
    if split.orphan_subjects:
        where = parts[0].document if len(parts) == 1 else f"{len(parts)} documents"
        warnings.append(f"{where}: {split.orphan_subjects} subjects belong to no record "
                        f"(no record class reaches them) and are not published")
    return SplitOutcome(split.records, warnings, split.upstream_descriptions)


def lift_document(fetched: Fetched, options: LiftOptions, today: date | None = None) -> LiftedDocument:
    """One document on its own, lifted and split (what `mutualisons validate` checks).
    Raises harvesters.rdf.LiftError when the document cannot be parsed."""
    part = lift_lines(fetched, options)
    quad_count = len(part.lines)
    split = split_lifted([part], minter=options.minter, source_id=options.source_id, vocabulary=options.vocabulary,
                         today=today)
    return LiftedDocument(fetched.url, part.format, split.records, part.warnings + split.warnings,
                          quad_count, part.row_errors, split.upstream_descriptions)


def _with_inline_contexts(document: str, body: bytes, resolve_context: Resolver) -> bytes:
    """JSON-LD with remote @contexts inlined: pyoxigraph loads none itself."""
    try:
        return inline_contexts(body, resolve_context)
    except ContextError as error:
        raise LiftError(document, "jsonld", str(error)) from error
    except FetchError as error:
        # A remote context the guarded fetcher refused or could not get: this document fails, alone.
        raise LiftError(document, "jsonld", f"its @context could not be loaded: {error}") from error
    except ValueError as error:
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
        raise LiftError(document, "jsonld", f"not JSON: {getattr(error, 'msg', error)}", line, column) from error


def _line_based(format_name: str, body: bytes) -> str | None:
    """The line-based syntax a document is written in, if any: N-Triples is Turtle too, so a feed
    configured as Turtle may well be N-Triples (a re-serialised dump)."""
    if format_name in ("ntriples", "nquads"):
        return format_name
    return "ntriples" if format_name == "turtle" and sniff(body) == "ntriples" else None


def _mapped_format(configured: str | None, fetched: Fetched) -> str | None:
    if configured:
        return configured if configured in MAPPED_FORMATS else None
    media = (fetched.content_type or "").split(";")[0].strip().lower()
    if media in _MAPPED_MEDIA:
        return _MAPPED_MEDIA[media]
    path = fetched.url.lower().split("?")[0]
    return next((name for ext, name in _MAPPED_EXTENSIONS.items() if path.endswith(ext)), None)


def _lift_mapped(fetched: Fetched, format_name: str, mapping_path: Path | None, minter: Minter, source_id: str,
                 vocabulary: Vocabulary, language: str | None,
                 area: ServiceArea | None = None) -> tuple[list[Quad], list[str], list[str]]:
    """GeoJSON, CSV and iCalendar through their mapping, to quads in the hub vocabulary."""
    # Imported here: the mapped formats' libraries (icalendar, shapely, …) cost a second of start-up
    # that RDF feeds should not pay.
    from harvesters.csv_table import lift_csv
    from harvesters.geojson import lift_geojson
    from harvesters.geometry import Area
    from harvesters.ical import lift_ical
    from harvesters.mapping import LiftContext, MappingError, load_mapping

    if format_name == "geojson":
        try:
            check_json_depth(fetched.body)  # json.loads recurses: bounded before it starts
        except TooDeep as error:
            raise LiftError(fetched.url, format_name, str(error), error.line, error.column) from error
    mapping = None
    if mapping_path is not None:
        try:
            mapping = load_mapping(mapping_path)
        except MappingError as error:
            raise LiftError(fetched.url, format_name, f"mapping: {error}") from error
    elif format_name != "ical":
        raise LiftError(fetched.url, format_name, "no mapping (the source's `mapping` key, or `--mapping` of "
                        "validate); `mutualisons mapping suggest FILE` proposes one")
    context = LiftContext(fetched.url, source_id, minter.entity, vocabulary.hierarchy.kind_of, language,
                          Area(area.name["en"], area.contains) if area is not None else None)
    if format_name == "ical":
        lifted = lift_ical(fetched.body, mapping, context)
    else:
        assert mapping is not None
        lifted = (lift_geojson if format_name == "geojson" else lift_csv)(fetched.body, mapping, context)
    return lifted.quads, lifted.warnings, lifted.row_errors
