"""Every RDF syntax the hub reads: detection, lifting, precise errors, hostile XML, HTML markup, real DFC Turtle."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from harvesters.formats import LiftError, detect_format, lift_rdf, sniff
from hub.core.config import Settings
from hub.core.iris import Minter
from hub.pipeline.fetch import Fetched, now_iso
from hub.pipeline.harvest import harvest
from hub.pipeline.lifting import LiftOptions, lift_document
from tests.conftest import ROOT, SHARED_FEEDS
from tests.loopback import Answer, Canary, Request, serve

BASE = "http://hub.test/source/demo/"
S = "https://schema.org/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

VALID = {
    "turtle": b'@prefix s: <https://schema.org/> .\n<shop> a s:GroceryStore ;\n  s:name "Vrac" .\n',
    "trig": b'@prefix s: <https://schema.org/> .\n<g> {\n  <shop> a s:GroceryStore ; s:name "Vrac" .\n}\n',
    "ntriples": b'<http://hub.test/source/demo/shop> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
                b'<https://schema.org/GroceryStore> .\n'
                b'<http://hub.test/source/demo/shop> <https://schema.org/name> "Vrac" .\n',
    "nquads": b'<http://hub.test/source/demo/shop> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
              b'<https://schema.org/GroceryStore> <http://hub.test/source/demo/g> .\n'
              b'<http://hub.test/source/demo/shop> <https://schema.org/name> "Vrac" '
              b'<http://hub.test/source/demo/g> .\n',
    "rdfxml": b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
              b'xmlns:s="https://schema.org/">\n  <s:GroceryStore rdf:about="shop">\n    <s:name>Vrac</s:name>\n'
              b'  </s:GroceryStore>\n</rdf:RDF>\n',
    "jsonld": b'{"@context": {"@vocab": "https://schema.org/"},\n "@id": "shop", "@type": "GroceryStore",\n'
              b' "name": "Vrac"}\n',
    "html": b'<!DOCTYPE html>\n<html><head><script type="application/ld+json">\n'
            b'{"@context": {"@vocab": "https://schema.org/"}, "@id": "shop", "@type": "GroceryStore", "name": "Vrac"}\n'
            b'</script></head><body></body></html>\n',
}

# The same document with one mistake, and where each parser places it (line, column).
MALFORMED = {
    "turtle": (b'@prefix s: <https://schema.org/> .\n<shop> a s:GroceryStore ;\n  s:name "Vrac" ;\n  s:url .\n',
               4, 9),
    "trig": (b'<g> {\n  <shop> <https://schema.org/name> "Vrac" .\n', 3, 1),
    "ntriples": (b'<http://a.test/s> <http://a.test/p> "o" .\n<http://a.test/s> <http://a.test/p> <o2> .\n', 2, 37),
    "nquads": (b'<http://a.test/s> <http://a.test/p> "o" <http://a.test/g> .\n'
               b'<http://a.test/s> <http://a.test/p> "o" "g" .\n', 2, 41),
    "rdfxml": (b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
               b'xmlns:s="https://schema.org/">\n<rdf:Description rdf:about="shop">\n  <s:name>Vrac</s:nam>\n'
               b'</rdf:Description>\n</rdf:RDF>\n', 4, 23),
    "jsonld": (b'{"@context": {"@vocab": "https://schema.org/"},\n "@id": "shop",\n "name": "Vrac",\n}\n', 4, 1),
    "html": (b'<!DOCTYPE html>\n<html><head>\n<title>x</title>\n<script type="application/ld+json">\n'
             b'{"@context": {"@vocab": "https://schema.org/"},\n "name": "Vrac"\n "url": "x"}\n'
             b'</script>\n</head></html>\n',
             7, 2),
}


@pytest.mark.parametrize("format_name", sorted(VALID))
def test_each_syntax_lifts(format_name: str) -> None:
    quads = lift_rdf(VALID[format_name], format_name, BASE, f"doc.{format_name}")
    shop = NamedNode(BASE + "shop")
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    assert (shop, RDF_TYPE, NamedNode(S + "GroceryStore")) in triples
    assert (shop, NamedNode(S + "name"), Literal("Vrac")) in triples
    if format_name in ("trig", "nquads"):
        assert {q.graph_name for q in quads} == {NamedNode(BASE + "g")}


@pytest.mark.parametrize("format_name", sorted(MALFORMED))
def test_malformed_documents_fail_with_line_and_column(format_name: str) -> None:
    body, line, column = MALFORMED[format_name]
    with pytest.raises(LiftError) as error:
        lift_rdf(body, format_name, BASE, f"bad.{format_name}")
    assert (error.value.line, error.value.column) == (line, column), str(error.value)
    assert str(error.value).startswith(f"bad.{format_name}: {format_name} line {line} column {column}: ")
    assert error.value.reason


@pytest.mark.parametrize("format_name", sorted(VALID))
def test_sniffing_recognises_each_syntax(format_name: str) -> None:
    expected = "turtle" if format_name == "turtle" else format_name
    assert sniff(VALID[format_name]) == expected
    assert detect_format(None, None, "https://feed.example/data", VALID[format_name]) == expected


@pytest.mark.parametrize(("body", "expected"), [
    (b'{ <http://a.test/s> <http://a.test/p> "o" . }\n', "trig"),  # TriG default graph, not JSON
    (b'GRAPH <http://a.test/g> { <http://a.test/s> <http://a.test/p> "o" . }\n', "trig"),
    (b'[] a <https://schema.org/Place> .\n', "turtle"),  # Turtle blank node, not a JSON array
    (b'[ {"@id": "http://a.test/s"} ]', "jsonld"),
    (b'<http://a.test/s> <http://a.test/p> "a { brace" .\n<http://a.test/s> <http://a.test/p> _:b .\n',
     "ntriples"),
    (b'@prefix s: <https://schema.org/> .\n<x> s:description """\n{ not a graph }\n""" .\n', "turtle"),
    (b'# comment\n<http://a.test/s> <http://a.test/p> "o"@fr _:g .\n', "nquads"),
    (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml"></html>',
     "html"),
    (b'<!-- generated -->\n<HTML><BODY></BODY></HTML>', "html"),
    (b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "rdfxml"),
])
def test_sniffing_edge_cases(body: bytes, expected: str) -> None:
    assert sniff(body) == expected


def test_format_precedence_config_then_content_type_then_extension_then_sniffing() -> None:
    turtle = VALID["turtle"]
    assert detect_format("trig", "text/html", "x.jsonld", turtle) == "trig"
    assert detect_format(None, "text/html; charset=utf-8", "x.ttl", turtle) == "html"
    assert detect_format(None, "application/xhtml+xml", "x", turtle) == "html"
    assert detect_format(None, "application/octet-stream", "https://a.example/shop.html?lang=fr", turtle) == "html"
    assert detect_format(None, "text/plain", "https://a.example/feed", VALID["nquads"]) == "nquads"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(LiftError, match="unsupported RDF format 'n3'"):
        lift_rdf(b"", "n3", BASE, "doc")


# --- JSON-LD contexts ---------------------------------------------------------------------------

REMOTE_CONTEXT = b'{"@context": "https://schema.org", "@type": "Organization", "@id": "shop", "name": "Vrac"}'


def inline_schema_org(body: bytes) -> bytes:
    """Stands in for harvesters.jsonld's inlining: the hook gets the bytes and returns new ones."""
    document = json.loads(body)
    document["@context"] = {"@vocab": S}
    return json.dumps(document).encode()


