"""`/embed/configure`: source, theme, area and language of an embedded map, its live preview and the snippet.

The server-rendered form is checked through the application; the live preview, the area taken from it and the
copy button in a real browser (skipped with the reason without Chromium or Playwright, tests/browser.py).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from hub.core.config import Settings
from tests.browser import axe_violations, chromium, guard_network, require_browser, serve
from tests.conftest import ROOT, free_port

FOOD = "https://w3id.org/mutualisons/ns#theme-food"


def snippet_src(text: str) -> str:
    code = html.unescape(re.search(r'<textarea id="snippet"[^>]*>(.*?)</textarea>', text, re.S).group(1))  # type: ignore[union-attr]
    return html.unescape(re.search(r'<iframe src="([^"]+)"', code).group(1))  # type: ignore[union-attr]


def test_the_configurator_renders_the_preview_and_the_snippet_of_the_choices(client: TestClient) -> None:
    answer = client.get("/embed/configure", params={"lang": "nl", "source": "jardins-partages", "theme": FOOD,
                                                    "bbox": "4.3,50.8,4.4,50.9", "map_lang": "en"})
    assert answer.status_code == 200
    text = answer.text
    assert '<html lang="nl">' in text and "De kaart op uw site insluiten" in text
    src = snippet_src(text)
    assert src.startswith("http://testserver/embed?")
    assert parse_qs(urlsplit(src).query) == {"source": ["jardins-partages"], "theme": [FOOD],
                                              "bbox": ["4.3,50.8,4.4,50.9"], "lang": ["en"]}
    # the snippet's frame is titled in the map's language; the preview shows the same embed
    assert 'title="Map of the alternatives (embedded)"' in html.unescape(
        re.search(r'<textarea id="snippet"[^>]*>(.*?)</textarea>', text, re.S).group(1))  # type: ignore[union-attr]
    preview = html.unescape(re.search(r'<iframe id="preview" src="([^"]+)"', text).group(1))  # type: ignore[union-attr]
    assert preview == src
    # the networks and the themes of the hub are offered, the chosen ones selected
    assert re.search(r'<option value="jardins-partages" selected>', text)
    assert re.search(rf'<option value="{re.escape(FOOD)}" selected>', text)


def test_without_choices_the_snippet_embeds_everything_in_the_page_language(client: TestClient) -> None:
    src = snippet_src(client.get("/embed/configure", params={"lang": "fr"}).text)
    assert parse_qs(urlsplit(src).query) == {"lang": ["fr"]}


@pytest.mark.parametrize(("lang", "says"), [("fr", "La zone doit être quatre nombres"),
                                            ("nl", "Het gebied moet vier getallen zijn"),
                                            ("en", "The area must be four numbers")])
def test_a_bad_area_is_said_in_the_page_language_and_left_out(client: TestClient, lang: str, says: str) -> None:
    text = client.get("/embed/configure", params={"lang": lang, "bbox": "4.3,50.8,nowhere"}).text
    assert says in text and 'role="alert"' in text
    assert "bbox" not in parse_qs(urlsplit(snippet_src(text)).query)


def test_the_map_and_the_embed_docs_link_the_configurator(client: TestClient) -> None:
    text = client.get("/", params={"lang": "en", "source": "repair-cafes"}).text
    link = html.unescape(re.search(r'<p class="embed-link"><a href="([^"]+)"', text).group(1))  # type: ignore[union-attr]
    assert link.startswith("/embed/configure?") and "source=repair-cafes" in link
    assert client.get(link).status_code == 200
    assert "/embed/configure" in (ROOT / "docs" / "pages.md").read_text(encoding="utf-8")


# -- in a browser -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hub_url(harvested: tuple[Settings, object]) -> Iterator[str]:
    require_browser()
    settings, _ = harvested
    with serve(settings, free_port()) as url:
        yield url


@pytest.fixture()
def page(hub_url: str) -> Iterator[Any]:
    with chromium() as context:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=hub_url)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tried = guard_network(tab, hub_url)
        yield tab
        assert not errors, f"script errors: {errors}"
        assert not tried, f"the page tried to leave the loopback: {tried}"


def preview_ready(page: Any, showing: str = "") -> Any:
    """The preview's document once it shows the embed whose address holds `showing`, its map drawn."""
    page.wait_for_function("""(showing) => {
        const d = document.querySelector('#preview').contentDocument;
        return d && d.location.href.includes(showing) && d.body && d.body.dataset.ready === '1'; }""",
                           arg=showing, timeout=20000)
    return page.frame_locator("#preview")


def test_the_preview_and_the_snippet_follow_the_choices(page: Any, hub_url: str) -> None:
    page.goto(f"{hub_url}/embed/configure?lang=en")
    everything = int(preview_ready(page).locator("body").get_attribute("data-markers"))
    page.select_option("#c-source", "jardins-partages")
    frame = preview_ready(page, "source=jardins-partages")
    gardens = int(frame.locator("body").get_attribute("data-markers"))
    assert 0 < gardens < everything
    page.select_option("#c-map_lang", "nl")
    assert "Kaart van de alternatieven" in page.locator("#snippet").input_value()
    assert preview_ready(page, "lang=nl").locator("html").get_attribute("lang") == "nl"
    # the area: the preview's own view, then the snippet carries it
    page.click("#use-view")
    area = page.locator("#c-bbox").input_value()
    assert len(area.split(",")) == 4
    assert "bbox=" + area.replace(",", "%2C") in page.locator("#snippet").input_value()
    assert "source=jardins-partages" in page.url and "map_lang=nl" in page.url  # the choices can be shared
    page.click("#copy")
    page.wait_for_function("() => document.querySelector('#copied').textContent === 'Code copied.'")
    assert not axe_violations(page)


def test_an_embed_with_an_area_opens_on_it(page: Any, hub_url: str) -> None:
    def view(path: str) -> list[float]:
        page.goto(f"{hub_url}{path}")
        page.wait_for_selector("body[data-ready='1']", state="attached", timeout=20000)
        return [float(n) for n in page.get_attribute("body", "data-view").split(",")]

    west, south, east, north = view("/embed?bbox=4.34,50.84,4.36,50.86&lang=fr")
    assert west <= 4.34 and east >= 4.36 and south <= 50.84 and north >= 50.86
    whole = view("/embed?lang=fr")  # without an area: every place
    assert north - south < (whole[3] - whole[1]) / 2


def test_the_configurator_fits_a_360px_phone(page: Any, hub_url: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{hub_url}/embed/configure?lang=nl")
    preview_ready(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"/embed/configure scrolls sideways at 360 px ({width} px wide)"
