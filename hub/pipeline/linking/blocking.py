"""Candidate pairs without comparing every pair: two entities are compared only when they share a block.

Blocks are a word of their names in the same or a neighbouring cell of a grid of about 500 m, a word and a postal
code, a street address, or a contact or identifier (web page or site, e-mail, telephone, enterprise number, platform
id, a `sameAs`).
A name word that a whole cell shares (`épicerie` in a dense street), or the nine cells around an entity share
together (the benchmark's `initiative`, some 30 a cell at 33k records: every entity would otherwise be a candidate
of the 270 around it), makes a block too big to say anything: such blocks are skipped, and the rarer words of the
same names still meet. So 100k records give a few candidates each, not 100k.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from hub.pipeline.linking.entities import Entity
from hub.pipeline.linking.names import PLACE_MARK, WORD_MARK
from hub.pipeline.linking.scoring import SHARED_BY

CELL_LATITUDE = 0.0045  # about 500 m
CELL_LONGITUDE = 0.0070  # about 500 m at 45-51° north; further from there the cells only change shape
NAME_BLOCK = 30  # a name word shared by more entities in one cell (or postal code) is not a block
NEIGHBOURHOOD_BLOCK = 30  # nor one shared by more entities in the nine cells around an entity's own
CONTACT_BLOCK = SHARED_BY  # a contact given by SHARED_BY entities is a directory's (scoring.py)
IDENTIFIER_BLOCK = 50
NEIGHBOURS = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]

Key = tuple[Any, ...]  # (kind, value…): ("g", x, y, word), ("p", postal code, word), ("m", e-mail)…


def cell(point: tuple[float, float]) -> tuple[int, int]:
    return math.floor(point[1] / CELL_LONGITUDE), math.floor(point[0] / CELL_LATITUDE)


def _is_concept(token: str) -> bool:
    return token[0] in (WORD_MARK, PLACE_MARK)


def _keys(entity: Entity) -> Iterator[tuple[Key, int]]:
    """(key, the block size past which it says nothing) of an entity's own blocks.

    A name's own words (`Kalo`, `Färm`) are its keys, with their letters (a doubled or swapped letter keeps them);
    the words of the name lists (`~grocery`, `@ixelles`) are keys only of a name that has no word of its own, and a
    whole name is a key too: `épicerie` alone would put every grocery of a neighbourhood in one block."""
    own: set[str] = set()
    for name in entity.names:
        plain = {token for token in name.tokens if not _is_concept(token)}
        own |= plain or set(name.tokens)
        own.add("=" + name.text)
    letters = {"".join(sorted(set(token))) for token in own if len(token) >= 4 and token[0] not in "=~@"}
    if entity.point is not None:
        x, y = cell(entity.point)
        for token in own:
            yield ("g", x, y, token), NAME_BLOCK
        for token in letters:
            yield ("l", x, y, token), NAME_BLOCK
    for code in entity.postal:
        for token in own:
            yield ("p", code, token), NAME_BLOCK
        for street in entity.streets:
            yield ("a", code, street), NAME_BLOCK
    if entity.point is None and not entity.postal:
        for token in own:
            yield ("n", token), NAME_BLOCK
    for kind, values in (("w", entity.pages), ("d", entity.sites), ("m", entity.emails), ("t", entity.phones)):
        for value in values:
            yield (kind, value), CONTACT_BLOCK
    for kind, values in (("e", entity.enterprise), ("i", entity.ids), ("s", entity.same_as | {entity.iri})):
        for value in values:
            yield (kind, value), IDENTIFIER_BLOCK


class Blocks:
    """Every entity's blocks, and the candidates of one entity: the members of its blocks (its name words' blocks
    in the nine cells around its own)."""

    def __init__(self, entities: Sequence[Entity]) -> None:
        self.entities = entities
        # A block of one is by far the commonest: it is kept as its member alone, not a list.
        self._blocks: dict[Key, int | list[int]] = {}
        self._limits: dict[str, int] = {}
        self.skipped = 0  # blocks too big to say anything
        # Each entity's keys, worked out once: its candidates are looked up under the same keys.
        self._keys: list[list[Key]] = []
        for position, entity in enumerate(entities):
            keys = []
            for key, limit in _keys(entity):
                keys.append(key)
                self._limits.setdefault(key[0], limit)
                found = self._blocks.get(key)
                if found is None:
                    self._blocks[key] = position
                elif isinstance(found, int):
                    if found != position:
                        self._blocks[key] = [found, position]
                elif found[-1] != position:
                    found.append(position)
            self._keys.append(keys)

    def _members(self, key: Key) -> list[int]:
        found = self._blocks.get(key)
        if found is None:
            return []
        if isinstance(found, int):
            return [found]
        if len(found) > self._limits[key[0]]:
            self.skipped += 1
            return []
        return found

    def _around(self, key: Key) -> list[int]:
        """The members of a name word's blocks in the nine cells around the key's own: none when the word is
        shared by more than NEIGHBOURHOOD_BLOCK entities there (a word nine cells share says as little as one a
        whole cell shares, and would make every entity of the neighbourhood a candidate of every other)."""
        kind, x, y, token = key
        members: list[int] = []
        for dx, dy in NEIGHBOURS:
            found = self._blocks.get((kind, x + dx, y + dy, token))
            if found is None:
                continue
            if isinstance(found, int):
                members.append(found)
            else:
                members += found
            if len(members) > NEIGHBOURHOOD_BLOCK:
                self.skipped += 1
                return []
        return members

    def candidates(self, position: int) -> set[int]:
        found: set[int] = set()
        for key in self._keys[position]:
            if key[0] in ("g", "l"):
                found.update(self._around(key))
            else:
                found.update(self._members(key))
        found.discard(position)
        return found


def candidate_pairs(entities: Sequence[Entity], changed: Collection[int] | None = None) -> set[tuple[int, int]]:
    """The pairs (positions, smaller first) to score: every candidate pair when `changed` is None, else those with
    at least one entity in `changed`."""
    blocks = Blocks(entities)
    pairs: set[tuple[int, int]] = set()
    if changed is None:
        for position in range(len(entities)):
            pairs.update((position, other) for other in blocks.candidates(position) if other > position)
        return pairs
    for position in changed:
        pairs.update((min(position, other), max(position, other)) for other in blocks.candidates(position))
    return pairs
