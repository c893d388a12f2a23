"""What `serve --tiles` sets: the tile server of the maps (OpenStreetMap's by default, `none` for none)."""

from __future__ import annotations

import os
from dataclasses import dataclass

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


@dataclass(frozen=True)
class PageOptions:
    tiles: str = OSM_TILES  # an XYZ URL template, or "none": the map then shows markers on a plain background
    attribution: str = OSM_ATTRIBUTION

    @classmethod
    def from_environment(cls) -> PageOptions:
        """MUTUALISONS_TILES / MUTUALISONS_TILES_ATTRIBUTION, for deployments that start the app themselves."""
        tiles = os.environ.get("MUTUALISONS_TILES", OSM_TILES)
        default_attribution = OSM_ATTRIBUTION if tiles == OSM_TILES else ""
        return cls(tiles=tiles, attribution=os.environ.get("MUTUALISONS_TILES_ATTRIBUTION", default_attribution))

    @property
    def no_tiles(self) -> bool:
        return self.tiles.strip().lower() == "none"
