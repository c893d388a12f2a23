"""The `mutualisons` command line, run as a user would: a subprocess with exit codes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hub import __version__
from hub.core.config import DEFAULT_BASE_IRI, Settings, listening_base_iri
from hub.core.lock import WriterLock
from tests.conftest import EXAMPLES, ROOT, free_port
from tests.served import _limit_address_space, descendants, wait_gone

VALID_ORG = """@prefix schema: <http://schema.org/> .
<https://ok.example/org> a schema:Organization ; schema:name "Bon Endroit"@fr ;
  schema:address [ schema:postalCode "1000" ] ;
  schema:geo [ schema:latitude 50.85 ; schema:longitude 4.35 ] .
"""


def cli(*args: str, data: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hub.cli"]
    if data is not None:
        command += ["--data", str(data)]
    # The caller's own base IRI must not leak into the test; a test that wants one passes it.
    full_env = {key: value for key, value in os.environ.items() if key != "MUTUALISONS_BASE_IRI"}
    full_env.update(env or {})
    return subprocess.run(command + list(args), cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=120)


def test_harvest_then_sources_table(tmp_path: Path) -> None:
    result = cli("harvest", data=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "assiette-commune: partial" in result.stdout
    assert "published generation 1" in result.stderr
    table = cli("sources", data=tmp_path)
    assert table.returncode == 0
    line = next(line for line in table.stdout.splitlines() if line.startswith("quartiers-en-transition"))
    assert line.split()[1:4] == ["partial", "17", "1"]  # 17 with the bakery's second branch (examples/README.md)


def test_harvest_one_source_by_id(tmp_path: Path) -> None:
    result = cli("harvest", "sante-solidaire", data=tmp_path)
    assert result.returncode == 0
    assert "sante-solidaire: partial" in result.stdout and "assiette-commune" not in result.stdout


def test_unknown_source_id_is_a_usage_error(tmp_path: Path) -> None:
    result = cli("harvest", "nope", data=tmp_path)
    assert result.returncode == 2 and "unknown source id(s): nope" in result.stderr


def test_invalid_sources_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nid = "x"\nnme = "X"\n', encoding="utf-8")
    result = cli("--sources", str(bad), "harvest", data=tmp_path / "data")
    assert result.returncode == 2
    assert "sources.toml:3" in result.stderr and "did you mean 'name'" in result.stderr


def test_a_failed_run_exits_1(tmp_path: Path) -> None:
    toml = tmp_path / "sources.toml"
    (tmp_path / "broken.ttl").write_text("@prefix nope", encoding="utf-8")
    toml.write_text('[[source]]\nid = "broken"\nname = "Broken"\nurl = "file:broken.ttl"\n'
                    'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "B"\n'
                    'contact = "mailto:b@b.example"\n', encoding="utf-8")
    result = cli("--sources", str(toml), "harvest", data=tmp_path / "data")
    assert result.returncode == 1
    assert "broken: failed" in result.stdout and "broken.ttl: turtle line 1" in result.stderr


def test_base_iri_is_recorded_and_a_different_one_refused(tmp_path: Path) -> None:
    assert cli("--base-iri", "https://hub.example/", "harvest", "sante-solidaire", data=tmp_path).returncode == 0
    assert (tmp_path / "base-iri").read_text().strip() == "https://hub.example/"
    result = cli("harvest", data=tmp_path, env={"MUTUALISONS_BASE_IRI": "https://other.example/"})
    assert result.returncode == 2
    assert "https://hub.example/" in result.stderr and "https://other.example/" in result.stderr


def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    with WriterLock(tmp_path / "harvest.lock"):
        result = cli("harvest", data=tmp_path)
    assert result.returncode == 1
    assert f"harvest already running (pid {os.getpid()})" in result.stderr


def test_validate_conforming_violating_and_unreadable(tmp_path: Path) -> None:
    good = tmp_path / "good.ttl"
    good.write_text(VALID_ORG, encoding="utf-8")
    result = cli("validate", str(good))
    assert result.returncode == 0 and result.stdout.strip().endswith("conforms")
    assert "http://schema.org/ terms stored as https://schema.org/" in result.stdout

    bad = tmp_path / "bad.ttl"
    bad.write_text(VALID_ORG.replace("50.85", "48.85"), encoding="utf-8")
    result = cli("validate", str(bad), "--lang", "nl")
    assert result.returncode == 1
    assert "De coördinaten moeten in het werkgebied van de hub liggen (België)" in result.stdout

    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .", encoding="utf-8")
    result = cli("validate", str(broken), "--format", "turtle")
    assert result.returncode == 2 and "line 1" in result.stderr
    assert cli("validate", str(tmp_path / "missing.ttl")).returncode == 2

    empty = tmp_path / "empty.ttl"
    empty.write_text("<https://x.example/a> <https://x.example/b> 1 .", encoding="utf-8")
    result = cli("validate", str(empty))
    assert result.returncode == 1 and "no record found" in result.stdout


def test_validate_an_example_feed_reports_its_rejected_record() -> None:
    result = cli("validate", str(EXAMPLES / "feeds" / "assiette-commune.ttl"))
    assert result.returncode == 1
    assert "REJECTED: https://assiette-commune.example/id/sans-nom" in result.stdout
    assert result.stdout.count("accepted:") == 15


def test_help_lists_the_commands() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in ("harvest", "serve", "validate", "sources", "confirm-removal"):
        assert command in result.stdout


def test_the_removed_service_allow_option_says_why(tmp_path: Path) -> None:
    for args in (["--service-allow", "https://other-hub.example/sparql"], ["--service-allow=https://x.example/"]):
        result = cli("serve", *args, data=tmp_path)
        assert result.returncode == 2
        assert "--service-allow was removed" in result.stderr and "SERVICE is always refused" in result.stderr
        assert "unrecognized arguments" not in result.stderr
    assert "--service-allow" not in cli("serve", "--help").stdout


def test_an_emptied_feed_is_held_until_confirm_removal(tmp_path: Path) -> None:
    """The safety valve from the command line: the held run fails (exit 1) and says how to confirm;
    `confirm-removal` records the confirmation, and the next harvest removes the records."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    toml, data = str(tmp_path / "examples" / "sources.toml"), tmp_path / "data"
    assert cli("--sources", toml, "harvest", "assiette-commune", data=data).returncode == 0
    nothing = cli("--sources", toml, "confirm-removal", "assiette-commune", data=data)
    assert nothing.returncode == 1 and "nothing to confirm for source 'assiette-commune'" in nothing.stderr
    (tmp_path / "examples" / "feeds" / "assiette-commune.ttl").write_text("", encoding="utf-8")
    held = cli("--sources", toml, "harvest", "assiette-commune", data=data)
    assert held.returncode == 1 and "assiette-commune: failed" in held.stdout
    assert "held: this run would remove all 15 published records" in held.stderr
    assert "mutualisons confirm-removal assiette-commune" in held.stderr
    unknown = cli("--sources", toml, "confirm-removal", "nope", data=data)
    assert unknown.returncode == 2 and "unknown source id 'nope'" in unknown.stderr
    confirmed = cli("--sources", toml, "confirm-removal", "assiette-commune", "--by", "tester", data=data)
    assert confirmed.returncode == 0, confirmed.stderr
    assert "assiette-commune: removal of 15 record(s) confirmed" in confirmed.stdout
    removed = cli("--sources", toml, "harvest", "assiette-commune", data=data)
    assert removed.returncode == 0 and "removed 15" in removed.stdout


