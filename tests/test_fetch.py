"""The guarded fetcher against real HTTP servers on 127.0.0.1 (started and stopped by each test)."""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import socket
import ssl
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.pipeline import fetch as fetch_module
from hub.pipeline.fetch import FeedGone, FetchError, FetchPolicy, fetch, fetch_context, is_forbidden
from tests.conftest import ROOT
from tests.loopback import Answer, Canary, HeaderTrickler, LoopbackServer, Request, serve

TURTLE = b'<http://a.test/x> <http://schema.org/name> "x" .\n'


def trusting(*servers: LoopbackServer, **options: Any) -> FetchPolicy:
    return FetchPolicy(trusted_hosts=tuple(s.hostport for s in servers), backoff_base=0.01, **options)


def one(route: Any) -> Iterator[LoopbackServer]:
    yield from serve(route)


# --- plain fetches, conditional GET -------------------------------------------------------------

def test_fetch_returns_body_and_validators() -> None:
    def route(_: Request) -> Answer:
        headers = {"Content-Type": "text/turtle", "ETag": '"v1"', "Last-Modified": "Sun, 29 Nov 2026 04:00:00 GMT"}
        return 200, headers, TURTLE

    for server in one(route):
        fetched = fetch(server.url("/feed.ttl"), trusting(server))
        assert fetched.body == TURTLE and fetched.status == 200 and not fetched.not_modified
        assert fetched.etag == '"v1"' and fetched.last_modified == "Sun, 29 Nov 2026 04:00:00 GMT"
        assert fetched.content_type == "text/turtle"
        assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


