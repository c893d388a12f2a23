"""`/validate?lang=nl` on a 390 px phone, in a real browser (Debian's Chromium under Playwright, the hub under
uvicorn on loopback): a GeoJSON with one bad feature uploaded gives a verdict in Dutch only, names the bad
feature, and reads without horizontal scrolling. The screenshot is test-artefacts/validate-nl-390x844.png.

Skipped with the reason when Chromium or Playwright is missing, except under CI=true (tests/browser.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.core.config import Settings
from tests.browser import axe_violations, chromium, guard_network, require_browser, screenshot, serve
from tests.conftest import BASE, EXAMPLES, free_port
from tests.test_validate_formats import ONE_BAD_FEATURE

PHONE = {"width": 390, "height": 844}
NARROWEST = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    # A check needs nothing published: an empty hub.
    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=tmp_path_factory.mktemp("data"),
                        base_iri=BASE)
    with serve(settings, free_port()) as url:
        yield url


@pytest.fixture()
def page(hub_url: str) -> Iterator[Any]:
    with chromium("nl-BE") as context:  # a Dutch-speaking phone
        tab = context.new_page()
        tab.set_viewport_size(PHONE)
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tried = guard_network(tab, hub_url)
        yield tab
        assert not errors, f"script errors: {errors}"
        assert not tried, f"the page tried to leave the loopback: {tried}"


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the screen (0: no horizontal scrolling)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_a_geojson_with_one_bad_feature_checked_on_a_phone_in_dutch(page: Any, hub_url: str,
                                                                    tmp_path: Path) -> None:
    upload = tmp_path / "plaatsen.geojson"
    upload.write_text(json.dumps(ONE_BAD_FEATURE), encoding="utf-8")
    page.goto(f"{hub_url}/validate?lang=nl")
    assert page.get_attribute("html", "lang") == "nl"
    assert horizontal_overflow(page) == 0
    page.set_input_files("#document", str(upload))
    page.select_option("#language", "fr")
    page.click("button[type=submit]")
    page.wait_for_selector("#verdict h2", timeout=60000)
    verdict = page.inner_text("#verdict")
    assert "Het document is niet conform" in verdict
    assert "1 fiche geweigerd" in verdict and "2 fiches aanvaard" in verdict
    card = page.inner_text("#verdict .card.rejected")
    # The bad feature is named, after why it was refused, in Dutch.
    assert card.index("Waarom:") < card.index("werkgebied van de hub") < card.index("Épicerie de Lyon")
    # One language: none of the French or English words of the verdict or the form.
    shown = page.inner_text("main")
    for other in ("Pourquoi", "Why:", "fiches acceptées", "records accepted", "Vérifier", "Check a document",
                  "does not conform", "n'est pas conforme"):
        assert other not in shown, other
    assert "_:" not in shown and "urn:mutualisons" not in shown
    assert horizontal_overflow(page) == 0
    path = screenshot(page, "validate-nl-390x844")
    assert path.stat().st_size > 10_000
    page.set_viewport_size(NARROWEST)
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
