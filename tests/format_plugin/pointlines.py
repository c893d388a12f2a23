"""A feed format from outside the hub, as a plugin package would add one: lines of `name;lat;lon`.

One module (this one) and one entry-point line (`mutualisons_pointlines-0.1.dist-info/entry_points.txt`):

    [mutualisons.formats]
    pointlines = pointlines:POINTLINES

Each line is a place with its coordinates; `#` starts a comment. A line `# next: URL` names the next page of
the feed, which the format's document source follows through the fetch function the hub gives it (the hub's
guarded fetcher): the pattern of a platform's paged API. tests/test_format_table.py harvests it end to end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from harvesters.formats import D, DocumentContext, Format, LiftResult, opening

SCHEMA = "https://schema.org/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DECIMAL = NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
_LINE = re.compile(r"^[^;#]+;\s*-?\d+(\.\d+)?\s*;\s*-?\d+(\.\d+)?\s*$")
_NEXT = re.compile(rb"^# next: (\S+)\s*$", re.MULTILINE)


def lift(body: bytes, context: DocumentContext) -> LiftResult:
    quads: list[Quad] = []
    row_errors: list[str] = []
    for number, line in enumerate(body.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split(";")]
        try:
            name, lat, lon = cells
            latitude, longitude = Decimal(lat), Decimal(lon)
        except (ValueError, InvalidOperation):
            row_errors.append(f"{context.document}: line {number}: expected name;lat;lon")
            continue
        place, geo = context.mint("place", name), BlankNode()
        quads += [
            Quad(place, RDF_TYPE, NamedNode(SCHEMA + "Place")),
            Quad(place, NamedNode(SCHEMA + "name"), Literal(name, language=context.language or "fr")),
            Quad(place, NamedNode(SCHEMA + "geo"), geo),
            Quad(geo, RDF_TYPE, NamedNode(SCHEMA + "GeoCoordinates")),
            Quad(geo, NamedNode(SCHEMA + "latitude"), Literal(str(latitude), datatype=DECIMAL)),
            Quad(geo, NamedNode(SCHEMA + "longitude"), Literal(str(longitude), datatype=DECIMAL)),
        ]
    return LiftResult.of(quads, row_errors=row_errors)


def sniff(head: bytes) -> int:
    lines = [line for line in opening(head).decode("utf-8", errors="replace").splitlines()[:20]
             if line.strip() and not line.startswith("#")]
    return 70 if lines and all(_LINE.match(line) for line in lines) else 0


def pages(url: str, fetch: Callable[[str], D]) -> Iterator[D]:
    seen = set()
    while url not in seen:
        seen.add(url)
        page = fetch(url)
        yield page
        following = _NEXT.search(page.body)
        if following is None:
            return
        url = urljoin(page.url, following.group(1).decode())


POINTLINES = Format("pointlines", lift, media_types=("text/x-pointlines",), extensions=(".points",), sniff=sniff,
                    documents=pages)
