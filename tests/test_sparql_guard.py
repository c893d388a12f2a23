"""The SERVICE guard is a tokenizer: it must see every SERVICE and nothing that only looks like one."""

from __future__ import annotations

import pytest

from hub.sparql_guard import QueryRefused, check_query, service_calls

CANARY = "http://127.0.0.1:9/sparql"


@pytest.mark.parametrize("query", [
    f"SELECT * {{ SERVICE <{CANARY}> {{ ?s ?p ?o }} }}",
    f"select * {{ sErViCe SILENT <{CANARY}> {{ ?s ?p ?o }} }}",
    f"SELECT * {{ SERVICE<{CANARY}>{{ ?s ?p ?o }} }}",
    f"SELECT * {{ ?a ?b ?c . # comment with }} and \"\n SERVICE <{CANARY}> {{ ?s ?p ?o }} }}",
    "PREFIX c: <http://127.0.0.1:9/> SELECT * { SERVICE c:sparql { ?s ?p ?o } }",
    f"SELECT * {{ \\u0053ERVICE <{CANARY}> {{ ?s ?p ?o }} }}",
    f"SELECT * {{ ?s ?p \"\"\"multi\nline \\\" x\"\"\" . SERVICE <{CANARY}> {{ ?s ?p ?o }} }}",
    "SELECT * { SERVICE ?endpoint { ?s ?p ?o } }",
    "SELECT * { SERVICE $endpoint { ?s ?p ?o } }",
])
def test_service_is_found(query: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(query)


@pytest.mark.parametrize("query", [
    'SELECT * { ?s ?p "SERVICE <http://127.0.0.1:9/>" }',
    "SELECT * { ?s ?p '''SERVICE <x>''' }",
    "SELECT * { ?s <http://x.example/SERVICE> ?o }",
    "SELECT * { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/>",
    "PREFIX ex: <http://x.example/> SELECT * { ?s ex:SERVICE ?o FILTER(?o < 3 && ?o > 1) }",
    "SELECT ?service WHERE { ?service ?p ?o }",
])
def test_lookalikes_pass(query: str) -> None:
    check_query(query)


def test_allow_list_admits_constant_iris_only() -> None:
    allowed = "https://query.wikidata.org/sparql"
    check_query(f"SELECT * {{ SERVICE <{allowed}> {{ ?s ?p ?o }} }}", service_allow=[allowed])
    with pytest.raises(QueryRefused):
        check_query("SELECT * { SERVICE ?x { ?s ?p ?o } }", service_allow=[allowed])
    calls = service_calls(f"SELECT * {{ SERVICE <{allowed}> {{ }} SERVICE ?v {{ }} }}")
    assert [(c.kind, c.target) for c in calls] == [("iri", allowed), ("var", "?v")]


def test_load_is_refused() -> None:
    with pytest.raises(QueryRefused, match="LOAD"):
        check_query("LOAD <http://127.0.0.1:9/data.ttl>")