def test_304_returns_no_body_and_echoes_validators() -> None:
    def route(request: Request) -> Answer:
        if request.headers.get("if-none-match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        if request.headers.get("if-modified-since") == "Sun, 29 Nov 2026 04:00:00 GMT":
            return 304, {}, b""
        return 200, {"ETag": '"v1"'}, TURTLE

    for server in one(route):
        policy = trusting(server)
        by_etag = fetch(server.url(), policy, etag='"v1"')
        assert by_etag.status == 304 and by_etag.not_modified and by_etag.body == b""
        assert by_etag.etag == '"v1"'
        by_date = fetch(server.url(), policy, last_modified="Sun, 29 Nov 2026 04:00:00 GMT")
        assert by_date.status == 304 and by_date.body == b""
        assert by_date.last_modified == "Sun, 29 Nov 2026 04:00:00 GMT"  # kept from the caller
        fresh = fetch(server.url(), policy, etag='"v0"')
        assert fresh.status == 200 and fresh.body == TURTLE


# --- retries, Retry-After, 410 -------------------------------------------------------------------

def test_retries_on_transient_statuses_then_succeeds() -> None:
    statuses = [503, 429, 408]

    def route(_: Request) -> Answer:
        return (statuses.pop(0), {}, b"busy") if statuses else (200, {}, TURTLE)

    for server in one(route):
        fetched = fetch(server.url(), trusting(server))
        assert fetched.body == TURTLE
        assert len(server.requests) == 4


def test_retries_give_up_with_the_last_status() -> None:
    def route(_: Request) -> Answer:
        return 502, {}, b"bad gateway"

    for server in one(route):
        with pytest.raises(FetchError, match=r"HTTP 502 .* after 2 retries") as error:
            fetch(server.url(), trusting(server, retries=2))
        assert error.value.status == 502
        assert len(server.requests) == 3


def test_no_retry_on_a_client_error() -> None:
    for server in one(lambda _: (404, {}, b"no")):
        with pytest.raises(FetchError, match="HTTP 404") as error:
            fetch(server.url(), trusting(server))
        assert not isinstance(error.value, FeedGone)
        assert len(server.requests) == 1


def test_retry_after_is_honoured() -> None:
    answers = [(429, {"Retry-After": "1"}, b"slow down")]

    def route(_: Request) -> Answer:
        return answers.pop(0) if answers else (200, {}, TURTLE)

    for server in one(route):
        started = time.monotonic()
        fetched = fetch(server.url(), trusting(server))  # back-off base 0.01 s: the wait is Retry-After's
        assert fetched.body == TURTLE
        assert time.monotonic() - started >= 0.95


def test_retry_after_beyond_the_cap_fails_at_once() -> None:
    for server in one(lambda _: (503, {"Retry-After": "3600"}, b"maintenance")):
        started = time.monotonic()
        with pytest.raises(FetchError, match="retry after 3600 s, more than the 60 s"):
            fetch(server.url(), trusting(server))
        assert time.monotonic() - started < 5
        assert len(server.requests) == 1


def test_410_raises_feed_gone() -> None:
    for server in one(lambda _: (410, {}, b"gone")):
        with pytest.raises(FeedGone, match="410") as error:
            fetch(server.url(), trusting(server))
        assert error.value.status == 410 and isinstance(error.value, FetchError)


# --- redirects -----------------------------------------------------------------------------------

def test_redirect_limit() -> None:
    def route(request: Request) -> Answer:
        n = int(request.path.rsplit("/", 1)[1])
        if n == 0:
            return 200, {}, TURTLE
        return 302, {"Location": f"/hop/{n - 1}"}, b""

    for server in one(route):
        fetched = fetch(server.url("/hop/5"), trusting(server))  # five redirects: allowed
        assert fetched.body == TURTLE and fetched.url == server.url("/hop/0")
        before = len(server.requests)
        with pytest.raises(FetchError, match="more than 5 redirects"):
            fetch(server.url("/hop/6"), trusting(server))
        assert len(server.requests) - before == 6  # the sixth redirect is not followed


def test_redirect_to_an_untrusted_loopback_port_never_connects(canary: Canary) -> None:
    def route(_: Request) -> Answer:
        return 302, {"Location": f"http://127.0.0.1:{canary.port}/steal"}, b""

    for server in one(route):
        with pytest.raises(FetchError, match=rf"127.0.0.1:{canary.port}.*non-public address 127.0.0.1"):
            fetch(server.url(), trusting(server))
    assert canary.connections() == 0


def test_redirect_to_localhost_by_name_is_refused(canary: Canary) -> None:
    def route(_: Request) -> Answer:
        return 307, {"Location": f"http://localhost:{canary.port}/"}, b""

    for server in one(route):
        with pytest.raises(FetchError, match="non-public address"):
            fetch(server.url(), trusting(server))
    assert canary.connections() == 0


@pytest.mark.parametrize("location", ["http://[::1/x", "http://feed.example:99999/", "gopher://a.example/"])
def test_redirect_to_a_malformed_or_foreign_url_fails_cleanly(location: str) -> None:
    for server in one(lambda _: (302, {"Location": location}, b"")):
        with pytest.raises(FetchError, match="(?i)invalid (url|port)|non-HTTP"):
            fetch(server.url(), trusting(server))


def test_redirect_to_a_file_iri_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.ttl"
    secret.write_bytes(TURTLE)
    for server in one(lambda _: (301, {"Location": secret.as_uri()}, b"")):
        with pytest.raises(FetchError, match="a file: IRI reached from a feed is refused"):
            fetch(server.url(), trusting(server, file_root=tmp_path))


# --- refusals before any connection --------------------------------------------------------------

def test_untrusted_loopback_is_refused_without_connecting(canary: Canary) -> None:
    with pytest.raises(FetchError, match="list '127.0.0.1:.*' in trusted_hosts"):
        fetch(f"http://127.0.0.1:{canary.port}/feed.ttl", FetchPolicy())
    with pytest.raises(FetchError, match="non-public"):
        fetch(f"http://[::ffff:127.0.0.1]:{canary.port}/", FetchPolicy())
    assert canary.connections() == 0


def test_trust_is_per_port(canary: Canary) -> None:
    # Trusting another port of the same host does not open this one.
    with pytest.raises(FetchError, match="non-public"):
        fetch(f"http://127.0.0.1:{canary.port}/", FetchPolicy(trusted_hosts=(f"127.0.0.1:{canary.port + 1}",)))
    assert canary.connections() == 0


def test_fetch_context_to_an_untrusted_loopback_port_never_connects(canary: Canary) -> None:
    with pytest.raises(FetchError, match="non-public address"):
        fetch_context(f"http://127.0.0.1:{canary.port}/context.jsonld", FetchPolicy())
    assert canary.connections() == 0


def test_fetch_context_redirected_to_an_untrusted_port_never_connects(canary: Canary) -> None:
    def route(_: Request) -> Answer:
        return 301, {"Location": f"http://127.0.0.1:{canary.port}/context.jsonld"}, b""

    for server in one(route):
        with pytest.raises(FetchError, match="non-public address"):
            fetch_context(server.url("/context.jsonld"), trusting(server))
        assert len(server.requests) == 1
    assert canary.connections() == 0


def test_fetch_context_refuses_file_iris_even_inside_the_source_folder(tmp_path: Path) -> None:
    context = tmp_path / "context.jsonld"
    context.write_text('{"@context": {"@vocab": "https://schema.org/"}}')
    with pytest.raises(FetchError, match="a file: IRI reached from a feed is refused"):
        fetch_context(context.as_uri(), FetchPolicy(file_root=tmp_path))


def test_fetch_context_has_its_own_small_cap() -> None:
    big = b'{"@context": {"@vocab": "https://schema.org/", "x": "' + b"y" * 5000 + b'"}}'
    for server in one(lambda _: (200, {"Content-Type": "application/ld+json"}, big)):
        policy = trusting(server, context_max_bytes=4096)
        with pytest.raises(FetchError, match="exceeds max_bytes=4096"):
            fetch_context(server.url(), policy)
        assert fetch_context(server.url(), trusting(server)) == big
        assert server.requests[-1].headers["accept"].startswith("application/ld+json")


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.100.100.200",
    "168.63.129.16", "0.0.0.0", "::1", "fe80::1", "fd00:ec2::254", "::ffff:10.0.0.1", "2002:7f00:1::1",
    "64:ff9b::a00:1", "100.64.0.1", "224.0.0.1",
])
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::808:808"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_forbidden(ipaddress.ip_address(address))  # classified only: nothing connects to them


