"""Remote JSON-LD contexts are inlined from what the hub ships, or from the resolver given; never fetched here."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import RdfFormat, parse

from harvesters.jsonld import ContextError, inline_contexts, shipped_resolver
from hub.core.namespaces import SCHEMA_HTTP


@pytest.mark.parametrize("url", ["https://schema.org", "http://schema.org/", "https://schema.org/",
                                 "https://schema.org/docs/jsonldcontext.jsonld", "http://schema.org/docs/jsonldcontext.json"])
def test_schema_org_contexts_are_served_from_the_shipped_copy(url: str) -> None:
    body = json.dumps({"@context": url, "@type": "Organization", "name": "Asbl"}).encode()
    inlined = inline_contexts(body)
    assert json.loads(inlined)["@context"]["@vocab"] == SCHEMA_HTTP
    triples = list(parse(inlined, format=RdfFormat.JSON_LD))
    assert {t.predicate.value for t in triples} == {"http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
                                                   SCHEMA_HTTP + "name"}


def test_any_other_remote_context_is_refused_with_its_url() -> None:
    body = b'{"@context": ["https://schema.org", "http://127.0.0.1:9/private.jsonld"], "name": "x"}'
    with pytest.raises(ContextError, match=r"http://127\.0\.0\.1:9/private\.jsonld is not one the hub ships"):
        inline_contexts(body)


def test_a_document_without_remote_context_is_returned_as_is() -> None:
    body = b'{"@context": {"@vocab": "https://schema.org/"}, "name": "x"}'
    assert inline_contexts(body) is body


def test_a_plugged_resolver_resolves_nested_contexts_in_lists_and_scopes() -> None:
    served = {
        "https://a.example/ctx": {"@context": ["https://b.example/ctx", {"name": "https://schema.org/name"}]},
        "https://b.example/ctx": {"@context": {"x": "https://x.example/"}},
    }
    asked: list[str] = []

    def resolve(url: str) -> bytes:
        asked.append(url)
        return json.dumps(served[url]).encode()

    body = json.dumps({"@context": "https://a.example/ctx", "name": "n",
                       "knows": {"@context": "https://a.example/ctx", "name": "m"}}).encode()
    inlined = json.loads(inline_contexts(body, resolve))
    assert inlined["@context"] == [{"x": "https://x.example/"}, {"name": "https://schema.org/name"}]
    assert inlined["knows"]["@context"] == inlined["@context"]
    assert asked == ["https://a.example/ctx", "https://b.example/ctx"]  # each context resolved once


def test_contexts_nesting_too_deep_or_too_big_are_refused() -> None:
    def loop(url: str) -> bytes:
        return json.dumps({"@context": url + "/more"}).encode()

    with pytest.raises(ContextError, match="deeper than 3 levels"):
        inline_contexts(b'{"@context": "https://loop.example/c"}', loop, max_depth=3)
    with pytest.raises(ContextError, match="exceed 1000 bytes"):
        inline_contexts(b'{"@context": "https://schema.org"}', shipped_resolver, max_bytes=1000)


def test_a_context_that_is_not_a_context_is_refused() -> None:
    with pytest.raises(ContextError, match="not JSON"):
        inline_contexts(b'{"@context": "https://x.example/c"}', lambda url: b"<html>")
    with pytest.raises(ContextError, match="has no @context"):
        inline_contexts(b'{"@context": "https://x.example/c"}', lambda url: b"{}")
    with pytest.raises(ValueError):
        inline_contexts(b"{not json")


def test_import_is_inlined_and_the_fetcher_can_follow_the_shipped_contexts() -> None:
    from harvesters.jsonld import shipped_then
    fetched: list[str] = []

    def fetcher(url: str) -> bytes:
        fetched.append(url)
        return json.dumps({"@context": {"a": "https://a.example/a", "b": "https://a.example/b"}}).encode()

    body = json.dumps({"@context": ["https://schema.org", {"@import": "https://a.example/ctx",
                                                           "b": "https://b.example/b"}], "a": "1", "b": "2"})
    inlined = json.loads(inline_contexts(body.encode(), shipped_then(fetcher)))
    assert fetched == ["https://a.example/ctx"]  # schema.org came from the shipped copy
    assert inlined["@context"][1] == {"a": "https://a.example/a", "b": "https://b.example/b"}
    triples = list(parse(json.dumps(inlined).encode(), format=RdfFormat.JSON_LD))
    assert {t.predicate.value for t in triples} == {"https://a.example/a", "https://b.example/b"}


def test_the_hub_context_is_served_from_the_shipped_copy() -> None:
    body = json.dumps({"@context": "https://w3id.org/mutualisons/context.jsonld", "@type": "Recommendation",
                       "recommends": "https://x.example/p", "name": "r"}).encode()
    triples = list(parse(inline_contexts(body), format=RdfFormat.JSON_LD))
    assert {t.predicate.value for t in triples} >= {"https://w3id.org/mutualisons/ns#recommends",
                                                   "https://schema.org/name"}


def test_broken_json_ld_is_a_lift_error_with_its_place() -> None:
    from harvesters.formats import LiftError
    from hub.core.iris import Minter
    from hub.pipeline.fetch import Fetched, now_iso
    from hub.pipeline.lifting import LiftOptions, lift_document
    fetched = Fetched(url="https://feed.example/broken.jsonld",
                      body=b'{\n  "@context": "https://schema.org",\n  "name": }',
                      content_type="application/ld+json", fetched_at=now_iso())
    with pytest.raises(LiftError) as caught:
        lift_document(fetched, LiftOptions(minter=Minter("http://hub.test/"), source_id="t", base_iri="http://hub.test/"))
    assert caught.value.line == 3 and "https://feed.example/broken.jsonld: jsonld line 3" in str(caught.value)
    refused = Fetched(url="https://feed.example/remote.jsonld", body=b'{"@context": "https://other.invalid/c"}',
                      content_type="application/ld+json", fetched_at=now_iso())
    with pytest.raises(LiftError, match="https://other.invalid/c is not one the hub ships"):
        lift_document(refused, LiftOptions(minter=Minter("http://hub.test/"), source_id="t", base_iri="http://hub.test/"))
