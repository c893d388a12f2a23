"""Lift one fetched document to records: detect the format, parse, align, split, apply consent.

Shared by the harvest and by `mutualisons validate`, so a publisher's check judges exactly what a
harvest would: both lift each document with `lift_lines` and split them with `split_lifted`, which also says
which documents gave no record and why (hub/pipeline/outcome.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from harvesters.formats import DocumentContext, Format, LiftError, table
from harvesters.geometry import Area
from harvesters.jsonld import ContextError, Resolver, inline_contexts, shipped_resolver
from harvesters.limits import MAX_LITERAL_CHARS, literal_too_long
from harvesters.mapping import Mapping as DeclarativeMapping
from harvesters.mapping import MappingError, load_mapping
from harvesters.platform import DERIVED_FROM, LICENSE, PROVENANCE_GRAPH
from harvesters.themes import ThemeTable, ThemeTableError, theme_table
from hub.charter.area import ServiceArea
from hub.charter.consent import mentions_persons
from hub.charter.messages import Notice
from hub.core.iris import Minter, document_iri
from hub.core.ntriples import RDF_TYPE_TOKEN, lines_of, split_line, to_lines, to_quads
from hub.core.vocabulary import Vocabulary, default_vocabulary
from hub.pipeline.alignment import AlignmentReport, align, needs_alignment
from hub.pipeline.fetch import Fetched, FetchError
from hub.pipeline.halves import lift_in_halves, worth_halves
from hub.pipeline.outcome import DocumentProfile, no_record
from hub.pipeline.persons import remove_references_to_unconsented, remove_unconsented_persons
from hub.pipeline.split import Record, SplitResult, split_records

_HINT_GRAPH = f"<{PROVENANCE_GRAPH.value}>"
_LICENSE = f"<{LICENSE.value}>"
_DERIVED_FROM = f"<{DERIVED_FROM.value}>"


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
    no_record: list[Notice] = field(default_factory=list)  # see SplitOutcome


@dataclass(frozen=True)
class LiftOptions:
    """How a source's documents are read: the same for a harvest and for `mutualisons validate`."""

    minter: Minter
    source_id: str
    base_iri: str  # for relative IRIs of file: documents (http ones resolve against their own URL)
    configured_format: str | None = None  # else detected (harvesters/formats.py: FormatTable.detect)
    vocabulary: Vocabulary | None = None
    mapping_path: Path | None = None  # for the formats that use a mapping (GeoJSON, CSV, iCalendar)
    language: str | None = None  # for untagged literals
    resolve_context: Resolver = shipped_resolver  # remote JSON-LD contexts
    scratch: Path | None = None  # a folder for temporary files (a harvest's own, emptied at its start)
    area: ServiceArea | None = None  # the hub's service area: mapped points in [lat, lon] order are caught
    themes_path: Path | None = None  # the source's theme table, laid over its format's (harvesters/themes.py)


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
    # What its platform said of its records beyond their data (harvesters/platform.py), as "S P O ." lines.
    hints: list[str] = field(default_factory=list)


@dataclass
class SplitOutcome:
    records: list[Record]
    warnings: list[str]
    upstream_descriptions: list[str]
    # The documents read without error that gave no record, nor any node a record reached, and why.
    no_record: list[Notice] = field(default_factory=list)


