"""Generated feeds for the benchmarks: N organisations in Brussels, about 18 triples each."""

from __future__ import annotations

import random
from pathlib import Path

PREFIXES = """@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
POSTAL_CODES = ["1000", "1020", "1030", "1040", "1050", "1060", "1070", "1080", "1090", "1120", "1140", "1150",
                "1160", "1170", "1180", "1190", "1200", "1210"]


def organisation(index: int, edit: str = "") -> str:
    rng = random.Random(index)
    lat = 50.77 + rng.random() * 0.14
    lon = 4.25 + rng.random() * 0.23
    postal = POSTAL_CODES[index % len(POSTAL_CODES)]
    return (
        f"<https://bench.example/org/{index}> a schema:Organization ;\n"
        f'  schema:name "Initiative {index}{edit}"@fr , "Initiatief {index}"@nl ;\n'
        f'  schema:description "Une initiative citoyenne numéro {index}{edit}."@fr ;\n'
        f"  schema:address [ a schema:PostalAddress ; schema:streetAddress \"Rue du Test {index % 300 + 1}\"@fr ;\n"
        f'    schema:postalCode "{postal}" ; schema:addressLocality "Bruxelles"@fr ; schema:addressCountry "BE" ] ;\n'
        f'  schema:geo [ a schema:GeoCoordinates ; schema:latitude "{lat:.5f}"^^xsd:decimal ;\n'
        f'    schema:longitude "{lon:.5f}"^^xsd:decimal ] ;\n'
        f"  schema:url <https://bench.example/site/{index}> ;\n"
        f'  schema:email "contact{index}@bench.example" ;\n'
        f'  schema:telephone "+32 2 000 {index % 100:02d} {index % 97:02d}" ;\n'
        f'  schema:keywords "alimentation" .\n'
    )


def write_feed(path: Path, count: int, edit: str = "") -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(PREFIXES)
        for index in range(count):
            handle.write(organisation(index, edit))
    return path


def reserialised(turtle: bytes | str, seed: int = 1) -> bytes:
    """The same statements as N-Triples, shuffled, with every blank node under a fresh label: nothing
    really changed. The bench's `reharvest` feed, and the "nothing rewritten" tests'."""
    from pyoxigraph import BlankNode, Quad, RdfFormat, parse, serialize

    relabel: dict[str, BlankNode] = {}

    def fresh(term: object) -> object:
        if isinstance(term, BlankNode):
            return relabel.setdefault(term.value, BlankNode())
        return term

    renamed = [Quad(fresh(q.subject), q.predicate, fresh(q.object))  # type: ignore[arg-type]
               for q in parse(turtle, format=RdfFormat.TURTLE)]
    random.Random(seed).shuffle(renamed)
    return serialize(renamed, format=RdfFormat.N_TRIPLES) or b""


def write_reserialised(source: Path, target: Path, seed: int = 1) -> Path:
    """`reserialised` from file to file."""
    target.write_bytes(reserialised(source.read_bytes(), seed))
    return target