def test_a_remote_context_is_never_loaded_by_the_parser() -> None:
    with pytest.raises(LiftError, match="remote @context that was not loaded"):
        lift_rdf(REMOTE_CONTEXT, "jsonld", BASE, "doc.jsonld")


def test_the_jsonld_hook_prepares_feeds_and_html_blocks() -> None:
    quads = lift_rdf(REMOTE_CONTEXT, "jsonld", BASE, "doc.jsonld", prepare_jsonld=inline_schema_org)
    assert Quad(NamedNode(BASE + "shop"), NamedNode(S + "name"), Literal("Vrac")) in quads
    page = b'<html><script type="application/ld+json">' + REMOTE_CONTEXT + b"</script></html>"
    with pytest.raises(LiftError, match="html line 1: JSON-LD block at line 1: names a remote @context"):
        lift_rdf(page, "html", BASE, "page.html")
    quads = lift_rdf(page, "html", BASE, "page.html", prepare_jsonld=inline_schema_org)
    assert Quad(NamedNode(BASE + "shop"), RDF_TYPE, NamedNode(S + "Organization")) in quads


# --- hostile XML ---------------------------------------------------------------------------------

def rdfxml_with(doctype: str, name: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            f'xmlns:s="https://schema.org/">\n<rdf:Description rdf:about="http://a.test/x"><s:name>{name}</s:name>'
            f'</rdf:Description>\n</rdf:RDF>\n').encode()


