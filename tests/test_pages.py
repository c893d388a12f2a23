"""The hub's own pages, server side: languages, JSON twins, data from the public API, errors in the page's language."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.pages import i18n
from hub.pages.entity_page import render_entity_page
from hub.pages.options import OSM_TILES, PageOptions
from hub.pages.sources_page import render_sources
from hub.pipeline.harvest import harvest
from tests.conftest import BASE, EXAMPLES

PAGES = ("/", "/agenda", "/library", "/sources", "/embed")
STATIC = Path(__file__).resolve().parent.parent / "hub" / "gateway" / "static"


def html_lang(text: str) -> str:
    match = re.search(r'<html lang="(\w+)">', text)
    assert match, text[:200]
    return match.group(1)


def test_every_string_has_three_languages() -> None:
    for key in i18n.keys():
        for lang in i18n.LANGUAGES:
            assert i18n.t(lang, key).strip(), f"{key} is empty in {lang}"


@pytest.mark.parametrize("path", PAGES)
def test_lang_parameter_overrides_accept_language(client: TestClient, path: str) -> None:
    assert html_lang(client.get(path, headers={"Accept-Language": "nl-BE,nl;q=0.9"}).text) == "nl"
    assert html_lang(client.get(path, params={"lang": "en"}, headers={"Accept-Language": "nl"}).text) == "en"
    assert html_lang(client.get(path, headers={"Accept-Language": "de, en;q=0.5"}).text) == "en"
    # an unknown language falls back to French, the networks' first language
    assert html_lang(client.get(path, params={"lang": "xx"}, headers={"Accept-Language": "de"}).text) == "fr"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_its_json_twin(client: TestClient, path: str) -> None:
    text = client.get(path).text
    match = re.search(r'<link rel="alternate" type="([^"]+)" href="([^"]+)">', text)
    assert match, f"{path} has no rel=alternate twin"
    twin = client.get(match.group(2).replace("&amp;", "&"), headers={"Accept": match.group(1)})
    assert twin.status_code == 200, (path, match.group(2), twin.status_code)
    assert "json" in twin.headers["content-type"]


def test_ui_strings_follow_the_language(client: TestClient) -> None:
    assert "Où suis-je ?" in client.get("/", params={"lang": "fr"}).text
    assert "Waar ben ik?" in client.get("/", params={"lang": "nl"}).text
    assert "Where am I?" in client.get("/", params={"lang": "en"}).text


def test_map_page_offers_networks_and_kinds(client: TestClient) -> None:
    text = client.get("/", params={"lang": "en", "source": "jardins-partages", "type": "NGO"}).text
    assert '<option value="jardins-partages" selected>' in text
    assert '<option value="NGO" selected>Association</option>' in text
    config = json.loads(re.search(r'<script id="map-config" type="application/json">(.*?)</script>', text,
                                  re.S).group(1))  # type: ignore[union-attr]
    assert config["filters"]["source"] == "jardins-partages" and config["lang"] == "en"
    # the themes of the hub's SKOS scheme are offered (the gardens concept the GeoJSON layer uses too)
    assert "ns#theme-gardens-compost" in text


def test_tiles_default_to_openstreetmap_and_can_be_switched_off(harvested: tuple[Settings, object]) -> None:
    settings, _ = harvested
    with TestClient(create_app(settings, page_options=PageOptions())) as default:
        assert OSM_TILES in default.get("/embed").text
    with TestClient(create_app(settings, page_options=PageOptions(tiles="none", attribution=""))) as none:
        text = none.get("/embed").text
        assert '"tiles": "none"' in text and "openstreetmap" not in text


def test_vendored_assets_are_served_with_their_licences(client: TestClient) -> None:
    for path in ("/static/leaflet/leaflet.js", "/static/leaflet/leaflet.css", "/static/site/map.js",
                 "/static/leaflet.markercluster/leaflet.markercluster.js", "/static/site/site.css",
                 "/static/leaflet/images/marker-icon.png"):
        assert client.get(path).status_code == 200, path
    assert (STATIC / "leaflet" / "LICENSE").exists()
    assert (STATIC / "leaflet.markercluster" / "MIT-LICENCE.txt").exists()


def test_no_page_loads_anything_from_another_origin(client: TestClient) -> None:
    for path in PAGES:
        text = client.get(path).text
        # links to the networks' sites are fine; scripts, images and styles must come from the hub
        assert not re.search(r'src="(https?:)?//', text), path
        assert not re.search(r'<link rel="stylesheet" href="(https?:)?//', text), path


def test_sources_dashboard_shows_rejected_records_in_each_language(client: TestClient) -> None:
    fr = client.get("/sources", params={"lang": "fr"}).text
    nl = client.get("/sources", params={"lang": "nl"}).text
    en = client.get("/sources", params={"lang": "en"}).text
    assert "Une organisation ou un lieu doit avoir un nom" in fr
    assert "Een organisatie of plaats moet een naam hebben" in nl
    assert "An organisation or place must have a name" in en
    assert "https://assiette-commune.example/id/sans-nom" in en
    assert "partial (some documents, rows or records failed)" in en and "gedeeltelijk" in nl
    assert 'id="source-repair-cafes"' in en and "No rejected record." in en


def test_agenda_lists_events_by_week_with_a_webcal_link_carrying_the_filters(client: TestClient) -> None:
    text = client.get("/agenda", params={"lang": "en", "from": "2027-01-01", "source": "agenda-alternatives"}).text
    assert "Repair Café de Saint-Gilles" in text
    assert "Week of January 4, 2027" in text  # English dates as Babel writes them (issue 22)
    assert "Séance d&#x27;information" not in text  # another network's event, filtered out
    link = re.search(r'id="subscribe" href="(webcal://[^"]+)"', text).group(1)  # type: ignore[union-attr]
    assert "source=agenda-alternatives" in link and "from=2027-01-01" in link and "/api/events.ics?" in link
    ics = client.get("/api/events.ics", params={"from": "2027-01-01", "source": "agenda-alternatives"})
    assert ics.status_code == 200 and "BEGIN:VCALENDAR" in ics.text


def test_agenda_renders_a_bad_date_as_an_error_in_the_page_language(client: TestClient) -> None:
    text = client.get("/agenda", params={"lang": "nl", "from": "not-a-date"}).text
    assert 'role="alert"' in text and "Foute parameter." in text


def test_library_lists_the_toolbox(client: TestClient) -> None:
    text = client.get("/library", params={"lang": "nl"}).text
    assert "Modelstatuten voor een burger-vzw" in text
    narrowed = client.get("/library", params={"lang": "fr", "q": "financement"}).text
    assert "Guide du financement participatif" in narrowed and "Modèle de statuts" not in narrowed


def test_entity_page_shows_fields_with_provenance_badges_and_the_contact(client: TestClient) -> None:
    iri = f"{BASE}id/organization/jardins-partages-jp-01"
    answer = client.get("/id", params={"iri": iri, "lang": "nl"}, headers={"Accept": "text/html"})
    assert answer.status_code == 200
    text = answer.text
    assert "<h1>Moestuin aan het Kanaal</h1>" in text
    assert "Quai des Charbonnages 30" in text  # inside the address blank node
    assert text.count('class="badge"') >= 5 and "Bron: jardins-partages" in text
    assert "odbl" in text and "Niet geverifieerd" in text
    # issue 22: the report form (kept by the hub for the network) replaced the mailto link
    assert 'action="/api/reports"' in text and "Melding versturen" in text and "mailto:carte@" not in text
    # a theme reads as its SKOS label in the page's language, linked to its IRI
    assert '<a href="https://w3id.org/mutualisons/ns#theme-gardens-compost">Tuinen en compost</a>' in text
    # the same page at the entity's own path
    by_path = client.get("/id/organization/jardins-partages-jp-01", params={"lang": "nl"},
                         headers={"Accept": "text/html"})
    assert by_path.status_code == 200 and "<h1>Moestuin aan het Kanaal</h1>" in by_path.text
    assert f'href="/api/provenance?subject={quote(iri, safe="")}"' in text


def test_event_page_links_its_place_and_shows_times(client: TestClient) -> None:
    iri = "https://sante-solidaire.example/id/evenement-seance-acces-soins"
    text = client.get("/id", params={"iri": iri, "lang": "en"}, headers={"Accept": "text/html"}).text
    assert '<time datetime="2027-01-21T18:30:00+01:00">2027-01-21 18:30 (+01:00)</time>' in text
    # the place is a record of its own: its page on the hub, not the network's server
    assert 'href="/id?iri=https%3A%2F%2Fsante-solidaire.example%2Fid%2Fsalle-cite-jardin&amp;lang=en"' in text
    # the English page has no English name: French first, then Dutch
    assert text.index("Séance d&#x27;information") < text.index("Infosessie")


def test_entity_page_for_unknown_and_bad_iris(client: TestClient) -> None:
    unknown = client.get("/id", params={"iri": "https://nothing.invalid/x", "lang": "en"},
                         headers={"Accept": "text/html"})
    assert unknown.status_code == 404 and "No published data about this subject." in unknown.text
    bad = client.get("/id", params={"iri": "not an iri", "lang": "fr"}, headers={"Accept": "text/html"})
    assert bad.status_code == 400 and "Paramètre incorrect." in bad.text


def test_entity_asked_as_json_gets_its_data(client: TestClient) -> None:
    answer = client.get("/id/organization/jardins-partages-jp-01", headers={"Accept": "application/ld+json"},
                        follow_redirects=False)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/ld+json")
    assert "Potager du Canal" in answer.text


def test_render_entity_page_reads_the_verification_status() -> None:
    statement = {"predicate": "https://schema.org/name", "object": {"type": "literal", "value": "X"},
                 "graph": "http://hub.test/graph/s/1", "source": "http://hub.test/source/s", "fetched": "2027",
                 "license": "https://creativecommons.org/publicdomain/zero/1.0/"}
    verified = render_entity_page({"@id": "http://hub.test/id/x", "verificationStatus":
                                   "https://w3id.org/mutualisons/ns#Verified"}, [statement], "en")
    assert '<span class="label verified">Verified</span>' in verified
    assert "Not verified" in render_entity_page({"@id": "http://hub.test/id/x"}, [statement], "en")


def test_pages_say_when_nothing_is_published(tmp_path: Path) -> None:
    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=tmp_path / "empty", base_iri=BASE)
    with TestClient(create_app(settings)) as empty:
        for path in ("/", "/sources", "/agenda"):
            answer = empty.get(path, params={"lang": "nl"})
            assert answer.status_code == 200, path
            assert "Nog geen gegevens gepubliceerd" in answer.text, path


def test_a_failed_run_shows_its_errors_in_the_page_language(client: TestClient) -> None:
    from starlette.requests import Request

    request = Request({"type": "http", "path": "/sources", "query_string": b"", "headers": [],
                       "server": ("hub.test", 80), "scheme": "http", "root_path": ""})
    run = {"status": "failed", "started": "2027-01-01T10:00:00Z", "counts": {"accepted": 0},
           "errors": [{"code": "fetch", "message": "http://feed.invalid/x: name does not resolve"},
                      "feed.ttl line 3 column 7: unexpected token"]}
    source = {"id": "broken", "name": "Broken network", "contact": "mailto:a@b.example", "last_run": run}
    text = render_sources(request, "nl", [source], {})
    assert "mislukt" in text and "1 jan 2027 10:00 UTC" in text  # Dutch dates as Babel writes them (issue 22)
    assert "De feed kon niet worden opgehaald. — " in text and "name does not resolve" in text
    assert "feed.ttl line 3 column 7: unexpected token" in text


def test_serve_takes_a_tile_server_or_none() -> None:
    from hub.cli import build_parser

    assert build_parser().parse_args(["serve", "--tiles", "none"]).tiles == "none"
    assert build_parser().parse_args(["serve"]).tiles is None  # OpenStreetMap's, or $MUTUALISONS_TILES


def test_theme_tree_puts_children_under_their_parent_and_survives_cycles() -> None:
    from hub.pages.themes import _tree

    def row(concept: str, label: str, lang: str, broader: str | None = None) -> dict[str, dict[str, str]]:
        found = {"c": {"value": f"t:{concept}"}, "label": {"value": label, "xml:lang": lang}}
        if broader:
            found["broader"] = {"value": f"t:{broader}"}
        return found

    tree = _tree([row("food", "Alimentation", "fr"), row("food", "Voeding", "nl"),
                  row("bulk", "Vrac", "fr", "food"), row("health", "Santé", "fr"),
                  row("a", "A", "fr", "b"), row("b", "B", "fr", "a")])
    shown = [(theme.value, theme.depth) for theme in tree]
    assert shown[:2] == [("t:food", 0), ("t:bulk", 1)] and ("t:health", 0) in shown
    assert tree[0].labels == {"fr": "Alimentation", "nl": "Voeding"}
    assert {"t:a", "t:b"}.isdisjoint(value for value, _ in shown)  # a cycle has no root: left out, no hang


def test_accept_language_weights() -> None:
    from starlette.requests import Request

    def chosen(header: str) -> str:
        return i18n.negotiate(Request({"type": "http", "query_string": b"",
                                       "headers": [(b"accept-language", header.encode())]}))

    assert chosen("en;q=0.4, nl;q=0.8") == "nl"
    assert chosen("nl;q=0, en") == "en"
    assert chosen("nl;q=bad, en;q=0.1") == "en"
    assert chosen("") == "fr"


def test_without_a_browser_the_tests_skip_but_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import browser

    monkeypatch.setattr(browser, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium is missing"):
        browser.require_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run under CI"):
        browser.require_browser()


def test_sources_dashboard_shows_the_last_runs_and_the_last_run_errors(client: TestClient) -> None:
    text = client.get("/sources", params={"lang": "en"}).text
    # The CSV example's bad row (line 5) is the last run's error, said with its place.
    assert "line 5" in text and "pas encore" in text


def test_sources_dashboard_lists_earlier_runs(tmp_path: Path, examples_copy: Path) -> None:
    settings = Settings(examples_copy / "sources.toml", tmp_path / "data", BASE)
    first = harvest(settings, ["repair-cafes"], progress=lambda _: None)
    harvest(settings, ["repair-cafes"], progress=lambda _: None)
    with TestClient(create_app(settings)) as own:
        text = own.get("/sources", params={"lang": "nl"}).text
    assert "Vorige oogsten" in text
    first_run = first.runs[0].run.split("/run/", 1)[1]
    assert f'href="/api/runs/{first_run}"' in text
