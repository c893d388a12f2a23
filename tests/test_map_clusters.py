"""`/api/map/clusters`: the map's clusters counted on the server, under the collections' filters.

On the harvested examples (a few dozen places: points), and on 20,000 generated places held by the index of the
examples' generation (bench/map_places.py: the index is built from generated items, not by harvesting them).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.map_places import places_reader
from hub.core.config import Settings
from hub.core.iris import Minter
from hub.core.vocabulary import default_vocabulary
from hub.gateway import map_grid
from hub.gateway.app import create_app
from hub.gateway.collection_index import CollectionIndex, Filters, IndexCache, IndexParts, Item, RecordRef

REGION = "4.2,50.7,4.5,50.95"  # holds every generated place (4.25–4.48, 50.77–50.91)
FOOD = "https://w3id.org/mutualisons/ns#theme-food"
PLACES = 20_000


@pytest.fixture(scope="module")
def generated(harvested: tuple[Settings, object]) -> Iterator[TestClient]:
    settings, _ = harvested
    app = create_app(settings)
    app.state.index_cache = IndexCache(app.state.reader.minter, read=places_reader(PLACES, settings.base_iri))
    with TestClient(app) as client:
        yield client


def clusters(client: TestClient, **params: str) -> dict[str, Any]:
    answer = client.get("/api/map/clusters", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert answer.headers["X-Total-Count"] == str(body["total"])
    return body


def listed(client: TestClient, collection: str = "organizations", **params: str) -> int:
    answer = client.get(f"/api/{collection}", params={"limit": "1", **params})
    assert answer.status_code == 200, answer.text
    return int(answer.headers["X-Total-Count"])


def counted(body: dict[str, Any]) -> int:
    return sum(c["count"] for c in body["clusters"]) if body["mode"] == "clusters" else len(body["points"])


def test_the_examples_in_view_are_points_that_the_collection_also_counts(client: TestClient) -> None:
    body = clusters(client, bbox="4.2,50.7,4.5,50.95", zoom="12", lang="fr")
    total = listed(client, bbox="4.2,50.7,4.5,50.95")
    assert body["mode"] == "points" and body["clusters"] == []
    assert body["total"] == len(body["points"]) == total >= 20
    names = {p["name"] for p in body["points"]}
    assert "Potager du Canal" in names
    for point in body["points"]:
        assert 4.2 <= point["lon"] <= 4.5 and 50.7 <= point["lat"] <= 50.95
        assert point["id"].startswith("http")
    # The places named carry their sources' attribution, as the collections' pages do.
    sources = {entry["source"].rsplit("/", 1)[-1]: entry for entry in body["attribution"]}
    assert {"jardins-partages", "repair-cafes"} <= set(sources)
    assert all(entry["name"] and entry["license"] for entry in sources.values())
    # Pins are coloured by the top theme of the hub's scheme: a garden's narrower theme counts as food.
    assert body["themes"].get(FOOD, 0) >= 1
    assert all(p["theme"] is None or p["theme"].startswith(map_grid.THEME_PREFIX) for p in body["points"])


def test_the_examples_under_filters_count_what_the_collection_lists(client: TestClient) -> None:
    for filters in ({"source": "jardins-partages"}, {"q": "jardin"}, {"theme": "theme:food"},
                    {"type": "MedicalClinic"}, {"verified": "true"}):
        body = clusters(client, bbox="4.2,50.7,4.5,50.95", zoom="13", **filters)
        assert body["total"] == counted(body) == listed(client, bbox="4.2,50.7,4.5,50.95", **filters), filters
    assert 0 < clusters(client, bbox=REGION, zoom="13", source="jardins-partages")["total"] < \
        clusters(client, bbox=REGION, zoom="13")["total"]


@pytest.mark.parametrize("zoom", [0, 5, 10, 12, 14, 16, 18, 22])
def test_every_generated_place_is_in_one_cluster_at_every_zoom(generated: TestClient, zoom: int) -> None:
    body = clusters(generated, bbox=REGION, zoom=str(zoom))
    assert body["mode"] == "clusters"
    assert body["total"] == counted(body) == PLACES == listed(generated, bbox=REGION)
    assert len(body["clusters"]) <= map_grid.MAX_CELLS
    for found in body["clusters"]:
        if found["count"] > 1:
            west, south, east, north = found["bbox"]
            assert west <= found["lon"] <= east and south <= found["lat"] <= north
        else:
            assert found["id"].startswith("https://bench.example/org/") and found["name"]


def test_clusters_get_finer_as_the_map_zooms_in(generated: TestClient) -> None:
    sizes = [len(clusters(generated, bbox=REGION, zoom=str(zoom))["clusters"]) for zoom in (8, 10, 12, 13)]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert sizes[0] <= 4  # the whole region at zoom 8 is a few cells of 64 pixels


def test_the_answer_is_bounded_whatever_the_box_and_zoom(generated: TestClient) -> None:
    # The whole world at the deepest zoom would be billions of cells: the cells grow instead.
    body = clusters(generated, bbox="-180,-85,180,85", zoom="22")
    assert body["total"] == counted(body) == PLACES
    assert body["cellPixels"] > map_grid.CELL_PIXELS
    assert len(body["clusters"]) <= map_grid.MAX_CELLS
    answer = generated.get("/api/map/clusters", params={"bbox": REGION, "zoom": "22"})
    assert len(answer.content) < 1_000_000, len(answer.content)


def test_generated_places_under_filters_count_what_the_collection_lists(generated: TestClient) -> None:
    food = clusters(generated, bbox=REGION, zoom="12", theme="theme:food")
    assert food["total"] == counted(food) == listed(generated, bbox=REGION, theme="theme:food")
    assert 0 < food["total"] < PLACES
    assert set(food["themes"]) == {FOOD}
    assert sum(c["themes"].get(FOOD, 0) for c in food["clusters"] if c["count"] > 1) \
        + sum(1 for c in food["clusters"] if c["count"] == 1) == food["total"]
    everything = clusters(generated, bbox=REGION, zoom="12")
    themed = sum(everything["themes"].values())
    assert 0 < themed < PLACES  # every ninth place has no theme
    searched = clusters(generated, bbox=REGION, zoom="12", q="initiative 1234")
    assert searched["total"] == listed(generated, bbox=REGION, q="initiative 1234") >= 1
    assert searched["mode"] == "points"
    assert "Initiative 1234" in {p["name"] for p in searched["points"]}
    assert clusters(generated, bbox=REGION, zoom="12", source="generated")["total"] == PLACES
    assert clusters(generated, bbox=REGION, zoom="12", source="jardins-partages")["total"] == 0


def test_a_box_edge_through_a_place_includes_it(generated: TestClient) -> None:
    point = clusters(generated, bbox=REGION, zoom="12", q="initiative 19999")["points"]
    chosen = next(p for p in point if p["name"] == "Initiative 19999")
    lon, lat = chosen["lon"], chosen["lat"]
    for bbox in (f"{lon},{lat},{lon + 0.01},{lat + 0.01}", f"{lon - 0.01},{lat - 0.01},{lon},{lat}",
                 f"{lon},{lat},{lon},{lat}"):
        body = clusters(generated, bbox=bbox, zoom="18")
        assert chosen["id"] in {p["id"] for p in body["points"]}, bbox
        assert body["total"] == listed(generated, bbox=bbox)
    # Just outside the place's corner: not there.
    body = clusters(generated, bbox=f"{lon + 0.000001},{lat + 0.000001},{lon + 0.01},{lat + 0.01}", zoom="18")
    assert chosen["id"] not in {p["id"] for p in body["points"]}


def test_few_places_in_view_are_points_many_are_clusters(generated: TestClient) -> None:
    # A small box deep in the region: under the point limit, the places themselves.
    small = clusters(generated, bbox="4.35,50.84,4.352,50.842", zoom="17")
    assert small["mode"] == "points" and 0 < small["total"] <= map_grid.POINT_LIMIT
    assert small["total"] == len(small["points"]) == listed(generated, bbox="4.35,50.84,4.352,50.842")
    large = clusters(generated, bbox="4.3,50.8,4.4,50.9", zoom="14")
    assert large["mode"] == "clusters" and large["total"] > map_grid.POINT_LIMIT


@pytest.mark.parametrize(("params", "parameter", "says"), [
    ({"bbox": REGION}, "zoom", "zoom level"),
    ({"bbox": REGION, "zoom": "23"}, "zoom", "0 to 22"),
    ({"bbox": REGION, "zoom": "ten"}, "zoom", "whole number"),
    ({"zoom": "12"}, "bbox", "is required"),
    ({"bbox": "4.5,50.7,4.2,50.95", "zoom": "12"}, "bbox", "minLon <= maxLon"),
    ({"bboxx": REGION, "zoom": "12"}, "bboxx", "did you mean bbox"),
    ({"bbox": REGION, "zoom": "12", "limit": "10"}, "limit", "page the places through /api/organizations"),
    ({"bbox": REGION, "zoom": "12", "collection": "organisations"}, "collection", "did you mean organizations"),
    ({"bbox": REGION, "zoom": "12", "from": "2027-01-01"}, "from", "is not a parameter"),
])
def test_a_wrong_call_is_a_400_that_names_the_parameter(client: TestClient, params: dict[str, str], parameter: str,
                                                        says: str) -> None:
    answer = client.get("/api/map/clusters", params=params)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["parameter"] == parameter
    assert says in answer.json()["detail"], answer.json()["detail"]


def test_events_are_clustered_with_their_own_filters(client: TestClient) -> None:
    body = clusters(client, collection="events", bbox=REGION, zoom="12", **{"from": "2027-01-01"})
    assert body["collection"] == "events"
    assert body["total"] == listed(client, "events", bbox=REGION, **{"from": "2027-01-01"})


def test_the_answer_is_cached_by_etag(client: TestClient) -> None:
    first = client.get("/api/map/clusters", params={"bbox": REGION, "zoom": "12"})
    again = client.get("/api/map/clusters", params={"bbox": REGION, "zoom": "12"},
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_long_names_and_many_themes_keep_the_answer_bounded() -> None:
    # 20 top themes, 2,000 places at one spot, each with a name of 5,000 characters.
    themes = [f"{map_grid.THEME_PREFIX}t{number:02d}" for number in range(20)]
    items = []
    for number in range(2000):
        item = Item(f"https://example.org/place/{number:04d}", kinds={"organization"},
                    names=[("fr", "N" * 5000)], themes={themes[number % 20]})
        item.points.append(("2026-12-01T00:00:00Z", 4.35, 50.85, "https://example.org/graph"))
        item.records.append(RecordRef("https://example.org/graph", "https://example.org/source/s", None,
                                      "2026-12-01T00:00:00Z", None))
        items.append(item)
    parts = IndexParts(items, {}, {}, {theme: {theme[-3:]} for theme in themes})
    published = SimpleNamespace(generation=SimpleNamespace(number=1), store=None)
    index = CollectionIndex(published, Minter("https://example.org/"), default_vocabulary().hierarchy,  # type: ignore[arg-type]
                            parts)
    wide = Filters(kinds=("organization",), bbox=(4.0, 50.0, 5.0, 51.0))
    answer = map_grid.cluster(index, wide, 22, ("fr",))
    assert answer.mode == "clusters" and [c["count"] for c in answer.clusters] == [2000]
    assert len(answer.clusters[0]["themes"]) == map_grid.CLUSTER_THEMES
    assert len(answer.themes) == 20 and sum(answer.themes.values()) == 2000
    few = map_grid.cluster(index, wide, 22, ("fr",), point_limit=5000)
    assert few.mode == "points" and len(few.points) == 2000
    assert all(len(point["name"]) == map_grid.NAME_CHARACTERS for point in few.points)
