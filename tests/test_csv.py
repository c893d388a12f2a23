"""CSV lifting: delimiters, encodings, duplicate headers, bad rows with their line number."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harvesters.csv_table import lift_csv, sniff_delimiter
from harvesters.formats import LiftError
from harvesters.mapping import parse_mapping
from hub.core.config import Settings
from hub.pipeline.harvest import HarvestSummary
from hub.store.reader import PublishedReader
from tests.conftest import EXAMPLES, ROOT
from tests.mapped_helpers import SCHEMA, context, values

MAPPING = parse_mapping({"type": "schema:Organization", "key": "id", "fields": {
    "nom": {"property": "schema:name", "lang": "fr"},
    "ville": {"property": "schema:address/schema:addressLocality"},
    "lat": {"property": "schema:geo/schema:latitude", "transforms": ["number"]},
    "lon": {"property": "schema:geo/schema:longitude", "transforms": ["number"]},
}}, "test")
ROWS = [["id", "nom", "ville", "lat", "lon"], ["1", "Épicerie", "Ixelles", "50.82", "4.37"],
        ["2", "Fietsatelier", "Bruxelles", "50.85", "4.35"]]


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_delimiters_and_encodings_are_sniffed(delimiter: str, encoding: str) -> None:
    text = "\r\n".join(delimiter.join(row) for row in ROWS) + "\r\n"
    lifted = lift_csv(text.encode(encoding), MAPPING, context())
    assert not lifted.row_errors
    assert values(lifted.quads, SCHEMA + "name") == ["Fietsatelier", "Épicerie"]
    assert sniff_delimiter(text) == delimiter
    assert any("Windows-1252" in w for w in lifted.warnings) == (encoding == "cp1252")


def test_a_bad_row_is_reported_with_its_line_and_the_others_kept() -> None:
    text = ('id;nom;ville;lat;lon\n1;A;Ixelles;50.82;4.37\n2;B;"Multi\nline";50.85;4.35\n'
            '3;C;Uccle;cinquante;4.35\n4;D;Evere\n5;E;Forest;50.81;4.32\n')
    lifted = lift_csv(text.encode(), MAPPING, context())
    assert lifted.row_errors == [
        "file:feed: line 5: field 'lat': 'cinquante' is not a number",
        "file:feed: line 6: 3 cell(s) where the header has 5; row skipped",
    ]
    assert values(lifted.quads, SCHEMA + "name") == ["A", "B", "E"]


def test_duplicate_headers_keep_both_columns_and_the_mapping_chooses() -> None:
    mapping = parse_mapping({"type": "schema:Organization", "key": "id", "fields": {
        "nom": {"property": "schema:name", "lang": "fr"}, "nom#2": {"property": "schema:name", "lang": "nl"}}},
        "test")
    lifted = lift_csv(b"id,nom,nom\n1,Le Jardin,De Tuin\n", mapping, context())
    assert values(lifted.quads, SCHEMA + "name") == ["De Tuin", "Le Jardin"]
    assert any("'nom' appears 2 times" in w for w in lifted.warnings)


def test_headerless_files_use_the_mapping_columns() -> None:
    mapping = parse_mapping({"type": "schema:Place", "columns": ["nom", "url", "image"],
                             "fields": {"nom": "schema:name", "url": {"property": "schema:url",
                                                                      "transforms": ["iri"]}},
                             "ignore": ["image"]}, "test")
    lifted = lift_csv(b'"Bruxella 1238"\t"http://www.brussels.example/a"\t""\n', mapping, context())
    assert values(lifted.quads, SCHEMA + "url") == ["http://www.brussels.example/a"]


def test_an_empty_document_fails() -> None:
    with pytest.raises(LiftError, match="empty"):
        lift_csv(b"  \n", MAPPING, context())


def test_row_errors_are_in_the_run_report_with_their_line(harvested: tuple[Settings, HarvestSummary]) -> None:
    """The example CSV source's bad line is written on its run (hub:error), which is partial."""
    settings, _ = harvested
    store = PublishedReader(settings).published().store
    rows = store.select("""PREFIX hub: <https://w3id.org/mutualisons/ns#>
        SELECT ?run ?error WHERE { GRAPH ?g { ?run hub:error ?error } }""")
    errors = [r["error"].value for r in rows if "/run/repair-cafes/" in r["run"].value]
    assert errors == ["file:feeds/repair-cafes.csv: line 5: field 'latitude': 'pas encore' is not a number"]
    # (test_pipeline's second harvest shows the rows keep their IRIs: every record is unchanged.)