def test_rdfxml_external_entities_are_not_resolved(tmp_path: Path, canary: Canary) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CANARY")
    attempts = [
        rdfxml_with(f'<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "{secret.as_uri()}"> ]>', "&xxe;"),
        rdfxml_with(f'<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "http://127.0.0.1:{canary.port}/x"> ]>', "&xxe;"),
        rdfxml_with(f'<!DOCTYPE rdf:RDF [ <!ENTITY xxe PUBLIC "-//X//Y" "http://127.0.0.1:{canary.port}/y"> ]>',
                    "&xxe;"),
        rdfxml_with(f'<!DOCTYPE rdf:RDF [ <!ENTITY % p SYSTEM "http://127.0.0.1:{canary.port}/p"> %p; ]>', "x"),
    ]
    for body in attempts:
        with pytest.raises(LiftError, match=r"rdfxml line 2 column 21: external entities are refused") as error:
            lift_rdf(body, "rdfxml", BASE, "xxe.rdf")
        assert "TOP-SECRET" not in str(error.value)
    # An external DTD is not fetched either: the document parses without it.
    body = rdfxml_with(f'<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:{canary.port}/x.dtd">', "plain")
    assert [q.object for q in lift_rdf(body, "rdfxml", BASE, "dtd.rdf")] == [Literal("plain")]
    assert canary.connections() == 0


def test_rdfxml_internal_entities_still_work() -> None:
    # OWL files declare namespaces as entities: that must keep working.
    body = rdfxml_with('<!DOCTYPE rdf:RDF [ <!ENTITY v "Vrac"> ]>', "&v; &v;")
    assert [q.object for q in lift_rdf(body, "rdfxml", BASE, "ok.rdf")] == [Literal("Vrac Vrac")]


# pyoxigraph expands internal entities without a bound and aborts the process on OOM: run the
# billion laughs in a child, which must end with a clean LiftError rather than die.
LAUGHS = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1024 * 2**20, 1024 * 2**20))
from harvesters.formats import LiftError, lift_rdf
entities = ['<!ENTITY l0 "lollollollollollollollollollol">']
entities += [f'<!ENTITY l{i} "' + f'&l{i - 1};' * 10 + '">' for i in range(1, 10)]
body = ('<?xml version="1.0"?>\\n<!DOCTYPE rdf:RDF [' + "".join(entities) + ']>\\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="https://schema.org/">'
        '<rdf:Description rdf:about="http://a.test/x"><s:name>&l9;</s:name></rdf:Description></rdf:RDF>')
try:
    lift_rdf(body.encode(), "rdfxml", "http://a.test/", "laughs.rdf")
    print("PARSED")
except LiftError as error:
    print("LIFTERROR", error)
"""


def test_rdfxml_entity_expansion_bomb_is_refused() -> None:
    result = subprocess.run([sys.executable, "-c", LAUGHS], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-1000:]
    assert result.stdout.startswith("LIFTERROR laughs.rdf: rdfxml: entity references would expand to more than")


def test_html_does_not_expand_declared_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CANARY")
    page = (f'<!DOCTYPE html [ <!ENTITY xxe SYSTEM "{secret.as_uri()}"> ]>\n<html><body>'
            f'<div itemscope itemtype="https://schema.org/Organization"><span itemprop="name">&xxe;</span></div>'
            f'</body></html>').encode()
    quads = lift_rdf(page, "html", BASE, "page.html")
    assert not any("TOP-SECRET" in q.object.value for q in quads)


# --- HTML: JSON-LD, RDFa, microdata --------------------------------------------------------------

SHOP_PAGE = b"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>La Vrac</title>
<base href="https://shop.example/fr/">
<script type="application/ld+json">
{"@context": {"@vocab": "https://schema.org/"}, "@type": "GroceryStore", "@id": "https://shop.example/#shop",
 "name": "La Vrac", "address": {"@type": "PostalAddress", "postalCode": "1060"}}
</script>
<script type="application/ld+json">
// a comment some CMS put here
{"@context": {"@vocab": "https://schema.org/"}, "@type": "Event", "@id": "https://shop.example/#fete",
 "name": "F\xc3\xaate\tdu vrac", "startDate": "2026-12-05"}
</script>
<link rel="stylesheet" href="style.css">
</head>
<body vocab="https://schema.org/">
<div typeof="Organization" resource="#coop">
  <span property="name">Coop \xc3\xa0 Forest</span>
  <a property="url" href="/coop">site</a>
</div>
<div itemscope itemtype="http://schema.org/LocalBusiness" itemid="https://shop.example/#micro">
  <span itemprop="name">Micro Shop</span>
  <a itemprop="sameAs" href="contact">contact</a>
  <time itemprop="foundingDate" datetime="2020-05-01">mai 2020</time>
  <div itemprop="address" itemscope itemtype="http://schema.org/PostalAddress">
    <span itemprop="postalCode">1000</span>
  </div>
  <span itemprop="https://w3id.org/mutualisons/ns#note">absolute property</span>
</div>
</body>
</html>
"""


