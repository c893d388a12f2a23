"""The private history of record versions: what each run wrote, read back whole for the next patch."""

from __future__ import annotations

from pathlib import Path

from hub import history
from hub.datadir import DataDir

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
