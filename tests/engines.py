"""SPARQL servers the tests start themselves on 127.0.0.1 and stop: Oxigraph server (the `oxigraph` wheel of the dev
extras) and Virtuoso open source (Debian's `virtuoso-opensource`, started by hand with a database folder and a
virtuoso.ini of the test's own). Each gives the `StoreConfig` the hub uses to reach it (docs/stores.md)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hub.core.store_config import StoreConfig, from_url
from hub.store.remote import RemoteReader, ServerClient

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
VIRTUOSO = Path("/usr/bin/virtuoso-t")
QUERY_TIMEOUT_S = 5  # the server's own deadline for a query (the tests' runaways stop there too)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def oxigraph_missing() -> str | None:
    """Why Oxigraph server cannot run here, or None."""
    if not (OXIGRAPH.exists() or shutil.which("oxigraph")):
        return "Oxigraph server is missing: install the dev extras (pip install -e '.[dev]'), which ship `oxigraph`"
    return None


def virtuoso_missing() -> str | None:
    if not VIRTUOSO.exists():
        return ("Virtuoso open source is missing (/usr/bin/virtuoso-t): `make test` installs Debian's "
                "virtuoso-opensource where apt-get runs as root")
    return None


def _wait_for(url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 60) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped at start (exit status {process.returncode})")
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {seconds:g} s")


class Engine:
    """A server process of the test's own; `stop` ends it (and only it)."""

    process: subprocess.Popen[bytes]
    config: StoreConfig

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def clear(self) -> None:
        """Empties the store between tests (the engine's own graphs stay)."""
        client = ServerClient(self.config)
        try:
            graphs = list(RemoteReader(client).named_graphs())
            if graphs:
                client.update(" ;\n".join(f"DROP SILENT GRAPH <{graph.value}>" for graph in graphs))
        finally:
            client.close()


class OxigraphServer(Engine):
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        binary = str(OXIGRAPH) if OXIGRAPH.exists() else "oxigraph"
        self.process = subprocess.Popen(
            [binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}",
             "--timeout-s", str(QUERY_TIMEOUT_S)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        self.config = from_url(self.url)
        try:
            _wait_for(f"{self.url}/query?query=ASK%7B%7D", self.process, "Oxigraph server")
        except BaseException:
            self.stop()
            raise


VIRTUOSO_INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
ServerThreads = 4
CheckpointInterval = 60
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 200M
DirsAllowed = {folder}
Charset = UTF-8

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 4
MaxClientConnections = 4
EnabledDavVSP = 0
HTTPProxyEnabled = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = {timeout}
DefaultQuery = select distinct ?Concept where {{[] a ?Concept}} LIMIT 100
DeferInferenceRulesInit = 0
"""


class VirtuosoServer(Engine):
    """Virtuoso with a database folder of its own. Its /sparql endpoint takes updates once the SPARQL user may
    write (granted through isql at start)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        sql_port, http_port = free_port(), free_port()
        ini = folder / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(folder=folder, sql_port=sql_port, http_port=http_port,
                                           timeout=QUERY_TIMEOUT_S), encoding="utf-8")
        self.process = subprocess.Popen([str(VIRTUOSO), "+foreground", "+configfile", str(ini)], cwd=folder,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{http_port}"
        self.config = from_url(self.url, engine="virtuoso")
        try:
            _wait_for(f"{self.url}/sparql?query=ASK%7B%7D", self.process, "Virtuoso", seconds=120)
            isql = shutil.which("isql-vt") or "isql-vt"
            subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba",
                            # Read and write (1 + 2) for the endpoint's anonymous user, never 4: the
                            # "sponger", which fetches the web on a query's behalf.
                            "exec=GRANT SPARQL_UPDATE TO \"SPARQL\"; "
                            "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 3);"],
                           check=True, capture_output=True, timeout=60, env={**os.environ, "HOME": str(folder)})
        except BaseException:
            self.stop()
            raise
