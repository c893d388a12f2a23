"""Lines and polygons served as stored; licence and attribution in the ICS feed and on SPARQL answers."""

from __future__ import annotations

from typing import Any

import icalendar
from fastapi.testclient import TestClient

JP = "jardins-partages"


def features(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/organizations", params={"format": "geojson", "limit": 1000, **params})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["features"]
    return found


def test_lines_and_polygons_come_as_stored_with_their_point_beside(client: TestClient) -> None:
    by_name = {f["properties"]["name"]: f for f in features(client, lang="fr")}
    polygon = by_name["Jardin collectif de la Cité Modèle"]
    assert polygon["geometry"] == {"type": "Polygon", "coordinates": [[[4.3702, 50.8661], [4.3731, 50.8661],
                                                                       [4.3731, 50.8676], [4.3702, 50.8676],
                                                                       [4.3702, 50.8661]]]}
    lon, lat = polygon["properties"]["point"]
    assert 4.3702 <= lon <= 4.3731 and 50.8661 <= lat <= 50.8676  # a representative point, inside
    line = by_name["Haie nourricière de la Senne"]
    assert line["geometry"] == {"type": "LineString",
                                "coordinates": [[4.3505, 50.833], [4.353, 50.8345], [4.3561, 50.8352]]}
    # Not repeated among the properties; a point stays a point.
    assert not any("hasGeometry" in key for key in polygon["properties"])
    points = [f for f in features(client) if f["geometry"] and f["geometry"]["type"] == "Point"]
    assert points and all(f["geometry"]["coordinates"] == f["properties"]["point"] for f in points)
    # The box around the polygon's point finds it; JSON-LD and CSV keep the WKT.
    box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    assert polygon["id"] in {f["id"] for f in features(client, bbox=box)}
    member = next(m for m in client.get("/api/organizations", params={"limit": 1000}).json()["member"]
                  if m["@id"] == polygon["id"])
    assert "POLYGON" in str(member)
    assert "POLYGON" in client.get("/api/organizations", params={"format": "csv", "limit": 1000}).text


def test_the_ics_feed_says_its_licences_and_sources(client: TestClient) -> None:
    response = client.get("/api/events.ics")
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    licences = {s["license"] for s in client.get("/api/sources").json()["sources"]}
    assert "Licences:" in str(calendar["DESCRIPTION"])
    events = list(calendar.walk("VEVENT"))
    assert events
    for event in events:
        given = event.get("X-MUTUALISONS-LICENSE")
        given = [str(v) for v in (given if isinstance(given, list) else [given])]
        assert given and all(v.startswith("http") for v in given)
        assert licences and set(given) <= licences
        assert event.get("X-MUTUALISONS-ATTRIBUTION")
        assert "licence: " in str(event["DESCRIPTION"])


def test_sparql_answers_carry_license_links(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    links = response.links  # httpx parses Link headers by rel; several licences share one rel: read them all
    header = response.headers["link"]
    assert 'rel="license"' in header and links["author"]["url"].endswith("/api/sources")
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in header
    assert "https://opendatacommons.org/licenses/odbl/1-0/" in header
    post = client.post("/sparql", data={"query": "SELECT * { ?s ?p ?o } LIMIT 1"})
    assert 'rel="license"' in post.headers["link"]
