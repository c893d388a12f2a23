"""Lift iCalendar (RFC 5545) agendas: each VEVENT series becomes one schema:Event record.

Parsing is the icalendar library's, recurrence expansion recurring-ical-events'. Choices:
- start and end keep their own time zone; floating times are read in the calendar's default zone
  (Europe/Brussels unless the mapping's [calendar] timezone says otherwise); all-day events are xsd:date;
- a recurring series (RRULE, RDATE, EXDATE, overridden or cancelled occurrences) stays ONE record, whose
  occurrences inside the window ([calendar] window_start / window_end) are listed as untyped
  `schema:subEvent` nodes with their own start, end and status (untyped, so an occurrence is never a
  record of its own), and whose rule is summarised in `schema:eventSchedule`;
- STATUS:CANCELLED gives schema:eventStatus schema:EventCancelled; of several versions of one UID, the
  highest SEQUENCE (then the latest DTSTAMP) wins, and the replacement is reported;
- LOCATION and GEO become an untyped schema:location node (so an agenda never adds places to the map),
  ORGANIZER an untyped schema:organizer node with its name and e-mail;
- every other property (CATEGORIES, X-…) goes through the mapping like a CSV column: CATEGORIES become
  themes with a mapping, keywords without one. A VEVENT the library flags as broken fails alone;
- RDATE and EXDATE are read as RFC 5545 says (3.8.5.1, 3.8.5.2): a value that is a time of day alone
  (VALUE=TIME, which neither property allows) is left out with a warning instead of failing the series, and the
  EXDATEs of an all-day series (DTSTART a DATE) exclude their days even when written as date-times.

Expansion is bounded before it runs: dateutil walks every instant of a rule from DTSTART, so a rule
that would walk more than MAX_RULE_STEPS instants up to the end of the window (`FREQ=SECONDLY` with no
end: 34 million) is expanded from the window's start instead (DTSTART moved forward by whole periods,
which keeps the series' instants), and only as far as its first MAX_OCCURRENCES + 1 occurrences; such a
rule that cannot be moved (COUNT, several RRULEs, months or years) fails alone with the reason. All the
expansions of one document share a time budget (EXPANSION_SECONDS): a rule whose filters never match
(dateutil then walks to the year 9999) costs seconds, not a thousand times that.

icalendar and recurring-ical-events are imported when a calendar is lifted: the format table imports this
module for its entry, and RDF feeds should not pay for calendars.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import warnings as python_warnings
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from harvesters.formats import SURE, DocumentContext, Format, LiftError, LiftResult, opening
from harvesters.geometry import geo_quads
from harvesters.mapping import LiftContext, Lifted, Mapping, RowError, RowReport, parse_mapping
from harvesters.wording import because, readable

if TYPE_CHECKING:
    import icalendar
    from icalendar.cal import Component

SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DEFAULT_TIMEZONE = "Europe/Brussels"
DEFAULT_WINDOW = ("-P31D", "P366D")
MAX_OCCURRENCES = 500
MAX_EXPANDED = 2_000  # instants up to the window's end expanded as they are (more: moved, cut; see above)
MAX_RULE_STEPS = 200_000  # instants dateutil may walk from DTSTART to the window (about a second)
EXPANSION_SECONDS = 10.0  # for all the recurrences of one document
# Properties the lifter reads itself; the others are fields for the mapping.
NATIVE = {"UID", "SUMMARY", "DESCRIPTION", "DTSTART", "DTEND", "DURATION", "LOCATION", "GEO", "ORGANIZER", "URL",
          "STATUS", "SEQUENCE", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "DTSTAMP", "CREATED",
          "LAST-MODIFIED"}
DEFAULT_MAPPING = {
    "type": "schema:Event",
    "key": "UID",
    "fields": {"CATEGORIES": {"property": "schema:keywords", "transforms": ["trim"]}},
    "ignore": ["TRANSP", "CLASS", "PRIORITY", "X-MICROSOFT-CDO-BUSYSTATUS", "X-MICROSOFT-CDO-IMPORTANCE"],
}
_FREQ = {"SECONDLY": "S", "MINUTELY": "M", "HOURLY": "H", "DAILY": "D", "WEEKLY": "W", "MONTHLY": "M", "YEARLY": "Y"}


def default_mapping() -> Mapping:
    return parse_mapping(DEFAULT_MAPPING, "the built-in iCalendar mapping")


def lift_ical(body: bytes, mapping: Mapping | None, context: LiftContext, now: dt.datetime | None = None) -> Lifted:
    import icalendar

    document = context.document
    mapping = mapping or default_mapping()
    table = mapping.table_for(document) or next(iter(mapping.tables.values()))
    settings = mapping.calendar
    now = now or dt.datetime.now(dt.UTC)
    start = _window_bound(settings.get("window_start", DEFAULT_WINDOW[0]), now, document)
    end = _window_bound(settings.get("window_end", DEFAULT_WINDOW[1]), now, document)
    language = settings.get("language", context.language)
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore")  # icalendar warns about guessed TZIDs; the data stays usable
        try:
            calendar = icalendar.Calendar.from_ical(body.decode("utf-8-sig", errors="replace"))
        except (ValueError, IndexError, KeyError) as error:
            raise LiftError(document, "ical", "not a readable iCalendar file: " + because(
                error, "its lines are not BEGIN:VCALENDAR … END:VCALENDAR content lines (RFC 5545)")) from error
    if isinstance(calendar, icalendar.Event):
        # A bare VEVENT (what some exports and the RFC's own examples publish): read it as a calendar.
        wrapper = icalendar.Calendar()
        wrapper.add_component(calendar)
        calendar = wrapper
    if not isinstance(calendar, icalendar.Calendar):
        raise LiftError(document, "ical", "the document is not a VCALENDAR")
    # Floating times: the mapping's zone, else the calendar's X-WR-TIMEZONE (Google exports), else Brussels.
    zone = _zone(str(settings.get("timezone") or calendar.get("X-WR-TIMEZONE") or DEFAULT_TIMEZONE), document)
    lifted = Lifted()
    report = RowReport(document, known_fields=sorted(table.rules))
    masters: dict[str, tuple[int, Component]] = {}
    overrides: dict[str, list[Component]] = {}
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        uid = str(event.get("UID", "")).strip()
        where = f"{document}: VEVENT #{number}" + (f" (UID {uid})" if uid else "")
        if event.errors:
            lifted.row_errors.append(f"{where}: " + "; ".join(
                f"{name or 'a content line'}: {readable(str(reason)) or 'its value cannot be read'}"
                for name, reason in event.errors))
            continue
        if not uid:
            lifted.row_errors.append(f"{where}: no UID, so the event cannot be followed across harvests")
            continue
        if event.get("RECURRENCE-ID") is not None:
            overrides.setdefault(uid, []).append(event)
            continue
        if uid in masters:
            kept, dropped = _newer(masters[uid][1], event)
            # RFC 5545: the highest SEQUENCE (then the latest LAST-MODIFIED or DTSTAMP) is the event's version.
            first = masters[uid][0]
            lifted.warnings.append(f"{where}: UID seen twice (VEVENT #{first} has it too); VEVENT "
                                   f"#{number if kept is event else first} is kept: SEQUENCE {_sequence(kept)} "
                                   f"replaces SEQUENCE {_sequence(dropped)} (the highest SEQUENCE, then the latest "
                                   "time stamp, wins)")
            masters[uid] = (first, kept)
        else:
            masters[uid] = (number, event)
    for uid, events in overrides.items():
        if uid not in masters:
            lifted.warnings.append(f"{document}: {len(events)} overridden occurrence(s) of UID {uid} whose series "
                                   "is not in the document: not lifted")
    timezones = calendar.walk("VTIMEZONE")
    budget = time.monotonic() + EXPANSION_SECONDS
    for uid, (number, event) in masters.items():
        where = f"{document}: VEVENT #{number} (UID {uid})"
        if time.monotonic() > budget and any(event.get(p) is not None for p in ("RRULE", "RDATE")):
            lifted.row_errors.append(f"{where}: not expanded: the document's recurrences already took "
                                     f"{EXPANSION_SECONDS:g} s, all a calendar may use")
            continue
        try:
            lifted.quads += _event(event, overrides.get(uid, []), timezones, table, context, report, zone,
                                   (start, end), language, lifted.warnings, where)
        except RowError as error:
            lifted.row_errors.append(f"{where}: {error}")
        except Exception as error:  # recurrence expansion of hostile rules raises many types
            if any(event.get(p) is not None for p in ("RRULE", "RDATE", "EXDATE")):
                lifted.row_errors.append(f"{where}: cannot expand its recurrence: " + because(
                    error, "its RRULE, RDATE or EXDATE cannot be read with its DTSTART; check that they are dates "
                           "or date-times as RFC 5545 says (section 3.8.5)"))
            else:
                lifted.row_errors.append(f"{where}: cannot be read: " + because(
                    error, "its DTSTART, DTEND or DURATION is not a date, a date-time or a duration as RFC 5545 "
                           "says (section 3.3)"))
    lifted.warnings += report.warnings()
    return lifted


def _event(event: Component, overrides: list[Component], timezones: list[Any], table: Any,
           context: LiftContext, report: RowReport, zone: dt.tzinfo, window: tuple[dt.datetime, dt.datetime],
           language: str | None, warnings: list[str], where: str) -> list[Quad]:
    row: dict[str, Any] = {"UID": str(event["UID"])}
    for name, value in event.property_items(recursive=False):
        if name in NATIVE or name in ("BEGIN", "END"):
            continue
        row[name] = [*row.get(name, []), *_texts(value)]
    quads = table.lift_row(row, context, report)
    subject = table.subject(str(event["UID"]), context)
    recurring = any(event.get(p) is not None for p in ("RRULE", "RDATE"))
    if event.get("DTSTART") is None:
        first = _first_rdate(event)
        if first is None:
            raise RowError("no DTSTART (RFC 5545 requires it)")
        event.add("DTSTART", first)
        warnings.append(f"{where}: no DTSTART; the first RDATE ({first}) is used as the start")
    for name in ("DTSTART", "DTEND"):  # icalendar cannot even decode them (it fails inside itself)
        if str(getattr(event.get(name), "params", {}).get("VALUE", "")).upper() == "TIME":
            raise RowError(f"{name} is a time of day without a date (VALUE=TIME), which RFC 5545 does not allow: "
                           "give a DATE or a DATE-TIME")
    start_value = event.decoded("DTSTART")
    quads.append(Quad(subject, NamedNode(SCHEMA + "startDate"), _when(start_value, zone)))
    end_value = _end(event, start_value)
    if end_value is not None:
        quads.append(Quad(subject, NamedNode(SCHEMA + "endDate"), _when(end_value, zone)))
    for prop, name in (("SUMMARY", "name"), ("DESCRIPTION", "description")):
        if event.get(prop):
            text = str(event.get(prop)).strip()
            literal = Literal(text, language=language) if language else Literal(text)
            quads.append(Quad(subject, NamedNode(SCHEMA + name), literal))
    if event.get("URL"):
        url = str(event.get("URL")).strip()
        if re.match(r"^https?://[^\s<>\"{}|\\^`]+$", url):
            quads.append(Quad(subject, NamedNode(SCHEMA + "url"), NamedNode(url)))
        else:
            warnings.append(f"{where}: URL {url!r} is not an http(s) IRI; not lifted")
    status = str(event.get("STATUS", "")).upper()
    if status:
        quads.append(Quad(subject, NamedNode(SCHEMA + "eventStatus"),
                          NamedNode(SCHEMA + ("EventCancelled" if status == "CANCELLED" else "EventScheduled"))))
    quads += _location(subject, event)
    quads += _organizer(subject, event)
    if recurring:
        quads += _occurrences(subject, event, overrides, timezones, zone, window, warnings, where)
    return quads


def _occurrences(subject: NamedNode, event: Component, overrides: list[Component],
                 timezones: list[Any], zone: dt.tzinfo, window: tuple[dt.datetime, dt.datetime],
                 warnings: list[str], where: str) -> list[Quad]:
    import icalendar
    import recurring_ical_events

    event = _rfc5545_dates(event, warnings, where)
    single = icalendar.Calendar()
    for timezone in timezones:
        single.add_component(timezone)
    single.add_component(event)
    for override in overrides:
        single.add_component(override)
    quads: list[Quad] = []
    schedule = BlankNode()
    quads += [Quad(subject, NamedNode(SCHEMA + "eventSchedule"), schedule),
              Quad(schedule, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                   NamedNode(SCHEMA + "Schedule")),
              Quad(schedule, NamedNode(SCHEMA + "scheduleTimezone"), Literal(str(zone)))]
    rule = event.get("RRULE")
    if rule is not None:
        frequency = _FREQ.get(str((rule.get("FREQ") or [""])[0]).upper())
        interval = int((rule.get("INTERVAL") or [1])[0])
        if frequency:
            duration = f"PT{interval}{frequency}" if frequency in ("H", "S") or str(rule.get("FREQ")[0]) == "MINUTELY" \
                else f"P{interval}{frequency}"
            quads.append(Quad(schedule, NamedNode(SCHEMA + "repeatFrequency"), Literal(duration)))
    count = 0
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore")
        single, until = _bounded(single, event, rule, window)
        for occurrence in recurring_ical_events.of(single).between(window[0], until):
            count += 1
            if count > MAX_OCCURRENCES:
                warnings.append(f"{where}: more than {MAX_OCCURRENCES} occurrences in the window; the first "
                                f"{MAX_OCCURRENCES} are listed")
                break
            node = BlankNode()
            quads += [Quad(subject, NamedNode(SCHEMA + "subEvent"), node),
                      Quad(node, NamedNode(SCHEMA + "startDate"), _when(occurrence.decoded("DTSTART"), zone))]
            occurrence_end = _end(occurrence, occurrence.decoded("DTSTART"))
            if occurrence_end is not None:
                quads.append(Quad(node, NamedNode(SCHEMA + "endDate"), _when(occurrence_end, zone)))
            if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
                quads.append(Quad(node, NamedNode(SCHEMA + "eventStatus"), NamedNode(SCHEMA + "EventCancelled")))
    return quads


# Seconds per period of each frequency (months and years at their shortest: the estimate stays an upper bound).
_PERIOD = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400,
           "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}
_BY_PARTS = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH")


def _bounded(single: icalendar.Calendar, event: Component, rule: Any,
             window: tuple[dt.datetime, dt.datetime]) -> tuple[icalendar.Calendar, dt.datetime]:
    """The calendar to expand and the end of the span to expand it over: as given when the rule walks
    few instants, else with DTSTART moved to the window's start and the span cut after the first
    MAX_OCCURRENCES + 1 instants. Raises RowError when a walk that long cannot be avoided."""
    import icalendar

    if rule is None:
        return single, window[1]
    rules = event.get("RRULE")
    start = event.decoded("DTSTART")
    steps = _steps(rule, start, window[1])
    if steps <= MAX_EXPANDED:
        return single, window[1]
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    interval = int((rule.get("INTERVAL") or [1])[0])
    if isinstance(rules, list) or rule.get("COUNT") or frequency not in ("SECONDLY", "MINUTELY", "HOURLY", "DAILY",
                                                                          "WEEKLY"):
        # Not movable: walked from DTSTART, if the walk up to the window is short enough.
        before = _steps(rule, start, window[0])
        if before > MAX_RULE_STEPS:
            raise RowError(f"its recurrence ({rule.to_ical().decode(errors='replace')}) would walk some {before:.3g} "
                           f"instants from DTSTART to the window, more than the {MAX_RULE_STEPS} the hub expands: "
                           "give it an UNTIL, a later DTSTART or a coarser FREQ")
        return single, _cut(event, rule, window)
    period = dt.timedelta(seconds=_PERIOD[frequency] * interval)
    # Whole periods, and two hours to spare (a change of daylight saving time moves wall-clock periods).
    origin = _comparable(window[0], start) - dt.timedelta(hours=2) - period
    shift = period * max(0, math.floor((origin - _comparable(start, start)) / period))
    if not shift:
        moved = event
    else:
        moved = icalendar.Event.from_ical(event.to_ical())
        for name in ("DTSTART", "DTEND"):
            if moved.get(name) is not None:
                value = moved.decoded(name)
                del moved[name]
                moved.add(name, value + (shift if isinstance(value, dt.datetime) else dt.timedelta(days=shift.days)))
    rebased = icalendar.Calendar()
    for component in single.subcomponents:
        rebased.add_component(moved if component is event else component)
    return rebased, _cut(moved, rule, window)


def _cut(event: Component, rule: Any, window: tuple[dt.datetime, dt.datetime]) -> dt.datetime:
    """Where to end the expansion: just after the first MAX_OCCURRENCES + 1 instants of the rule in the
    window (one more than listed, so that the cap's warning still shows), found lazily by dateutil."""
    from dateutil.rrule import rrulestr

    start = event.decoded("DTSTART")
    if not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time())
    try:
        instants = rrulestr("RRULE:" + rule.to_ical().decode(), dtstart=start, cache=False)
        listed = 0
        for instant in instants.xafter(_comparable(window[0], start), inc=True):
            if _aware(instant, window[1]) > window[1]:
                break
            listed += 1
            if listed > MAX_OCCURRENCES:
                return _aware(instant, window[1]) + dt.timedelta(seconds=1)
    except (ValueError, TypeError) as error:
        raise RowError(f"its recurrence ({rule.to_ical().decode(errors='replace')}) cannot be expanded: " + because(
            error, "its parts do not make a rule RFC 5545 allows")) from error
    return window[1]


