"""Lift one fetched document to records: detect the format, parse, align, split, apply consent.

Shared by the harvest and by `mutualisons validate`, so a publisher's check judges exactly what a
harvest would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from harvesters.fetch import Fetched
from harvesters.jsonld import ContextError, Resolver, inline_contexts, shipped_resolver
from harvesters.rdf import LiftError, detect_format, lift_rdf
from hub.alignment import align
from hub.consent import remove_unconsented_persons
from hub.iris import Minter
from hub.records import Record, split_records
from hub.vocabulary import Vocabulary, default_vocabulary


@dataclass
class LiftedDocument:
    document: str
    format: str
    records: list[Record]
    warnings: list[str] = field(default_factory=list)
    quad_count: int = 0


def lift_document(
    fetched: Fetched,
    *,
    configured_format: str | None,
    base_iri: str,
    minter: Minter,
    source_id: str,
    vocabulary: Vocabulary | None = None,
    language: str | None = None,
    resolve_context: Resolver = shipped_resolver,
    today: date | None = None,
) -> LiftedDocument:
    """Raises harvesters.rdf.LiftError when the document cannot be parsed."""
    vocabulary = vocabulary or default_vocabulary()
    format_name = detect_format(configured_format, fetched.content_type, fetched.url, fetched.body)
    # Relative IRIs resolve against the document URL, or for file: feeds against the source's base.
    document_base = fetched.url if fetched.url.startswith(("http://", "https://")) else base_iri
    body = fetched.body
    if format_name == "jsonld":
        try:
            body = inline_contexts(body, resolve_context)
        except ContextError as error:
            raise LiftError(fetched.url, format_name, str(error)) from error
        except ValueError as error:
            line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
            raise LiftError(fetched.url, format_name, f"not JSON: {getattr(error, 'msg', error)}",
                            line, column) from error
    quads = lift_rdf(body, format_name, document_base, fetched.url)
    aligned, report = align(quads, language)
    split = split_records(
        aligned, hierarchy=vocabulary.hierarchy, minter=minter, source_id=source_id, document=fetched.url
    )
    warnings = list(split.warnings) + report.warnings(fetched.url, language)
    notes = report.notes()
    for record in split.records:
        record.notes = list(notes)
        warnings += remove_unconsented_persons(record, vocabulary.hierarchy, today)
    if split.orphan_subjects:
        warnings.append(f"{fetched.url}: {split.orphan_subjects} subjects belong to no record "
                        f"(no record class reaches them) and are not published")
    return LiftedDocument(fetched.url, format_name, split.records, warnings, len(quads))
