"""Lift one fetched document to records: detect the format, parse, align, split.

Shared by the harvest and by `mutualisons validate`, so a publisher's check judges exactly what a
harvest would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harvesters.fetch import Fetched
from harvesters.rdf import detect_format, lift_rdf_nquads
from hub.alignment import ALIGNMENT_MARKERS, AlignmentReport, align
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


def lift_document(
    fetched: Fetched,
    *,
    configured_format: str | None,
    base_iri: str,
    minter: Minter,
    source_id: str,
    vocabulary: Vocabulary | None = None,
) -> LiftedDocument:
    """Raises harvesters.rdf.LiftError when the document cannot be parsed."""
    vocabulary = vocabulary or default_vocabulary()
    format_name = detect_format(configured_format, fetched.content_type, fetched.url, fetched.body)
    # Relative IRIs resolve against the document URL, or for file: feeds against the source's base.
    document_base = fetched.url if fetched.url.startswith(("http://", "https://")) else base_iri
    nquads = lift_rdf_nquads(fetched.body, format_name, document_base, fetched.url)
    lines = nquads.decode("utf-8").splitlines()
    report = AlignmentReport()
    if any(marker in nquads for marker in ALIGNMENT_MARKERS):
        # Only documents that use a vocabulary to align pay for term-by-term work.
        aligned, report = align(to_quads(lines))
        lines = to_lines(aligned)
    split = split_records(
        lines=lines, hierarchy=vocabulary.hierarchy, minter=minter, source_id=source_id, document=fetched.url
    )
    warnings = list(split.warnings)
    if report.rewritten_schema_terms:
        warnings.append(f"{fetched.url}: {report.rewritten_schema_terms} http://schema.org/ terms "
                        f"stored as https://schema.org/")
    if split.orphan_subjects:
        warnings.append(f"{fetched.url}: {split.orphan_subjects} subjects belong to no record "
                        f"(no record class reaches them) and are not published")
    return LiftedDocument(fetched.url, format_name, split.records, warnings, len(lines))
