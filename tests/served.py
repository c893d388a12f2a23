"""`mutualisons serve` in a child process on a free loopback port, under an address-space limit.

For the tests that need the real thing: uvicorn's threads and event loop, the forkserver and its
workers, signals. The child and everything it starts are stopped on the way out, by the pids recorded
while it ran (never by name).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from hub.core.config import Settings
from tests.conftest import ROOT, free_port

ADDRESS_SPACE = 4 << 30  # the server, and each process it starts, stays under 4 GiB of address space


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields after it follow the last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, their children…), from /proc."""
    parents = _parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Running, sleeping or stopped; a zombie has ended and only waits to be reaped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    """The pids still alive after up to `seconds`."""
    ends = time.monotonic() + seconds
    left = {pid for pid in pids if alive(pid)}
    while left and time.monotonic() < ends:
        time.sleep(0.05)
        left = {pid for pid in left if alive(pid)}
    return left


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@dataclass
class ServedHub:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    started: set[int]  # every process seen below the server so far

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout, trust_env=False)

    def processes(self) -> set[int]:
        """The processes the server has started and that still run (also remembered for the clean-up)."""
        below = descendants(self.process.pid)
        self.started |= below
        return below


@contextmanager
def served_hub(settings: Settings, *options: str, seconds: float = 40.0) -> Iterator[ServedHub]:
    port = free_port()
    log = settings.data_dir.parent / f"serve-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "--sources", str(settings.sources_path), "--data",
             str(settings.data_dir), "--base-iri", settings.base_iri, "serve", "--host", "127.0.0.1",
             "--port", str(port), *options],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output, stderr=output, preexec_fn=_limit_address_space)
    hub = ServedHub(process, f"http://127.0.0.1:{port}", log, set())
    try:
        with hub.client(timeout=5) as http:
            ends = time.monotonic() + seconds
            while True:
                assert process.poll() is None, f"the server exited: {log.read_text(errors='replace')[-2000:]}"
                try:
                    if http.get("/healthz").status_code in (200, 503):
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < ends, "the server did not come up"
                time.sleep(0.1)
        yield hub
    finally:
        hub.processes()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for pid in wait_gone(hub.started, 5):
            os.kill(pid, signal.SIGKILL)  # a test failed to stop it: never leave it running
