"""The guarded fetcher: bytes plus HTTP metadata, for `file:` and `http(s):` URLs.

Every fetch a feed triggers goes through here (its documents, its redirects, its JSON-LD contexts).
The hub must never fetch on a stranger's behalf into its own network, nor be starved by a hostile
server, so every request:

- resolves the host name once, refuses loopback, private, link-local, reserved and cloud-metadata
  addresses unless the source lists `host:port` in `trusted_hosts`, and connects to the very
  address it checked (a second DNS answer could point elsewhere: "DNS rebinding");
- has connect and read timeouts and one deadline for the whole fetch (connect, headers, body, redirects
  and retries together), enforced on every socket read and write, so a server trickling its headers
  a byte at a time is cut off as surely as one trickling its body;
- reads at most `max_bytes`, on the wire and after gzip/deflate decoding, decoding as it streams so
  that a compression bomb stops at the cap instead of filling memory;
- follows at most 5 redirects, checking each new address again, and never to a `file:` IRI;
- retries 408, 425, 429 and 5xx with exponential back-off, honouring Retry-After up to a cap.

A `file:` URL naming a folder is answered, like a Solid server answers for one, with an LDP container listing
its documents and folders (Turtle): formats that walk containers walk folders alike.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import hashlib
import io
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, unquote, urljoin, urlparse

import httpcore
import httpx

from harvesters.formats import DocumentFetchError
from harvesters.wording import because
from hub import locale
from hub.core.durations import now_iso

MAX_REDIRECTS = 5
# httpx's timeouts, each its coded message ("timed out (connecting; …)"); any other: `fetch.timeout`.
_TIMEOUTS = {"ConnectTimeout": "fetch.timeout-connect", "ReadTimeout": "fetch.timeout-read",
             "WriteTimeout": "fetch.timeout-write", "PoolTimeout": "fetch.timeout-pool"}
USER_AGENT = "Mutualisons-hub/0.1 (+https://w3id.org/mutualisons)"
FEED_ACCEPT = ("text/turtle, application/ld+json, application/trig, application/n-quads, "
               "application/n-triples, application/rdf+xml;q=0.9, text/html;q=0.5, */*;q=0.1")
CONTEXT_ACCEPT = "application/ld+json, application/json;q=0.9, */*;q=0.1"
RETRY_STATUSES = frozenset({408, 425, 429} | set(range(500, 600)))
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Metadata services that answer on addresses Python does not all class as non-global
# (Azure's wire server is a public address; Alibaba's sits in the shared 100.64/10 range).
CLOUD_METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.169.123", "fd00:ec2::254", "100.100.100.200",
    "168.63.129.16", "192.0.0.192",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052's well-known prefix: the IPv4 address in the last 32 bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215's local-use prefix (any RFC 6052 length in it)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated `::a.b.c.d` (RFC 4291 2.5.5.1)
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")  # `::ffff:0:a.b.c.d`, IPv4-translated (RFC 2765)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(DocumentFetchError):
    """A fetch that failed: the message names the URL and the reason. A document source (harvesters/formats.py)
    knows it as a DocumentFetchError. The failures a network commonly sees carry a code of the `charter` catalog
    (`fetch.*`) and its parameters (`coded`), so a run says them in French, Dutch and English."""

    def __init__(self, url: str, reason: str, status: int | None = None, code: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        super().__init__(url, reason, code, params)
        self.status = status  # the last HTTP status, when a server answered

    @classmethod
    def coded(cls, at: str, code: str, answered: int | None = None, **params: object) -> Self:
        """The failure `code` with its parameters, its reason being the catalog's English sentence (the very words
        the hub wrote before the code existed, so stored runs read the same); `at`: the URL that failed, `answered`:
        the HTTP status."""
        return cls(at, locale.text(locale.REFERENCE, code, "charter", **params), answered, code, params)


class FeedGone(FetchError):
    """HTTP 410: the publisher says the feed is gone for good (its records are tombstoned after gone_grace)."""


@dataclass(frozen=True)
class Fetched:
    url: str  # the document URL after redirects
    body: bytes  # decoded (gzip/deflate removed); empty for a 304
    content_type: str | None
    fetched_at: str
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def sha256(self) -> str:
        # Computed once: the pipeline asks for it several times, and 178 MB take 0.1 s to hash.
        return hashlib.sha256(self.body).hexdigest()

    @property
    def not_modified(self) -> bool:
        """A 304: the previous payload still holds, nothing was transferred."""
        return self.status == 304


@dataclass(frozen=True)
class FetchPolicy:
    """What one source's fetches may do."""

    file_root: Path | None = None  # a source's own `file:` URLs must stay inside this folder
    trusted_hosts: tuple[str, ...] = ()  # "host:port" allowed to resolve to a non-public address
    max_bytes: int = 104_857_600  # on the wire and after decoding
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # between two reads
    max_seconds: float = 600.0  # the whole fetch, retries and waits included: a trickling server ends
    retries: int = 3  # for 408, 425, 429 and 5xx
    backoff_base: float = 1.0  # seconds; the n-th retry waits backoff_base * 2**n without Retry-After
    max_retry_after: float = 60.0  # a longer Retry-After fails the fetch instead of waiting
    context_max_bytes: int = 1_048_576  # a JSON-LD context is small; a large one is refused


