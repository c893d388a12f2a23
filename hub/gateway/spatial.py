"""A grid of points for bounding-box and radius queries, built per generation (DESIGN.md, "Serve").

A SPARQL FILTER over 100k places scans them all (~350 ms); the grid only looks at the cells a box
covers, so a box holding 1% of the places touches about that many points. Pure Python, no native
dependency: cells are a dict, so the grid is as sparse as the data.
"""

from __future__ import annotations

import math
from collections import defaultdict

EARTH_RADIUS_M = 6_371_008.8


class PointGrid:
    def __init__(self, cell_degrees: float = 0.005) -> None:
        self.cell = cell_degrees
        self._cells: dict[tuple[int, int], list[tuple[float, float, int]]] = defaultdict(list)
        self._points: dict[int, tuple[float, float]] = {}

    def _key(self, lon: float, lat: float) -> tuple[int, int]:
        return math.floor(lon / self.cell), math.floor(lat / self.cell)

    def add(self, lon: float, lat: float, position: int) -> None:
        self._cells[self._key(lon, lat)].append((lon, lat, position))
        self._points[position] = (lon, lat)

    def within(self, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> set[int]:
        """Positions of the points inside the box, edges included."""
        found: set[int] = set()
        x0, y0 = self._key(min_lon, min_lat)
        x1, y1 = self._key(max_lon, max_lat)
        if (x1 - x0 + 1) * (y1 - y0 + 1) > len(self._cells):
            # A box larger than the data: walking the occupied cells is cheaper than the empty ones.
            cells = [points for (x, y), points in self._cells.items() if x0 <= x <= x1 and y0 <= y <= y1]
        else:
            cells = [self._cells[(x, y)] for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)
                     if (x, y) in self._cells]
        for points in cells:
            for lon, lat, position in points:
                if min_lon <= lon <= max_lon and min_lat <= lat <= max_lat:
                    found.add(position)
        return found

    def near(self, lon: float, lat: float, radius_m: float) -> set[int]:
        """Positions of the points within `radius_m` metres (great-circle distance) of (lon, lat)."""
        dlat = math.degrees(radius_m / EARTH_RADIUS_M)
        cos_lat = max(math.cos(math.radians(lat)), 1e-6)
        dlon = min(180.0, dlat / cos_lat)
        candidates = self.within(lon - dlon, max(-90.0, lat - dlat), lon + dlon, min(90.0, lat + dlat))
        return {p for p in candidates if distance_m(lon, lat, *self._points[p]) <= radius_m}



def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
