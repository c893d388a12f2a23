"""The shared agenda published back as iCalendar (RFC 5545): one VEVENT per event record.

A recurring series stays one VEVENT whose occurrences are RDATEs (cancelled ones EXDATEs), so a
calendar application shows what the hub holds without re-deriving rules. The store keeps times with
their UTC offset, not their zone name, so they are written in UTC (an invented TZID without its
VTIMEZONE would not be valid iCalendar); all-day events stay dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import icalendar

from hub import __version__

SCHEMA = "https://schema.org/"
PRODID = f"-//Mutualisons//hub {__version__}//FR"


@dataclass
class AgendaEvent:
    iri: str
    start: dt.date | dt.datetime
    end: dt.date | dt.datetime | None = None
    names: dict[str, str] = field(default_factory=dict)  # language -> name
    description: str | None = None
    url: str | None = None
    cancelled: bool = False
    place: str | None = None
    sources: set[str] = field(default_factory=set)
    changed: dt.datetime | None = None
    occurrences: dict[dt.date | dt.datetime, bool] = field(default_factory=dict)  # start -> cancelled
    licenses: list[str] = field(default_factory=list)  # its records' licences (IRIs)
    attribution: list[str] = field(default_factory=list)  # "network (publisher)" of each source that describes it

    def name(self) -> str:
        return self.names.get("fr") or self.names.get("nl") or next(iter(self.names.values()), "")


def parse_when(value: str) -> dt.date | dt.datetime:
    """An xsd:date or xsd:dateTime lexical form."""
    if "T" in value:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt.date.fromisoformat(value[:10])


def events_from_rows(rows: list[dict[str, Any]]) -> list[AgendaEvent]:
    """One AgendaEvent per subject, from the rows of sparql/events.rq."""
    events: dict[str, AgendaEvent] = {}
    for row in rows:
        iri = row["s"].value
        try:
            start = parse_when(row["start"].value)
        except ValueError:
            continue  # the charter checks dates; an unreadable one is skipped, not served broken
        event = events.setdefault(iri, AgendaEvent(iri, start))
        event.sources.add(row["source"].value)
        event.changed = max(filter(None, [event.changed, _changed(row)]), default=None)
        if "end" in row:
            try:
                event.end = parse_when(row["end"].value)
            except ValueError:
                pass
        if "name" in row:
            event.names.setdefault(row["name"].language or "und", row["name"].value)
        for key, attribute in (("description", "description"), ("url", "url")):
            if key in row and getattr(event, attribute) is None:
                setattr(event, attribute, row[key].value)
        if "status" in row and row["status"].value == SCHEMA + "EventCancelled":
            event.cancelled = True
        if "placeName" in row:
            event.place = row["placeName"].value
        elif "place" in row and row["place"].__class__.__name__ == "Literal":
            event.place = row["place"].value
        if "occurrence" in row:
            try:
                moment = parse_when(row["occurrence"].value)
            except ValueError:
                continue
            cancelled = "occurrenceStatus" in row and row["occurrenceStatus"].value == SCHEMA + "EventCancelled"
            event.occurrences[moment] = event.occurrences.get(moment, False) or cancelled
    return sorted(events.values(), key=lambda e: (_aware(e.start), e.iri))


def to_ical(events: list[AgendaEvent], title: str = "Mutualisons — agenda partagé / gedeelde agenda") -> bytes:
    """The calendar; each event says its sources and licences (iCalendar has no licence property: an experimental
    X-MUTUALISONS-LICENSE per licence IRI, an X-MUTUALISONS-ATTRIBUTION per source, and a last line of the
    description, which calendar applications show), and the calendar's DESCRIPTION (RFC 7986) says them all."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("X-WR-CALNAME", title)
    credits = sorted({credit for event in events for credit in event.attribution})
    licences = sorted({licence for event in events for licence in event.licenses})
    if credits or licences:
        summary = f"Sources: {'; '.join(credits)}. Licences: {' '.join(licences)}"
        calendar.add("DESCRIPTION", summary)
        calendar.add("X-WR-CALDESC", summary)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for event in events:
        vevent = icalendar.Event()
        vevent.add("UID", event.iri)
        vevent.add("DTSTAMP", (event.changed or now).astimezone(dt.UTC))
        vevent.add("DTSTART", _utc(event.start))
        if event.end is not None and type(event.end) is type(event.start):
            vevent.add("DTEND", _utc(event.end))
        vevent.add("SUMMARY", event.name() or event.iri)
        credit = _credit(event)
        if event.description or credit:
            vevent.add("DESCRIPTION", "\n\n".join(filter(None, [event.description, credit])))
        for licence in event.licenses:
            vevent.add("X-MUTUALISONS-LICENSE", licence)
        for source in event.attribution:
            vevent.add("X-MUTUALISONS-ATTRIBUTION", source)
        if event.url:
            vevent.add("URL", event.url)
        if event.place:
            vevent.add("LOCATION", event.place)
        vevent.add("STATUS", "CANCELLED" if event.cancelled else "CONFIRMED")
        kept = [_utc(m) for m in sorted((m for m, c in event.occurrences.items()
                                         if not c and type(m) is type(event.start)), key=_aware)]
        dropped = [_utc(m) for m in sorted((m for m, c in event.occurrences.items()
                                            if c and type(m) is type(event.start)), key=_aware)]
        if kept:
            vevent.add("RDATE", kept)
        if dropped:
            vevent.add("EXDATE", dropped)
        calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def _credit(event: AgendaEvent) -> str:
    if not event.attribution and not event.licenses:
        return ""
    return f"Source: {'; '.join(event.attribution)} — licence: {' '.join(event.licenses)}"


def _utc(moment: dt.date | dt.datetime) -> dt.date | dt.datetime:
    return _aware(moment).astimezone(dt.UTC) if isinstance(moment, dt.datetime) else moment


def _aware(moment: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(moment, dt.time(), tzinfo=dt.UTC)


def _changed(row: dict[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(row["changed"].value.replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
