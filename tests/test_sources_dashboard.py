"""The sources dashboard (issue 22): a summary of every source up top, a chart of each source's last runs, its
last run's errors and warnings and its rejected records (as cards, why first), all in the page's language.

A real harvest of a GeoJSON feed whose errors and warnings are coded (a feature given as [lat, lon], a document
with no statement, untagged names) and one of whose records the charter rejects (outside the service area); the
page in French, Dutch and English says each of them in that language."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import escape

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from hub.charter import messages
from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.gateway.language import area_words, said_lines
from hub.locale import LANGUAGES, ago
from hub.pages.sources_page import render_sources
from hub.pipeline.harvest import RunSummary, harvest
from tests.conftest import BASE, quiet

FEATURES = [
    {"type": "Feature", "id": "potager", "properties": {"nom": "Potager du Canal"},
     "geometry": {"type": "Point", "coordinates": [4.3459, 50.8553]}},
    {"type": "Feature", "id": "inverse", "properties": {"nom": "Café inversé"},  # [lat, lon]: a coded row error
     "geometry": {"type": "Point", "coordinates": [50.8330, 4.3720]}},
    {"type": "Feature", "id": "lyon", "properties": {"nom": "Épicerie de Lyon"},  # outside: rejected
     "geometry": {"type": "Point", "coordinates": [4.8357, 45.7640]}},
]
SOURCE = """[[source]]
id = "net"
name = "Réseau test"
url = "file:feeds/net/"
format = "geojson"
mapping = "mapping.toml"
license = "https://creativecommons.org/licenses/by/4.0/"
publisher = "Net"
contact = "mailto:net@net.example"
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[RunSummary]]:
    folder = tmp_path_factory.mktemp("dashboard")
    feeds = folder / "feeds" / "net"
    feeds.mkdir(parents=True)
    (feeds / "places.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": FEATURES}),
                                          encoding="utf-8")
    (feeds / "empty.geojson").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    (folder / "mapping.toml").write_text('type = "schema:Organization"\nkey = "id"\n[fields]\nnom = "schema:name"\n',
                                         encoding="utf-8")
    (folder / "sources.toml").write_text(SOURCE, encoding="utf-8")
    settings = Settings(folder / "sources.toml", folder / "data", BASE)
    [first] = harvest(settings, progress=quiet).runs
    # A second run, the feed changed: two runs to chart.
    (feeds / "places.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": FEATURES[::-1]}),
                                          encoding="utf-8")
    [second] = harvest(settings, progress=quiet).runs
    return settings, [first, second]


@pytest.fixture(scope="module")
def hub(runs: tuple[Settings, list[RunSummary]]) -> tuple[Settings, RunSummary]:
    return runs[0], runs[1][-1]


@pytest.fixture(scope="module")
def client(hub: tuple[Settings, RunSummary]) -> TestClient:
    return TestClient(create_app(hub[0]))


def main_of(page: str) -> str:
    return page.split('<main id="main" tabindex="-1">', 1)[1]


def test_the_feed_gives_coded_errors_and_warnings(hub: tuple[Settings, RunSummary]) -> None:
    _, run = hub
    assert run.status == "partial" and run.counts["rejected"] == 1 and run.counts["accepted"] == 1
    assert sorted(line.rsplit("[", 1)[1] for line in run.errors) == ["document.empty]", "geo.swapped]"]
    assert any(line.endswith("[align.names-untagged]") for line in run.warnings)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_error_of_the_last_run_is_in_the_page_language(client: TestClient, hub: tuple[Settings, RunSummary],
                                                            lang: str) -> None:
    settings, run = hub
    page = main_of(client.get("/sources", params={"lang": lang}).text)
    words = area_words(settings.sources_path)
    for line in run.errors:
        said = messages.localize(line, lang, words)["text"]
        assert escape(str(said)) in page, said
        if lang != "en":
            english = line.rsplit(" [", 1)[0].split(": ", 1)[1]  # the sentence, without the document's address
            assert escape(english) not in page
    area = {"fr": "Belgique", "nl": "België", "en": "Belgium"}[lang]
    swapped = messages.render("geo.swapped", {"lon": "50.833", "lat": "4.372", "area": area})[lang]
    assert escape(swapped) in page
    # The rejected record, a card with why first: the charter's message in the page's language.
    card = page.split('<li class="card rejected">', 1)[1].split('<li class="card', 1)[0]
    why = messages.render("area.outside", {"area": area})[lang]
    assert escape(why) in card and card.index(escape(why)) < card.index("net-lyon")


