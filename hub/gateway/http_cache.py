"""Answers the way a good open-data API does: an ETag (304 on If-None-Match), Cache-Control, gzip."""

from __future__ import annotations

import gzip
import hashlib

from fastapi import Request
from fastapi.responses import Response

MAX_AGE = 60  # harvests publish at most every few minutes; a minute of staleness is harmless
GZIP_FROM = 1024


def etag_for(generation: int, body: bytes) -> str:
    return f'W/"g{generation}-{hashlib.sha256(body).hexdigest()[:20]}"'


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter.
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag.removeprefix("W/") in wanted


def answer(request: Request, body: bytes, media_type: str, generation: int,
           headers: dict[str, str] | None = None) -> Response:
    etag = etag_for(generation, body)
    common = {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE}",
              "Vary": "Accept, Accept-Language, Accept-Encoding", **(headers or {})}
    if not_modified(request, etag):
        return Response(status_code=304, headers=common)
    if len(body) >= GZIP_FROM and "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(gzip.compress(body, compresslevel=5), media_type=media_type,
                        headers={**common, "Content-Encoding": "gzip"})
    return Response(body, media_type=media_type, headers=common)
