"""The map's clusters: the places a map view holds, counted per cell of a grid whose size follows the zoom.

A map of a whole region (100,000 places) cannot fetch its places: it asks how many there are where. The
cells are square on the screen (Web Mercator, `CELL_PIXELS` wide at the asked zoom), so a cluster covers
the same area of the screen at every zoom. The answer is bounded whatever the data: at most `MAX_CELLS`
cells (a box too large for its zoom gets coarser cells), or, when the view holds no more than
`POINT_LIMIT` places, those places themselves. Every place in the box is in exactly one cluster, so the
counts add up to the total of the collection's own answer for the same filters and box.
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hub.gateway.collection_index import CollectionIndex, Filters
from hub.gateway.textsearch import fold

TILE_PIXELS = 256  # a Web Mercator tile, as Leaflet and MapLibre draw them
CELL_PIXELS = 64  # a cluster's cell on the screen
MAX_CELLS = 4096  # cells a box may span at its zoom before the cells grow (bounds the answer)
POINT_LIMIT = 500  # at most this many places in the box: the places themselves, not clusters
MAX_ZOOM = 22
CLUSTER_THEMES = 8  # a cluster names its most frequent top themes, no more (a scheme may have many)
NAME_CHARACTERS = 200  # a place's name in an answer, cut beyond this (a feed's name may be a page long)
MAX_LATITUDE = 85.05112878  # Web Mercator's edge
# The hub's theme scheme (vocab/schemes.ttl): its top concepts colour the map's pins.
THEME_PREFIX = "https://w3id.org/mutualisons/ns#theme-"


@dataclass
class MapAnswer:
    zoom: int
    cell_pixels: int
    total: int
    clusters: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)
    themes: dict[str, int] = field(default_factory=dict)  # top theme -> places in the box
    extent: list[float] | None = None  # the smallest box holding them all (a map opens on it)

    @property
    def mode(self) -> str:
        return "points" if self.points or not self.clusters else "clusters"


@dataclass
class _Projected:
    """Per index: every item's chosen point (NaN without one), projected, and its top theme (-1: none)."""
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    theme: np.ndarray
    roots: list[str]


_projections: weakref.WeakKeyDictionary[CollectionIndex, _Projected] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude as the world's fraction from the top-left corner (0..1 both ways)."""
    clipped = np.radians(np.clip(lat, -MAX_LATITUDE, MAX_LATITUDE))
    x = (lon + 180.0) / 360.0
    y = (1.0 - np.log(np.tan(clipped) + 1.0 / np.cos(clipped)) / math.pi) / 2.0
    return x, y


def theme_roots(index: CollectionIndex) -> list[str]:
    """The top concepts of the hub's theme scheme the generation holds, in IRI order."""
    concepts = {c for c in index.theme_concepts() if c.startswith(THEME_PREFIX)}
    narrower = {n for c in concepts for n in index.narrower_of(c)}
    return sorted(concepts - narrower)


def _project(index: CollectionIndex) -> _Projected:
    with _lock:
        found = _projections.get(index)
        if found is not None:
            return found
        count = len(index.items)
        lon = np.full(count, np.nan)
        lat = np.full(count, np.nan)
        for position, item in enumerate(index.items):
            point = item.point
            if point is not None:
                lon[position], lat[position] = point
        x, y = mercator(lon, lat)
        roots = theme_roots(index)
        expanded = [index.expand_theme(root) for root in roots]
        theme = np.full(count, -1, dtype=np.int64)
        for position, item in enumerate(index.items):
            keywords = {fold(k) for k in item.keywords}
            for number, (iris, labels) in enumerate(expanded):
                # As `theme=` matches: the concept or a narrower one, or a keyword that is one of their labels.
                if item.themes & iris or keywords & labels:
                    theme[position] = number
                    break
        found = _Projected(lon, lat, x, y, theme, roots)
        _projections[index] = found
        return found


def cell_pixels(zoom: int, bbox: tuple[float, float, float, float]) -> int:
    """`CELL_PIXELS`, doubled until the box spans no more than `MAX_CELLS` cells at this zoom."""
    (x0, x1), (y1, y0) = (mercator(np.array([bbox[0], bbox[2]]), np.array([bbox[1], bbox[3]])))
    world = TILE_PIXELS * 2.0 ** zoom
    width, height = max(float(x1 - x0), 0.0) * world, max(float(y1 - y0), 0.0) * world
    size = CELL_PIXELS
    while (width / size + 1) * (height / size + 1) > MAX_CELLS:
        size *= 2
    return size


