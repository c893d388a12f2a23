"""sources.toml: the registry publishers edit by hand, so its errors must point at the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.core.config import ConfigError, load_sources
from tests.conftest import EXAMPLES

VALID = """
[[source]]
id = "one"
name = "One"
url = "file:feed.ttl"
license = "https://creativecommons.org/licenses/by/4.0/"
publisher = "One asbl"
contact = "mailto:one@one.example"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_examples_load_with_their_keys() -> None:
    sources = load_sources(EXAMPLES / "sources.toml")
    assert [s.id for s in sources] == ["assiette-commune", "quartiers-en-transition", "sante-solidaire",
                                       "savoirs-communs", "jardins-partages", "repair-cafes", "agenda-alternatives"]
    assert [s.format for s in sources[4:]] == ["geojson", "csv", "ical"]
    assert sources[5].mapping_path() == EXAMPLES / "mappings" / "repair-cafes.toml"
    food = sources[0]
    assert food.format == "turtle" and food.language == "fr"
    assert food.max_bytes == 104_857_600 and food.period == "P1D" and food.gone_grace == "P7D"
    assert food.keep_runs == 5
    assert sources[2].urls == ("file:feeds/sante-solidaire/",)


def test_unknown_key_names_its_line_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + 'licence_x = "oops"\nformt = "turtle"\n')
    with pytest.raises(ConfigError) as error:
        load_sources(path)
    message = str(error.value)
    assert f"{path}:9:" in message and "'licence_x'" in message


def test_misspelt_key_gets_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + 'formt = "turtle"\n')
    with pytest.raises(ConfigError, match=r"sources.toml:9: .*unknown key 'formt' \(did you mean 'format'\?\)"):
        load_sources(path)


def test_missing_required_key_names_the_table(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('contact = "mailto:one@one.example"\n', ""))
    with pytest.raises(ConfigError, match=r"sources.toml:2: .*missing required key 'contact'"):
        load_sources(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('id = "one"', 'id = "One!"', r"must match \[a-z0-9-\]\+"),
        ('url = "file:feed.ttl"', 'url = "ftp://x/feed.ttl"', "must be http"),
        ('contact = "mailto:one@one.example"', 'contact = "one@one.example"', "mailto: or https:"),
        ('license = "https://creativecommons.org/licenses/by/4.0/"', 'license = "CC-BY"', "must be an IRI"),
    ],
)
def test_bad_values_are_refused(tmp_path: Path, old: str, new: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_sources(write(tmp_path, VALID.replace(old, new)))


def test_keep_runs_is_a_positive_integer(tmp_path: Path) -> None:
    [source] = load_sources(write(tmp_path, VALID + "keep_runs = 12\n"))
    assert source.keep_runs == 12
    for bad in ("0", "-1", '"3"', "true", "2.5"):
        with pytest.raises(ConfigError, match=r":\d+: \[\[source\]\] #1: 'keep_runs' must be a positive integer"):
            load_sources(write(tmp_path, VALID + f"keep_runs = {bad}\n"))


def test_bad_format_and_duration(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"format 'turtel' is not supported \(did you mean 'turtle'\?\)"):
        load_sources(write(tmp_path, VALID + 'format = "turtel"\n'))
    with pytest.raises(ConfigError, match="ISO 8601 duration"):
        load_sources(write(tmp_path, VALID + 'period = "daily"\n'))


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="used twice"):
        load_sources(write(tmp_path, VALID + VALID))


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_sources(write(tmp_path, "[[source]\nid = 1"))


def test_mapping_paths_relative_absolute_or_shipped(tmp_path: Path) -> None:
    absolute = tmp_path / "elsewhere" / "m.toml"
    text = "".join(
        f'[[source]]\nid = "{sid}"\nname = "N"\nurl = "file:f"\nformat = "{fmt}"\n'
        + (f'mapping = "{mapping}"\n' if mapping else "")
        + 'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "P"\ncontact = "mailto:a@b.example"\n'
        for sid, fmt, mapping in (("rel", "csv", "maps/m.toml"), ("abs", "geojson", str(absolute)),
                                  ("hsds", "csv", "hsds"), ("agenda", "ical", None)))
    toml = tmp_path / "sources.toml"
    toml.write_text(text, encoding="utf-8")
    rel, absolute_source, shipped, agenda = load_sources(toml)
    assert rel.mapping_path() == tmp_path.resolve() / "maps" / "m.toml"
    assert absolute_source.mapping_path() == absolute
    assert shipped.mapping_path() is not None and shipped.mapping_path().name == "hsds.toml"  # type: ignore[union-attr]
    assert shipped.mapping_path().exists()  # type: ignore[union-attr]
    assert agenda.mapping_path() is None  # optional for iCalendar


@pytest.mark.parametrize(("value", "share"), [("0.25", 0.25), ("1", 1.0), ("0", 0.0), ('"50%"', 0.5),
                                              ('"12.5 %"', 0.125)])
def test_max_removal_takes_a_share_or_a_percentage(tmp_path: Path, value: str, share: float) -> None:
    [source] = load_sources(write(tmp_path, VALID + f"max_removal = {value}\n"))
    assert source.max_removal == share
    [default] = load_sources(write(tmp_path, VALID))
    assert default.max_removal == 0.5 and default.max_seconds == 600.0


@pytest.mark.parametrize("value", ["1.5", "-0.1", '"150%"', '"half"', "true"])
def test_max_removal_out_of_range_is_refused_on_its_line(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"sources.toml:9: .*'max_removal' must be a share"):
        load_sources(write(tmp_path, VALID + f"max_removal = {value}\n"))


def test_max_seconds_must_be_positive(tmp_path: Path) -> None:
    [source] = load_sources(write(tmp_path, VALID + "max_seconds = 2.5\n"))
    assert source.max_seconds == 2.5
    with pytest.raises(ConfigError, match="'max_seconds' must be a positive number"):
        load_sources(write(tmp_path, VALID + "max_seconds = 0\n"))


def test_a_license_iri_the_store_cannot_hold_is_refused(tmp_path: Path) -> None:
    """Once accepted, it made the description of the sources (DCAT) fail the whole harvest."""
    text = VALID.replace("https://creativecommons.org/licenses/by/4.0/", "https://x.example/my licence")
    with pytest.raises(ConfigError, match="license 'https://x.example/my licence' is not a valid IRI"):
        load_sources(write(tmp_path, text))
