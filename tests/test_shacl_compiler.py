"""The compiled SPARQL engine gives the verdicts pyshacl (the reference) gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Quad, RdfFormat, parse

from hub.charter.shacl_compiler import Compiler, UnsupportedShape
from hub.charter.validation import Charter
from hub.core.iris import Minter
from hub.core.records import Record, Verdict
from hub.core.vocabulary import default_vocabulary
from hub.pipeline.split import split_records
from tests.conftest import EXAMPLES

FIXTURES = Path(__file__).parent / "fixtures"


def records_of(path: Path) -> list[Record]:
    rdf_format = RdfFormat.JSON_LD if path.suffix == ".jsonld" else RdfFormat.TURTLE
    quads = list(parse(path=str(path), format=rdf_format, base_iri="https://base.example/"))
    return split_records(quads, hierarchy=default_vocabulary().hierarchy, minter=Minter("http://hub.test/"),
                         source_id="t", document=path.as_uri()).records


def summary(verdicts: list[Verdict]) -> dict[str, tuple[bool, frozenset[tuple[str, str]]]]:
    return {v.record.subject.value: (v.accepted, frozenset((r.shape, r.severity) for r in v.results))
            for v in verdicts}


def both(records: list[Record], shapes_dir: Path | None = None) -> tuple[dict, dict]:  # type: ignore[type-arg]
    kwargs = {"shapes_dir": shapes_dir} if shapes_dir else {}
    compiled = Charter(engine="compiled", **kwargs)  # type: ignore[arg-type]
    assert compiled.compiled is not None, getattr(compiled, "fallback_reason", "")
    return summary(compiled.validate(records)), summary(Charter(engine="pyshacl", **kwargs).validate(records))  # type: ignore[arg-type]


@pytest.mark.parametrize("feed", [
    "feeds/assiette-commune.ttl", "feeds/quartiers-en-transition.jsonld",
    "feeds/sante-solidaire/lieux.ttl", "feeds/sante-solidaire/praticiens-collectifs.ttl",
    "feeds/sante-solidaire/agenda.ttl",
])
def test_the_charter_compiled_agrees_with_pyshacl_on_the_examples(feed: str) -> None:
    compiled, reference = both(records_of(EXAMPLES / feed))
    assert compiled == reference


def test_every_constraint_agrees_with_pyshacl(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    (shapes / "test.ttl").write_text((FIXTURES / "every-constraint.shapes.ttl").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    records = records_of(FIXTURES / "every-constraint.ttl")
    compiled, reference = both(records, shapes)
    assert compiled == reference
    rejected = {subject.rsplit("/", 1)[-1] for subject, (accepted, _) in compiled.items() if not accepted}
    # Every violating organisation is caught, the good one, the warning and the info are not rejections.
    assert rejected == {"one-name", "two-geos", "far", "no-lat", "postal", "keyword", "url", "lat-string",
                        "length", "lang", "unique", "date", "members", "employees", "phones", "self"}
    assert compiled["https://test.example/org/bad-email"][1] == {("https://test.example/shapes#email", "Warning")}
    assert compiled["https://test.example/org/area"][1] == {("https://test.example/shapes#either", "Info")}


def test_an_unsupported_feature_falls_back_to_pyshacl(tmp_path: Path) -> None:
    shapes_text = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <https://schema.org/> .
        <https://t.example/S> a sh:NodeShape ; sh:targetClass schema:Organization ;
          sh:property [ sh:path schema:member ; sh:class schema:Person ] ."""
    quads: list[Quad] = list(parse(shapes_text, format=RdfFormat.TURTLE))
    with pytest.raises(UnsupportedShape, match="class"):
        Compiler(quads, default_vocabulary().hierarchy.subclasses).compile()
    folder = tmp_path / "shapes"
    folder.mkdir()
    (folder / "s.ttl").write_text(shapes_text, encoding="utf-8")
    charter = Charter(shapes_dir=folder)
    assert charter.compiled is None
    [verdict] = charter.validate(records_of(EXAMPLES / "feeds/assiette-commune.ttl")[:1])
    assert verdict.accepted
