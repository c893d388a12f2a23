"""The format `json`: a declarative mapping of any JSON (a platform's API, an export), sibling of GeoJSON and CSV.

Where the records are, dotted and array field paths, nested objects as nodes or flattened by rule (never a repr),
numbers given as text, values a platform withholds, theme tables, honest counts (a document with no record says
why, with a coded message), `mapping suggest` on JSON, and a harvest end to end."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from harvesters.formats import DocumentContext, LiftError, table
from harvesters.jsonpath import PathError, find_records, parse_path, value_at, values_at
from harvesters.mapping import MappingError, parse_mapping
from harvesters.suggest import suggest
from harvesters.themes import ThemeTableError, parse_themes
from hub.charter.messages import lift_error
from hub.core.config import Settings
from hub.core.iris import Minter
from hub.core.vocabulary import default_vocabulary
from hub.gateway.app import create_app
from hub.pipeline.harvest import harvest
from tests.conftest import BASE, quiet
from tests.test_bounds import run_bounded
from tests.test_format_table import published

SCHEMA = "https://schema.org/"
HUB = "https://w3id.org/mutualisons/ns#"
DOCUMENT = "https://carte.example/api/elements.json?limit=100&page=1"
# A platform's answer, shaped like GoGoCarto's elements API (written for this test, no platform's data).
ELEMENTS = {"licence": "https://opendatacommons.org/licenses/odbl/1-0/", "ontology": "gogofull", "data": [
    {"id": "a1", "name": "Épicerie du Coin", "geo": {"latitude": "50.8466", "longitude": "4.3528"},
     "address": {"streetAddress": "Rue Haute 1", "postalCode": "1000", "addressLocality": "Bruxelles",
                 "customFormatedAddress": "Rue Haute 1, Bruxelles"},
     "categories": ["Alimentation", "Vrac"], "openHours": {"Mo": "09:00-12:00", "Tu": "10:00-18:00"},
     "email": "hidden", "telephone": "02 000 00 00", "active": True,
     "urls": [{"type": "facebook", "value": "https://social.example/epicerie"}],
     "phones": [{"number": "02 111 11 11", "kind": "fixe"}, {"number": "0470 00 00 00", "kind": "mobile"}]},
    {"id": "a2", "name": "Jardin partagé", "geo": {"latitude": 50.8301, "longitude": 4.3402},
     "categories": "Jardin", "email": "contact@jardin.example"},
]}
MAPPING = '''
records = "data"
type = "schema:Organization"
key = "id"
withheld = ["hidden", "private"]
ignore = ["address.customFormatedAddress", "active"]
fields.name = { property = "schema:name", lang = "fr" }
fields."geo.latitude" = "schema:geo/schema:latitude"
fields."geo.longitude" = "schema:geo/schema:longitude"
fields."address.streetAddress" = "schema:address/schema:streetAddress"
fields."address.postalCode" = "schema:address/schema:postalCode"
fields."address.addressLocality" = "schema:address/schema:addressLocality"
fields."categories[*]" = { property = "hub:theme", themes = true, fallback = "schema:keywords" }
fields.openHours = { property = "schema:openingHours", flatten = "pairs" }
fields.email = "schema:email"
fields.telephone = "schema:telephone"
fields."urls[*].value" = { property = "schema:sameAs", transforms = ["iri"] }
[fields.phones]
property = "schema:contactPoint"
fields.number = "schema:telephone"
fields.kind = "schema:contactType"
'''
PLAIN = 'type = "schema:Organization"\nkey = "id"\nfields.name = "schema:name"\n'
THEMES = {"themes": {"Alimentation": "theme:food", "Vrac": ["theme:food-bulk", "theme:zero-waste"],
                     "Jardin": "theme:gardens-compost"}}


def lifted(document: Any, mapping_text: str = MAPPING, url: str = DOCUMENT,
           themes: dict[str, Any] | None = None) -> tuple[list[Quad], list[str], list[str]]:
    mapping = parse_mapping(tomllib.loads(mapping_text), "mapping.toml")
    context = DocumentContext(url, None, "carte", Minter(BASE).entity, default_vocabulary().hierarchy.kind_of,
                              mapping=mapping, themes=parse_themes(themes or THEMES, "themes.toml"))
    fmt = table().get("json")
    assert fmt is not None
    result = fmt.lift(json.dumps(document).encode(), context)
    return list(parse(result.nquads, format=RdfFormat.N_QUADS)), result.warnings, result.row_errors


def objects(quads: list[Quad], subject: object, predicate: str) -> list[str]:
    return sorted(q.object.value for q in quads if q.subject == subject and q.predicate.value == predicate)


def node(quads: list[Quad], subject: object, predicate: str) -> object:
    return next(q.object for q in quads if q.subject == subject and q.predicate.value == predicate)


def test_paths_numbers_as_text_nested_nodes_flattened_objects_and_withheld_values() -> None:
    quads, warnings, errors = lifted(ELEMENTS)
    assert errors == []
    first, second = NamedNode(f"{BASE}id/organization/carte-a1"), NamedNode(f"{BASE}id/organization/carte-a2")
    assert objects(quads, first, SCHEMA + "name") == ["Épicerie du Coin"]
    # "50.8466" given as text is a number, like 50.8301 given as one.
    geo = node(quads, first, SCHEMA + "geo")
    assert [(q.predicate.value, q.object.value, q.object.datatype.value) for q in quads  # type: ignore[union-attr]
            if q.subject == geo and q.predicate.value.endswith("itude")] == [
        (SCHEMA + "latitude", "50.8466", "http://www.w3.org/2001/XMLSchema#decimal"),
        (SCHEMA + "longitude", "4.3528", "http://www.w3.org/2001/XMLSchema#decimal")]
    assert objects(quads, node(quads, second, SCHEMA + "geo"), SCHEMA + "latitude") == ["50.8301"]
    address = node(quads, first, SCHEMA + "address")
    assert objects(quads, address, SCHEMA + "postalCode") == ["1000"]
    assert objects(quads, address, SCHEMA + "streetAddress") == ["Rue Haute 1"]
    # categories[*] through the theme table: a label may mean several themes; a bare string is one value.
    themes = [HUB + f"theme-{name}" for name in ("food", "food-bulk", "zero-waste")]
    assert objects(quads, first, HUB + "theme") == themes
    assert objects(quads, second, HUB + "theme") == [HUB + "theme-gardens-compost"]
    # An object flattened by rule: opening hours as "Mo 09:00-12:00", never a Python repr.
    assert objects(quads, first, SCHEMA + "openingHours") == ["Mo 09:00-12:00", "Tu 10:00-18:00"]
    assert objects(quads, first, SCHEMA + "sameAs") == ["https://social.example/epicerie"]
    # An array of objects: one node each, with its own fields kept together.
    points = [q.object for q in quads if q.subject == first and q.predicate.value == SCHEMA + "contactPoint"]
    assert sorted((objects(quads, p, SCHEMA + "telephone")[0], objects(quads, p, SCHEMA + "contactType")[0])
                  for p in points) == [("02 111 11 11", "fixe"), ("0470 00 00 00", "mobile")]
    assert all(objects(quads, p, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type") == [SCHEMA + "ContactPoint"]
               for p in points)
    # "hidden" is the platform withholding the e-mail: never published; a real one is.
    assert objects(quads, first, SCHEMA + "email") == []
    assert objects(quads, second, SCHEMA + "email") == ["contact@jardin.example"]
    assert f"{DOCUMENT}: field 'email': 1 value(s) withheld by the platform (`withheld`), not published" in warnings
    # Every field no rule covers is reported by its path; nothing else is.
    assert [w.split("'")[1] for w in warnings if "is not mapped" in w] == ["urls.type"]
    assert not any("{" in q.object.value for q in quads if q.object.__class__.__name__ == "Literal")


def test_an_object_without_a_rule_for_it_is_reported_never_stored_as_a_repr() -> None:
    quads, warnings, _ = lifted({"data": [{"id": "1", "name": "X", "geo": {"latitude": 50.84, "longitude": 4.35},
                                           "openHours": {"Mo": "9-12"}}]},
                                MAPPING.replace('fields.openHours = { property = "schema:openingHours", '
                                                'flatten = "pairs" }', 'fields.openHours = "schema:openingHours"'))
    assert not [q for q in quads if q.predicate.value == SCHEMA + "openingHours"]
    assert any("field 'openHours': 1 value(s) an object or array, not a value" in w and "`flatten` it" in w
               for w in warnings)


@pytest.mark.parametrize(("records", "document", "count"), [
    ('records = ""', [{"id": "1", "name": "A"}, {"id": "2", "name": "B"}], 2),  # the document is the array
    ('records = "visible"', {"visible": [{"id": "1", "name": "A"}], "invisible": []}, 1),
    ('records = ["visible", "invisible"]',
     {"visible": [{"id": "1", "name": "A"}], "invisible": [{"id": "2", "name": "B"}]}, 2),
    ('records = "result.items"', {"result": {"items": [{"id": "1", "name": "A"}]}}, 1),
    ("", {"meta": {"n": 1}, "entries": [{"id": "1", "name": "A"}]}, 1),  # none said: found as suggest finds it
])
def test_where_the_records_are(records: str, document: Any, count: int) -> None:
    quads, _, errors = lifted(document, f'{records}\n{PLAIN}')
    assert errors == []
    assert len({q.subject for q in quads if q.predicate.value == SCHEMA + "name"}) == count


def test_a_document_that_gives_no_record_says_why_with_a_code() -> None:
    with pytest.raises(LiftError) as empty:
        lifted({"data": [], "ontology": "gogofull"})
    assert empty.value.code == "lift.records-empty"
    assert empty.value.params == {"records": "'data'", "found": "an object with the members 'data', 'ontology'"}
    said = lift_error(empty.value)
    assert said.startswith(f"{DOCUMENT}: json: no record at 'data': the document holds an object with the members "
                           "'data', 'ontology'") and said.endswith("[lift.records-empty]")
    with pytest.raises(LiftError) as wrong_path:
        lifted({"items": [{"id": "1"}]})
    assert wrong_path.value.code == "lift.records-empty" and "'items'" in wrong_path.value.params["found"]  # type: ignore[operator]
    with pytest.raises(LiftError) as no_class:
        lifted({"data": [{"id": "1", "name": "A"}]}, 'records = "data"\ntype = "schema:Thing"\nkey = "id"\n'
                                                     'fields.name = "schema:name"\n')
    assert no_class.value.code == "lift.no-record-class"
    assert no_class.value.params == {"count": 1, "records": "'data'", "types": SCHEMA + "Thing"}
    assert "aucun des 1 élément(s)" in __import__("hub.charter.messages", fromlist=["render"]).render(
        "lift.no-record-class", no_class.value.params)["fr"]


def test_a_record_that_is_not_an_object_fails_alone() -> None:
    quads, _, errors = lifted({"data": [{"id": "1", "name": "A"}, "oops", {"name": "no key"}]},
                              f'records = "data"\n{PLAIN}')
    assert errors == [f"{DOCUMENT}: record #2: not an object but a single strings",
                      f"{DOCUMENT}: record #3: no value in the key field 'id'"]
    assert objects(quads, NamedNode(f"{BASE}id/organization/carte-1"), SCHEMA + "name") == ["A"]


def test_paths() -> None:
    document = {"links": [{"rel": "self", "href": "/1"}, {"rel": "next", "href": "/2"}],
                "data": [{"tags": ["a", "b"]}, {"tags": ["c"]}]}
    assert value_at(document, "links[rel=next].href") == "/2"
    assert values_at(document, "data[*].tags") == ["a", "b", "c"] == values_at(document, "data.tags[*]")
    assert values_at(document, "data[1].tags") == ["c"]
    assert value_at(document, "nowhere.at.all") is None
    assert find_records(document) == ("data", document["data"])
    for bad in ("a..b", "a[", "a[x"):
        with pytest.raises(PathError, match="cannot read it"):
            parse_path(bad)
    with pytest.raises(LiftError, match=r"fields\.a\[\]\]: path 'a\[\]'"):
        lifted({"data": [{"id": "1"}]}, 'records = "data"\ntype = "schema:Organization"\nkey = "id"\n'
                                        'fields."a[]" = "schema:name"\n')


def test_mapping_errors_name_the_rule() -> None:
    base = 'records = "data"\ntype = "schema:Organization"\nkey = "id"\n'
    with pytest.raises(MappingError, match="flatten is one of 'pairs', 'values', 'keys', 'json'"):
        parse_mapping(tomllib.loads(base + 'fields.h = { property = "schema:openingHours", flatten = "pair" }'), "m")
    with pytest.raises(MappingError, match="'key' belongs to a nested object's rule"):
        parse_mapping(tomllib.loads(base + 'fields.h = { property = "schema:name", key = "id" }'), "m")
    with pytest.raises(MappingError, match="a nested object needs a property"):
        parse_mapping(tomllib.loads(base + "[fields.h]\nfields.n = \"schema:name\"\n"), "m")
    with pytest.raises(ThemeTableError, match=r"'theme:fod' is not one of the hub's themes \(did you mean 'theme:foo"):
        parse_themes({"themes": {"Alimentation": "theme:fod"}}, "themes.toml")


def test_nested_nodes_with_a_key_get_a_stable_iri() -> None:
    text = ('records = ""\ntype = "schema:Organization"\nkey = "id"\nfields.name = "schema:name"\n'
            '[fields.locations]\nproperty = "schema:location"\nnode = "schema:Place"\nkey = "id"\n'
            'fields.name = "schema:name"\nfields."geo.lat" = "schema:geo/schema:latitude"\n'
            'fields."geo.lon" = "schema:geo/schema:longitude"\n')
    quads, _, errors = lifted([{"id": "o1", "name": "Asbl", "locations": [
        {"id": "l1", "name": "Siège", "geo": {"lat": "50.85", "lon": "4.35"}}]}], text)
    assert errors == []
    place = NamedNode(f"{BASE}id/organization/carte-locations-l1")
    assert objects(quads, NamedNode(f"{BASE}id/organization/carte-o1"), SCHEMA + "location") == [place.value]
    assert objects(quads, place, SCHEMA + "name") == ["Siège"]
    assert objects(quads, node(quads, place, SCHEMA + "geo"), SCHEMA + "latitude") == ["50.85"]


# --- mapping suggest ---------------------------------------------------------------------------------------

def test_suggest_reads_a_json_document_proposes_its_records_path_and_lifts_every_element(tmp_path: Path) -> None:
    path = tmp_path / "elements.json"
    path.write_text(json.dumps(ELEMENTS), encoding="utf-8")
    suggestion = suggest(path)
    text = suggestion.text
    assert "(json, 2 records)" in text
    assert 'records = "data"' in text
    mapping = parse_mapping(tomllib.loads(text), "suggested")
    rows = mapping.tables["rows"]
    assert rows.records == ["data"] and rows.key == "id"
    assert rows.rules["geo.latitude"].path[-1].value == SCHEMA + "latitude"
    assert rows.rules["address.postalCode"].path[-1].value == SCHEMA + "postalCode"
    assert suggestion.check[0] == ("Self-check: lifted with this mapping, elements.json gives 2 record(s); 0 row(s) "
                                   "fail.")
    # What it proposes harvests as proposed: every element a record.
    quads, _, errors = lifted(ELEMENTS, text)
    assert errors == [] and len({q.subject for q in quads if q.predicate.value == SCHEMA + "name"}) == 2
    # A Karte von Morgen search answer: its entries are under "visible"; a bare array is its own records.
    search = tmp_path / "search.json"
    search.write_text(json.dumps({"visible": [{"id": "k1", "lat": 50.84, "lng": 4.35, "title": "Repair Café",
                                               "tags": ["repair"]}, {"id": "k2", "lat": 50.85, "lng": 4.36,
                                                                     "title": "Fablab", "tags": []}],
                                  "invisible": []}), encoding="utf-8")
    found = suggest(search)
    assert 'records = "visible"' in found.text and found.check[0].endswith("gives 2 record(s); 0 row(s) fail.")
    bare = tmp_path / "export.json"
    bare.write_text(json.dumps([{"id": 1, "nom": "A"}, {"id": 2, "nom": "B"}, {"id": 3, "nom": "C"}]))
    listed = suggest(bare)
    assert 'records = ""' in listed.text and listed.check[0].endswith("gives 3 record(s); 0 row(s) fail.")


# --- a harvest ---------------------------------------------------------------------------------------------

def test_a_json_source_harvests_end_to_end_with_its_themes_and_no_record_is_never_succeeded(tmp_path: Path) -> None:
    (tmp_path / "elements.json").write_text(json.dumps(ELEMENTS), encoding="utf-8")
    (tmp_path / "carte.toml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "themes.toml").write_text('[themes]\nAlimentation = "theme:food"\nVrac = []\nJardin = '
                                          '"theme:gardens-compost"\n', encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "carte"\nname = "Carte"\nurl = "file:elements.json"\nformat = "json"\n'
        'mapping = "carte.toml"\nthemes = "themes.toml"\nlanguage = "fr"\nlicense = "https://opendatacommons.org/licenses/odbl/1-0/"\n'
        'publisher = "Carte"\ncontact = "mailto:carte@carte.example"\n')
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    run = harvest(settings, progress=quiet).runs[0]
    assert (run.status, run.counts["accepted"]) == ("succeeded", 2), run.errors
    themes = published(settings.data_dir, "SELECT ?v WHERE { ?o hub:theme ?v }")
    assert themes == [HUB + "theme-food", HUB + "theme-gardens-compost"]  # "Vrac": no theme, on purpose
    # The same file emptied: the run says why there is no record, and keeps what was published.
    (tmp_path / "elements.json").write_text(json.dumps({"data": [], "ontology": "gogofull"}), encoding="utf-8")
    empty = harvest(settings, progress=quiet).runs[0]
    assert empty.status == "failed"
    assert empty.errors == ["file:elements.json: json: no record at 'data': the document holds an object with the "
                            "members 'data', 'ontology'; say where its records are with the mapping's `records` (a "
                            "dotted path; \"\" for the document itself) [lift.records-empty]"]
    assert len(published(settings.data_dir, "SELECT ?v WHERE { ?o a schema:Organization ; schema:name ?v }")) == 2


def test_a_record_s_own_licence_and_upstream_source_reach_its_provenance(tmp_path: Path) -> None:
    """Licence per record (a platform that gives one per entry) and the upstream chain (a platform that aggregates):
    on the record graph's description, the upstream source described, shown by /api/provenance."""
    entries = [{"id": "k1", "name": "Repair Café", "license": "CC0-1.0", "sourceKey": "OpenStreetMap",
                "geo": {"latitude": 50.84, "longitude": 4.35}},
               {"id": "k2", "name": "Fablab", "license": "ODbL-1.0", "geo": {"latitude": 50.85, "longitude": 4.36}}]
    (tmp_path / "entries.json").write_text(json.dumps(entries), encoding="utf-8")
    (tmp_path / "m.toml").write_text(f'records = ""\nlicense = "license"\nupstream = "sourceKey"\n{PLAIN}'
                                     'fields."geo.latitude" = "schema:geo/schema:latitude"\n'
                                     'fields."geo.longitude" = "schema:geo/schema:longitude"\n', encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "kvm"\nname = "Karte"\nurl = "file:entries.json"\nformat = "json"\nmapping = "m.toml"\n'
        'language = "de"\nlicense = "https://opendatacommons.org/licenses/odbl/1-0/"\npublisher = "Karte"\n'
        'contact = "mailto:k@karte.example"\n')
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    first = harvest(settings, progress=quiet).runs[0]
    assert (first.status, first.counts["added"]) == ("succeeded", 2), first.errors
    graph = f"{BASE}graph/kvm/"
    own = published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?m { ?g a hub:RecordGraph ; hub:recordSubject ?s ; "
                                       "dcterms:license ?l } BIND(CONCAT(STR(?s), ' ', STR(?l)) AS ?v) }")
    # Only the entry whose licence differs from its source's says one of its own.
    assert own == [f"{BASE}id/organization/kvm-k1 https://creativecommons.org/publicdomain/zero/1.0/"]
    upstream = f"{BASE}id/upstream/kvm-openstreetmap"
    assert published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?m { ?g a hub:RecordGraph ; prov:wasDerivedFrom ?v } }"
                     ) == [upstream]
    assert published(settings.data_dir, f"SELECT ?v WHERE {{ GRAPH <{graph}upstream> {{ <{upstream}> "
                                        "dcterms:title ?v } }") == ["OpenStreetMap"]
    with TestClient(create_app(settings)) as client:
        statements = client.get("/api/provenance", params={"subject": f"{BASE}id/organization/kvm-k1",
                                                           "predicate": SCHEMA + "name"}).json()["statements"]
    assert [(s["license"], s["upstream"]) for s in statements] == [
        ("https://creativecommons.org/publicdomain/zero/1.0/", [{"iri": upstream, "title": "OpenStreetMap"}])]
    # A changed licence alone rewrites its record (its description says it); nothing else is written.
    entries[1]["license"] = "CC-BY-4.0"
    (tmp_path / "entries.json").write_text(json.dumps(entries), encoding="utf-8")
    second = harvest(settings, progress=quiet).runs[0]
    assert (second.counts["updated"], second.counts["unchanged"]) == (1, 1)
    assert len(published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?m { ?v a hub:RecordGraph ; "
                                             "dcterms:license ?l } }")) == 2
    third = harvest(settings, progress=quiet).runs[0]
    assert (third.counts["updated"], third.counts["unchanged"]) == (0, 2)


