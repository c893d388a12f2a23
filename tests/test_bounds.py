"""Work bounds on hostile input: canonicalisation per record (hub/pipeline/canonical.py), parsing before the work
(harvesters/limits.py, the iCalendar expansion). Every hostile document is generated here, and the
work runs in a child under an address-space limit and a timeout: a regression fails the test instead of
eating the machine."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from pyoxigraph import RdfFormat, parse

from hub.core.ntriples import split_line, to_lines
from hub.pipeline.canonical import LIMITS, LimitExceeded, Limits, canonical_digest, canonical_hash, measure
from tests.conftest import ROOT

GIB = 1 << 30
GOOD = "".join(
    f'<http://feed.example/o{i}> a schema:NGO ; schema:name "Org {i}"@fr ; schema:address [ a schema:PostalAddress ; '
    f'schema:postalCode "10{i:02d}" ; schema:addressLocality "Bruxelles" ; schema:streetAddress "Rue {i}" ; '
    f'schema:addressCountry "BE" ] ; schema:geo [ schema:latitude 50.8{i} ; schema:longitude 4.3{i} ] .\n'
    for i in range(3))


def nested_chain(levels: int) -> str:
    """A record whose description nests `levels` look-alike blank nodes: RDFC-1.0's worst kind of input."""
    return ('<http://feed.example/bad> a schema:NGO ; schema:name "Bad"@fr ; schema:description '
            + "[ schema:description " * levels + '"x"' + " ]" * levels + " .\n")


def tree(depth: int, branch: int) -> str:
    """Nested blank nodes with identical siblings: RDFC-1.0 must try their orderings."""
    if depth == 0:
        return "[ <http://x.test/p> 1 ]"
    return "[ <http://x.test/p> " + " , ".join(tree(depth - 1, branch) for _ in range(branch)) + " ]"


def run_bounded(code: str, memory: int = 2 * GIB, timeout: float = 120) -> Any:
    """Runs `code` in a child under RLIMIT_AS; it prints one JSON value, which is returned."""
    prelude = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
    result = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def lines_of_turtle(text: str) -> list[str]:
    return to_lines(parse(text.encode(), format=RdfFormat.TURTLE))


# ---------------------------------------------------------------- canonicalisation


def test_records_beyond_the_small_caps_get_pyoxigraphs_hash_from_a_child() -> None:
    lines = lines_of_turtle(f"<http://x.test/s> <http://x.test/q> {tree(3, 3)} .")
    statements = {split_line(line)[:3] for line in lines}
    blanks = {token for statement in statements for token in statement if token[0] == "_"}
    found = measure(statements, {blank: "same" for blank in blanks})
    assert found.work > LIMITS.in_process_work and found.depth == 4
    assert canonical_hash(lines) == canonical_digest(lines)  # the child's answer is pyoxigraph's


def test_a_canonicalisation_past_its_deadline_is_refused_with_the_limit_named() -> None:
    lines = lines_of_turtle(f"<http://x.test/s> <http://x.test/q> {tree(2, 10)} .")
    with pytest.raises(LimitExceeded) as refused:
        canonical_hash(lines, Limits(child_seconds=0.5))
    assert refused.value.limit == "seconds"
    assert "more than 0.5 seconds of canonicalisation, at most 0.5" in str(refused.value)
    assert set(refused.value.messages()) == {"fr", "nl", "en"}
    with pytest.raises(LimitExceeded, match="MiB of memory"):
        canonical_hash(lines, Limits(child_memory=64 << 20))


