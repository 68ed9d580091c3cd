"""Request-body limits, enforced while the body streams in (never after reading it all).

A declared ``Content-Length`` above the limit is refused before a byte is
read; a body without one (chunked) is counted as it arrives and refused the
moment it passes the limit. Either way the answer is 413 with the JSON error
body, and the route never sees a partial body.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body


def _too_large(limit: int) -> str:
    return f"request body is larger than the limit of {limit} bytes"


class BodyLimit:
    """ASGI middleware: ``limit_for(path)`` gives the byte limit of a request path."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _reply(send, 400, error_body("bad_request", "Content-Length is not a number"))
                return
            if size > limit:
                await _reply(send, 413, error_body("payload_too_large", _too_large(limit)))
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, counted, send)


async def _reply(send: Send, status: int, body: dict[str, object]) -> None:
    raw = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
