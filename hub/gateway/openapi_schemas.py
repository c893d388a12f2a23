"""What the collections answer, as OpenAPI says it: a schema and an example for each format, and the problems."""

from __future__ import annotations

from typing import Any

from hub.gateway.collection_index import FACETS

_STRINGS = {"type": "array", "items": {"type": "string"}}
_FACETS = {"type": "object", "description": "with facets=: per facet, the counts of its values under the filters",
           "additionalProperties": {"type": "object", "properties": {
               "results": {"type": "array", "items": {"type": "object", "properties": {
                   "value": {"type": "string"}, "count": {"type": "integer"}}}},
               "truncated": {"type": "boolean"}}}}
_RECORD = {"type": "object", "properties": {
    "graph": {"type": "string", "format": "uri"}, "source": {"type": "string", "format": "uri"},
    "license": {"type": "string", "nullable": True}, "changed": {"type": "string", "format": "date-time"},
    "run": {"type": "string", "nullable": True}}}

JSONLD_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["@context", "@type", "totalItems", "member"],
    "properties": {
        "@context": {"type": "string", "format": "uri", "description": "the hub's context (/context.jsonld)"},
        "@id": {"type": "string", "format": "uri"}, "@type": {"type": "string", "enum": ["Collection"]},
        "totalItems": {"type": "integer"},
        "view": {"type": "object", "properties": {"@id": {"type": "string"}, "first": {"type": "string"},
                                                  "next": {"type": "string"}}},
        "license": _STRINGS, "attribution": {"type": "array", "items": {"type": "object"}},
        "facets": _FACETS,
        "member": {"type": "array", "items": {
            "type": "object", "required": ["@id"], "additionalProperties": True,
            "description": "an item: its names, types, place, themes, provenance, and every other property its "
                           "records state (telephone, openingHoursSpecification, costOfServices…), compacted with "
                           "the hub's context",
            "properties": {"@id": {"type": "string", "format": "uri"}, "@type": {}, "name": {"type": "array"},
                           "sources": _STRINGS, "license": _STRINGS, "provenance": {"type": "string"},
                           "dateModified": {"type": "string"}}}}}}
GEOJSON_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"},
        "generation": {"type": "integer"}, "links": {"type": "array", "items": {"type": "object"}},
        "licenses": {"type": "array", "items": {"type": "object"}},
        "attribution": {"type": "array", "items": {"type": "object"}}, "facets": _FACETS,
        "features": {"type": "array", "items": {
            "type": "object", "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string", "format": "uri"},
                "geometry": {"type": "object", "nullable": True, "description": "Point, or the stored "
                             "LineString/Polygon (and their Multi forms)"},
                "properties": {"type": "object", "additionalProperties": {
                    "description": "every other property: a list of values"}, "properties": {
                    "@id": {"type": "string"}, "name": {"type": "string", "nullable": True},
                    "names": {"type": "object", "additionalProperties": {"type": "string"}},
                    "types": _STRINGS, "kinds": _STRINGS, "address": {"type": "object", "nullable": True},
                    "themes": _STRINGS, "keywords": _STRINGS, "sources": {"type": "array", "items": _RECORD},
                    "provenance": {"type": "string"}, "updated": {"type": "string"}}}}}}}}
_EXAMPLE_ID = "https://sante-solidaire.example/id/mm-bon-voisinage"
_EXAMPLE_SOURCE = "https://hub.example/source/sante-solidaire"
JSONLD_EXAMPLE = {
    "@context": "https://hub.example/context.jsonld", "@id": "https://hub.example/api/organizations?limit=1",
    "@type": "Collection", "totalItems": 41,
    "view": {"@id": "https://hub.example/api/organizations?limit=1", "@type": "PartialCollectionView",
             "first": "https://hub.example/api/organizations?limit=1",
             "next": "https://hub.example/api/organizations?limit=1&cursor=eyJnIjo0fQ"},
    "license": ["https://opendatacommons.org/licenses/odbl/1-0/"],
    "member": [{"@id": _EXAMPLE_ID, "@type": "MedicalClinic",
                "name": [{"@language": "fr", "@value": "Maison médicale du Bon Voisinage"}],
                "telephone": "+32 2 000 33 01", "sources": [_EXAMPLE_SOURCE],
                "license": ["https://opendatacommons.org/licenses/odbl/1-0/"],
                "geo": {"@type": "GeoCoordinates", "latitude": "50.833", "longitude": "4.38"}}]}
