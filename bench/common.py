"""What every benchmark shares: the BENCH line, the feed size, stopping the servers it started."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterable

import httpx


def bench_line(name: str, value: float, op: str, target: float, unit: str) -> str:
    """`BENCH <name> value=<x> target=<op><y> unit=<ratio|MiB> PASS|FAIL`."""
    passed = value >= target if op == ">=" else value <= target
    return f"BENCH {name} value={value:.3f} target={op}{target} unit={unit} {'PASS' if passed else 'FAIL'}"


def organisations() -> int:
    """The size of the generated feeds: BENCH_ORGANISATIONS, 100000 by default."""
    return int(os.environ.get("BENCH_ORGANISATIONS", "100000"))


def print_lines(run: Callable[[int], list[str]]) -> None:
    for line in run(organisations()):
        print(line, flush=True)


def stop(processes: Iterable[subprocess.Popen[bytes] | None]) -> None:
    """Terminate, wait a little, then kill: a benchmark leaves no server behind."""
    started = [process for process in processes if process is not None]
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120,
            params: dict[str, str] | None = None) -> None:
    """Until `url` answers 200, or the server exits, or `seconds` pass."""
    ends = time.monotonic() + seconds
    with httpx.Client(timeout=5, trust_env=False) as http:
        while time.monotonic() < ends:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}")
            try:
                if http.get(url, params=params).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {seconds:g} s")