def test_nested_blank_nodes_in_a_feed_reject_their_record_alone() -> None:
    """The 17 KB and 170 KB documents that froze and killed the hub, and 850 KB: each record is refused
    with the limit and its numbers, the feed's other records are published, and memory stays bounded."""
    answer = run_bounded(f"""
        import json, time
        from pathlib import Path
        from tempfile import TemporaryDirectory
        from hub.core.config import Settings
        from hub.pipeline.harvest import harvest
        out = []
        for levels in (800, 8000, 40000):
            with TemporaryDirectory() as folder:
                root = Path(folder)
                (root / "feeds").mkdir()
                (root / "feeds" / "f.ttl").write_text("@prefix schema: <https://schema.org/> .\\n"
                                                      + {GOOD!r} + {nested_chain(1)!r}.replace(
                                                      "[ schema:description ", "[ schema:description " * levels)
                                                      .replace(" ]", " ]" * levels))
                (root / "sources.toml").write_text('[[source]]\\nid = "f"\\nname = "F"\\nurl = "file:feeds/f.ttl"\\n'
                    'format = "turtle"\\nlicense = "https://creativecommons.org/licenses/by/4.0/"\\n'
                    'publisher = "F"\\ncontact = "mailto:a@feed.example"\\n')
                started = time.monotonic()
                summary = harvest(Settings(sources_path=root / "sources.toml", data_dir=root / "data",
                                           base_iri="http://hub.test/"), progress=lambda _: None)
                [run] = summary.runs
                [quarantine] = (root / "data").rglob("quarantine/f/*.json")
                entries = json.loads(quarantine.read_text())["records"]
                out.append({{"bytes": (root / "feeds" / "f.ttl").stat().st_size, "status": run.status,
                             "counts": run.counts, "seconds": time.monotonic() - started,
                             "rejected": {{e["subject"]: [r["message"]["en"] for r in e["results"]] for e in entries}},
                             "generation": summary.generation}})
        print(json.dumps(out))
        """)
    sizes = [entry["bytes"] for entry in answer]
    assert 15_000 < sizes[0] < 20_000 and 150_000 < sizes[1] < 200_000 and sizes[2] > 800_000
    for entry, levels in zip(answer, (800, 8000, 40000), strict=True):
        assert entry["status"] == "partial" and entry["generation"] is not None
        assert entry["counts"]["added"] == 3 and entry["counts"]["rejected"] == 1
        [messages] = entry["rejected"].values()
        assert entry["seconds"] < 30
        if levels <= LIMITS.max_blank_nodes:
            assert messages == [f"the record is beyond the hub's limits: {levels} levels of nested nodes, at most "
                                f"{LIMITS.max_depth}; split it into smaller records or give its nodes IRIs"]
        else:
            assert f"{levels} blank nodes, at most {LIMITS.max_blank_nodes}" in messages[0]


# ---------------------------------------------------------------- parsing


def test_hostile_documents_fail_fast_with_a_clear_message() -> None:
    """Deep JSON-LD (as a feed, in an HTML page, as GeoJSON), deep RDF/XML and a 20 MB literal: each
    document fails alone, in seconds, saying what and where."""
    answer = run_bounded("""
        import json, time
        from hub.pipeline.fetch import Fetched
        from harvesters.formats import LiftError
        from hub.core.iris import Minter
        from hub.pipeline.lifting import LiftOptions, lift_document
        deep = '{"@context": "https://schema.org/", "@id": "http://x.test/o", "@type": "NGO", "description":\\n' \\
            + '{"description": ' * 100000 + '"x"' + '}' * 100001
        xml = ('<?xml version="1.0"?>\\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
               'xmlns:x="http://x.test/"><rdf:Description rdf:about="http://x.test/s">'
               + '<x:p rdf:parseType="Resource">' * 100000 + '</x:p>' * 100000 + '</rdf:Description></rdf:RDF>')
        documents = {
            "jsonld": (deep, "application/ld+json", None),
            "html": ('<html><head>\\n<script type="application/ld+json">' + deep + '</script></head></html>',
                     "text/html", None),
            "geojson": ('{"type": "FeatureCollection", "features": ' + '[' * 100000 + ']' * 100000 + '}',
                        "application/geo+json", None),
            "rdfxml": (xml, "application/rdf+xml", None),
            "literal-turtle": ('<http://x.test/o> a <https://schema.org/NGO> ; <https://schema.org/description> "'
                               + 'a' * 20_000_000 + '" .', "text/turtle", None),
            "literal-jsonld": ('{"@id": "http://x.test/o", "@type": "https://schema.org/NGO", '
                               '"https://schema.org/description": "' + 'a' * 20_000_000 + '"}',
                               "application/ld+json", None),
            "literal-1mb": ('<http://x.test/o> a <https://schema.org/NGO> ; <https://schema.org/description> "'
                            + 'a' * 2_000_000 + '" .', "text/turtle", None),
        }
        out = {}
        for name, (text, media, _) in documents.items():
            started = time.monotonic()
            fetched = Fetched(url=f"http://feed.example/{name}", body=text.encode(), content_type=media,
                              fetched_at="2026-01-01T00:00:00Z")
            try:
                lift_document(fetched, LiftOptions(minter=Minter("http://hub.test/"), source_id="s",
                                                   base_iri="http://hub.test/source/s/"))
                out[name] = ["lifted", time.monotonic() - started]
            except LiftError as error:
                out[name] = [str(error), time.monotonic() - started]
        print(json.dumps(out))
        """)
    for name, (_, seconds) in answer.items():
        assert seconds < 10, name
    assert answer["jsonld"][0] == ("http://feed.example/jsonld: jsonld line 2 column 2033: JSON arrays and objects "
                                   "nest more than 128 levels deep; the hub reads at most 128 (flatten the document, "
                                   "or give nested nodes their own IRI)")
    assert answer["html"][0].startswith("http://feed.example/html: html line 3 column 2033: JSON-LD block at line 2:"
                                        " JSON arrays and objects nest more than 128 levels deep")
    assert "geojson line 1" in answer["geojson"][0] and "more than 128 levels" in answer["geojson"][0]
    assert "rdfxml: XML elements nest more than 512 levels deep" in answer["rdfxml"][0]
    for name in ("literal-turtle", "literal-jsonld"):
        assert "a literal or IRI longer than 16 MiB" in answer[name][0] and "1 MiB" in answer[name][0], name
    assert answer["literal-1mb"][0] == (
        "http://feed.example/literal-1mb: turtle: a literal of 2000000 characters, more than the 1048576 the hub "
        "takes, at <http://x.test/o> <https://schema.org/description>: shorten it or link to it")


