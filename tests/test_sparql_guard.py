"""The SERVICE guard decides on the query as the engine reads it: Oxigraph is the oracle.

Each query of a corpus of tricky spellings, and of generated variants, runs in pyoxigraph itself (in
a child process, without the sandbox, see tests/oxigraph_oracle.py) while a loopback canary counts
the requests it gets: the guard must refuse every query that reached the canary. Ordinary queries
(the named queries, the W3C protocol suite's, strings and IRIs that hold the word) must pass.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.sparql.guard import QueryRefused, QueryUnreadable, check_query, names_own_dataset, tokenize
from tests.loopback import SparqlCanary
from tests.oxigraph_oracle import GLUE_TERMS, PROLOGUE, Oracle, Outcome

ROOT = Path(__file__).resolve().parent.parent
BODY = "{ ?a ?b ?c }"


@pytest.fixture(scope="module")
def canary() -> Iterator[SparqlCanary]:
    endpoint = SparqlCanary()
    yield endpoint
    endpoint.close()


@pytest.fixture(scope="module")
def oracle(canary: SparqlCanary) -> Iterator[Oracle]:
    engine = Oracle(canary)
    yield engine
    engine.close()


def spell(template: str, canary: SparqlCanary) -> str:
    """A query of the corpus, with the prologue (prefixes ex:, h:, c: and :) and the canary's address."""
    body = template.replace("CANARY", canary.url("/sparql")).replace("PORT", str(canary.port))
    return PROLOGUE.format(port=canary.port) + body


def ask_engine(oracle: Oracle, query: str, canary: SparqlCanary) -> Outcome:
    """Runs the query with relative IRIs resolved against the canary (as the hub resolves them against
    its endpoint), then with none; contacted if either reached the canary."""
    with_base = oracle.run(query, canary.url("/base/"))
    without = oracle.run(query, None)
    return Outcome(with_base.contacted or without.contacted, f"{with_base.result} | {without.result}")


def refused(query: str) -> str | None:
    try:
        check_query(query)
    except QueryRefused as error:
        return str(error)
    return None


# Spellings that reach the canary when the guard is not there: each one proves the oracle sees it.
CONTACTING = [
    "SELECT * WHERE { SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p 1.SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p 1.0SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p 1e1SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p 1.e1SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p .5SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p -1SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p trueSERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p falseSERVICE<CANARY>{ ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p \"a\"SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p <http://example.invalid/o>SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p ?o.SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p h:SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s h:trueSERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p ex:a.b.SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { SERVICESILENT<CANARY>{ ?a ?b ?c } }",
    "SELECT * WHERE { SERVICEc:sparql { ?a ?b ?c } }",
    "SELECT * WHERE { sErViCe SiLeNt <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { SERVICE#a comment\n<CANARY>#another\n{ ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p ?o # } a comment that ends the line \n SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p <http://example.invalid/o#frag> . SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p \"#\" . SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p \"a\\u0022\" . SERVICE <CANARY> { ?a ?b ?c } # \"\n}",
    "SELECT * WHERE { ?s ?p 'a\\u0027' . SERVICE <CANARY> { ?a ?b ?c } # '\n}",
    "SELECT * WHERE { ?s ?p \"\"\"a\\u0022\"\"\" . SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p ?o FILTER(!(?o <STR(':>'))) SERVICE <CANARY> { ?a ?b ?c } # '\n}",
    "SELECT * WHERE { ?s ?p ?o FILTER(true || ?o <STR('>')) SERVICE <CANARY> { ?a ?b ?c } # '\n}",
    "SELECT * WHERE { ?s ?p ?o FILTER(true || ?o <ex:STR('>')) SERVICE <CANARY> { ?a ?b ?c } # '\n}",
    'SELECT * WHERE { ?s ?p ?o FILTER(true || ?o <ex:x#> """\n) SERVICE <CANARY> { ?a ?b ?c } # """\n}',
    "SELECT * WHERE { ?s ?p ?o FILTER(true || ?o <<x'>) SERVICE <CANARY> { ?a ?b ?c } # '\n}",
    "SELECT * WHERE { ?s ?p ?o FILTER(true || ?o <=<x'>) SERVICE <CANARY> { ?a ?b ?c } # '\n}",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<=1||?o<2||true) SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { SERVICE c:sparql { ?a ?b ?c } }",
    "SELECT * WHERE { SERVICE :sparql { ?a ?b ?c } }",
    "SELECT * WHERE { SERVICE c: { ?a ?b ?c } }",
    "SELECT * WHERE { SERVICE <relative> { ?a ?b ?c } }",
    "SELECT * WHERE { SERVICE <../up> { ?a ?b ?c } }",
    "BASE <http://127.0.0.1:PORT/based/> SELECT * WHERE { SERVICE <x> { ?a ?b ?c } }",
    "SELECT * WHERE { OPTIONAL { SERVICE <CANARY> { ?a ?b ?c } } }",
    "SELECT * WHERE { { SERVICE <CANARY> { ?a ?b ?c } } UNION { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <CANARY> { ?a ?b ?c } } }",
    "SELECT * WHERE { { SELECT * WHERE { SERVICE <CANARY> { ?a ?b ?c } } LIMIT 1 } }",
    "SELECT * WHERE { { { { SERVICE <CANARY> { ?a ?b ?c } } } } }",
    "SELECT * WHERE { ?s a ?t ; ex:p ?o , ?o2 . SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p 1;SERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ^ex:p|ex:q/ex:r ?o . SERVICE <CANARY> { ?a ?b ?c } }",
    "ASK { SERVICE <CANARY> { ?a ?b ?c } }",
    "CONSTRUCT { ?a ?b ?c } WHERE { SERVICE <CANARY> { ?a ?b ?c } }",
    "DESCRIBE ?a WHERE { SERVICE <CANARY> { ?a ?b ?c } }",
]