def test_the_runs_api_says_the_errors_in_the_asked_language(client: TestClient,
                                                            hub: tuple[Settings, RunSummary]) -> None:
    _, run = hub
    path = "/api/runs/" + run.run.split("/run/", 1)[1]
    for lang in LANGUAGES:
        answer = client.get(path, headers={"Accept-Language": lang}).json()
        assert answer["lang"] == lang and answer["errors"] == run.errors  # as stored, whatever the language
        said = {line["code"]: line["text"] for line in answer["said"]["errors"]}
        assert set(said) == {"geo.swapped", "document.empty"}
        assert said["document.empty"].endswith(messages.MESSAGES["document.empty"][lang].split("{document}", 1)[1])
    assert client.get(path).json()["lang"] == "en"


def test_warnings_the_runs_api_lists_are_said_in_the_page_language(runs: tuple[Settings, list[RunSummary]]) -> None:
    """The run's warnings (coded alignment warnings, the records' charter warnings) as the runs API says them,
    where it lists them: each in the page's language."""
    settings, [run, _] = runs
    request = Request({"type": "http", "path": "/sources", "query_string": b"", "headers": [],
                       "server": ("hub.test", 80), "scheme": "http", "root_path": ""})
    words = area_words(settings.sources_path)
    for lang in LANGUAGES:
        last = {"status": run.status, "started": "2027-01-01T10:00:00Z", "counts": run.counts,
                "errors": run.errors, "warnings": run.warnings,
                "said": {"errors": said_lines(run.errors, lang, words),
                         "warnings": said_lines(run.warnings, lang, words)}}
        page = render_sources(request, lang, [{"id": "net", "name": "Net", "last_run": last}], {})
        untagged = next(line for line in run.warnings if line.endswith("[align.names-untagged]"))
        assert escape(str(messages.localize(untagged, lang)["text"])) in page
        record_warning = next(line for line in run.warnings if "language tag" in line and "[" not in line)
        if lang != "en":
            assert escape(record_warning.split(": ", 1)[1]) not in page
        assert {"fr": "étiquette de langue", "nl": "taallabel", "en": "language tag"}[lang] in page


@pytest.mark.parametrize(("lang", "words"), [
    ("fr", ("En un coup d'œil", "partielle", "il y a")),
    ("nl", ("In één oogopslag", "gedeeltelijk", "geleden")),
    ("en", ("At a glance", "partial", "ago")),
])
def test_a_summary_of_every_source_up_top(client: TestClient, hub: tuple[Settings, RunSummary], lang: str,
                                          words: tuple[str, ...]) -> None:
    page = main_of(client.get("/sources", params={"lang": lang}).text)
    summary = page.split('<table class="summary">', 1)[1].split("</table>", 1)[0]
    assert page.index('<table class="summary">') < page.index('class="source-card"')
    for word in words:
        assert escape(word) in page, word
    row = re.search(r'<tr><td data-label="[^"]+"><a href="#source-net">Réseau test</a></td>.*?</tr>', summary)
    assert row is not None
    numbers = re.findall(r'class="n-(\w+)">(\d+)<', row.group(0))
    counts = hub[1].counts
    assert numbers == [(name, str(counts[name])) for name in ("accepted", "rejected", "warned")]
    assert counts["accepted"] == counts["rejected"] == 1


def test_each_source_charts_its_last_runs_in_inline_svg(client: TestClient) -> None:
    page = main_of(client.get("/sources", params={"lang": "nl"}).text)
    chart = page.split('<figure class="runs-chart">', 1)[1].split("</figure>", 1)[0]
    assert chart.startswith("<svg role=\"img\"") and "De laatste 2 oogsten" in chart
    assert chart.count("<g><title>") == 2 and "1 fiche geweigerd" in chart
    assert 'fill="#a4161a"' in chart and 'fill="#1b6e2e"' in chart
    for outside in ("href", "<image", "url(", "<script"):  # drawn in the page: nothing fetched, nothing run
        assert outside not in chart


def test_age_is_said_per_language() -> None:
    now = dt.datetime(2027, 1, 4, 10, 0, tzinfo=dt.UTC)
    assert ago("2027-01-01T10:00:00Z", "nl", now) == "3 dagen geleden"
    assert ago("2027-01-01T10:00:00Z", "fr", now) == "il y a 3 jours"
    assert ago("2027-01-01T10:00:00Z", "en", now) == "3 days ago"
    assert ago("not a time", "en", now) == ""
