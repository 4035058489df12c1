"""ASGI middleware that caps request bodies before the app reads them.

A declared ``Content-Length`` over the limit answers 413 at once; a body without one (chunked)
is counted as the app reads it and cut off at the limit with 413. JSON routes get a small limit
(``SecuritySettings.max_request_bytes``); upload routes (path prefixes given in ``large``) get
theirs (``max_upload_bytes`` plus room for multipart framing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from farpoint.security.responses import error_body

Scope = dict[str, Any]
Message = dict[str, Any]


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes its limit."""


async def _send_413(send: Any, limit: int) -> None:
    message = f"request body over the limit of {limit} bytes"
    # the REST API's error envelope, plus FastAPI's usual "detail"
    body = json.dumps(error_body(413, "too_large", message) | {"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimitMiddleware:
    """``app.add_middleware(BodySizeLimitMiddleware, max_bytes=..., large={"/v1/media": n})``."""

    def __init__(self, app: Any, max_bytes: int, large: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.large = dict(large or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.large.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await _send_413(send, limit)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message: Message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _send_413(send, limit)
