"""No silent outcomes (issue 19): a document that gives no record says so and why, records that collide are
warned, and every message a document's publisher reads is a sentence that names the document, never Python's
own words. Each behaviour is shown through `validate` (the CLI, in this process) and through a real harvest."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli import main
from hub.core.config import Settings
from hub.pipeline.harvest import HarvestSummary, RunSummary, harvest
from hub.store.reader import PublishedReader
from tests.conftest import BASE, SHARED_FEEDS, quiet
from tests.loopback import Answer, Canary, Request, serve
from tests.test_format_table import SOURCE, plugin  # noqa: F401 - the plugin format's fixture, used by name

PREFIXES = "@prefix schema: <https://schema.org/> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"


def org(name: str, postcode: str = "1000", lat: str = "50.85", lon: str = "4.35", url: str | None = None,
        subject: str = "[]") -> str:
    link = f'; schema:url <{url}> ' if url else ""
    return (f'{subject} a schema:Organization ; schema:name "{name}"@fr {link}; schema:address [ '
            f'a schema:PostalAddress ; schema:postalCode "{postcode}" ; schema:addressCountry "BE" ] ; schema:geo [ '
            f'a schema:GeoCoordinates ; schema:latitude {lat} ; schema:longitude {lon} ] .\n')


def source(folder: Path, url: str, extra: str = "", source_id: str = "net") -> Settings:
    toml = folder / "sources.toml"
    toml.write_text(f'[[source]]\nid = "{source_id}"\nname = "Net"\nurl = "{url}"\n'
                    'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Net"\n'
                    f'contact = "mailto:net@net.example"\n{extra}', encoding="utf-8")
    return Settings(toml, folder / "data", BASE)


def run_of(summary: HarvestSummary) -> RunSummary:
    [run] = summary.runs
    return run


def validate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--base-iri", BASE, "validate", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------- a document with no record

def test_a_document_with_no_record_fails_its_run_with_the_types_it_holds(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "charter.ttl"
    feed.write_text(PREFIXES + "".join(f'<https://net.example/doc/{i}> a schema:Thing, foaf:Document ; '
                                       f'schema:name "Doc {i}" .\n' for i in range(12)), encoding="utf-8")
    settings = source(tmp_path, "file:charter.ttl", 'format = "turtle"\n')
    run = run_of(harvest(settings, progress=quiet))
    assert run.status == "failed" and run.counts["accepted"] == 0
    expected = ("file:charter.ttl: no record: the document describes 12 node(s) typed foaf:Document, schema:Thing; "
                "records are organisations and places, events, resources (tools, templates), knowledge, "
                "publications, funding, persons (with their consent), recommendations, products (DFC catalogues) "
                "(docs/charter.md): give each item the type of its class [document.no-record-class]")
    assert run.errors == [expected]
    # The same bytes fail again, with the same words (harvest_state's failure), without being read again.
    again = run_of(harvest(settings, progress=quiet))
    assert again.status == "failed" and again.errors == [expected]
    # validate says it too, in the reader's language, and exits 1.
    code, out, _ = validate(capsys, str(feed), "--lang", "nl")
    assert code == 1
    assert "geen fiche: het document beschrijft 12 knoop/knopen van het type foaf:Document, schema:Thing" in out
    # Its warnings (untagged names, nodes no record reaches) are counted as the harvest counted them.
    assert f"a harvest of it would end failed: accepted 0, rejected 0, warned {run.counts['warned']}" in out
    code, out, _ = validate(capsys, str(feed), "--json")
    report = json.loads(out)
    assert report["status"] == "failed" and report["errors"] == [expected.replace("file:charter.ttl",
                                                                                  feed.resolve().as_uri())]


def test_a_folder_with_one_silent_document_is_partial_and_a_document_that_feeds_others_is_not(
        tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "a-orgs.ttl").write_text(PREFIXES + org("Atelier", subject="<https://net.example/atelier>").replace(
        " .\n", " ; schema:contactPoint <https://net.example/atelier#contact> .\n"), encoding="utf-8")
    # Only nodes that a record of the first document reaches: it gives no record of its own, and is not silent.
    (folder / "b-contacts.ttl").write_text(PREFIXES + '<https://net.example/atelier#contact> a schema:ContactPoint ; '
                                           'schema:telephone "+32 2 000 00 00" .\n', encoding="utf-8")
    (folder / "c-untyped.ttl").write_text(PREFIXES + '<https://net.example/x> schema:name "x" .\n'
                                          '<https://net.example/y> schema:name "y" .\n', encoding="utf-8")
    (folder / "d-empty.ttl").write_text("# nothing yet\n", encoding="utf-8")
    run = run_of(harvest(source(tmp_path, "file:feeds/", 'format = "turtle"\n'), progress=quiet))
    assert run.status == "partial" and run.counts["accepted"] == 1
    assert len(run.errors) == 2
    assert run.errors[0].startswith("file:feeds/c-untyped.ttl: no record: the document describes 2 node(s), none of "
                                    "them typed (rdf:type, @type)")
    assert run.errors[1].startswith("file:feeds/d-empty.ttl: no record: the document holds no statement.")
    assert not any("b-contacts" in error for error in run.errors)
    store = PublishedReader(source(tmp_path, "file:feeds/", 'format = "turtle"\n')).published().store
    assert store.ask('ASK { ?s <https://schema.org/telephone> "+32 2 000 00 00" }')


def test_a_mapped_table_whose_every_row_fails_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rows.csv").write_text("id;nom;lat;lon\nr1;Un;pas encore;4.35\nr2;Deux;50,85;nope\n", encoding="utf-8")
    (tmp_path / "rows.toml").write_text(
        'type = "schema:Organization"\nkey = "id"\n[fields.nom]\nproperty = "schema:name"\n[fields.lat]\n'
        'property = "schema:geo/schema:latitude"\n[fields.lon]\nproperty = "schema:geo/schema:longitude"\n',
        encoding="utf-8")
    run = run_of(harvest(source(tmp_path, "file:rows.csv", 'format = "csv"\nmapping = "rows.toml"\n'), progress=quiet))
    assert run.status == "failed"
    assert run.errors[-1] == ("file:rows.csv: no record: every one of its 2 rows, features or events failed (see the "
                              "errors that locate them); correct them [document.rows-failed]")
    assert [error.split(": ", 2)[1] for error in run.errors[:2]] == ["line 2", "line 3"]
    code, out, _ = validate(capsys, str(tmp_path / "rows.csv"), "--mapping", str(tmp_path / "rows.toml"))
    assert code == 1 and "every one of its 2 rows, features or events failed" in out


# ---------------------------------------------------------------- collisions

FEATURES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.35 + i / 100, 50.85]},
     "properties": {"nom": f"Jardin {i}", "site": "https://jardins.example/"}} for i in range(1, 6)]}
GARDENS = ('type = "schema:Place"\n[constants]\n"schema:address/schema:addressCountry" = "BE"\n'
           '[fields.nom]\nproperty = "schema:name"\nlang = "fr"\n[fields.site]\nproperty = "schema:url"\n'
           'transforms = ["iri"]\n')


def test_five_features_sharing_a_website_keep_the_last_with_a_warning_in_validate_and_harvest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "jardins.geojson").write_text(json.dumps(FEATURES), encoding="utf-8")
    (tmp_path / "jardins.toml").write_text(GARDENS, encoding="utf-8")
    run = run_of(harvest(source(tmp_path, "file:jardins.geojson", 'format = "geojson"\nmapping = "jardins.toml"\n'),
                         progress=quiet))
    shared = [w for w in run.warnings if "share the url <https://jardins.example/>" in w]
    assert shared == ["file:jardins.geojson: features #1, #2, #3, #4 and #5 share the url <https://jardins.example/>: "
                      "only the last, #5, is lifted (a later feature replaces an earlier one with the same key); give "
                      "each feature its own key if they are different things"]
    assert run.counts["accepted"] == 1 and run.status == "succeeded"
    store = PublishedReader(Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)).published().store
    assert [row["n"].value for row in store.select("SELECT ?n WHERE { ?s <https://schema.org/name> ?n }")] \
        == ["Jardin 5"]
    code, out, _ = validate(capsys, str(tmp_path / "jardins.geojson"), "--mapping", str(tmp_path / "jardins.toml"),
                            "--json")
    report = json.loads(out)
    assert code == 0 and report["counts"] == {k: run.counts[k] for k in ("accepted", "rejected", "warned")}
    assert any("features #1, #2, #3, #4 and #5 share the url" in warning for warning in report["warnings"])
    # The public run says how many warnings there were, never their text (the shared web address is data).
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    meta = PublishedReader(settings).published().store.select(
        "SELECT ?o WHERE { GRAPH ?g { ?run a <http://www.w3.org/ns/prov#Activity> ; ?p ?o } }")
    assert not any("jardins.example" in str(row["o"].value) for row in meta)


def test_csv_rows_sharing_a_key_keep_the_later_row(tmp_path: Path) -> None:
    (tmp_path / "rc.csv").write_text("id;nom\nrc-1;Premier\nrc-2;Deux\nrc-1;Premier corrigé\n", encoding="utf-8")
    (tmp_path / "rc.toml").write_text(
        'type = "schema:Organization"\nkey = "id"\n[constants]\n"schema:address/schema:addressCountry" = "BE"\n'
        '"schema:address/schema:postalCode" = "1000"\n[fields.nom]\nproperty = "schema:name"\nlang = "fr"\n',
        encoding="utf-8")
    settings = source(tmp_path, "file:rc.csv", 'format = "csv"\nmapping = "rc.toml"\n')
    run = run_of(harvest(settings, progress=quiet))
    assert "file:rc.csv: lines 2 and 4 share the key id='rc-1': only the last, 4, is lifted (a later line replaces " \
           "an earlier one with the same key); give each line its own key if they are different things" in run.warnings
    names = {row["n"].value for row in PublishedReader(settings).published().store.select(
        "SELECT ?n WHERE { ?s <https://schema.org/name> ?n }")}
    assert names == {"Premier corrigé", "Deux"}


def test_blank_node_records_minted_to_one_iri_merge_with_a_warning(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "orgs.ttl"
    feed.write_text(PREFIXES + org("Un", url="https://net.example/") + org("Deux", url="https://net.example/")
                    + org("Trois", url="https://trois.example/"), encoding="utf-8")
    settings = source(tmp_path, "file:orgs.ttl", 'format = "turtle"\n')
    run = run_of(harvest(settings, progress=quiet))
    [merged] = [w for w in run.warnings if "[split.merged]" in w]
    assert merged.startswith("file:orgs.ttl: 2 records (organization) without an IRI share the web address "
                             "<https://net.example/>; they are merged into one record, http://hub.test/id/")
    # Before, the harvest kept one of them (last wins, in silence) while validate judged both.
    code, out, _ = validate(capsys, str(feed), "--json")
    report = json.loads(out)
    assert len(report["records"]) == run.counts["accepted"] + run.counts["rejected"] == 2
    assert report["counts"] == {k: run.counts[k] for k in ("accepted", "rejected", "warned")}
    [said] = [w for w in report["warnings"] if "[split.merged]" in w]
    merged_iri = said.split("merged into one record, ", 1)[1].split(". ", 1)[0]
    merged_record = next(r for r in report["records"] if r["subject"] == merged_iri)
    assert sorted(merged_record["types"]) == ["https://schema.org/Organization"]
    geo = [r for r in merged_record["results"] if r["path"] == "https://schema.org/geo"]
    assert not merged_record["accepted"] and geo  # two points: the charter says what is wrong


# ---------------------------------------------------------------- messages written for people

PYTHON_WORDS = ("Traceback", "Error(", "'NoneType'", "not supported between instances", "object has no attribute",
                "errno", "Errno", "<class")
BROKEN = {
    "broken.ttl": ("turtle", None, b"@prefix schema: <https://schema.org/> .\n<https://x.example/a> schema:url <x ."),
    "broken.nt": ("ntriples", None, b"<https://x.example/a> <https://x.example/b> \"unterminated .\n"),
    "broken.jsonld": ("jsonld", None, b'{"@context": "https://schema.org/", "@type": "Organization", "name": }'),
    "wrongcontext.jsonld": ("jsonld", None, b'{"@context": {"@vocab": 12}, "@type": "Organization"}'),
    "broken.rdf": ("rdfxml", None, b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax'
                                   b'-ns#"><rdf:Description rdf:about="x"></rdf:RDF>'),
    "broken.html": ("html", None, b'<html><body><script type="application/ld+json">{"@type": </script></body></html>'),
    "broken.geojson": ("geojson", GARDENS, b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
                                           b'"geometry": {"type": "Polygon", "coordinates": [[1, 2]]}, '
                                           b'"properties": {"nom": "x"}}, {"type": "Feature", "geometry": '
                                           b'{"type": "Point", "coordinates": null}, "properties": {}}, 7]}'),
    "notjson.geojson": ("geojson", GARDENS, b'{"type": "FeatureCollection", "features": [\n{]}'),
    "broken.csv": ("csv", 'type = "schema:Organization"\nkey = "id"\n[fields.site]\nproperty = "schema:url"\n'
                          'transforms = ["iri"]\n[fields.date]\nproperty = "schema:foundingDate"\n'
                          'transforms = ["date"]\n[fields.lat]\nproperty = "schema:geo/schema:latitude"\n',
                   b'id;site;date;lat\na;https://a b.example/;2020-13-45;1\nb;x;31/02/2020;"unclosed\n;;;\n'),
    "broken.ics": ("ical", None, b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:t\r\n"
                                 b"DTSTART:20210302T000000Z\r\nRDATE;VALUE=TIME:133000Z\r\nEND:VEVENT\r\n"
                                 b"BEGIN:VEVENT\r\nUID:u\r\nDTSTART;VALUE=TIME:083000\r\nEND:VEVENT\r\n"
                                 b"BEGIN:VEVENT\r\nUID:v\r\nDTSTART;;VALUE=DATE-TIME:20140409T093000\r\nEND:VEVENT\r\n"
                                 b"BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20260302T100000Z\r\nRRULE:FREQ=WEEKLY;BYDAY= TU\r\n"
                                 b"END:VEVENT\r\nEND:VCALENDAR\r\n"),
    "notical.ics": ("ical", None, b"BEGIN:VCALENDAR\r\nX\r\nEND:VCALENDAR\r\n"),
    "empty.ttl": ("turtle", None, b"   \n"),
}


def _messages_of_a_harvest(folder: Path) -> dict[str, tuple[list[str], list[str]]]:
    feeds = folder / "feeds"
    feeds.mkdir(parents=True)
    entries = []
    for number, (name, (fmt, mapping, body)) in enumerate(BROKEN.items()):
        (feeds / name).write_bytes(body)
        extra = f'format = "{fmt}"\n'
        if mapping is not None:
            (folder / f"{name}.toml").write_text(mapping, encoding="utf-8")
            extra += f'mapping = "{name}.toml"\n'
        entries.append(f'[[source]]\nid = "s{number}"\nname = "{name}"\nurl = "file:feeds/{name}"\n'
                       'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "t"\n'
                       f'contact = "mailto:t@t.example"\n{extra}')
    (folder / "sources.toml").write_text("\n".join(entries), encoding="utf-8")
    summary = harvest(Settings(folder / "sources.toml", folder / "data", BASE), progress=quiet)
    names = list(BROKEN)
    return {names[int(run.source_id[1:])]: (run.errors, run.warnings) for run in summary.runs}


def _messages_of_validate(folder: Path) -> dict[str, tuple[list[str], list[str]]]:
    folder.mkdir()
    said = {}
    for name, (fmt, mapping, body) in BROKEN.items():
        path = folder / name
        path.write_bytes(body)
        argv = [sys.executable, "-m", "hub.cli", "--base-iri", BASE, "validate", str(path), "--format", fmt, "--json"]
        if mapping is not None:
            (folder / f"{name}.toml").write_text(mapping, encoding="utf-8")
            argv += ["--mapping", str(folder / f"{name}.toml")]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False,
                                preexec_fn=_bounded)  # noqa: PLW1509 - limits only, no shared state
        assert result.returncode in (1, 2), (name, result.stdout, result.stderr)
        if result.returncode == 2:  # unreadable: one line on standard error
            said[name] = ([result.stderr.strip()], [])
        else:
            report = json.loads(result.stdout)
            said[name] = (report["errors"], report["warnings"])
    return said


def _bounded() -> None:
    """Hostile documents: each check runs in a child with a memory cap (the briefing's rule)."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_broken_documents_get_sentences_that_name_them_in_validate_and_harvest(tmp_path: Path) -> None:
    harvested = _messages_of_a_harvest(tmp_path / "hub")
    checked = _messages_of_validate(tmp_path / "check")
    for name in BROKEN:
        for errors, warnings in (harvested[name], checked[name]):
            assert errors, f"{name}: no error said"  # each is broken, or gives no record
            for message in errors + warnings:
                assert not any(word in message for word in PYTHON_WORDS), f"{name}: {message}"
            for message in errors:
                assert name in message, f"{name}: {message}"
    # The iCalendar comparison error is gone: the TIME value is left out with a sentence, the series kept.
    for said in (harvested["broken.ics"], checked["broken.ics"]):
        assert any("RDATE 13:30:00+00:00 is a time of day without a date (VALUE=TIME)" in m for m in said[1])
        assert any("(UID u): DTSTART is a time of day without a date (VALUE=TIME)" in m for m in said[0])


def test_the_icalendar_time_rdate_of_a_real_calendar_lifts_its_events(tmp_path: Path) -> None:
    calendar = SHARED_FEEDS / "icalendar-samples" / "src_icalendar_tests_calendars_multiple_timezones.ics"
    if not calendar.exists():
        pytest.skip(f"{calendar} is absent: this test needs ../shared/feeds next to the project")
    (tmp_path / "cal.ics").write_bytes(calendar.read_bytes())
    run = run_of(harvest(source(tmp_path, "file:cal.ics", 'format = "ical"\n'), progress=quiet))
    # Three events whose RDATE is a TIME (RFC 5545 allows none there): once "cannot expand its recurrence:
    # '<' not supported between instances of 'datetime.datetime' and 'datetime.time'", now lifted, each warned.
    assert run.errors == [] and run.counts["accepted"] + run.counts["rejected"] == 3  # (they have no SUMMARY)
    assert sum("is a time of day without a date (VALUE=TIME)" in w for w in run.warnings) == 3


def test_the_validate_page_and_api_say_why_a_document_gave_no_record(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from hub.gateway.app import create_app
    from tests.conftest import EXAMPLES

    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    body = PREFIXES + '<https://net.example/a> a foaf:Document ; schema:name "a"@fr .\n'
    with TestClient(create_app(settings)) as client:
        report = client.post("/api/validate", content=body.encode(), headers={"Content-Type": "text/turtle"}).json()
        assert report["status"] == "failed" and not report["conforms"]
        assert report["counts"] == {"accepted": 0, "rejected": 0, "warned": 1}
        [error] = report["errors"]
        assert error.startswith("urn:mutualisons:submitted-document: no record: the document describes 1 node(s) "
                                "typed foaf:Document;") and error.endswith("[document.no-record-class]")
        page = client.post("/validate", data={"document": body, "lang": "fr"})
        assert page.status_code == 200
        assert "aucune fiche : le document décrit 1 nœud(s) typé(s) foaf:Document" in page.text
        # The status in the page's language, the counts in their plural forms (issue 22).
        assert "Une moisson de ce document finirait « échouée » : 0 fiche acceptée, 0 fiche refusée, " \
               "1 avertissement" in page.text


@pytest.mark.usefixtures("plugin")
def test_an_empty_last_page_of_a_walked_feed_is_no_error_but_empty_pages_alone_fail(tmp_path: Path) -> None:
    pages = {"/p1": "Potager des Marolles;50.8376;4.3470\n# next: /p2\n", "/p2": "# the end\n"}

    def route(request: Request) -> Answer:
        return (200, {"Content-Type": "text/plain"}, pages[request.path].encode()) if request.path in pages \
            else (404, {}, b"")

    for server in serve(route):
        (tmp_path / "sources.toml").write_text(SOURCE.format(url=server.url("/p1")) +
                                               f'trusted_hosts = ["{server.hostport}"]\n')
        settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
        run = run_of(harvest(settings, progress=quiet))
        assert (run.status, run.counts["accepted"], run.counts["documents"], run.errors) == ("succeeded", 1, 2, [])
        # Every page empty: nothing to publish, and said (after the valve's line: a record was published).
        pages["/p1"] = "# next: /p2\n"
        emptied = run_of(harvest(settings, progress=quiet))
        assert emptied.status == "failed" and emptied.errors[0].startswith("held: this run would remove all 1")
        assert emptied.errors[1:] == [
            f"{server.url(page)}: no record: the document holds no statement. Check that it is the right document "
            "(and, for a mapped format, that its mapping reads its rows) [document.empty]" for page in ("/p1", "/p2")]


def test_validate_loads_remote_contexts_as_a_harvest_does_through_the_guarded_fetcher(
        tmp_path: Path, canary: Canary, capsys: pytest.CaptureFixture[str]) -> None:
    """Once `validate` knew only the shipped contexts while a harvest fetched the others: a document with a
    remote @context failed one and passed the other. Both now go through the guarded fetcher, which refuses
    this loopback address for both (the canary sees nothing)."""
    feed = tmp_path / "remote.jsonld"
    feed.write_text(json.dumps({"@context": f"http://127.0.0.1:{canary.port}/ctx.jsonld", "@type": "Organization",
                                "name": "x"}), encoding="utf-8")
    code, _, err = validate(capsys, str(feed))
    run = run_of(harvest(source(tmp_path, "file:remote.jsonld", 'format = "jsonld"\n'), progress=quiet))
    assert code == 2 and run.status == "failed" and canary.connections() == 0
    reason = f"its @context could not be loaded: http://127.0.0.1:{canary.port}/ctx.jsonld: 127.0.0.1 resolves to " \
             "non-public address 127.0.0.1"
    assert reason in err and reason in run.errors[0]


def test_icalendar_events_sharing_a_uid_name_both_and_the_one_kept() -> None:
    from harvesters.ical import lift_ical
    from tests.mapped_helpers import context

    body = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
            b"BEGIN:VEVENT\r\nUID:s\r\nSEQUENCE:2\r\nSUMMARY:New\r\nDTSTART:20270101T150000Z\r\nEND:VEVENT\r\n"
            b"BEGIN:VEVENT\r\nUID:s\r\nSEQUENCE:1\r\nSUMMARY:Old\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n")
    lifted = lift_ical(body, None, context("file:agenda.ics"))
    assert lifted.warnings == ["file:agenda.ics: VEVENT #2 (UID s): UID seen twice (VEVENT #1 has it too); VEVENT #1 "
                               "is kept: SEQUENCE 2 replaces SEQUENCE 1 (the highest SEQUENCE, then the latest time "
                               "stamp, wins)"]


def test_a_library_message_is_kept_up_to_where_python_speaks() -> None:
    from harvesters.wording import because, readable, reason

    assert readable("Content line could not be parsed into parts: 'X;;Y': '' is not a valid parameter string: "
                    "not enough values to unpack (expected 2, got 1)") == \
        "Content line could not be parsed into parts: 'X;;Y': '' is not a valid parameter string"
    assert reason(TypeError("'<' not supported between instances of 'datetime.datetime' and 'datetime.time'")) is None
    assert reason(KeyError("geometry")) is None  # a KeyError's text is the key, not a reason
    assert reason(OSError(111, "Connection refused")) == "Connection refused"
    assert because(ValueError("'NoneType' object has no attribute 'x'"), "the page cannot be read") == \
        "the page cannot be read"
    assert because(ValueError("Invalid IRI code point ' '"), "x") == "Invalid IRI code point ' '"


def test_a_changed_mapping_is_applied_to_a_feed_whose_bytes_did_not_change(tmp_path: Path) -> None:
    """The same bytes are not read again, unless what reads them changed: a network that fixes its mapping sees
    the fix at the next run, not a run that says it wrote nothing."""
    (tmp_path / "rc.csv").write_text("id;nom;ville\nrc-1;Premier;Ixelles\nrc-2;Deux;Forest\n", encoding="utf-8")
    mapping = ('type = "schema:Organization"\nkey = "id"\n[constants]\n"schema:address/schema:addressCountry" = "BE"\n'
               '"schema:address/schema:postalCode" = "1000"\n[fields.nom]\nproperty = "schema:name"\nlang = "fr"\n')
    (tmp_path / "rc.toml").write_text(mapping, encoding="utf-8")
    settings = source(tmp_path, "file:rc.csv", 'format = "csv"\nmapping = "rc.toml"\n')
    first = run_of(harvest(settings, progress=quiet))
    assert first.counts["added"] == 2
    same = run_of(harvest(settings, progress=quiet))
    assert same.counts["added"] == same.counts["updated"] == 0
    (tmp_path / "rc.toml").write_text(mapping + '[fields.ville]\nproperty = "schema:address/schema:addressLocality"\n',
                                      encoding="utf-8")
    fixed = run_of(harvest(settings, progress=quiet))
    assert fixed.counts["updated"] == 2
    localities = {row["l"].value for row in PublishedReader(settings).published().store.select(
        "SELECT ?l WHERE { ?s <https://schema.org/addressLocality> ?l }")}
    assert localities == {"Ixelles", "Forest"}
    again = run_of(harvest(settings, progress=quiet))
    assert again.counts["updated"] == again.counts["added"] == 0
