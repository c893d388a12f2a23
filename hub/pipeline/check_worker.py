"""`POST /api/validate` checks a stranger's document in a worker process, never in the server's.

A check parses, canonicalises and validates bytes anyone may send: a 17 KB document held the whole
server for 99 s, and 170 KB killed it. So the server hands the bytes to a child (`python -m
hub.pipeline.check_worker`), which limits its own address space and CPU time before reading them, runs the very
check `mutualisons validate` runs (hub/pipeline/check.py: same lifting, same bounds, same verdict) and answers
JSON. The server waits without holding a thread, kills the child's whole process group past the deadline
(or when the request is cancelled, e.g. at shutdown), and says which limit the document needed more of.

The child needs no network: remote JSON-LD `@context`s are fetched by the server through the guarded
fetcher. A child that meets a context it was not given answers which ones it needs; the server fetches
them and runs a fresh child with them (a few rounds at most: contexts may import contexts).
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import resource
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harvesters.jsonld import SHIPPED, ContextError, Resolver
from hub.core.process_limits import lower_limit
from hub.core.sandbox import SandboxUnavailable, deny_network

MIB = 1 << 20
SUBMITTED = "urn:mutualisons:submitted-document"  # the document's name in a check's answer
_OUT_OF_MEMORY = 3  # the child's exit status when Python ran out of its address space
_NO_SANDBOX = 4  # the child's exit status when it could not take its own network away


@dataclass(frozen=True)
class WorkerLimits:
    """What one check may use; documented in docs/api.md (`POST /api/validate`)."""

    seconds: float = 30.0  # wall-clock deadline of one child
    memory: int = 1536 * MIB  # address space of one child (pyoxigraph and the charter take ~400 MiB)
    workers: int = 2  # children at once; more requests wait up to `queue_seconds`, then get 503
    queue_seconds: float = 5.0
    context_rounds: int = 4  # children run for one document as its remote contexts are fetched


class CheckRefused(Exception):
    """A check that could not be done: the HTTP status, title and detail of the problem to answer."""

    def __init__(self, status: int, title: str, detail: str, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.line, self.column = status, title, detail, line, column


@dataclass
class CheckRequest:
    body: bytes
    content_type: str | None
    format_name: str | None
    base_iri: str
    language: str | None = None
    contexts: dict[str, bytes] = field(default_factory=dict)  # remote contexts, fetched by the server
    profile: str | None = None  # the hub's profile (hub.toml) the charter judges by; None: the default
    # The mapping the document is read with (a mapping file's TOML). None: a format that needs one gets the one
    # `mutualisons mapping suggest` would write, checked as it is and handed back for the network to keep.
    mapping: str | None = None
    # The uploaded file's name (never a path): the document is then named `SUBMITTED/name`, which a mapping's
    # `files` patterns and the detection by extension read, as they read a source's file name.
    filename: str | None = None


def submitted_name(filename: str | None) -> str:
    """The name of a submitted document in a check's answer: SUBMITTED, or SUBMITTED/its file name."""
    return f"{SUBMITTED}/{quote(filename)}" if filename else SUBMITTED


class WorkerSlots:
    """At most `limits.workers` children at once, per application."""

    def __init__(self, limits: WorkerLimits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.workers)

    async def check(self, request: CheckRequest, resolve_context: Resolver) -> dict[str, Any]:
        """The report (`CheckReport.as_dict()`); raises CheckRefused."""
        try:
            await asyncio.wait_for(self._slots.acquire(), self.limits.queue_seconds)
        except TimeoutError:
            raise CheckRefused(503, "Every check worker is busy", f"{self.limits.workers} documents are being "
                               f"checked; try again in a few seconds") from None
        try:
            return await check_in_worker(request, resolve_context, self.limits)
        finally:
            self._slots.release()


async def check_in_worker(request: CheckRequest, resolve_context: Resolver,
                          limits: WorkerLimits = WorkerLimits()) -> dict[str, Any]:
    """Runs the check in children (one per round of remote contexts); raises CheckRefused."""
    for _ in range(limits.context_rounds):
        answer = await _run_child(request, limits)
        if "report" in answer:
            report: dict[str, Any] = answer["report"]
            return report
        if "lift_error" in answer:
            error = answer["lift_error"]
            raise CheckRefused(422, "Unreadable document", error["message"], error.get("line"), error.get("column"))
        needed = [url for url in answer.get("contexts_needed", []) if url not in request.contexts]
        if not needed:
            break
        for url in needed:
            try:
                # Through the guarded fetcher (public addresses only, capped), in a thread of the server's.
                request.contexts[url] = await asyncio.to_thread(resolve_context, url)
            except Exception as error:  # noqa: BLE001 - ContextError, FetchError: the document's problem
                from hub.pipeline.fetch import FetchError

                why = str(error) if isinstance(error, ContextError | FetchError) else "the hub could not load it"
                raise CheckRefused(422, "Unreadable document",
                                   f"its JSON-LD @context {url} could not be loaded: {why}") from error
    raise CheckRefused(422, "Unreadable document", f"its JSON-LD @contexts need more than {limits.context_rounds} "
                       "rounds of loading (contexts importing contexts); inline some of them")