def test_a_source_file_url_stays_in_its_folder(tmp_path: Path) -> None:
    (tmp_path / "feed.ttl").write_bytes(TURTLE)
    assert fetch((tmp_path / "feed.ttl").as_uri(), FetchPolicy(file_root=tmp_path)).body == TURTLE
    with pytest.raises(FetchError, match="inside the folder"):
        fetch((ROOT / "pyproject.toml").as_uri(), FetchPolicy(file_root=tmp_path))
    with pytest.raises(FetchError, match="only as a source's own url"):
        fetch((tmp_path / "feed.ttl").as_uri(), FetchPolicy())


# --- DNS pinning ---------------------------------------------------------------------------------

class OneAnswerResolver:
    """getaddrinfo that answers 127.0.0.1 for a name under .example exactly once, then fails:
    any second resolution of that name (a rebinding window) would make the fetch fail."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.calls: list[str] = []
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if host in self.names:
            self.calls.append(host)
            if self.calls.count(host) > 1:
                raise socket.gaierror(socket.EAI_NONAME, "second resolution refused by the test")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]
        return self.real(host, port, *args, **kwargs)


def test_the_checked_address_is_the_one_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = OneAnswerResolver(("feed.example",))
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    for server in one(lambda _: (200, {}, TURTLE)):
        url = f"http://feed.example:{server.port}/feed.ttl"
        fetched = fetch(url, FetchPolicy(trusted_hosts=(f"Feed.Example:{server.port}",)))  # names are case-blind
        assert fetched.body == TURTLE
        assert server.requests[0].headers["host"] == f"feed.example:{server.port}"
        assert resolver.calls == ["feed.example"]


def test_a_name_resolving_to_loopback_is_refused_when_untrusted(monkeypatch: pytest.MonkeyPatch,
                                                                canary: Canary) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", OneAnswerResolver(("rebind.example",)))
    with pytest.raises(FetchError, match="rebind.example resolves to non-public address 127.0.0.1"):
        fetch(f"http://rebind.example:{canary.port}/", FetchPolicy())
    assert canary.connections() == 0


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_https_is_pinned_and_still_verified_against_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=feed.example", "-addext", "subjectAltName=DNS:feed.example", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_tls.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    client_tls = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(fetch_module, "_ssl_context", lambda: client_tls)
    resolver = OneAnswerResolver(("feed.example", "other.example"))
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    for server in serve(lambda _: (200, {}, TURTLE), tls=server_tls):
        trusted = (f"feed.example:{server.port}", f"other.example:{server.port}")
        fetched = fetch(f"https://feed.example:{server.port}/", FetchPolicy(trusted_hosts=trusted))
        assert fetched.body == TURTLE and names == ["feed.example"]
        assert resolver.calls == ["feed.example"]
        # Same IP, another name: the certificate does not match it, so the fetch fails.
        with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
            fetch(f"https://other.example:{server.port}/", FetchPolicy(trusted_hosts=trusted))


# --- encodings, caps, timeouts -------------------------------------------------------------------

def test_gzip_and_deflate_are_decoded() -> None:
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    bodies = {
        "/gzip": ("gzip", gzip.compress(TURTLE)),
        "/two-members": ("gzip", gzip.compress(TURTLE[:10]) + gzip.compress(TURTLE[10:])),
        "/deflate": ("deflate", zlib.compress(TURTLE)),
        "/raw-deflate": ("deflate", raw_deflate.compress(TURTLE) + raw_deflate.flush()),
    }

    def route(request: Request) -> Answer:
        coding, body = bodies[request.path]
        return 200, {"Content-Encoding": coding}, body

    for server in one(route):
        for path in bodies:
            assert fetch(server.url(path), trusting(server)).body == TURTLE, path


def test_corrupt_and_unknown_encodings_fail_clearly() -> None:
    def route(request: Request) -> Answer:
        if request.path == "/br":
            return 200, {"Content-Encoding": "br"}, b"xx"
        if request.path == "/truncated":
            return 200, {"Content-Encoding": "gzip"}, gzip.compress(TURTLE * 50)[:-20]
        return 200, {"Content-Encoding": "gzip"}, b"not gzip at all"

    for server in one(route):
        with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
            fetch(server.url("/br"), trusting(server))
        with pytest.raises(FetchError, match="corrupt compressed body"):
            fetch(server.url("/corrupt"), trusting(server))
        with pytest.raises(FetchError, match="truncated"):
            fetch(server.url("/truncated"), trusting(server))


def test_declared_length_over_the_cap_is_refused_before_reading() -> None:
    for server in one(lambda _: (200, {"Content-Length": str(10_000)}, b"x" * 10_000)):
        with pytest.raises(FetchError, match="Content-Length 10000 exceeds max_bytes=1000"):
            fetch(server.url(), trusting(server, max_bytes=1000))


def test_slow_server_hits_the_read_timeout() -> None:
    def trickle() -> Iterator[bytes]:
        yield b"<a> <b> "
        time.sleep(2)
        yield b"<c> .\n"

    for server in one(lambda _: (200, {}, trickle())):
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out.*read 0.3 s"):
            fetch(server.url(), trusting(server, read_timeout=0.3))
        assert time.monotonic() - started < 1.5


def test_a_trickling_server_hits_the_deadline() -> None:
    def drip() -> Iterator[bytes]:
        for _ in range(40):
            time.sleep(0.05)
            yield b"# still here\n"

    for server in one(lambda _: (200, {}, drip())):
        with pytest.raises(FetchError, match="max_seconds=0.5"):
            fetch(server.url(), trusting(server, read_timeout=1.0, max_seconds=0.5))


# Size cap and gzip bomb: the fetch runs in a child process whose address space is capped, so a
# fetcher that buffered the whole body (or inflated the whole bomb) would die of MemoryError there
# instead of ending with the clean FetchError these tests expect.
CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))
from hub.pipeline.fetch import FetchError, FetchPolicy, fetch
try:
    fetched = fetch(sys.argv[1], FetchPolicy(trusted_hosts=(sys.argv[2],)))
    print("FETCHED", len(fetched.body))
except FetchError as error:
    print("FETCHERROR", error)
except MemoryError:
    print("MEMORYERROR")
    sys.exit(3)
"""


