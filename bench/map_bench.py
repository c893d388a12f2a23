"""Time to interactive of the map page `/` with BENCH_MAP_PLACES places in view (2,000 by default, 100,000
supported), in Debian's Chromium over loopback.

An INFO line, not a BENCH line (the target is under 2 s): the time from navigation start until the view's
clusters (or pins) are on the map and the list's first page is shown (map.js sets body[data-ready-at]).
Up to BENCH_MAP_HARVEST places (5,000) are harvested from a generated feed; more would take minutes
(about 2.5 ms a record), so the index then holds generated places instead (bench/map_places.py), and the
line says `index=generated`. Skipped, with the reason, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from bench.feeds import write_feed
from bench.map_places import places_reader
from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.gateway.collection_index import IndexCache
from hub.pages.options import PageOptions
from hub.pipeline.harvest import harvest

CHROMIUM = Path(os.environ.get("MUTUALISONS_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PLACES = int(os.environ.get("BENCH_MAP_PLACES", "2000"))
HARVEST_AT_MOST = int(os.environ.get("BENCH_MAP_HARVEST", "5000"))
READY_SECONDS = 300
RUNS = 3


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None if CHROMIUM.exists() else f"{CHROMIUM} is missing"


def _serve(settings: Settings, generated: bool) -> tuple[uvicorn.Server, threading.Thread, str]:
    app = create_app(settings, page_options=PageOptions(tiles="none", attribution=""))
    if generated:
        app.state.index_cache = IndexCache(app.state.reader.minter, read=places_reader(PLACES, settings.base_iri))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the hub did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    # The page is timed on a warm server: its index (built in the background from the start) is ready.
    deadline = time.monotonic() + READY_SECONDS
    while True:
        answer = httpx.get(f"{url}/api/map/clusters", params={"bbox": "-180,-85,180,85", "zoom": "0"},
                           timeout=READY_SECONDS)
        if answer.status_code == 200:  # the first answer waits for the first index
            return server, thread, url
        if time.monotonic() > deadline:
            raise RuntimeError(f"the index of {PLACES} places was not ready in {READY_SECONDS} s")
        time.sleep(0.5)


def _measure(url: str, profile: Path) -> list[tuple[float, int]]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1280, "height": 800})
        try:
            for _ in range(RUNS):
                page = context.new_page()
                # Every run is a first visit: nothing from the previous run's HTTP cache (answers keep 60 s).
                context.new_cdp_session(page).send("Network.clearBrowserCache")
                page.goto(f"{url}/?lang=fr")
                page.wait_for_selector("body[data-ready='1']", state="attached", timeout=60000)
                ready_ms = float(page.get_attribute("body", "data-ready-at") or "nan")
                markers = int(page.get_attribute("body", "data-markers") or "0")
                results.append((ready_ms / 1000, markers))
                page.close()
        finally:
            context.close()
    return results


def run() -> list[str]:
    reason = _skip_reason()
    if reason:
        return [f"INFO map_time_to_interactive skipped: {reason}"]
    work = Path(tempfile.mkdtemp(prefix="mutualisons-map-bench-"))
    try:
        generated = PLACES > HARVEST_AT_MOST
        write_feed(work / "feed.ttl", 1 if generated else PLACES)
        (work / "sources.toml").write_text(
            '[[source]]\nid = "bench"\nname = "Benchmark network"\nurl = "file:feed.ttl"\nformat = "turtle"\n'
            'license = "https://creativecommons.org/publicdomain/zero/1.0/"\npublisher = "Bench"\n'
            'contact = "mailto:bench@bench.example"\n', encoding="utf-8")
        settings = Settings(sources_path=work / "sources.toml", data_dir=work / "data",
                            base_iri="http://127.0.0.1:8000/")
        harvest(settings, progress=lambda _: None)
        server, thread, url = _serve(settings, generated)
        try:
            results = _measure(url, work / "profile")
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        median = statistics.median(seconds for seconds, _ in results)
        markers = results[-1][1]
        return [f"INFO map_time_to_interactive places={PLACES} seconds={median:.3f} target=<2 "
                f"{'OK' if median < 2 else 'SLOW'} in_view={markers} runs={RUNS} "
                f"index={'generated' if generated else 'harvest'}"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    for line in run():
        print(line, flush=True)


if __name__ == "__main__":
    main()