async def _run_child(request: CheckRequest, limits: WorkerLimits) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.pipeline.check_worker", str(limits.memory), str(int(limits.seconds) + 1),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True)  # its own process group: a canonicalisation grandchild goes with it
    try:
        out, _ = await asyncio.wait_for(child.communicate(pickle.dumps(request)), limits.seconds)
    except TimeoutError:
        raise CheckRefused(422, "Document too costly to check",
                           f"checking it needed more than {limits.seconds:g} s, all a check may take; split it "
                           "into smaller documents, or check it with `mutualisons validate`") from None
    finally:
        if child.returncode is None:  # the deadline, or the request cancelled (client gone, server stopping)
            _kill_group(child.pid)
            await child.wait()
    if child.returncode == 0:
        try:
            answer: dict[str, Any] = json.loads(out)
            return answer
        except ValueError:
            pass
    if child.returncode == _NO_SANDBOX:
        raise CheckRefused(503, "Check sandbox unavailable",
                           "the check worker could not take its own network away, so it checks nothing; ask the "
                           "hub's operator (the machine needs libseccomp)")
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise CheckRefused(422, "Document too costly to check",
                           f"checking it needed more than {limits.seconds:g} s of CPU, all a check may take; split "
                           "it into smaller documents")
    # Out of address space: Python raises MemoryError, pyoxigraph's Rust aborts (SIGABRT).
    raise CheckRefused(413, "Document too costly to check",
                       f"checking it needed more than {limits.memory // MIB} MiB of memory, all a check may take; "
                       "split it into smaller documents")


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------- the child


def _sandbox(memory: int, seconds: int) -> None:
    """The child's limits, set before it reads a byte of the document: memory, CPU, and no network (the
    server fetched what the document needs; a child that cannot drop its network raises and checks nothing)."""
    lower_limit(resource.RLIMIT_AS, memory, memory)
    lower_limit(resource.RLIMIT_CPU, seconds, seconds + 1)
    deny_network()


def _work(request: CheckRequest) -> dict[str, Any]:
    from harvesters.formats import LiftError
    from hub.charter import messages
    from hub.charter.area import ServiceArea
    from hub.charter.validation import Charter
    from hub.core.durations import now_iso
    from hub.core.iris import Minter
    from hub.core.profile import ProfileError
    from hub.pipeline.check import check_fetched
    from hub.pipeline.fetch import Fetched

    missing: list[str] = []

    def given(url: str) -> bytes:
        if url in SHIPPED:
            return SHIPPED[url].read_bytes()
        if url in request.contexts:
            return request.contexts[url]
        missing.append(url)
        raise ContextError(f"remote JSON-LD context {url} is not loaded yet")

    fetched = Fetched(url=submitted_name(request.filename), body=request.body, content_type=request.content_type,
                      fetched_at=now_iso())
    try:
        charter = Charter(area=ServiceArea.of(Path(request.profile))) if request.profile else None
    except ProfileError as error:
        return {"lift_error": {"message": f"the hub's profile cannot be used: {error}", "line": None, "column": None}}
    # The mapping is a file for the lifting, as a source's is: in a folder of the child's own, gone with it.
    with tempfile.TemporaryDirectory(prefix="mutualisons-check-") as folder:
        try:
            mapping, used = _mapping_for(request, Path(folder))
            report = check_fetched(fetched, request.format_name, Minter(request.base_iri), charter,
                                   mapping_path=mapping, language=request.language, resolve_context=given)
        except LiftError as error:
            if missing:
                return {"contexts_needed": missing}
            return {"lift_error": {"message": messages.lift_error(error), "line": error.line,
                                   "column": error.column}}
    return {"report": {**report.as_dict(), **({"mapping": used} if used else {})}}


def _mapping_for(request: CheckRequest, folder: Path) -> tuple[Path | None, dict[str, Any] | None]:
    """The mapping file to read the document with, and what the answer says of it: the uploaded one; else, for a
    format that needs a mapping and can suggest one, the suggestion (`mutualisons mapping suggest`: its text and
    self-check, to keep); else none. Raises LiftError (an undetectable document, or one the suggestion cannot
    read)."""
    from harvesters.formats import table
    from harvesters.suggest import suggest

    mapping = folder / "mapping.toml"
    if request.mapping is not None:
        mapping.write_text(request.mapping, encoding="utf-8")
        return mapping, {"suggested": False}
    fmt = table().detect(request.format_name, request.content_type, submitted_name(request.filename), request.body)
    if fmt.mapping != "required" or fmt.suggest is None:
        return None, None
    document = folder / (Path(request.filename or "document").name or "document")
    document.write_bytes(request.body)
    suggestion = suggest(document, fmt.name)
    mapping.write_text(suggestion.text, encoding="utf-8")
    return mapping, {"suggested": True, "format": fmt.name, "text": suggestion.text, "check": suggestion.check}


def main(argv: list[str]) -> int:
    """The worker: one request (pickled on stdin, from the server only), one JSON answer on stdout."""
    try:
        _sandbox(int(argv[0]), int(argv[1]))
    except SandboxUnavailable:
        return _NO_SANDBOX
    try:
        request = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - written by the server that started us
        answer = _work(request)
        sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    except MemoryError:
        return _OUT_OF_MEMORY
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