def test_validate_takes_a_mapping_and_reports_bad_rows(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hub.cli", "validate", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=120)

    feed = str(EXAMPLES / "feeds" / "repair-cafes.csv")
    result = run(feed, "--mapping", str(EXAMPLES / "mappings" / "repair-cafes.toml"))
    assert result.returncode == 1 and "error: " in result.stdout and "line 5" in result.stdout
    assert "4 record(s)" in result.stdout and "1 row(s) failed" in result.stdout
    missing = run(feed)
    assert missing.returncode == 2 and "no mapping" in missing.stderr and "mapping suggest" in missing.stderr


REPAIR = (EXAMPLES / "feeds" / "repair-cafes.csv").read_text(encoding="utf-8-sig")
REPAIR_MAPPING = EXAMPLES / "mappings" / "repair-cafes.toml"


def repair_lift(text: str) -> tuple[list[str], list[str]]:
    """(the names lifted, the row errors) of the example Repair Cafés table, edited."""
    from harvesters.mapping import load_mapping

    lifted = lift_csv(text.encode(), load_mapping(REPAIR_MAPPING), context())
    return sorted(v for v in values(lifted.quads, SCHEMA + "name") if "Repaircafé" not in v), lifted.row_errors


def edited(line: int, change: Callable[[str], str]) -> str:
    lines = REPAIR.splitlines()
    lines[line - 1] = change(lines[line - 1])
    return "\n".join(lines) + "\n"


def test_a_short_row_fails_alone_and_the_table_keeps_its_delimiter() -> None:
    """One short row among the first lines once made the sniffer choose another delimiter: every row was
    then misread and the source's records tombstoned."""
    text = edited(3, lambda row: ";".join(row.split(";")[:4]))
    assert sniff_delimiter(text) == ";"
    names, errors = repair_lift(text)
    assert errors == ["file:feed: line 3: 4 cell(s) where the header has 10; row skipped",
                      "file:feed: line 5: field 'latitude': 'pas encore' is not a number"]
    assert names == ["Repair Café Forest", "Repair Café d'Anderlecht", "Repair Café de Saint-Gilles"]


def test_a_long_row_fails_alone() -> None:
    names, errors = repair_lift(edited(2, lambda row: row + ";extra;cells"))
    assert errors[0] == "file:feed: line 2: 12 cell(s) where the header has 10; row skipped"
    assert names == ["Repair Café Forest", "Repair Café Schaerbeek", "Repair Café d'Anderlecht"]


def test_an_unterminated_quote_fails_its_row_and_not_the_rows_after_it() -> None:
    names, errors = repair_lift(edited(3, lambda row: row.replace("Repair Café Schaerbeek", '"Repair Café Schaerbeek')))
    assert errors[0] == "file:feed: line 3: a quoted field opened on this line is never closed; row skipped"
    assert names == ["Repair Café Forest", "Repair Café d'Anderlecht", "Repair Café de Saint-Gilles"]


def test_a_stray_quote_closed_rows_later_is_read_again_from_the_next_line() -> None:
    """The quote opened on line 2 is 'closed' by the quoted field of line 5: the record read over lines
    2-5 has the wrong number of cells, so line 2 fails alone and lines 3 to 5 are rows again."""
    text = edited(2, lambda row: row.replace("Rue de Moscou 12", '"Rue de Moscou 12'))
    text = text.replace("Repair Café Etterbeek", '"Repair Café Etterbeek"')
    names, errors = repair_lift(text)
    assert errors[0].startswith("file:feed: line 2: a quoted field opened on this line runs over 4 lines")
    assert errors[1] == "file:feed: line 5: field 'latitude': 'pas encore' is not a number"  # read again
    assert names == ["Repair Café Forest", "Repair Café Schaerbeek", "Repair Café d'Anderlecht"]


def test_a_quote_open_for_too_many_lines_is_not_closed_far_away() -> None:
    from harvesters.csv_table import MAX_QUOTED_LINES

    rows = [f'{i};Lieu {i};Ixelles;50.8;4.3' for i in range(1, MAX_QUOTED_LINES + 20)]
    rows[0] = '1;"Lieu 1;Ixelles;50.8;4.3'
    rows[-1] = '999;"Lieu"" 999";Ixelles;50.8;4.3'  # a quote far below would close it
    lifted = lift_csv(("id;nom;ville;lat;lon\n" + "\n".join(rows) + "\n").encode(), MAPPING, context())
    assert lifted.row_errors == [f"file:feed: line 2: a quoted field opened on this line is still open "
                                 f"{MAX_QUOTED_LINES} lines later: a quote is probably not closed; row skipped"]
    assert len(values(lifted.quads, SCHEMA + "name")) == len(rows) - 1
    assert 'Lieu" 999' in values(lifted.quads, SCHEMA + "name")


def test_quoted_fields_over_several_lines_with_escaped_quotes_stay_whole() -> None:
    text = ('id,nom,ville,lat,lon\n1,"Le ""Jardin""\nsur deux lignes, et ""plus""\n",Ixelles,50.8,4.3\n'
            '2,B,Uccle,50.8,4.3\n')
    lifted = lift_csv(text.encode(), MAPPING, context())
    assert not lifted.row_errors
    assert values(lifted.quads, SCHEMA + "name") == ["B", 'Le "Jardin"\nsur deux lignes, et "plus"\n']