def cluster(index: CollectionIndex, filters: Filters, zoom: int, languages: tuple[str, ...],
            point_limit: int = POINT_LIMIT) -> MapAnswer:
    """The places the filters select inside `filters.bbox`, as clusters at `zoom` or as points."""
    assert filters.bbox is not None
    projected = _project(index)
    west, south, east, north = filters.bbox
    positions = np.fromiter(index.matching(filters), dtype=np.int64)
    lon, lat = projected.lon[positions], projected.lat[positions]
    x, y = projected.x[positions], projected.y[positions]
    outside = ~((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    if outside.any():
        # Found by another source's point (a merged item): it is counted where that point lies.
        lon, lat, x, y = lon.copy(), lat.copy(), x.copy(), y.copy()
        for slot in np.flatnonzero(outside):
            for alt_lon, alt_lat, _ in index.items[positions[slot]].alternatives():
                if west <= alt_lon <= east and south <= alt_lat <= north:
                    lon[slot], lat[slot] = alt_lon, alt_lat
                    x[slot], y[slot] = (float(v[0]) for v in mercator(np.array([alt_lon]), np.array([alt_lat])))
                    break
    theme = projected.theme[positions]
    roots = projected.roots
    size = cell_pixels(zoom, filters.bbox)
    answer = MapAnswer(zoom=zoom, cell_pixels=size, total=len(positions),
                       themes={roots[t]: int(n) for t, n in enumerate(np.bincount(theme[theme >= 0],
                                                                                   minlength=len(roots))) if n})
    if len(positions):
        answer.extent = [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]
    if len(positions) <= point_limit:
        answer.points = [_point(index, int(p), float(lo), float(la), _root(roots, int(t)), languages)
                         for p, lo, la, t in zip(positions, lon, lat, theme, strict=True)]
        answer.points.sort(key=lambda point: (point["lat"], point["lon"], point["id"]))
        return answer
    cell = size / (TILE_PIXELS * 2.0 ** zoom)
    columns = int(math.ceil(1.0 / cell)) + 1
    keys = np.floor(x / cell).astype(np.int64) * columns + np.floor(y / cell).astype(np.int64)
    cells, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    mean_lon = np.bincount(inverse, weights=lon) / counts
    mean_lat = np.bincount(inverse, weights=lat) / counts
    low_lon, high_lon = np.full(len(cells), np.inf), np.full(len(cells), -np.inf)
    low_lat, high_lat = np.full(len(cells), np.inf), np.full(len(cells), -np.inf)
    np.minimum.at(low_lon, inverse, lon)
    np.maximum.at(high_lon, inverse, lon)
    np.minimum.at(low_lat, inverse, lat)
    np.maximum.at(high_lat, inverse, lat)
    width = len(roots) + 1  # the last column: no theme
    by_theme = np.bincount(inverse * width + np.where(theme >= 0, theme, len(roots)),
                           minlength=len(cells) * width).reshape(len(cells), width)
    for number in range(len(cells)):
        count = int(counts[number])
        if count == 1:
            only = int(first[number])
            answer.clusters.append(_point(index, int(positions[only]), float(lon[only]), float(lat[only]),
                                          _root(roots, int(theme[only])), languages) | {"count": 1})
            continue
        answer.clusters.append({
            "lon": round(float(mean_lon[number]), 6), "lat": round(float(mean_lat[number]), 6), "count": count,
            "bbox": [float(low_lon[number]), float(low_lat[number]), float(high_lon[number]),
                     float(high_lat[number])],
            "themes": _most(roots, by_theme[number][:-1]),
        })
    answer.clusters.sort(key=lambda found: (-found["count"], found["lat"], found["lon"]))
    return answer


def _most(roots: list[str], counts: np.ndarray) -> dict[str, int]:
    """The `CLUSTER_THEMES` most frequent themes of a cluster (ties by IRI), with their counts."""
    ranked = sorted(((-int(n), roots[t]) for t, n in enumerate(counts) if n))[:CLUSTER_THEMES]
    return {theme: -negative for negative, theme in ranked}


def _root(roots: list[str], number: int) -> str | None:
    return roots[number] if number >= 0 else None


def _point(index: CollectionIndex, position: int, lon: float, lat: float, theme: str | None,
           languages: tuple[str, ...]) -> dict[str, Any]:
    item = index.items[position]
    name = item.name(languages)
    if name is not None and len(name) > NAME_CHARACTERS:
        name = name[:NAME_CHARACTERS - 1] + "…"
    return {"id": item.iri, "lon": lon, "lat": lat, "name": name, "theme": theme}
