"""docs/charter.md says what the shapes enforce: its rules section is the shapes, rendered."""

from __future__ import annotations

from hub.charter.document import DOC, generated_section, render
from tests.test_charter import expected_messages, shapes_graph


def test_the_charter_page_matches_the_shapes() -> None:
    assert generated_section(DOC.read_text(encoding="utf-8")) == render(), \
        "docs/charter.md is stale: run `python -m hub.charter.document`"


def test_every_rule_and_its_three_messages_are_on_the_page() -> None:
    text = DOC.read_text(encoding="utf-8")
    from rdflib.namespace import SH
    shapes = {str(s).rsplit("#", 1)[-1] for s in shapes_graph().subjects(SH.severity, None)}
    assert len(shapes) > 60
    for shape in shapes:
        assert f"`hubsh:{shape}`" in text, shape
        for message in expected_messages(shape).values():
            assert message.replace("|", "\\|") in text, (shape, message)