def lift_lines(fetched: Fetched, options: LiftOptions) -> LiftedLines:
    """Detect, lift (through the format's lift function) and align one document. Raises LiftError when it
    cannot be read."""
    vocabulary = options.vocabulary or default_vocabulary()
    fmt = _format_of(fetched, options)
    row_errors: list[str] = []
    lift_warnings: list[str] = []
    hints: list[str] = []
    halves = lift_in_halves(fetched.body, _line_based(fmt.name, fetched.body), scratch=options.scratch)
    if halves is not None:  # a big N-Triples or N-Quads document, read in two processes at once
        lines, persons, to_align = halves.lines, halves.persons, halves.needs_alignment
    else:
        lifted = fmt.lift(fetched.body, _context(fetched, fmt, options, vocabulary))
        nquads, lift_warnings, row_errors = lifted.nquads, lifted.warnings, lifted.row_errors
        lines, persons, to_align = lines_of(nquads), mentions_persons(nquads), needs_alignment(nquads)
        if _HINT_GRAPH.encode() in nquads:
            lines, hints = _hints(lines)
            if not fmt.provenance:  # only a platform's own lift may say them: a feed cannot forge them
                lift_warnings.append(f"{fetched.url}: {len(hints)} statement(s) in the graph {_HINT_GRAPH}, which "
                                     "only a platform format may use, were dropped")
                hints = []
        del nquads, lifted
    too_long = literal_too_long(lines)
    if too_long is not None:  # before alignment, the split and the charter, which copy every literal
        line, size = too_long
        subject, predicate = line.split(" ", 2)[:2]
        raise LiftError(fetched.url, fmt.name, f"a literal of {size} characters, more than the {MAX_LITERAL_CHARS} "
                        f"the hub takes, at {subject} {predicate}: shorten it or link to it")
    report = AlignmentReport()
    if to_align:
        # Only documents with something to align pay for term-by-term work.
        aligned, report = align(to_quads(lines), options.language)
        lines = to_lines(aligned)
        persons = persons or mentions_persons("\n".join(lines).encode("utf-8"))
    warnings = lift_warnings + report.warnings(fetched.url, options.language)
    return LiftedLines(fetched.url, fmt.name, lines, warnings, row_errors, report.notes(), persons,
                       graphs=fmt.graphs, hints=hints)


def _hints(lines: list[str]) -> tuple[list[str], list[str]]:
    """The lines in the reserved graph (harvesters/platform.py) set apart, as "S P O ." lines."""
    ending = f" {_HINT_GRAPH} ."
    kept, hints = [], []
    for line in lines:
        if line.endswith(ending):
            hints.append(line[:-len(ending)] + " .")
        else:
            kept.append(line)
    return kept, hints


def _apply_hints(records: list[Record], hints: list[str], warnings: list[str]) -> list[str]:
    """A platform's word on its records (harvesters/platform.py): each record's own licence and upstream sources;
    returns the statements describing the upstream sources, for the source's upstream graph."""
    by_subject = {record.subject.value: record for record in records}
    descriptions: list[str] = []
    ignored = 0
    for line in dict.fromkeys(hints):
        subject, predicate, obj, _ = split_line(line)
        record = by_subject.get(subject[1:-1]) if subject[0] == "<" else None
        if record is not None and predicate == _LICENSE and obj[0] == "<":
            record.license = obj[1:-1]
        elif record is not None and predicate == _DERIVED_FROM and obj[0] == "<":
            record.derived_from.append(obj[1:-1])
        elif record is None and subject[0] == "<":
            descriptions.append(line)
        else:
            ignored += 1
    upstreams = {f"<{iri}>" for record in records for iri in record.derived_from}
    kept = [line for line in descriptions if line.split(" ", 1)[0] in upstreams]
    ignored += len(descriptions) - len(kept)
    if ignored:
        warnings.append(f"{ignored} provenance statement(s) of the platform named no record or upstream source "
                        "it gave, and were ignored")
    return kept


def read_in_two_processes(fetched: Fetched, options: LiftOptions) -> bool:
    """Whether `lift_lines` will parse this document in two processes (hub/pipeline/halves.py)."""
    return worth_halves(fetched.body, _line_based(_format_of(fetched, options).name, fetched.body))


def _format_of(fetched: Fetched, options: LiftOptions) -> Format:
    """The configured format, else the one detected (FormatTable.detect)."""
    return table().detect(options.configured_format, fetched.content_type, fetched.url, fetched.body)


def _context(fetched: Fetched, fmt: Format, options: LiftOptions, vocabulary: Vocabulary) -> DocumentContext:
    """What the format is told: the hub did the I/O (the bytes, the mapping file; JSON-LD contexts come
    through the resolver, i.e. the guarded fetcher)."""
    # Relative IRIs resolve against the document URL, or for file: feeds against the source's base.
    document_base = document_iri(fetched.url) if fetched.url.startswith(("http://", "https://")) \
        else options.base_iri
    return DocumentContext(
        document=fetched.url, base_iri=document_base, source_id=options.source_id, mint=options.minter.entity,
        kind_of=vocabulary.hierarchy.kind_of, language=options.language,
        mapping=_mapping(fetched, fmt, options.mapping_path),
        # JSON-LD, and JSON-LD blocks of HTML pages, get their remote @contexts inlined first.
        prepare_jsonld=lambda data: _with_inline_contexts(fetched.url, data, options.resolve_context),
        area=Area(options.area.name["en"], options.area.contains) if options.area is not None else None,
        themes=_themes(fetched, fmt, options.themes_path))


