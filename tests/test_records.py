"""Splitting quads into records, minting IRIs for blank-node subjects, and canonical hashes."""

from __future__ import annotations

import random

from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, parse

from bench.feeds import reserialised
from hub.core.iris import Minter
from hub.core.records import Record
from hub.core.vocabulary import default_vocabulary
from hub.pipeline.split import split_records

MINTER = Minter("http://hub.test/")
FEED = """
@prefix schema: <https://schema.org/> .
@prefix ex: <https://ex.example/> .
ex:shop a schema:GroceryStore ; schema:name "Épicerie"@fr ;
    schema:address ex:addr ; schema:geo [ schema:latitude 50.85 ; schema:longitude 4.35 ] .
ex:cafe a schema:CafeOrCoffeeShop ; schema:name "Café"@fr ; schema:address ex:addr .
ex:addr a schema:PostalAddress ; schema:postalCode "1000" .
ex:event a schema:Event ; schema:name "Fête"@fr ; schema:location ex:shop .
[] a schema:NGO ; schema:name "Sans IRI"@fr ; schema:url <https://sans-iri.example/> .
[] a schema:NGO ; schema:name "Anonyme"@fr ; schema:address [ schema:postalCode "1060" ] .
[] a schema:NGO ; schema:description "nothing stable"@fr .
ex:lonely schema:name "not a record"@fr .
"""


def split(text: str, rdf_format: RdfFormat = RdfFormat.TURTLE) -> tuple[dict[str, Record], list[str], int]:
    quads = list(parse(text, format=rdf_format))
    result = split_records(quads, hierarchy=default_vocabulary().hierarchy, minter=MINTER,
                           source_id="src", document="https://feed.example/doc.ttl")
    return {r.subject.value: r for r in result.records}, result.warnings, result.orphan_subjects


def test_a_record_holds_what_it_reaches_through_non_record_nodes() -> None:
    records, _, _ = split(FEED)
    shop = records["https://ex.example/shop"]
    assert shop.kind == "organization"  # GroceryStore reaches Organization through the hierarchy
    predicates = {q.predicate.value for q in shop.quads}
    assert {"https://schema.org/postalCode", "https://schema.org/latitude"} <= predicates


def test_a_shared_non_record_node_is_copied_into_each_record() -> None:
    records, _, _ = split(FEED)
    for subject in ("https://ex.example/shop", "https://ex.example/cafe"):
        assert any(q.subject == NamedNode("https://ex.example/addr") for q in records[subject].quads)


def test_references_to_other_records_stay_iris() -> None:
    records, _, _ = split(FEED)
    event = records["https://ex.example/event"]
    assert event.kind == "event"
    assert not any(q.subject == NamedNode("https://ex.example/shop") for q in event.quads)
    assert any(q.object == NamedNode("https://ex.example/shop") for q in event.quads)


def test_blank_node_subjects_get_minted_iris_from_stable_keys() -> None:
    records, warnings, orphans = split(FEED)
    minted = [s for s in records if s.startswith("http://hub.test/id/organization/src-")]
    assert len(minted) == 3
    # Same keys in another parse (fresh blank-node labels): same IRIs.
    again, _, _ = split(FEED)
    assert sorted(minted) == sorted(s for s in again if s.startswith("http://hub.test/id/"))
    # Only the one without url, identifier, sameAs or name + postal code falls back, with a warning.
    assert len(warnings) == 1 and "cannot be followed across edits" in warnings[0]
    assert orphans == 1  # ex:lonely is reached by no record


def test_hash_ignores_blank_node_labels_and_order() -> None:
    records, _, _ = split(FEED)
    # Re-parsing gives every blank node a fresh label, as a re-serialised feed would.
    shuffled, _, _ = split(reserialised(FEED, 7).decode(), RdfFormat.N_TRIPLES)
    for subject, record in records.items():
        assert shuffled[subject].content_hash == record.content_hash


