"""Reading a request body with a bound on its size and on the time it takes to arrive.

`await request.body()` takes whatever comes, for as long as it comes: a 200 MB POST was accepted
whole. Here the body is read chunk by chunk and dropped at the first byte over the cap, whatever
Content-Length says (a declared length over the cap is refused before a byte is read), and a body
trickled slower than the deadline allows is dropped too.
"""

from __future__ import annotations

import asyncio

from fastapi import Request

BODY_SECONDS = 30.0


class BodyTooLarge(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"the request body is over {cap} bytes")
        self.cap = cap


class BodyTooSlow(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body took over {seconds:g} s to arrive")
        self.seconds = seconds


async def read_capped(request: Request, cap: int, seconds: float = BODY_SECONDS) -> bytes:
    """The whole body, if it is at most `cap` bytes and arrives within `seconds`."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > cap:
        raise BodyTooLarge(cap)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise BodyTooLarge(cap)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTooSlow(seconds) from None
    return b"".join(chunks)