def test_a_secondly_rule_without_end_costs_milliseconds_and_lists_500_occurrences() -> None:
    answer = run_bounded("""
        import datetime as dt, json, time
        from harvesters.ical import lift_ical
        from tests.mapped_helpers import context
        def calendar(*events):
            return ("BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//t//EN\\r\\n" + "".join(
                f"BEGIN:VEVENT\\r\\n{e}\\r\\nEND:VEVENT\\r\\n" for e in events) + "END:VCALENDAR\\r\\n").encode()
        out = {}
        for name, rule, start in (("secondly", "FREQ=SECONDLY", "TZID=Europe/Brussels:20200101T100000"),
                                  ("minutely", "FREQ=MINUTELY;INTERVAL=7", "20261101T100000Z"),
                                  ("counted", "FREQ=SECONDLY;COUNT=100000000", "20200101T100000Z")):
            separator = ";" if start.startswith("TZID") else ":"
            started = time.monotonic()
            lifted = lift_ical(calendar(
                f"UID:x\\r\\nDTSTAMP:20261101T000000Z\\r\\nSUMMARY:Tick\\r\\nDTSTART{separator}{start}\\r\\n"
                f"DURATION:PT1S\\r\\nRRULE:{rule}",
                "UID:y\\r\\nDTSTAMP:20261101T000000Z\\r\\nSUMMARY:Good\\r\\nDTSTART:20270101T100000Z"),
                None, context(), now=dt.datetime(2026, 11, 29, tzinfo=dt.UTC))
            starts = sorted(q.object.value for q in lifted.quads if q.predicate.value == "https://schema.org/startDate"
                            and q.subject.__class__.__name__ == "BlankNode")
            out[name] = {"seconds": time.monotonic() - started, "occurrences": len(starts), "first": starts[:1],
                         "warnings": lifted.warnings, "errors": lifted.row_errors,
                         "names": sorted(q.object.value for q in lifted.quads
                                         if q.predicate.value == "https://schema.org/name")}
        print(json.dumps(out))
        """, timeout=60)
    secondly = answer["secondly"]
    assert secondly["seconds"] < 2 and secondly["occurrences"] == 500
    assert secondly["first"] == ["2026-10-29T01:00:00+01:00"]  # the window's start (-P31D), on the series' grid
    assert any("more than 500 occurrences in the window; the first 500 are listed" in w for w in secondly["warnings"])
    assert answer["minutely"]["seconds"] < 2 and answer["minutely"]["occurrences"] == 500
    counted = answer["counted"]
    assert counted["seconds"] < 2 and counted["names"] == ["Good"]  # the event fails alone
    assert counted["errors"] == [
        "file:feed: VEVENT #1 (UID x): its recurrence (FREQ=SECONDLY;COUNT=100000000) would walk some 1e+08 "
        "instants from DTSTART to the window, more than the 200000 the hub expands: give it an UNTIL, a later "
        "DTSTART or a coarser FREQ"]
