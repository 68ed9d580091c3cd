"""Request-body limits, enforced while the body streams in (never after reading it all), and
keep-alive connection recycling (:class:`RecycleConnections`).

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


class RecycleConnections:
    """ASGI middleware: after ``max_requests`` responses on one keep-alive connection, the next
    response carries ``Connection: close`` and the client reconnects (HTTP/1.1 clients do).

    The worker processes share one listening socket, and the worker that wakes first accepts every
    connection waiting, so keep-alive connections can sit unevenly for as long as they live: 19 and 31
    of 50 clients were seen on two workers, and the busier worker's clients then waited 60 % longer
    (``benchmarks/README.md``). A reconnecting client lands on whichever worker accepts first, which is
    the one with time to spare, so recycled connections drift towards balance. A connection is known
    by its client address; counts are dropped once ``10 * max_requests`` addresses are held (a client
    that closes early leaves its count behind).
    """

    def __init__(self, app: ASGIApp, max_requests: int) -> None:
        self.app = app
        self.max_requests = max_requests
        self.counts: dict[tuple[str, int], int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or not client or self.max_requests <= 0:
            await self.app(scope, receive, send)
            return
        key = (str(client[0]), int(client[1]))
        served = self.counts.pop(key, 0) + 1
        if served < self.max_requests:
            if len(self.counts) >= 10 * self.max_requests:
                self.counts.clear()
            self.counts[key] = served
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)


async def _reply(send: Send, status: int, body: dict[str, object]) -> None:
    raw = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
