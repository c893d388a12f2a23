"""Real HTTP servers and canary sockets on 127.0.0.1 for the fetcher's tests."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A route answers (status, headers, body); a body may be an iterable of chunks, streamed as they come.
Answer = tuple[int, dict[str, str], bytes | Iterable[bytes]]
Route = Callable[["Request"], Answer]


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class LoopbackServer:
    """A threaded http.server on a free loopback port; `requests` records what reached it."""

    route: Route
    tls: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                owner.requests.append(request)
                status, headers, body = owner.route(request)
                self.send_response(status)
                chunks = [body] if isinstance(body, bytes) else body
                if isinstance(body, bytes) and "Content-Length" not in headers:
                    headers = {**headers, "Content-Length": str(len(body))}
                if "Content-Length" not in headers:
                    headers = {**headers, "Connection": "close"}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: that is what several tests expect
                if "Content-Length" not in headers:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                """Quiet: tests read `requests` instead."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.hostport}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Canary:
    """A listening loopback socket that nobody should ever connect to: `connections()` counts."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.setblocking(False)
        self.port = int(self.socket.getsockname()[1])
        self.accepted = 0

    def connections(self) -> int:
        while True:
            try:
                conn, _ = self.socket.accept()
            except BlockingIOError:
                return self.accepted
            conn.close()
            self.accepted += 1

    def close(self) -> None:
        self.socket.close()


def serve(route: Route, tls: ssl.SSLContext | None = None) -> Iterator[LoopbackServer]:
    server = LoopbackServer(route, tls)
    try:
        yield server
    finally:
        server.close()



class SparqlCanary:
    """A loopback SPARQL endpoint that nobody should ever reach: it records every request, whatever its
    method, and answers each with one empty solution, so that a query that did reach it runs on."""

    BODY = b'{"head": {"vars": []}, "results": {"bindings": [{}]}}'

    def __init__(self) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                owner.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(SparqlCanary.BODY)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(SparqlCanary.BODY)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_HEAD = _answer  # noqa: N815 (http.server's naming)

            def log_message(self, *args: object) -> None:
                """Quiet: tests read `requests` instead."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HeaderTrickler:
    """A loopback server that answers every connection with its status line and headers one byte at a
    time, `interval` seconds apart, and never ends them (it hangs up after `seconds`, so that a client
    without a deadline fails its test instead of hanging it): each byte restarts a per-read timeout,
    so only a deadline for the whole exchange stops a client. `connections` counts who came. With
    `body` set, it answers at once instead, like any server (a feed that was fine before it trickled)."""

    def __init__(self, interval: float = 1.0, seconds: float = 30.0) -> None:
        self.interval = interval
        self.seconds = seconds
        self.body: bytes | None = None
        self.connections = 0
        self._stop = threading.Event()
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.05)
        self.port = int(self.socket.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.hostport}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\n" + b"X-Padding: " + b"a" * 100_000
        bytes_sent = max(1, int(self.seconds / self.interval))
        with conn:
            if self.body is not None:
                conn.recv(65536)  # the request (small, in one piece on loopback)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nConnection: close\r\n"
                             b"Content-Length: " + str(len(self.body)).encode() + b"\r\n\r\n" + self.body)
                return
            for byte in head[:bytes_sent]:
                if self._stop.wait(self.interval):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up: what the tests expect

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()
