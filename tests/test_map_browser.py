"""The map with 100,000 places in view, in a real browser (Debian's Chromium under Playwright, tests/browser.py).

Harvesting 100,000 records takes minutes here, so the hub's index is built from 100,000 generated places
(bench/map_places.py) in place of the examples' generation's records: the API, the clustering and the page
are the real ones. Skipped with the reason when Chromium or Playwright is missing (failed under CI=true).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bench.map_places import places_reader
from hub.core.config import Settings
from tests.browser import axe_violations, chromium, guard_network, require_browser, screenshot, serve
from tests.conftest import free_port

PLACES = 100_000
READY_SECONDS = 120  # generating the places (≈10 s here), the index, then the first view


@pytest.fixture(scope="module")
def hub_url(harvested: tuple[Settings, object]) -> Iterator[str]:
    require_browser()
    settings, _ = harvested
    with serve(settings, free_port(), read=places_reader(PLACES, settings.base_iri)) as url:
        # The index is built in the background from the server's start: wait for it before timing pages.
        deadline = time.monotonic() + READY_SECONDS
        while True:
            answer = httpx.get(f"{url}/api/map/clusters", params={"bbox": "-180,-85,180,85", "zoom": "0"},
                               timeout=READY_SECONDS)
            if answer.status_code == 200 and answer.json()["total"] == PLACES:
                break
            assert time.monotonic() < deadline, f"the index of {PLACES} places was not ready: {answer.text[:300]}"
            time.sleep(0.5)
        yield url


@pytest.fixture()
def page(hub_url: str) -> Iterator[Any]:
    with chromium() as context:
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tried = guard_network(tab, hub_url)
        yield tab
        assert not errors, f"script errors: {errors}"
        assert not tried, f"the page tried to leave the loopback: {tried}"


def drawn(page: Any) -> int:
    """The places the map draws: each cluster's count, plus one per pin."""
    counts = page.locator(".map-cluster .count").evaluate_all("(spans) => spans.map(s => Number(s.dataset.count))")
    return int(sum(counts)) + page.locator(".map-pin").count()


def test_the_map_shows_all_100000_places_as_clusters(page: Any, hub_url: str) -> None:
    started = time.monotonic()
    page.goto(f"{hub_url}/?lang=en")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60000)
    seconds = time.monotonic() - started
    assert page.get_attribute("body", "data-markers") == str(PLACES)
    assert page.get_attribute("body", "data-mode") == "clusters"
    assert drawn(page) == PLACES
    assert page.locator("#status").inner_text() == "100,000 places in view"
    # the legend's counts, one per top theme and one for places without, add up to the same total
    legend = page.locator("#legend li").all_inner_texts()
    assert len(legend) >= 9
    assert sum(int(row.rsplit("(", 1)[1].rstrip(")").replace(",", "")) for row in legend) == PLACES
    assert page.locator(".map-cluster.t-none").count() < page.locator(".map-cluster").count()
    # the list pages through all of them, 50 at a time
    assert page.locator("#places li").count() == 50
    more = page.locator("#more")
    assert more.is_visible() and "of 100,000" in more.inner_text()
    more.click()
    page.wait_for_function("() => document.querySelectorAll('#places li').length === 100")
    screenshot(page, "map-100000-places")
    assert seconds < 30, f"the first view took {seconds:.1f} s"
    assert not axe_violations(page)


def test_zooming_into_a_cluster_keeps_every_place_counted(page: Any, hub_url: str) -> None:
    page.goto(f"{hub_url}/?lang=fr")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60000)
    before = page.locator(".map-cluster").count()
    page.locator(".map-cluster").first.dispatch_event("click")
    page.wait_for_function(f"() => document.body.dataset.markers !== '{PLACES}'", timeout=30000)
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('lieux dans la vue')")
    in_view = int(page.get_attribute("body", "data-markers"))
    assert 0 < in_view < PLACES
    assert drawn(page) == in_view
    # the page says what the API counts for the same view
    box = page.get_attribute("body", "data-view")
    assert httpx.get(f"{hub_url}/api/organizations", params={"bbox": box, "limit": "1"}
                     ).headers["X-Total-Count"] == str(in_view)
    assert before > 0


def test_a_search_on_the_map_is_the_apis(page: Any, hub_url: str) -> None:
    page.goto(f"{hub_url}/?lang=en")
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60000)
    page.fill("#f-q", "initiative 99999")
    page.wait_for_function("() => document.body.dataset.markers === '1'", timeout=30000)
    assert page.locator(".map-pin").count() == 1
    assert page.locator("#places li a").first.inner_text() == "Initiative 99999"
