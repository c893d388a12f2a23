"""The documents of a source that fetches more than its configured URL: a paged API, a platform's pages and
profiles, containers, streams.

Such a source has a document source: its format's (harvesters/formats.py), or, for a source with a
`[source.paging]` table and a format that has none, the paged-API walk of harvesters/paging.py. Given the
configured URL and a fetch function, it yields the documents to lift, and `Failed` for a document that failed
alone. The function it gets is the guarded fetcher with the source's rules (hub/pipeline/fetch.py), and only
documents that function returned are taken: a format cannot fetch around the guard. Beyond the configured URL,
`file:` URLs are refused unless the configured URL is one itself (a remote page must not make the hub read its
disk).

A document whose server said it never changes (`Cache-Control: immutable`: an event stream's older pages) is
not asked again: the fetch function gives the body kept last time (status 304), and the walk remembers every such
document it met, yielded or not, in the source's state (`kept`).

The fetch function asks conditionally, page by page: a URL fetched before is asked with its ETag and
Last-Modified (the source's state), and a 304 comes back with the body kept last time, so that the source can
still read that page's links. A source whose index already says a document has not changed (Murmurations'
`last_updated`) may take it as kept, with no request at all (`kept`). It waits `delay` seconds between requests
when the paging says so. A walk is
bounded: at most MAX_DOCUMENTS fetches, and the source's `max_bytes` for all the bytes it transfers together
(each document also has it on its own); passing a bound stops the walk (WalkLimit), whatever the source does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

from harvesters.formats import Failed, Format, WalkStopped
from harvesters.paging import Paging, pages
from hub.core.durations import now_iso
from hub.pipeline.fetch import Fetched, FetchError, FetchPolicy, fetch

MAX_DOCUMENTS = 1000  # fetches of one walk: a platform's pages of 100 entries make 100,000 records

# What the hub knew of a URL from its last run: (ETag, Last-Modified, a function that reads the body kept then).
Previous = Callable[[str], tuple[str | None, str | None, Callable[[], bytes | None]] | None]
# The body kept of a URL whose server said it never changes, or None (ask it).
Reusable = Callable[[str], bytes | None]


def immutable(document: Fetched) -> bool:
    """Whether the answer said the document never changes (RFC 8246)."""
    return any(part.strip().lower() == "immutable" for part in document.headers.get("cache-control", "").split(","))


class WalkLimit(FetchError, WalkStopped):
    """A bound of the whole walk (fetches, bytes): it ends there, whatever the document source would do."""


class Fetcher:
    """The fetch function a document source gets (harvesters.formats.Fetch): guarded, bounded, conditional."""

    def __init__(self, name: str, url: str, policy: FetchPolicy, paging: Paging | None = None,
                 previous: Previous | None = None, reusable: Reusable | None = None) -> None:
        self.name = name
        self.url = url
        self.rules = policy if url.startswith("file:") else replace(policy, file_root=None)
        self.max_bytes = policy.max_bytes
        self._paging = paging
        self.previous = previous
        self.reusable = reusable
        self.fetched: dict[int, Fetched] = {}  # by identity: what the source yields must be what the fetcher gave
        self.count = 0
        self.total = 0
        self._last: float | None = None

    @property
    def paging(self) -> Paging | None:
        return self._paging

    def __call__(self, target: str) -> Fetched:
        if self.count >= MAX_DOCUMENTS:
            raise WalkLimit.coded(target, "walk.max-fetches", name=self.name, url=self.url, max=MAX_DOCUMENTS)
        kept = self.reusable(target) if self.reusable is not None else None
        if kept is not None:  # immutable, and read before: not asked again
            document = Fetched(target, kept, None, now_iso(), status=304, headers={"cache-control": "immutable"})
            self.fetched[id(document)] = document
            return document
        self.count += 1
        self._wait()
        known = self.previous(target) if self.previous is not None else None
        if known is not None:
            etag, last_modified, body_of = known
            document = fetch(target, self.rules, etag=etag, last_modified=last_modified)
            if document.not_modified:
                body = body_of()
                # The body kept last time, so the source can read the page again; without it, asked afresh.
                document = replace(document, body=body) if body is not None else fetch(target, self.rules)
        else:
            document = fetch(target, self.rules)
        if not document.not_modified:
            self.total += len(document.body)
            if self.total > self.max_bytes:
                raise WalkLimit.coded(target, "walk.max-bytes", name=self.name, url=self.url,
                                      max_bytes=self.max_bytes)
        self.fetched[id(document)] = document
        return document

    def kept(self, target: str) -> Fetched | None:
        """The document kept from the last run, without a request: a 304 with the body kept then (None when the hub
        kept none, or the charter changed since). Only for a document the source already knows to be unchanged."""
        known = self.previous(target) if self.previous is not None else None
        body = known[2]() if known is not None else None
        if known is None or body is None:
            return None
        document = Fetched(url=target, body=body, content_type=None, fetched_at=now_iso(), status=304,
                           etag=known[0], last_modified=known[1])
        self.fetched[id(document)] = document
        return document

    def compose(self, url: str, body: bytes, content_type: str) -> Fetched:
        """A document made of documents this function gave (an event stream's current state, built from its pages):
        nothing in it was fetched any other way, so the walk takes it like a fetched one (harvesters/ldes.py)."""
        document = Fetched(url, body, content_type, now_iso())
        self.fetched[id(document)] = document
        return document

    def _wait(self) -> None:
        delay = self._paging.delay if self._paging is not None else 0.0
        if delay and self._last is not None:
            time.sleep(max(0.0, self._last + delay - time.monotonic()))
        self._last = time.monotonic()


def walk(fmt: Format | None, url: str, policy: FetchPolicy, paging: Paging | None = None,
         previous: Previous | None = None, reusable: Reusable | None = None,
         kept: dict[str, Fetched] | None = None) -> Iterator[Fetched | Failed]:
    """The documents `fmt`'s document source (or, without one, the paged-API walk) reads from `url`, and `Failed`
    for those that failed alone. Raises FetchError or harvesters' DocumentFetchError (a fetch that failed and ended
    the walk, or a bound passed) or LiftError (a document the source could not read): the documents yielded so far
    stand. `kept` receives, by URL, every immutable document the fetch function gave (fetched or `reusable`)."""
    name = fmt.name if fmt is not None else "paged"
    fetcher = Fetcher(name, url, policy, paging, previous, reusable)
    try:
        yield from _walked(fmt, fetcher, url, paging, name)
    finally:
        if kept is not None:
            kept.update((document.url, document) for document in fetcher.fetched.values() if immutable(document))


def _walked(fmt: Format | None, fetcher: Fetcher, url: str, paging: Paging | None,
            name: str) -> Iterator[Fetched | Failed]:
    if fmt is not None and fmt.documents is not None:
        documents: Iterator[Fetched | Failed] = fmt.documents(url, fetcher)
    else:
        documents = pages(url, fetcher, paging)
    for document in documents:
        if isinstance(document, Failed):
            yield document
            continue
        if fetcher.fetched.get(id(document)) is not document:
            raise FetchError(url, f"the {name} format gave a document its fetch function did not fetch: "
                                  "refused (a format fetches only through the hub's guarded fetcher)")
        yield document


def walks(fmt: Format | None, paging: Paging | None) -> bool:
    """Whether a source's URLs are walked (its format has a document source, or it pages) rather than fetched."""
    return (fmt is not None and fmt.documents is not None) or paging is not None
