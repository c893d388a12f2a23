"""Mapped formats on real published feeds (../shared/feeds): SUSY GeoJSON, Brussels POIs, icalendar's own
test calendars, Open Referral HSDS CSV. Each test skips with the reason when its folder is absent."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harvesters.csv_table import lift_csv
from harvesters.geojson import lift_geojson
from harvesters.ical import lift_ical
from harvesters.mapping import parse_mapping
from hub.core.config import Settings
from hub.pipeline.harvest import HarvestSummary, harvest
from hub.store.reader import PublishedReader
from tests.conftest import BASE, ROOT, SHARED_FEEDS, quiet
from tests.mapped_helpers import SCHEMA, context, values

SUSY = SHARED_FEEDS / "susy-sse-europe" / "susy_original-data_data.geojson"
POI = SHARED_FEEDS / "brussels-opendata-poipointer"
ICAL = SHARED_FEEDS / "icalendar-samples"
HSDS3 = SHARED_FEEDS / "openreferral-hsds"
HSDS11 = SHARED_FEEDS / "openreferral-hsds11-sample"
BELGIUM = ("belgique", "be", "belgium")


def need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} is absent: the real-feed tests need ../shared/feeds next to the project")


def write_source(folder: Path, source_id: str, url: str, fmt: str, mapping: str) -> Path:
    toml = folder / "sources.toml"
    toml.write_text(f'[[source]]\nid = "{source_id}"\nname = "{source_id}"\nurl = "{url}"\nformat = "{fmt}"\n'
                    f'mapping = "{mapping}"\nlicense = "https://creativecommons.org/licenses/by-sa/4.0/"\n'
                    f'publisher = "test"\ncontact = "mailto:test@hub.example"\n', encoding="utf-8")
    return toml


def harvest_folder(folder: Path, toml: Path) -> tuple[Settings, HarvestSummary]:
    settings = Settings(sources_path=toml, data_dir=folder / "data", base_iri=BASE)
    return settings, harvest(settings, progress=quiet)


SUSY_MAPPING = """
type = "schema:Organization"
key = "_id"
ignore = ["_timestamp", "_created", "_version", "SSEDAS_PARTNER"]
[fields.name]
property = "schema:name"
[fields."addr:country"]
property = "schema:address/schema:addressCountry"
transforms = ["country"]
[fields."addr:postcode"]
property = "schema:address/schema:postalCode"
transforms = ["trim"]
[fields."addr:city"]
property = "schema:address/schema:addressLocality"
[fields.type_of_initiative]
property = "hub:theme"
split = ";"
transforms = ["trim", "lower"]
fallback = "schema:keywords"
[fields.type_of_initiative.concepts]
food_cooperative = "theme:food"
communitysupported_agriculture = "theme:food"
local_farmersmarket = "theme:food"
collective_energy = "theme:energy"
recycling = "theme:zero-waste"
repair_resale = "theme:second-hand"
used_goods = "theme:second-hand"
cohousing = "theme:housing"
socialinclusion_employment = "theme:social-economy"
"""


def test_susy_belgian_initiatives_land_with_coordinates_themes_and_normalised_countries(tmp_path: Path) -> None:
    need(SUSY)
    features = json.loads(SUSY.read_text(encoding="utf-8"))["features"]
    belgian = {f["properties"]["_id"] for f in features
               if str(f["properties"].get("addr:country", "")).strip().lower() in BELGIUM}
    assert len(belgian) == 44
    shutil.copy(SUSY, tmp_path / "susy.geojson")
    (tmp_path / "susy.toml").write_text(SUSY_MAPPING, encoding="utf-8")
    settings, summary = harvest_folder(tmp_path, write_source(tmp_path, "susy", "file:susy.geojson", "geojson",
                                                              "susy.toml"))
    run = summary.runs[0]
    # Initiatives elsewhere in Europe are rejected by the charter (coordinates outside Belgium).
    assert run.status == "partial" and run.counts["accepted"] >= 44 and run.counts["rejected"] > 1700
    store = PublishedReader(settings).published().store
    rows = store.select("""PREFIX schema: <https://schema.org/> PREFIX hub: <https://w3id.org/mutualisons/ns#>
        SELECT ?s ?country ?lat (COUNT(DISTINCT ?theme) AS ?themes) WHERE { GRAPH ?g {
          ?s schema:address/schema:addressCountry ?country ; schema:geo/schema:latitude ?lat .
          OPTIONAL { ?s hub:theme|schema:keywords ?theme } } } GROUP BY ?s ?country ?lat""")
    landed = {r["s"].value.rsplit("susy-", 1)[1]: r for r in rows}
    assert belgian <= set(landed)
    for key in belgian:
        assert landed[key]["country"].value == "BE"  # Belgique, BE, Belgium: one code
        assert 49.49 <= float(landed[key]["lat"].value) <= 51.51
        assert int(landed[key]["themes"].value) >= 1
    themed = store.select("PREFIX hub: <https://w3id.org/mutualisons/ns#> SELECT DISTINCT ?t WHERE { GRAPH ?g "
                          "{ ?s hub:theme ?t } }")
    assert {"https://w3id.org/mutualisons/ns#theme-food", "https://w3id.org/mutualisons/ns#theme-energy"} <= {
        r["t"].value for r in themed}


def test_mapping_suggest_proposes_a_usable_mapping_for_susy(tmp_path: Path) -> None:
    need(SUSY)
    result = subprocess.run([sys.executable, "-m", "hub.cli", "mapping", "suggest", str(SUSY)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'key = "_id"' in result.stdout and '[fields."addr:country"]' in result.stdout
    (tmp_path / "susy-mapping.toml").write_text(result.stdout, encoding="utf-8")
    # Harvest the Belgian initiatives and a few others with the suggestion, unedited (a subset keeps it quick).
    data = json.loads(SUSY.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"]
                        if str(f["properties"].get("addr:country", "")).lower() in BELGIUM][:44] + data["features"][:6]
    (tmp_path / "susy.geojson").write_text(json.dumps(data), encoding="utf-8")
    _, summary = harvest_folder(tmp_path, write_source(tmp_path, "susy", "file:susy.geojson", "geojson",
                                                       "susy-mapping.toml"))
    run = summary.runs[0]
    assert run.counts["accepted"] == 44 and run.counts["rejected"] == 6
    assert not [e for e in run.errors if "mapping" in e]
    assert any("not mapped" in w for w in run.warnings)  # what the suggestion left out is reported


POI_MAPPING = parse_mapping({"type": "schema:Place", "key": "gid", "fields": {
    "fr_name": {"property": "schema:name", "lang": "fr"}, "du_name": {"property": "schema:name", "lang": "nl"},
    "TXT_FRE": {"property": "schema:name", "lang": "fr"}, "TXT_DUT": {"property": "schema:name", "lang": "nl"},
    "geo_point_2d": {"point": "lonlat"}},
    "ignore": ["style", "du_ad_1", "du_ad_2", "fr_ad_1", "fr_ad_2", "build_year", "artist", "rd_st", "water",
               "ori_val", "cur_val", "man", "ID", "TYPE", "DESCR", "ANGLE", "COM_FRE", "COM_DUT"]}, "poi")


def test_brussels_pois_are_bilingual_and_the_lat_lon_trap_is_caught() -> None:
    need(POI)
    fountains = lift_geojson((POI / "art-heritage-of-regional-roads-fountains0.geojson").read_bytes(), POI_MAPPING,
                             context("file:fountains.geojson"))
    names = [q.object for q in fountains.quads if q.predicate.value == SCHEMA + "name"]
    assert {n.language for n in names} == {"fr", "nl"}  # type: ignore[union-attr]
    assert "Fontaine Pol Bury" in values(fountains.quads, SCHEMA + "name")
    assert "Fontein Pol Bury" in values(fountains.quads, SCHEMA + "name")
    # geo_point_2d is [lat, lon] while the geometry is [lon, lat]: caught, reported, the geometry used.
    assert any("geo_point_2d" in w and "[lat, lon] trap" in w for w in fountains.warnings)
    assert all(50.7 < float(v) < 51 for v in values(fountains.quads, SCHEMA + "latitude"))
    # The UrbIS layer (legacy crs CRS84) names every point in French and Dutch.
    urbis = lift_geojson((POI / "urbis_2d_map_zipoint_zones_of_interest_cu_culture.geojson").read_bytes(),
                         parse_mapping({"type": "schema:Place", "key": "ID", "fields": {
                             "TXT_FRE": {"property": "schema:name", "lang": "fr"},
                             "TXT_DUT": {"property": "schema:name", "lang": "nl"}},
                             "ignore": ["TYPE", "DESCR", "ANGLE", "COM_FRE", "COM_DUT"]}, "urbis"),
                         context("file:urbis.geojson"))
    assert not urbis.row_errors and not urbis.warnings
    assert len(values(urbis.quads, SCHEMA + "latitude")) == 262


BROKEN = {"src_icalendar_tests_calendars_big_bad_calendar.ics",
          "src_icalendar_tests_calendars_issue_104_broken_calendar.ics",
          "src_icalendar_tests_calendars_pr_480_summary_with_colon.ics"}


def test_icalendar_samples_broken_files_fail_alone_and_recurrences_expand(tmp_path: Path) -> None:
    need(ICAL)
    shutil.copytree(ICAL, tmp_path / "cal", ignore=shutil.ignore_patterns("*.txt"))
    (tmp_path / "cal.toml").write_text('type = "schema:Event"\nkey = "UID"\n[calendar]\nwindow_start = "1990-01-01"\n'
                                       'window_end = "2030-01-01"\n', encoding="utf-8")
    _, summary = harvest_folder(tmp_path, write_source(tmp_path, "samples", "file:cal/", "ical", "cal.toml"))
    run = summary.runs[0]
    assert run.status == "partial" and run.counts["accepted"] >= 5  # events without SUMMARY are rejected
    whole = [e for e in run.errors if "not a readable iCalendar file" in e]
    assert sorted(e.split(": ")[0].rsplit("/", 1)[1] for e in whole) == sorted(BROKEN)
    assert any("broken_dtstart" in e and "DTSTART" in e for e in run.errors)  # a broken event fails alone
    rrule = lift_ical((ICAL / "src_icalendar_fuzzing_corpus_issue_70_rrule_causes_attribute_error.ics").read_bytes(),
                      parse_mapping({"type": "schema:Event", "key": "UID", "calendar": {
                          "window_start": "2007-01-01", "window_end": "2008-01-01"}}, "t"), context("file:r.ics"))
    assert len([q for q in rrule.quads if q.predicate.value == SCHEMA + "subEvent"]) == 18  # weekly, Feb-June 2007
    rdate = lift_ical((ICAL / "src_icalendar_tests_calendars_rfc_5545_RDATE_example.ics").read_bytes(),
                      parse_mapping({"type": "schema:Event", "key": "UID", "calendar": {
                          "window_start": "1996-01-01", "window_end": "1998-01-01"}}, "t"), context("file:d.ics"))
    series = {q.subject: 0 for q in rdate.quads if q.predicate.value == SCHEMA + "subEvent"}
    for quad in rdate.quads:
        if quad.predicate.value == SCHEMA + "subEvent":
            series[quad.subject] += 1
    assert max(series.values()) >= 11  # UID 4: eleven RDATE days in 1997


def test_hsds_csv_tables_become_linked_records_and_latitude_100_is_rejected(tmp_path: Path) -> None:
    need(HSDS3)
    need(HSDS11)
    shutil.copytree(HSDS3, tmp_path / "h3", ignore=shutil.ignore_patterns("*.json", "*.txt"))
    shutil.copytree(HSDS11, tmp_path / "h11", ignore=shutil.ignore_patterns("*.json", "*.txt", "*.md"))
    toml = write_source(tmp_path, "hsds3", "file:h3/", "csv", "hsds")
    toml.write_text(toml.read_text(encoding="utf-8") + write_source(tmp_path, "hsds11", "file:h11/", "csv", "hsds")
                    .read_text(encoding="utf-8").replace("[[source]]", "\n[[source]]"), encoding="utf-8")
    toml = tmp_path / "sources.toml"
    toml.write_text(toml.read_text(encoding="utf-8"), encoding="utf-8")
    settings, summary = harvest_folder(tmp_path, toml)
    runs = {run.source_id: run for run in summary.runs}
    assert set(runs) == {"hsds3", "hsds11"}
    store = PublishedReader(settings).published().store
    linked = store.select("""PREFIX schema: <https://schema.org/> PREFIX hub: <https://w3id.org/mutualisons/ns#>
        SELECT ?org ?service ?name WHERE { GRAPH ?g { ?org a schema:Organization ; hub:offersService ?service .
          ?service schema:name ?name ; schema:provider ?org } }""")
    names = {r["name"].value for r in linked}
    assert "Community Counselling" in names and "Never Homeless Helpline" in names
    # Tables are one dataset: a phone or a schedule given for a service (phones.csv, schedules.csv)
    # reaches the organisation's record through that service.
    through_services = store.select("""PREFIX schema: <https://schema.org/> PREFIX hub: <https://w3id.org/mutualisons/ns#>
        SELECT DISTINCT ?detail WHERE { GRAPH ?g { ?org a schema:Organization ; hub:offersService ?service .
          ?service schema:contactPoint|schema:hoursAvailable ?detail } }""")
    assert len(through_services) >= 2
    located = store.select("""PREFIX schema: <https://schema.org/> SELECT ?org ?place WHERE { GRAPH ?g {
        ?org a schema:Organization ; schema:location ?place } }""")
    assert len(located) >= 10
    # The official HSDS 3 example puts its location at latitude 100, longitude 101: the charter rejects it.
    quarantine = json.loads(next((settings.data_dir / "private" / "quarantine" / "hsds3").glob("*.json"))
                            .read_text(encoding="utf-8"))
    text = json.dumps(quarantine)
    assert "3a19ff88-4620-4d17-9830-ac1d859eb5d5" in text and "latitude" in text.lower()
    assert not store.ask("""PREFIX schema: <https://schema.org/> ASK { GRAPH ?g { ?p schema:latitude ?lat .
        FILTER(?lat > 90) } }""")


def test_brussels_headerless_tab_csv_reports_the_row_with_a_space_for_a_tab() -> None:
    need(POI)
    mapping = parse_mapping({"type": "schema:Place", "columns": ["nom", "url", "image"], "fields": {
        "nom": {"property": "schema:name", "lang": "fr"}, "url": {"property": "schema:url", "transforms": ["iri"]},
        "image": {"property": "schema:image", "transforms": ["iri"]}}}, "poi-csv")
    lifted = lift_csv((POI / "cultural-places.csv").read_bytes(), mapping, context("file:cultural-places.csv"))
    assert lifted.row_errors == ["file:cultural-places.csv: line 2: 2 cell(s) where the header has 3; row skipped"]
    assert len(values(lifted.quads, SCHEMA + "name")) == 24  # the other rows are kept


def test_mapping_suggest_reads_the_headerless_brussels_csv_exports() -> None:
    """opendata.brussels' CSV exports have no header line (TAB-separated, one row with a space for a TAB): the
    suggestion says so, names the columns, recognises them by their values, and lifts every well-formed row."""
    need(POI)
    from harvesters.suggest import suggest

    for path in sorted(POI.glob("*.csv")):
        suggestion = suggest(path)
        mapping = parse_mapping(__import__("tomllib").loads(suggestion.text), path.name)
        table = mapping.tables["rows"]
        assert table.columns == ["column_1", "column_2", "column_3"], path.name
        assert "# No header line" in suggestion.text, path.name
        assert [step.value for step in table.rules["column_1"].path] == [SCHEMA + "name"], path.name
        lifted = lift_csv(path.read_bytes(), mapping, context(f"file:{path.name}"))
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        names = values(lifted.quads, SCHEMA + "name")
        assert len(names) + len(lifted.row_errors) == len(lines), path.name  # the first line is a row too
        assert all("cell(s) where the header has 3" in error for error in lifted.row_errors), path.name
        check = suggestion.check[0]
        assert check.startswith(f"Self-check: lifted with this mapping, {path.name} gives {len(names)} record(s); "
                                f"{len(lifted.row_errors)} row(s) fail"), check


def test_the_susy_suggestion_reads_misspelt_and_translated_headers_and_guesses_nothing_from_a_suffix() -> None:
    """SUSY's keys as published: `description:de`, `description_de`, `descripiton:de`, `desription:de` are one
    header spelt four ways (no feature has two of them); `description:fr`… are other languages; `woodland` is no
    country and `addr:housename` no name (the old suffix match said so); an image's author is a person."""
    need(SUSY)
    from harvesters.suggest import suggest

    suggestion = suggest(SUSY)
    rules = parse_mapping(__import__("tomllib").loads(suggestion.text), "susy").tables["rows"]
    german = rules.rules["description:de"]
    assert german.lang == "de" and sorted(german.also) == ["descripiton:de", "description_de", "desription:de"]
    assert rules.rules["description:fr"].lang == "fr" and rules.rules["description"].lang is None
    assert "woodland" not in rules.rules and "addr:housename" not in rules.rules
    assert "image:author" in rules.ignore  # a person's name, and SUSY records no consent
    assert [r for r in rules.rules if [s.value for s in rules.rules[r].path] == [SCHEMA + "name"]] == ["name"]
    assert suggestion.check[0].startswith("Self-check: lifted with this mapping, susy_original-data_data.geojson "
                                          "gives 1794 record(s); 0 row(s) fail")
