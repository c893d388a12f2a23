"""The table of feed formats: filled from entry points, read by every part that needs a format's facts, and open
to a format from outside (tests/format_plugin: one module, one entry-point line) that then harvests end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harvesters import formats
from harvesters.formats import DocumentContext, Format, FormatTable, FormatTableError, LiftResult
from hub.archive.datadir import DataDir
from hub.cli import main
from hub.core.config import ConfigError, Settings, load_sources
from hub.core.namespaces import sparql_prefixes
from hub.pipeline import documents
from hub.pipeline.documents import walk
from hub.pipeline.fetch import Fetched, FetchError, FetchPolicy, now_iso
from hub.pipeline.harvest import harvest
from hub.store import generations
from hub.store.embedded import ReadOnlyStore
from tests.conftest import BASE, ROOT, quiet
from tests.loopback import Answer, Canary, Request, serve

PLUGIN = Path(__file__).resolve().parent / "format_plugin"
BUILT_IN = ["csv", "dfc", "geojson", "gogocarto", "hsds-json", "html", "ical", "json", "jsonld", "ldes", "murmurations",
            "nquads", "ntriples", "openfairdb", "rdfxml", "trig", "turtle"]
POINTS = "Potager des Marolles;50.8376;4.3470\nRepair Café Ixelles;50.8275;4.3719\n"
SOURCE = ('[[source]]\nid = "points"\nname = "Points"\nurl = "{url}"\nformat = "pointlines"\nlanguage = "fr"\n'
          'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Points"\n'
          'contact = "mailto:points@points.example"\n')


@pytest.fixture()
def plugin() -> Iterator[None]:
    """The test distribution `mutualisons-pointlines` installed: its folder on sys.path, the table reloaded."""
    sys.path.insert(0, str(PLUGIN))
    formats.reload()
    try:
        yield
    finally:
        sys.path.remove(str(PLUGIN))
        sys.modules.pop("pointlines", None)
        formats.reload()


def published(data: Path, query: str) -> list[str]:
    """The values of ?v that the published generation answers."""
    generation = generations.current(DataDir(data))
    assert generation is not None
    return sorted(row["v"].value for row in ReadOnlyStore(generation.path).select(sparql_prefixes() + query))


# --- the built-in formats ----------------------------------------------------------------------------

def test_the_built_in_formats_are_the_entry_points_of_pyproject_by_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["mutualisons.formats"]
    assert sorted(registry) == BUILT_IN
    assert formats.table().names() == BUILT_IN  # by name, as an installed wheel's metadata has them
    # The CLI's choices come from the table: `html` is one (it was left out of `validate --format` before).
    assert main(["validate", str(tmp_path / "page.html"), "--format", "html"]) == 2
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["mapping", "suggest", str(tmp_path / "page.html"), "--format", "html"])
    assert "invalid choice: 'html' (choose from 'csv', 'geojson', 'ical', 'json')" in capsys.readouterr().err


def _table_in_a_child(path: list[Path], cwd: Path) -> list[str]:
    code = "from harvesters import formats; print(formats.__file__); print(','.join(formats.table().names()))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))})
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def _hub_metadata(folder: Path, entries: dict[str, str]) -> None:
    info = folder / "mutualisons-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mutualisons\nVersion: 0.1.0\n")
    # As setuptools writes it: sorted by name.
    (info / "entry_points.txt").write_text("[mutualisons.formats]\n" + "".join(
        f"{name} = {value}\n" for name, value in sorted(entries.items())))


def test_installed_the_formats_come_from_the_metadata_and_from_a_source_tree_from_its_pyproject(
        tmp_path: Path) -> None:
    registry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["mutualisons.formats"]
    # Installed (a wheel: the packages and their metadata, no pyproject.toml beside them).
    site = tmp_path / "site"
    shutil.copytree(ROOT / "harvesters", site / "harvesters", ignore=shutil.ignore_patterns("__pycache__"))
    _hub_metadata(site, registry)
    where, names = _table_in_a_child([site], tmp_path)
    assert where.startswith(str(site)) and names.split(",") == BUILT_IN
    # From the source tree, an installed copy of the hub's metadata (older, or another checkout's) is ignored.
    stale = tmp_path / "stale"
    _hub_metadata(stale, {"turtle": "no_such_module_here:TURTLE"})
    where, names = _table_in_a_child([ROOT, stale], tmp_path)
    assert where == str(ROOT / "harvesters" / "formats.py") and names.split(",") == BUILT_IN


def test_the_facts_of_the_built_in_formats() -> None:
    table = formats.table()
    facts = {fmt.name: (fmt.graphs, fmt.mapping, fmt.line_based, fmt.json, fmt.suggest is not None,
                        fmt.documents is not None) for fmt in table}
    assert facts == {
        "turtle": (False, "none", False, False, False, False), "trig": (True, "none", False, False, False, False),
        "ntriples": (False, "none", True, False, False, False), "nquads": (True, "none", True, False, False, False),
        "rdfxml": (False, "none", False, False, False, False), "jsonld": (True, "none", False, True, False, False),
        "html": (True, "none", False, False, False, False), "geojson": (False, "required", False, True, True, False),
        "csv": (False, "required", False, False, True, False), "ical": (False, "optional", False, False, True, False),
        "dfc": (True, "none", False, True, False, True), "ldes": (True, "none", False, False, False, True),
        "json": (False, "required", False, True, True, False),
        "gogocarto": (False, "optional", False, True, False, True),
        "openfairdb": (False, "optional", False, True, False, True),
        "murmurations": (False, "optional", False, True, False, True),
        "hsds-json": (False, "optional", False, True, False, True)}
    assert table.by_media_type("application/geo+json; charset=utf-8").name == "geojson"  # type: ignore[union-attr]
    assert table.by_extension("https://a.example/agenda.ICS?x=1").name == "ical"  # type: ignore[union-attr]


def test_the_docs_say_what_the_table_says() -> None:
    rows = [[cell.strip() for cell in line.split("|")[1:-1]]
            for line in (ROOT / "docs" / "formats.md").read_text().splitlines()
            if line.startswith("| `") and not line.startswith("| `format`")]
    documented = {row[0].strip("`"): row for row in rows}
    assert sorted(documented) == BUILT_IN and len(rows) == len(BUILT_IN)
    for fmt in formats.table():
        _, _, media, extensions, graphs, mapping, line_based, _ = documented[fmt.name]
        assert [m.strip("` ") for m in media.split(",") if m.strip() != "none"] == list(fmt.media_types), fmt.name
        assert [e.strip("` ") for e in extensions.split(",") if e.strip() != "none"] == list(fmt.extensions), fmt.name
        assert (graphs, mapping.split()[0], line_based.split()[0]) == (
            "yes" if fmt.graphs else "no", fmt.mapping, "yes" if fmt.line_based else "no"), fmt.name
    sources = next(line for line in (ROOT / "docs" / "sources.md").read_text().splitlines()
                   if line.startswith("| `format` |"))
    assert all(f"`{name}`" in sources for name in BUILT_IN)


@pytest.mark.parametrize(("body", "url", "content_type", "expected"), [
    # JSON is recognised by its content first: `.json` and application/json say nothing of which JSON.
    (b'{"type": "FeatureCollection", "features": []}', "https://a.example/layer.json", "application/json",
     "geojson"),
    (b'{"@context": "https://schema.org", "@type": "Place", "name": "x"}', "https://a.example/x.geojson", None,
     "jsonld"),
    (b'{"features": [], "type": "FeatureCollection", "@context": {}}', "https://a.example/x", None, "jsonld"),
    # JSON that names no kind: the media type, then the extension, then its content: JSON that is neither JSON-LD
    # nor GeoJSON is a platform's or an export's (`json`, read through a mapping), whatever `.json` or
    # `application/json` say (issue "Real networks plug in": it was read as JSON-LD, and gave nothing).
    (b'{"name": "x"}', "https://a.example/x", "application/geo+json", "geojson"),
    (b'{"name": "x"}', "https://a.example/x.geojson", None, "geojson"),
    (b'{"name": "x"}', "https://a.example/x", None, "json"),
    (b'{"data": [{"name": "x"}]}', "https://a.example/api/elements.json", "application/json", "json"),
    (b'{"@context": "https://schema.org", "name": "x"}', "https://a.example/x.json", "application/json", "jsonld"),
    # A calendar is recognised by its first line, a table only by its name or media type.
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "https://a.example/agenda", None, "ical"),
    (b"id;name\n1;x\n", "https://a.example/t", None, "turtle"),
    (b"id;name\n1;x\n", "https://a.example/t.tsv", None, "csv"),
])
def test_detection_order(body: bytes, url: str, content_type: str | None, expected: str) -> None:
    assert formats.detect_format(None, content_type, url, body) == expected


def test_mapping_suggest_detects_among_the_formats_that_suggest(tmp_path: Path) -> None:
    from harvesters.suggest import suggest_mapping

    layer = tmp_path / "layer.json"
    layer.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                     '{"nom": "Jardin"}, "geometry": {"type": "Point", "coordinates": [4.35, 50.84]}}]}')
    assert "(geojson, 1 features)" in suggest_mapping(layer)
    agenda = tmp_path / "agenda.txt"
    agenda.write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    assert "(ical)" in suggest_mapping(agenda)
    table = tmp_path / "lieux.txt"
    table.write_text("nom;ville\nJardin;Bruxelles\n")
    assert "(csv, 1 rows)" in suggest_mapping(table)


def test_loading_the_table_imports_no_heavy_library() -> None:
    """The table imports every format's module for its entry: those stay cheap (extruct, shapely with numpy,
    icalendar are imported when a document of theirs is lifted)."""
    code = ("import sys; from harvesters.formats import table; table(); "
            "print(sorted(m for m in ('extruct', 'shapely', 'numpy', 'icalendar', 'rdflib') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- what the table refuses ----------------------------------------------------------------------------

def _lift_nothing(body: bytes, context: DocumentContext) -> LiftResult:
    return LiftResult(b"")


def test_a_format_states_its_facts_in_the_table_s_terms() -> None:
    with pytest.raises(FormatTableError, match="lower-case letters"):
        Format("Points", _lift_nothing)
    with pytest.raises(FormatTableError, match="without parameters"):
        Format("points", _lift_nothing, media_types=("text/plain; charset=utf-8",))
    with pytest.raises(FormatTableError, match="must start with '.'"):
        Format("points", _lift_nothing, extensions=("txt",))
    with pytest.raises(FormatTableError, match="'text/turtle' belongs to both 'turtle' and 'points'"):
        FormatTable([*formats.table(), Format("points", _lift_nothing, media_types=("text/turtle",))])
    with pytest.raises(FormatTableError, match="reads 'n3', which is not registered"):
        FormatTable([Format("points", _lift_nothing, reads=("n3",))])


def distribution(folder: Path, entries: str) -> None:
    """A distribution `bad-formats` in `folder` (put on sys.path by the caller) with these entry points."""
    info = folder / "bad_formats-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-formats\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entries)


@pytest.mark.parametrize(("entries", "message"), [
    ("broken = no_such_module_here:X\n", "'broken' registered as no_such_module_here:X .* cannot be loaded: "
                                          "ModuleNotFoundError"),
    ("csv = harvesters.mapping:SCHEMA\n", "is a str, not a harvesters.formats.Format"),
    ("tables = harvesters.csv_table:CSV\n", "names the format 'csv' .*: the two names must be the same"),
    ("csv = harvesters.geojson:GEOJSON\n", "names the format 'geojson'"),
    ("turtle = pointlines:POINTLINES\n", "names the format 'pointlines'"),
])
def test_a_bad_registration_is_one_clear_error(tmp_path: Path, entries: str, message: str) -> None:
    distribution(tmp_path, f"[mutualisons.formats]\n{entries}")
    sys.path[:0] = [str(tmp_path), str(PLUGIN)]
    try:
        with pytest.raises(FormatTableError, match=message):
            formats.load_table()
    finally:
        del sys.path[:2]
        sys.modules.pop("pointlines", None)


def test_a_second_format_under_a_taken_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other_turtle.py").write_text("from harvesters.rdf import TRIG as TURTLE\n")
    distribution(tmp_path, "[mutualisons.formats]\nturtle = other_turtle:TURTLE\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(FormatTableError, match="names the format 'trig'"):
            formats.load_table()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("other_turtle", None)
    with pytest.raises(FormatTableError, match="no feed format is registered .*pip install -e"):
        formats.load_table("mutualisons.formats-nothing")


def test_a_broken_format_package_stops_the_cli_with_one_sentence(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    distribution(tmp_path, "[mutualisons.formats]\nbroken = no_such_module_here:X\n")
    sys.path.insert(0, str(tmp_path))
    formats.table.cache_clear()
    try:
        assert main(["validate", str(tmp_path / "x.ttl")]) == 2
    finally:
        sys.path.remove(str(tmp_path))
        formats.reload()
    error = capsys.readouterr().err
    assert error.startswith("mutualisons: the table of feed formats cannot be built: the format 'broken' "
                            "registered as no_such_module_here:X") and "Traceback" not in error


# --- a format from outside: tests/format_plugin ----------------------------------------------------------

def test_a_plugin_format_joins_the_table_and_every_reader_of_it(plugin: None, tmp_path: Path) -> None:
    assert formats.table().names() == [*BUILT_IN, "pointlines"]
    points = formats.table().get("pointlines")
    assert points is not None and points.documents is not None
    assert formats.detect_format(None, None, "https://p.example/feed", POINTS.encode()) == "pointlines"
    assert formats.detect_format(None, None, "https://p.example/feed.points", b"# empty\n") == "pointlines"
    assert formats.detect_format(None, "text/x-pointlines", "https://p.example/feed", b"") == "pointlines"
    (tmp_path / "sources.toml").write_text(SOURCE.format(url="file:feed.points"))
    assert load_sources(tmp_path / "sources.toml")[0].format == "pointlines"
    (tmp_path / "sources.toml").write_text(SOURCE.format(url="file:feed.points").replace("pointlines", "pointline"))
    with pytest.raises(ConfigError, match="did you mean 'pointlines'.*supported: csv, .*, turtle, pointlines$"):
        load_sources(tmp_path / "sources.toml")


def test_a_feed_in_a_plugin_format_harvests_end_to_end(plugin: None, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "feed.points").write_text(POINTS + "Nulle part;abc;4\n")
    (tmp_path / "sources.toml").write_text(SOURCE.format(url="file:feed.points"))
    settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
    run = harvest(settings, progress=quiet).runs[0]
    assert (run.status, run.counts["accepted"], run.counts["rejected"]) == ("partial", 2, 0)
    assert run.errors == ["file:feed.points: line 3: expected name;lat;lon"]
    assert published(settings.data_dir, "SELECT ?v WHERE { ?p a schema:Place ; schema:name ?v }") == [
        "Potager des Marolles", "Repair Café Ixelles"]
    # `mutualisons validate` takes the format too, and judges the document as the harvest did.
    assert main(["--base-iri", BASE, "validate", str(tmp_path / "feed.points"), "--format", "pointlines"]) == 1
    out = capsys.readouterr().out
    assert "(pointlines): 2 record(s)" in out and "line 3: expected name;lat;lon" in out


def test_a_document_source_walks_pages_through_the_guarded_fetcher(plugin: None, tmp_path: Path,
                                                                   canary: Canary) -> None:
    """The plugin's pages name the next one; the walk follows them through the hub's fetcher, so a page that
    points at an address the source does not trust is refused like any fetch (the canary sees nothing)."""
    def route(request: Request) -> Answer:
        body = {"/p1": "Potager des Marolles;50.8376;4.3470\n# next: /p2\n",
                "/p2": f"Repair Café Ixelles;50.8275;4.3719\n# next: http://127.0.0.1:{canary.port}/p3\n"}
        return (200, {"Content-Type": "text/plain"}, body[request.path].encode()) if request.path in body \
            else (404, {}, b"")

    for server in serve(route):
        (tmp_path / "sources.toml").write_text(SOURCE.format(url=server.url("/p1")) +
                                               f'trusted_hosts = ["{server.hostport}"]\n')
        settings = Settings(tmp_path / "sources.toml", tmp_path / "data", BASE)
        run = harvest(settings, progress=quiet).runs[0]
        assert [r.path for r in server.requests] == ["/p1", "/p2"]
    assert canary.connections() == 0
    assert (run.status, run.counts["accepted"], run.counts["documents"]) == ("partial", 2, 3)
    assert run.errors == [f"http://127.0.0.1:{canary.port}/p3: 127.0.0.1 resolves to non-public address 127.0.0.1; "
                          f"list '127.0.0.1:{canary.port}' in trusted_hosts to allow it [fetch.non-public]"]
    # Each record's document is its fetch node's (provenance model 2: docs/provenance.md).
    derived = published(settings.data_dir, "SELECT ?v WHERE { GRAPH ?m { ?g hub:recordSubject ?s ; "
                                           "hub:fetch ?f . ?f hub:document ?v } }")
    assert derived == [server.url("/p1"), server.url("/p2")]


def test_a_walk_is_bounded_and_takes_only_what_the_fetcher_fetched(plugin: None, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def endless(request: Request) -> Answer:
        return 200, {}, f"P{request.path[1:]};50.84;4.35\n# next: /{int(request.path[1:]) + 1}\n".encode()

    points = formats.table().get("pointlines")
    assert points is not None
    monkeypatch.setattr(documents, "MAX_DOCUMENTS", 3)
    for server in serve(endless):
        policy = FetchPolicy(trusted_hosts=(server.hostport,))
        walked: list[str] = []
        with pytest.raises(FetchError, match="need more than 3 fetches"):
            for document in walk(points, server.url("/1"), policy):
                walked.append(document.url)
        assert walked == [server.url("/1"), server.url("/2"), server.url("/3")]
        with pytest.raises(FetchError, match="exceed max_bytes=40 together"):
            list(walk(points, server.url("/1"), FetchPolicy(trusted_hosts=(server.hostport,), max_bytes=40)))

    def forged(url: str, fetch: object) -> Iterator[Fetched]:
        yield Fetched(url, b"Ailleurs;50.84;4.35\n", None, now_iso())  # made up, not fetched

    with pytest.raises(FetchError, match="did not fetch: refused"):
        list(walk(Format("forged", points.lift, documents=forged), "https://p.example/1", FetchPolicy()))

    def local(url: str, fetch: Callable[[str], Fetched]) -> Iterator[Fetched]:
        yield fetch("file:feed.points")  # a remote page naming a file of the hub's disk

    (tmp_path / "feed.points").write_text(POINTS)
    with pytest.raises(FetchError, match="file: URLs are accepted only as a source's own url"):
        list(walk(Format("local", points.lift, documents=local), "https://p.example/1",
                  FetchPolicy(file_root=tmp_path)))
    assert [d.url for d in walk(Format("local", points.lift, documents=local), "file:feed.points",
                                FetchPolicy(file_root=tmp_path))] == ["file:feed.points"]
