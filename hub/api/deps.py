"""What every resource module needs: the reader of published generations, and problem responses."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from hub.reader import PublishedReader


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
