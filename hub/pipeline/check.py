"""Check a document against the charter without harvesting it: the same lifting, the same verdicts.

Used by `mutualisons validate` (and by the publishers' validation endpoint of later issues).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harvesters.jsonld import Resolver, shipped_resolver
from hub.charter.validation import Charter
from hub.charter.verification import VerificationStatus, compute, from_records
from hub.core.durations import now_iso
from hub.core.iris import Minter
from hub.core.records import Verdict
from hub.pipeline.fetch import Fetched
from hub.pipeline.lifting import LiftOptions, lift_document

CHECK_SOURCE_ID = "validate"


@dataclass
class CheckReport:
    document: str
    format: str
    verdicts: list[Verdict]
    warnings: list[str] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)  # rows or features of a mapped feed that failed
    # Practitioner IRI -> status, from the document's own accepted recommendations (hub/charter/verification.py).
    verification: dict[str, VerificationStatus] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        """At least one record, none rejected and no failed row: a document with no record publishes nothing."""
        return bool(self.verdicts) and all(verdict.accepted for verdict in self.verdicts) and not self.row_errors

    def as_dict(self) -> dict[str, object]:
        """The verdict as JSON: what `mutualisons validate --json` prints and POST /api/validate answers.
        The offending values are included: the document is the publisher's own."""
        return {
            "document": self.document,
            "format": self.format,
            "conforms": self.conforms,
            "records": [{
                "subject": v.record.subject.value,
                "kind": v.record.kind,
                "types": v.record.types,
                "accepted": v.accepted,
                "results": sorted((r.private() for r in v.results),
                                  key=lambda r: (str(r["shape"]), str(r["component"]), str(r["value"]))),
            } for v in self.verdicts],
            "verification": {p: {"verified": s.verified, "recommendations": s.counted, "label": s.label}
                             for p, s in self.verification.items()},
            "warnings": self.warnings,
        }


def check_file(path: Path, format_name: str | None, minter: Minter, charter: Charter | None = None,
               mapping_path: Path | None = None, language: str | None = None) -> CheckReport:
    """Raises OSError when the file cannot be read and LiftError when it cannot be parsed."""
    body = path.read_bytes()
    fetched = Fetched(url=path.resolve().as_uri(), body=body, content_type=None, fetched_at=now_iso())
    return check_fetched(fetched, format_name, minter, charter, mapping_path, language)


def check_fetched(fetched: Fetched, format_name: str | None, minter: Minter, charter: Charter | None = None,
                  mapping_path: Path | None = None, language: str | None = None,
                  resolve_context: Resolver = shipped_resolver) -> CheckReport:
    """The check itself, with the bounds of a harvest (hub/pipeline/canonical.py, harvesters/limits.py); the
    server runs it in a worker process (hub/pipeline/check_worker.py). Raises LiftError."""
    charter = charter or Charter()
    lifted = lift_document(fetched, LiftOptions(
        minter=minter, source_id=CHECK_SOURCE_ID, base_iri=f"{minter.base}source/{CHECK_SOURCE_ID}/",
        configured_format=format_name, mapping_path=mapping_path, language=language,
        resolve_context=resolve_context, area=charter.area))
    verdicts = charter.validate(lifted.records)
    practitioners, recommendations = from_records(v.record for v in verdicts if v.accepted)
    return CheckReport(lifted.document, lifted.format, verdicts, lifted.warnings, lifted.row_errors,
                       compute(practitioners, recommendations))


def format_report(report: CheckReport, language: str = "en") -> str:
    lines = [f"{report.document} ({report.format}): {len(report.verdicts)} record(s)"]
    for verdict in report.verdicts:
        record = verdict.record
        state = "accepted" if verdict.accepted else "REJECTED"
        lines.append(f"- {state}: {record.subject.value} ({record.kind}; {', '.join(record.types)})")
        for result in verdict.results:
            where = f" at {result.path}" if result.path else ""
            value = f" (value: {result.value})" if result.value is not None else ""
            lines.append(f"    {result.severity}{where}: {result.message.get(language, result.message['en'])}"
                         f"{value}")
            lines.append(f"      shape {result.shape}" + (f" ({result.component})" if result.component else ""))
    for practitioner, status in report.verification.items():
        lines.append(f"practitioner {practitioner}: {status.explain(language)}")
    for error in report.row_errors:
        lines.append(f"error: {error}")
    for warning in report.warnings:
        lines.append(f"warning: {warning}")
    rejected = sum(1 for v in report.verdicts if not v.accepted)
    if not report.verdicts:
        lines.append("does not conform: no record found (no subject of a record class: organisation, place, "
                     "event, document, knowledge, publication, funding, person, recommendation); nothing would "
                     "be published")
    else:
        failed = f", {len(report.row_errors)} row(s) failed" if report.row_errors else ""
        lines.append("conforms" if report.conforms else f"does not conform: {rejected} record(s) rejected{failed}")
    return "\n".join(lines)