# Spellings that must never reach anything (the engine reads a string, an IRI, a comment or a
# variable), and that the guard lets through.
HARMLESS = [
    'SELECT * WHERE { ?s ?p "SERVICE <CANARY> { ?a ?b ?c }" }',
    "SELECT * WHERE { ?s ?p '''SERVICE <CANARY> { ?a ?b ?c }''' }",
    'SELECT * WHERE { ?s ?p """multi\nline SERVICE <CANARY> { ?a ?b ?c } \\" still""" }',
    'SELECT * WHERE { ?s ?p "a \\" SERVICE <CANARY> { ?a ?b ?c } \\"" }',
    "SELECT * WHERE { ?s <http://example.invalid/SERVICE> ?o }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <CANARY> { ?a ?b ?c }",
    "SELECT ?service $SERVICE WHERE { ?service ?p $SERVICE }",
    "SELECT * WHERE { ?s ex:SERVICE ?o FILTER(?o < 3 && ?o > 1) }",
    "SELECT * WHERE { ?s ex:costOfServices ?o }",
    "SELECT * WHERE { ?s ?p \"SERVICE\"@en }",
    "SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), \"SERVICE\")) }",
]


@pytest.mark.parametrize("template", CONTACTING)
def test_what_reaches_the_canary_is_refused(template: str, oracle: Oracle, canary: SparqlCanary) -> None:
    query = spell(template, canary)
    outcome = ask_engine(oracle, query, canary)
    assert outcome.contacted, f"the oracle did not see this one reach the canary: {outcome.result}"
    reason = refused(query)
    assert reason is not None and "SERVICE" in reason


@pytest.mark.parametrize("template", HARMLESS)
def test_lookalikes_reach_nothing_and_pass(template: str, oracle: Oracle, canary: SparqlCanary) -> None:
    query = spell(template, canary)
    outcome = ask_engine(oracle, query, canary)
    assert not outcome.contacted
    assert outcome.result.startswith("ok | ok"), outcome.result
    assert refused(query) is None


# Spellings the engine does not run (a syntax error for it), that the guard refuses all the same: a
# prefixed name whose IRI the guard cannot prove valid, escapes outside strings, keywords glued to names.
@pytest.mark.parametrize("template", [
    "SELECT * WHERE { \\u0053ERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { SERVIC\\u0045 <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { \\U00000053ERVICE <CANARY> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p undeclared:Service }",
    "SELECT * WHERE { ?s ?p ex:x.SERVICE }",
    "SELECT * WHERE { ?s ?p _:b.SERVICE }",
    "SELECT * WHERE { BIND(<CANARY> AS ?e) SERVICE ?e { ?a ?b ?c } }",  # Oxigraph 0.5 calls no variable
    "SELECT * WHERE { VALUES ?e { <CANARY> } SERVICE ?e { ?a ?b ?c } }",
    "LOAD <CANARY>",
    "SELECT * WHERE { ?s ?p ?o } LOAD",
])
def test_conservative_refusals(template: str, oracle: Oracle, canary: SparqlCanary) -> None:
    query = spell(template, canary)
    assert not ask_engine(oracle, query, canary).contacted
    assert refused(query) is not None


