"""The service area is the hub's profile (hub.toml), judged alike by both charter engines.

Points are real towns 1–3 km either side of Belgium's border (vocab/areas/README.md says why not closer):
the coast, and the borders with France, the Netherlands, Germany and Luxembourg.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvesters.geojson import lift_geojson
from harvesters.mapping import parse_mapping
from hub.charter.area import ServiceArea
from hub.charter.validation import Charter
from hub.cli import main
from hub.core.config import ConfigError, Settings, load_sources
from hub.core.iris import Minter
from hub.core.profile import DEFAULT_PROFILE, ProfileError, load_profile
from hub.pipeline.check import CheckReport, check_fetched
from hub.pipeline.fetch import Fetched, now_iso
from hub.pipeline.harvest import harvest
from hub.store.reader import PublishedReader
from tests.conftest import BASE, EXAMPLES, quiet
from tests.mapped_helpers import context, lift_area

LYON = EXAMPLES / "profiles" / "lyon"
HUBSH = "https://w3id.org/mutualisons/shapes#"
# (name, latitude, longitude): town centres, checked against the shipped Natural Earth 1:10m outline.
IN_BELGIUM = [
    ("De Panne (coast)", 51.0997, 2.5925), ("Knokke (coast, Dutch border)", 51.3500, 3.2880),
    ("Mouscron (French border)", 50.7446, 3.2140), ("Menen (French border)", 50.7968, 3.1219),
    ("Estaimpuis (French border)", 50.7043, 3.2681), ("Quiévrain (French border)", 50.4050, 3.6840),
    ("Essen (Dutch border)", 51.4680, 4.4690), ("Zelzate (Dutch border)", 51.1990, 3.8090),
    ("Lanaken (Dutch border)", 50.8930, 5.6470), ("Lontzen (German border)", 50.6810, 6.0060),
    ("Raeren (German border)", 50.6720, 6.1150), ("Arlon (Luxembourg border)", 49.6833, 5.8167),
    ("Aubange (Luxembourg border)", 49.5670, 5.8050), ("Gouvy (Luxembourg border)", 50.1890, 5.9440),
    ("Brussels", 50.8467, 4.3525),
]
OUTSIDE_BELGIUM = [
    ("Bray-Dunes (France, coast)", 51.0783, 2.5185), ("Sluis (Netherlands)", 51.3080, 3.3860),
    ("Cadzand (Netherlands, coast)", 51.3700, 3.3900), ("Tourcoing (France)", 50.7239, 3.1612),
    ("Wattrelos (France)", 50.7017, 3.2170), ("Lille (France)", 50.6292, 3.0573),
    ("Sas van Gent (Netherlands)", 51.2270, 3.7980), ("Maastricht (Netherlands)", 50.8514, 5.6910),
    ("Vaals (Netherlands)", 50.7707, 6.0168), ("Aachen (Germany)", 50.7753, 6.0839),
    ("Monschau (Germany)", 50.5550, 6.2400), ("Roetgen (Germany)", 50.6500, 6.2010),
    ("Steinfort (Luxembourg)", 49.6610, 5.9190), ("Rodange (Luxembourg)", 49.5460, 5.8400),
    ("Troisvierges (Luxembourg)", 50.1210, 6.0000), ("Oxford (England)", 51.7520, -1.2577),
]
PREFIXES = "@prefix schema: <https://schema.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"


def place(key: str, lat: float | None = None, lon: float | None = None, postal_code: str | None = None,
          country: str | None = None) -> str:
    lines = [f"<https://area.example/{key}> a schema:Place ;", f'schema:name "{key}"@fr']
    if lat is not None:
        lines.append(f'schema:geo [ a schema:GeoCoordinates ; schema:latitude "{lat}"^^xsd:decimal ; '
                     f'schema:longitude "{lon}"^^xsd:decimal ]')
    address = [f'schema:postalCode "{postal_code}"'] if postal_code else []
    address += [f'schema:addressCountry "{country}"'] if country else []
    if address:
        lines.append(f"schema:address [ a schema:PostalAddress ; {' ; '.join(address)} ]")
    return lines[0] + " " + " ;\n    ".join(lines[1:]) + " .\n"


def check(turtle: str, charter: Charter | None = None) -> CheckReport:
    fetched = Fetched(url="urn:test:area", body=(PREFIXES + turtle).encode("utf-8"), content_type="text/turtle",
                      fetched_at=now_iso())
    return check_fetched(fetched, None, Minter(BASE), charter)


def verdicts(report: CheckReport) -> dict[str, tuple[bool, set[str]]]:
    """key -> (accepted, the message codes of its results)."""
    return {v.record.subject.value.rsplit("/", 1)[-1]: (v.accepted, {r.code or r.shape for r in v.results})
            for v in report.verdicts}


def default_area() -> ServiceArea:
    return Charter().area


@pytest.mark.parametrize(("name", "lat", "lon"), IN_BELGIUM, ids=[n for n, _, _ in IN_BELGIUM])
def test_towns_near_the_border_inside_belgium_are_in_the_default_area(name: str, lat: float, lon: float) -> None:
    assert default_area().contains(lon, lat), name


@pytest.mark.parametrize(("name", "lat", "lon"), OUTSIDE_BELGIUM, ids=[n for n, _, _ in OUTSIDE_BELGIUM])
def test_towns_near_the_border_outside_belgium_are_not(name: str, lat: float, lon: float) -> None:
    assert not default_area().contains(lon, lat), name


@pytest.mark.parametrize("engine", ["compiled", "pyshacl"])
def test_the_charter_judges_border_towns_by_the_area_with_either_engine(engine: str) -> None:
    towns = [(n, lat, lon, True) for n, lat, lon in IN_BELGIUM] + [(n, lat, lon, False) for n, lat, lon in
                                                                  OUTSIDE_BELGIUM]
    turtle = "".join(place(f"t{i}", lat, lon) for i, (_, lat, lon, _) in enumerate(towns))
    found = verdicts(check(turtle, Charter(engine=engine)))  # type: ignore[arg-type]
    for index, (name, _, _, inside) in enumerate(towns):
        accepted, codes = found[f"t{index}"]
        assert accepted == inside, (name, codes)
        assert ("area.outside" in codes) == (not inside), (name, codes)


def test_a_feature_in_aachen_or_lille_is_rejected_with_a_message_naming_the_area() -> None:
    report = check(place("aachen", 50.7753, 6.0839) + place("lille", 50.6292, 3.0573))
    for verdict in report.verdicts:
        assert not verdict.accepted
        [result] = [r for r in verdict.results if r.code == "area.outside"]
        assert result.shape == HUBSH + "OrganizationShape-inServiceArea"
        assert "(Belgique)" in result.message["fr"] and "(België)" in result.message["nl"]
        assert "(Belgium)" in result.message["en"]
        # The record's value stays in the private parameters, never in the public message.
        assert result.public()["code"] == "area.outside" and "params" not in result.public()
        assert result.private()["params"] == {"area": {"fr": "Belgique", "nl": "België", "en": "Belgium"},
                                              "countries": "BE", "location": result.value}


def test_without_coordinates_the_address_decides() -> None:
    report = check(place("ixelles", postal_code="1050", country="BE") + place("brussels-code", postal_code="1000")
                   + place("country-only", country="Belgique") + place("oxford", postal_code="OX1 2JD", country="GB")
                   + place("paris", postal_code="75011", country="FR") + place("oxford-code", postal_code="OX1 2JD")
                   + place("belgian-country-french-code", postal_code="75011", country="BE")
                   + place("nowhere"))
    found = verdicts(report)
    assert found["ixelles"] == (True, set()) and found["brussels-code"] == (True, set())
    assert found["country-only"] == (True, set())  # a country's usual name is its code
    # A country outside the list rejects, whatever the postal code looks like.
    assert found["oxford"] == (False, {"area.country"}) and found["paris"] == (False, {"area.country"})
    assert found["oxford-code"] == (False, {"area.postcode"})
    assert found["belgian-country-french-code"] == (False, {"area.postcode"})
    assert found["nowhere"] == (True, {"area.unlocated"})  # the default profile warns


def test_coordinates_in_the_area_win_over_a_foreign_address() -> None:
    found = verdicts(check(place("branch", 50.8467, 4.3525, postal_code="75011", country="FR")))
    assert found["branch"] == (True, set())


def write_profile(folder: Path, **changes: str) -> Path:
    """The default profile, copied into `folder` with some of its lines replaced."""
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


OXFORD_CSV = "id;nom;code;pays;lat;lon\n1;Oxford Repair Café;OX1 2JD;GB;;\n2;Somewhere;;;;\n3;Ixelles;1050;BE;;\n"
CSV_MAPPING = """type = "schema:Organization"
key = "id"
[fields]
nom = { property = "schema:name", lang = "en" }
code = { property = "schema:address/schema:postalCode" }
pays = { property = "schema:address/schema:addressCountry", transforms = ["country"] }
lat = { property = "schema:geo/schema:latitude", transforms = ["number"] }
lon = { property = "schema:geo/schema:longitude", transforms = ["number"] }
"""


@pytest.mark.parametrize(("unlocated", "accepted", "codes"), [
    ("warn", True, {"area.unlocated"}), ("reject", False, {"area.unlocated"}), ("accept", True, set())])
def test_a_csv_row_from_oxford_is_rejected_and_a_row_with_no_location_follows_unlocated(
        tmp_path: Path, unlocated: str, accepted: bool, codes: set[str]) -> None:
    profile = write_profile(tmp_path, **{'unlocated = "warn"': f'unlocated = "{unlocated}"'})
    (tmp_path / "feed.csv").write_text(OXFORD_CSV, encoding="utf-8")
    (tmp_path / "mapping.toml").write_text(CSV_MAPPING, encoding="utf-8")
    fetched = Fetched(url=(tmp_path / "feed.csv").as_uri(), body=OXFORD_CSV.encode(), content_type="text/csv",
                      fetched_at=now_iso())
    for engine in ("compiled", "pyshacl"):
        charter = Charter(engine=engine, area=ServiceArea.of(profile))  # type: ignore[arg-type]
        report = check_fetched(fetched, "csv", Minter(BASE), charter, mapping_path=tmp_path / "mapping.toml")
        found = verdicts(report)  # rows are minted {base}id/organization/validate-{id}
        assert found["validate-1"] == (False, {"area.country"}), engine
        assert found["validate-2"] == (accepted, codes), engine
        assert found["validate-3"] == (True, set()), engine
    severities = {r.severity for v in report.verdicts for r in v.results if r.code == "area.unlocated"}
    assert severities == ({"Violation"} if unlocated == "reject" else {"Warning"} if unlocated == "warn" else set())


def test_the_french_profile_accepts_its_city_and_rejects_brussels_with_no_code_change(
        capsys: pytest.CaptureFixture[str]) -> None:
    sources = ["--sources", str(LYON / "sources.toml")]
    assert main([*sources, "validate", "--json", str(LYON / "feeds" / "alternatives-lyon.ttl")]) == 1
    lyon = json.loads(capsys.readouterr().out)
    accepted = {r["subject"].rsplit("/", 1)[-1]: r["accepted"] for r in lyon["records"]}
    assert accepted == {"epicerie-pentes": True, "atelier-velo": True, "jardin-guillotiere": True,
                        "hors-zone": False}
    [grenoble] = [r for r in lyon["records"] if not r["accepted"]]
    assert {r["code"] for r in grenoble["results"]} == {"area.outside"}  # with coordinates, the point decides
    assert "(Lyon et le Rhône)" in grenoble["results"][0]["message"]["fr"]

    assert main([*sources, "validate", "--json", str(EXAMPLES / "feeds" / "assiette-commune.ttl")]) == 1
    brussels = json.loads(capsys.readouterr().out)
    places = [r for r in brussels["records"] if r["kind"] == "organization"]
    assert len(places) >= 10 and not any(r["accepted"] for r in places)
    assert all("area.outside" in {x.get("code") for x in r["results"]} for r in places)
    # The same Brussels feed under the default profile: its places are in the area.
    assert main(["validate", "--json", str(EXAMPLES / "feeds" / "assiette-commune.ttl")]) == 1  # ac:sans-nom
    default = json.loads(capsys.readouterr().out)
    assert sum(1 for r in default["records"] if r["kind"] == "organization" and r["accepted"]) >= 10


def test_validate_and_harvest_agree_under_the_french_profile(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(sources_path=LYON / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    [run] = harvest(settings, progress=quiet).runs
    assert main(["--sources", str(LYON / "sources.toml"), "validate", "--json",
                 str(LYON / "feeds" / "alternatives-lyon.ttl")]) == 1
    validated = json.loads(capsys.readouterr().out)["records"]
    assert run.counts["accepted"] == sum(r["accepted"] for r in validated) == 3
    assert run.counts["rejected"] == sum(not r["accepted"] for r in validated) == 1


def test_the_swapped_axis_check_follows_the_area() -> None:
    mapping = parse_mapping({"type": "schema:Place", "key": "id", "fields": {"nom": {"property": "schema:name"}}},
                            "test")
    features = [{"type": "Feature", "id": "lyon", "properties": {"nom": "Lyon"},
                 "geometry": {"type": "Point", "coordinates": [45.7640, 4.8357]}},
                {"type": "Feature", "id": "brussels", "properties": {"nom": "Bruxelles"},
                 "geometry": {"type": "Point", "coordinates": [50.8467, 4.3525]}}]
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    lyon = lift_geojson(body, mapping, context(area=lift_area(LYON / "hub.toml")))
    assert len(lyon.row_errors) == 1 and "feature #1" in lyon.row_errors[0]
    assert "lies outside Lyon and the Rhône, but swapped it is in Lyon and the Rhône" in lyon.row_errors[0]
    belgium = lift_geojson(body, mapping, context())
    assert len(belgium.row_errors) == 1 and "feature #2" in belgium.row_errors[0]
    assert "outside Belgium, but swapped it is in Belgium" in belgium.row_errors[0]
    # The charter's own swap rule follows the area too.
    found = verdicts(check(place("swapped", 4.3525, 50.8467)))
    assert found["swapped"][0] is False and "area.swapped" in found["swapped"][1]
    found = verdicts(check(place("swapped", 4.3525, 50.8467), Charter(area=ServiceArea.of(LYON / "hub.toml"))))
    assert "area.swapped" not in found["swapped"][1] and "area.outside" in found["swapped"][1]


def test_the_brussels_part_lists_its_communes_postal_codes() -> None:
    area = default_area()
    assert [part.id for part in area.profile.parts] == ["brussels"]
    assert area.part_of(postal_code="1050") == "brussels" and area.part_of(postal_code="1210") == "brussels"
    assert area.part_of(postal_code="1300") is None and area.part_of(postal_code="3000") is None


def test_within_serves_a_part_with_the_boundary_an_operator_supplies(tmp_path: Path) -> None:
    # A stand-in for the Region's polygon: a box around central Brussels.
    box = [[4.30, 50.80], [4.42, 50.80], [4.42, 50.89], [4.30, 50.89], [4.30, 50.80]]
    (tmp_path / "brussels.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": [box]}),
                                               encoding="utf-8")
    profile = write_profile(tmp_path, **{
        "# Serve one part only (it needs a boundary then): within = \"brussels\"": 'within = "brussels"',
        "[area.parts.brussels]": '[area.parts.brussels]\nboundary = "brussels.geojson"'})
    charter = Charter(area=ServiceArea.of(profile))
    found = verdicts(check(place("centre", 50.8467, 4.3525) + place("leuven", 50.8798, 4.7005)
                           + place("ixelles", postal_code="1050") + place("wavre", postal_code="1300"), charter))
    assert found["centre"] == (True, set()) and found["ixelles"] == (True, set())
    assert found["leuven"] == (False, {"area.outside"}) and found["wavre"] == (False, {"area.postcode"})
    [result] = [r for v in check(place("leuven", 50.8798, 4.7005), charter).verdicts for r in v.results]
    assert "(Région de Bruxelles-Capitale)" in result.message["fr"]


@pytest.mark.parametrize(("change", "message"), [
    ({"[area]": "[area]\nunlocatd = 1"},
     r"hub.toml:7: \[area\]: unknown key 'unlocatd' \(did you mean 'unlocated'\?\)"),
    ({'unlocated = "warn"': 'unlocated = "warning"'},
     r"hub.toml:\d+: \[area\]: 'unlocated' must be one of accept, warn, reject, not 'warning' "
     r"\(did you mean 'warn'\?\)"),
    ({'countries = ["BE"]': 'countries = ["be"]'}, r"hub.toml:\d+: \[area\]: country 'be' is not an ISO 3166-1"),
    ({'postal_codes = { BE = "^[1-9][0-9]{3}$" }': 'postal_codes = { FR = "^[0-9]{5}$" }'},
     r"hub.toml:\d+: \[area\]: postal codes for 'FR', which is not one of the area's countries \(BE\)"),
    ({'boundary = "belgium"': 'boundary = "belgum"'},
     r"hub.toml:10: \[area\]: the boundary file 'belgum' does not exist .*\(did you mean 'belgium'\?\)"),
    ({"# Serve one part only (it needs a boundary then): within = \"brussels\"": 'within = "brussels"'},
     r"hub.toml:\d+: \[area\]: the part 'brussels' has no boundary"),
    ({"# Serve one part only (it needs a boundary then): within = \"brussels\"": 'within = "bruxelles"'},
     r"hub.toml:\d+: \[area\]: 'within' names no part: 'bruxelles'"),
    ({'postal_codes.BE = [': 'postal_codes.NL = ['},
     r"hub.toml:\d+: \[area.parts.brussels\]: postal codes for 'NL', which is not one of the area's countries"),
])
def test_profile_errors_name_the_file_the_line_and_the_key(tmp_path: Path, change: dict[str, str],
                                                          message: str) -> None:
    profile = write_profile(tmp_path, **change)
    with pytest.raises(ProfileError, match=message):
        load_profile(profile)


def test_a_boundary_that_is_no_polygon_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "point.geojson").write_text('{"type": "Point", "coordinates": [4.35, 50.85]}', encoding="utf-8")
    profile = write_profile(tmp_path, **{'boundary = "belgium"': 'boundary = "point.geojson"'})
    with pytest.raises(ProfileError, match=r"hub.toml:10: the boundary of Belgium .* must be a GeoJSON Polygon or "
                                           r"MultiPolygon \(or Features of them\), not Point"):
        ServiceArea.of(profile)


def test_an_invalid_hub_toml_stops_harvest_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sources.toml").write_text("", encoding="utf-8")
    write_profile(tmp_path, **{'countries = ["BE"]': 'countries = "BE"'})
    for command in (["harvest"], ["validate", str(EXAMPLES / "feeds" / "assiette-commune.ttl")]):
        assert main(["--sources", str(tmp_path / "sources.toml"), "--data", str(tmp_path / "data"), *command]) == 2
        assert "invalid hub profile: " in capsys.readouterr().err


def test_a_profile_change_changes_the_charter_fingerprint(tmp_path: Path) -> None:
    profile = write_profile(tmp_path)
    before = Charter(area=ServiceArea.of(profile)).fingerprint
    assert before != Charter(area=ServiceArea.of(LYON / "hub.toml")).fingerprint
    write_profile(tmp_path, **{'unlocated = "warn"': 'unlocated = "reject"'})
    assert Charter(area=ServiceArea.of(profile)).fingerprint != before


# -- per-source profiles ---------------------------------------------------------------------------

HEALTH = ('<https://area.example/clinic> a <https://w3id.org/mutualisons/ns#HealthStructure> ;\n'
          '    schema:name "Maison médicale"@fr ;\n'
          '    schema:address [ a schema:PostalAddress ; schema:postalCode "1060" ] .\n')


def test_a_sources_profile_adds_its_shapes_to_the_charter() -> None:
    plain = verdicts(check(HEALTH))["clinic"]
    assert plain[0] is True
    health = Charter().for_profiles(["health"])
    assert health.fingerprint != Charter().fingerprint
    for engine in ("compiled", "pyshacl"):
        charter = Charter(engine=engine, profiles=["health"])  # type: ignore[arg-type]
        accepted, shapes = verdicts(check(HEALTH, charter))["clinic"]
        assert not accepted, engine
        assert {HUBSH + f"HealthProfileShape-{name}" for name in ("informationSource", "audience",
                                                                  "costOfServices")} <= shapes, engine


def test_an_unknown_profile_is_a_config_error_with_a_hint(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nid = "x"\nname = "X"\nurl = "file:x.ttl"\n'
                       'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "X"\n'
                       'contact = "mailto:x@x.example"\nprofiles = ["helth"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sources.toml:8: \[\[source\]\] #1: unknown profile 'helth' "
                                          r"\(did you mean 'health'\?\); profiles: health"):
        load_sources(sources)
    sources.write_text(sources.read_text(encoding="utf-8").replace("helth", "health"), encoding="utf-8")
    [source] = load_sources(sources)
    assert source.profiles == ("health",)


def test_a_harvested_sources_profile_judges_its_records_and_is_in_its_dcat_description(tmp_path: Path) -> None:
    (tmp_path / "clinic.ttl").write_text(PREFIXES + HEALTH, encoding="utf-8")
    (tmp_path / "plain.ttl").write_text(PREFIXES + HEALTH.replace("clinic", "other"), encoding="utf-8")
    entry = ('[[source]]\nid = "{id}"\nname = "{id}"\nurl = "file:{file}"\nformat = "turtle"\n'
             'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "X"\n'
             'contact = "mailto:x@x.example"\n')
    (tmp_path / "sources.toml").write_text(entry.format(id="health", file="clinic.ttl") + 'profiles = ["health"]\n'
                                           + entry.format(id="plain", file="plain.ttl"), encoding="utf-8")
    settings = Settings(sources_path=tmp_path / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    runs = {run.source_id: run for run in harvest(settings, progress=quiet).runs}
    assert runs["health"].counts["rejected"] == 1 and runs["health"].counts["accepted"] == 0
    assert runs["plain"].counts["accepted"] == 1
    rows = PublishedReader(settings).published().store.select("SELECT ?source ?standard WHERE { GRAPH ?g { ?source "
                         "<http://purl.org/dc/terms/conformsTo> ?standard } }")
    conforms: dict[str, set[str]] = {}
    for row in rows:
        conforms.setdefault(row["source"].value.rsplit("/", 1)[-1], set()).add(row["standard"].value)
    assert conforms == {"health": {HUBSH, HUBSH + "profile-health"}, "plain": {HUBSH}}


def test_post_api_validate_judges_by_the_servers_profile(tmp_path: Path) -> None:
    """The server's check worker reads the hub.toml beside the server's sources.toml, as a harvest does."""
    from fastapi.testclient import TestClient

    from hub.gateway.app import create_app

    settings = Settings(sources_path=LYON / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    body = (PREFIXES + place("brussels", 50.8467, 4.3525) + place("lyon", 45.7640, 4.8357)).encode("utf-8")
    with TestClient(create_app(settings)) as client:
        answer = client.post("/api/validate", content=body, headers={"Content-Type": "text/turtle"})
    assert answer.status_code == 200, answer.text
    records = {r["subject"].rsplit("/", 1)[-1]: r for r in answer.json()["records"]}
    assert records["lyon"]["accepted"] and not records["brussels"]["accepted"]
    [result] = records["brussels"]["results"]
    assert result["code"] == "area.outside" and "(Lyon and the Rhône)" in result["message"]["en"]
