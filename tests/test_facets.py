"""`facets=`: counts per value under the current filters, from the generation's index, in JSON-LD and GeoJSON."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi.testclient import TestClient

from hub.gateway.collection_index import FACETS, CollectionIndex, Filters

THEME = "https://w3id.org/mutualisons/ns#theme-"


def geo(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/organizations", params={"format": "geojson", **params})
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def counted(features: list[dict[str, Any]], read: Any) -> dict[str, int]:
    counter: Counter[str] = Counter()
    for feature in features:
        counter.update(set(read(feature["properties"])))
    return dict(counter)


def as_dict(facet: dict[str, Any]) -> dict[str, int]:
    return {entry["value"]: entry["count"] for entry in facet["results"]}


READERS = {
    "theme": lambda p: p["themes"],
    "kind": lambda p: p["kinds"],
    "type": lambda p: p["types"],
    "source": lambda p: [s["source"] for s in p["sources"]],
    "audience": lambda p: p.get("audience", []),
    "locality": lambda p: [p["address"]["locality"]] if p["address"] and "locality" in p["address"] else [],
}


def test_facet_counts_are_those_of_the_matching_items(client: TestClient) -> None:
    for filters in ({}, {"q": "tuin"}, {"bbox": "4.33,50.83,4.37,50.86"}, {"theme": "theme:food"},
                    {"audience": "precarity", "source": "sante-solidaire"}):
        everything = geo(client, limit=1000, **filters)
        faceted = geo(client, limit=1, facets=",".join(READERS), **filters)
        assert len(faceted["features"]) <= 1  # facets count every match, not the page
        for name, read in READERS.items():
            assert as_dict(faceted["facets"][name]) == counted(everything["features"], read), (filters, name)
            assert faceted["facets"][name]["truncated"] is False
        assert sum(as_dict(faceted["facets"]["kind"]).values()) == everything["numberMatched"]


def test_most_frequent_first_and_in_json_ld_too(client: TestClient) -> None:
    themes = geo(client, facets="theme")["facets"]["theme"]["results"]
    counts = [entry["count"] for entry in themes]
    assert counts == sorted(counts, reverse=True) and counts[0] > 1
    document = client.get("/api/organizations", params={"facets": "theme,verified"}).json()
    assert document["facets"]["theme"]["results"] == themes
    assert sum(e["count"] for e in document["facets"]["verified"]["results"]) == document["totalItems"]
    people = client.get("/api/people", params={"facets": "verified,availability", "type": "HealthPractitioner"})
    verified = as_dict(people.json()["facets"]["verified"])
    assert verified == {"true": 1, "false": 1}
    assert as_dict(people.json()["facets"]["availability"]) == {"Monday": 1, "Wednesday": 1}


def test_a_wrong_facet_is_a_400_naming_it(client: TestClient) -> None:
    wrong = client.get("/api/organizations", params={"facets": "theme,sorce"})
    assert wrong.status_code == 400 and wrong.json()["parameter"] == "facets"
    assert wrong.json()["suggestion"] == "source"
    csv = client.get("/api/organizations", params={"facets": "theme", "format": "csv"})
    assert csv.status_code == 400 and csv.json()["parameter"] == "facets"


def test_every_facet_has_a_reader_and_unfiltered_counts_are_kept(client: TestClient) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    index: CollectionIndex = state.index_cache.get(state.reader.published())
    first = index.facets(Filters(kinds=("organization",)), FACETS)
    assert set(first) == set(FACETS)
    assert index.facets(Filters(kinds=("organization",)), ["kind"]) == {"kind": first["kind"]}
    assert as_dict(first["kind"]) == {"organization": len(index.matching(Filters(kinds=("organization",))))}