# -- generated variants ------------------------------------------------------------------------------------

KEYWORD_SPELLINGS = ["SERVICE", "service", "Service", "sErViCe", "\\u0053ERVICE", "S\\u0045RVICE", "SERVIC\\u0065"]
GLUES = ["", " ", "\n", "\t", "\r\n", "#c\n", " . ", ".", " ;", ";", "\n#}\n", "#'\n", "#\"\n"]
TARGETS = ["<CANARY>", "c:sparql", ":sparql", "c:", "<relative>", "<CANARY#frag>", "?e"]
CONTEXTS = [
    "SELECT * WHERE { %s }",
    "SELECT * WHERE { OPTIONAL { %s } }",
    "SELECT * WHERE { { %s } UNION { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o MINUS { %s } }",
    "SELECT * WHERE { { SELECT * WHERE { %s } } }",
    "ASK { %s }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { %s } }",
]
BEFORE = [f"?s ?p {term}" for term in GLUE_TERMS] + [
    "", "?s ?p ?o", "?s a ?o", "FILTER(true)", "BIND(1 AS ?x)", "{ ?s ?p ?o }", "VALUES ?x { 1 }",
    "?s ^ex:p|ex:q ?o", "?s ?p []", "?s ?p ()", "?s ?p [ ex:p ?o ]", "?s ?p ?o FILTER(?o <= 1 || true)",
    "?s h:true", "?s ?p ex:a.b",
]


@st.composite
def service_calls(draw: st.DrawFn) -> str:
    """A SERVICE call glued to what comes before it, every way the grammar allows and some it does not."""
    before = draw(st.sampled_from(BEFORE))
    keyword = draw(st.sampled_from(KEYWORD_SPELLINGS))
    silent = draw(st.sampled_from(["", " SILENT", "SILENT", " silent", "#x\nSILENT"]))
    target = draw(st.sampled_from(TARGETS))
    call = (before + draw(st.sampled_from(GLUES)) + keyword + silent + draw(st.sampled_from(["", " ", "\n", "#x\n"]))
            + target + draw(st.sampled_from(["", " ", "\n"])) + BODY)
    if target == "?e":
        call = "BIND(<CANARY> AS ?e) " + call
    context = draw(st.sampled_from(CONTEXTS)) % call
    return draw(st.sampled_from(["", "BASE <http://127.0.0.1:PORT/b/> "])) + context


NOISE = ['"', "'", "'''", '"""', "#", "\n", "<", ">", "\\u0022", "\\u0027", "\\u005C", "\\", "<x'>", "<x#>",
         "<STR(':>", "FILTER(", ")", "{", "}", ".", ";", "a", "true", "1.", "ex:", "h:", "_:b", "@en", "^^",
         "'x'", '"x"', "?", "$", "<=", "<<", "<<x'>", "<=<x'>", "SILENT", " ", "#x\n", "\n", "\t"]


@st.composite
def noisy_queries(draw: st.DrawFn) -> str:
    """A query that reaches the canary, with one or two fragments (quotes, comments, IRIs, escapes) dropped
    into its pattern: many are syntax errors for the engine, and any that still runs must be refused."""
    query = draw(st.sampled_from(CONTACTING))
    body = query.index("{") + 1
    for _ in range(draw(st.integers(1, 2))):
        position = draw(st.integers(body, len(query)))
        query = query[:position] + draw(st.sampled_from(NOISE)) + query[position:]
    return query


def _differential(query_template: str, oracle: Oracle, canary: SparqlCanary, seen: dict[str, int]) -> None:
    query = spell(query_template, canary)
    outcome = ask_engine(oracle, query, canary)
    seen["contacted" if outcome.contacted else "quiet"] += 1
    if outcome.contacted:
        assert refused(query) is not None, f"the engine reached the canary with a query the guard let pass:\n{query}"


DIFFERENTIAL = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def test_generated_service_calls(oracle: Oracle, canary: SparqlCanary) -> None:
    seen = {"contacted": 0, "quiet": 0}

    @DIFFERENTIAL
    @given(service_calls())
    def check(template: str) -> None:
        _differential(template, oracle, canary, seen)

    check()
    assert seen["contacted"] > 100, seen  # the variants do reach the canary: the test proves something


