"""Pages read the hub through its own public HTTP API, in process: they are a map site like any other."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request

from hub.pages.i18n import negotiate


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


async def post_json(request: Request, path: str, body: dict[str, Any], token: str,
                    params: dict[str, str] | None = None) -> Any:
    """POST a JSON body to an API path of this application with an admin token (the pages' admin forms)."""
    peer = (request.client.host, request.client.port) if request.client else ("127.0.0.1", 123)
    transport = httpx.ASGITransport(app=request.app, client=peer)
    async with httpx.AsyncClient(transport=transport, base_url=str(request.base_url)) as client:
        answer = await client.post(path, json=body, params=params,
                                   headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    return _checked(answer)


def _checked(answer: httpx.Response) -> Any:
    if answer.status_code >= 400:
        detail = ""
        try:
            detail = str(answer.json().get("detail", ""))
        except ValueError:
            detail = answer.text[:200]
        raise ApiError(answer.status_code, detail)
    return answer.json()


async def get_json(request: Request, path: str, params: dict[str, str] | None = None,
                   accept: str = "application/json") -> Any:
    """GET an API path on this very application (no socket); a problem answer becomes ApiError.

    The inner request comes from the page's own client (its peer and X-Forwarded-For), so that the
    per-client limits of /sparql count it in that client's budget: with httpx's default peer, every
    page view of every visitor shared one budget (127.0.0.1's), and pages lost their SPARQL parts as
    soon as a few were drawn at once."""
    peer = (request.client.host, request.client.port) if request.client else ("127.0.0.1", 123)
    transport = httpx.ASGITransport(app=request.app, client=peer)
    # The page's language, so that a problem's detail shown on the page is in it too.
    headers = {"Accept": accept, "Accept-Language": negotiate(request)}
    forwarded = request.headers.getlist("x-forwarded-for")
    if forwarded:
        headers["X-Forwarded-For"] = ", ".join(forwarded)
    base = str(request.base_url)
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        answer = await client.get(path, params={k: v for k, v in (params or {}).items() if v}, headers=headers)
    return _checked(answer)
