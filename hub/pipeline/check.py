"""Check a document against the charter without harvesting it: the same reading, the same verdicts.

Used by `mutualisons validate` and by `POST /api/validate` (hub/pipeline/check_worker.py). A check reads the
document as a harvest of it would, with the same functions in the same order: the guarded fetcher's size cap for a
file (hub/pipeline/fetch.py), `lift_lines` (format, mapping, language, area, alignment), `split_lifted` (records,
collisions, consent, documents with no record), the charter with the source's profiles, then what
hub/pipeline/outcome.py says of it (status, counts, warnings). So `validate FILE` and a harvest of FILE give the
same verdict and the same accepted, rejected and warned counts (tests/test_same_verdict.py shows it on every
example and test feed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal

from harvesters.jsonld import Resolver, cached, shipped_resolver, shipped_then
from hub.charter.messages import Notice, localize
from hub.charter.validation import Charter
from hub.charter.verification import VerificationStatus, compute, from_records
from hub.core.config import DEFAULT_MAX_BYTES
from hub.core.iris import Minter
from hub.core.ntriples import to_quads
from hub.core.records import Record, Verdict
from hub.pipeline import outcome
from hub.pipeline.fetch import Fetched, FetchPolicy, fetch, fetch_context
from hub.pipeline.lifting import LiftOptions, lift_lines, split_lifted

CHECK_SOURCE_ID = "validate"
SCHEMA_NAME = "https://schema.org/name"
_NAME = f"<{SCHEMA_NAME}>"


@dataclass
class CheckReport:
    document: str
    format: str
    verdicts: list[Verdict]
    warnings: list[str] = field(default_factory=list)  # the run's warnings: the documents' and the records'
    row_errors: list[str] = field(default_factory=list)  # rows or features of a mapped feed that failed
    # Practitioner IRI -> status, from the document's own accepted recommendations (hub/charter/verification.py).
    verification: dict[str, VerificationStatus] = field(default_factory=dict)
    no_record: list[Notice] = field(default_factory=list)  # the document gave no record: why

    @property
    def status(self) -> str:
        """What a harvest of the document would end as (hub/pipeline/outcome.py): succeeded, partial or failed."""
        rejected = any(not verdict.accepted for verdict in self.verdicts)
        return outcome.status(1, 0, bool(self.verdicts), bool(self.no_record or self.row_errors or rejected))

    @property
    def conforms(self) -> bool:
        """At least one record, none rejected and no failed row: a document with no record publishes nothing."""
        return self.status == "succeeded"

    @property
    def counts(self) -> dict[str, int]:
        return outcome.counts(self.verdicts, self.warnings)

    def errors(self, language: str = "en") -> list[str]:
        """The run's errors, as a harvest of the document would record them, said in `language` (a coded line
        from the catalogs, any other as it is)."""
        return [str(localize(line, language)["text"]) for line in self.row_errors] + \
            [notice.text(language) for notice in self.no_record]

    def as_dict(self) -> dict[str, object]:
        """The verdict as JSON: what `mutualisons validate --json` prints and POST /api/validate answers.
        The offending values are included: the document is the publisher's own."""
        return {
            "document": self.document,
            "format": self.format,
            "conforms": self.conforms,
            "status": self.status,
            "counts": self.counts,
            "records": [{
                "subject": v.record.subject.value,
                "names": names_of(v.record),
                "kind": v.record.kind,
                "types": v.record.types,
                "accepted": v.accepted,
                "results": sorted((r.private() for r in v.results),
                                  key=lambda r: (str(r["shape"]), str(r["component"]), str(r["value"]))),
            } for v in self.verdicts],
            "verification": {p: {"verified": s.verified, "recommendations": s.counted, "label": s.label}
                             for p, s in self.verification.items()},
            "errors": self.row_errors + [notice.line() for notice in self.no_record],  # as a harvest records them
            # Why the document gave no record, in each language (the last of `errors`, coded).
            "no_record": [{"code": notice.code, "message": {lang: notice.text(lang) for lang in ("fr", "nl", "en")}}
                          for notice in self.no_record],
            "warnings": self.warnings,
        }


def names_of(record: Record) -> dict[str, str]:
    """The record's schema:name by language tag ("und" untagged), for a verdict that names what it rejected."""
    subject = f"<{record.subject.value}>"
    names: dict[str, str] = {}
    for quad in to_quads(line for line in record.triples if line.startswith(subject) and _NAME in line):
        if quad.predicate.value == SCHEMA_NAME and isinstance(quad.object, Literal):
            names.setdefault(quad.object.language or "und", quad.object.value)
    return names


def check_file(path: Path, format_name: str | None, minter: Minter, charter: Charter | None = None,
               mapping_path: Path | None = None, language: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> CheckReport:
    """Read through the guarded fetcher, as a source's `file:` document is (the same size cap), with its remote
    JSON-LD contexts as a harvest gets them (the shipped copies, else the guarded fetcher: public addresses only).
    Raises FetchError when the file cannot be read and LiftError when it cannot be parsed."""
    fetched = fetch(path.resolve().as_uri(), FetchPolicy(file_root=path.resolve().parent, max_bytes=max_bytes))
    contexts = shipped_then(cached(lambda url: fetch_context(url, FetchPolicy(max_bytes=max_bytes))))
    return check_fetched(fetched, format_name, minter, charter, mapping_path, language, contexts)


def check_fetched(fetched: Fetched, format_name: str | None, minter: Minter, charter: Charter | None = None,
                  mapping_path: Path | None = None, language: str | None = None,
                  resolve_context: Resolver = shipped_resolver) -> CheckReport:
    """The check itself, with the bounds of a harvest (hub/pipeline/canonical.py, harvesters/limits.py); the
    server runs it in a worker process (hub/pipeline/check_worker.py). Raises LiftError."""
    charter = charter or Charter()
    options = LiftOptions(minter=minter, source_id=CHECK_SOURCE_ID, base_iri=f"{minter.base}source/{CHECK_SOURCE_ID}/",
                          configured_format=format_name, mapping_path=mapping_path, language=language,
                          resolve_context=resolve_context, area=charter.area)
    # As Pipeline._lift_all, then _run: each document lifted, the documents split together, the records judged.
    part = lift_lines(fetched, options)
    document, format_used, warnings, row_errors = part.document, part.format, list(part.warnings), part.row_errors
    split = split_lifted([part], minter=minter, source_id=CHECK_SOURCE_ID)
    warnings += split.warnings
    verdicts = charter.validate(split.records)
    warnings += outcome.verdict_warnings(verdicts)
    practitioners, recommendations = from_records(v.record for v in verdicts if v.accepted)
    return CheckReport(document, format_used, verdicts, warnings, row_errors,
                       compute(practitioners, recommendations), split.no_record)


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
    for error in report.errors(language):
        lines.append(f"error: {error}")
    for warning in report.warnings:
        lines.append(f"warning: {localize(warning, language)['text']}")
    counts = report.counts
    lines.append(f"a harvest of it would end {report.status}: accepted {counts['accepted']}, rejected "
                 f"{counts['rejected']}, warned {counts['warned']}")
    if not report.verdicts:
        lines.append("does not conform: no record found; nothing would be published")
    else:
        failed = f", {len(report.row_errors)} row(s) failed" if report.row_errors else ""
        lines.append("conforms" if report.conforms
                     else f"does not conform: {counts['rejected']} record(s) rejected{failed}")
    return "\n".join(lines)
