"""The documents of a format that fetches more than its configured URL (pages, profiles, containers, streams).

Such a format has a document source in the table of formats (harvesters/formats.py): given the configured
URL and a fetch function, it yields the documents to lift. The function it gets is the guarded fetcher with
the source's rules (hub/pipeline/fetch.py), and only documents that function returned are taken: a format
cannot fetch around the guard. Beyond the configured URL, `file:` URLs are refused unless the configured URL
is one itself (a remote page must not make the hub read its disk). A walk is bounded: at most MAX_DOCUMENTS
fetches, and the source's `max_bytes` for all of them together (each document also has it on its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from harvesters.formats import Format
from hub.pipeline.fetch import Fetched, FetchError, FetchPolicy, fetch

MAX_DOCUMENTS = 1000  # fetches of one walk: a platform's pages of 100 entries make 100,000 records


def walk(fmt: Format, url: str, policy: FetchPolicy) -> Iterator[Fetched]:
    """The documents `fmt`'s document source reads from `url`. Raises FetchError (a fetch that failed or a
    bound passed) or LiftError (a document the source could not read): the documents yielded so far stand."""
    assert fmt.documents is not None
    rules = policy if url.startswith("file:") else replace(policy, file_root=None)
    fetched: dict[int, Fetched] = {}  # by identity: what the source yields must be what the fetcher gave
    total = 0

    def guarded(target: str) -> Fetched:
        nonlocal total
        if len(fetched) >= MAX_DOCUMENTS:
            raise FetchError(target, f"the {fmt.name} documents of {url} need more than {MAX_DOCUMENTS} fetches: "
                                     "the walk stops here")
        document = fetch(target, rules)
        total += len(document.body)
        if total > policy.max_bytes:
            raise FetchError(target, f"the {fmt.name} documents of {url} exceed max_bytes={policy.max_bytes} "
                                     "together: the walk stops here")
        fetched[id(document)] = document
        return document

    for document in fmt.documents(url, guarded):
        if fetched.get(id(document)) is not document:
            raise FetchError(url, f"the {fmt.name} format gave a document its fetch function did not fetch: "
                                  "refused (a format fetches only through the hub's guarded fetcher)")
        yield document