def _steps(rule: Any, start: Any, window_end: dt.datetime) -> float:
    """An upper estimate of the instants dateutil walks for `rule` from `start` to `window_end`."""
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    if frequency not in _PERIOD:
        return 0
    interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    until = (rule.get("UNTIL") or [None])[0]
    end = _comparable(window_end, start)
    if until is not None:
        end = min(end, _comparable(until, start))
    first = _comparable(start, start)
    periods = max(0.0, (end - first).total_seconds()) / (_PERIOD[frequency] * interval) + 1
    count = (rule.get("COUNT") or [None])[0]
    if count is not None:
        periods = min(periods, int(count))
    spread = 1
    for part in _BY_PARTS:
        values = rule.get(part)
        if values:
            spread *= len(values)
    if frequency in ("MONTHLY", "YEARLY") and any(rule.get(p) for p in ("BYDAY", "BYMONTHDAY", "BYYEARDAY",
                                                                         "BYWEEKNO")):
        spread *= 31 if frequency == "MONTHLY" else 366
    return periods * spread


def _comparable(value: Any, like: Any) -> dt.datetime:
    """`value` as a datetime comparable with `like` (both naive, or both aware)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if isinstance(like, dt.datetime) and like.tzinfo is not None:
        return value if value.tzinfo is not None else value.replace(tzinfo=like.tzinfo)
    return value.replace(tzinfo=None) if value.tzinfo is not None else value


def _aware(value: dt.datetime, like: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=like.tzinfo)


def _location(subject: NamedNode, event: Component) -> list[Quad]:
    text = str(event.get("LOCATION", "")).strip()
    geo = event.get("GEO")
    if not text and geo is None:
        return []
    node = BlankNode()
    quads = [Quad(subject, NamedNode(SCHEMA + "location"), node)]
    if text:
        quads.append(Quad(node, NamedNode(SCHEMA + "name"), Literal(text)))
    if geo is not None:
        from decimal import Decimal

        quads += geo_quads(node, Decimal(str(geo.longitude)), Decimal(str(geo.latitude)))
    return quads


def _organizer(subject: NamedNode, event: Component) -> list[Quad]:
    organizer = event.get("ORGANIZER")
    if organizer is None:
        return []
    node = BlankNode()
    quads = [Quad(subject, NamedNode(SCHEMA + "organizer"), node)]
    name = organizer.params.get("CN") if hasattr(organizer, "params") else None
    if name:
        quads.append(Quad(node, NamedNode(SCHEMA + "name"), Literal(str(name))))
    address = str(organizer)
    if address.lower().startswith("mailto:"):
        quads.append(Quad(node, NamedNode(SCHEMA + "email"), Literal(address[7:])))
    return quads


def _when(value: Any, zone: dt.tzinfo) -> Literal:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return Literal(value.isoformat(), datatype=NamedNode(XSD + "dateTime"))
    if isinstance(value, dt.date):
        return Literal(value.isoformat(), datatype=NamedNode(XSD + "date"))
    raise RowError(f"{value} is not a date or a date-time")


def _end(event: Any, start: Any) -> Any:
    if event.get("DTEND") is not None:
        return event.decoded("DTEND")
    if event.get("DURATION") is not None:
        return start + event.decoded("DURATION")
    return None


def _rfc5545_dates(event: Component, warnings: list[str], where: str) -> Component:
    """The event with its RDATE and EXDATE values as RFC 5545 allows them with its DTSTART (3.8.5.1, 3.8.5.2):
    a time of day alone (VALUE=TIME) is no date of an occurrence, and is left out with a warning (the recurrence
    library would compare it with date-times and fail); the EXDATEs of an all-day series are days."""
    import icalendar

    start = event.decoded("DTSTART")
    changed = False
    kept: dict[str, list[Any]] = {}
    for name in ("RDATE", "EXDATE"):
        values = event.get(name)
        groups = values if isinstance(values, list) else [] if values is None else [values]
        for group in groups:
            dts = [item.dt for item in getattr(group, "dts", [])]
            times = [value for value in dts if isinstance(value, dt.time)]
            if times:
                changed = True
                shown = ", ".join(value.isoformat() for value in times)
                warnings.append(f"{where}: {name} {shown} is a time of day without a date (VALUE=TIME), which RFC "
                                f"5545 does not allow in {name} (DATE-TIME, DATE{' or PERIOD' * (name == 'RDATE')}): "
                                "left out; write the date of each occurrence")
                continue
            if name == "EXDATE" and not isinstance(start, dt.datetime) \
                    and any(isinstance(value, dt.datetime) for value in dts):
                changed = True  # an all-day series excludes days
                group = icalendar.vDDDLists([value.date() if isinstance(value, dt.datetime) else value
                                             for value in dts])
                group.params["VALUE"] = "DATE"
            kept.setdefault(name, []).append(group)
    if not changed:
        return event
    normal = icalendar.Event.from_ical(event.to_ical())
    for name in ("RDATE", "EXDATE"):
        if name in normal:
            del normal[name]
        if kept.get(name):
            normal[name] = kept[name] if len(kept[name]) > 1 else kept[name][0]
    return normal


def _first_rdate(event: Component) -> Any:
    values = event.get("RDATE")
    candidates = []
    for group in values if isinstance(values, list) else [values]:
        for item in getattr(group, "dts", []):
            value = item.dt
            value = value[0] if isinstance(value, tuple) else value
            if isinstance(value, dt.date):  # not a time of day alone (see _rfc5545_dates)
                candidates.append(value)
    if not candidates:
        return None
    return min(candidates, key=lambda v: v.isoformat() if isinstance(v, dt.datetime) else f"{v.isoformat()}T")


def _newer(first: Component, second: Component) -> tuple[Component, Component]:
    def rank(event: Component) -> tuple[int, str]:
        stamp = event.get("LAST-MODIFIED") or event.get("DTSTAMP")
        return _sequence(event), stamp.to_ical().decode() if stamp is not None else ""

    return (second, first) if rank(second) >= rank(first) else (first, second)


def _sequence(event: Component) -> int:
    try:
        return int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in values:
        if hasattr(item, "cats"):
            out += [str(c) for c in item.cats]
        elif isinstance(item, bytes):
            out.append(item.decode("utf-8", errors="replace"))
        else:
            out.append(item.to_ical().decode() if hasattr(item, "to_ical") and not isinstance(item, str)
                       else str(item))
    return out


def _zone(name: str, document: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise LiftError(document, "ical", f"unknown time zone {name!r} ([calendar] timezone or X-WR-TIMEZONE)"
                        ) from error


_DURATION = re.compile(r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


def _window_bound(value: Any, now: dt.datetime, document: str) -> dt.datetime:
    """An ISO date (`2027-01-01`) or a duration from now (`-P31D`, `P1Y`)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    text = str(value)
    match = _DURATION.match(text)
    if match:
        sign = -1 if match.group(1) else 1
        years, months, weeks, days = (int(g or 0) for g in match.groups()[1:])
        return now + sign * dt.timedelta(days=years * 365 + months * 30 + weeks * 7 + days)
    try:
        return _window_bound(dt.date.fromisoformat(text), now, document)
    except ValueError as error:
        raise LiftError(document, "ical", f"window bound {text!r} is neither a date nor a duration "
                                          "such as -P31D") from error


