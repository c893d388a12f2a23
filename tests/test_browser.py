"""The pages in a real browser: Debian's Chromium under Playwright, the hub under uvicorn on loopback, no tiles.

Skipped with the reason when Chromium or Playwright is missing, except under CI=true (tests/browser.py).
Screenshots at 390×844 and 1280×800 go to test-artefacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hub.core.config import Settings
from tests.browser import axe_violations, chromium, guard_network, require_browser, screenshot, serve
from tests.conftest import free_port

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def hub_url(harvested: tuple[Settings, object]) -> Iterator[str]:
    require_browser()
    settings, _ = harvested
    with serve(settings, free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def context(hub_url: str) -> Iterator[Any]:
    with chromium() as browser_context:
        yield browser_context


@pytest.fixture()
def page(context: Any, hub_url: str) -> Iterator[Any]:
    tab = context.new_page()
    tab.set_viewport_size(DESKTOP)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tried = guard_network(tab, hub_url)
    yield tab
    tab.close()
    assert not errors, f"script errors: {errors}"
    assert not tried, f"the page tried to leave the loopback: {tried}"


def open_map(page: Any, url: str) -> int:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=15000)
    return int(page.get_attribute("body", "data-markers"))


def wait_for_count(page: Any, predicate: str, timeout: int = 10000) -> int:
    page.wait_for_function(f"() => {{ const n = Number(document.body.dataset.markers); return {predicate}; }}",
                           timeout=timeout)
    return int(page.get_attribute("body", "data-markers"))


def geojson_count(hub_url: str, **params: str) -> int:
    answer = httpx.get(f"{hub_url}/api/organizations", params={"format": "geojson", **params})
    return len([f for f in answer.json()["features"]
                if not params.get("source") or any(s["source"].endswith("/source/" + params["source"])
                                                   for s in f["properties"]["sources"])])


def assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where}: {violations}"


def test_map_shows_the_example_networks(page: Any, hub_url: str) -> None:
    total = open_map(page, f"{hub_url}/?lang=en")
    assert total == geojson_count(hub_url) and total >= 30
    assert page.locator(".leaflet-marker-icon").count() > 0
    assert page.locator("#places li").count() == total
    assert page.get_by_role("link", name="Potager du Canal").count() == 1
    screenshot(page, "map-1280x800")
    assert_accessible(page, "/ at 1280×800")
    page.set_viewport_size(PHONE)
    assert open_map(page, f"{hub_url}/?lang=en") == total
    # a phone sees the map first: the filters stay folded until asked for
    assert page.locator("#filters-box").get_attribute("open") is None
    assert page.locator("#map").bounding_box()["y"] < 844  # type: ignore[index]
    screenshot(page, "map-390x844")
    assert_accessible(page, "/ at 390×844")


def test_filters_change_the_markers_and_the_list(page: Any, hub_url: str) -> None:
    total = open_map(page, f"{hub_url}/?lang=fr")
    page.select_option("#f-source", "jardins-partages")
    gardens = wait_for_count(page, f"n < {total}")
    assert gardens == geojson_count(hub_url, source="jardins-partages") > 0
    assert "source=jardins-partages" in page.url  # the filtered view can be shared
    assert page.locator("#places li").count() == gardens
    page.select_option("#f-source", "")
    wait_for_count(page, f"n === {total}")
    page.select_option("#f-type", "MedicalClinic")
    clinics = wait_for_count(page, f"n < {total}")
    assert 0 < clinics < total
    page.select_option("#f-type", "")
    wait_for_count(page, f"n === {total}")
    page.fill("#f-q", "potager du canal")
    assert wait_for_count(page, "n === 1") == 1
    assert page.locator("#places li a").first.inner_text() == "Potager du Canal"


def test_theme_filter_changes_the_markers(page: Any, hub_url: str) -> None:
    features = httpx.get(f"{hub_url}/api/organizations", params={"format": "geojson"}).json()["features"]
    total = open_map(page, f"{hub_url}/?lang=en")
    options = page.locator("#f-theme option").evaluate_all("(os) => os.map(o => o.value).filter(Boolean)")
    assert options, "the theme filter offers no theme"
    if not any("themes" in f["properties"] for f in features):
        pytest.skip("/api/organizations neither filters by theme= nor returns themes yet (the gateway, issue 7)")
    page.select_option("#f-theme", options[0])
    assert wait_for_count(page, f"n !== {total}") != total


def test_the_list_follows_the_viewport(page: Any, hub_url: str) -> None:
    total = open_map(page, f"{hub_url}/?lang=en")
    assert page.locator("#places li").count() == total
    page.evaluate("() => document.querySelector('#map') && window.dispatchEvent(new Event('resize'))")
    # zoom far into one place: the list keeps only what the map shows
    page.locator("#places li .show").first.click()
    page.wait_for_function(f"() => document.querySelectorAll('#places li').length < {total}", timeout=10000)
    page.locator(".leaflet-popup").wait_for(timeout=5000)


def test_a_marker_opens_the_entity_page_with_provenance(page: Any, hub_url: str) -> None:
    open_map(page, f"{hub_url}/?lang=en")
    marker = page.locator(".leaflet-marker-icon:not(.marker-cluster)").first
    name = marker.get_attribute("title")
    marker.click()
    link = page.locator(".leaflet-popup .entity-link")
    link.wait_for(timeout=5000)
    link.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == name
    assert page.locator("a.badge").count() >= 3
    assert "Source:" in page.locator("a.badge").first.inner_text()
    assert page.locator("#prov-title").inner_text() == "Provenance"
    assert page.locator("#report-title").count() == 1
    assert_accessible(page, "entity page")


def test_keyboard_reaches_the_filters_and_a_marker(page: Any, hub_url: str) -> None:
    total = open_map(page, f"{hub_url}/?lang=en")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"  # the filters, open on a desktop
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "f-q", focused
    page.keyboard.type("jardin")
    wait_for_count(page, f"n < {total}")
    page.locator(".leaflet-marker-icon:not(.marker-cluster)").first.focus()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup").wait_for(timeout=5000)


def test_language_switch_changes_the_ui_and_keeps_filters(page: Any, hub_url: str) -> None:
    open_map(page, f"{hub_url}/?lang=fr&source=repair-cafes")
    assert page.locator("#locate").inner_text() == "Où suis-je ?"
    page.get_by_role("link", name="NL Nederlands").click()
    page.wait_for_selector("body[data-ready='1']", state="attached")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("#locate").inner_text() == "Waar ben ik?"
    assert page.locator("#f-source").input_value() == "repair-cafes"
    page.get_by_role("link", name="EN English").click()
    assert page.locator("nav[aria-label='Main navigation'] a[aria-current='page']").inner_text() == "Map"


def test_sources_dashboard_shows_what_to_fix(page: Any, hub_url: str) -> None:
    page.goto(f"{hub_url}/sources?lang=en")
    card = page.locator("#source-assiette-commune")
    assert "An organisation or place must have a name" in card.inner_text()
    assert "partial" in card.inner_text()
    assert_accessible(page, "/sources")


def test_sources_dashboard_reads_at_a_glance_on_a_phone(page: Any, hub_url: str) -> None:
    """The summary's rows become cards at 390 px, each source's runs are charted, the rejected records are cards
    with why first; nothing scrolls sideways (screenshot: test-artefacts/sources-nl-390x844.png)."""
    page.set_viewport_size(PHONE)
    page.goto(f"{hub_url}/sources?lang=nl")
    row = page.locator("table.summary tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    # Each cell says what it is (its column's name, drawn before it).
    label = page.evaluate("() => getComputedStyle(document.querySelector('table.summary td:nth-child(5)'), "
                          "'::before').content")
    assert label == '"Geweigerd"'
    assert page.locator("#source-assiette-commune figure.runs-chart svg, #source-assiette-commune .counts").count()
    card = page.locator("#source-assiette-commune .card.rejected").first
    text = card.inner_text()
    assert text.index("Waarom:") < text.index("Een organisatie of plaats moet een naam hebben")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "sources-nl-390x844")
    assert_accessible(page, "/sources")
    page.set_viewport_size(DESKTOP)


def test_agenda_lists_the_example_events(page: Any, hub_url: str) -> None:
    page.goto(f"{hub_url}/agenda?lang=fr&from=2027-01-01")
    text = page.locator("main").inner_text()
    assert "Repair Café de Saint-Gilles" in text and "Semaine du" in text
    assert page.locator("#subscribe").get_attribute("href").startswith("webcal://")
    assert_accessible(page, "/agenda")
    page.set_viewport_size(PHONE)
    screenshot(page, "agenda-390x844")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{hub_url}/library?lang=nl")
    assert "Modelstatuten voor een burger-vzw" in page.locator("main").inner_text()
    assert_accessible(page, "/library")


def test_embed_respects_its_filter(page: Any, hub_url: str) -> None:
    count = open_map(page, f"{hub_url}/embed?source=jardins-partages&lang=nl")
    assert count == geojson_count(hub_url, source="jardins-partages") > 0
    assert page.locator("header.site").count() == 0
    assert_accessible(page, "/embed")


@pytest.mark.parametrize("path", ["/", "/sources", "/agenda", "/library", "/embed"])
def test_pages_fit_a_360px_phone(page: Any, hub_url: str, path: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{hub_url}{path}?lang=nl")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} scrolls sideways at 360 px ({width} px wide)"
