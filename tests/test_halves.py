"""Big line-based documents are lifted in two processes at once, with exactly the result of one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.feeds import reserialised
from hub.core.iris import Minter
from hub.pipeline.fetch import Fetched, now_iso
from hub.pipeline.halves import Half, lift_in_halves
from hub.pipeline.lifting import LiftOptions, _line_based, lift_lines, split_lifted
from tests.test_engine import organisations

MINTER = Minter("http://hub.test/")


def ntriples(count: int, seed: int = 5) -> bytes:
    """Organisations as shuffled N-Triples: blank nodes (addresses, coordinates) on both sides of any cut."""
    return reserialised(organisations(count), seed)


def test_two_halves_give_the_statements_of_the_whole(tmp_path: Path) -> None:
    body = ntriples(300)
    halves = lift_in_halves(body, "ntriples", min_bytes=0, scratch=tmp_path / "scratch")
    assert halves is not None
    assert list((tmp_path / "scratch").iterdir()) == []  # the exchanged halves are gone
    whole = lift_lines(Fetched("https://feed.example/all.nt", body, "application/n-triples", now_iso()),
                       LiftOptions(minter=MINTER, source_id="s", base_iri="http://hub.test/"))
    assert sorted(halves.lines) == sorted(whole.lines) and len(halves.lines) == len(whole.lines)
    assert (halves.needs_alignment, halves.persons) == (False, False)


def test_records_and_hashes_are_the_same_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    body = ntriples(200)
    options = LiftOptions(minter=MINTER, source_id="s", base_iri="http://hub.test/", configured_format="turtle")
    fetched = Fetched("https://feed.example/all.nt", body, None, now_iso())
    assert _line_based("turtle", body) == "ntriples"  # N-Triples is Turtle too

    used: list[bool] = []

    def records(min_bytes: int) -> dict[str, str]:
        def halves(data: bytes, name: str | None, scratch: Path | None = None) -> Half | None:
            found = lift_in_halves(data, name, min_bytes=min_bytes, scratch=scratch)
            used.append(found is not None)
            return found

        monkeypatch.setattr("hub.pipeline.lifting.lift_in_halves", halves)
        split = split_lifted([lift_lines(fetched, options)], minter=MINTER, source_id="s")
        return {record.subject.value: record.content_hash for record in split.records}

    in_halves, whole = records(0), records(1 << 40)
    assert used == [True, False]
    assert len(in_halves) == 200 and in_halves == whole


def test_anything_unexpected_means_reading_the_whole_document() -> None:
    body = ntriples(100)
    cut = body.find(b"\n", len(body) // 2) + 1
    broken_second_half = body[:cut] + b"<https://e.example/s> <https://e.example/p> oops .\n" + body[cut:]
    assert lift_in_halves(broken_second_half, "ntriples", min_bytes=0) is None
    relative = b"<s> <https://e.example/p> \"x\" .\n" * 50  # N-Triples has no relative IRIs
    assert lift_in_halves(relative, "ntriples", min_bytes=0) is None
    assert lift_in_halves(body, "turtle", min_bytes=0) is None  # only line-based syntaxes are cut
    assert _line_based("turtle", organisations(5)) is None  # Turtle with prefixes: read whole
    assert lift_in_halves(body, "ntriples") is None  # small: not worth a process


def test_a_harvest_empties_the_scratch_folder_a_killed_one_left(tmp_path: Path) -> None:
    from hub.archive.datadir import DataDir
    from hub.core.config import Settings
    from hub.pipeline.harvest import harvest
    from tests.conftest import BASE, quiet

    feed = tmp_path / "feed.nt"
    feed.write_bytes(ntriples(5))
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "net"\nname = "Net"\nurl = "file:feed.nt"\nformat = "ntriples"\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Net"\n'
        'contact = "mailto:net@net.example"\n', encoding="utf-8")
    data = DataDir(tmp_path / "data")
    stale = data.scratch / "halves-killed" / "in"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x" * 1000)
    summary = harvest(Settings(tmp_path / "sources.toml", data.root, BASE), progress=quiet)
    assert summary.runs[0].counts["added"] == 5
    assert not stale.exists()


def test_the_harvest_knows_beforehand_which_documents_are_read_in_two_processes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The harvest opens its store (and so sets RocksDB compacting) only while a core is free: it
    must know, before lifting a document, whether two processes will parse it."""
    from hub.pipeline.lifting import read_in_two_processes

    used: list[bool] = []

    def recording(data: bytes, name: str | None, scratch: Path | None = None) -> Half | None:
        found = lift_in_halves(data, name, scratch=scratch)
        used.append(found is not None)
        return found

    monkeypatch.setattr("hub.pipeline.lifting.lift_in_halves", recording)
    options = LiftOptions(minter=MINTER, source_id="s", base_iri="http://hub.test/")
    documents = [Fetched("https://feed.example/all.nt", ntriples(20), "application/n-triples", now_iso()),
                 Fetched("https://feed.example/all.ttl", organisations(20), "text/turtle", now_iso()),
                 Fetched("https://feed.example/dump", ntriples(20), None, now_iso())]  # sniffed
    for min_bytes in (0, 1 << 40):
        monkeypatch.setattr("hub.pipeline.halves.MIN_BYTES", min_bytes)
        for fetched in documents:
            used.clear()
            expected = read_in_two_processes(fetched, options)
            lift_lines(fetched, options)
            assert used == [expected], (fetched.url, min_bytes)
    monkeypatch.setattr("hub.pipeline.halves.MIN_BYTES", 0)
    assert [read_in_two_processes(f, options) for f in documents] == [True, False, True]


def test_the_store_opens_after_two_processes_parse_and_before_one_does(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.core.config import Settings
    from hub.pipeline.harvest import harvest
    from hub.store.embedded import WorkingStore
    from tests.conftest import BASE, quiet

    monkeypatch.setattr("hub.pipeline.halves.MIN_BYTES", 0)
    events: list[str] = []
    opening = WorkingStore.open

    def open_store(self: WorkingStore) -> None:
        if self._opened is None:
            events.append("open")
        opening(self)

    import hub.pipeline.harvest

    lifting = hub.pipeline.harvest.lift_lines
    monkeypatch.setattr(WorkingStore, "open", open_store)
    monkeypatch.setattr(hub.pipeline.harvest, "lift_lines",
                        lambda fetched, options: (events.append(f"lift {fetched.url.rsplit('.', 1)[1]}"),
                                                  lifting(fetched, options))[1])
    for name, body in (("feed.nt", ntriples(30)), ("feed.ttl", organisations(30))):
        (tmp_path / name).write_bytes(body)
        (tmp_path / "sources.toml").write_text(
            f'[[source]]\nid = "net"\nname = "Net"\nurl = "file:{name}"\n'
            'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "Net"\n'
            'contact = "mailto:net@net.example"\n', encoding="utf-8")
        settings = Settings(tmp_path / "sources.toml", tmp_path / f"data-{name}", BASE)
        harvest(settings, progress=quiet)
        (tmp_path / name).write_bytes(body + b"\n")  # new bytes, same records: lifted again
        events.clear()
        summary = harvest(settings, progress=quiet)
        assert summary.runs[0].counts["unchanged"] == 30
        assert events == (["lift nt", "open"] if name == "feed.nt" else ["open", "lift ttl"])