def test_generated_noise_around_service_calls(oracle: Oracle, canary: SparqlCanary) -> None:
    seen = {"contacted": 0, "quiet": 0}

    @DIFFERENTIAL
    @given(noisy_queries())
    def check(template: str) -> None:
        _differential(template, oracle, canary, seen)

    check()
    assert seen["contacted"] > 20, seen


# -- ordinary queries pass ---------------------------------------------------------------------------------

def _protocol_suite_queries() -> list[str]:
    from tests.conformance.test_sparql_protocol import QUERY_TESTS

    queries = []
    for test in QUERY_TESTS:
        for request in test.requests:
            queries += parse_qs(urlsplit(request.path).query).get("query", [])
            media_type, _, parameters = request.headers.get("content-type", "").partition(";")
            media_type = media_type.strip()
            if "charset" in parameters.lower() and "utf-8" not in parameters.lower():
                continue  # the UTF-16 body that the endpoint refuses with 415 before any guard
            body = (request.body or b"").decode("utf-8")
            if media_type == "application/x-www-form-urlencoded":
                queries += parse_qs(body).get("query", [])
            elif media_type == "application/sparql-query":
                queries.append(body)
    return queries


def test_ordinary_queries_pass() -> None:
    named = sorted((ROOT / "sparql").glob("*.rq"))
    protocol = _protocol_suite_queries()
    assert len(named) >= 15 and len(protocol) >= 15
    for query in [path.read_text(encoding="utf-8") for path in named] + protocol:
        check_query(query)


def test_unreadable_queries_are_refused_saying_where() -> None:
    cases = {
        'SELECT * WHERE {\n  ?s ?p "unterminated }': ("line 2, column 9", "not closed on its line"),
        "SELECT * WHERE { ?s ?p 'a\\qb' }": ("line 1, column 26", "not an escape"),
        "SELECT * WHERE { ?s ?p ?o } \\ SERVICE": ("line 1, column 29", "no SPARQL token"),
        "SELECT * WHERE { ?s ?p ?o FILTER(?o ~~ 1) } `": ("line 1, column 45", "no SPARQL token"),
        'SELECT * WHERE { ?s ?p "\\u0022" }': ("line 1, column 31", "decoded first"),
    }
    for query, (where, why) in cases.items():
        with pytest.raises(QueryUnreadable) as raised:
            check_query(query)
        assert str(raised.value).startswith(where) and why in str(raised.value), str(raised.value)


def test_tokens_follow_the_grammar() -> None:
    tokens = [(t.kind, t.text) for t in tokenize("SELECT ?x WHERE { ?x ex:p 1.SERVICE ; ex:a.b. 1.5e3 }")]
    assert tokens == [("word", "SELECT"), ("var", "?x"), ("word", "WHERE"), ("punct", "{"), ("var", "?x"),
                      ("pname", "ex:p"), ("number", "1"), ("punct", "."), ("word", "SERVICE"), ("punct", ";"),
                      ("pname", "ex:a.b"), ("punct", "."), ("number", "1.5e3"), ("punct", "}")]
    kinds = [t.kind for t in tokenize("ASK { _:b ?p 'x'@fr-BE, \"\"\"y\"\"\"^^<t> , ( ) , [ ] , :l\\.x , ?v }")]
    assert kinds == ["word", "punct", "bnode", "var", "string", "langtag", "punct", "string", "punct", "iri",
                     "punct", "nil", "punct", "anon", "punct", "pname", "punct", "var", "punct"]
    # Offsets are into the text given, escapes and all (hub/sparql/queries.py substitutes by offset).
    assert [t.offset for t in tokenize('ASK { "\\u00e9" $v }') if t.kind == "var"] == [15]


def test_dataset_clauses_are_found_where_the_engine_reads_them() -> None:
    assert names_own_dataset("SELECT * FROM <http://g.example/> WHERE { ?s ?p ?o }")
    assert names_own_dataset("select * from named<http://g.example/> { graph ?g { ?s ?p ?o } }")
    assert not names_own_dataset('SELECT * WHERE { ?s ?p "FROM <x>" } # FROM <y>')
    assert not names_own_dataset("SELECT ?from WHERE { ?from <http://x.example/FROM> ?o }")


def test_a_large_query_is_read_quickly() -> None:
    triples = " . ".join(f'?s{i} <http://x.example/p#{i}> "v{i}"@fr ; ex:q{i} {i}.5e1' for i in range(20_000))
    query = PROLOGUE.format(port=9) + f"SELECT * WHERE {{ {triples} }}"
    assert len(query) > 1_000_000
    started = time.monotonic()
    check_query(query)
    assert time.monotonic() - started < 10
