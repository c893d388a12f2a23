"""Inline remote JSON-LD `@context`s before pyoxigraph parses a document (it cannot load them itself).

`inline_contexts` replaces every `@context` that is a URL (alone or in a list, at any depth, and in
the contexts it loads) with the `@context` of the document `resolve(url)` returns. Resolving is the
caller's business: `shipped_resolver` serves only the contexts shipped in `vocab/` (schema.org's, the
Data Food Consortium's, the hub's: vocab/contexts/README.md) and refuses anything else; the guarded HTTP
fetcher can be plugged in instead. This module never touches the network.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from harvesters.limits import TooDeep, check_json_depth
from harvesters.wording import because

VOCAB_DIR = Path(__file__).resolve().parent.parent / "vocab"
SCHEMA_ORG_CONTEXT = VOCAB_DIR / "contexts" / "schemaorg.jsonld"
HUB_CONTEXT = VOCAB_DIR / "context.jsonld"
HUB_CONTEXT_URL = "https://w3id.org/mutualisons/context.jsonld"
# The Data Food Consortium's context, as its connector bundles it (npm @datafoodconsortium/connector): DFC
# catalogues (Open Food Network's among them) name it by its versioned URL or by DFC's home page.
DFC_CONTEXT = VOCAB_DIR / "contexts" / "dfc-1.16.0.jsonld"
DFC_CONTEXT_URL = "https://www.datafoodconsortium.org/wp-content/plugins/wordpress-context-jsonld/context_1.16.0.jsonld"
DEFAULT_MAX_DEPTH = 8
DEFAULT_MAX_BYTES = 4 * 1024 * 1024

Resolver = Callable[[str], bytes]


class ContextError(Exception):
    """A context that could not be inlined: names the context URL and the reason."""


def _schema_org_urls() -> set[str]:
    urls = set()
    for scheme in ("http", "https"):
        for host in ("schema.org", "www.schema.org"):
            base = f"{scheme}://{host}"
            urls |= {base, base + "/", base + "/docs/jsonldcontext.jsonld", base + "/docs/jsonldcontext.json",
                     base + "/docs/jsonldcontext.json.txt"}
    return urls


def _dfc_urls() -> set[str]:
    homes = {f"{scheme}://{host}{end}" for scheme in ("http", "https")
             for host in ("www.datafoodconsortium.org", "datafoodconsortium.org") for end in ("", "/")}
    return homes | {DFC_CONTEXT_URL}


SHIPPED: dict[str, Path] = {**{url: SCHEMA_ORG_CONTEXT for url in _schema_org_urls()},
                            **{url: DFC_CONTEXT for url in _dfc_urls()}, HUB_CONTEXT_URL: HUB_CONTEXT}


def shipped_resolver(url: str) -> bytes:
    """Serves the shipped contexts; any other URL is refused (no HTTP here)."""
    path = SHIPPED.get(url)
    if path is None:
        raise ContextError(f"remote JSON-LD context {url} is not one the hub ships (schema.org's, the Data "
                           f"Food Consortium's or the hub's own); inline it in the document, or use https://schema.org")
    return path.read_bytes()


def shipped_then(fallback: Resolver) -> Resolver:
    """The shipped contexts first, then `fallback` (e.g. the guarded fetcher) for any other URL."""
    def resolve(url: str) -> bytes:
        return shipped_resolver(url) if url in SHIPPED else fallback(url)
    return resolve


def cached(resolve: Resolver) -> Resolver:
    """Each remote context fetched once (per harvest of a source): documents of a feed share contexts.
    A failure is not cached, so the next document reports it too."""
    seen: dict[str, bytes] = {}

    def resolve_once(url: str) -> bytes:
        if url not in seen:
            seen[url] = resolve(url)
        return seen[url]
    return resolve_once


def inline_contexts(body: bytes, resolve: Resolver = shipped_resolver, max_depth: int = DEFAULT_MAX_DEPTH,
                    max_bytes: int = DEFAULT_MAX_BYTES, base: str | None = None) -> bytes:
    """The document with every remote context inlined; the body unchanged when it has none.

    Raises ContextError (context not allowed, too deep, too big, not JSON, no @context in it),
    harvesters.limits.TooDeep when the body nests too deep, and ValueError when it is not JSON.
    """
    check_json_depth(body)  # json.loads and the walk below recurse: bounded before they start
    document = json.loads(body)
    state = _State(resolve, max_depth, max_bytes)
    inlined = state.walk(document, depth=0, base=base)
    if not state.resolved:
        return body
    return json.dumps(inlined, ensure_ascii=False).encode("utf-8")


class _State:
    def __init__(self, resolve: Resolver, max_depth: int, max_bytes: int) -> None:
        self.resolve = resolve
        self.max_depth = max_depth
        self.max_bytes = max_bytes
        self.loaded_bytes = 0
        self.resolved = 0
        self.cache: dict[str, Any] = {}

    def walk(self, node: Any, depth: int, base: str | None) -> Any:
        if isinstance(node, list):
            return [self.walk(item, depth, base) for item in node]
        if not isinstance(node, dict):
            return node
        result = {}
        for key, value in node.items():
            if key == "@context":
                result[key] = self.context(value, depth, base)
            else:
                result[key] = self.walk(value, depth, base)
        return result

    def context(self, value: Any, depth: int, base: str | None) -> Any:
        if isinstance(value, str):
            return self.load(urljoin(base, value) if base else value, depth)
        if isinstance(value, list):
            return [self.context(item, depth, base) for item in value]
        if isinstance(value, dict):  # scoped contexts inside term definitions may name URLs too
            imported = value.get("@import")
            if isinstance(imported, str):
                # JSON-LD 1.1 @import: the imported context's terms, then this context's own.
                loaded = self.load(urljoin(base, imported) if base else imported, depth)
                if not isinstance(loaded, dict):
                    raise ContextError(f"JSON-LD context {imported}: @import needs a context object")
                merged = {**loaded, **{k: v for k, v in value.items() if k != "@import"}}
                return self.walk(merged, depth, base)
            return self.walk(value, depth, base)
        return value

    def load(self, url: str, depth: int) -> Any:
        if depth >= self.max_depth:
            raise ContextError(f"JSON-LD context {url}: contexts nest deeper than {self.max_depth} levels")
        if url in self.cache:
            return self.cache[url]
        raw = self.resolve(url)
        self.loaded_bytes += len(raw)
        if self.loaded_bytes > self.max_bytes:
            raise ContextError(f"JSON-LD context {url}: the contexts of one document exceed {self.max_bytes} bytes")
        try:
            check_json_depth(raw)
            loaded = json.loads(raw)
        except TooDeep as error:
            raise ContextError(f"JSON-LD context {url}: {error}") from error
        except ValueError as error:
            raise ContextError(f"JSON-LD context {url}: not JSON ({because(error, 'its syntax is broken')})") from error
        if not isinstance(loaded, dict) or "@context" not in loaded:
            raise ContextError(f"JSON-LD context {url}: the document has no @context")
        self.resolved += 1
        inner = self.context(loaded["@context"], depth + 1, url)
        self.cache[url] = inner
        return inner
