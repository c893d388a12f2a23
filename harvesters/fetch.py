"""The guarded fetcher: bytes plus HTTP metadata, for `file:` and `http(s):` URLs.

Every fetch a feed triggers goes through here. Loopback, private, link-local and reserved
addresses are refused unless the source lists them in `trusted_hosts`, so the hub never fetches
on a stranger's behalf into its own network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import httpx

MAX_REDIRECTS = 5
USER_AGENT = "Mutualisons-hub/0.1 (+https://w3id.org/mutualisons)"


class FetchError(Exception):
    """A fetch that failed: the message names the URL and the reason."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    url: str  # the document URL after redirects
    body: bytes
    content_type: str | None
    fetched_at: str
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class FetchPolicy:
    """What one source's fetches may do."""

    file_root: Path | None = None  # a source's own `file:` URLs must stay inside this folder
    trusted_hosts: tuple[str, ...] = ()
    max_bytes: int = 104_857_600
    connect_timeout: float = 10.0
    read_timeout: float = 30.0


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def expand_file_url(url: str, policy: FetchPolicy) -> list[str]:
    """A `file:` URL ending in `/` names a folder: its documents, sorted by name."""
    path = file_path(url, policy)
    if not url.endswith("/"):
        return [url]
    if not path.is_dir():
        raise FetchError(url, "this folder does not exist")
    names = sorted(child.name for child in path.iterdir() if child.is_file() and not child.name.startswith("."))
    if not names:
        raise FetchError(url, "this folder holds no document")
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


def fetch(url: str, policy: FetchPolicy) -> Fetched:
    scheme = urlparse(url).scheme
    if scheme == "file":
        return _fetch_file(url, policy)
    if scheme in ("http", "https"):
        return _fetch_http(url, policy)
    raise FetchError(url, f"unsupported URL scheme {scheme!r}")


def _fetch_file(url: str, policy: FetchPolicy) -> Fetched:
    path = file_path(url, policy)
    try:
        size = path.stat().st_size
        if size > policy.max_bytes:
            raise FetchError(url, f"{size} bytes exceeds max_bytes={policy.max_bytes}")
        body = path.read_bytes()
    except OSError as error:
        raise FetchError(url, f"cannot read: {error.strerror}") from error
    return Fetched(url=url, body=body, content_type=None, fetched_at=now_iso())


def check_address(url: str, policy: FetchPolicy) -> None:
    """Refuses a host that resolves to a non-public address, unless the source trusts it."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if f"{host}:{port}" in policy.trusted_hosts or f"[{host}]:{port}" in policy.trusted_hosts:
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise FetchError(url, f"cannot resolve {host}: {error.strerror}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(
                url, f"{host} resolves to non-public address {address}; list '{host}:{port}' in "
                     f"trusted_hosts to allow it"
            )


def _fetch_http(url: str, policy: FetchPolicy) -> Fetched:
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    headers = {"User-Agent": USER_AGENT, "Accept": "text/turtle, application/ld+json, application/trig, "
               "application/n-quads, application/n-triples, application/rdf+xml;q=0.9, */*;q=0.1"}
    current = url
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            check_address(current, policy)
            try:
                with client.stream("GET", current, headers=headers) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(current, f"HTTP {response.status_code} without Location")
                        current = urljoin(current, location)
                        if urlparse(current).scheme not in ("http", "https"):
                            raise FetchError(current, "redirect to a non-HTTP URL refused")
                        continue
                    if response.status_code >= 400:
                        raise FetchError(current, f"HTTP {response.status_code} {response.reason_phrase}")
                    body = _read_capped(current, response, policy.max_bytes)
                    return Fetched(
                        url=current,
                        body=body,
                        content_type=response.headers.get("content-type"),
                        fetched_at=now_iso(),
                        status=response.status_code,
                        etag=response.headers.get("etag"),
                        last_modified=response.headers.get("last-modified"),
                        headers=dict(response.headers),
                    )
            except httpx.TimeoutException as error:
                raise FetchError(current, f"timed out ({type(error).__name__})") from error
            except httpx.HTTPError as error:
                raise FetchError(current, f"HTTP error: {error}") from error
    raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")


def _read_capped(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(url, f"body exceeds max_bytes={max_bytes}")
        chunks.append(chunk)
    return b"".join(chunks)
