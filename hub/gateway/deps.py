"""What every resource module needs: the reader of published generations, problem responses, and who is asking
(the admin token, a source's publisher token: docs/publishers.md)."""

from __future__ import annotations

import difflib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from hub.archive import tokens
from hub.core.config import is_source_id
from hub.core.iris import is_run_timestamp
from hub.store.reader import PublishedReader


class UnknownParameter(Exception):
    """A query parameter the route does not take (a typo must not be silently ignored): a 400 naming it."""

    def __init__(self, parameter: str, taken: list[str]) -> None:
        super().__init__(parameter)
        self.parameter = parameter
        self.taken = taken
        close = difflib.get_close_matches(parameter, taken, n=1)
        self.suggestion = close[0] if close else None


ALWAYS_TAKEN = frozenset({"_", "lang"})


def strict_query(request: Request) -> None:
    """Refuses query parameters the matched route neither declares nor lists in its OpenAPI description; `_` (a
    cache-buster) and `lang` (the language of problem details: hub/gateway/language.py) are always taken. A router
    dependency of the API's resources (hub/gateway/app.py)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    taken = _query_names(route.dependant)
    taken |= {p["name"] for p in (route.openapi_extra or {}).get("parameters", []) if p.get("in") == "query"}
    for name in request.query_params:
        if name not in taken and name not in ALWAYS_TAKEN:
            raise UnknownParameter(name, sorted(taken))


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route's function and its dependencies declare (by the name a client sends)."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reader(request: Request) -> PublishedReader:
    hub_reader: PublishedReader = request.app.state.reader
    return hub_reader


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document."""
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
        status_code=status,
        media_type="application/problem+json",
    )


def unknown_segment(source_id: str | None = None, timestamp: str | None = None) -> JSONResponse | None:
    """A 404 problem when a path segment cannot name what the hub mints (a source id, a run timestamp),
    before it is put in an IRI: a space, `>` or NUL there is no such thing, not a server error."""
    if source_id is not None and not is_source_id(source_id):
        return problem(404, "Unknown source", f"no source {source_id!r}: a source id is lower-case letters, "
                       "digits and hyphens (see /api/sources)")
    if timestamp is not None and not is_run_timestamp(timestamp):
        return problem(404, "Unknown run", f"no run {timestamp!r}: a run is named by its start time, e.g. "
                       "20261129T045825253419Z (see /api/sources/{id}/runs)")
    return None


def admin_refusal(request: Request) -> JSONResponse | None:
    """None when the request carries the admin token; otherwise the problem to answer.

    Admin calls send `Authorization: Bearer <token>`, the token being MUTUALISONS_ADMIN_TOKEN;
    with the variable unset, every admin call answers 403.
    """
    expected = os.environ.get("MUTUALISONS_ADMIN_TOKEN")
    if not expected:
        return problem(403, "Administration disabled",
                       "set MUTUALISONS_ADMIN_TOKEN on the server to enable admin calls")
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        return problem(403, "Admin token required", "send Authorization: Bearer <MUTUALISONS_ADMIN_TOKEN>")
    return None


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass(frozen=True)
class Caller:
    """Who sent the request: the administrator, a source's network (its publisher token), or anyone."""

    admin: bool = False
    token: tokens.Token | None = None
    presented: bool = False  # a bearer token was sent, whether or not it opens anything

    @property
    def source(self) -> str | None:
        return self.token.source if self.token is not None else None

    def may_read(self, source_id: str) -> bool:
        """Whether the caller sees the source's private data (values, warnings' texts, reports' contacts)."""
        return self.admin or self.source == source_id


def caller(request: Request) -> Caller:
    given = _bearer(request)
    if given is None:
        return Caller()
    expected = os.environ.get("MUTUALISONS_ADMIN_TOKEN")
    if expected and hmac.compare_digest(given.encode(), expected.encode()):
        return Caller(admin=True, presented=True)
    hub: PublishedReader = request.app.state.reader
    return Caller(token=tokens.find(hub.data, given), presented=True)


def source_refusal(request: Request, source_id: str) -> JSONResponse | None:
    """None when the request carries the source's publisher token or the admin token; otherwise the 403 to answer.
    A token opens its own source only: another source's data is refused, whatever the path."""
    who = caller(request)
    if who.may_read(source_id):
        return None
    if who.token is not None:
        return problem(403, "Not this source's token",
                       f"this token is the publisher token of source {who.token.source!r}: it opens "
                       f"/api/sources/{who.token.source}/… only, not source {source_id!r}'s data",
                       source=source_id)
    if who.presented:
        return problem(403, "Unknown token", "the bearer token is neither a publisher token the hub knows (it may "
                       "have been revoked: `mutualisons token list`) nor the admin token", source=source_id)
    return problem(403, "Token required", f"send Authorization: Bearer <token>, with source {source_id!r}'s "
                   f"publisher token (`mutualisons token create {source_id}`) or the admin token", source=source_id)


def publisher_refusal(request: Request) -> JSONResponse | None:
    """None for any publisher token or the admin token (what every network may read: the contact book)."""
    who = caller(request)
    if who.admin or who.token is not None:
        return None
    if who.presented:
        return problem(403, "Unknown token", "the bearer token is neither a publisher token the hub knows (it may "
                       "have been revoked) nor the admin token")
    return problem(403, "Token required", "send Authorization: Bearer <token>, a network's publisher token "
                   "(`mutualisons token create SOURCE`) or the admin token")
