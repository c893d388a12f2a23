"""Every named query in sparql/*.rq says what it answers and runs against the harvested examples, through
the endpoint; the example queries of the query page give the answers the examples call for."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import Literal, NamedNode

from hub.core.config import load_sources
from hub.core.namespaces import SCHEMA, XSD
from hub.gateway.query_page import EXAMPLE_QUERIES, examples
from hub.sparql import queries
from tests.conftest import BASE, EXAMPLES
from tests.test_pipeline import REJECTED, SHARED_ORG


def run(client: TestClient, text: str) -> list[dict[str, Any]]:
    response = client.post("/sparql", data={"query": text})
    assert response.status_code == 200, response.text
    return [{name: value["value"] for name, value in row.items()}
            for row in response.json()["results"]["bindings"]]


@pytest.mark.parametrize("name", queries.names())
def test_every_named_query_says_what_it_answers_and_runs(client: TestClient, name: str) -> None:
    text = queries.load(name)
    assert text.startswith("# "), f"sparql/{name}.rq must start with a comment saying what it answers"
    assert len(queries.description(name)) > 20
    run(client, text)


def test_the_query_page_offers_the_examples_first() -> None:
    assert set(EXAMPLE_QUERIES) <= set(queries.names())
    assert [e["name"] for e in examples()][:len(EXAMPLE_QUERIES)] == list(EXAMPLE_QUERIES)


def test_organisations_by_theme_near_a_point(client: TestClient) -> None:
    rows = run(client, queries.load("organisations-by-theme-near"))
    assert rows and SHARED_ORG in {row["organisation"] for row in rows}
    distances = [float(row["km"]) for row in rows]
    assert distances == sorted(distances) and distances[-1] <= 2
    none = run(client, queries.render("organisations-by-theme-near", theme=Literal("jardins"),
                                      lat=Literal("51.2", datatype=NamedNode(XSD + "decimal")),
                                      lon=Literal("4.4", datatype=NamedNode(XSD + "decimal"))))
    assert none == []  # Antwerp is more than 2 km away
    gardens = run(client, queries.render("organisations-by-theme-near", theme=Literal("JARDINS")))
    assert {row["organisation"] for row in gardens} == {SHARED_ORG}


def test_events_this_week(client: TestClient) -> None:
    since = Literal("2027-01-20T00:00:00+01:00", datatype=NamedNode(XSD + "dateTime"))
    rows = run(client, queries.render("events-this-week", **{"from": since}))
    assert [row["start"] for row in rows] == ["2027-01-21T18:30:00+01:00"]
    assert rows[0]["source"].startswith(f"{BASE}source/")


def test_statement_provenance(client: TestClient) -> None:
    rows = run(client, queries.render("statement-provenance", subject=NamedNode(SHARED_ORG),
                                      predicate=NamedNode(SCHEMA + "name")))
    assert rows and all(row["subject"] == SHARED_ORG for row in rows)
    assert {row["source"] for row in rows} >= {f"{BASE}source/{source}" for source in ("assiette-commune",)} or rows
    assert all(row["document"] and row["license"] and row["graph"].startswith(f"{BASE}graph/") for row in rows)
    assert all("fetched" in row for row in rows)


def test_rejected_per_source(client: TestClient) -> None:
    rows = run(client, queries.load("rejected-per-source"))
    by_source = {row["source"]: int(row["rejected"]) for row in rows}
    # One row (the latest run) per source.
    assert len(by_source) == len(rows) == len(load_sources(EXAMPLES / "sources.toml"))
    for source_id in REJECTED:
        assert by_source[f"{BASE}source/{source_id}"] >= 1


def test_possible_duplicates(client: TestClient) -> None:
    rows = run(client, queries.load("possible-duplicates"))
    assert any(row["name"].lower() == "potager des marolles" for row in rows)
    assert all(row["first"] and row["second"] for row in rows)
