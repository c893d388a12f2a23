"""A hub served by uvicorn on a loopback port in a thread, with an access log of its own: for the tests where a real
client (ldes-client, another hub) talks to it over HTTP and the test checks which paths it asked for."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.pages.options import PageOptions


@dataclass
class AccessLog:
    """Every request the server answered: (method, path, status), in order."""

    entries: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _, path, _ in self.entries]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


class Logged:
    """An ASGI wrapper that writes each HTTP request and its status to an AccessLog."""

    def __init__(self, app: Any, log: AccessLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [0]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        await self.app(scope, receive, sending)
        with self.log.lock:
            self.log.entries.append((scope["method"], scope["path"], status[0]))


@dataclass
class Served:
    url: str
    log: AccessLog
    app: Any


@contextmanager
def serve_hub(settings: Settings, port: int, ldes_page_size: int | None = None) -> Iterator[Served]:
    """The hub of `settings` on http://127.0.0.1:port (its base IRI should be that URL), stopped on the way out."""
    app = create_app(settings, page_options=PageOptions(tiles="none", attribution=""))
    if ldes_page_size is not None:
        app.state.ldes_page_size = ldes_page_size
    log = AccessLog()
    server = uvicorn.Server(uvicorn.Config(Logged(app, log), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the hub did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}/", log, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