def triples_of(quads: list[Quad]) -> set[tuple[str, str, str]]:
    """Blank nodes become '_' so that sets compare."""
    def show(term: object) -> str:
        if isinstance(term, NamedNode):
            return term.value
        if isinstance(term, Literal):
            datatype = term.datatype.value.rsplit("#", 1)[1]
            return f'"{term.value}"' + ("" if datatype == "string" else f"^^{datatype}")
        return "_"
    return {(show(q.subject), show(q.predicate), show(q.object)) for q in quads}


def test_html_lifts_jsonld_rdfa_and_microdata_to_schema_org() -> None:
    quads = lift_rdf(SHOP_PAGE, "html", "https://shop.example/page", "https://shop.example/page")
    rdf_type = RDF_TYPE.value
    http_s = "http://schema.org/"  # microdata keeps the vocabulary its itemtype names; the hub aligns it after
    assert triples_of(quads) == {
        # JSON-LD, two blocks (the second needs extruct's lenient reading: a JS comment, a raw TAB)
        ("https://shop.example/#shop", rdf_type, S + "GroceryStore"),
        ("https://shop.example/#shop", S + "name", '"La Vrac"'),
        ("https://shop.example/#shop", S + "address", "_"),
        ("_", rdf_type, S + "PostalAddress"),
        ("_", S + "postalCode", '"1060"'),
        ("https://shop.example/#fete", rdf_type, S + "Event"),
        ("https://shop.example/#fete", S + "name", '"Fête\tdu vrac"'),
        ("https://shop.example/#fete", S + "startDate", '"2026-12-05"'),
        # RDFa, resolved against <base href>
        ("https://shop.example/fr/#coop", rdf_type, S + "Organization"),
        ("https://shop.example/fr/#coop", S + "name", '"Coop à Forest"'),
        ("https://shop.example/fr/#coop", S + "url", "https://shop.example/coop"),
        # microdata
        ("https://shop.example/#micro", rdf_type, http_s + "LocalBusiness"),
        ("https://shop.example/#micro", http_s + "name", '"Micro Shop"'),
        ("https://shop.example/#micro", http_s + "sameAs", "https://shop.example/fr/contact"),
        ("https://shop.example/#micro", http_s + "foundingDate", '"2020-05-01"^^date'),
        ("https://shop.example/#micro", http_s + "address", "_"),
        ("_", rdf_type, http_s + "PostalAddress"),
        ("_", http_s + "postalCode", '"1000"'),
        ("https://shop.example/#micro", "https://w3id.org/mutualisons/ns#note", '"absolute property"'),
    }


def test_html_page_becomes_records_through_the_pipeline_lifting() -> None:
    fetched = Fetched(url="https://shop.example/page", body=SHOP_PAGE, content_type="text/html; charset=utf-8",
                      fetched_at=now_iso())
    lifted = lift_document(fetched, LiftOptions(minter=Minter("http://hub.test/"), source_id="demo", base_iri=BASE))
    assert lifted.format == "html"
    subjects = {r.subject.value for r in lifted.records}
    assert {"https://shop.example/#shop", "https://shop.example/fr/#coop", "https://shop.example/#micro",
            "https://shop.example/#fete"} <= subjects
    micro = next(r for r in lifted.records if r.subject.value == "https://shop.example/#micro")
    assert all(not q.predicate.value.startswith("http://schema.org/") for q in micro.quads)  # aligned to https


