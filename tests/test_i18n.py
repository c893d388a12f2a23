"""The gettext catalogs (hub/locale): every key in three languages, plural forms, dates per language, coded run
lines said again in any language, API problems in the request's language, and the translators' pybabel loop."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from harvesters.geometry import SWAPPED, swapped
from harvesters.paging import STOPPED, stopped
from hub import locale
from hub.charter import messages
from hub.core.config import Settings
from hub.gateway.app import create_app
from tests.conftest import BASE, EXAMPLES

FIELD = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("domain", locale.DOMAINS)
def test_every_key_is_translated_in_french_and_dutch_with_the_same_parameters(domain: str) -> None:
    english = {key: locale.translations("en", domain).gettext(key) for key in locale.keys(domain)}
    assert len(english) > 10
    for lang in ("fr", "nl"):
        known = locale.translations(lang, domain)._catalog  # type: ignore[attr-defined]
        for key, words in english.items():
            if (key, 0) in known:
                continue  # a plural entry: its forms are checked below
            assert key in known, f"{key!r} is not translated in {lang} ({domain})"
            assert known[key].strip(), f"{key!r} is empty in {lang}"
            assert set(FIELD.findall(known[key])) == set(FIELD.findall(words)), (key, lang)


@pytest.mark.parametrize(("lang", "count", "said"), [
    ("nl", 1, "1 plaats in beeld"), ("nl", 2, "2 plaatsen in beeld"), ("nl", 0, "0 plaatsen in beeld"),
    ("en", 1, "1 place in view"), ("en", 2, "2 places in view"),
    # French: 0 and 1 take the singular, a million takes "de".
    ("fr", 0, "0 lieu dans la vue"), ("fr", 1, "1 lieu dans la vue"), ("fr", 2, "2 lieux dans la vue"),
    ("fr", 1_000_000, "1000000 de lieux dans la vue"),
])
def test_plural_forms(lang: str, count: int, said: str) -> None:
    assert locale.plural(lang, "places_in_view", count) == said


def test_plural_forms_for_a_script_follow_the_cldr_categories() -> None:
    assert locale.plural_forms("nl", "places_in_view") == {"one": "{n} plaats in beeld",
                                                            "other": "{n} plaatsen in beeld"}
    assert set(locale.plural_forms("fr", "places_in_view")) == {"one", "many", "other"}


@pytest.mark.parametrize(("lang", "day", "moment"), [
    ("fr", "7 décembre 2026", "7 déc. 2026 19:05 UTC"),
    ("nl", "7 december 2026", "7 dec 2026 19:05 UTC"),
    ("en", "December 7, 2026", "Dec 7, 2026 7:05\u202fPM UTC"),
])
def test_dates_are_written_as_each_language_writes_them(lang: str, day: str, moment: str) -> None:
    assert locale.date(dt.date(2026, 12, 7), lang) == day
    assert locale.moment("2026-12-07T19:05:33Z", lang).replace(" ", "\u202f") == moment.replace(" ", "\u202f")
    assert locale.moment("2026-12-07", lang) == locale.date(dt.date(2026, 12, 7), lang, "medium")
    assert locale.moment("not a date", lang) == "not a date"


def test_a_missing_translation_falls_back_to_english_and_an_unknown_key_fails() -> None:
    assert locale.text("de", "map") == "Map"  # a language the hub does not speak
    with pytest.raises(KeyError):
        locale.text("fr", "no-such-key")


SAMPLE = {"area": "Bruxelles-Capitale", "countries": "BE", "document": "http://feed.test/a.json", "count": 3,
          "nodes": 2, "types": "schema:Thing, foaf:Document", "record": "http://feed.test/a#1",
          "node": "_:b0", "why": "untyped", "via": "schema:member", "kind": "organization",
          "key": "schema:url <http://x.test/>", "records": "data.items", "found": "an object with keys 'a'",
          "kinds": messages.kinds_in_words(["organization", "event", "resource"]), "lon": "50.8467", "lat": "4.3525",
          "field": "'coords'", "order": "lonlat", "language": "fr", "vocabulary": "vcard",
          "value": "'pas encore'", "part": "latitude",
          # fetch.*: what a server answered and the hub's limits
          "status": "503", "phrase": "Service Unavailable", "retries": "3", "seconds": "600", "most": "60",
          "since": "2026-12-01T10:00:00Z", "grace": "P30D", "connect": "10", "read": "30", "host": "feed.test",
          "address": "10.0.0.7", "shown": "feed.test:80", "declared": "2000000", "max_bytes": "1048576",
          "max": "5", "last": "http://feed.test/r5", "target": "ftp://feed.test/a", "size": "2000000",
          # walk.*: the bounds of a paged API's walk
          "url": "http://feed.test/api", "max_pages": "100", "max_records": "10000", "name": "json"}


@pytest.mark.parametrize("code", sorted(messages.MESSAGES))
def test_every_coded_line_a_run_stores_is_said_again_in_each_language(code: str) -> None:
    """A run keeps `English sentence [code]`; its parameters are read back from the English sentence, so an old
    run is said in French and Dutch too, word for word as the catalogs say it."""
    params = {name: SAMPLE[name] for name in FIELD.findall(messages.MESSAGES[code]["en"])}
    line = messages.warning(code, **params)
    for lang in locale.LANGUAGES:
        said = messages.localize(line, lang)
        assert said["code"] == code
        assert said["text"] == messages.render(code, params)[lang]


def test_a_lift_error_line_keeps_its_place_said_in_the_language() -> None:
    line = f"feed.json: json line 3 column 7: {messages.warning('lift.records-empty', records='data', found='x')}"
    said = messages.localize(line, "nl")
    assert said["text"].startswith("feed.json: json regel 3 kolom 7: geen fiche op data")
    assert said["params"] == {"records": "data", "found": "x"}


def test_a_line_without_a_known_code_stays_as_it_was() -> None:
    for line in ("http://feed.test/x: name does not resolve", "row 3: bad date [not.a-code]",
                 "something [area.outside]"):  # a known code whose sentence is not its template
        assert messages.localize(line, "nl") == {"text": line, "code": None, "params": None}


@pytest.fixture(scope="module")
def empty_hub(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=tmp_path_factory.mktemp("empty"),
                        base_iri=BASE)
    return TestClient(create_app(settings))


@pytest.mark.parametrize(("asked", "headers", "lang", "title", "detail"), [
    ({}, {}, "en", "Unknown source", "no source 'Bad Id': a source id is lower-case"),
    ({}, {"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"}, "nl", "Onbekende bron",
     "geen bron 'Bad Id': een bron-id bestaat uit kleine letters"),
    ({"lang": "fr"}, {"Accept-Language": "nl"}, "fr", "Source inconnue", "aucune source 'Bad Id' : l'identifiant"),
    ({}, {"Accept-Language": "de"}, "en", "Unknown source", "no source 'Bad Id'"),
])
def test_api_problems_are_in_the_request_language(empty_hub: TestClient, asked: dict[str, str],
                                                   headers: dict[str, str], lang: str, title: str,
                                                   detail: str) -> None:
    answer = empty_hub.get("/api/sources/Bad Id/runs", params=asked, headers=headers)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["content-language"] == lang
    problem = answer.json()
    assert problem["title"] == title and problem["detail"].startswith(detail) and problem["status"] == 404


def test_a_problem_detail_the_catalog_does_not_know_stays_english_with_its_title_translated(
        empty_hub: TestClient) -> None:
    answer = empty_hub.get("/api/sources", headers={"Accept-Language": "nl"})
    assert answer.status_code == 503
    assert answer.json()["title"] == "Nog geen gegevens gepubliceerd"


def test_the_translators_loop_with_pybabel_extract_update_compile(tmp_path: Path) -> None:
    """What docs/translating.md tells a translator to run, on a copy of the catalogs: a key added to the English
    catalog reaches the template and the French catalog, and the compiled catalog is the one the hub reads."""
    root = tmp_path / "locale"
    shutil.copytree(locale.LOCALE_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.mo"))
    english = root / "en" / "LC_MESSAGES" / "pages.po"
    english.write_text(english.read_text(encoding="utf-8") + '\nmsgid "brand_new"\nmsgstr "Brand new"\n',
                       encoding="utf-8")
    pybabel = [sys.executable, "-m", "babel.messages.frontend"]
    run = {"cwd": Path(__file__).resolve().parent.parent, "capture_output": True, "text": True, "timeout": 120}
    template = tmp_path / "pages.pot"
    for command in ([*pybabel, "extract", "-F", str(root / "babel.cfg"), "--no-location", "-o", str(template),
                     str(english)],
                    [*pybabel, "update", "--no-fuzzy-matching", "-i", str(template), "-d", str(root), "-D", "pages"],
                    [*pybabel, "compile", "-d", str(root), "-D", "pages"]):
        done = subprocess.run(command, check=False, **run)  # type: ignore[call-overload]
        assert done.returncode == 0, done.stderr
    with (root / "fr" / "LC_MESSAGES" / "pages.po").open("rb") as handle:
        french = read_po(handle, locale="fr")
    assert french["brand_new"] is not None and french["brand_new"].string == ""
    assert "English: Brand new" in french["brand_new"].auto_comments
    assert french["map"].string == "Carte"  # what was translated stays
    assert (root / "nl" / "LC_MESSAGES" / "pages.mo").stat().st_size > 1000


@pytest.mark.parametrize("code", sorted(SWAPPED))
def test_the_swapped_axes_sentences_of_the_formats_are_the_catalogs_english(code: str) -> None:
    """The formats (which import nothing of the hub) write the swapped-axes reasons themselves: the same English
    as the catalog's, so that a run's line is read back and said in French and Dutch."""
    params = {"lon": "50.8467", "lat": "4.3525", "area": "Belgium", "kind": "Polygon", "field": "'coords'",
              "order": "lonlat"}
    params = {name: value for name, value in params.items() if "{" + name + "}" in SWAPPED[code]}
    line = f"http://feed.test/a.geojson: feature #2 (id=x): {swapped(code, **params)}"
    assert line.endswith(messages.warning(code, **params))
    said = messages.localize(line, "nl")
    assert said["code"] == code
    assert said["text"] == "http://feed.test/a.geojson: feature nr. 2 (id=x): " + messages.render(code, params)["nl"]


@pytest.mark.parametrize("code", sorted(STOPPED))
def test_the_walk_bounds_of_the_paged_apis_are_the_catalogs_english(code: str) -> None:
    """harvesters/paging.py writes its bounds' sentences itself: the catalog's English, so that a run's line
    ("<page>: … [walk.max-pages]", as the hub stores it) is said in French and Dutch."""
    params = {name: SAMPLE[name] for name in FIELD.findall(STOPPED[code])}
    error = stopped("http://feed.test/api?page=3", code, **params)
    assert error.reason == messages.MESSAGES[code]["en"].format(**params)
    line = messages.fetch_error(error)
    assert line == f"http://feed.test/api?page=3: {error.reason} [{code}]"
    for lang in locale.LANGUAGES:
        assert messages.localize(line, lang)["text"] == "http://feed.test/api?page=3: " + messages.render(
            code, params)[lang]


@pytest.mark.parametrize(("line", "nl"), [
    ("file:feeds/repair-cafes.csv: line 5: field 'latitude': 'pas encore' is not a number",
     "file:feeds/repair-cafes.csv: regel 5: veld 'latitude': 'pas encore' is geen getal"),
    ("file:feed: feature #1 (id=p): a coordinate must be a finite number, got nan",
     "file:feed: feature nr. 1 (id=p): een coördinaat moet een eindig getal zijn, gekregen: nan"),
    ("http://x.test/a.json: record #3: no value in the key field 'id'",
     "http://x.test/a.json: record nr. 3: geen waarde in het sleutelveld 'id'"),
])
def test_the_formats_row_reasons_without_a_code_are_recognised_by_their_english(line: str, nl: str) -> None:
    """Rows that failed are stored as the formats write them, without a code; the catalog's `row.*` entries
    recognise their English words, so they are said in any language too."""
    said = messages.localize(line, "nl")
    assert said["text"] == nl and str(said["code"]).startswith("row.")
    assert messages.localize(line, "en")["text"] == line


@pytest.mark.parametrize(("lang", "label"), [("fr", "Catégorie de la boîte à outils"),
                                             ("nl", "Categorie van de gereedschapskist"),
                                             ("en", "Toolbox category")])
def test_entity_pages_name_properties_with_the_vocabularys_labels(client: TestClient, lang: str,
                                                                   label: str) -> None:
    """hub:toolboxCategory has rdfs:labels in vocab/hub.ttl (@fr, @nl, @en): the entity page names the field so."""
    page = client.get("/id", params={"iri": "https://assiette-commune.example/id/doc-charte-groupe-achat",
                                     "lang": lang}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert f"<dt>{escape(label)}</dt>" in page.text


@pytest.mark.parametrize(("path", "params", "lang", "detail"), [
    ("/api/organizations", {"bboxx": "4,50,5,51"}, "nl",
     "bboxx is geen parameter van deze collectie; ze neemt bbox, near"),
    ("/api/organizations", {"bboxx": "4,50,5,51"}, "fr",
     "bboxx n'est pas un paramètre de cette collection ; elle prend bbox, near"),
    ("/api/organizations", {"verified": "maybe"}, "nl", "verified verwacht true of false"),
    ("/api/organizations", {"sort": "size"}, "fr", "sort attend l'une de ces valeurs : "),
    ("/api/sources", {"page": "2"}, "nl", "page is geen parameter van dit pad; het neemt"),
])
def test_bad_parameters_are_said_in_the_request_language(client: TestClient, path: str, params: dict[str, str],
                                                         lang: str, detail: str) -> None:
    """A map site's developer reads the 400 that names the wrong parameter in their language, the parameter's
    name, the values and the suggestion kept as the API spells them."""
    answer = client.get(path, params=params, headers={"Accept-Language": lang})
    assert answer.status_code == 400 and answer.headers["content-language"] == lang
    assert answer.json()["detail"].startswith(detail), answer.json()["detail"]
    if "bboxx" in params:
        assert answer.json()["detail"].endswith("'bbox' ?)" if lang == "fr" else "'bbox'?)")
