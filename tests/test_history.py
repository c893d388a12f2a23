"""The private history of record versions (what each run wrote, read back whole) and the statement-level
patch of a changed record built on it."""

from __future__ import annotations

from pathlib import Path

from hub.archive import history
from hub.archive.datadir import DataDir

META = "<http://hub.test/graph/meta>"


def test_written_gives_back_each_whole_version_even_across_read_chunks(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    graphs = [(f"http://hub.test/graph/s/{i}", [f"<http://e.example/{i}> <http://p> \"v{i}\" ."],
               [f"<http://hub.test/graph/s/{i}> <http://h> \"{i}\" {META} ."]) for i in range(50)]
    history.write(data, "s", "20260101T000000Z", [*graphs[:25], ("http://hub.test/graph/s/gone", [], []),
                                                  *graphs[25:]])
    wanted = {"20260101T000000Z": {graphs[3][0], graphs[30][0], "http://hub.test/graph/s/gone"}}
    for size in (7, 64, 1 << 20):  # marks cut by the chunk boundaries, or not
        found = dict(history.written(data, "s", wanted, read_size=size))
        assert set(found) == {graphs[3][0], graphs[30][0]}  # a removal is no version
        for index in (3, 30):
            graph, triples, description = graphs[index]
            assert found[graph] == [f"{triples[0][:-2]} <{graph}> .", description[0]]
    # A run that is not in the history (pruned): nothing, so the record is replaced whole.
    assert list(history.written(data, "s", {"20250101T000000Z": {graphs[3][0]}})) == []
    # The graph's history still reads its statements only.
    [version] = history.versions(data, "s", graphs[3][0])
    assert version.triples == graphs[3][1]


def test_delete_nquads_removes_exactly_the_statements_named_whatever_their_literals(tmp_path: Path) -> None:
    """A patch deletes statements by their N-Quads text through SPARQL DELETE DATA: every literal
    pyoxigraph can write (quotes, escapes, control characters, line separators, tags, datatypes) must
    survive the trip."""
    from pyoxigraph import Literal, NamedNode, Quad

    from hub.core.ntriples import to_lines
    from hub.store.embedded import WorkingStore

    graph = NamedNode("http://hub.test/graph/s/1")
    subject, predicate = NamedNode("https://e.example/s"), NamedNode("https://e.example/p")
    values = [Literal('say "hi"\\ \n\r\t'), Literal("nul\x00 bell\x07 del\x7f"), Literal("a\u2028b\u0085c"),
              Literal("GRAPH <x> { } .", language="fr"), Literal("élan", language="nl-BE"),
              Literal("50.85", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
              Literal("}; DROP ALL"), NamedNode("https://e.example/o?q=1&r=%20#f")]
    kept = Quad(subject, predicate, Literal("kept"), graph)
    store = WorkingStore(tmp_path / "store")
    quads = [Quad(subject, predicate, value, graph) for value in values]
    store.add_quads([*quads, kept])
    lines = to_lines(quads)
    assert len(lines) == len(values)
    store.delete_nquads(lines, chunk=3)
    assert store.graph_quads(graph) == [kept]


def _version(name: str) -> tuple[str, list[str], list[str]]:
    graph = f"http://hub.test/graph/s/{name}"
    return graph, [f'<http://e.example/{name}> <http://p> "{name}" .'], [f'<{graph}> <http://h> "d" {META} .']


def test_prune_keeps_current_and_unknown_versions_whole_and_every_mark_and_removal(tmp_path: Path) -> None:
    for size in (5, 64, 1 << 20):  # marks cut by the read chunks, or not
        data = DataDir(tmp_path / str(size))
        graph = {name: f"http://hub.test/graph/s/{name}" for name in ("current", "old", "unknown", "gone")}
        history.write(data, "s", "20260101T000000Z", [("http://hub.test/graph/s/early", [], []), _version("current"),
                                                      _version("old"), _version("unknown"), (graph["gone"], [], [])])
        history.write(data, "s", "20260102T000000Z", [_version("old")])
        current: dict[str, str | None] = {graph["current"]: "20260101T000000Z", graph["old"]: "20260102T000000Z",
                                          graph["unknown"]: None}
        stale = history.folder(data, "s") / "20251231T000000Z.nq.tmp"  # a pruning killed midway
        stale.write_text("# pruned\n# version <half", encoding="utf-8")
        done = history.prune(data, "s", current, keep_runs=1, read_size=size)
        assert not stale.exists()
        assert done.files == 1 and done.bytes_after < done.bytes_before
        text = (history.folder(data, "s") / "20260101T000000Z.nq").read_text(encoding="utf-8")
        whole = [line for name in ("current", "unknown") for line in (
            f"# version <{graph[name]}>", f'<http://e.example/{name}> <http://p> "{name}" <{graph[name]}> .',
            f'<{graph[name]}> <http://h> "d" {META} .')]
        assert text.splitlines() == ["# pruned", "# removed <http://hub.test/graph/s/early>", *whole[:3],
                                     f"# version <{graph['old']}>", *whole[3:], f"# removed <{graph['gone']}>"]
        assert [v.triples for v in history.versions(data, "s", graph["old"])] == [
            None, ['<http://e.example/old> <http://p> "old" .']]
        assert [v.triples for v in history.versions(data, "s", graph["gone"])] == [[]]
        # The last run's file is never pruned.
        assert not (history.folder(data, "s") / "20260102T000000Z.nq").read_text().startswith("# pruned")
