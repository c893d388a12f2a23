"""`HEAD` for every `GET`: the same status and headers (Content-Length included), no body.

FastAPI's API routes answer only the methods they declare, so HEAD was a 405 everywhere; rather than declare it on
every route (and forget one), HEAD is served as the GET it stands for, with the body dropped on the way out.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def without_body(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.body":
                # One empty body ends the answer; what the GET still streams is dropped.
                if not ended:
                    ended = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