def test_hash_changes_when_content_changes() -> None:
    records, _, _ = split(FEED)
    edited, _, _ = split(FEED.replace('"Épicerie"@fr', '"Épicerie bio"@fr'))
    shop = "https://ex.example/shop"
    assert edited[shop].content_hash != records[shop].content_hash
    assert edited["https://ex.example/cafe"].content_hash == records["https://ex.example/cafe"].content_hash


def test_blank_node_records_referenced_by_others_are_renamed_everywhere() -> None:
    text = """
    @prefix schema: <https://schema.org/> .
    _:org a schema:NGO ; schema:name "Org"@fr ; schema:url <https://org.example/> .
    <https://e.example/ev> a schema:Event ; schema:name "Ev"@fr ; schema:organizer _:org .
    """
    records, _, _ = split(text)
    event = records["https://e.example/ev"]
    organizer = [q.object for q in event.quads if q.predicate.value == "https://schema.org/organizer"][0]
    assert isinstance(organizer, NamedNode) and organizer.value in records
    assert not any(isinstance(q.object, BlankNode) for q in event.quads)


def test_quads_of_records_are_in_the_default_graph() -> None:
    records, _, _ = split(FEED)
    assert all(isinstance(q, Quad) and q.graph_name.__class__.__name__ == "DefaultGraph"
               for r in records.values() for q in r.quads)


def test_fast_canonical_hash_equals_pyoxigraph_rdfc() -> None:
    """The fast path labels blank nodes as RDFC-1.0 does; pyoxigraph's RDFC-1.0 is the reference."""
    from pyoxigraph import CanonicalizationAlgorithm, Dataset, Literal

    from hub.core.ntriples import to_lines
    from hub.pipeline.canonical import canonical_hash

    for seed in range(60):
        rng = random.Random(seed)
        blanks = [BlankNode() for _ in range(rng.randint(1, 6))]
        quads = []
        for _ in range(rng.randint(1, 14)):
            subject = rng.choice([*blanks, NamedNode("https://s.example/")])
            obj = rng.choice([*blanks, Literal(str(rng.randint(0, 2))), NamedNode("https://o.example/")])
            quads.append(Quad(subject, NamedNode(f"https://p.example/{rng.randint(0, 2)}"), obj))
        dataset = Dataset(quads)
        dataset.canonicalize(CanonicalizationAlgorithm.RDFC_1_0)
        reference = "sha256:" + __import__("hashlib").sha256(
            "".join(line + "\n" for line in sorted(set(to_lines(dataset)))).encode()).hexdigest()
        assert canonical_hash(to_lines(quads)) == reference, seed


def test_lines_with_graphs_and_tricky_literals_split_right() -> None:
    from hub.core.ntriples import split_line

    assert split_line('<s> <p> "a b <x>"@fr <g> .') == ("<s>", "<p>", '"a b <x>"@fr', "<g>")
    assert split_line('<s> <p> "a \\" <g>" .') == ("<s>", "<p>", '"a \\" <g>"', None)
    assert split_line('<s> <p> "x"^^<http://d> _:g .') == ("<s>", "<p>", '"x"^^<http://d>', "_:g")
    assert split_line("_:b <p> <o> <g> .") == ("_:b", "<p>", "<o>", "<g>")


def test_a_literal_with_unicode_line_separators_stays_one_statement() -> None:
    """pyoxigraph leaves U+2028 and U+0085 unescaped in N-Triples: the lines must not be cut there."""
    text = '@prefix schema: <https://schema.org/> .\n<https://ex.example/o> a schema:NGO ; ' \
           'schema:description "un\u2028deux\u0085trois"@fr .\n'
    records, _, _ = split(text)
    [record] = records.values()
    [description] = [q.object for q in record.quads if q.predicate.value == "https://schema.org/description"]
    assert description.value == "un\u2028deux\u0085trois"


def test_record_hash_fast_path_equals_the_general_rdfc_hash() -> None:
    """split_records hashes a record from its tree of nodes; the general RDFC-1.0 path (itself checked
    against pyoxigraph above) must agree, for records with several blank nodes, nested ones included."""
    from hub.pipeline.canonical import canonical_hash

    rng = random.Random(11)
    parts = ["@prefix schema: <https://schema.org/> ."]
    for index in range(40):
        parts.append(
            f"<https://ex.example/o{index}> a schema:NGO ; schema:name \"N{index}\"@fr ;\n"
            f"  schema:address [ a schema:PostalAddress ; schema:postalCode \"{rng.randint(1000, 1200)}\" ;\n"
            f"    schema:geo [ schema:latitude {rng.random():.4f} ; schema:longitude {rng.random():.4f} ] ] ;\n"
            f"  schema:contactPoint [ schema:email \"c{rng.randint(0, 3)}@ex.example\" ] ,\n"
            f"                      [ schema:email \"d{rng.randint(0, 3)}@ex.example\" ] .")
    records, _, _ = split("\n".join(parts))
    assert len(records) == 40
    for record in records.values():
        assert record.content_hash == canonical_hash(record.triples), record.subject
        assert any(line.startswith("_:k") for line in record.triples)  # canonical labels kept for the store


def test_stored_labels_stay_right_when_a_literal_spells_a_canonical_label() -> None:
    """The record's stored lines are its canonical lines relabelled in one replace, unless `_:c14n`
    also occurs elsewhere (a literal, an IRI) or a statement came twice: then they are rebuilt node by
    node. Either way, literals keep their text and each blank node one label of the record's own."""
    from hub.core.ntriples import split_line
    from hub.pipeline.canonical import canonical_hash

    text = ('@prefix schema: <https://schema.org/> .\n'
            '<https://ex.example/a> a schema:NGO ; schema:description "see _:c14n0 and _:c14n1"@fr ;\n'
            '  schema:address [ schema:postalCode "1000" ] ; schema:geo [ schema:latitude 50.1 ] .\n'
            '<https://ex.example/b> a schema:NGO ; schema:name "B" ; schema:address [ schema:postalCode "1030" ] .\n')
    twice = '<https://ex.example/c> <https://schema.org/name> "C" .\n'
    nt = text + ('<https://ex.example/c> a <https://schema.org/NGO> .\n' + twice + twice
                 + '<https://ex.example/c> <https://schema.org/address> _:x .\n'
                 + '_:x <https://schema.org/postalCode> "1040" .\n')
    records, _, _ = split(nt)
    assert len(records) == 3
    for record in records.values():
        assert record.content_hash == canonical_hash(record.triples), record.subject
        assert not any("c14n" in line for line in record.triples if '"see' not in line)
        assert len(record.triples) == len(set(record.triples))
        blank_labels = {token for line in record.triples for token in split_line(line)[::2]
                        if token and token.startswith("_:")}
        assert blank_labels and all(label.startswith("_:k") for label in blank_labels), blank_labels
    [described] = [r for r in records.values() if r.subject.value == "https://ex.example/a"]
    assert any('"see _:c14n0 and _:c14n1"@fr' in line for line in described.triples)


SHAPED = """
@prefix schema: <https://schema.org/> .
@prefix ex: <https://ex.example/> .
ex:a a schema:Organization ; schema:name "A"@fr ; schema:url <https://a.example/> ;
    schema:address [ a schema:PostalAddress ; schema:postalCode "1000" ; schema:streetAddress "Rue 1" ] ;
    schema:geo [ a schema:GeoCoordinates ; schema:latitude 50.85 ; schema:longitude 4.35 ] .
ex:b a schema:Organization ; schema:name "B"@fr ;
    schema:address [ a schema:PostalAddress ; schema:postalCode "1060" ] ;
    schema:location ex:hall .
ex:hall schema:name "Salle"@fr ; schema:address [ schema:postalCode "1000" ] .
[] a schema:NGO ; schema:identifier "ngo-1" ; schema:address [ schema:postalCode "1030" ] .
ex:deep a schema:Organization ; schema:name "Deep"@fr ;
    schema:department [ schema:name "d1" ; schema:address [ schema:postalCode "1" ] ] ;
    schema:member [ schema:name "d2" ; schema:address [ schema:postalCode "2" ] ] .
"""


def _reshuffled(text: str, seed: int) -> str:
    return reserialised(text, seed).decode()


