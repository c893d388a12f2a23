"""Check before publishing, every format (issue 22): `POST /api/validate` and `/validate` take RDF, HTML, GeoJSON,
CSV, iCalendar and the platform formats, with a mapping sent as a second form field or the one the hub suggests,
and give `mutualisons validate`'s verdict; the page is the site's, in one language, with a JSON twin."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.cli import main
from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.locale import LANGUAGES, text
from tests.conftest import BASE, EXAMPLES
from tests.test_gogocarto import ELEMENTS
from tests.test_validate_api import comparable

MAPPED = [  # document, format, mapping: the example networks' mapped feeds
    (EXAMPLES / "feeds" / "jardins-partages.geojson", "geojson", EXAMPLES / "mappings" / "jardins-partages.toml"),
    (EXAMPLES / "feeds" / "repair-cafes.csv", "csv", EXAMPLES / "mappings" / "repair-cafes.toml"),
    (EXAMPLES / "feeds" / "agenda-alternatives.ics", "ical", EXAMPLES / "mappings" / "agenda-alternatives.toml"),
]
ONE_BAD_FEATURE = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "potager", "properties": {"nom": "Potager du Canal", "site": "https://potager.example/"},
     "geometry": {"type": "Point", "coordinates": [4.3459, 50.8553]}},
    {"type": "Feature", "id": "cafe", "properties": {"nom": "Repair Café Ixelles", "site": "https://cafe.example/"},
     "geometry": {"type": "Point", "coordinates": [4.3720, 50.8330]}},
    {"type": "Feature", "id": "lyon", "properties": {"nom": "Épicerie de Lyon", "site": "https://lyon.example/"},
     "geometry": {"type": "Point", "coordinates": [4.8357, 45.7640]}}]}
CHECK_KEYS = ("check_title", "check_intro", "check_file", "check_paste", "check_names_language", "check_mapping",
              "check_mapping_help", "check_submit")


@pytest.fixture()
def client(tmp_path: Path) -> Any:
    settings = Settings(sources_path=EXAMPLES / "sources.toml", data_dir=tmp_path / "data", base_iri=BASE)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def cli_verdict(capsys: pytest.CaptureFixture[str], path: Path, format_name: str | None,
                mapping: Path | None, language: str | None = None) -> dict[str, Any]:
    argv = ["--sources", str(EXAMPLES / "sources.toml"), "--base-iri", BASE, "validate", str(path), "--json"]
    argv += ["--format", format_name] if format_name else []
    argv += ["--mapping", str(mapping)] if mapping else []
    argv += ["--language", language] if language else []
    assert main(argv) in (0, 1)
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def same_verdict(api: dict[str, Any], cli: dict[str, Any]) -> None:
    assert comparable(api) == comparable(cli)
    assert (api["status"], api["counts"]) == (cli["status"], cli["counts"])
    assert len(api["errors"]) == len(cli["errors"])


@pytest.mark.parametrize(("path", "format_name", "mapping"), MAPPED, ids=[m[1] for m in MAPPED])
def test_a_mapped_format_with_its_mapping_as_a_second_field_gets_the_cli_verdict(
        client: TestClient, capsys: pytest.CaptureFixture[str], path: Path, format_name: str, mapping: Path) -> None:
    answer = client.post("/api/validate", files={"document": (path.name, path.read_bytes()),
                                                 "mapping": (mapping.name, mapping.read_bytes())},
                         data={"format": format_name, "language": "fr"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["format"] == format_name and report["counts"]["accepted"] > 0
    assert report["mapping"] == {"suggested": False}
    same_verdict(report, cli_verdict(capsys, path, format_name, mapping, "fr"))


def test_a_geojson_without_mapping_is_read_with_the_suggested_one_which_the_answer_hands_back(
        client: TestClient, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = json.dumps(ONE_BAD_FEATURE).encode()
    answer = client.post("/api/validate", files={"document": ("places.geojson", body)}, data={"language": "fr"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    suggested = report["mapping"]
    assert suggested["suggested"] is True and suggested["format"] == "geojson"
    assert 'key = "id"' in suggested["text"] and "places.geojson" in suggested["text"]
    assert report["counts"] == {"accepted": 2, "rejected": 1, "warned": 1} and report["status"] == "partial"
    [rejected] = [record for record in report["records"] if not record["accepted"]]
    assert rejected["names"] == {"fr": "Épicerie de Lyon"}
    # Kept as the source's mapping, the suggestion gives the CLI the very same verdict.
    (tmp_path / "places.geojson").write_bytes(body)
    (tmp_path / "mapping.toml").write_text(suggested["text"], encoding="utf-8")
    same_verdict(report, cli_verdict(capsys, tmp_path / "places.geojson", None, tmp_path / "mapping.toml", "fr"))


def test_a_platform_page_gets_the_cli_verdict(client: TestClient, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    page = tmp_path / "elements.json"
    page.write_text(json.dumps({"licence": "https://opendatacommons.org/licenses/odbl/summary/",
                                "ontology": "gogofull", "data": ELEMENTS}), encoding="utf-8")
    # Its file name is the document's: the platform's mapping reads `elements.json*`, as from the instance.
    answer = client.post("/api/validate", files={"document": (page.name, page.read_bytes(), "application/json")},
                         data={"format": "gogocarto", "language": "fr"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["counts"]["accepted"] == len(ELEMENTS)
    same_verdict(answer.json(), cli_verdict(capsys, page, "gogocarto", None, "fr"))


def test_every_format_of_the_table_is_offered(client: TestClient) -> None:
    from harvesters.formats import table

    page = client.get("/validate", params={"lang": "en"}).text
    for fmt in table():
        assert f'<option value="{fmt.name}">' in page
    refused = client.post("/api/validate?format=kml", content=b"x")
    assert refused.status_code == 400 and "geojson" in refused.json()["detail"] and "csv" in refused.json()["detail"]


def test_a_bad_mapping_or_an_empty_form_is_a_problem_in_the_request_language(client: TestClient) -> None:
    path, _, _ = MAPPED[1]
    bad = client.post("/api/validate", files={"document": (path.name, path.read_bytes()),
                                              "mapping": ("m.toml", b"type = [unclosed")},
                      data={"format": "csv"}, headers={"Accept-Language": "nl"})
    assert bad.status_code == 422 and bad.json()["title"] == "Onleesbaar document"
    assert "mapping" in bad.json()["detail"]
    empty = client.post("/api/validate", files={"document": ("x.csv", b"  ")}, headers={"Accept-Language": "fr"})
    assert empty.status_code == 400 and empty.json()["title"] == "Document vide"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_page_is_the_sites_in_one_language_with_its_json_twin(client: TestClient, lang: str) -> None:
    page = client.get("/validate", params={"lang": lang}).text
    assert f'<html lang="{lang}">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<header class="site">' in page and 'href="/static/site/site.css"' in page
    assert '<link rel="alternate" type="application/json" href="/api/validate">' in page
    for key in CHECK_KEYS:
        assert escape(text(lang, key)) in page
        for other in LANGUAGES:
            if text(other, key) != text(lang, key):
                assert escape(text(other, key)) not in page, (key, other)


def test_the_page_names_the_bad_feature_and_says_why_in_dutch_and_offers_the_mapping(client: TestClient) -> None:
    body = json.dumps(ONE_BAD_FEATURE).encode()
    answer = client.post("/validate", params={"lang": "nl"},
                         files={"document": ("places.geojson", body, "application/geo+json")},
                         data={"language": "fr"})
    assert answer.status_code == 200
    main_part = answer.text.split('<main id="main" tabindex="-1">', 1)[1]
    visible = re.sub(r"<pre[^>]*>.*?</pre>", "", main_part, flags=re.S)  # the suggested mapping's own text
    assert "Het document is niet conform" in visible and "1 fiche geweigerd" in visible
    assert "2 fiches aanvaard" in visible
    card = visible.split('<li class="card rejected">', 1)[1].split('<li class="card', 1)[0].split("<details>")[0]
    # Why first, then which feature.
    assert card.index("Waarom:") < card.index("werkgebied van de hub") < card.index("Épicerie de Lyon")
    assert "_:" not in visible and "urn:mutualisons" not in visible
    assert "places.geojson: 3 naam/namen zonder taallabel gelabeld als @fr" in visible
    assert "Voorgestelde mapping" in visible and 'download="mapping.toml"' in visible
    for english in ("rejected", "accepted", "Does not conform", "Why:", "warning"):
        assert re.search(rf">[^<]*\b{english}\b", visible) is None, english
    assert 'href="data:application/json;base64,' in visible  # the exact API answer, to download


def test_the_page_keeps_the_form_and_says_a_refusal_in_its_language(client: TestClient) -> None:
    answer = client.post("/validate", params={"lang": "fr"}, files={"document": ("x.ttl", b"")},
                         data={"text": "", "format": "turtle"})
    assert answer.status_code == 400 and "Document vide" in answer.text and '<html lang="fr">' in answer.text
    broken = client.post("/validate", params={"lang": "nl"}, data={"text": '<a> <b> "unclosed .', "format": "turtle"},
                         files={"mapping": ("", b"")})
    assert broken.status_code == 422 and "Onleesbaar document" in broken.text
    assert "unclosed" in broken.text  # the pasted text is kept for the next try


def test_the_page_says_a_rate_limit_in_its_language(client: TestClient) -> None:
    from hub.gateway.validate import RateLimiter

    client.app.state.validate_limiter = RateLimiter(limit=1, window=60)  # type: ignore[attr-defined]
    assert client.post("/validate", params={"lang": "nl"}, data={"text": " "}).status_code == 400
    limited = client.post("/validate", params={"lang": "nl"}, data={"text": " "})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert '<html lang="nl">' in limited.text and "Te veel controles: dit adres mag 1 controles" in limited.text