def fetch_in_capped_child(server: LoopbackServer, path: str) -> str:
    result = subprocess.run([sys.executable, "-c", CHILD, server.url(path), server.hostport], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def endless_body() -> Iterator[bytes]:
    block = b"<http://a.test/s> <http://a.test/p> <http://a.test/o> .\n" * 1170  # ~64 KiB
    for _ in range(32_768):  # 2 GiB if nobody stops reading
        yield block


def gzip_bomb() -> Iterator[bytes]:
    """A gzip stream of 8 GiB of zeros in ~8 MB: the same fully-flushed deflate block, repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    yield compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    for _ in range(8191):
        yield block


def test_size_cap_stops_an_endless_body_under_a_memory_limit() -> None:
    for server in one(lambda _: (200, {"Content-Type": "text/turtle"}, endless_body())):
        assert fetch_in_capped_child(server, "/") == f"FETCHERROR {server.url('/')}: body exceeds max_bytes=104857600"


def test_gzip_bomb_stops_at_the_cap_under_a_memory_limit() -> None:
    for server in one(lambda _: (200, {"Content-Encoding": "gzip"}, gzip_bomb())):
        out = fetch_in_capped_child(server, "/bomb.ttl")
        assert out == f"FETCHERROR {server.url('/bomb.ttl')}: decompressed body exceeds max_bytes=104857600"


def test_a_server_trickling_its_headers_hits_the_deadline() -> None:
    """One byte of the headers a second keeps every read under its timeout: only the fetch's one
    deadline (connect, headers and body together) ends it."""
    server = HeaderTrickler(interval=1.0, seconds=15.0)
    try:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"no complete answer within max_seconds=2\.5 "):
            fetch(server.url("/feed.ttl"), FetchPolicy(trusted_hosts=(server.hostport,), read_timeout=30.0,
                                                       max_seconds=2.5))
        took = time.monotonic() - started
        assert 2.4 < took < 5.0, took
        assert server.connections == 1
    finally:
        server.close()


@pytest.mark.parametrize("address", [
    "::10.0.0.1", "::127.0.0.1", "::ffff:0:10.0.0.1", "::ffff:0:127.0.0.1", "::ffff:192.168.1.1",
    "64:ff9b::127.0.0.1", "64:ff9b::169.254.169.254", "64:ff9b:1::a00:1", "64:ff9b:1:ab::10.0.0.1",
    "64:ff9b:1:a00:1::", "2002:a9fe:a9fe::1", "2002:c0a8:101::", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
])
def test_ipv6_forms_embedding_a_private_ipv4_are_forbidden(address: str) -> None:
    """Mapped, compatible, SIIT, NAT64 (well-known and local-use), 6to4 and Teredo addresses are judged by
    the IPv4 address inside them (classified only: nothing connects to them)."""
    assert is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [
    "::ffff:8.8.8.8", "::ffff:0:8.8.8.8", "64:ff9b::8.8.8.8", "64:ff9b:1::808:808", "2002:808:808::1",
])
def test_ipv6_forms_embedding_a_public_ipv4_are_allowed(address: str) -> None:
    assert not is_forbidden(ipaddress.ip_address(address))


def test_embedded_ipv4_follows_rfc_6052_at_every_prefix_length() -> None:
    """RFC 6052 section 2.4's table: 192.0.2.33 under each prefix length, read back from its place."""
    from hub.pipeline.fetch import _rfc6052_ipv4

    table = {32: "2001:db8:c000:221::", 40: "2001:db8:1c0:2:21::", 48: "2001:db8:122:c000:2:2100::",
             56: "2001:db8:122:3c0:0:221::", 64: "2001:db8:122:344:c0:2:2100:0", 96: "2001:db8:122:344::192.0.2.33"}
    for prefix, address in table.items():
        assert str(_rfc6052_ipv4(int(ipaddress.ip_address(address)), prefix)) == "192.0.2.33", prefix
    assert _rfc6052_ipv4(int(ipaddress.ip_address("2001:db8:122:c000:ff02:2100::")), 48) is None  # "u" octet set