def test_html_in_another_encoding_is_read_by_its_meta_charset() -> None:
    page = ('<html><head><meta charset="iso-8859-1"></head><body><div itemscope '
            'itemtype="https://schema.org/Organization"><span itemprop="name">Épicerie</span></div></body></html>')
    quads = lift_rdf(page.encode("latin-1"), "html", BASE, "page.html")
    assert Literal("Épicerie") in {q.object for q in quads}


def test_html_without_markup_lifts_nothing_and_junk_fails_clearly() -> None:
    assert lift_rdf(b"<html><body><p>Bonjour</p></body></html>", "html", BASE, "page.html") == []
    with pytest.raises(LiftError, match="page.html: html"):
        lift_rdf(b"", "html", BASE, "page.html")


# --- real feeds: the DFC example dataset ---------------------------------------------------------

DFC = SHARED_FEEDS / "dfc-solid-dataset"


@pytest.mark.skipif(not DFC.is_dir(), reason=f"{DFC} is absent (shared third-party feeds not checked out)")
def test_dfc_turtle_unparsable_files_fail_alone_with_a_position() -> None:
    parsed: list[str] = []
    failed: dict[str, LiftError] = {}
    for path in sorted(DFC.rglob("*.ttl")):
        name = path.relative_to(DFC).as_posix()
        body = path.read_bytes()
        assert detect_format(None, None, "https://dfc.example/doc", body) in ("turtle", "trig"), name
        try:
            quads = lift_rdf(body, "turtle", BASE + name, name)
        except LiftError as error:
            failed[name] = error
        else:
            assert quads, name
            parsed.append(name)
    # As published: two hand-written documents and every generated catalog item are broken.
    broken_main = {n for n in failed if n.startswith("main/")}
    assert broken_main == {"main/dataset/catalogs/default/catalog-items/catalog-item1.ttl",
                           "main/dataset/orders/index0.ttl"}
    generated_items = {n for n in parsed + list(failed) if "generate-branch/dataset/catalogs/" in n}
    assert generated_items and generated_items <= set(failed)
    assert all(e.line and e.column for e in failed.values()), [str(e) for e in failed.values() if not e.line]
    assert str(failed["main/dataset/orders/index0.ttl"]).startswith("main/dataset/orders/index0.ttl: turtle line 12")
    # and every other document parses, whatever its neighbours did
    assert len(parsed) == len(list(DFC.rglob("*.ttl"))) - len(failed) and len(parsed) >= 60


def test_an_html_page_and_a_gzipped_feed_harvest_over_loopback(tmp_path: Path) -> None:
    """The whole pipeline, fed by the guarded fetcher: format from Content-Type, gzip decoded."""
    def route(request: Request) -> Answer:
        if request.path == "/shop":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, SHOP_PAGE
        return 200, {"Content-Type": "text/turtle", "Content-Encoding": "gzip"}, gzip.compress(VALID["turtle"])

    for server in serve(route):
        (tmp_path / "sources.toml").write_text(
            "".join(
                f'[[source]]\nid = "{sid}"\nname = "{sid}"\nurl = "{server.url(path)}"\n'
                f'license = "https://creativecommons.org/publicdomain/zero/1.0/"\npublisher = "Demo"\n'
                f'contact = "mailto:demo@demo.example"\ntrusted_hosts = ["{server.hostport}"]\n\n'
                for sid, path in (("shop-page", "/shop"), ("gzip-feed", "/feed"))
            ), encoding="utf-8")
        settings = Settings(sources_path=tmp_path / "sources.toml", data_dir=tmp_path / "data",
                            base_iri="http://hub.test/")
        summary = harvest(settings, progress=lambda _: None)
    runs = {run.source_id: run for run in summary.runs}
    # All four items of the page are lifted and judged; the charter rejects the event (its startDate is a
    # plain string, not a date), the other three land.
    shop = runs["shop-page"]
    assert (shop.counts["added"], shop.counts["rejected"]) == (3, 1), shop
    rejected = json.loads((tmp_path / "data/private/quarantine/shop-page" / (
        tmp_path / "data/private/quarantine/shop-page/latest").read_text().strip()).read_text())
    assert [entry["subject"] for entry in rejected["records"]] == ["https://shop.example/#fete"]
    assert (runs["gzip-feed"].status, runs["gzip-feed"].counts["added"]) == ("succeeded", 1), runs["gzip-feed"]
