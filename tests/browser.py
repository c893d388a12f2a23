"""A real browser for the page tests: Debian's Chromium driven by Playwright, and the hub on a loopback port.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without it (or without the
playwright package) the browser tests skip with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.gateway.collection_index import IndexCache, IndexParts
from hub.pages.options import PageOptions
from hub.store.reader import Published

CHROMIUM = Path(os.environ.get("MUTUALISONS_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
ARTEFACTS = Path(__file__).resolve().parent.parent / "test-artefacts"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (make test installs it)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (make test installs Debian's chromium with apt-get when it can)"
    return None


def require_browser() -> None:
    reason = missing_browser()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


@contextmanager
def serve(settings: Settings, port: int, read: Callable[[Published], IndexParts] | None = None) -> Iterator[str]:
    """The hub under uvicorn on 127.0.0.1:port with no tiles (nothing leaves the machine); `read` replaces what
    the collections' index reads from the generation (generated places: bench/map_places.py)."""
    app = create_app(settings, page_options=PageOptions(tiles="none", attribution=""))
    if read is not None:
        app.state.index_cache = IndexCache(app.state.reader.minter, read=read)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the hub did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium(locale: str | None = None) -> Iterator[Any]:
    """A headless Chromium context on a fresh profile (Playwright's persistent context owns --user-data-dir);
    `locale` (e.g. "nl-BE") is the browser's own language, which its file buttons are drawn in."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="hub-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS + ([f"--lang={locale}"] if locale else []),
                viewport={"width": 1280, "height": 800}, **({"locale": locale} if locale else {}))
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def guard_network(page: Any, origin: str) -> list[str]:
    """Abort every request that does not go to the hub under test; the list says which were tried."""
    tried: list[str] = []

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(origin) or url.startswith("data:"):
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    page.route("**/*", route)
    return tried


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of WCAG 2.0/2.1 A and AA on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def screenshot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
