"""Reports of a problem with an entity (docs/publishers.md, "Reports"), under `data/private/reports/`.

Anyone may say what is wrong with an entity, with a contact if they want an answer. A report is kept for the
networks that publish the entity (the sources of its record graphs) and the administrator: its text and its
contact are personal data, shown to nobody else. Closing it deletes the contact. A report never changes data:
the data changes through the network's feed, as provenance requires.

One file per report (`{id}.json`), written whole through a rename; changed under its lock.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from hub.archive import jsonfile
from hub.archive.datadir import DataDir
from hub.core.durations import now_iso

MAX_WHAT = 2000  # characters of "what is wrong"
MAX_CONTACT = 200
MAX_ENTITY = 2000


@dataclass(frozen=True)
class Report:
    id: str
    entity: str
    sources: list[str]
    what: str
    contact: str | None
    created: str
    status: str = "open"  # or "closed"
    closed: str | None = None
    closed_by: str | None = None
    history: list[str] = field(default_factory=list)


def _folder(data: DataDir) -> Path:
    return data.private / "reports"


def _path(data: DataDir, report_id: str) -> Path:
    return _folder(data) / f"{report_id}.json"


def is_report_id(value: str) -> bool:
    return len(value) == 16 and all(c in "0123456789abcdef" for c in value)


def file(data: DataDir, entity: str, sources: list[str], what: str, contact: str | None) -> Report:
    report = Report(secrets.token_hex(8), entity, sorted(sources), what, contact or None, now_iso())
    jsonfile.write(_path(data, report.id), asdict(report))
    return report


def _load(path: Path) -> Report | None:
    raw = jsonfile.read(path, None)
    if not isinstance(raw, dict):
        return None
    try:
        return Report(**raw)
    except TypeError:
        return None


def all_reports(data: DataDir) -> list[Report]:
    """Every report, oldest first."""
    found = [_load(path) for path in _folder(data).glob("*.json")]
    return sorted((report for report in found if report is not None), key=lambda r: (r.created, r.id))


def of_source(data: DataDir, source_id: str, status: str | None = None) -> list[Report]:
    return [r for r in all_reports(data) if source_id in r.sources and (status is None or r.status == status)]


def open_count(data: DataDir, entity: str) -> int:
    return sum(1 for report in all_reports(data) if report.entity == entity and report.status == "open")


def get(data: DataDir, report_id: str) -> Report | None:
    return _load(_path(data, report_id)) if is_report_id(report_id) else None


def close(data: DataDir, report_id: str, by: str) -> Report | None:
    """Closes the report and deletes its contact (personal data kept no longer than needed); None when unknown."""
    path = _path(data, report_id)
    with jsonfile.locked(path):
        report = _load(path)
        if report is None:
            return None
        if report.status == "closed":
            return report
        closed = replace(report, status="closed", contact=None, closed=now_iso(), closed_by=by)
        jsonfile.write(path, asdict(closed))
    return closed
