"""iCalendar lifting (time zones, recurrence, cancellation, SEQUENCE) and the agenda published back."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from fastapi.testclient import TestClient

from harvesters.formats import LiftError
from harvesters.ical import lift_ical
from harvesters.mapping import parse_mapping
from tests.mapped_helpers import SCHEMA, context, values

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)


def calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(
        f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events) + "END:VCALENDAR\r\n").encode()


def test_floating_times_are_read_in_brussels_and_zoned_ones_keep_their_zone() -> None:
    lifted = lift_ical(calendar(
        "UID:a\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Atelier\r\nDTSTART:20270701T100000\r\nDURATION:PT2H",
        "UID:b\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Call\r\nDTSTART;TZID=America/New_York:20270115T090000",
        "UID:c\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Marché\r\nDTSTART;VALUE=DATE:20270306"), None, context(),
        now=NOW)
    starts = values(lifted.quads, SCHEMA + "startDate")
    assert starts == ["2027-01-15T09:00:00-05:00", "2027-03-06", "2027-07-01T10:00:00+02:00"]
    assert values(lifted.quads, SCHEMA + "endDate") == ["2027-07-01T12:00:00+02:00"]


def test_location_geo_organizer_url_and_categories() -> None:
    mapping = parse_mapping({"type": "schema:Event", "key": "UID", "fields": {"CATEGORIES": {
        "property": "hub:theme", "transforms": ["lower"], "concepts": {"jardin": "theme:gardens-compost"},
        "fallback": "schema:keywords"}}}, "test")
    lifted = lift_ical(calendar(
        "UID:x\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Visite\r\nDTSTART:20270101T100000Z\r\n"
        "LOCATION:Potager du Canal\\, Molenbeek\r\nGEO:50.855;4.339\r\n"
        "ORGANIZER;CN=Jardins asbl:mailto:agenda@jardins.example\r\nURL:https://jardins.example/visite\r\n"
        "CATEGORIES:Jardin,Balade\r\nX-UNKNOWN:1"), mapping, context(), now=NOW)
    assert values(lifted.quads, SCHEMA + "latitude") == ["50.855"]
    assert "Potager du Canal, Molenbeek" in values(lifted.quads, SCHEMA + "name")
    assert values(lifted.quads, SCHEMA + "email") == ["agenda@jardins.example"]
    assert values(lifted.quads, SCHEMA + "url") == ["https://jardins.example/visite"]
    assert values(lifted.quads, "https://w3id.org/mutualisons/ns#theme") == [
        "https://w3id.org/mutualisons/ns#theme-gardens-compost"]
    assert values(lifted.quads, SCHEMA + "keywords") == ["balade"]
    assert any("'X-UNKNOWN'" in w for w in lifted.warnings)


def test_recurrence_expands_in_the_window_with_exdates_and_cancelled_occurrences() -> None:
    mapping = parse_mapping({"type": "schema:Event", "key": "UID",
                             "calendar": {"window_start": "2027-01-01", "window_end": "2027-05-01"}}, "test")
    lifted = lift_ical(calendar(
        "UID:r\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Repair\r\nDTSTART;TZID=Europe/Brussels:20270109T140000\r\n"
        "RRULE:FREQ=MONTHLY;BYDAY=2SA;COUNT=6\r\nEXDATE;TZID=Europe/Brussels:20270410T140000\r\n"
        "RDATE;TZID=Europe/Brussels:20270420T140000",
        "UID:r\r\nDTSTAMP:20261101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Brussels:20270313T140000\r\n"
        "DTSTART;TZID=Europe/Brussels:20270313T140000\r\nSUMMARY:Repair\r\nSTATUS:CANCELLED"), mapping, context(),
        now=NOW)
    subjects = {q.subject for q in lifted.quads if q.predicate.value == SCHEMA + "startDate"
                and q.subject.__class__.__name__ == "NamedNode"}
    assert len(subjects) == 1  # the series stays one record
    occurrences = [q.object for q in lifted.quads if q.predicate.value == SCHEMA + "subEvent"]
    starts = sorted(str(q.object.value) for q in lifted.quads if q.subject in occurrences  # type: ignore[union-attr]
                    and q.predicate.value == SCHEMA + "startDate")
    assert starts == ["2027-01-09T14:00:00+01:00", "2027-02-13T14:00:00+01:00", "2027-03-13T14:00:00+01:00",
                      "2027-04-20T14:00:00+02:00"]
    assert values(lifted.quads, SCHEMA + "eventStatus") == [SCHEMA + "EventCancelled"]
    assert values(lifted.quads, SCHEMA + "repeatFrequency") == ["P1M"]


def test_cancelled_events_and_sequence_updates() -> None:
    lifted = lift_ical(calendar(
        "UID:s\r\nDTSTAMP:20261101T000000Z\r\nSEQUENCE:2\r\nSUMMARY:New time\r\nDTSTART:20270101T150000Z",
        "UID:s\r\nDTSTAMP:20261001T000000Z\r\nSEQUENCE:1\r\nSUMMARY:Old time\r\nDTSTART:20270101T100000Z",
        "UID:c\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Off\r\nDTSTART:20270102T100000Z\r\nSTATUS:CANCELLED"),
        None, context(), now=NOW)
    assert values(lifted.quads, SCHEMA + "name") == ["New time", "Off"]
    assert any("SEQUENCE 2 replaces SEQUENCE 1" in w for w in lifted.warnings)
    assert values(lifted.quads, SCHEMA + "eventStatus") == [SCHEMA + "EventCancelled"]


def test_broken_events_fail_alone_and_broken_files_fail_whole() -> None:
    lifted = lift_ical(calendar(
        "UID:bad\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Bad\r\nDTSTART:INVALID-DATE",
        "UID:none\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:No start",
        "UID:ok\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Good\r\nDTSTART:20270101T100000Z"), None, context(), now=NOW)
    assert len(lifted.row_errors) == 2
    assert "VEVENT #1 (UID bad): DTSTART" in lifted.row_errors[0] and "no DTSTART" in lifted.row_errors[1]
    assert values(lifted.quads, SCHEMA + "name") == ["Good"]
    with pytest.raises(LiftError, match="ical: not a readable iCalendar file"):
        lift_ical(b"BEGIN:VCALENDAR\r\nX\r\nEND:VCALENDAR\r\n", None, context())


def test_the_agenda_is_published_back_as_valid_icalendar(client: TestClient) -> None:
    response = client.get("/api/events.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    same = client.get("/api/events", params={"format": "ics"})
    parsed = icalendar.Calendar.from_ical(response.text)
    events = parsed.walk("VEVENT")
    assert len(events) == 11 and not any(e.errors for e in events)  # 10 schema:Event, 1 EducationEvent
    assert len(icalendar.Calendar.from_ical(same.text).walk("VEVENT")) == 11
    series = next(e for e in events if "repair-cafe-mensuel" in str(e["UID"]))
    assert len(series.get("RDATE").dts) == 4 and len(series.get("EXDATE").dts) == 1  # cancelled 13 March
    cancelled = next(e for e in events if "marche-paysan-hiver" in str(e["UID"]))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    march = client.get("/api/events.ics", params={"from": "2027-03-01", "to": "2027-04-01"})
    in_march = icalendar.Calendar.from_ical(march.text).walk("VEVENT")
    assert 0 < len(in_march) < 10
    assert all(e.decoded("DTSTART").isoformat()[:7] == "2027-03" or e.get("RDATE") for e in in_march)
    bad = client.get("/api/events.ics", params={"from": "next tuesday"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "from"
    assert client.get("/api/events", params={"format": "pdf"}).status_code == 400
    listing = client.get("/api/events").json()["member"]
    assert len(listing) == 11


def test_x_wr_timezone_sets_the_zone_of_floating_times_and_an_unknown_zone_fails() -> None:
    body = calendar("UID:f\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Call\r\nDTSTART:20270115T090000")
    lisbon = body.replace(b"PRODID:-//test//EN\r\n", b"PRODID:-//test//EN\r\nX-WR-TIMEZONE:Europe/Lisbon\r\n")
    assert values(lift_ical(lisbon, None, context(), now=NOW).quads, SCHEMA + "startDate") == [
        "2027-01-15T09:00:00+00:00"]
    nowhere = body.replace(b"PRODID:-//test//EN\r\n", b"PRODID:-//test//EN\r\nX-WR-TIMEZONE:Mars/Olympus\r\n")
    with pytest.raises(LiftError, match="unknown time zone 'Mars/Olympus'"):
        lift_ical(nowhere, None, context(), now=NOW)