def test_hostile_json_fails_alone_fast_in_a_bounded_child() -> None:
    """100,000 levels of nesting, as a mapped document and as a page the walk counts, and a record whose paths
    reach a million values: each fails or is read within its bounds (the work runs under RLIMIT_AS)."""
    answer = run_bounded("""
        import json, time, tomllib
        from harvesters.formats import DocumentContext, LiftError, table
        from harvesters.mapping import parse_mapping
        from harvesters.paging import parse
        out = {}
        mapping = parse_mapping(tomllib.loads('records = "data"\\ntype = "schema:Organization"\\nkey = "id"\\n'
                                              'fields."tags[*]" = "schema:keywords"\\n'), "m")
        context = DocumentContext("http://feed.example/deep", None, "s", lambda kind, key: None,
                                  lambda types: "organization", mapping=mapping)
        deep = ('{"data": ' + '[' * 100000 + ']' * 100000 + '}').encode()
        started = time.monotonic()
        try:
            table().get("json").lift(deep, context)
            out["deep"] = ["lifted", time.monotonic() - started]
        except LiftError as error:
            out["deep"] = [str(error), time.monotonic() - started]
        started = time.monotonic()
        out["page"] = [parse(deep) is None, time.monotonic() - started]
        from pyoxigraph import NamedNode
        context = DocumentContext("http://feed.example/wide", None, "s", lambda kind, key: NamedNode("http://x/" + key),
                                  lambda types: "organization", mapping=mapping)
        wide = json.dumps({"data": [{"id": "1", "tags": ["t"] * 200000}]}).encode()
        started = time.monotonic()
        result = table().get("json").lift(wide, context)
        out["wide"] = [len(result.nquads) > 0, time.monotonic() - started]
        print(json.dumps(out))
        """)
    assert answer["deep"][0].startswith("http://feed.example/deep: json line 1 column 137: JSON arrays and objects "
                                        "nest more than 128 levels deep")
    assert answer["page"][0] is True and answer["wide"][0] is True
    assert all(seconds < 20 for _, seconds in answer.values()), answer
