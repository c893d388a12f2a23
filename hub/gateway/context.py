"""The JSON-LD context the gateway compacts with and serves at `/context.jsonld`.

Kept in one place: when `vocab/context.jsonld` exists (the charter's shared context), it is used instead.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from hub.core.vocabulary import VOCAB_DIR

router = APIRouter(tags=["Collections"])

# The gateway's own terms, on top of schema.org as the default vocabulary.
GATEWAY_CONTEXT: dict[str, Any] = {
    "@vocab": "https://schema.org/",
    "schema": "https://schema.org/",
    "hub": "https://w3id.org/mutualisons/ns#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "name": {"@id": "schema:name", "@container": "@set"},
    "description": {"@id": "schema:description", "@container": "@set"},
    "keywords": {"@id": "schema:keywords", "@container": "@set"},
    "theme": {"@id": "hub:theme", "@type": "@id", "@container": "@set"},
    "verificationStatus": {"@id": "hub:verificationStatus"},
    "eventStatus": {"@id": "schema:eventStatus", "@type": "@vocab"},
    "url": {"@id": "schema:url", "@type": "@id"},
    "latitude": {"@id": "schema:latitude", "@type": "xsd:decimal"},
    "longitude": {"@id": "schema:longitude", "@type": "xsd:decimal"},
    "sources": {"@id": "dcterms:source", "@type": "@id", "@container": "@set"},
    "license": {"@id": "dcterms:license", "@type": "@id", "@container": "@set"},
    "records": {"@id": "hub:recordGraph", "@type": "@id", "@container": "@set"},
    "generatedAtTime": {"@id": "prov:generatedAtTime", "@type": "xsd:dateTime"},
    "wasGeneratedBy": {"@id": "prov:wasGeneratedBy", "@type": "@id"},
    "provenance": {"@id": "hub:provenance", "@type": "@id"},
    "alternatives": {"@id": "hub:alternativeGeo", "@container": "@set"},
    "suppliedBy": {"@id": "hub:suppliedBy", "@type": "@id", "@container": "@set"},
    "category": {"@id": "schema:category", "@type": "@id", "@container": "@set"},
    "hasCertification": {"@id": "schema:hasCertification", "@type": "@id", "@container": "@set"},
    "unitCode": {"@id": "schema:unitCode", "@type": "@id"},
    "offers": {"@id": "schema:offers", "@container": "@set"},
    "attribution": {"@id": "hub:attribution", "@container": "@set"},
    "publisherName": {"@id": "hub:publisherName"},
    # A merged item (IRIs of one alternative the links graph joins): its other IRIs, each member's own values,
    # and the values its sources disagree on (docs/api.md, "Merged items").
    "sameAs": {"@id": "owl:sameAs", "@type": "@id", "@container": "@set"},
    "owl": "http://www.w3.org/2002/07/owl#",
    "members": {"@id": "hub:clusterMember", "@container": "@set"},
    "conflicts": {"@id": "hub:conflict", "@container": "@set"},
    "property": {"@id": "hub:conflictProperty"},
    "values": {"@id": "hub:conflictValue", "@container": "@set"},
    "text": {"@id": "hub:conflictText"},
    "facets": {"@id": "hub:facets", "@type": "@json"},  # `facets=` counts (docs/api.md, "Facets")
    "Collection": "hydra:Collection",
    "PartialCollectionView": "hydra:PartialCollectionView",
    "member": {"@id": "hydra:member", "@container": "@set"},
    "totalItems": {"@id": "hydra:totalItems", "@type": "xsd:integer"},
    "view": {"@id": "hydra:view"},
    "first": {"@id": "hydra:first", "@type": "@id"},
    "next": {"@id": "hydra:next", "@type": "@id"},
}


@lru_cache(maxsize=1)
def context() -> dict[str, Any]:
    shared = VOCAB_DIR / "context.jsonld"
    if shared.exists():
        loaded = json.loads(shared.read_text(encoding="utf-8"))
        inner = loaded.get("@context", loaded)
        if isinstance(inner, dict):
            # The shared context names the charter's terms; the gateway's own (Hydra, provenance, and the
            # shapes of its answers: sets for names, licences, sources) take precedence, so the answers
            # keep one form.
            return {**inner, **GATEWAY_CONTEXT}
    return GATEWAY_CONTEXT


@router.get("/context.jsonld", summary="The JSON-LD context of the gateway's collections")
async def context_document() -> JSONResponse:
    return JSONResponse({"@context": context()}, media_type="application/ld+json",
                        headers={"Cache-Control": "public, max-age=3600"})


@lru_cache(maxsize=1)
def _terms() -> tuple[dict[str, str], dict[str, str]]:
    """The context's prefixes (name -> namespace) and its terms by the IRI they stand for (the first wins)."""
    ctx = context()
    prefixes = {name: value for name, value in ctx.items()
                if isinstance(value, str) and not name.startswith("@") and value.endswith(("/", "#"))}

    def expand(value: str) -> str:
        prefix, _, local = value.partition(":")
        return prefixes[prefix] + local if prefix in prefixes and not local.startswith("//") else value

    by_iri: dict[str, str] = {}
    for name, value in ctx.items():
        if name.startswith("@") or name in prefixes:
            continue
        iri = value if isinstance(value, str) else value.get("@id") if isinstance(value, dict) else None
        if isinstance(iri, str):
            by_iri.setdefault(expand(iri), name)
    return prefixes, by_iri


@lru_cache(maxsize=4096)
def short_name(iri: str) -> str:
    """The name a property goes by in the gateway's plain answers (GeoJSON, CSV, `fields=`): its term in the
    context (`audience` for hub:audience), else its schema.org local name when no term takes that name
    (`telephone`), else a compact IRI (`schema:license`, as dcterms:license is `license`), else the IRI."""
    prefixes, by_iri = _terms()
    if iri in by_iri:
        return by_iri[iri]
    terms = set(by_iri.values())
    vocab = context().get("@vocab", "")
    if vocab and iri.startswith(vocab) and iri[len(vocab):] not in terms:
        return iri[len(vocab):]
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri
