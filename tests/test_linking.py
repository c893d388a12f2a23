"""The linker's parts: names (French/Dutch, communes, legal forms), contacts and identifiers, blocking, the score and
its rules, decisions, incremental linking, and its measured quality on the labelled evaluation set."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import NamedNode

from bench.link_eval import EXAMPLE_NEGATIVES, EXAMPLE_POSITIVES, evaluate, generate, with_examples
from hub.archive import links as link_files
from hub.archive.datadir import DataDir
from hub.archive.links import Decision
from hub.core.clusters import canonical_iri, clusters_of
from hub.core.config import Settings
from hub.core.iris import Minter, link_key
from hub.core.profile import DEFAULT_PROFILE, LINKING_DIR, ProfileError, load_profile
from hub.core.records import Record
from hub.core.vocabulary import default_vocabulary
from hub.pipeline.harvest import HarvestSummary
from hub.pipeline.linking import facts as read
from hub.pipeline.linking.blocking import candidate_pairs
from hub.pipeline.linking.contacts import EnterpriseNumbers, Phones, platform_id, website
from hub.pipeline.linking.decide import decide
from hub.pipeline.linking.entities import Rules
from hub.pipeline.linking.facts import Facts
from hub.pipeline.linking.linker import LINKED_KINDS, Linker, link_facts
from hub.pipeline.linking.names import NameRules, best_match, words
from hub.pipeline.linking.scoring import Scored, score
from hub.sparql import queries
from hub.store.embedded import WorkingStore
from tests.conftest import BASE
from tests.test_pipeline import published_store

LINKING = load_profile(DEFAULT_PROFILE).linking
NAMES = NameRules(LINKING.name_lists)
COMMUNES = [line.split("\t") for line in (LINKING_DIR / "brussels-communes.tsv").read_text().splitlines()
            if line.startswith("place\t")]


def same_key(first: str, second: str, first_language: str | None = None, second_language: str | None = None) -> bool:
    return NAMES.key(first, first_language).text == NAMES.key(second, second_language).text


def test_names_ignore_case_accents_legal_forms_and_word_order() -> None:
    assert same_key("L'ÉPICERIE DU COIN", "l'epicerie du coin")
    assert same_key("Épicerie du Coin asbl", "A.S.B.L. Épicerie du Coin")
    for french, dutch in (("asbl", "vzw"), ("scrl", "cvba"), ("SA", "NV"), ("srl", "bv"), ("sprl", "bvba")):
        assert same_key(f"Fournil Solidaire {french}", f"Fournil Solidaire {dutch}"), (french, dutch)
        assert same_key(f"Fournil Solidaire {french}", "Fournil Solidaire")
    assert same_key("Coin Épicerie", "Épicerie du Coin")
    assert not same_key("Épicerie du Coin", "Épicerie du Canal")


def test_french_and_dutch_names_of_one_alternative_meet() -> None:
    for french, dutch in (("L'Épicerie Vrac du Coin", "De Bulkkruidenier op de Hoek"),
                          ("Jardin collectif du Parc", "Gemeenschapstuin van het Park"),
                          ("Repair Café de Saint-Gilles", "Repaircafé Sint-Gillis"),
                          ("Maison de quartier des Glycines", "Buurthuis De Glycines"),
                          ("Coopérative Les Paniers Pleins", "Coöperatie De Volle Manden")):
        assert same_key(french, dutch, "fr", "nl"), (french, dutch)
    # A feed that tags every name with its own language: a Dutch name tagged @fr still meets its French twin.
    assert same_key("Repair Café de Forest", "Repaircafé Vorst", "fr", "fr")


def test_the_19_communes_french_and_dutch_names_are_one_place() -> None:
    communes = [row for row in COMMUNES if row[1] not in ("laeken", "neder-over-heembeek", "haren")]
    assert len(communes) == 19
    for _, concept, french, dutch in communes:
        first, second = NAMES.key(french.split("|")[0], "fr"), NAMES.key(dutch.split("|")[0], "nl")
        assert first.places == second.places == {f"@{concept}"}, (french, dutch)
    assert same_key("Ixelles", "Elsene", "fr", "nl") and same_key("Saint-Gilles", "Sint-Gillis", "fr", "nl")
    # Two branches named after their communes name different places: that counts against them.
    match = best_match([NAMES.key("Färm Ixelles")], [NAMES.key("Färm Saint-Gilles")])
    assert match is not None and match.places_differ and match.similarity <= 0.5


def test_the_shipped_name_lists_give_each_spelling_one_concept() -> None:
    for path in LINKING_DIR.glob("*.tsv"):
        seen: dict[tuple[str, str], str] = {}
        lines = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
                 if line and not line.startswith("#")]
        header = lines[0]
        for row in lines[1:]:
            if row[0] in ("stop", "legal"):
                continue
            for language, cell in zip(header[2:], row[2:], strict=False):
                for spelling in cell.split("|"):
                    key = (language, " ".join(words(spelling)))
                    assert seen.setdefault(key, row[1]) == row[1], f"{path.name}: {spelling!r} is {seen[key]}, {row[1]}"
    assert (LINKING_DIR / "README.md").read_text().count("source") >= 2  # each list says where it comes from


def test_contacts_and_identifiers_are_normalised() -> None:
    phones = Phones("BE")
    assert phones.normal("+32 2 000 12 34") == phones.normal("02 000 12 34") == phones.normal("0032 2/000.12.34")
    assert phones.normal("pas de téléphone") is None
    numbers = EnterpriseNumbers(["be.vat"])
    assert numbers.normal("BE 0403.170.701") == numbers.normal("0403170701") == "be.vat:0403170701"
    assert numbers.normal("0403.170.702") is None  # its check digits are wrong: not an enterprise number
    assert website("https://www.Epicerie.example/fr/") == ("epicerie.example/fr", "epicerie.example")
    assert website("https://fr-fr.facebook.com/epicerie/") == ("facebook.com/epicerie", "facebook.com/epicerie")
    assert platform_id("rc-01") is None and platform_id("12") is None  # a table's row number is no identifier
    assert platform_id("1234", "GoGoCarto") == "gogocarto=1234" and platform_id("osm:node/42") == "osm:node/42"


def entity(iri: str, source: str = "a", **values: object) -> Facts:
    facts = Facts(iri, f"urn:g:{iri}", source)
    for name, value in values.items():
        setattr(facts, name, value)
    return facts


RULES = Rules(LINKING)


def scored(first: Facts, second: Facts) -> Scored:
    return score(RULES.entity(first.subject, [first]), RULES.entity(second.subject, [second]))


def test_a_strong_identifier_decides_alone_and_a_conflicting_one_vetoes() -> None:
    here, there = (50.8270, 4.3720), (50.8600, 4.3100)
    # The same enterprise number (spelt two ways): linked, however different the names.
    same = scored(entity("urn:a", names=[("Le Panier", "fr")], point=here, ids=[("vatID", "BE 0403.170.701")]),
                  entity("urn:b", "b", names=[("Coöperatie Mand", "nl")], point=here, ids=[("", "0403170701")]))
    assert (same.rule, same.score, same.strong) == ("identifier", 1.0, True)
    assert same.evidence[0] == "same enterprise number be.vat:0403170701"
    # A feed's own sameAs naming the other record decides too.
    said = scored(entity("urn:a", names=[("X", "fr")], same_as=["urn:b"]), entity("urn:b", "b", names=[("Y", "fr")]))
    assert said.strong and said.score == 1.0
    # One name, one place, two enterprise numbers: vetoed.
    veto = scored(entity("urn:a", names=[("Épicerie du Coin", "fr")], point=here, ids=[("vatID", "0403170701")]),
                  entity("urn:b", "b", names=[("Épicerie du Coin", "fr")], point=here,
                         ids=[("vatID", "0202239951")]))
    assert veto.rule == "veto" and veto.score == 0.0 and "enterprise numbers differ" in veto.evidence[0]
    # One enterprise number at two places far apart: two branches of one organisation, for review.
    branch = scored(entity("urn:a", names=[("Färm", "fr")], point=here, ids=[("vatID", "0403170701")]),
                    entity("urn:b", "b", names=[("Färm", "fr")], point=there, ids=[("vatID", "0403170701")]))
    assert branch.rule == "identifier" and branch.branch and not branch.strong


def test_the_score_weighs_names_distance_and_contacts() -> None:
    here = (50.8360, 4.3080)
    garden = entity("urn:a", names=[("Jardin collectif du Parc", "fr")], point=here,
                    streets=["Rue des Vétérinaires 74"])
    twin = entity("urn:b", "b", names=[("Gemeenschapstuin van het Park", "nl")], point=(50.8362, 4.3083),
                  streets=["Rue des Vétérinaires 74"])
    linked = scored(garden, twin)
    assert linked.score >= LINKING.link_at and linked.rule == "score"
    assert any(line.startswith("name 1.00") for line in linked.evidence)
    assert any(line.startswith("distance ") and "m (+" in line for line in linked.evidence)
    # Two alternatives in one building: different names, same address.
    neighbour = entity("urn:c", "b", names=[("Atelier Vélo du Canal", "fr")], point=here,
                       streets=["Rue des Vétérinaires 74"])
    assert scored(garden, neighbour).score < LINKING.review_at
    # A chain's second branch, far away: the same site and e-mail are not enough.
    branch = entity("urn:d", "b", names=[("Jardin collectif du Parc Schaerbeek", "fr")], point=(50.8620, 4.3720),
                    urls=["https://parc.example/schaerbeek"], emails=["info@parc.example"])
    garden.urls, garden.emails = ["https://parc.example/"], ["info@parc.example"]
    assert scored(garden, branch).score < LINKING.review_at


def test_persons_are_never_linked(tmp_path: Path) -> None:
    """Only organisations and places are linked: a person record is never even read."""
    assert "person" not in LINKED_KINDS
    data = DataDir(tmp_path)
    linker = Linker(data, Minter(BASE), LINKING)
    lines = ['<urn:p1> <https://schema.org/name> "Ana Lopes" .',
             '<urn:p1> <https://schema.org/email> "ana@x.example" .']
    twin = [line.replace("urn:p1", "urn:p2") for line in lines]
    person = Record(NamedNode("urn:p1"), "person", ["https://schema.org/Person"], lines, "file:a", "p1")
    other = Record(NamedNode("urn:p2"), "person", ["https://schema.org/Person"], twin, "file:b", "p2")
    linker.note("a", [(person, "urn:g1")], [])
    linker.note("b", [(other, "urn:g2")], [])
    store = WorkingStore(tmp_path / "store")
    outcome = linker.run(store, None)
    assert outcome is not None and outcome.entities == 0 and not outcome.links
    store.close()


def test_candidates_come_from_blocks_not_from_every_pair() -> None:
    labelled = generate(3000, seed=5)
    entities = [RULES.entity(a.iri, [a.facts()]) for a in labelled.alternatives]
    index = {entity.iri: position for position, entity in enumerate(entities)}
    pairs = candidate_pairs(entities)
    every = len(entities) * (len(entities) - 1) // 2
    assert len(pairs) < every / 100, (len(pairs), every)
    # Nearly every true pair is among the candidates (blocking loses a pair that shares no word, place or contact
    # any more: a short name without coordinates, say).
    found = sum(tuple(sorted((index[a], index[b]))) in pairs for a, b in labelled.positives)
    assert found >= 0.97 * len(labelled.positives), (found, len(labelled.positives))


def test_a_word_a_neighbourhood_shares_makes_no_candidates() -> None:
    # 90 initiatives spread over nine cells around one another, fewer than NAME_BLOCK in any one cell: their
    # shared word says nothing, so only what they really share (here a telephone of two of them) makes a pair.
    entities = []
    for index in range(90):
        latitude, longitude = 50.85 + (index % 3) * 0.0045, 4.35 + (index // 3 % 3) * 0.0070
        phones = ["+32 2 000 00 00"] if index in (7, 8) else [f"+32 2 100 {index:02d} 00"]
        entities.append(RULES.entity(f"http://x.test/{index}", [Facts(
            f"http://x.test/{index}", f"http://x.test/g/{index}", "s", names=[(f"Initiative {index}", "fr")],
            point=(latitude + 0.001, longitude + 0.001), phones=phones)]))
    assert candidate_pairs(entities) == {(7, 8)}


def test_precision_and_recall_on_the_labelled_set(harvested: tuple[Settings, HarvestSummary]) -> None:
    store = published_store(harvested[0])
    minter = Minter(BASE)
    rows = store.select(queries.render("link-facts", meta=minter.meta_graph()))
    hierarchy = default_vocabulary().hierarchy
    example = [one for one, types in read.from_rows(rows, {r["source"].value: r["source"].value.rsplit("/", 1)[1]
                                                             for r in rows})
               if hierarchy.kind_of(types) in LINKED_KINDS]
    labelled = with_examples(generate(1500, seed=7), example)
    result = evaluate(labelled, LINKING)
    assert result.precision >= 0.95 and result.recall >= 0.90, result
    # The examples' own pairs: the Parc garden on two networks linked, the bakery's branches and neighbours apart.
    _, links = link_facts(labelled.extra_facts, LINKING)
    linked = {tuple(sorted((link.first, link.second))) for link in links if link.same_as}
    assert set(EXAMPLE_POSITIVES) <= linked and not set(EXAMPLE_NEGATIVES) & linked


def test_a_rejected_pair_is_never_joined_through_other_links() -> None:
    pairs = {link_key("urn:a", "urn:c"): Scored("urn:a", "urn:c", 0.97, "score", ["name"]),
             link_key("urn:b", "urn:c"): Scored("urn:b", "urn:c", 0.95, "score", ["name"])}
    rejected = {link_key("urn:a", "urn:b"): Decision("urn:a", "urn:b", "rejected", "administrator (API)",
                                                     "2027-01-01T00:00:00Z")}
    links = {(link.first, link.second): link for link in decide(pairs, rejected, {"urn:a", "urn:b", "urn:c"},
                                                                   0.9, 0.6)}
    assert links[("urn:a", "urn:c")].status == "accepted"
    assert links[("urn:b", "urn:c")].status == "pending"  # it would join a and b: kept apart, for review
    assert "kept apart" in links[("urn:b", "urn:c")].evidence[-1]
    assert links[("urn:a", "urn:b")].status == "rejected" and not links[("urn:a", "urn:b")].same_as
    # A confirmed pair is linked whatever it scores (here: never scored at all).
    confirmed = {link_key("urn:x", "urn:y"): Decision("urn:x", "urn:y", "confirmed", "administrator (API)",
                                                      "2027-01-01T00:00:00Z")}
    [link] = decide({}, confirmed, {"urn:x", "urn:y"}, 0.9, 0.6)
    assert link.same_as and link.rule == "decision" and link.score is None


def test_the_canonical_iri_is_deterministic_and_prefers_a_feeds_own() -> None:
    members = [f"{BASE}id/organization/x", "https://b.example/2", "https://a.example/1"]
    assert canonical_iri(members, BASE) == canonical_iri(reversed(members), BASE) == "https://a.example/1"
    assert canonical_iri([f"{BASE}id/organization/y", f"{BASE}id/organization/x"], BASE) == f"{BASE}id/organization/x"
    assert clusters_of([("a", "b"), ("c", "b"), ("d", "e")])["a"] == ["a", "b", "c"]


def linked_pairs(linker_links: dict[str, tuple[str, list[str]]]) -> set[tuple[str, str, str]]:
    found = set()
    for _, lines in linker_links.values():
        subject = next(line.split(" ")[2][1:-1] for line in lines if "rdf-syntax-ns#subject>" in line)
        obj = next(line.split(" ")[2][1:-1] for line in lines if "rdf-syntax-ns#object>" in line)
        status = next(line.split('"')[1] for line in lines if "#linkStatus>" in line)
        found.add((subject, obj, status))
    return found


def records_of(alternatives: list, graph_prefix: str = "urn:graph:") -> dict[str, list[tuple[Record, str]]]:
    by_source: dict[str, list[tuple[Record, str]]] = {}
    for alternative in alternatives:
        record = Record(NamedNode(alternative.iri), "organization", [], alternative.lines(), "file:x",
                        alternative.iri.rsplit("/", 1)[1])
        by_source.setdefault(alternative.source, []).append((record, graph_prefix + alternative.iri))
    return by_source


def test_incremental_linking_gives_what_linking_everything_gives(tmp_path: Path) -> None:
    """A harvest re-links only what it changed, and ends where linking everything anew would."""
    labelled = generate(1200, seed=9)
    alternatives = labelled.alternatives
    half = len(alternatives) // 2
    store = WorkingStore(tmp_path / "store")
    data = DataDir(tmp_path / "data")
    first = Linker(data, Minter(BASE), LINKING)
    for source, found in records_of(alternatives[:half]).items():
        first.note(source, found, [])
    first.run(store, None)
    first.save(1)
    second = Linker(data, Minter(BASE), LINKING)
    for source, found in records_of(alternatives[half:]).items():
        second.note(source, found, [])
    outcome = second.run(store, 1)
    assert outcome is not None and not outcome.full and outcome.changed == len(alternatives) - half
    second.save(2)
    whole = Linker(DataDir(tmp_path / "whole"), Minter(BASE), LINKING)
    for source, found in records_of(alternatives).items():
        whole.note(source, found, [])
    other_store = WorkingStore(tmp_path / "other")
    whole.run(other_store, None)
    assert second._state is not None and whole._state is not None
    assert linked_pairs(second._state.written) == linked_pairs(whole._state.written)
    # The links graph in the store is exactly what the state says it wrote.
    graph = Minter(BASE).links_graph()
    served = {str(q) for q in store.graph_quads(graph)}
    assert len(served) == sum(len(lines) for _, lines in second._state.written.values())
    # A record that leaves its feed leaves its cluster: every link of it goes, nothing else is scored anew.
    positive = next(iter(labelled.positives))
    third = Linker(data, Minter(BASE), LINKING)
    third.note("alpha", [], ["urn:graph:" + positive[0]])
    outcome = third.run(store, 2)
    assert outcome is not None and outcome.changed == 0
    assert third._state is not None
    assert not any(positive[0] in (a, b) for a, b, _ in linked_pairs(third._state.written))
    remaining = {str(q) for q in store.graph_quads(graph)}
    assert not any(f"<{positive[0]}>" in line for line in remaining)
    store.close()
    other_store.close()


def test_a_harvest_that_changed_nothing_keeps_the_state_as_it_is(tmp_path: Path) -> None:
    """Nothing noted, same rules and decisions: the state is not read, only restamped for the new generation,
    and the next harvest's incremental linking reads it whole."""
    alternatives = generate(300, seed=4).alternatives
    store = WorkingStore(tmp_path / "store")
    data = DataDir(tmp_path / "data")
    first = Linker(data, Minter(BASE), LINKING)
    for source, found in records_of(alternatives[:-1]).items():
        first.note(source, found, [])
    first.run(store, None)
    first.save(1)
    written = link_files.load_state(data).written
    idle = Linker(data, Minter(BASE), LINKING)
    assert idle.run(store, 1) is None
    assert idle._state is None  # not read
    idle.save(2)
    head = link_files.load_state_head(data)
    assert head is not None and head["generation"] == 2
    restamped = link_files.load_state(data)
    assert restamped.generation == 2 and restamped.written == written
    # The generation after it links incrementally from that state, not anew from the store.
    last = Linker(data, Minter(BASE), LINKING)
    for source, found in records_of(alternatives[-1:]).items():
        last.note(source, found, [])
    outcome = last.run(store, 2)
    assert outcome is not None and not outcome.full and outcome.changed == 1
    store.close()


@pytest.mark.parametrize("table, message", [
    ("link_at = 0.9\nreviewat = 0.5", "unknown key 'reviewat'"),
    ("link_at = 0.7\nreview_at = 0.8", "must not be above"),
    ("link_at = 2", "between 0 and 1"),
    ('enterprise_numbers = ["be.kbo"]', "not a python-stdnum module"),
    ('name_lists = ["glosary-fr-nl"]', "does not exist"),
])
def test_the_profiles_linking_table_is_checked(tmp_path: Path, table: str, message: str) -> None:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8").split("[linking]")[0]
    profile = tmp_path / "hub.toml"
    profile.write_text(text.replace('boundary = "belgium"', f'boundary = "{DEFAULT_PROFILE.parent}/belgium.geojson"')
                       + "[linking]\n" + table + "\n", encoding="utf-8")
    with pytest.raises(ProfileError) as error:
        load_profile(profile)
    assert message in str(error.value) and "hub.toml:" in str(error.value)

