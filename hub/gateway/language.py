"""The API in the reader's language: problem details, and the coded messages of runs, said at the edge.

The language of an API answer is `?lang=`, else Accept-Language, else English (`api_language`): a client that
names no language the hub speaks gets the API's own English, as before.

Routes build their problems in English (hub/gateway/deps.py `problem`); this middleware turns the title and the
detail into the request's language (`?lang=`, else Accept-Language; English when neither names a language the
hub speaks) from the `problems` catalog (hub/locale): a title is a msgid, a detail is read by the catalog's
templates, its parameters (a source id, a count, a library's reason) kept as they were. A sentence the catalog
does not know stays in English, and `Content-Language` says which language the answer is in. Only problem
answers are read (they are small); every other answer streams through untouched.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pyoxigraph import Literal, NamedNode, RdfFormat, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import locale
from hub.charter import messages
from hub.core.config import ConfigError
from hub.core.profile import load_profile, profile_path
from hub.core.vocabulary import SHAPES_DIR

PROBLEM = b"application/problem+json"
SH_MESSAGE = NamedNode("http://www.w3.org/ns/shacl#message")
MAX_PROBLEM_BYTES = 64 * 1024  # a problem is a few sentences; anything bigger passes as it is


def api_language(scope: Scope) -> str:
    """The language of an API answer: `?lang=`, then Accept-Language, then English (the API's own)."""
    asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    accept = next((value.decode("latin-1") for name, value in scope.get("headers", [])
                   if name == b"accept-language"), "")
    if asked not in locale.LANGUAGES and not any(
            part.strip().lower().split(";")[0].split("-")[0] in locale.LANGUAGES for part in accept.split(",")):
        return "en"
    return locale.negotiate(asked, accept)


def said_in(problem: dict[str, Any], lang: str) -> dict[str, Any]:
    """The problem with its title and detail in `lang` (what the catalog does not know stays as it was)."""
    said = dict(problem)
    for key in ("title", "detail"):
        if isinstance(said.get(key), str):
            said[key] = locale.translate(lang, said[key], "problems")
    return said


class ProblemLanguage:
    """ASGI middleware: problem answers in the request's language, with Content-Language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":  # a HEAD answer has no body to say again
            await self.app(scope, receive, send)
            return
        lang = api_language(scope)
        start: Message | None = None
        chunks: list[bytes] = []

        async def speaking(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                given = dict(message.get("headers", []))
                if given.get(b"content-type", b"").startswith(PROBLEM):
                    start = message  # held until the body is whole
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False) and sum(map(len, chunks)) <= MAX_PROBLEM_BYTES:
                return
            body = b"".join(chunks)
            if not message.get("more_body", False):
                body = _translated(body, lang)
            headers = [(name, value) for name, value in start.get("headers", [])
                       if name not in (b"content-length", b"content-language")]
            if not message.get("more_body", False):
                headers += [(b"content-language", lang.encode()), (b"content-length", str(len(body)).encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": message.get("more_body", False)})
            start = None  # the rest of an oversized body streams through

        await self.app(scope, receive, speaking)


def _translated(body: bytes, lang: str) -> bytes:
    try:
        problem = json.loads(body)
    except ValueError:
        return body
    if not isinstance(problem, dict):
        return body
    return json.dumps(said_in(problem, lang), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def said_lines(lines: list[str], lang: str,
               words: Mapping[str, Mapping[str, str]] | None = None) -> list[dict[str, object]]:
    """A run's stored error or warning lines for a reader of `lang`: each line's text in that language, with its
    code and parameters when it has them (hub/charter/messages.py `localize`), or, for a record's charter warning
    (`subject: message`), the charter's own message in that language (`shape_messages`); any other line as it is.
    `words`: the hub's area names (`area_words`)."""
    said = []
    for line in lines:
        found = messages.localize(line, lang, words)
        subject, _, message = line.partition(": ")
        if found["code"] is None and message in shape_messages() and lang in shape_messages()[message]:
            found = {**found, "text": f"{subject}: {shape_messages()[message][lang]}"}
        said.append(found)
    return said


@functools.cache
def shape_messages() -> dict[str, dict[str, str]]:
    """The charter's messages (sh:message of shapes/*.ttl) by their English words, each in every language it has:
    a record's charter warning is stored as `subject: English message`."""
    by_node: dict[str, dict[str, str]] = {}
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        for quad in parse(path=str(path), format=RdfFormat.TURTLE):
            if quad.predicate == SH_MESSAGE and isinstance(quad.object, Literal) and quad.object.language:
                by_node.setdefault(str(quad.subject), {})[quad.object.language] = quad.object.value
    return {texts["en"]: texts for texts in by_node.values() if "en" in texts}


@functools.cache
def _area_words(profile: Path, changed: float) -> dict[str, dict[str, str]]:
    try:
        found = load_profile(profile)
    except ConfigError:
        return {}
    return {area.name["en"]: dict(area.name) for area in (found.area, *found.parts, *([found.whole] if found.whole
                                                                                       else []))}


def area_words(sources_path: Path) -> dict[str, dict[str, str]]:
    """The hub's area and parts by their English name (which the formats write in a run's lines), each with its
    name in French, Dutch and English (hub.toml beside sources.toml, else the shipped default)."""
    profile = profile_path(sources_path)
    return _area_words(profile, profile.stat().st_mtime if profile.exists() else 0.0)


def said_warnings(entries: list[Any], lang: str,
                  words: Mapping[str, Mapping[str, str]] | None = None) -> list[dict[str, object]]:
    """A run's kept warnings (hub/archive/warnings.py: each with its record, code and message) for a reader of
    `lang`: a charter warning in the charter's words of that language, a whole line (the source's token sees it) as
    `said_lines` says it, and a withheld one as withheld."""
    said: list[dict[str, object]] = []
    for entry in entries:
        if isinstance(entry, str):
            said += said_lines([entry], lang, words)
            continue
        message = entry.get("message")
        if isinstance(message, dict) and (message.get(lang) or message.get("en")):
            record = entry.get("record")
            text = str(message.get(lang) or message["en"])
            if entry.get("kind") == "charter" or len(message) > 1:
                said.append({"text": f"{record}: {text}" if record else text, "code": entry.get("code"),
                             "params": entry.get("params")})
                continue
        if entry.get("text"):
            said += said_lines([str(entry["text"])], lang, words)
        else:
            said.append({"text": message if isinstance(message, str) else "", "code": entry.get("code"),
                         "params": None})
    return said