def test_version() -> None:
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"mutualisons {__version__}"


def test_the_base_iri_follows_the_address_served_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MUTUALISONS_BASE_IRI", raising=False)  # what a shell (or make) may have set
    assert Settings.resolve(None, None, None, "127.0.0.1", 8501).base_iri == "http://127.0.0.1:8501/"
    assert Settings.resolve(None, None, None).base_iri == DEFAULT_BASE_IRI  # harvest: no address of its own
    assert Settings.resolve(None, None, "https://hub.example", "127.0.0.1", 8501).base_iri == "https://hub.example/"
    assert listening_base_iri("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert listening_base_iri("::", 8000) == "http://[::1]:8000/"
    assert listening_base_iri("::1", 8000) == "http://[::1]:8000/"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # `make run` and `make harvest` mint where they serve; `make test` does not pass it on to the tests.
    assert "harvest run: export MUTUALISONS_BASE_IRI ?= http://$(MINT_HOST):$(PORT)/" in makefile


def test_serve_mints_what_it_serves(tmp_path: Path) -> None:
    """`serve --port P` on a new data folder mints under http://127.0.0.1:P/, a harvest then keeps that base, and
    the IRIs it minted dereference on the server."""
    port = free_port()
    data = tmp_path / "data"
    env = {key: value for key, value in os.environ.items() if key != "MUTUALISONS_BASE_IRI"}
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "hub.cli", "--data", str(data), "serve", "--host",
                                   "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                  stdout=output, stderr=output, preexec_fn=_limit_address_space)
    started: set[int] = set()
    try:
        base = f"http://127.0.0.1:{port}/"
        with httpx.Client(base_url=base, timeout=10, trust_env=False) as http:
            ends = time.monotonic() + 40
            while True:
                assert server.poll() is None, log.read_text(errors="replace")[-2000:]
                try:
                    if http.get("/healthz").status_code in (200, 503):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < ends, "the server did not come up"
                time.sleep(0.1)
            assert (data / "base-iri").read_text().strip() == base
            assert cli("harvest", "sante-solidaire", data=data).returncode == 0  # keeps the folder's base
            started |= descendants(server.pid)
            graph = http.get("/api/organizations", params={"limit": 1}).json()["member"][0]["records"][0]["@id"]
            assert graph.startswith(base)
            assert http.get(graph.removeprefix(base.rstrip("/")), headers={"Accept": "text/turtle"}).status_code == 200
    finally:
        started |= descendants(server.pid)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        for pid in wait_gone(started, 5):
            os.kill(pid, signal.SIGKILL)
