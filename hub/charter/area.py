"""The service area (the hub's profile, hub/core/profile.py) as the charter judges it.

The shapes ask three SPARQL functions, registered for both charter engines (Oxigraph's custom functions
for the compiled engine; rdflib's for pyshacl, the reference), so the area lives in configuration and the
shapes name no country:

- `hub:inServiceArea(?lat, ?lon)` or `hub:inServiceArea(?wkt)`: the point, or some point of the WKT
  geometry, lies in the boundary polygon (prepared with shapely: a test is a few microseconds);
- `hub:countryInServiceArea(?country)`: an ISO 3166-1 code (or a country's usual name) the area accepts;
- `hub:postalCodeInServiceArea(?code, ?country)`: the code fits its country's postal codes; with no
  country (`""`), one of the area's countries'; a country the area does not accept is not judged here.

Anything these cannot read (a latitude that is no number, a WKT that does not parse) is a SPARQL error,
so a FILTER on it is false: the datatype rules report such values, never the area rules.

A call from Oxigraph costs ~10 µs, as much as the rest of a check: the compiled engine also binds a box
that lies inside the area (`substitutions`: ?innerSouth…?innerEast in shapes/organization.ttl), so the
points inside it need no call; pyshacl leaves them unbound and tests every point. The verdicts are the same.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cached_property
from pathlib import Path
from typing import Any

import shapely
from pyoxigraph import BlankNode, Literal, NamedNode, Triple, Variable
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry

from harvesters.mapping import COUNTRIES
from harvesters.wording import because
from hub.core.namespaces import HUB
from hub.core.profile import Area, HubProfile, ProfileError, load_profile

IN_AREA = HUB + "inServiceArea"
COUNTRY_IN_AREA = HUB + "countryInServiceArea"
POSTAL_CODE_IN_AREA = HUB + "postalCodeInServiceArea"
_COUNTRY_OF = {alias: code for code, aliases in COUNTRIES.items() for alias in aliases}
_WKT_CACHE = 4096  # geometries parsed per area: a feed's WKT literals repeat across batches
_BOOLEAN = NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
_DECIMAL = NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
_TRUE, _FALSE = Literal("true", datatype=_BOOLEAN), Literal("false", datatype=_BOOLEAN)
_GRID = 48  # cells a side when looking for the box inside the area


class ServiceArea:
    """The profile's service area, its polygon read and prepared."""

    def __init__(self, profile: HubProfile) -> None:
        self.profile = profile
        self.area: Area = profile.area
        self.geometry = read_boundary(self.area, profile.path)
        shapely.prepare(self.geometry)
        self._wkt: dict[str, bool] = {}

    @staticmethod
    def of(path: Path) -> ServiceArea:
        """The area of the profile at `path` (hub.toml, or hub/core/profile.py's default)."""
        return ServiceArea(load_profile(path))

    @property
    def name(self) -> dict[str, str]:
        return dict(self.area.name)

    @property
    def unlocated(self) -> str:
        return self.profile.unlocated

    @cached_property
    def fingerprint(self) -> str:
        return self.profile.fingerprint()

    # -- the tests ------------------------------------------------------------------------------

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point lies in the area (its border included)."""
        return bool(shapely.intersects_xy(self.geometry, lon, lat))

    def contains_wkt(self, text: str) -> bool:
        """Whether some point of a WKT geometry (GeoSPARQL: an optional `<crs>` first, then lon lat) lies in it."""
        found = self._wkt.get(text)
        if found is None:
            body = text.strip()
            if body.startswith("<"):
                body = body.split(">", 1)[-1]
            geometry = shapely.from_wkt(body, on_invalid="ignore")
            found = geometry is not None and not geometry.is_empty and bool(self.geometry.intersects(geometry))
            if len(self._wkt) >= _WKT_CACHE:
                self._wkt.clear()
            self._wkt[text] = found
        return found

    def accepts_country(self, value: str) -> bool:
        return country_code(value) in self.area.countries

    def accepts_postal_code(self, code: str, country: str = "") -> bool:
        """The code fits its country's postal codes (a country without rules takes any code); without a
        country, one of the area's countries'. A country the area does not serve is not judged here."""
        given = country_code(country) if country.strip() else None
        if given is not None and given not in self.area.countries:
            return True
        for candidate in [given] if given else self.area.countries:
            rules = self.area.postal_codes.get(candidate)
            if rules is None or rules.matches(code):
                return True
        return False

    def part_of(self, *, lon: float | None = None, lat: float | None = None, postal_code: str | None = None,
                country: str = "") -> str | None:
        """The named part (profile's [area.parts.*]) a location falls in: by its boundary when the part has
        one and the point is given, else by postal code."""
        for part, geometry in self._parts:
            if geometry is not None and lon is not None and lat is not None:
                if shapely.intersects_xy(geometry, lon, lat):
                    return part.id
                continue
            if postal_code is not None:
                given = country_code(country) if country.strip() else None
                for candidate in [given] if given else part.countries:
                    rules = part.postal_codes.get(candidate or "")
                    if rules is not None and rules.matches(postal_code):
                        return part.id
        return None

    @cached_property
    def _parts(self) -> list[tuple[Area, BaseGeometry | None]]:
        found = []
        for part in self.profile.parts:
            geometry = read_boundary(part, self.profile.path) if part.boundary is not None else None
            if geometry is not None:
                shapely.prepare(geometry)
            found.append((part, geometry))
        return found

    # -- the SPARQL functions -------------------------------------------------------------------

    @cached_property
    def inner_box(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) of a large box that lies inside the area: the biggest rectangle of
        grid cells the polygon contains (a few tens of milliseconds, once)."""
        west, south, east, north = self.geometry.bounds
        dx, dy = (east - west) / _GRID, (north - south) / _GRID
        heights = [0] * _GRID
        best: tuple[int, tuple[int, int, int, int]] | None = None
        for row in range(_GRID):
            for column in range(_GRID):
                cell = box(west + column * dx, south + row * dy, west + (column + 1) * dx, south + (row + 1) * dy)
                heights[column] = heights[column] + 1 if self.geometry.contains(cell) else 0
            # The largest rectangle under this row's histogram of inside cells.
            stack: list[tuple[int, int]] = []
            for column in range(_GRID + 1):
                height = heights[column] if column < _GRID else 0
                start = column
                while stack and stack[-1][1] >= height:
                    first, tall = stack.pop()
                    if tall and (best is None or tall * (column - first) > best[0]):
                        best = (tall * (column - first), (first, row - tall + 1, column, row + 1))
                    start = first
                stack.append((start, height))
        if best is None:
            return None
        first, low, last, high = best[1]
        return west + first * dx, south + low * dy, west + last * dx, south + high * dy

    def substitutions(self) -> dict[Variable, NamedNode | BlankNode | Literal | Triple]:
        """The inner box as the variables shapes/organization.ttl names (none when the area has no box)."""
        if self.inner_box is None:
            return {}
        west, south, east, north = self.inner_box
        inward = {"innerWest": math.ceil(west * 1e6), "innerSouth": math.ceil(south * 1e6),
                  "innerEast": math.floor(east * 1e6), "innerNorth": math.floor(north * 1e6)}  # micro-degrees
        return {Variable(name): Literal(f"{value / 1e6:.6f}", datatype=_DECIMAL) for name, value in inward.items()}

    def swapped(self, lon: float, lat: float) -> bool:
        """A point outside the area that falls inside once its latitude and longitude are swapped."""
        return not self.contains(lon, lat) and self.contains(lat, lon)

    def oxigraph_functions(self) -> dict[NamedNode, Callable[..., Any]]:
        """For `Store.query(custom_functions=…)`: pyoxigraph terms in, a boolean literal or None (an error)."""
        return {NamedNode(IN_AREA): lambda *args: _boolean(self._in_area(*(_text(a) for a in args))),
                NamedNode(COUNTRY_IN_AREA): lambda *args: _boolean(self._country(*(_text(a) for a in args))),
                NamedNode(POSTAL_CODE_IN_AREA): lambda *args: _boolean(self._postal(*(_text(a) for a in args)))}

    def _in_area(self, *args: str | None) -> bool | None:
        if len(args) == 1 and args[0] is not None:
            return self.contains_wkt(args[0])
        if len(args) != 2 or args[0] is None or args[1] is None:
            return None
        try:
            lat, lon = float(args[0]), float(args[1])
        except ValueError:
            return None
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        return self.contains(lon, lat)

    def _country(self, *args: str | None) -> bool | None:
        return self.accepts_country(args[0]) if len(args) == 1 and args[0] is not None else None

    def _postal(self, *args: str | None) -> bool | None:
        if len(args) != 2 or args[0] is None or args[1] is None:
            return None
        return self.accepts_postal_code(args[0], args[1])


def country_code(value: str) -> str:
    """A country as ISO 3166-1 alpha-2: a code in any case, a usual name (Belgique, België…), or an IRI
    ending in the code (…/BE)."""
    text = value.strip().rstrip("/")
    if text.startswith(("http://", "https://")):
        text = text.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    folded = text.casefold()
    return _COUNTRY_OF.get(folded, text.upper() if len(text) == 2 else text)


def read_boundary(area: Area, profile_path: Path) -> BaseGeometry:
    """The area's GeoJSON boundary as one shapely geometry: a Polygon or MultiPolygon, bare, in a Feature
    or in a FeatureCollection (the union of its features)."""
    assert area.boundary is not None
    where = f"{profile_path}:{area.boundary_line}: the boundary of {area.name['en']} ({area.boundary})"
    try:
        document = json.loads(area.boundary.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"{where} cannot be read: {error.strerror}") from error
    except ValueError as error:
        raise ProfileError(f"{where} is not JSON: {error}") from error
    geometries = []
    features = document.get("features") if isinstance(document, dict) else None
    items = features if isinstance(features, list) else [document]
    for item in items:
        geometry = item.get("geometry") if isinstance(item, dict) and item.get("type") == "Feature" else item
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind not in ("Polygon", "MultiPolygon"):
            raise ProfileError(f"{where} must be a GeoJSON Polygon or MultiPolygon (or Features of them), "
                              f"not {kind or type(geometry).__name__}")
        try:
            geometries.append(shape(geometry))
        except Exception as error:  # shapely raises several types for malformed coordinates
            why = because(error, "its rings are not closed lists of [longitude, latitude] pairs (RFC 7946 3.1.6)")
            raise ProfileError(f"{where} has coordinates that are not a polygon: {why}") from error
    if not geometries:
        raise ProfileError(f"{where} holds no polygon")
    united = shapely.union_all(geometries) if len(geometries) > 1 else geometries[0]
    if united.is_empty:
        raise ProfileError(f"{where} is an empty polygon")
    return united


def _text(term: object) -> str | None:
    return term.value if isinstance(term, Literal | NamedNode) else None


def _boolean(value: bool | None) -> Literal | None:
    return None if value is None else _TRUE if value else _FALSE


# -- rdflib (pyshacl, the reference engine) ---------------------------------------------------------
# rdflib keeps one process-wide table of custom functions: each is registered once and asks the area
# that the calling thread's validation made active.

_ACTIVE: ContextVar[ServiceArea | None] = ContextVar("service_area", default=None)
_REGISTERED = threading.Lock()
_registered = False


@contextlib.contextmanager
def active(area: ServiceArea) -> Iterator[None]:
    """The area rdflib's SPARQL functions judge by while pyshacl runs in this thread."""
    _register_rdflib()
    token = _ACTIVE.set(area)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _register_rdflib() -> None:
    global _registered
    with _REGISTERED:
        if _registered:
            return
        import rdflib
        from rdflib.plugins.sparql.operators import register_custom_function
        from rdflib.plugins.sparql.sparql import SPARQLError

        def function(method: str) -> Callable[..., Any]:
            def call(*args: Any) -> rdflib.Literal:
                area = _ACTIVE.get()
                if area is None:
                    raise SPARQLError("no service area is active")
                texts = [str(a) if isinstance(a, rdflib.Literal | rdflib.URIRef) else None for a in args]
                found = getattr(area, method)(*texts)
                if found is None:
                    raise SPARQLError(f"{method}: arguments it cannot read")
                return rdflib.Literal(found)
            return call

        for iri, method in ((IN_AREA, "_in_area"), (COUNTRY_IN_AREA, "_country"), (POSTAL_CODE_IN_AREA, "_postal")):
            register_custom_function(rdflib.URIRef(iri), function(method), override=True)
        _registered = True
