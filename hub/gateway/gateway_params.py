"""The collection parameters, read strictly: a malformed one becomes a 400 problem naming it and what it expects."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import NamedNode
from starlette.datastructures import QueryParams

from hub.core.namespaces import HUB, RDFS, SCHEMA
from hub.core.vocabulary import default_vocabulary
from hub.gateway import item_properties
from hub.gateway.collection_index import SORTS, Filters
from hub.gateway.textsearch import words

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
LANGUAGES = ("fr", "nl", "en")
FORMATS = ("jsonld", "geojson", "csv", "ics", "ttl")
MEDIA_TYPES = {
    "jsonld": "application/ld+json",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
}
# What Accept values choose which format (first match in the client's order wins).
ACCEPTED = {
    "application/ld+json": "jsonld", "application/json": "jsonld", "application/geo+json": "geojson",
    "text/csv": "csv", "text/calendar": "ics", "text/turtle": "ttl",
}


# Every parameter a collection takes; anything else is a 400 naming it (a typo such as `bboxx=` must not silently
# answer everything). `_` is jQuery's and many a map library's cache-buster: harmless, so taken and ignored.
PARAMETERS = ("bbox", "near", "radius", "theme", "q", "type", "source", "verified", "updated_since", "sort", "limit",
              "cursor", "format", "lang", "fields", "facets", "audience", "cost", "availability", "_")
EVENT_PARAMETERS = ("from", "to")
PRODUCT_PARAMETERS = ("enterprise", "category")


class BadParameter(Exception):
    def __init__(self, parameter: str, expects: str, suggestion: str | None = None) -> None:
        super().__init__(f"{parameter} {expects}")
        self.parameter = parameter
        self.expects = expects + (f" (did you mean {suggestion!r}?)" if suggestion else "")
        self.suggestion = suggestion


def suggestion(word: str, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to a misspelt `word` (difflib), or None when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


def unknown_parameters(names: Iterable[str], events: bool, products: bool) -> None:
    known = PARAMETERS + EVENT_PARAMETERS + PRODUCT_PARAMETERS
    for name in names:
        if name not in known:
            allowed = PARAMETERS[:-1] + (EVENT_PARAMETERS if events else ()) + (PRODUCT_PARAMETERS if products else ())
            raise BadParameter(name, f"is not a parameter of this collection; it takes {', '.join(allowed)}",
                               suggestion(name, allowed))


@lru_cache(maxsize=1)
def known_classes() -> dict[str, str]:
    """Every class of the vocabulary (schema.org's hierarchy and the hub's), by local name -> IRI; schema.org's
    name wins where both have it (as `type=` always meant schema.org)."""
    found: dict[str, str] = {}
    for quad in default_vocabulary().quads:
        if quad.predicate.value == RDFS + "subClassOf":
            for term in (quad.subject, quad.object):
                if not isinstance(term, NamedNode):
                    continue
                iri = term.value
                for namespace in (SCHEMA, HUB):
                    if iri.startswith(namespace):
                        local = iri[len(namespace):]
                        if namespace == SCHEMA or local not in found:
                            found[local] = iri
    return found


@dataclass
class Request:
    filters: Filters
    sort: str
    after: tuple[str, str] | None
    cursor_generation: int | None
    limit: int
    format: str
    languages: tuple[str, ...]
    fields: tuple[str, ...] | None = None
    facets: tuple[str, ...] = ()


def parse(params: QueryParams, accept: str, accept_language: str, kinds: tuple[str, ...], events: bool,
          default_format: str = "jsonld", products: bool = False) -> Request:
    unknown_parameters(params.keys(), events, products)
    wanted_format = _format(params.get("format"), accept, events, default_format)
    filters = Filters(kinds=kinds)
    for name in ("enterprise", "category"):
        if name in params and not products:
            raise BadParameter(name, "only applies to the products collection (/api/products)")
    if "enterprise" in params:
        filters.enterprises = _list("enterprise", params["enterprise"], "an enterprise's IRI (several separated by "
                                    "commas), e.g. enterprise=https://shop.example/enterprises/1")
        if not all(value.startswith(("http://", "https://")) for value in filters.enterprises):
            raise BadParameter("enterprise", "expects an enterprise's IRI (http:// or https://), as its products "
                                             "name it in suppliedBy")
    if "category" in params:
        filters.categories = _list("category", params["category"], "a concept IRI or its label (several separated "
                                   "by commas), e.g. category=tomato")
    if "bbox" in params:
        filters.bbox = _bbox(params["bbox"])
    if "near" in params or "radius" in params:
        if "near" not in params:
            raise BadParameter("radius", "goes with near=lon,lat")
        lon, lat = _numbers("near", params["near"], 2, "lon,lat in degrees, e.g. 4.35,50.85")
        _check_lon_lat("near", lon, lat)
        radius = _float("radius", params.get("radius", "1000"), "a distance in metres, e.g. 500")
        if not 0 < radius <= 100_000:
            raise BadParameter("radius", "must be a distance in metres between 0 and 100000")
        filters.near = (lon, lat, radius)
    if "theme" in params:
        filters.themes = _list("theme", params["theme"], "a SKOS concept IRI or a keyword, e.g. theme=jardins")
    if "q" in params:
        found = words(params["q"])
        if not found or len(params["q"]) > 200:
            raise BadParameter("q", "expects one to 200 characters of text with at least one word, e.g. q=epicerie")
        filters.q = found
    if "type" in params:
        filters.types = tuple(class_iri(t) for t in _list(
            "type", params["type"], "a class, e.g. type=GroceryStore or type=https://schema.org/GroceryStore"))
    if "audience" in params:
        filters.audiences = _list("audience", params["audience"], "an audience: a concept IRI, audience:local or its "
                                  "label (several separated by commas), e.g. audience=precarity")
    if "cost" in params:
        filters.costs = _list("cost", params["cost"], "words of the cost of services (hub:costOfServices), e.g. "
                              "cost=gratuit")
    if "availability" in params:
        days = []
        for value in _list("availability", params["availability"], "days of the week, e.g. availability=monday"):
            day = item_properties.day_of(value)
            if day is None:
                raise BadParameter("availability", f"expects days of the week (English, French or Dutch, several "
                                   f"separated by commas), e.g. availability=monday; {value!r} is none",
                                   suggestion(value.lower(), item_properties.DAYS))
            days.append(day)
        filters.days = tuple(days)
    fields = None
    if "fields" in params:
        fields = _list("fields", params["fields"], "property names separated by commas, e.g. fields=name,telephone")
    if "source" in params:
        filters.sources = _list("source", params["source"], "a source id or IRI, e.g. source=assiette-commune")
    if "verified" in params:
        if params["verified"] not in ("true", "false"):
            raise BadParameter("verified", "expects true or false")
        filters.verified = params["verified"] == "true"
    if "updated_since" in params:
        filters.updated_since = _moment("updated_since", params["updated_since"])
    for name in ("from", "to"):
        if name in params:
            if not events:
                raise BadParameter(name, "only applies to the events collection")
            moment = _moment(name, params[name])
            if name == "from":
                filters.start = moment
            else:
                filters.end = moment
    # A search lists the best matches first unless another order is asked for.
    sort = params.get("sort", "relevance" if filters.q else "id")
    if sort not in SORTS:
        raise BadParameter("sort", f"expects one of {', '.join(SORTS)}")
    if sort == "relevance" and not filters.q:
        raise BadParameter("sort", "relevance goes with q= (the words to rank by)")
    limit = _limit(params.get("limit"), wanted_format)
    after, generation = (None, None)
    if "cursor" in params:
        after, generation, cursor_sort = decode_cursor(params["cursor"])
        if cursor_sort != sort:
            raise BadParameter("cursor", f"was made for sort={cursor_sort}; keep the sort of the first page")
    facets: tuple[str, ...] = ()
    if "facets" in params:
        facets = _list("facets", params["facets"], "facet names separated by commas, e.g. facets=theme,kind")
    return Request(filters, sort, after, generation, limit, wanted_format,
                   _languages(params.get("lang"), accept_language), fields, facets)


class NotAcceptable(Exception):
    """The Accept header allows none of the formats this collection speaks (a 406, naming them)."""

    def __init__(self, accept: str, offered: tuple[str, ...]) -> None:
        super().__init__(accept)
        self.accept = accept
        self.offered = offered


def _format(value: str | None, accept: str, events: bool, default: str) -> str:
    allowed = FORMATS if events else tuple(f for f in FORMATS if f != "ics")
    if value is not None:
        if value not in allowed:
            raise BadParameter("format", f"expects one of {', '.join(allowed)}", suggestion(value, allowed))
        return value
    if not accept.strip():
        return default
    ranges: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append((-quality, position, media.lower()))
    # The client's best range first (then its order); a wildcard takes the default when it covers it.
    for _, _, media in sorted(ranges):
        if media in ACCEPTED and ACCEPTED[media] in allowed:
            return ACCEPTED[media]
        kind = media.split("/")[0]
        if media == "*/*":
            return default
        if media.endswith("/*"):
            covered = [f for f in (default, *allowed) if MEDIA_TYPES[f].startswith(kind + "/")]
            if covered:
                return covered[0]
    raise NotAcceptable(accept, tuple(MEDIA_TYPES[f].split(";")[0] for f in allowed))


def _limit(value: str | None, wanted_format: str) -> int:
    if value is None:
        # A calendar subscription wants the whole agenda, not its first page.
        return MAX_LIMIT if wanted_format == "ics" else DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise BadParameter("limit", f"expects a whole number from 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})")
    return limit


def _float(name: str, text: str, expects: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadParameter(name, f"expects {expects}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise BadParameter(name, f"expects {expects}")
    return value


def _numbers(name: str, text: str, count: int, expects: str) -> list[float]:
    parts = text.split(",")
    if len(parts) != count:
        raise BadParameter(name, f"expects {expects}")
    return [_float(name, part.strip(), expects) for part in parts]


def _check_lon_lat(name: str, lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BadParameter(name, "expects a longitude within [-180, 180] then a latitude within [-90, 90] (lon,lat)")


def _bbox(text: str) -> tuple[float, float, float, float]:
    expects = "minLon,minLat,maxLon,maxLat in degrees, e.g. 4.30,50.82,4.40,50.87"
    min_lon, min_lat, max_lon, max_lat = _numbers("bbox", text, 4, expects)
    _check_lon_lat("bbox", min_lon, min_lat)
    _check_lon_lat("bbox", max_lon, max_lat)
    if min_lon > max_lon or min_lat > max_lat:
        raise BadParameter("bbox", f"expects {expects}, with minLon <= maxLon and minLat <= maxLat")
    return min_lon, min_lat, max_lon, max_lat


def _list(name: str, text: str, expects: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if not values:
        raise BadParameter(name, f"expects {expects}")
    return values


def class_iri(value: str) -> str:
    """A class as `type=` names it: an IRI, `schema:X`, `hub:X` or a local name of the vocabulary's classes
    (`GroceryStore`, `AvailableSpace`); an unknown local name is a 400 with the closest class."""
    if value.startswith(("http://", "https://")):
        return value
    for prefix, namespace in (("schema:", SCHEMA), ("hub:", HUB)):
        if value.startswith(prefix):
            return namespace + value[len(prefix):]
    classes = known_classes()
    if value not in classes:
        raise BadParameter("type", f"expects a class of the vocabulary (a schema.org or hub class, or an IRI); "
                           f"{value!r} is none", suggestion(value, classes))
    return classes[value]


def _moment(name: str, value: str) -> dt.datetime:
    try:
        if "T" not in value:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, "expects an ISO 8601 date or date-time, e.g. 2027-01-31 or 2027-01-31T18:00Z"
                           ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _languages(value: str | None, accept_language: str) -> tuple[str, ...]:
    if value is not None:
        if value not in LANGUAGES:
            raise BadParameter("lang", f"expects one of {', '.join(LANGUAGES)}")
        return (value,)
    ranked: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for piece in pieces[1:]:
            if piece.strip().startswith("q="):
                try:
                    quality = float(piece.strip()[2:])
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0:
            ranked.append((-quality, tag))
    return tuple(tag for _, tag in sorted(ranked)) or ("fr",)


def encode_cursor(generation: int, sort: str, key: tuple[str, str]) -> str:
    """Opaque to clients; carries the generation (to finish a walk on the same snapshot) and the sort key
    (to resume on a newer generation once that one is gone)."""
    raw = json.dumps({"g": generation, "s": sort, "k": list(key)}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


MAX_CURSOR = 4096  # characters: a cursor this API mints holds a generation, a sort and two short keys
_CURSOR_DEPTH = 2  # {"k": [...]}: deeper nesting is no cursor of ours (and would make json recurse)
_CURSOR_HELP = "expects the cursor of a Link rel=\"next\" this API returned"


def decode_cursor(text: str) -> tuple[tuple[str, str], int, str]:
    """The cursor's sort key, generation and sort. Its size and nesting are checked before json reads it,
    and its generation must be a whole number: anything else is a 400, never a server error."""
    if len(text) > MAX_CURSOR:
        raise BadParameter("cursor", f"{_CURSOR_HELP} (at most {MAX_CURSOR} characters)")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
        if _nesting(raw) > _CURSOR_DEPTH:
            raise ValueError
        data = json.loads(raw, parse_float=_no_float, parse_constant=_no_float)
        key, generation, sort = data["k"], data["g"], data["s"]
        if not (isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key)):
            raise ValueError
        if not isinstance(generation, int) or isinstance(generation, bool) or not 0 <= generation < 2**63:
            raise ValueError
        if not isinstance(sort, str):
            raise ValueError
        return (key[0], key[1]), generation, sort
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadParameter("cursor", _CURSOR_HELP) from None


def _nesting(text: str) -> int:
    """How deep brackets nest, strings aside (an upper bound is enough: a cursor of ours nests twice)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_float(text: str) -> int:
    """A cursor's numbers are whole: 1e400, 1.5, NaN or Infinity are refused before Python makes them."""
    raise ValueError(text)
