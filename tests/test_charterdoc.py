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


def test_the_page_shows_the_active_area_and_the_profiles() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "| name / nom / naam | Belgique / België / Belgium |" in text
    assert "| boundary / limite / grens | `vocab/areas/belgium.geojson` |" in text
    assert "| countries / pays / landen | BE |" in text and "BE: `^[1-9][0-9]{3}$`" in text
    assert '`unlocated = "warn"`: warns / avertit / waarschuwt' in text
    assert "Part `brussels`:" in text and "1000, 1020, 1030" in text
    assert "### `shapes/profiles/health.ttl`" in text and "`hubsh:HealthProfileShape-costOfServices`" in text


def test_another_profile_renders_its_own_area() -> None:
    from hub.core.profile import load_profile
    from tests.test_area import LYON

    text = render(profile=load_profile(LYON / "hub.toml"))
    assert "Lyon et le Rhône / Lyon en de Rhône / Lyon and the Rhône" in text
    assert "FR: `^69[0-9]{3}$`" in text and '`unlocated = "reject"`: rejects' in text
    assert "dans la zone desservie par le hub (Lyon et le Rhône)" in text and "(Belgique)" not in text
