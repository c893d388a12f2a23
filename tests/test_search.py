"""`q=`: any part of a word, in every language, over names, descriptions, keywords and addresses, ranked;
one implementation (the API's) that the map uses as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hub.gateway import textsearch
from hub.gateway.textsearch import TextIndex, fold, words

MAP_SCRIPT = Path(__file__).resolve().parent.parent / "hub" / "gateway" / "static" / "site" / "map.js"


def everything(client: TestClient, collection: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/api/{collection}", params={"format": "jsonld", "limit": 1000, **params})
    assert response.status_code == 200, response.text
    members: list[dict[str, Any]] = response.json()["member"]
    return members


def texts(value: Any, language: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v["@value"] for v in values if isinstance(v, dict) and v.get("@language") == language]


def test_tuin_in_dutch_finds_every_dutch_name_or_description_holding_it(client: TestClient) -> None:
    for collection in ("organizations", "events", "resources", "knowledge"):
        expected = {m["@id"] for m in everything(client, collection)
                    if any("tuin" in fold(t) for key in ("name", "description") for t in texts(m.get(key, []), "nl"))}
        found = {m["@id"] for m in everything(client, collection, q="tuin", lang="nl")}
        assert expected <= found, (collection, expected - found)
        if collection == "organizations":
            assert len(expected) >= 5
    # The examples have Dutch compounds ending in -tuin: they are found.
    names = [t for m in everything(client, "organizations", q="tuin", lang="nl") for t in texts(m["name"], "nl")]
    assert any(w.endswith("tuin") and w != "tuin" for n in names for w in words(n)), names
    assert "Gemeenschapstuin van het Park" in names


def test_a_word_inside_a_compound_is_found(client: TestClient) -> None:
    names = [t for m in everything(client, "organizations", q="kruidenier") for t in texts(m["name"], "nl")]
    assert any("Boerenkruidenier" in n for n in names), names
    assert {m["@id"] for m in everything(client, "organizations", q="KRUIDENIER")} == \
        {m["@id"] for m in everything(client, "organizations", q="kruidenier")}


def test_search_ranks_names_first_and_keeps_the_ranking_across_pages(client: TestClient) -> None:
    ranked = [m["@id"] for m in everything(client, "organizations", q="tuin")]
    assert len(ranked) >= 3
    first = everything(client, "organizations", q="tuin")[0]
    assert any("tuin" in fold(t) for t in texts(first["name"], "nl") + texts(first["name"], "fr")
               + [n for n in first["name"] if isinstance(n, str)])
    # Paging by relevance walks the same list, one item a page.
    walked: list[str] = []
    response = client.get("/api/organizations", params={"q": "tuin", "limit": 1})
    while True:
        assert response.status_code == 200, response.text
        walked += [m["@id"] for m in response.json()["member"]]
        following = response.links.get("next")
        if not following:
            break
        response = client.get(following["url"])
    assert walked == ranked
    by_id = [m["@id"] for m in everything(client, "organizations", q="tuin", sort="id")]
    assert by_id == sorted(ranked)
    assert client.get("/api/organizations", params={"sort": "relevance"}).status_code == 400


def test_short_words_and_several_words(client: TestClient) -> None:
    tuin = {m["@id"] for m in everything(client, "organizations", q="tuin")}
    narrower = {m["@id"] for m in everything(client, "organizations", q="tuin zzzyx")}
    assert not narrower
    two = {m["@id"] for m in everything(client, "organizations", q="tu")}
    assert tuin <= two  # a word too short for a trigram is still a substring test


def test_text_index_on_its_own() -> None:
    index = TextIndex([(0, "Gemeenschapstuin Molenbeek", "een buurttuin"),
                       (1, "Boerenkruidenier", "Épicerie paysanne, rue de l'Écluse 3"),
                       (2, "Atelier vélo", "réparation de vélos; moestuin achteraan")])
    texts_by_position = [fold("Gemeenschapstuin Molenbeek een buurttuin"),
                         fold("Boerenkruidenier Épicerie paysanne, rue de l'Écluse 3"),
                         fold("Atelier vélo réparation de vélos; moestuin achteraan")]
    found = index.search(words("TUIN"), texts_by_position)
    assert set(found) == {0, 2} and found[0] > found[2]  # in the name counts more than in the description
    assert set(index.search(words("ecluse"), texts_by_position)) == {1}
    assert set(index.search(words("Écl"), texts_by_position)) == {1}
    assert set(index.search(words("velo de"), texts_by_position)) == {2}
    assert not index.search(words("zzz"), texts_by_position)
    index.close()


def test_many_matches_rank_names_first_without_bm25(monkeypatch: Any) -> None:
    monkeypatch.setattr(textsearch, "BM25_MATCHES", 1)
    index = TextIndex([(0, "Atelier", "un jardin partagé"), (1, "Jardin des Marolles", "potager"),
                       (2, "Café", "jardinage le samedi")])
    found = index.search(words("jardin"), [fold("Atelier un jardin partagé"), fold("Jardin des Marolles potager"),
                                           fold("Café jardinage le samedi")])
    assert set(found) == {0, 1, 2} and found[1] > found[0] == found[2]
    index.close()


def test_the_map_leaves_text_search_to_the_api() -> None:
    """The map sends its filters (q among them) to the API and draws what comes back: it has no filter of its
    own that could disagree with the API's search."""
    script = MAP_SCRIPT.read_text(encoding="utf-8")
    assert "function keep" not in script and ".filter((f) => bounds" not in script
    assert "for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value)" in script