def expand_file_url(url: str, policy: FetchPolicy) -> list[str]:
    """A `file:` URL ending in `/` names a folder: its documents, sorted by name."""
    path = file_path(url, policy)
    if not url.endswith("/"):
        return [url]
    if not path.is_dir():
        raise FetchError.coded(url, "fetch.folder-missing")
    names = sorted(child.name for child in path.iterdir() if child.is_file() and not child.name.startswith("."))
    if not names:
        raise FetchError.coded(url, "fetch.folder-empty")
    return [url + name for name in names]


def file_path(url: str, policy: FetchPolicy) -> Path:
    if policy.file_root is None:
        raise FetchError(url, "file: URLs are accepted only as a source's own url")
    parsed = urlparse(url)
    raw = unquote(parsed.netloc + parsed.path)
    root = policy.file_root.resolve()
    path = Path(raw).resolve() if raw.startswith("/") else (root / raw).resolve()
    if path != root and root not in path.parents:
        raise FetchError(url, "a file: URL must stay inside the folder of its sources.toml")
    return path


def fetch(url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """Fetches a source's own document. With the previous `etag` / `last_modified`, the request is
    conditional, and an unchanged document comes back as a `Fetched` with status 304 and no body."""
    scheme = urlparse(url).scheme.lower()
    if scheme == "file":
        return _fetch_file(url, policy)
    if scheme in ("http", "https"):
        return _fetch_http(url, policy, FEED_ACCEPT, etag, last_modified)
    raise FetchError(url, f"unsupported URL scheme {scheme!r}")


def fetch_context(url: str, policy: FetchPolicy) -> bytes:
    """Fetches a remote JSON-LD `@context` that a feed names: same guards, a small size cap, and
    never a `file:` IRI (a feed must not make the hub read its own disk)."""
    scheme = urlparse(url).scheme.lower()
    if scheme == "file":
        raise FetchError(url, "a file: IRI reached from a feed is refused")
    if scheme not in ("http", "https"):
        raise FetchError(url, f"a JSON-LD context must be an http(s) IRI, not {scheme or 'relative'!r}")
    context_policy = replace(policy, file_root=None, max_bytes=min(policy.max_bytes, policy.context_max_bytes))
    return _fetch_http(url, context_policy, CONTEXT_ACCEPT, None, None).body


def _fetch_file(url: str, policy: FetchPolicy) -> Fetched:
    path = file_path(url, policy)
    if path.is_dir():
        return _folder_listing(url if url.endswith("/") else url + "/", path)
    try:
        size = path.stat().st_size
        if size > policy.max_bytes:
            raise FetchError.coded(url, "fetch.file-too-large", size=size, max_bytes=policy.max_bytes)
        body = path.read_bytes()
    except FileNotFoundError as error:
        raise FetchError.coded(url, "fetch.file-missing") from error
    except OSError as error:
        raise FetchError(url, f"cannot read: {error.strerror}") from error
    return Fetched(url=url, body=body, content_type=None, fetched_at=now_iso())


def _folder_listing(url: str, path: Path) -> Fetched:
    """A folder as a Solid server shows one: an LDP container listing its documents and folders (hidden ones
    left out), in Turtle, so that a format that walks containers (harvesters/dfc.py) walks a folder alike."""
    try:
        children = sorted((child.name, child.is_dir()) for child in path.iterdir() if not child.name.startswith("."))
    except OSError as error:
        raise FetchError(url, f"cannot list this folder: {error.strerror}") from error
    members = ", ".join(f"<{url}{quote(name)}{'/' if folder else ''}>" for name, folder in children)
    body = (f"@prefix ldp: <http://www.w3.org/ns/ldp#> .\n<{url}> a ldp:BasicContainer, ldp:Container"
            + (f" ;\n    ldp:contains {members}" if members else "") + " .\n")
    return Fetched(url=url, body=body.encode("utf-8"), content_type="text/turtle", fetched_at=now_iso())


# --- addresses -------------------------------------------------------------------------------------

def is_forbidden(address: Address) -> bool:
    """Not a public address: loopback, private, link-local, reserved, shared, metadata, or an IPv6
    form that embeds such an IPv4 address (mapped, compatible, SIIT, NAT64, 6to4, Teredo)."""
    if address in CLOUD_METADATA or not address.is_global or address.is_multicast:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        # A gateway on the way (NAT64, SIIT, a 6to4 relay, the host's own dual stack) may carry these
        # to the IPv4 address inside: they are judged by that address.
        return any(is_forbidden(inner) for inner in embedded_ipv4(address))
    return False


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address may lead to."""
    value = int(address)
    low = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    embedded: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped:
        embedded.append(address.ipv4_mapped)
    if address in _IPV4_COMPATIBLE or address in _SIIT or address in _NAT64:
        embedded.append(low)
    if address in _NAT64_LOCAL:
        # The operator picks the prefix length inside the /48, so the IPv4 address may sit at any of
        # RFC 6052's places: every reading the RFC allows is judged (none allowed: refused).
        readings = [_rfc6052_ipv4(value, prefix) for prefix in (48, 56, 64, 96)]
        embedded += [reading for reading in readings if reading is not None] or [ipaddress.IPv4Address(0)]
    if address.sixtofour:
        embedded.append(address.sixtofour)
    if address.teredo:
        embedded += list(address.teredo)
    return embedded


def _rfc6052_ipv4(value: int, prefix: int) -> ipaddress.IPv4Address | None:
    """The IPv4 address at RFC 6052's place under a /`prefix`, or None where that reading breaks the
    RFC (bits 64-71, the "u" octet, and the bits after the IPv4 address must be zero)."""
    bits = f"{value:0128b}"
    if "1" in bits[64:72]:
        return None
    without_u = bits[:64] + bits[72:]
    start = prefix if prefix <= 64 else prefix - 8
    if "1" in without_u[start + 32:]:
        return None
    return ipaddress.IPv4Address(int(without_u[start:start + 32], 2))


def resolve_checked(url: str, policy: FetchPolicy) -> tuple[str, int, list[str]]:
    """Resolves the URL's host once and checks every address: (host, port, addresses to connect to)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise FetchError(url, "invalid URL: " + because(error, "it cannot be parsed as a URL")) from error
    host = parsed.raw_host.decode("ascii").lower()  # IDNA-encoded, as httpcore will name it
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if not host:
        raise FetchError(url, "no host in URL")
    if not 0 < port < 65536:
        raise FetchError(url, f"invalid port {port}")
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    trusted_hosts = {entry.lower() for entry in policy.trusted_hosts}
    trusted = shown in trusted_hosts or f"{host}:{port}" in trusted_hosts
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError.coded(url, "fetch.unresolved", host=host,
                               why=getattr(error, 'strerror', None) or str(error)) from error
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise FetchError.coded(url, "fetch.no-address", host=host)
    if not trusted:
        for text in addresses:
            if is_forbidden(ipaddress.ip_address(text)):
                raise FetchError.coded(url, "fetch.non-public", host=host, address=text, shown=shown)
    return host, port, addresses


class _PinnedBackend(httpcore.SyncBackend):
    """Connects only to addresses resolved and checked beforehand, never resolving a name itself.

    httpcore keeps the URL's host name for the Host header, TLS SNI and certificate verification,
    so an https feed is still verified against its name while the socket goes to the pinned IP.
    Every socket it opens answers to one deadline for the whole fetch (see _DeadlineStream)."""

    def __init__(self, deadline: float) -> None:
        self.pins: dict[tuple[str, int], list[str]] = {}
        self.deadline = deadline  # time.monotonic() by which the whole fetch must be done

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        addresses = self.pins.get((host.lower(), port))
        if not addresses:
            raise httpcore.ConnectError(f"{host}:{port} was not resolved and checked first")
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(address, port, _within(timeout, self.deadline, httpcore.ConnectTimeout),
                                             local_address, socket_options)
                return _DeadlineStream(stream, self.deadline)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure


def _within(timeout: float | None, deadline: float, late: type[Exception]) -> float:
    """The time an operation may take: its own timeout, cut to what is left before the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write ends by the fetch's deadline.

    httpx's timeouts are per operation: a server sending one byte of its headers a second never
    trips a 30 s read timeout, and httpx has no deadline for the headers (the body's is checked
    between chunks). Cutting each socket operation to the time left bounds the whole exchange."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self.inner = inner
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _within(timeout, self.deadline, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _within(timeout, self.deadline, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self.inner.start_tls(ssl_context, server_hostname,
                                     _within(timeout, self.deadline, httpcore.ConnectTimeout))
        return _DeadlineStream(inner, self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, backend: _PinnedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx does not let a transport choose httpcore's network backend: swap in a pool that uses
        # ours. The DNS-pinning test fails loudly should a new httpx rename this attribute.
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("httpx.HTTPTransport has no httpcore pool to pin: check the httpx version")
        self._pool = httpcore.ConnectionPool(ssl_context=_ssl_context(), network_backend=backend,
                                             max_connections=4)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Certificates verified against the URL's host name, with certifi's roots (no environment)."""
    return httpx.create_ssl_context(trust_env=False)


# --- HTTP ------------------------------------------------------------------------------------------

def _fetch_http(url: str, policy: FetchPolicy, accept: str, etag: str | None,
                last_modified: str | None) -> Fetched:
    deadline = time.monotonic() + policy.max_seconds
    headers = {"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    backend = _PinnedBackend(deadline)
    current, redirects, attempt = url, 0, 0
    with httpx.Client(transport=_PinnedTransport(backend), timeout=timeout, follow_redirects=False,
                      trust_env=False) as client:
        while True:
            host, port, addresses = resolve_checked(current, policy)
            backend.pins[(host, port)] = addresses
            try:
                with client.stream("GET", current, headers=headers) as response:
                    status = response.status_code
                    if status in REDIRECT_STATUSES:
                        redirects += 1
                        current = _redirect_target(url, current, response, redirects)
                        attempt = 0
                        continue
                    if status == 304:
                        return _fetched(current, response, b"", response.headers.get("etag") or etag,
                                        response.headers.get("last-modified") or last_modified)
                    if status == 410:
                        raise FeedGone.coded(current, "fetch.gone", status)
                    if status in RETRY_STATUSES and attempt < policy.retries:
                        wait = _retry_wait(current, response, attempt, policy)
                        if time.monotonic() + wait > deadline:
                            raise FetchError.coded(current, "fetch.no-time-to-retry", status, status=status,
                                                   seconds=f"{policy.max_seconds:g}")
                        attempt += 1
                        response.close()
                        time.sleep(wait)
                        continue
                    if status >= 300 or status < 200:
                        phrase = response.reason_phrase
                        if not phrase:  # a status without a name: said as it is (a code reads back its words)
                            tries = f" after {attempt} retries" if attempt else ""
                            raise FetchError(current, f"HTTP {status} {phrase}{tries}", status)
                        if attempt:
                            raise FetchError.coded(current, "fetch.http-status-retried", status, status=status,
                                                   phrase=phrase, retries=attempt)
                        raise FetchError.coded(current, "fetch.http-status", status, status=status, phrase=phrase)
                    body = _read_body(current, response, policy, deadline)
                    return _fetched(current, response, body, response.headers.get("etag"),
                                    response.headers.get("last-modified"))
            except httpx.TimeoutException as error:
                if time.monotonic() >= deadline:
                    raise FetchError.coded(current, "fetch.deadline", seconds=f"{policy.max_seconds:g}") from error
                raise FetchError.coded(current, _TIMEOUTS.get(type(error).__name__, "fetch.timeout"),
                                       connect=f"{policy.connect_timeout:g}",
                                       read=f"{policy.read_timeout:g}") from error
            except httpx.HTTPError as error:
                why = because(error, "the server's answer is not HTTP the hub can read")
                code = "fetch.connect-failed" if isinstance(error, httpx.ConnectError) else "fetch.request-failed"
                raise FetchError.coded(current, code, why=why) from error


def _fetched(url: str, response: httpx.Response, body: bytes, etag: str | None,
             last_modified: str | None) -> Fetched:
    return Fetched(url=url, body=body, content_type=response.headers.get("content-type"), fetched_at=now_iso(),
                   status=response.status_code, etag=etag, last_modified=last_modified,
                   headers=dict(response.headers))


def _redirect_target(origin: str, current: str, response: httpx.Response, redirects: int) -> str:
    if redirects > MAX_REDIRECTS:
        raise FetchError.coded(origin, "fetch.redirects", response.status_code, max=MAX_REDIRECTS, last=current)
    location = response.headers.get("location")
    if not location:
        raise FetchError.coded(current, "fetch.redirect-no-location", response.status_code,
                               status=response.status_code)
    target = urljoin(current, location.strip())
    scheme = urlparse(target).scheme.lower()
    if scheme == "file":
        raise FetchError.coded(current, "fetch.redirect-file", target=target)
    if scheme not in ("http", "https"):
        raise FetchError.coded(current, "fetch.redirect-scheme", target=target)
    return target


def _retry_wait(url: str, response: httpx.Response, attempt: int, policy: FetchPolicy) -> float:
    """Retry-After (seconds or an HTTP date) when the server gives one, else exponential back-off."""
    header = (response.headers.get("retry-after") or "").strip()
    seconds: float | None = None
    if header.isdigit():
        seconds = float(header)
    elif header:
        try:
            when = email.utils.parsedate_to_datetime(header)
            seconds = max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
        except (TypeError, ValueError):
            seconds = None  # an unreadable Retry-After: fall back to the back-off
    if seconds is None:
        return float(policy.backoff_base * 2 ** attempt)
    if seconds > policy.max_retry_after:
        raise FetchError.coded(url, "fetch.retry-after-too-long", response.status_code, status=response.status_code,
                               seconds=f"{seconds:.0f}", most=f"{policy.max_retry_after:g}")
    return seconds


def _read_body(url: str, response: httpx.Response, policy: FetchPolicy, deadline: float) -> bytes:
    """Streams the raw body, decoding gzip/deflate chunk by chunk, under both caps and the deadline."""
    limit = policy.max_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError.coded(url, "fetch.too-large-declared", declared=declared, max_bytes=limit)
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        raise FetchError(url, f"unsupported Content-Encoding {response.headers['content-encoding']!r}")
    inflater = _Inflater(url, codings[0], limit) if codings else None
    body = io.BytesIO()
    wire = 0
    for chunk in response.iter_raw():  # as it arrives: a fixed chunk size would wait to fill it
        wire += len(chunk)
        if wire > limit:
            raise FetchError.coded(url, "fetch.too-large", max_bytes=limit)
        body.write(inflater.feed(chunk) if inflater else chunk)
        if time.monotonic() > deadline:
            raise FetchError.coded(url, "fetch.deadline-body", seconds=f"{policy.max_seconds:g}")
    if inflater:
        inflater.finish()
    return body.getvalue()


class _Inflater:
    """Incremental gzip/deflate decoding that never produces more than `limit` bytes in total."""

    def __init__(self, url: str, coding: str, limit: int) -> None:
        self.url = url
        self.gzip = coding in ("gzip", "x-gzip")
        self.limit = limit
        self.produced = 0
        self.started = False
        self.decoder = self._decoder(raw=False)

    def _decoder(self, raw: bool) -> zlib._Decompress:
        # 31: gzip header; 15: zlib header (HTTP "deflate"); -15: bare deflate, which some servers send.
        return zlib.decompressobj(31 if self.gzip else (-15 if raw else 15))

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            try:
                piece = self.decoder.decompress(data, self.limit - self.produced + 1)
            except zlib.error as error:
                if not self.gzip and not self.started:
                    self.decoder, self.started = self._decoder(raw=True), True
                    continue
                raise FetchError(self.url, "corrupt compressed body: " + because(
                    error, "it does not decompress") + " (Content-Encoding says it is compressed)") from error
            self.started = True
            self.produced += len(piece)
            if self.produced > self.limit:
                raise FetchError.coded(self.url, "fetch.too-large-decoded", max_bytes=self.limit)
            out += piece
            data = self.decoder.unconsumed_tail
            if self.decoder.eof:
                # gzip allows several members one after the other; anything after deflate is ignored.
                data = self.decoder.unused_data if self.gzip else b""
                if data:
                    self.decoder = self._decoder(raw=False)
        return bytes(out)

    def finish(self) -> None:
        if not self.decoder.eof and self.started:
            raise FetchError(self.url, "compressed body ends before its end marker (truncated)")