def _themes(fetched: Fetched, fmt: Format, path: Path | None) -> ThemeTable | None:
    """The format's shipped theme table with the source's own laid over it (harvesters/themes.py)."""
    try:
        return theme_table(fmt.themes, path)
    except ThemeTableError as error:
        raise LiftError(fetched.url, fmt.name, f"theme table: {error}") from error


def _mapping(fetched: Fetched, fmt: Format, path: Path | None) -> DeclarativeMapping | None:
    """The source's mapping, read for a format that uses one (docs/mappings.md). A format that needs one
    says so itself when there is none (DocumentContext.required_mapping), after its own checks."""
    if fmt.mapping == "none" or path is None:
        return None
    try:
        return load_mapping(path)
    except MappingError as error:
        raise LiftError(fetched.url, fmt.name, f"mapping: {error}") from error


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
    profiles = {part.document: DocumentProfile(part.document, len(part.lines), len(part.row_errors))
                for part in parts}
    # Several documents: which subjects each describes, to tell one that gave nothing from one whose nodes
    # (phones.csv of an HSDS folder) went into the records of another.
    subjects_of: dict[str, set[str]] = {}
    for part in parts if len(parts) > 1 else ():  # one document: every record is its own
        profile, subjects = profiles[part.document], subjects_of.setdefault(part.document, set())
        for line in part.lines:
            subject = line.split(" ", 1)[0]
            subjects.add(subject)
            if RDF_TYPE_TOKEN in line:
                document_of.setdefault(subject, part.document)
                tokens = line.split(" ", 3)
                if tokens[1] == RDF_TYPE_TOKEN and tokens[2][0] == "<":
                    profile.types[tokens[2][1:-1]] += 1
        profile.nodes = len(subjects)
    lines = [line for part in parts for line in part.lines]
    for part in parts:
        part.lines = []  # split_records consumes the lines: none of them is kept twice
    hints = [line for part in parts for line in part.hints]
    split = split_records(lines=lines, hierarchy=vocabulary.hierarchy, minter=minter, source_id=source_id,
                          document=parts[0].document, document_of=document_of,
                          graphs=any(part.graphs for part in parts),
                          known=None if any(part.persons for part in parts) or hints else known)
    warnings = list(split.warnings)
    upstream = list(split.upstream_descriptions)
    if hints:
        upstream += _apply_hints(split.records, hints, warnings)
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
    return SplitOutcome(split.records, warnings, upstream,
                        _without_records(parts, profiles, subjects_of, split))


def _without_records(parts: list[LiftedLines], profiles: dict[str, DocumentProfile],
                     subjects_of: dict[str, set[str]], split: SplitResult) -> list[Notice]:
    """The documents that gave no record (nor any node that a record reached), each with why."""
    gave = {record.document for record in split.records}
    silent = []
    for part in parts:
        if part.document in gave:
            continue
        profile = profiles[part.document]
        if len(parts) == 1:
            profile.nodes, profile.types = split.subjects, Counter(split.types_seen)
        elif not subjects_of[part.document].isdisjoint(split.reached):
            continue
        silent.append(no_record(profile))
    return silent


def lift_document(fetched: Fetched, options: LiftOptions, today: date | None = None) -> LiftedDocument:
    """One document on its own, lifted and split (what `mutualisons validate` checks).
    Raises harvesters.formats.LiftError when the document cannot be parsed."""
    part = lift_lines(fetched, options)
    quad_count = len(part.lines)
    split = split_lifted([part], minter=options.minter, source_id=options.source_id, vocabulary=options.vocabulary,
                         today=today)
    return LiftedDocument(fetched.url, part.format, split.records, part.warnings + split.warnings,
                          quad_count, part.row_errors, split.upstream_descriptions, split.no_record)


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
    """The line-based format a document is written in, if any: the format's own, or one it also reads
    that the content shows (N-Triples is Turtle too, so a feed configured as Turtle may well be N-Triples:
    a re-serialised dump)."""
    formats = table()
    fmt = formats.get(format_name)
    if fmt is None:
        return None
    if fmt.line_based:
        return fmt.name
    readable = [other for name in fmt.reads if (other := formats.get(name)) is not None and other.line_based]
    sniffed = formats.sniff(body) if readable else None
    return sniffed.name if sniffed is not None and sniffed.name in {other.name for other in readable} else None