def _sniff(head: bytes) -> int:
    # A bare VEVENT is read as a calendar too (lift_ical).
    return SURE if opening(head)[:15].upper().startswith((b"BEGIN:VCALENDAR", b"BEGIN:VEVENT")) else 0


def _lift(body: bytes, context: DocumentContext) -> LiftResult:
    rows = LiftContext(context.document, context.source_id, context.mint, context.kind_of, context.language,
                       context.area)
    lifted = lift_ical(body, context.mapping, rows)
    return LiftResult.of(lifted.quads, lifted.warnings, lifted.row_errors)


def _suggest(body: bytes, document: str, name: str) -> str:
    return _SUGGESTION.format(name=name)


_SUGGESTION = """\
# Mapping suggested by `mutualisons mapping suggest {name}` (ical). iCalendar needs no mapping: VEVENTs
# become schema:Event with their dates, location, organizer and URL. This one says how CATEGORIES become
# themes and over which window recurring events are expanded. See docs/mappings.md.
type = "schema:Event"
key = "UID"
ignore = ["TRANSP", "CLASS", "PRIORITY"]

[calendar]
timezone = "Europe/Brussels"  # for floating times
window_start = "-P31D"        # a duration from the harvest, or a date such as "2027-01-01"
window_end = "P366D"

[fields.CATEGORIES]
property = "schema:keywords"
transforms = ["trim"]
# property = "hub:theme", concepts = {{ "jardin" = "theme:gardens-compost" }}, fallback = "schema:keywords"
"""

ICAL = Format("ical", _lift, media_types=("text/calendar",), extensions=(".ics", ".ical"), mapping="optional",
              sniff=_sniff, suggest=_suggest)