GEOJSON_EXAMPLE = {
    "type": "FeatureCollection", "numberMatched": 41, "numberReturned": 1, "generation": 4,
    "features": [{"type": "Feature", "id": _EXAMPLE_ID, "geometry": {"type": "Point", "coordinates": [4.38, 50.833]},
                  "properties": {"@id": _EXAMPLE_ID, "name": "Maison médicale du Bon Voisinage",
                                 "types": ["https://schema.org/MedicalClinic"], "telephone": ["+32 2 000 33 01"],
                                 "address": {"street": "Rue Gray 151", "postal": "1050", "locality": "Ixelles",
                                             "country": "BE"}}}],
    "facets": {"theme": {"results": [{"value": "https://w3id.org/mutualisons/ns#theme-health", "count": 9}],
                         "truncated": False}},
    "links": [{"rel": "self", "href": "https://hub.example/api/organizations?format=geojson&limit=1"}]}
CSV_EXAMPLE = ("id,name,types,longitude,latitude,street,postal_code,locality,url,keywords,themes,start,end,updated,"
               "sources,licenses,provenance,same_as,telephone\r\n"
               f"{_EXAMPLE_ID},Maison médicale du Bon Voisinage,https://schema.org/MedicalClinic,4.38,50.833,"
               "Rue Gray 151,1050,Ixelles,https://sante-solidaire.example/lieux/bon-voisinage,santé,,,,"
               f"2026-12-01T10:00:00Z,{_EXAMPLE_SOURCE},https://opendatacommons.org/licenses/odbl/1-0/,"
               "https://hub.example/api/provenance?subject=…,,+32 2 000 33 01\r\n")
TURTLE_EXAMPLE = (f"<{_EXAMPLE_ID}> a <https://schema.org/MedicalClinic> ;\n"
                  "  schema:name \"Maison médicale du Bon Voisinage\"@fr ;\n  schema:telephone \"+32 2 000 33 01\" .\n")
ICS_EXAMPLE = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mutualisons//hub//EN\r\nBEGIN:VEVENT\r\n"
               "UID:https://example.org/id/event/1\r\nSUMMARY:Repair café\r\nDTSTART:20270306T140000Z\r\n"
               "END:VEVENT\r\nEND:VCALENDAR\r\n")
PROBLEM_SCHEMA: dict[str, Any] = {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "detail": {"type": "string"}, "parameter": {"type": "string"}, "suggestion": {"type": "string"}}}


def collection_responses(events: bool) -> dict[int | str, dict[str, Any]]:
    content: dict[str, Any] = {
        "application/ld+json": {"schema": JSONLD_SCHEMA, "example": JSONLD_EXAMPLE},
        "application/geo+json": {"schema": GEOJSON_SCHEMA, "example": GEOJSON_EXAMPLE},
        "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
        "text/turtle": {"schema": {"type": "string"}, "example": TURTLE_EXAMPLE},
    }
    if events:
        content["text/calendar"] = {"schema": {"type": "string"}, "example": ICS_EXAMPLE}
    bad = {"type": "about:blank", "title": "Bad parameter", "status": 400, "parameter": "bboxx",
           "detail": "bboxx is not a parameter of this collection; it takes bbox, near, radius, … "
                     "(did you mean 'bbox'?)",
           "suggestion": "bbox"}
    refused = {"type": "about:blank", "title": "Not acceptable", "status": 406,
               "detail": "Accept: application/xml allows none of this collection's formats: application/ld+json, "
                         "application/geo+json, text/csv, text/turtle (or ask with format=)"}
    return {
        200: {"description": "One page of the collection (facets=" + ",".join(FACETS[:3]) + "… adds counts)",
              "content": content},
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
        400: {"description": "A malformed or unknown parameter or value (RFC 9457 problem), with the closest known "
                             "one", "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA,
                                                                             "example": bad}}},
        406: {"description": "The Accept header allows none of the formats",
              "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA, "example": refused}}},
    }