def _split_known(text: str, known: dict[str, tuple[str, str]] | None,
                 rdf_format: RdfFormat = RdfFormat.N_TRIPLES) -> dict[str, Record]:
    result = split_records(list(parse(text, format=rdf_format)), hierarchy=default_vocabulary().hierarchy,
                           minter=MINTER, source_id="src", document="https://feed.example/doc.nt", known=known)
    return {r.subject.value: r for r in result.records}


def test_a_record_known_by_its_shape_is_reused_with_its_published_hash() -> None:
    first = _split_known(SHAPED, None, RdfFormat.TURTLE)
    known = {r.graph_key: (r.shape, r.content_hash) for r in first.values()}
    # Blank nodes hanging from named nodes only: a shape; a blank tree two levels deep: none.
    assert all(first[s].shape for s in ("https://ex.example/a", "https://ex.example/b"))
    assert first["https://ex.example/deep"].shape == ""
    again = _split_known(_reshuffled(SHAPED, 4), known)
    full = _split_known(_reshuffled(SHAPED, 4), None)
    reused = {s for s, r in again.items() if r.reused}
    assert reused == {s for s, r in first.items() if r.shape} and len(reused) == 3  # a, b, the minted NGO
    for subject, record in again.items():
        assert record.content_hash == full[subject].content_hash == first[subject].content_hash
        assert record.shape == full[subject].shape == first[subject].shape
        assert (record.triples == []) == record.reused and full[subject].triples and not full[subject].reused


def test_any_change_gives_another_shape() -> None:
    """Edits the shape digest must see: a value of a blank node, a value moved between two blank
    nodes, a link's predicate, a shared node's value, a statement added to a blank node."""
    first = _split_known(SHAPED, None, RdfFormat.TURTLE)
    known = {r.graph_key: (r.shape, r.content_hash) for r in first.values()}
    edits = {
        "https://ex.example/a": [('"1000"', '"1001"'), ('schema:postalCode "1000" ; schema:streetAddress "Rue 1" ] ;\n'
                                                       '    schema:geo [ a schema:GeoCoordinates ;',
                                                       'schema:streetAddress "Rue 1" ] ;\n    schema:geo [ a '
                                                       'schema:GeoCoordinates ; schema:postalCode "1000" ;'),
                                 ("schema:geo [", "schema:hasMap ["),
                                 ('schema:streetAddress "Rue 1" ]',
                                  'schema:streetAddress "Rue 1" ; schema:name "x" ]')],
        "https://ex.example/b": [('"Salle"@fr', '"Hall"@fr'), ('schema:address [ schema:postalCode "1000" ] .',
                                                             'schema:address [ schema:postalCode "1020" ] .')],
    }
    for subject, changes in edits.items():
        for old, new in changes:
            assert old in SHAPED, old
            edited = _split_known(_reshuffled(SHAPED.replace(old, new, 1), 9), known)
            assert not edited[subject].reused, (subject, new)
            assert edited[subject].content_hash != first[subject].content_hash, (subject, new)
            assert edited[subject].shape != first[subject].shape
            others = [s for s in edited if s != subject and first[s].shape]
            assert all(edited[s].reused for s in others)


def test_two_wirings_of_the_same_blank_nodes_are_told_apart() -> None:
    """First-degree hashes alone would take these two records for one: they have no shape digest,
    and the canonical hash tells them apart."""
    wired = SHAPED.replace('[ schema:name "d1" ; schema:address [ schema:postalCode "1" ] ]',
                           '[ schema:name "d1" ; schema:address [ schema:postalCode "2" ] ]', 1) \
                  .replace('[ schema:name "d2" ; schema:address [ schema:postalCode "2" ] ]',
                           '[ schema:name "d2" ; schema:address [ schema:postalCode "1" ] ]', 1)
    first = _split_known(SHAPED, None, RdfFormat.TURTLE)
    known = {r.graph_key: (r.shape, r.content_hash) for r in first.values()}
    other = _split_known(_reshuffled(wired, 2), known)["https://ex.example/deep"]
    assert not other.reused and other.content_hash != first["https://ex.example/deep"].content_hash
